// libFuzzer harness: the speed table (CSV of road class, km/h) on arbitrary bytes. Every speed
// it accepts is a finite positive number.

#include "fuzz_support.hpp"

#include <spaceuse/access.hpp>
#include <spaceuse/error.hpp>

#include <cmath>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = spaceuse::fuzz::write_scratch("speeds.csv", data, size);
    try {
        for (const auto& [road_class, kmh] : spaceuse::load_speed_table(path)) {
            if (!std::isfinite(kmh) || !(kmh > 0)) {
                std::abort();
            }
        }
    } catch (const spaceuse::Error&) {
    }
    return 0;
}
