#pragma once

// Helpers shared by the libFuzzer harnesses: a scratch folder per fuzzing process, quiet GDAL,
// and a byte reader for the harnesses that decode structure from the fuzz input.
//
// The contract every harness checks: the engine fails only with spaceuse::Error (caught here);
// any other exception escapes, and libFuzzer reports it as a crash, as it does every
// AddressSanitizer or UndefinedBehaviorSanitizer finding.

#include <cpl_error.h>
#include <cpl_vsi.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace spaceuse::fuzz {

/// The scratch folder of this process (created on first use, removed at exit).
inline const std::string& scratch_dir() {
    // Leaked on purpose: the exit handler below must still find it after static destruction.
    static const std::string* dir = [] {
        const auto p = std::filesystem::temp_directory_path() /
                       ("spaceuse-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(p);
        auto* s = new std::string(p.string());
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratch_dir(), ec);
        });
        return s;
    }();
    return *dir;
}

/// Writes the bytes to `name` in the scratch folder and returns its path.
inline std::string write_scratch(const std::string& name, const std::uint8_t* data,
                                 std::size_t size) {
    const std::string path = scratch_dir() + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

/// Writes the bytes to a /vsimem/ file (GDAL's in-memory file system) and returns its path.
inline std::string write_vsimem(const std::string& name, const void* data, std::size_t size) {
    const std::string path = "/vsimem/spaceuse_fuzz/" + name;
    VSILFILE* f = VSIFOpenL(path.c_str(), "wb");
    if (f != nullptr) {
        VSIFWriteL(data, 1, size, f);
        VSIFCloseL(f);
    }
    return path;
}

/// GDAL's messages are expected by the thousand while fuzzing: keep them off the terminal.
inline void quiet_gdal() { CPLSetErrorHandler(CPLQuietErrorHandler); }

/// Reads fixed-size values from the fuzz input; zeros once it is exhausted.
class ByteReader {
public:
    ByteReader(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(size) {}
    bool done() const noexcept { return m_pos >= m_size; }
    std::uint8_t u8() noexcept { return m_pos < m_size ? m_data[m_pos++] : 0; }
    std::int16_t i16() noexcept {
        const unsigned lo = u8();
        const unsigned hi = u8();
        return static_cast<std::int16_t>(static_cast<std::uint16_t>(lo | (hi << 8)));
    }

private:
    const std::uint8_t* m_data;
    std::size_t m_size;
    std::size_t m_pos = 0;
};

}  // namespace spaceuse::fuzz
