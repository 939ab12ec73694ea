#pragma once

// Helpers the configuration readers share (profiles, definitions, scenarios).

#include <spaceuse/error.hpp>

#include <toml++/toml.h>

#include <cctype>
#include <sstream>
#include <string>

namespace spaceuse::detail {

/// A TOML file, or a ConfigError "path:line: what is wrong".
inline toml::table parse_toml_file(const std::string& path) {
    try {
        return toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        std::ostringstream os;
        os << path << ":" << e.source().begin.line << ": " << e.description();
        throw ConfigError(os.str());
    }
}

/// A name as a field-name prefix: lower-case letters, digits and '_' ("metro-rlis" →
/// "metro_rlis").
inline std::string field_prefix(const std::string& name) {
    std::string out;
    for (const char c : name) {
        out += std::isalnum(static_cast<unsigned char>(c)) != 0
                   ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                   : '_';
    }
    return out;
}

}  // namespace spaceuse::detail
