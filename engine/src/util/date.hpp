#pragma once

// Calendar dates written as text, shared by the project loader and the follow-up.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace spaceuse::detail {

/// Days from 1970-01-01 of a date written YYYY-MM-DD (or YYYY/MM/DD, as GDAL gives date fields
/// as text), optionally followed by a time ("T..." or " ..."); nullopt when it is no calendar
/// date.
inline std::optional<std::int64_t> iso_days(const std::string& text) {
    if (text.size() < 10 || (text.size() > 10 && text[10] != 'T' && text[10] != ' ')) {
        return std::nullopt;
    }
    for (const std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
        if (text[i] < '0' || text[i] > '9') {
            return std::nullopt;
        }
    }
    if (!((text[4] == '-' && text[7] == '-') || (text[4] == '/' && text[7] == '/'))) {
        return std::nullopt;
    }
    const std::chrono::year_month_day ymd{
        std::chrono::year(std::stoi(text.substr(0, 4))),
        std::chrono::month(static_cast<unsigned>(std::stoi(text.substr(5, 2)))),
        std::chrono::day(static_cast<unsigned>(std::stoi(text.substr(8, 2))))};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    return std::chrono::sys_days(ymd).time_since_epoch().count();
}

/// Whether `s` is exactly a calendar date written YYYY-MM-DD.
inline bool is_iso_date(const std::string& s) {
    return s.size() == 10 && s[4] == '-' && iso_days(s).has_value();
}

}  // namespace spaceuse::detail
