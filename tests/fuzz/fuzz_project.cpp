// libFuzzer harness: the project file loader (TOML) on arbitrary bytes.

#include "fuzz_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = spaceuse::fuzz::write_scratch("project.toml", data, size);
    try {
        (void)spaceuse::load_project(path);
    } catch (const spaceuse::Error&) {
        // A refused project file is the expected outcome of most inputs.
    }
    return 0;
}
