// libFuzzer harness: the occupancy profile loader (TOML) on arbitrary bytes. A profile it
// accepts must pass its own validation again.

#include "fuzz_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/profile.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = spaceuse::fuzz::write_scratch("profile.toml", data, size);
    spaceuse::Profile profile;
    try {
        profile = spaceuse::load_profile_file(path);
    } catch (const spaceuse::Error&) {
        return 0;
    }
    try {
        spaceuse::validate_profile(profile, path);
    } catch (const spaceuse::Error&) {
        std::abort();  // loaded but not valid: the loader let something through
    }
    return 0;
}
