#pragma once

// SHA-256 digests in lower-case hex (OpenSSL's EVP interface): content hashes in run manifests,
// run ids of published surveys.

#include <spaceuse/error.hpp>

#include <openssl/evp.h>

#include <string>

namespace spaceuse::detail {

inline std::string hex_digest(const unsigned char* digest, unsigned int size) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

/// SHA-256 of `text` in lower-case hex.
inline std::string sha256_hex(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
        throw Error("SHA-256 failed (OpenSSL)");
    }
    return hex_digest(digest, size);
}

}  // namespace spaceuse::detail
