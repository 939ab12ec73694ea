#pragma once

// Small text helpers shared by the registry and the study plan.

#include <string>
#include <vector>

namespace spaceuse::detail {

/// The items joined by `sep` ("a, b, c").
inline std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string s;
    for (const auto& i : items) {
        s += (s.empty() ? "" : sep) + i;
    }
    return s;
}

}  // namespace spaceuse::detail
