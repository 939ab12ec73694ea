// Definitions of available land: reading rule sets, checking them, classifying a parcel.

#include "../util/config_text.hpp"

#include <spaceuse/definitions.hpp>
#include <spaceuse/error.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>
#include <sstream>

namespace spaceuse {

namespace {

constexpr auto number = FactType::number;
constexpr auto boolean = FactType::boolean;
constexpr auto text = FactType::text;

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        out += (out.empty() ? "" : ", ") + i;
    }
    return out;
}

/// The shortest text that reads back as `v` (thresholds are written as users wrote them).
std::string number_text(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

std::optional<std::size_t> fact_index(const std::string& name) {
    const auto& facts = definition_facts();
    for (std::size_t i = 0; i < facts.size(); ++i) {
        if (facts[i].name == name) {
            return i;
        }
    }
    return std::nullopt;
}

std::string fact_names() {
    std::vector<std::string> names;
    for (const auto& f : definition_facts()) {
        names.push_back(f.name);
    }
    return join(names);
}

/// Parses "FACT OP VALUE" (OP one of < <= > >= == !=; VALUE a number, true or false, or a
/// quoted text, as the fact's type asks). The grammar is three tokens, so a few lines of
/// scanning do; an expression library would accept far more than a rule file should.
Condition parse_condition(const std::string& written, const std::string& where) {
    static const std::vector<std::pair<std::string, Condition::Op>> ops = {
        {"<=", Condition::Op::le}, {">=", Condition::Op::ge}, {"==", Condition::Op::eq},
        {"!=", Condition::Op::ne}, {"<", Condition::Op::lt},  {">", Condition::Op::gt}};
    Condition c;
    c.text = written;
    std::size_t at = std::string::npos;
    std::size_t len = 0;
    for (const auto& [token, op] : ops) {
        const auto p = written.find(token);
        if (p != std::string::npos && (at == std::string::npos || p < at)) {
            at = p;
            len = token.size();
            c.op = op;
        }
    }
    if (at == std::string::npos) {
        throw ConfigError(where + ": condition '" + written +
                          "' is not FACT OP VALUE (OP: < <= > >= == !=)");
    }
    const std::string name = trim(written.substr(0, at));
    const std::string value = trim(written.substr(at + len));
    const auto index = fact_index(name);
    if (!index) {
        throw ConfigError(where + ": unknown fact '" + name + "' (known: " + fact_names() + ")");
    }
    c.fact = *index;
    const FactInfo& fact = definition_facts()[*index];
    const bool ordered = c.op != Condition::Op::eq && c.op != Condition::Op::ne;
    switch (fact.type) {
    case FactType::number: {
        double v = 0;
        const auto r = std::from_chars(value.data(), value.data() + value.size(), v);
        if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size()) {
            throw ConfigError(where + ": condition '" + written + "': " + name + " is a number, '" +
                              value + "' is not");
        }
        c.value = v;
        break;
    }
    case FactType::boolean:
        if (value != "true" && value != "false") {
            throw ConfigError(where + ": condition '" + written + "': " + name +
                              " is true or false, '" + value + "' is not");
        }
        if (ordered) {
            throw ConfigError(where + ": condition '" + written + "': " + name +
                              " is true or false; compare it with == or !=");
        }
        c.value = value == "true";
        break;
    case FactType::text:
        if (value.size() < 2 || (value.front() != '"' && value.front() != '\'') ||
            value.back() != value.front()) {
            throw ConfigError(where + ": condition '" + written + "': " + name +
                              " is a text; quote the value ('" + name + " == \"x\"')");
        }
        if (ordered) {
            throw ConfigError(where + ": condition '" + written + "': " + name +
                              " is a text; compare it with == or !=");
        }
        c.value = value.substr(1, value.size() - 2);
        break;
    }
    return c;
}

/// Three-valued truth: a condition on an unknown fact is unknown.
enum class Truth { no, yes, unknown };

