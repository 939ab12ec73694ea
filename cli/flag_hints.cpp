#include "flag_hints.hpp"

#include <utility>

namespace spaceuse::cli {

std::string with_flag_hints(const std::string& message) {
    // Engine wording → the flag that sets that option.
    static const std::pair<const char*, const char*> hints[] = {
        {"(assume_crs", "--assume-crs"},
        {"overwrite is off", "--overwrite"},
        {"(crs, ", "--crs"},
        {"with an EPSG code: crs)", "--crs"},
        {"filter (where)", "--where"},
    };
    std::string out = message;
    for (const auto& [needle, flag] : hints) {
        if (message.find(needle) != std::string::npos) {
            out += std::string(" (flag ") + flag + ")";
        }
    }
    return out;
}

}  // namespace spaceuse::cli
