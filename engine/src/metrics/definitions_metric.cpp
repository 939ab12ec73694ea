// The definitions metric: every parcel classified under several definitions of available land
// (rule sets, definitions.hpp) side by side, with the area per class and zone and a disagreement
// matrix on the common scale.

#include "layer_rows.hpp"
#include "../registry/builtin.hpp"
#include "../util/config_text.hpp"
#include "../util/parallel.hpp"

#include <spaceuse/definitions.hpp>
#include <spaceuse/error.hpp>
#include <spaceuse/occupancy.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <set>

namespace spaceuse::detail {

namespace {

constexpr auto real = FieldType::real;
constexpr auto integer = FieldType::integer;
constexpr auto string = FieldType::string;
constexpr std::size_t n_levels = 3;

/// Where a definition's mapped fields are in the layers, checked against their types.
struct FieldIndex {
    std::map<std::string, std::size_t> parcels;  ///< field key → parcels field index
    std::optional<std::size_t> own_address;      ///< buildings field index
};

enum class KeyType { number, boolean, text, date };

KeyType key_type(const std::string& key) {
    if (key == "improvement_value" || key == "land_value" || key == "vacant_floor_share") {
        return KeyType::number;
    }
    if (key == "in_use" || key == "issued" || key == "issuable_now" || key == "own_address") {
        return KeyType::boolean;
    }
    if (key == "issue_date") {
        return KeyType::date;
    }
    return KeyType::text;
}

/// `from_run`: the keys mapped by the run ([definitions] fields, --definition-fields) rather
/// than by the profile file, which errors then name.
FieldIndex resolve_fields(const Definition& d, const std::set<std::string>& from_run,
                          const Layer& parcels, const Layer& buildings) {
    FieldIndex out;
    for (const auto& [key, field] : d.fields) {
        const Layer& layer = key == "own_address" ? buildings : parcels;
        const std::string where = from_run.count(key) != 0
                                      ? "fields: " + key + "=" + field + " (profile " + d.name + ")"
                                      : d.origin + ": [fields] " + key + " = \"" + field + "\"";
        const auto index = layer.field_index(field);
        if (!index) {
            std::string names;
            for (const auto& f : layer.fields) {
                names += (names.empty() ? "" : ", ") + f.name;
            }
            throw ConfigError(where + ": the " + layer.name +
                              " layer has no such field (fields: " + names + ")");
        }
        const FieldType type = layer.fields[*index].type;
        bool ok = true;
        switch (key_type(key)) {
        case KeyType::number:
            ok = type == FieldType::integer || type == FieldType::real;
            break;
        case KeyType::boolean:
            ok = type == FieldType::integer || type == FieldType::string;
            break;
        case KeyType::date:
            ok = type == FieldType::date || type == FieldType::string;
            break;
        case KeyType::text:
            ok = type == FieldType::string || type == FieldType::integer;
            break;
        }
        if (!ok) {
            static const char* wanted[] = {"a number (integer or real)",
                                           "a flag (integer 0/1 or text true/false)",
                                           "a text or an integer code", "a date"};
            throw ConfigError(where + ": the field is " + field_type_name(type) + ", " + key +
                              " needs " + wanted[static_cast<std::size_t>(key_type(key))]);
        }
        if (key == "own_address") {
            out.own_address = index;
        } else {
            out.parcels[key] = *index;
        }
    }
    return out;
}

/// A flag value: integers (non-zero: true), texts true/false, yes/no, y/n, 1/0; else unknown.
std::optional<bool> flag_value(const Value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
        return *i != 0;
    }
    if (const auto* s = std::get_if<std::string>(&v)) {
        std::string t;
        for (const char c : *s) {
            t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (t == "true" || t == "yes" || t == "y" || t == "1" || t == "t") {
            return true;
        }
        if (t == "false" || t == "no" || t == "n" || t == "0" || t == "f") {
            return false;
        }
    }
    return std::nullopt;
}

/// The figures of the parcels a definition reads: the run's, or its own free space.
struct DefinitionRun {
    Definition definition;
    std::string column;
    /// Field keys the run maps (over the profile's own [fields]).
    std::set<std::string> from_run;
    /// Its own occupancy overlay, when its free-space parameters differ from the run's.
    std::shared_ptr<const OccupancyResult> own;
};

enum Fact : std::size_t {
    f_area,
    f_built,
    f_unbuilt,
    f_coverage,
    f_n_buildings,
    f_largest_building,
    f_n_main,
    f_floor,
    f_far,
    f_free,
    f_largest_free,
    f_status_value,
    f_improvement_value,
    f_land_value,
    f_improvement_ratio,
    f_values_mapped,
    f_in_use,
    f_offer,
    f_issued,
    f_issuable_now,
    f_owner,
    f_vacant_floor_share,
    f_n_addressed,
    f_count
};

class DefinitionsMetric : public Metric, public ManifestSection {
public:
    void configure(const MetricOptions& o, const MetricPlan& plan) override {
        const MetricOptions* occupancy = plan.used_options("occupancy");
        m_status_field = occupancy != nullptr ? occupancy->text("status_field") : "";
        m_occupancy.zone_name_field = occupancy != nullptr ? occupancy->text("zone_name_field")
                                                           : "";
        m_occupancy.floors_field = occupancy != nullptr ? occupancy->text("floors_field") : "";
        m_occupancy.height_field = occupancy != nullptr ? occupancy->text("height_field") : "";
        m_occupancy.status_field = m_status_field;
        const auto& names = o.list("profiles");
        if (names.empty()) {
            throw ConfigError("definitions needs at least one profile (profiles = [\"vlaio\", "
                              "\"ibis\", ...] or --profiles vlaio,ibis)");
        }
        std::map<std::string, std::string> overrides;
        for (const auto& item : o.list("fields")) {
            const auto eq = item.find('=');
            const auto& keys = definition_field_keys();
            if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
                throw ConfigError("definitions: field mapping '" + item + "' is not KEY=FIELD");
            }
            const std::string key = item.substr(0, eq);
            if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
                std::string known;
                for (const auto& k : keys) {
                    known += (known.empty() ? "" : ", ") + k;
                }
                throw ConfigError("definitions: field mapping '" + item + "': unknown key '" + key +
                                  "' (known: " + known + ")");
            }
            overrides[key] = item.substr(eq + 1);
        }
        namespace fs = std::filesystem;
        auto resolved = [&plan](std::string name) {
            if (fs::path(name).extension() == ".toml" && !plan.base_dir.empty() &&
                fs::path(name).is_relative()) {
                name = (fs::path(plan.base_dir) / name).lexically_normal().string();
            }
            return name;
        };
        // The occupancy profile, read as rules, takes the run's overrides of its thresholds and
        // status values too, so that it gives exactly the occupancy status.
        const std::string occupancy_profile = occupancy != nullptr
                                                  ? resolved(occupancy->text("profile"))
                                                  : std::string();
        std::set<std::string> columns;
        for (const std::string& given : names) {
            const std::string name = resolved(given);
            DefinitionRun run;
            run.definition = find_definition(name, plan.profile_dirs, !m_status_field.empty());
            if (run.definition.from_thresholds && name == occupancy_profile) {
                Profile p = find_profile(name, plan.profile_dirs);
                if (auto v = occupancy->optional_number("vacant_below")) {
                    p.vacant_below = *v;
                }
                if (auto v = occupancy->optional_number("underused_below")) {
                    p.underused_below = *v;
                }
                for (const auto& [k, v] : parse_status_map(occupancy->text("status_map"))) {
                    p.status_values[k] = v;
                }
                run.definition = definition_from_profile(p, !m_status_field.empty());
            }
            for (const auto& [k, v] : overrides) {
                run.definition.fields[k] = v;
                run.from_run.insert(k);
            }
            run.column = field_prefix(run.definition.name);
            if (!columns.insert(run.column).second) {
                throw ConfigError("definitions: two profiles are named '" + run.definition.name +
                                  "' (or the same once written as a field name)");
            }
            m_runs.push_back(std::move(run));
        }
    }