Truth evaluate(const Condition& c, const std::vector<FactValue>& facts) {
    const FactValue& v = facts[c.fact];
    if (std::holds_alternative<std::monostate>(v)) {
        return Truth::unknown;
    }
    auto result = [](bool b) { return b ? Truth::yes : Truth::no; };
    if (const auto* x = std::get_if<double>(&v)) {
        const double y = std::get<double>(c.value);
        switch (c.op) {
        case Condition::Op::lt:
            return result(*x < y);
        case Condition::Op::le:
            return result(*x <= y);
        case Condition::Op::gt:
            return result(*x > y);
        case Condition::Op::ge:
            return result(*x >= y);
        case Condition::Op::eq:
            return result(*x == y);
        case Condition::Op::ne:
            return result(*x != y);
        }
    }
    const bool equal = v == c.value;
    return result(c.op == Condition::Op::eq ? equal : !equal);
}

Level parse_level(const std::string& value, const std::string& where) {
    if (value == "available") {
        return Level::available;
    }
    if (value == "partly available") {
        return Level::partly_available;
    }
    if (value == "not available") {
        return Level::not_available;
    }
    throw ConfigError(where + ": level '" + value +
                      "' is not \"available\", \"partly available\" or \"not available\"");
}

std::vector<std::string> string_list(const toml::node& node, const std::string& where) {
    std::vector<std::string> out;
    if (const auto s = node.value<std::string>()) {
        out.push_back(*s);
        return out;
    }
    const auto* array = node.as_array();
    if (array == nullptr) {
        throw ConfigError(where + " must be a list of conditions (\"FACT OP VALUE\")");
    }
    for (const auto& item : *array) {
        const auto s = item.value<std::string>();
        if (!s) {
            throw ConfigError(where + " must be a list of conditions (\"FACT OP VALUE\")");
        }
        out.push_back(*s);
    }
    return out;
}

double number_value(const toml::node& node, const std::string& where) {
    if (auto v = node.value<double>()) {
        if (*v >= 0) {
            return *v;
        }
    }
    throw ConfigError(where + " must be a number >= 0");
}

std::string string_value(const toml::node& node, const std::string& where) {
    if (auto v = node.value<std::string>()) {
        return *v;
    }
    throw ConfigError(where + " must be a text");
}

/// Checks the rules as a whole: none after one that always holds, the last always holds.
void check_rules(const Definition& d, const std::string& where) {
    if (d.classes.empty() || d.rules.empty()) {
        throw ConfigError(where + ": a definition needs [[classes]] and [[rules]]");
    }
    for (std::size_t r = 0; r + 1 < d.rules.size(); ++r) {
        if (d.rules[r].always()) {
            throw ConfigError(where + ": rule " + std::to_string(r + 2) + " (" +
                              d.rules[r + 1].name + ") follows rule " + std::to_string(r + 1) +
                              " (" + d.rules[r].name +
                              "), which always holds, so it can never apply");
        }
    }
    if (!d.rules.back().always()) {
        throw ConfigError(where + ": the last rule (" + d.rules.back().name +
                          ") must always hold (no conditions), so that every parcel gets a class");
    }
}

