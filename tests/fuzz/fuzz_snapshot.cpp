// libFuzzer harness: reopening a results snapshot (spaceuse.gpkg) from arbitrary bytes, as
// `spaceuse report --results` does.

#include "fuzz_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spaceuse::fuzz::quiet_gdal();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = spaceuse::fuzz::write_scratch("spaceuse.gpkg", data, size);
    try {
        (void)spaceuse::open_results(path);
    } catch (const spaceuse::Error&) {
    }
    return 0;
}
