#pragma once

// Connection strings without their secrets, for manifests and snapshots: credentials are never
// written to outputs.

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

namespace spaceuse::detail {

/// Whether a connection parameter's name is a secret (password, sslpassword...).
inline bool is_secret_key(std::string key) {
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return key.size() >= 8 && key.compare(key.size() - 8, 8, "password") == 0;
}

/// Percent-decoding of a URI component (as libpq decodes its URIs' keys and values).
inline std::string percent_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() &&
            std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

/// `source` unchanged unless it is a PostgreSQL connection string ("PG:..."): then without
/// any password — in libpq's key = value form (spaces around '=', single-quoted values with
/// backslash escapes) and in its URI form (postgresql://user:password@host/db?password=...).
inline std::string without_secrets(const std::string& source) {
    if (source.rfind("PG:", 0) != 0) {
        return source;
    }
    std::string rest = source.substr(3);
    for (const char* scheme : {"postgresql://", "postgres://"}) {
        if (rest.rfind(scheme, 0) != 0) {
            continue;
        }
        const std::size_t start = std::strlen(scheme);
        // libpq looks for the user information up to the first '/' only: a '?' may be part of
        // the password.
        const std::size_t at = rest.find('@', start);
        const std::size_t end = rest.find('/', start);
        if (at != std::string::npos && (end == std::string::npos || at < end)) {
            const std::size_t colon = rest.find(':', start);
            if (colon != std::string::npos && colon < at) {
                rest.erase(colon, at - colon);
            }
        }
        const std::size_t q = rest.find('?');
        if (q == std::string::npos) {
            return "PG:" + rest;
        }
        std::string query;
        std::size_t i = q + 1;
        while (i <= rest.size()) {
            std::size_t amp = rest.find('&', i);
            if (amp == std::string::npos) {
                amp = rest.size();
            }
            const std::string item = rest.substr(i, amp - i);
            // Keys as libpq reads them: percent-decoded ("pass%77ord" is "password").
            const std::string key = percent_decode(item.substr(0, item.find('=')));
            if (!item.empty() && !is_secret_key(key)) {
                query += (query.empty() ? "" : "&") + item;
            }
            i = amp + 1;
        }
        return "PG:" + rest.substr(0, q) + (query.empty() ? "" : "?" + query);
    }
    // key = value pairs.
    std::string out;
    std::size_t i = 0;
    const std::size_t n = rest.size();
    auto skip_spaces = [&] {
        while (i < n && std::isspace(static_cast<unsigned char>(rest[i]))) {
            ++i;
        }
    };
    while (true) {
        skip_spaces();
        if (i >= n) {
            break;
        }
        const std::size_t begin = i;
        while (i < n && rest[i] != '=' && !std::isspace(static_cast<unsigned char>(rest[i]))) {
            ++i;
        }
        const std::string key = rest.substr(begin, i - begin);
        skip_spaces();
        if (i < n && rest[i] == '=') {
            ++i;
            skip_spaces();
            if (i < n && rest[i] == '\'') {
                for (++i; i < n && rest[i] != '\''; ++i) {
                    if (rest[i] == '\\') {
                        ++i;
                    }
                }
                ++i;  // the closing quote
            } else {
                for (; i < n && !std::isspace(static_cast<unsigned char>(rest[i])); ++i) {
                    if (rest[i] == '\\') {
                        ++i;
                    }
                }
            }
        }
        i = std::min(i, n);
        if (!is_secret_key(key)) {
            out += (out.empty() ? "" : " ") + rest.substr(begin, i - begin);
        }
    }
    return "PG:" + out;
}

}  // namespace spaceuse::detail