Definition read_rule_set(const toml::table& table, const std::string& path) {
    Definition d;
    d.origin = path;
    d.name = std::filesystem::path(path).stem().string();
    const toml::array* rules = nullptr;
    for (const auto& [key, node] : table) {
        const std::string k(key.str());
        const std::string where = path + ": key '" + k + "'";
        if (k == "name") {
            d.name = string_value(node, where);
        } else if (k == "description") {
            d.description = string_value(node, where);
        } else if (k == "source") {
            d.source = string_value(node, where);
        } else if (k == "main_building_m2") {
            d.main_building_m2 = number_value(node, where);
        } else if (k == "min_building_part_m2") {
            d.min_building_part_m2 = number_value(node, where);
        } else if (k == "setback_m") {
            d.setback_m = number_value(node, where);
        } else if (k == "min_free_area_m2") {
            d.min_free_area_m2 = number_value(node, where);
        } else if (k == "min_free_width_m") {
            d.min_free_width_m = number_value(node, where);
        } else if (k == "fields") {
            const auto* fields = node.as_table();
            if (fields == nullptr) {
                throw ConfigError(where + " must be a table of KEY = \"field\"");
            }
            const auto& keys = definition_field_keys();
            for (const auto& [fk, fv] : *fields) {
                const std::string name(fk.str());
                if (std::find(keys.begin(), keys.end(), name) == keys.end()) {
                    throw ConfigError(path + ": [fields] " + name +
                                      " is unknown (known: " + join(keys) + ")");
                }
                d.fields[name] = string_value(fv, path + ": [fields] " + name);
            }
        } else if (k == "classes") {
            const auto* array = node.as_array();
            if (array == nullptr) {
                throw ConfigError(where + " must be an array of tables ([[classes]])");
            }
            for (std::size_t i = 0; i < array->size(); ++i) {
                const auto* t = (*array)[i].as_table();
                const std::string w = path + ": class " + std::to_string(i + 1);
                if (t == nullptr) {
                    throw ConfigError(w + " must be a table");
                }
                DefinitionClass c;
                bool has_level = false;
                for (const auto& [ck, cv] : *t) {
                    const std::string key_name(ck.str());
                    if (key_name == "name") {
                        c.name = string_value(cv, w + " name");
                    } else if (key_name == "level") {
                        c.level = parse_level(string_value(cv, w + " level"), w);
                        has_level = true;
                    } else if (key_name == "description") {
                        c.description = string_value(cv, w + " description");
                    } else {
                        throw ConfigError(w + ": key '" + key_name +
                                          "' is unknown (known: name, level, description)");
                    }
                }
                if (c.name.empty()) {
                    throw ConfigError(w + " has no name");
                }
                if (!has_level) {
                    throw ConfigError(path + ": class '" + c.name +
                                      "' has no level (available, partly available or not "
                                      "available)");
                }
                for (const auto& other : d.classes) {
                    if (other.name == c.name) {
                        throw ConfigError(path + ": class '" + c.name + "' is declared twice");
                    }
                }
                d.classes.push_back(std::move(c));
            }
        } else if (k == "rules") {
            rules = node.as_array();
            if (rules == nullptr) {
                throw ConfigError(where + " must be an array of tables ([[rules]])");
            }
        } else {
            throw ConfigError(
                where + " is unknown in a rule set (known: name, description, source, "
                        "main_building_m2, min_building_part_m2, setback_m, min_free_area_m2, "
                        "min_free_width_m, "
                        "fields, classes, rules)");
        }
    }
    // Rules after the classes, whatever the order of the keys in the file.
    for (std::size_t i = 0; rules != nullptr && i < rules->size(); ++i) {
        const auto* t = (*rules)[i].as_table();
        std::string w = path + ": rule " + std::to_string(i + 1);
        if (t == nullptr) {
            throw ConfigError(w + " must be a table");
        }
        Rule r;
        r.name = "rule " + std::to_string(i + 1);
        if (const auto* n = t->get("name")) {
            r.name = string_value(*n, w + " name");
            w += " (" + r.name + ")";
        }
        bool has_class = false;
        for (const auto& [rk, rv] : *t) {
            const std::string key_name(rk.str());
            if (key_name == "name") {
                continue;
            }
            if (key_name == "class") {
                const std::string cls = string_value(rv, w + " class");
                const auto it = std::find_if(d.classes.begin(), d.classes.end(),
                                             [&](const DefinitionClass& c) {
                    return c.name == cls;
                });
                if (it == d.classes.end()) {
                    std::vector<std::string> names;
                    for (const auto& c : d.classes) {
                        names.push_back(c.name);
                    }
                    throw ConfigError(w + ": unknown class '" + cls +
                                      "' (declared: " + join(names) + ")");
                }
                r.cls = static_cast<std::size_t>(it - d.classes.begin());
                has_class = true;
            } else if (key_name == "when" || key_name == "any") {
                for (const auto& c : string_list(rv, w + " " + key_name)) {
                    (key_name == "when" ? r.when : r.any).push_back(parse_condition(c, w));
                }
            } else {
                throw ConfigError(w + ": key '" + key_name +
                                  "' is unknown (known: name, class, when, any)");
            }
        }
        if (!has_class) {
            throw ConfigError(w + " has no class");
        }
        d.rules.push_back(std::move(r));
    }
    check_rules(d, path);
    return d;
}

}  // namespace

const char* level_name(Level level) noexcept {
    switch (level) {
    case Level::available:
        return "available";
    case Level::partly_available:
        return "partly available";
    case Level::not_available:
        return "not available";
    }
    return "?";
}