    std::vector<std::pair<std::string, std::string>> definition() const override {
        std::vector<std::pair<std::string, std::string>> lines;
        for (const auto& run : m_runs) {
            const auto c = run.definition.content();
            lines.insert(lines.end(), c.begin(), c.end());
        }
        return lines;
    }

    MetricResult compute(const MetricInput& in) const override;

    void manifest(const MetricResult& result, nlohmann::json& m) const override {
        const auto& notes = *std::any_cast<const std::shared_ptr<const nlohmann::json>&>(
            result.data);
        m["definitions"] = notes;
    }

private:
    std::vector<DefinitionRun> m_runs;
    std::string m_status_field;
    OccupancyOptions m_occupancy;
};

MetricResult DefinitionsMetric::compute(const MetricInput& in) const {
    const auto& occ = in.result<OccupancyResult>("occupancy");
    const OccupancyOptions defaults;
    const Layer& parcels = *in.model().find(defaults.parcels_layer);
    const Layer& zones = *in.model().find(defaults.zones_layer);
    const Layer& buildings = *in.model().find(defaults.buildings_layer);
    const std::size_t n = occ.parcels.size();
    const std::size_t nd = m_runs.size();
    const std::optional<std::size_t> status_index = parcels.field_index(m_status_field);

    // Per definition: its fields, and its own free space when its parameters differ.
    std::vector<DefinitionRun> runs = m_runs;
    std::vector<FieldIndex> fields;
    auto notes = std::make_shared<nlohmann::json>(nlohmann::json::array());
    for (auto& run : runs) {
        const Definition& d = run.definition;
        fields.push_back(resolve_fields(d, run.from_run, parcels, buildings));
        const bool uses_free = d.uses_fact("free_m2") || d.uses_fact("largest_free_m2");
        const Profile& p = occ.profile;
        const bool differs = (d.setback_m && *d.setback_m != p.setback_m) ||
                             (d.min_free_area_m2 && *d.min_free_area_m2 != p.min_free_area_m2) ||
                             (d.min_free_width_m && *d.min_free_width_m != p.min_free_width_m);
        if (uses_free && (differs || !occ.free_space)) {
            OccupancyOptions options = m_occupancy;
            options.profile = p;
            options.profile.setback_m = d.setback_m.value_or(p.setback_m);
            options.profile.min_free_area_m2 = d.min_free_area_m2.value_or(p.min_free_area_m2);
            options.profile.min_free_width_m = d.min_free_width_m.value_or(p.min_free_width_m);
            options.free_space = true;
            options.threads = in.threads();
            run.own = std::make_shared<OccupancyResult>(compute_occupancy(in.model(), options));
        }
    }

    // Classify: one pass over the parcels, every definition per parcel.
    std::vector<Classification> cls(n * nd);
    parallel_for(n, worker_count(in.threads()), 1024, stateless, [&](Stateless&, std::size_t i) {
        std::vector<FactValue> facts(f_count);
        const ParcelResult& r = occ.parcels[i];
        const Feature& parcel = parcels.features[r.parcel];
        // The facts every definition reads alike, once per parcel.
        // A parcel GEOS could not compute (OccupancyResult::failures) has unknown figures, never
        // zeros: its definitions are "not computable".
        const bool computed = r.failed != ParcelFailure::all;
        facts[f_area] = r.area_m2;
        facts[f_built] = computed ? FactValue(r.built_m2) : FactValue();
        facts[f_unbuilt] = computed ? FactValue(std::max(0.0, r.area_m2 - r.built_m2))
                                    : FactValue();
        facts[f_coverage] = computed ? FactValue(r.coverage) : FactValue();
        facts[f_floor] = r.floor_m2 ? FactValue(*r.floor_m2) : FactValue();
        facts[f_far] = r.far ? FactValue(*r.far) : FactValue();
        facts[f_status_value] = status_index
                                    ? FactValue(value_as_text(parcel.attributes[*status_index]))
                                    : FactValue();
        for (std::size_t d = 0; d < nd; ++d) {
            const DefinitionRun& run = runs[d];
            const Definition& def = run.definition;
            const FieldIndex& fi = fields[d];
            const OccupancyResult& source = run.own ? *run.own : occ;
            const ParcelResult& s = source.parcels[i];
            double n_buildings = 0.0;
            double largest = 0.0;
            double main = 0.0;
            double addressed = 0.0;
            bool address_known = fi.own_address.has_value();
            for (std::size_t k = occ.part_offsets[i]; k < occ.part_offsets[i + 1]; ++k) {
                const BuildingPart& part = occ.building_parts[k];
                if (part.area_m2 < def.min_building_part_m2) {
                    continue;  // a sliver, not a building of the parcel
                }
                n_buildings += 1;
                largest = std::max(largest, part.area_m2);
                if (part.area_m2 >= def.main_building_m2 && part.area_m2 > 0) {
                    main += 1;
                }
                if (fi.own_address) {
                    const auto flag = flag_value(
                        buildings.features[part.building].attributes[*fi.own_address]);
                    if (!flag) {
                        address_known = false;
                    } else if (*flag) {
                        addressed += 1;
                    }
                }
            }
            facts[f_n_buildings] = computed ? FactValue(n_buildings) : FactValue();
            facts[f_largest_building] = computed ? FactValue(largest) : FactValue();
            facts[f_n_main] = computed ? FactValue(main) : FactValue();
            const bool free_known = (run.own || occ.free_space) && s.failed == ParcelFailure::none;
            facts[f_free] = free_known ? FactValue(s.free_m2) : FactValue();
            facts[f_largest_free] = free_known ? FactValue(s.largest_free_m2) : FactValue();
            auto attribute = [&](const char* key) -> const Value* {
                const auto it = fi.parcels.find(key);
                if (it == fi.parcels.end()) {
                    return nullptr;
                }
                const Value& v = parcel.attributes[it->second];
                return std::holds_alternative<std::monostate>(v) ? nullptr : &v;
            };
            auto number = [&](const char* key) -> FactValue {
                const Value* v = attribute(key);
                const auto x = v != nullptr ? value_as_number(*v) : std::nullopt;
                return x ? FactValue(*x) : FactValue();
            };
            auto flag = [&](const char* key) -> FactValue {
                const Value* v = attribute(key);
                const auto b = v != nullptr ? flag_value(*v) : std::nullopt;
                return b ? FactValue(*b) : FactValue();
            };
            auto label = [&](const char* key) -> FactValue {
                const Value* v = attribute(key);
                return v != nullptr ? FactValue(value_as_text(*v)) : FactValue();
            };
            facts[f_improvement_value] = number("improvement_value");
            facts[f_land_value] = number("land_value");
            const auto* iv = std::get_if<double>(&facts[f_improvement_value]);
            const auto* lv = std::get_if<double>(&facts[f_land_value]);
            facts[f_improvement_ratio] = iv != nullptr && lv != nullptr && *lv > 0
                                             ? FactValue(*iv / *lv)
                                             : FactValue();
            facts[f_values_mapped] = fi.parcels.count("improvement_value") != 0 &&
                                     fi.parcels.count("land_value") != 0;
            facts[f_in_use] = flag("in_use");
            facts[f_offer] = label("offer");
            if (fi.parcels.count("issued") != 0) {
                facts[f_issued] = flag("issued");
            } else if (fi.parcels.count("issue_date") != 0) {
                const Value* date = attribute("issue_date");
                facts[f_issued] = date != nullptr && !value_as_text(*date).empty();
            } else {
                facts[f_issued] = FactValue();
            }
            facts[f_issuable_now] = flag("issuable_now");
            facts[f_owner] = label("owner");
            facts[f_vacant_floor_share] = number("vacant_floor_share");
            facts[f_n_addressed] = address_known ? FactValue(addressed) : FactValue();
            cls[i * nd + d] = classify(def, facts);
        }
    });

    // Per parcel: the area counted (its part inside its zone) and its level per definition.
    auto level_of = [&](std::size_t i, std::size_t d) -> std::optional<Level> {
        const Classification& c = cls[i * nd + d];
        if (!c.cls) {
            return std::nullopt;
        }
        return runs[d].definition.classes[*c.cls].level;
    };
    auto distinct_levels = [&](std::size_t i) {
        std::array<bool, n_levels> seen{};
        int count = 0;
        for (std::size_t d = 0; d < nd; ++d) {
            if (const auto l = level_of(i, d); l && !seen[static_cast<std::size_t>(*l)]) {
                seen[static_cast<std::size_t>(*l)] = true;
                ++count;
            }
        }
        return count;
    };

    MetricResult out;
    OutputLayer pl;
    pl.name = "parcel_definitions";
    pl.fields = {{"parcel_id", string}, {"zone_id", string}, {"area_m2", real, 2}};
    for (const auto& run : runs) {
        pl.fields.push_back({run.column + "_class", string});
        pl.fields.push_back({run.column + "_level", string});
        pl.fields.push_back({run.column + "_rule", string});
    }
    pl.fields.push_back({"n_levels", integer});
    pl.rows.prepare(pl.fields, n);
    const auto& facts = definition_facts();
    parallel_for(n, worker_count(in.threads()), 1024, stateless, [&](Stateless&, std::size_t i) {
        const ParcelResult& r = occ.parcels[i];
        std::vector<Value> row;
        row.reserve(pl.fields.size());
        row.emplace_back(parcels.features[r.parcel].id);
        row.push_back(r.zone ? Value(zones.features[*r.zone].id) : Value(std::monostate{}));
        row.emplace_back(r.area_m2);
        for (std::size_t d = 0; d < nd; ++d) {
            const Classification& c = cls[i * nd + d];
            const Definition& def = runs[d].definition;
            if (c.cls) {
                row.emplace_back(def.classes[*c.cls].name);
                row.emplace_back(std::string(level_name(def.classes[*c.cls].level)));
                row.emplace_back(def.rules[c.rule].name);
            } else {
                row.emplace_back(std::monostate{});
                row.emplace_back(std::monostate{});
                row.emplace_back("not computable: needs " + facts[c.missing_fact].name);
            }
        }
        row.emplace_back(std::int64_t{distinct_levels(i)});
        pl.rows.set_row(i, row);
    });

    // Per zone (and all zones) and definition: area and parcels per class and per level.
    const std::size_t nz = zones.features.size();
    struct Tally {
        std::vector<double> class_m2;
        std::vector<std::int64_t> class_n;
        std::array<double, n_levels + 1> level_m2{};  // the last: not computable
        std::array<std::int64_t, n_levels + 1> level_n{};
    };
    std::vector<std::vector<Tally>> tally(nz + 1, std::vector<Tally>(nd));
    for (auto& zone : tally) {
        for (std::size_t d = 0; d < nd; ++d) {
            zone[d].class_m2.assign(runs[d].definition.classes.size(), 0.0);
            zone[d].class_n.assign(runs[d].definition.classes.size(), 0);
        }
    }
    std::vector<std::vector<double>> diff_m2(nd, std::vector<double>(nd, 0.0));
    std::vector<std::vector<std::int64_t>> diff_n(nd, std::vector<std::int64_t>(nd, 0));
    std::vector<std::vector<std::int64_t>> uncompared(nd, std::vector<std::int64_t>(nd, 0));
    // Areas count each parcel's parts inside the zones (as the zone table does), so the levels
    // of a zone add up to its net area; parcels count in the zone of their largest part.
    std::size_t split = 0;
    std::vector<std::pair<std::size_t, double>> parts;
    for (std::size_t i = 0; i < n; ++i) {
        const ParcelResult& r = occ.parcels[i];
        parts.clear();
        while (split < occ.split_parcels.size() && occ.split_parcels[split].parcel == i) {
            parts.emplace_back(occ.split_parcels[split].zone, occ.split_parcels[split].area_m2);
            ++split;
        }
        if (parts.empty() && r.zone) {
            parts.emplace_back(*r.zone, r.area_m2);
        }
        if (parts.empty()) {
            continue;  // outside every zone
        }
        double area = 0.0;
        for (std::size_t d = 0; d < nd; ++d) {
            const Classification& c = cls[i * nd + d];
            const std::size_t level = c.cls ? static_cast<std::size_t>(
                                                  runs[d].definition.classes[*c.cls].level)
                                            : n_levels;
            for (const auto& [z, a] : parts) {
                for (Tally* t : {&tally[z][d], &tally[nz][d]}) {
                    if (c.cls) {
                        t->class_m2[*c.cls] += a;
                    }
                    t->level_m2[level] += a;
                }
            }
            if (r.zone) {
                for (Tally* t : {&tally[*r.zone][d], &tally[nz][d]}) {
                    if (c.cls) {
                        ++t->class_n[*c.cls];
                    }
                    ++t->level_n[level];
                }
            }
        }
        for (const auto& part : parts) {
            area += part.second;
        }
        for (std::size_t a = 0; a < nd; ++a) {
            for (std::size_t b = 0; b < nd; ++b) {
                const auto la = level_of(i, a);
                const auto lb = level_of(i, b);
                if (!la || !lb) {
                    uncompared[a][b] += a != b ? 1 : 0;
                } else if (*la != *lb) {
                    diff_m2[a][b] += area;
                    ++diff_n[a][b];
                }
            }
        }
    }
    auto zone_id = [&](std::size_t z) {
        return z == nz ? std::string("ALL") : zones.features[z].id;
    };
    auto zone_name = [&](std::size_t z) {
        return z == nz ? std::string("All zones") : occ.zones[z].name;
    };

    OutputLayer zt;
    zt.name = "definition_zones";
    zt.fields = {{"zone_id", string}, {"name", string},      {"profile", string},
                 {"class", string},   {"level", string},     {"area_m2", real, 2},
                 {"share", real, 4},  {"n_parcels", integer}};
    OutputLayer lt;
    lt.name = "definition_levels";
    lt.fields = {{"zone_id", string},
                 {"name", string},
                 {"profile", string},
                 {"gross_m2", real, 2},
                 {"net_m2", real, 2},
                 {"available_m2", real, 2},
                 {"partly_available_m2", real, 2},
                 {"not_available_m2", real, 2},
                 {"not_computable_m2", real, 2},
                 {"n_available", integer},
                 {"n_partly_available", integer},
                 {"n_not_available", integer},
                 {"n_not_computable", integer}};
    for (std::size_t z = 0; z <= nz; ++z) {
        const ZoneResult& zr = z == nz ? occ.total : occ.zones[z];
        for (std::size_t d = 0; d < nd; ++d) {
            const Tally& t = tally[z][d];
            const Definition& def = runs[d].definition;
            const double net = zr.net_m2;
            auto share = [net](double a) {
                return net > 0 ? Value(a / net) : Value(std::monostate{});
            };
            for (std::size_t c = 0; c < def.classes.size(); ++c) {
                zt.rows.push_back({zone_id(z), zone_name(z), def.name, def.classes[c].name,
                                   std::string(level_name(def.classes[c].level)), t.class_m2[c],
                                   share(t.class_m2[c]), t.class_n[c]});
            }
            if (tally[nz][d].level_n[n_levels] > 0) {
                zt.rows.push_back({zone_id(z), zone_name(z), def.name,
                                   std::string("not computable"), std::monostate{},
                                   t.level_m2[n_levels], share(t.level_m2[n_levels]),
                                   t.level_n[n_levels]});
            }
            lt.rows.push_back({zone_id(z), zone_name(z), def.name, zr.gross_m2, zr.net_m2,
                               t.level_m2[0], t.level_m2[1], t.level_m2[2], t.level_m2[3],
                               t.level_n[0], t.level_n[1], t.level_n[2], t.level_n[3]});
        }
    }

    OutputLayer mt;
    mt.name = "definition_matrix";
    mt.fields = {{"profile_a", string},
                 {"profile_b", string},
                 {"area_m2", real, 2},
                 {"n_parcels", integer},
                 {"n_not_compared", integer}};
    for (std::size_t a = 0; a < nd; ++a) {
        for (std::size_t b = 0; b < nd; ++b) {
            mt.rows.push_back({runs[a].definition.name, runs[b].definition.name, diff_m2[a][b],
                               diff_n[a][b], uncompared[a][b]});
        }
    }

    // The manifest: per definition, where it came from and what could not be computed.
    for (std::size_t d = 0; d < nd; ++d) {
        const Definition& def = runs[d].definition;
        std::map<std::string, std::int64_t> needs;
        for (std::size_t i = 0; i < n; ++i) {  // parcels in the zones, as the tables count
            const Classification& c = cls[i * nd + d];
            if (!c.cls && occ.parcels[i].zone) {
                ++needs[facts[c.missing_fact].name];
            }
        }
        nlohmann::json fields_json = nlohmann::json::object();
        for (const auto& [k, v] : def.fields) {
            fields_json[k] = v;
        }
        // The parcels whose own usable free space GEOS could not compute (their free facts are
        // unknown, so they may be "not computable"), the first 1,000 with GEOS's reason; those
        // of the run's occupancy are in occupancy.failed_parcels.
        std::int64_t n_failed = 0;
        nlohmann::json failed = nlohmann::json::array();
        if (runs[d].own) {
            n_failed = std::count_if(runs[d].own->failures.begin(), runs[d].own->failures.end(),
                                     [](const OccupancyResult::Failure& f) {
                return f.step != ParcelFailure::overlap;
            });
            failed = failed_parcels_json(*runs[d].own, false);
        }
        notes->push_back({{"name", def.name},
                          {"column", runs[d].column},
                          {"origin", def.origin},
                          {"source", def.source},
                          {"from_thresholds", def.from_thresholds},
                          {"own_free_space", runs[d].own != nullptr},
                          {"fields", fields_json},
                          {"not_computable", needs},
                          {"n_failed", n_failed},
                          {"failed_parcels", failed}});
    }

    out.layers.push_back(std::move(pl));
    out.layers.push_back(std::move(zt));
    out.layers.push_back(std::move(lt));
    out.layers.push_back(std::move(mt));
    out.set_data(notes);
    return out;
}

}  // namespace

