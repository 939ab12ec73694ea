#pragma once
// Escaping of text placed in XML or HTML documents (QML/SLD styles, the HTML viewer).

#include <string>

namespace spaceuse::detail {

/// `s` with the five markup-significant characters replaced by their entities; valid in XML
/// attributes and text and in HTML.
inline std::string escape_markup(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

}  // namespace spaceuse::detail
