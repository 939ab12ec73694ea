// libFuzzer harness: the scenario file loader (TOML) on arbitrary bytes.

#include "fuzz_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/scenario.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = spaceuse::fuzz::write_scratch("scenario.toml", data, size);
    try {
        (void)spaceuse::load_scenario_file(path);
    } catch (const spaceuse::Error&) {
    }
    return 0;
}