void register_definitions_metric(MetricRegistry& registry) {
    MetricInfo info;
    info.name = "definitions";
    info.description = "Each parcel classified under several definitions of available land "
                       "(profiles as rule sets) side by side, on a common scale: available, "
                       "partly available, not available";
    info.uses = {"occupancy"};
    info.options = {
        {.name = "profiles",
         .type = OptionType::list,
         .help = "Definitions to compare: profile names (looked up in the profile folders) or "
                 ".toml files",
         .flag = "profiles",
         .affects_results = false},  // their content does (Metric::definition)
        {.name = "fields",
         .type = OptionType::list,
         .help = "Attribute fields for the profiles' facts, over the profiles' own [fields]: "
                 "KEY=FIELD,... (keys: improvement_value, land_value, in_use, offer, issued, "
                 "issue_date, issuable_now, owner, vacant_floor_share, own_address)",
         .flag = "definition-fields"},
    };
    info.outputs = {
        {"parcel_definitions",
         "One row per parcel: class, level and rule under each definition (a table: join it "
         "to parcels on parcel_id)",
         false,
         true,
         {{"parcel_id", string, "", "parcel id"},
          {"zone_id", string, "", "zone holding the largest part"},
          {"area_m2", real, "m2", "parcel area"},
          {"{K}_class", string, "", "class under definition K; null when not computable"},
          {"{K}_level", string, "", "available | partly available | not available"},
          {"{K}_rule", string, "", "the rule that gave the class, or what is missing"},
          {"n_levels", integer, "",
           "distinct levels among the definitions: 2 or more where two disagree"}}},
        {"definition_zones",
         "Area and parcels per zone (and ALL), definition and class",
         false,
         true,
         {{"zone_id", string, "", "zone id, or ALL"},
          {"name", string, "", "zone name"},
          {"profile", string, "", "definition"},
          {"class", string, "", "class, or \"not computable\""},
          {"level", string, "", "level of the class"},
          {"area_m2", real, "m2", "area of the parcels' parts inside the zone"},
          {"share", real, "fraction", "area / net area of the zone"},
          {"n_parcels", integer, "", "parcels"}}},
        {"definition_levels",
         "Area and parcels per zone (and ALL) and definition on the common scale",
         false,
         true,
         {{"zone_id", string, "", "zone id, or ALL"},
          {"name", string, "", "zone name"},
          {"profile", string, "", "definition"},
          {"gross_m2", real, "m2", "zone area"},
          {"net_m2", real, "m2", "parcel area inside the zone"},
          {"available_m2", real, "m2", "available"},
          {"partly_available_m2", real, "m2", "partly available"},
          {"not_available_m2", real, "m2", "not available"},
          {"not_computable_m2", real, "m2", "not computable (a fact is missing)"},
          {"n_available", integer, "", "parcels available"},
          {"n_partly_available", integer, "", "parcels partly available"},
          {"n_not_available", integer, "", "parcels not available"},
          {"n_not_computable", integer, "", "parcels not computable"}}},
        {"definition_matrix",
         "For each pair of definitions, the area and parcels on different levels",
         false,
         true,
         {{"profile_a", string, "", "definition"},
          {"profile_b", string, "", "definition"},
          {"area_m2", real, "m2", "area on different levels"},
          {"n_parcels", integer, "", "parcels on different levels"},
          {"n_not_compared", integer, "", "parcels not computable under one of the two"}}},
    };
    info.factory = [] { return std::make_unique<DefinitionsMetric>(); };
    registry.add(std::move(info));
}

}  // namespace spaceuse::detail
