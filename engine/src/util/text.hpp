#pragma once

// Small text helpers shared by the registry, the study and its snapshot.

#include <algorithm>
#include <cctype>
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

/// `s` in ASCII lower case.
inline std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace spaceuse::detail
