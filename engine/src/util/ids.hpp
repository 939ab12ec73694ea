#pragma once

// The rule every analysis applies to feature ids: an id names one feature. Shared by the
// follow-up diff (ids of one date) and occupancy (the parcels' id field).

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spaceuse::detail {

/// The ids given more than once, as "P1 (2×), P7 (3×)" (sorted, at most ten named, then "and
/// N more"), or empty when every id is unique. `id_of(i)` is the i-th of `n` ids.
template <typename IdOf>
std::string describe_duplicates(std::size_t n, IdOf id_of) {
    std::unordered_map<std::string_view, std::size_t> count;
    count.reserve(n);
    std::vector<std::string_view> repeated;
    for (std::size_t i = 0; i < n; ++i) {
        const std::string_view id = id_of(i);
        if (++count[id] == 2) {
            repeated.push_back(id);
        }
    }
    if (repeated.empty()) {
        return {};
    }
    std::sort(repeated.begin(), repeated.end());
    std::string out;
    for (std::size_t i = 0; i < repeated.size() && i < 10; ++i) {
        out += (out.empty() ? "" : ", ") + std::string(repeated[i]) + " (" +
               std::to_string(count[repeated[i]]) + "×)";
    }
    if (repeated.size() > 10) {
        out += " and " + std::to_string(repeated.size() - 10) + " more";
    }
    return out;
}

}  // namespace spaceuse::detail
