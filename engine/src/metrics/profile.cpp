#include "../util/config_text.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/profile.hpp>

#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#ifndef SPACEUSE_SOURCE_PROFILE_DIR
#define SPACEUSE_SOURCE_PROFILE_DIR ""
#endif
#ifndef SPACEUSE_INSTALL_PROFILE_DIR
#define SPACEUSE_INSTALL_PROFILE_DIR ""
#endif

namespace spaceuse {

namespace {

double number(const toml::node& node, const std::string& where) {
    if (auto v = node.value<double>()) {
        return *v;
    }
    throw ConfigError(where + " must be a number");
}

}  // namespace

const char* status_name(ParcelStatus status) noexcept {
    switch (status) {
    case ParcelStatus::occupied:
        return "occupied";
    case ParcelStatus::underused:
        return "underused";
    case ParcelStatus::vacant:
        return "vacant";
    }
    return "?";
}

Profile load_profile_file(const std::string& path) {
    const toml::table table = detail::parse_toml_file(path);
    if (table.contains("rules") || table.contains("classes")) {
        throw ConfigError(path + ": is a definition (a rule set with [[classes]] and [[rules]]), "
                                 "not an occupancy profile with thresholds; the occupancy status "
                                 "needs one such as \"default\" (compare definitions with "
                                 "spaceuse definitions --profiles NAME)");
    }
    Profile p;
    p.origin = path;
    p.name = std::filesystem::path(path).stem().string();
    for (const auto& [key, node] : table) {
        const std::string k(key.str());
        const std::string where = path + ": key '" + k + "'";
        if (k == "name") {
            p.name = node.value_or(p.name);
        } else if (k == "description") {
            p.description = node.value_or(p.description);
        } else if (k == "vacant_below") {
            p.vacant_below = number(node, where);
        } else if (k == "underused_below") {
            p.underused_below = number(node, where);
        } else if (k == "setback_m") {
            p.setback_m = number(node, where);
        } else if (k == "min_free_area_m2") {
            p.min_free_area_m2 = number(node, where);
        } else if (k == "min_free_width_m") {
            p.min_free_width_m = number(node, where);
        } else if (k == "storey_height_m") {
            p.storey_height_m = number(node, where);
        } else if (k == "status_values") {
            const auto* values = node.as_table();
            if (values == nullptr) {
                throw ConfigError(where + " must be a table of value = \"status\"");
            }
            for (const auto& [vk, vn] : *values) {
                const auto s = vn.value<std::string>();
                if (!s) {
                    throw ConfigError(where + "." + std::string(vk.str()) + " must be a string");
                }
                p.status_values[std::string(vk.str())] = parse_status(*s, where);
            }
        } else {
            throw ConfigError(where + " is unknown (known: name, description, vacant_below, "
                                      "underused_below, setback_m, min_free_area_m2, "
                                      "min_free_width_m, storey_height_m, status_values)");
        }
    }
    validate_profile(p, path);
    return p;
}

void validate_profile(const Profile& p, const std::string& where) {
    if (!(p.vacant_below >= 0 && p.vacant_below <= p.underused_below && p.underused_below <= 1)) {
        throw ConfigError(where + ": need 0 <= vacant_below <= underused_below <= 1");
    }
    if (p.setback_m < 0 || p.min_free_area_m2 < 0 || p.min_free_width_m < 0 ||
        p.storey_height_m <= 0) {
        throw ConfigError(where + ": setback, free-area and free-width must be >= 0, storey "
                                  "height > 0");
    }
}

std::vector<std::string> default_profile_dirs() {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("SPACEUSE_PROFILE_PATH")) {
        std::stringstream ss(env);
        std::string item;
        while (std::getline(ss, item, ':')) {
            if (!item.empty()) {
                dirs.push_back(item);
            }
        }
    }
    for (const char* d : {SPACEUSE_INSTALL_PROFILE_DIR, SPACEUSE_SOURCE_PROFILE_DIR}) {
        if (*d != '\0') {
            dirs.emplace_back(d);
        }
    }
    return dirs;
}

Profile find_profile(const std::string& name, const std::vector<std::string>& search_dirs) {
    namespace fs = std::filesystem;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".toml") {
        if (!fs::exists(name)) {
            throw ConfigError("profile file not found: " + name);
        }
        return load_profile_file(name);
    }
    for (const auto& dir : search_dirs) {
        const fs::path candidate = fs::path(dir) / (name + ".toml");
        if (fs::exists(candidate)) {
            return load_profile_file(candidate.string());
        }
    }
    if (name == "default") {
        return Profile{};
    }
    std::string dirs;
    for (const auto& d : search_dirs) {
        dirs += (dirs.empty() ? "" : ", ") + d;
    }
    throw ConfigError("no profile named '" + name + "' (looked in: " + dirs + ")");
}

ParcelStatus parse_status(const std::string& text, const std::string& where) {
    if (text == "occupied") {
        return ParcelStatus::occupied;
    }
    if (text == "underused") {
        return ParcelStatus::underused;
    }
    if (text == "vacant") {
        return ParcelStatus::vacant;
    }
    throw ConfigError(where + ": status '" + text + "' is not occupied, underused or vacant");
}

std::map<std::string, ParcelStatus> parse_status_map(const std::string& text) {
    std::map<std::string, ParcelStatus> map;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        if (item.empty()) {
            continue;
        }
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw ConfigError("status map entry '" + item + "' is not VALUE=STATUS");
        }
        map[item.substr(0, eq)] = parse_status(item.substr(eq + 1), "status map");
    }
    return map;
}

}  // namespace spaceuse