const std::vector<FactInfo>& definition_facts() {
    static const std::vector<FactInfo> facts = {
        {"area_m2", number, "parcel area (m²)", ""},
        {"built_m2", number, "built area: union of the footprints inside the parcel (m²)", ""},
        {"unbuilt_m2", number, "area_m2 - built_m2 (m²)", ""},
        {"coverage", number, "built_m2 / area_m2", ""},
        {"n_buildings", number,
         "buildings with a part inside the parcel (of at least min_building_part_m2)", ""},
        {"largest_building_m2", number,
         "largest footprint part of one building inside the parcel (m²)", ""},
        {"n_main_buildings", number,
         "buildings whose part inside the parcel is at least main_building_m2", ""},
        {"floor_m2", number, "floor area; unknown when a building's floors are", ""},
        {"far", number, "floor_m2 / area_m2", ""},
        {"free_m2", number,
         "usable free area (m²), with the definition's free-space parameters (else the run's)", ""},
        {"largest_free_m2", number, "largest usable free piece (m²), as free_m2", ""},
        {"status_value", text, "value of the occupancy status field (\"\" when null)", "status"},
        {"improvement_value", number, "improvement value (field improvement_value)",
         "improvement_value"},
        {"land_value", number, "land value (field land_value)", "land_value"},
        {"improvement_ratio", number, "improvement_value / land_value", "improvement_value"},
        {"values_mapped", boolean,
         "the definition maps both improvement_value and land_value (chooses a value rule or a "
         "lot-coverage variant)",
         ""},
        {"in_use", boolean, "the parcel is in use, wholly or partly (field in_use)", "in_use"},
        {"offer", text, "availability on the market (field offer)", "offer"},
        {"issued", boolean, "issued to a firm (field issued, else an issue date is recorded)",
         "issued"},
        {"issuable_now", boolean, "immediately issuable (field issuable_now)", "issuable_now"},
        {"owner", text, "owner kind, e.g. public or private (field owner)", "owner"},
        {"vacant_floor_share", number, "share of the floor area unused (field vacant_floor_share)",
         "vacant_floor_share"},
        {"n_addressed_buildings", number,
         "buildings with a part inside the parcel that have their own address (buildings field "
         "own_address)",
         "own_address"},
    };
    return facts;
}

const std::vector<std::string>& definition_field_keys() {
    static const std::vector<std::string> keys = {"improvement_value",
                                                  "land_value",
                                                  "in_use",
                                                  "offer",
                                                  "issued",
                                                  "issue_date",
                                                  "issuable_now",
                                                  "owner",
                                                  "vacant_floor_share",
                                                  "own_address"};
    return keys;
}

bool Definition::uses_fact(const std::string& fact) const {
    const auto index = fact_index(fact);
    for (const auto& r : rules) {
        for (const auto* list : {&r.when, &r.any}) {
            for (const auto& c : *list) {
                if (index && c.fact == *index) {
                    return true;
                }
            }
        }
    }
    return false;
}

std::vector<std::pair<std::string, std::string>> Definition::content() const {
    std::vector<std::pair<std::string, std::string>> lines;
    const std::string p = "definition." + name + ".";
    for (std::size_t i = 0; i < classes.size(); ++i) {
        lines.emplace_back(p + "class." + std::to_string(i + 1),
                           classes[i].name + " (" + level_name(classes[i].level) + ")");
    }
    for (std::size_t i = 0; i < rules.size(); ++i) {
        std::string r = rules[i].name + " -> " + classes[rules[i].cls].name;
        for (const auto& c : rules[i].when) {
            r += "; when " + c.text;
        }
        for (const auto& c : rules[i].any) {
            r += "; any " + c.text;
        }
        lines.emplace_back(p + "rule." + std::to_string(i + 1), r);
    }
    for (const auto& [k, v] : fields) {
        lines.emplace_back(p + "field." + k, v);
    }
    lines.emplace_back(p + "main_building_m2", number_text(main_building_m2));
    lines.emplace_back(p + "min_building_part_m2", number_text(min_building_part_m2));
    if (setback_m) {
        lines.emplace_back(p + "setback_m", number_text(*setback_m));
    }
    if (min_free_area_m2) {
        lines.emplace_back(p + "min_free_area_m2", number_text(*min_free_area_m2));
    }
    if (min_free_width_m) {
        lines.emplace_back(p + "min_free_width_m", number_text(*min_free_width_m));
    }
    return lines;
}

