// libFuzzer harness: the definition file loader (a rule set or a profile, TOML) on arbitrary
// bytes, both with and without a status field mapped.

#include "fuzz_support.hpp"

#include <spaceuse/definitions.hpp>
#include <spaceuse/error.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = spaceuse::fuzz::write_scratch("definition.toml", data, size);
    for (const bool status_field_mapped : {false, true}) {
        try {
            (void)spaceuse::load_definition_file(path, status_field_mapped);
        } catch (const spaceuse::Error&) {
        }
    }
    return 0;
}
