// Scenario files (scenario.hpp): reading and checking them, and the capacity of one parcel.

#include "../util/config_text.hpp"
#include "../util/text.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/scenario.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

namespace spaceuse {

namespace {

std::string number_text(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

/// Reads the keys of one table, each once, and names the file and key in every error.
class Keys {
public:
    Keys(const toml::table& table, std::string path, std::string prefix)
        : m_table(table), m_path(std::move(path)), m_prefix(std::move(prefix)) {}

    std::string where(const std::string& key) const {
        return m_path + ": key '" + m_prefix + key + "'";
    }

    const toml::node* get(const std::string& key) {
        m_seen.push_back(key);
        return m_table.get(key);
    }

    /// A number in [min, max] (min exclusive when `open_min`).
    std::optional<double> number(const std::string& key, double min, double max,
                                 bool open_min = false, const char* range = nullptr) {
        const toml::node* n = get(key);
        if (n == nullptr) {
            return std::nullopt;
        }
        const auto v = n->value<double>();
        if (!v || !std::isfinite(*v) || *v < min || (open_min && *v == min) || *v > max) {
            std::string r = range != nullptr ? range : "";
            if (r.empty()) {
                r = (open_min ? "> " : ">= ") + number_text(min);
                if (max < std::numeric_limits<double>::max()) {
                    r += " and <= " + number_text(max);
                }
            }
            throw ConfigError(where(key) + " must be a number " + r +
                              (v ? " (it is " + number_text(*v) + ")" : ""));
        }
        return v;
    }

    std::optional<std::string> text(const std::string& key) {
        const toml::node* n = get(key);
        if (n == nullptr) {
            return std::nullopt;
        }
        const auto v = n->value<std::string>();
        if (!v) {
            throw ConfigError(where(key) + " must be a text");
        }
        return v;
    }

    /// Every key of the table was read.
    void check_all_known() const {
        for (const auto& [key, node] : m_table) {
            const std::string k(key.str());
            if (std::find(m_seen.begin(), m_seen.end(), k) == m_seen.end()) {
                std::string known;
                for (const auto& s : m_seen) {
                    known += (known.empty() ? "" : ", ") + s;
                }
                throw ConfigError(where(k) + " is unknown (known here: " + known + ")");
            }
        }
    }

private:
    const toml::table& m_table;
    std::string m_path;
    std::string m_prefix;
    std::vector<std::string> m_seen;
};

const toml::table& table_of(const toml::node* node, const std::string& where) {
    const auto* t = node != nullptr ? node->as_table() : nullptr;
    if (t == nullptr) {
        throw ConfigError(where + " must be a table");
    }
    return *t;
}

constexpr double unbounded = std::numeric_limits<double>::max();

/// The target keys of `[targets]` or `[zones.ID]`, over `base`.
ScenarioTargets read_targets(Keys& k, ScenarioTargets t) {
    if (auto v = k.number("max_coverage", 0.0, 1.0, true)) {
        t.max_coverage = v;
    }
    if (auto v = k.number("max_far", 0.0, unbounded)) {
        t.max_far = v;
    }
    if (auto v = k.number("max_floors", 1.0, unbounded)) {
        if (*v != std::floor(*v)) {
            throw ConfigError(k.where("max_floors") + " must be a whole number of floors");
        }
        t.max_floors = v;
    }
    if (auto v = k.number("max_height_m", 0.0, unbounded, true)) {
        t.max_height_m = v;
    }
    if (auto v = k.number("floor_height_m", 0.0, unbounded, true)) {
        t.floor_height_m = *v;
    }
    if (auto v = k.number("min_plot_m2", 0.0, unbounded)) {
        t.min_plot_m2 = *v;
    }
    if (auto v = k.number("floor_m2_per_job", 0.0, unbounded, true)) {
        t.floor_m2_per_job = v;
    }
    return t;
}

void check_floor_limit(const ScenarioTargets& t, const std::string& where) {
    if (!t.max_far && !t.max_floors && !t.max_height_m) {
        throw ConfigError(where + " sets no floor limit: give max_far, max_floors or max_height_m");
    }
    if (t.max_height_m && !t.max_floors && *t.max_height_m < t.floor_height_m) {
        throw ConfigError(where + ": max_height_m " + number_text(*t.max_height_m) +
                          " is lower than one floor (floor_height_m " +
                          number_text(t.floor_height_m) + ")");
    }
}

}  // namespace

std::optional<double> ScenarioTargets::floors() const {
    // Both limits hold: the lower one (a zone may add a height limit to the floors of all).
    std::optional<double> out = max_floors;
    if (max_height_m) {
        const double by_height = std::floor(*max_height_m / floor_height_m + 1e-9);
        out = out ? std::min(*out, by_height) : by_height;
    }
    return out;
}

const ScenarioTargets& Scenario::targets_of(const std::string& zone_id) const {
    const auto it = zones.find(zone_id);
    return it == zones.end() ? targets : it->second;
}

std::vector<std::pair<std::string, std::string>> Scenario::content() const {
    std::vector<std::pair<std::string, std::string>> lines;
    const std::string p = "scenario." + name + ".";
    auto targets_lines = [&](const std::string& prefix, const ScenarioTargets& t) {
        auto opt = [&](const char* key, const std::optional<double>& v) {
            if (v) {
                lines.emplace_back(prefix + key, number_text(*v));
            }
        };
        opt("max_coverage", t.max_coverage);
        opt("max_far", t.max_far);
        opt("max_floors", t.max_floors);
        opt("max_height_m", t.max_height_m);
        lines.emplace_back(prefix + "floor_height_m", number_text(t.floor_height_m));
        lines.emplace_back(prefix + "min_plot_m2", number_text(t.min_plot_m2));
        opt("floor_m2_per_job", t.floor_m2_per_job);
    };
    targets_lines(p, targets);
    for (const auto& [zone, t] : zones) {
        targets_lines(p + "zone." + zone + ".", t);
    }
    for (const auto& [key, v] :
         {std::pair{"setback_m", setback_m}, std::pair{"min_free_area_m2", min_free_area_m2},
          std::pair{"min_free_width_m", min_free_width_m}}) {
        if (v) {
            lines.emplace_back(p + key, number_text(*v));
        }
    }
    for (std::size_t i = 0; i < discounts.size(); ++i) {
        const auto& d = discounts[i];
        lines.emplace_back(p + "discount." + std::to_string(i + 1),
                           std::string(d.kind == ScenarioDiscount::Kind::infrastructure
                                           ? "infrastructure"
                                           : "not developing") +
                               " " + status_name(d.status) + " " + number_text(d.share));
    }
    for (const auto& c : criteria) {
        std::string v = c.source + (c.higher_is_better ? " higher" : " lower") + " weight " +
                        number_text(c.weight);
        for (const auto& [text, x] : c.values) {
            v += "; " + text + "=" + number_text(x);
        }
        lines.emplace_back(p + "criterion." + c.name, v);
    }
    return lines;
}

Scenario load_scenario_file(const std::string& path) {
    const toml::table table = detail::parse_toml_file(path);
    Scenario s;
    s.origin = path;
    s.name = std::filesystem::path(path).stem().string();
    Keys top(table, path, "");

    if (const toml::node* n = top.get("scenario")) {
        Keys k(table_of(n, path + ": [scenario]"), path, "scenario.");
        if (auto v = k.text("name")) {
            s.name = *v;
        }
        s.title = k.text("title").value_or("");
        s.description = k.text("description").value_or("");
        k.check_all_known();
    }
    if (s.name.empty()) {
        throw ConfigError(path + ": key 'scenario.name' must not be empty");
    }
    if (s.title.empty()) {
        s.title = s.name;
    }
    if (const toml::node* n = top.get("targets")) {
        Keys k(table_of(n, path + ": [targets]"), path, "targets.");
        s.targets = read_targets(k, {});
        k.check_all_known();
    }
    check_floor_limit(s.targets, path + ": [targets]");
    if (const toml::node* n = top.get("free_space")) {
        Keys k(table_of(n, path + ": [free_space]"), path, "free_space.");
        s.setback_m = k.number("setback_m", 0.0, unbounded);
        s.min_free_area_m2 = k.number("min_free_area_m2", 0.0, unbounded);
        s.min_free_width_m = k.number("min_free_width_m", 0.0, unbounded);
        k.check_all_known();
    }
    if (const toml::node* n = top.get("zones")) {
        const toml::table& zones = table_of(n, path + ": [zones]");
        for (const auto& [id, node] : zones) {
            const std::string zone(id.str());
            Keys k(table_of(&node, path + ": [zones." + zone + "]"), path, "zones." + zone + ".");
            s.zones[zone] = read_targets(k, s.targets);
            k.check_all_known();
            check_floor_limit(s.zones[zone], path + ": [zones." + zone + "]");
        }
    }
    if (const toml::node* n = top.get("discounts")) {
        const auto* array = n->as_array();
        if (array == nullptr) {
            throw ConfigError(path +
                              ": key 'discounts' must be an array of tables ([[discounts]])");
        }
        for (std::size_t i = 0; i < array->size(); ++i) {
            const std::string w = path + ": key 'discounts[" + std::to_string(i + 1) + "]'";
            Keys k(table_of(&(*array)[i], w), path, "discounts[" + std::to_string(i + 1) + "].");
            ScenarioDiscount d;
            const std::string kind = k.text("kind").value_or("not developing");
            if (kind == "infrastructure") {
                d.kind = ScenarioDiscount::Kind::infrastructure;
            } else if (kind != "not developing") {
                throw ConfigError(k.where("kind") + ": '" + kind +
                                  "' is not \"not developing\" or \"infrastructure\"");
            }
            if (auto st = k.text("status")) {
                d.status = parse_status(*st, k.where("status"));
                if (d.kind == ScenarioDiscount::Kind::infrastructure &&
                    d.status != ParcelStatus::vacant) {
                    throw ConfigError(k.where("status") +
                                      ": the infrastructure deduction applies to vacant land");
                }
            } else if (d.kind == ScenarioDiscount::Kind::not_developing) {
                throw ConfigError(k.where("status") +
                                  " is missing: the land not developing (vacant, underused, "
                                  "occupied)");
            }
            const auto share = k.number("share", 0.0, 1.0);
            if (!share) {
                throw ConfigError(k.where("share") + " is missing (a share in [0, 1])");
            }
            d.share = *share;
            d.name = k.text("name").value_or("");
            if (d.name.empty()) {
                d.name = d.kind == ScenarioDiscount::Kind::infrastructure
                             ? "infrastructure on vacant land"
                             : std::string(status_name(d.status)) + " land not developing";
            }
            k.check_all_known();
            s.discounts.push_back(std::move(d));
        }
    }
    if (const toml::node* n = top.get("ranking")) {
        Keys k(table_of(n, path + ": [ranking]"), path, "ranking.");
        if (auto v = k.number("top", 1.0, 1000.0)) {
            s.top = static_cast<int>(*v);
        }
        const toml::node* c = k.get("criteria");
        const auto* array = c != nullptr ? c->as_array() : nullptr;
        if (array == nullptr || array->empty()) {
            throw ConfigError(k.where("criteria") +
                              " must be a non-empty array of tables ([[ranking.criteria]])");
        }
        k.check_all_known();
        double total = 0.0;
        for (std::size_t i = 0; i < array->size(); ++i) {
            const std::string w = path + ": key 'ranking.criteria[" + std::to_string(i + 1) + "]'";
            Keys ck(table_of(&(*array)[i], w), path,
                    "ranking.criteria[" + std::to_string(i + 1) + "].");
            ScenarioCriterion crit;
            crit.source = ck.text("source").value_or("");
            if (crit.source.empty()) {
                throw ConfigError(ck.where("source") + " is missing (what the criterion reads)");
            }
            crit.name = detail::field_prefix(ck.text("name").value_or(crit.source));
            const std::string better = ck.text("better").value_or("");
            if (better != "higher" && better != "lower") {
                throw ConfigError(ck.where("better") +
                                  " must be \"higher\" or \"lower\" (which values are better)");
            }
            crit.higher_is_better = better == "higher";
            crit.weight = ck.number("weight", 0.0, unbounded).value_or(1.0);
            total += crit.weight;
            if (const toml::node* v = ck.get("values")) {
                const toml::table& values = table_of(v, ck.where("values"));
                for (const auto& [text, x] : values) {
                    const auto number = x.value<double>();
                    if (!number || !std::isfinite(*number)) {
                        throw ConfigError(ck.where("values." + std::string(text.str())) +
                                          " must be a number");
                    }
                    crit.values[std::string(text.str())] = *number;
                }
            }
            ck.check_all_known();
            for (const auto& other : s.criteria) {
                if (other.name == crit.name) {
                    throw ConfigError(ck.where("name") + ": two criteria are named '" + crit.name +
                                      "'");
                }
            }
            s.criteria.push_back(std::move(crit));
        }
        if (!(total > 0)) {
            throw ConfigError(k.where("criteria") + ": the weights sum to zero");
        }
    }
    top.check_all_known();
    return s;
}

ParcelCapacity parcel_capacity(const ScenarioTargets& t, double area_m2, double built_m2,
                               std::optional<double> floor_m2, double land_m2) {
    ParcelCapacity out;
    if (area_m2 < t.min_plot_m2) {
        out.floor_m2 = 0.0;
        out.jobs = t.floor_m2_per_job ? std::optional<double>(0.0) : std::nullopt;
        out.note = "below the minimum plot size";
        return out;
    }
    // Footprint: inside the land that may be built, under the coverage cap.
    double room = std::max(0.0, land_m2);
    bool capped_by_coverage = false;
    if (t.max_coverage) {
        const double left = *t.max_coverage * area_m2 - built_m2;
        if (left <= room) {
            room = std::max(0.0, left);
            capped_by_coverage = true;
        }
    }
    out.footprint_m2 = room;
    // Floor area: under the FAR cap and the floor limit on the whole footprint.
    std::optional<double> cap;
    if (t.max_far) {
        cap = *t.max_far * area_m2;
    }
    if (const auto floors = t.floors()) {
        const double by_floors = *floors * (built_m2 + out.footprint_m2);
        cap = cap ? std::min(*cap, by_floors) : by_floors;
    }
    if (floor_m2 && cap) {
        out.floor_m2 = std::max(0.0, *cap - *floor_m2);
        if (t.floor_m2_per_job) {
            out.jobs = *out.floor_m2 / *t.floor_m2_per_job;
        }
    }
    if (!floor_m2) {
        out.note = "floor area built unknown";
    } else if (out.footprint_m2 == 0.0 && out.floor_m2.value_or(0.0) == 0.0) {
        out.note = capped_by_coverage && land_m2 > 0 ? "at or above the coverage cap"
                   : land_m2 <= 0                    ? "no usable free land"
                                                     : "at or above the floor-area cap";
    } else if (out.floor_m2.value_or(0.0) == 0.0) {
        out.note = "at or above the floor-area cap";
    }
    return out;
}

}  // namespace spaceuse