Definition definition_from_profile(const Profile& profile, bool status_field_mapped) {
    Definition d;
    d.name = profile.name;
    d.description = profile.description;
    d.source = "spaceuse occupancy profile (thresholds on coverage)";
    d.origin = profile.origin;
    d.from_thresholds = true;
    d.classes = {{"vacant", Level::available, "coverage below vacant_below"},
                 {"underused", Level::partly_available, "coverage below underused_below"},
                 {"occupied", Level::not_available, "the rest"}};
    const std::string where = profile.origin + " (as rules)";
    auto rule = [&](const std::string& name, std::size_t cls, const std::string& condition) {
        Rule r;
        r.name = name;
        r.cls = cls;
        if (!condition.empty()) {
            r.when.push_back(parse_condition(condition, where));
        }
        d.rules.push_back(std::move(r));
    };
    if (status_field_mapped) {
        for (const auto& [value, status] : profile.status_values) {
            const std::size_t cls = status == ParcelStatus::vacant      ? 0
                                    : status == ParcelStatus::underused ? 1
                                                                        : 2;
            rule("status " + value, cls, "status_value == \"" + value + "\"");
        }
    }
    rule("vacant_below", 0, "coverage < " + number_text(profile.vacant_below));
    rule("underused_below", 1, "coverage < " + number_text(profile.underused_below));
    rule("otherwise", 2, "");
    return d;
}

Definition load_definition_file(const std::string& path, bool status_field_mapped) {
    const toml::table table = detail::parse_toml_file(path);
    if (table.contains("rules") || table.contains("classes")) {
        return read_rule_set(table, path);
    }
    return definition_from_profile(load_profile_file(path), status_field_mapped);
}

Definition find_definition(const std::string& name, const std::vector<std::string>& search_dirs,
                           bool status_field_mapped) {
    namespace fs = std::filesystem;
    if (name.size() > 5 && name.substr(name.size() - 5) == ".toml") {
        if (!fs::exists(name)) {
            throw ConfigError("profile file not found: " + name);
        }
        return load_definition_file(name, status_field_mapped);
    }
    for (const auto& dir : search_dirs) {
        const fs::path candidate = fs::path(dir) / (name + ".toml");
        if (fs::exists(candidate)) {
            return load_definition_file(candidate.string(), status_field_mapped);
        }
    }
    // "default" has built-in thresholds (find_profile).
    return definition_from_profile(find_profile(name, search_dirs), status_field_mapped);
}

Classification classify(const Definition& definition, const std::vector<FactValue>& facts) {
    // The class is that of the first rule that holds. A rule that cannot be decided (a fact is
    // unknown) may or may not be that rule: the parcel is not computable unless every rule
    // that might decide gives the same class.
    Classification out;
    std::optional<std::size_t> undecided_class;
    std::size_t undecided_rule = 0;
    std::size_t undecided_fact = 0;
    for (std::size_t r = 0; r < definition.rules.size(); ++r) {
        const Rule& rule = definition.rules[r];
        Truth all = Truth::yes;
        std::size_t missing = 0;
        for (const auto& c : rule.when) {
            const Truth t = evaluate(c, facts);
            if (t == Truth::no) {
                all = Truth::no;
                break;
            }
            if (t == Truth::unknown && all == Truth::yes) {
                all = Truth::unknown;
                missing = c.fact;
            }
        }
        if (all != Truth::no && !rule.any.empty()) {
            Truth any = Truth::no;
            std::size_t any_missing = 0;
            for (const auto& c : rule.any) {
                const Truth t = evaluate(c, facts);
                if (t == Truth::yes) {
                    any = Truth::yes;
                    break;
                }
                if (t == Truth::unknown && any == Truth::no) {
                    any = Truth::unknown;
                    any_missing = c.fact;
                }
            }
            if (any == Truth::no) {
                all = Truth::no;
            } else if (any == Truth::unknown && all == Truth::yes) {
                all = Truth::unknown;
                missing = any_missing;
            }
        }
        if (all == Truth::no) {
            continue;
        }
        if (undecided_class && *undecided_class != rule.cls) {
            break;  // two rules that might decide give different classes
        }
        if (all == Truth::yes) {
            out.cls = rule.cls;
            out.rule = r;
            return out;
        }
        if (!undecided_class) {
            undecided_class = rule.cls;
            undecided_rule = r;
            undecided_fact = missing;
        }
    }
    out.rule = undecided_rule;
    out.missing_fact = undecided_fact;
    return out;
}

}  // namespace spaceuse
