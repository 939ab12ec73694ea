// The scenarios metric: per parcel and scenario, the footprint and floor area that still fit
// under the scenario's density targets; per zone, gross capacity, the discounts in the order
// the file writes them and net capacity, scenarios side by side; and an activation ranking
// whose every criterion's contribution is written beside the score.

#include "layer_rows.hpp"
#include "../registry/builtin.hpp"
#include "../util/config_text.hpp"
#include "../util/parallel.hpp"
#include "../util/text.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/occupancy.hpp>
#include <spaceuse/scenario.hpp>

#include <boost/geometry.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <mutex>
#include <set>
#include <unordered_map>

namespace spaceuse::detail {

namespace {

namespace bg = boost::geometry;

constexpr auto real = FieldType::real;
constexpr auto integer = FieldType::integer;
constexpr auto string = FieldType::string;

/// Figures of the scenario and of occupancy a criterion may read by name.
const std::vector<std::string>& builtin_sources() {
    static const std::vector<std::string> names = {
        "added_floor_m2", "added_footprint_m2", "added_jobs", "land_m2",
        "area_m2",        "built_m2",           "coverage",   "far",
        "free_m2",        "largest_free_m2",    "status"};
    return names;
}

/// Where a criterion reads its values.
struct CriterionSource {
    enum class Kind { builtin, output, attribute } kind = Kind::builtin;
    std::string layer;  ///< output layer (Kind::output)
    std::string field;  ///< field, or the built-in name
};

CriterionSource parse_source(const std::string& source) {
    CriterionSource s;
    const auto dot = source.find('.');
    if (dot == std::string::npos) {
        s.field = source;
        return s;
    }
    s.layer = source.substr(0, dot);
    s.field = source.substr(dot + 1);
    s.kind = s.layer == "parcels" ? CriterionSource::Kind::attribute
                                  : CriterionSource::Kind::output;
    return s;
}

/// The metric declaring the output layer `layer`, or nullptr.
const MetricInfo* writer_of(const MetricRegistry& registry, const std::string& layer) {
    for (const auto& m : registry.all()) {
        for (const auto& o : m.outputs) {
            if (o.name == layer) {
                return &m;
            }
        }
    }
    return nullptr;
}

/// A value of a criterion on one parcel: a number, or nothing.
using Cell = std::optional<double>;

/// Capacity buckets of one zone and scenario, per status.
struct Buckets {
    std::array<double, 3> footprint{};
    std::array<double, 3> floor{};
    std::array<double, 3> jobs{};
};

double sum(const std::array<double, 3>& a) { return a[0] + a[1] + a[2]; }

class ScenariosMetric : public Metric, public ManifestSection {
public:
    std::vector<std::string> more_uses(const MetricOptions& o,
                                       const MetricPlan& plan) const override {
        load(o, plan);
        std::vector<std::string> out;
        auto add = [&out](const std::string& name) {
            if (std::find(out.begin(), out.end(), name) == out.end()) {
                out.push_back(name);
            }
        };
        for (const auto& s : m_scenarios) {
            for (std::size_t c = 0; c < s.criteria.size(); ++c) {
                const auto& crit = s.criteria[c];
                const CriterionSource src = parse_source(crit.source);
                const std::string where = s.origin + ": key 'ranking.criteria[" +
                                          std::to_string(c + 1) + "].source'";
                if (src.kind == CriterionSource::Kind::builtin) {
                    const auto& names = builtin_sources();
                    if (std::find(names.begin(), names.end(), src.field) == names.end()) {
                        throw ConfigError(where + ": '" + crit.source +
                                          "' is not a figure of the scenario or of occupancy (" +
                                          join(names) +
                                          "), an output LAYER.FIELD or parcels.FIELD");
                    }
                    if (!crit.values.empty() != (src.field == "status")) {
                        throw ConfigError(where +
                                          (src.field == "status"
                                               ? ": status is a text: give its numbers, values = "
                                                 "{ vacant = 1, underused = 0.5, occupied = 0 }"
                                               : ": values are for a text criterion only"));
                    }
                    continue;
                }
                if (src.field.empty()) {
                    throw ConfigError(where + ": '" + crit.source + "' names no field");
                }
                if (src.kind == CriterionSource::Kind::output) {
                    const MetricInfo* m = plan.registry != nullptr
                                              ? writer_of(*plan.registry, src.layer)
                                              : nullptr;
                    if (m == nullptr) {
                        throw ConfigError(where + ": no metric writes a layer '" + src.layer +
                                          "' (for an attribute of the parcels: parcels.FIELD)");
                    }
                    if (m->name == "scenarios") {
                        throw ConfigError(where + ": a scenario cannot rank by its own layers");
                    }
                    add(m->name);
                }
            }
        }
        // The developable land of the constraints metric, when the study runs it.
        if (plan.registry != nullptr && plan.registry->find("constraints") != nullptr &&
            plan.source_count("constraints") > 0 && plan.configures("constraints")) {
            add("constraints");
        }
        return out;
    }

    void configure(const MetricOptions& o, const MetricPlan& plan) override {
        load(o, plan);
        const MetricOptions* occupancy = plan.used_options("occupancy");
        if (occupancy != nullptr) {
            m_occupancy.zone_name_field = occupancy->text("zone_name_field");
            m_occupancy.floors_field = occupancy->text("floors_field");
            m_occupancy.height_field = occupancy->text("height_field");
            m_occupancy.status_field = occupancy->text("status_field");
        }
    }

    std::vector<std::pair<std::string, std::string>> definition() const override {
        std::vector<std::pair<std::string, std::string>> lines;
        for (const auto& s : m_scenarios) {
            const auto c = s.content();
            lines.insert(lines.end(), c.begin(), c.end());
        }
        return lines;
    }

    MetricResult compute(const MetricInput& in) const override;

    void manifest(const MetricResult& result, nlohmann::json& m) const override {
        m["scenarios"] = *std::any_cast<const std::shared_ptr<const nlohmann::json>&>(result.data);
    }

private:
    void load(const MetricOptions& o, const MetricPlan& plan) const {
        if (m_loaded) {
            return;
        }
        const auto& files = o.list("files");
        if (files.empty()) {
            throw ConfigError("scenarios needs at least one scenario file (files = "
                              "[\"scenarios/modest.toml\"] or spaceuse scenario FILE.toml)");
        }
        namespace fs = std::filesystem;
        std::set<std::string> names;
        for (std::string file : files) {
            if (fs::path(file).is_relative() && !plan.base_dir.empty()) {
                file = (fs::path(plan.base_dir) / file).lexically_normal().string();
            }
            if (!fs::exists(file)) {
                throw ConfigError("scenario file not found: " + file);
            }
            Scenario s = load_scenario_file(file);
            const std::string column = field_prefix(s.name);
            if (column == "baseline" || !names.insert(column).second) {
                throw ConfigError(file + ": key 'scenario.name': '" + s.name +
                                  (column == "baseline" ? "' is the name of the baseline"
                                                        : "' is the name of another scenario"));
            }
            s.name = column;
            m_scenarios.push_back(std::move(s));
        }
        m_loaded = true;
    }

    mutable bool m_loaded = false;
    mutable std::vector<Scenario> m_scenarios;
    OccupancyOptions m_occupancy;
};

/// Why a parcel's land is unknown under one scenario (Land::unknown).
enum LandUnknown : std::uint8_t {
    land_known = 0,
    land_own_free_space = 1,  ///< GEOS failed on the parcel in the scenario's own free space
    land_constraints = 2      ///< its free land minus the constraints failed
};

/// The land each parcel may be built on under one scenario, and where it comes from.
struct Land {
    std::vector<double> m2;
    /// Per parcel: a LandUnknown other than land_known when a geometry step of this scenario
    /// failed on it. Its m2 is then not its land (0 stands for unknown there): the parcel gets
    /// no capacity (null, noted), never the capacity of no land.
    std::vector<std::uint8_t> unknown;
    /// Those failures in parcel order, with the step and the reason, for the manifest.
    struct Failure {
        std::size_t parcel = 0;
        std::string step;
        std::string reason;
    };
    std::vector<Failure> failures;
    std::string source;
    std::shared_ptr<const OccupancyResult> own;
};

/// The note of a parcel without capacity in a zone (a figure GEOS or Boost.Geometry could not
/// compute).
const char* not_computed_note(std::uint8_t unknown) {
    return unknown == land_constraints
               ? "not computed (free land minus the constraints failed on the parcel)"
               : "not computed (GEOS failed on the parcel)";
}

MetricResult ScenariosMetric::compute(const MetricInput& in) const {
    const auto& occ = in.result<OccupancyResult>("occupancy");
    const OccupancyOptions defaults;
    const Layer& parcels = *in.model().find(defaults.parcels_layer);
    const Layer& zones = *in.model().find(defaults.zones_layer);
    const std::size_t n = occ.parcels.size();
    const std::size_t nz = zones.features.size();
    const std::size_t ns = m_scenarios.size();
    const unsigned workers = worker_count(in.threads());

    std::unordered_map<std::string, std::size_t> zone_index;
    for (std::size_t z = 0; z < nz; ++z) {
        zone_index.emplace(zones.features[z].id, z);
    }
    // Per scenario, the targets of each zone (index nz: none, for parcels outside).
    std::vector<std::vector<const ScenarioTargets*>> targets(ns);
    for (std::size_t s = 0; s < ns; ++s) {
        const Scenario& sc = m_scenarios[s];
        for (const auto& [zone, t] : sc.zones) {
            if (zone_index.count(zone) == 0) {
                std::vector<std::string> ids;
                for (std::size_t z = 0; z < std::min<std::size_t>(nz, 12); ++z) {
                    ids.push_back(zones.features[z].id);
                }
                throw ConfigError(sc.origin + ": key 'zones." + zone + "': no zone has the id '" +
                                  zone + "' (zones: " + join(ids) + (nz > 12 ? ", ..." : "") + ")");
            }
        }
        for (std::size_t z = 0; z < nz; ++z) {
            targets[s].push_back(&sc.targets_of(zones.features[z].id));
        }
    }

    // A parcel's row in another metric's layer: the same index when the first field holds the
    // parcel's id there (layers of one row per parcel in order), else found by id.
    // Parcels by id; the k-th row of an id goes to the k-th parcel of that id (ids may repeat).
    std::unordered_map<std::string, std::vector<std::size_t>> parcel_by_id;
    auto parcel_rows = [&](const OutputLayer& layer) {
        std::vector<std::optional<std::size_t>> row_of(parcels.features.size());
        bool in_order = layer.rows.size() == parcels.features.size();
        for (std::size_t i = 0; i < layer.rows.size() && in_order; ++i) {
            const Value cell = layer.rows[i][0];
            const auto* id = std::get_if<std::string>(&cell);
            in_order = id != nullptr && *id == parcels.features[i].id;
        }
        if (in_order) {
            for (std::size_t i = 0; i < row_of.size(); ++i) {
                row_of[i] = i;
            }
            return row_of;
        }
        if (parcel_by_id.empty()) {
            for (std::size_t i = 0; i < parcels.features.size(); ++i) {
                parcel_by_id[parcels.features[i].id].push_back(i);
            }
        }
        std::unordered_map<std::string, std::size_t> seen;
        for (std::size_t r = 0; r < layer.rows.size(); ++r) {
            const Value& v = layer.rows[r][0];
            if (std::holds_alternative<std::monostate>(v)) {
                continue;
            }
            const std::string id = value_as_text(v);
            const auto it = parcel_by_id.find(id);
            if (it == parcel_by_id.end()) {
                continue;
            }
            const std::size_t k = seen[id]++;
            if (k < it->second.size()) {
                row_of[it->second[k]] = r;
            }
        }
        return row_of;
    };

    // Land per scenario: the run's usable free land (developable land when the constraints
    // metric ran), or the scenario's own when its free-space parameters differ.
    const OutputLayer* constraints = in.output_layer("constraints_parcels");
    std::vector<Land> land(ns);
    std::map<std::array<double, 3>, std::shared_ptr<const OccupancyResult>> own_by_params;
    for (std::size_t s = 0; s < ns; ++s) {
        const Scenario& sc = m_scenarios[s];
        const Profile& p = occ.profile;
        const std::array<double, 3> params = {sc.setback_m.value_or(p.setback_m),
                                              sc.min_free_area_m2.value_or(p.min_free_area_m2),
                                              sc.min_free_width_m.value_or(p.min_free_width_m)};
        Land& l = land[s];
        l.m2.assign(n, 0.0);
        l.unknown.assign(n, land_known);
        const bool differs = params[0] != p.setback_m || params[1] != p.min_free_area_m2 ||
                             params[2] != p.min_free_width_m;
        if (differs || !occ.free_space) {
            auto& own = own_by_params[params];
            if (!own) {
                OccupancyOptions options = m_occupancy;
                options.profile = p;
                options.profile.setback_m = params[0];
                options.profile.min_free_area_m2 = params[1];
                options.profile.min_free_width_m = params[2];
                options.free_space = true;
                options.threads = in.threads();
                own = std::make_shared<OccupancyResult>(compute_occupancy(in.model(), options));
            }
            l.own = own;
            // A parcel whose own free space GEOS could not compute has free_m2 0 there, which
            // is not its free land: its land is unknown under this scenario. Its reason is kept
            // for the manifest (a pair whose overlap was not measured leaves the figures alone).
            for (const auto& f : own->failures) {
                if (f.step != ParcelFailure::overlap) {
                    l.unknown[f.parcel] = land_own_free_space;
                    l.failures.push_back(
                        {f.parcel, std::string("own ") + parcel_failure_name(f.step), f.reason});
                }
            }
            const auto cl = in.layers("constraints");
            if (constraints != nullptr && !cl.empty()) {
                // The scenario's own free pieces minus the constraints, as the constraints
                // metric computes developable land from the run's.
                std::vector<MultiPolygon> free_land(n);
                for (const auto& piece : own->free_pieces) {
                    for (const auto& poly : piece.polygon()) {
                        free_land[piece.parcel].push_back(poly);
                    }
                }
                const Layer& c = *cl.front();
                // Failures are rare: gathered under a lock, put in parcel order below.
                std::mutex mutex;
                std::vector<Land::Failure> failed;
                parallel_for(n, workers, 256, stateless, [&](Stateless&, std::size_t i) {
                    if (free_land[i].empty()) {
                        return;
                    }
                    MultiPolygon left = free_land[i];
                    try {
                        for (const std::size_t k : c.query(bg::return_envelope<Box>(left))) {
                            const auto* poly = std::get_if<MultiPolygon>(&c.features[k].geometry);
                            if (poly == nullptr) {
                                continue;
                            }
                            MultiPolygon out;
                            bg::difference(left, *poly, out);
                            left = std::move(out);
                        }
                    } catch (const bg::exception& e) {
                        // One parcel never stops a run: its land is unknown under this
                        // scenario (no capacity, noted), the reason kept for the manifest.
                        l.unknown[i] = land_constraints;
                        const std::lock_guard lock(mutex);
                        failed.push_back({i, "free land minus the constraints",
                                          std::string("Boost.Geometry: ") + e.what()});
                        return;
                    }
                    l.m2[i] = area(left);
                });
                l.failures.insert(l.failures.end(), failed.begin(), failed.end());
                l.source = "developable land (own free space minus constraints)";
            } else {
                for (std::size_t i = 0; i < n; ++i) {
                    l.m2[i] = own->parcels[i].free_m2;
                }
                l.source = "usable free land (own free space)";
            }
            std::sort(l.failures.begin(), l.failures.end(),
                      [](const Land::Failure& a, const Land::Failure& b) {
                return a.parcel < b.parcel;
            });
        } else if (constraints != nullptr) {
            const auto rows = parcel_rows(*constraints);
            std::optional<std::size_t> field;
            for (std::size_t f = 0; f < constraints->fields.size(); ++f) {
                if (constraints->fields[f].name == "developable_m2") {
                    field = f;
                }
            }
            if (!field) {
                throw ConfigError("constraints_parcels has no field developable_m2");
            }
            std::optional<std::size_t> note;  // why a figure of the parcel is null
            for (std::size_t f = 0; f < constraints->fields.size(); ++f) {
                if (constraints->fields[f].name == "note") {
                    note = f;
                }
            }
            for (std::size_t i = 0; i < n; ++i) {
                const Value cell = rows[i] ? Value(constraints->rows[*rows[i]][*field])
                                           : Value(std::monostate{});
                const auto* v = std::get_if<double>(&cell);
                l.m2[i] = v != nullptr ? *v : occ.parcels[i].free_m2;
                // Null developable land is unknown land, not the parcel's free land (a failure
                // of the run's occupancy on the parcel is reported there).
                if (rows[i] &&
                    std::holds_alternative<std::monostate>(constraints->rows[*rows[i]][*field]) &&
                    occ.parcels[i].failed == ParcelFailure::none) {
                    l.m2[i] = 0.0;
                    l.unknown[i] = land_constraints;
                    const std::string why = note ? value_as_text(constraints->rows[*rows[i]][*note])
                                                 : std::string();
                    l.failures.push_back({i, "developable land (constraints)",
                                          why.empty() ? "developable_m2 is null" : why});
                }
            }
            l.source = "developable land (constraints)";
        } else {
            for (std::size_t i = 0; i < n; ++i) {
                l.m2[i] = occ.parcels[i].free_m2;
            }
            l.source = "usable free land";
        }
    }

    // Capacity per parcel and scenario (parcels outside every zone have none).
    std::vector<std::optional<ParcelCapacity>> cap(n * ns);
    parallel_for(n, workers, 1024, stateless, [&](Stateless&, std::size_t i) {
        const ParcelResult& r = occ.parcels[i];
        // Outside every zone, or figures GEOS could not compute: no capacity (null, noted).
        if (!r.zone || r.failed != ParcelFailure::none) {
            return;
        }
        for (std::size_t s = 0; s < ns; ++s) {
            if (land[s].unknown[i] != land_known) {
                continue;  // its land under this scenario is unknown: the same
            }
            cap[i * ns + s] = parcel_capacity(*targets[s][*r.zone], r.area_m2, r.built_m2,
                                              r.floor_m2, land[s].m2[i]);
        }
    });

    // The ranking: per scenario, every criterion's value per parcel, normalised min-max over
    // the parcels in the zones; a parcel without a value gets the criterion's worst score.
    struct Ranked {
        std::vector<double> score;  ///< per parcel
        std::vector<std::optional<std::int64_t>> rank;
        std::vector<std::vector<Cell>> value;     ///< per criterion, per parcel
        std::vector<std::vector<double>> norm;    ///< per criterion, per parcel
        std::vector<std::vector<double>> points;  ///< per criterion, per parcel
        std::vector<std::int64_t> missing;        ///< per criterion: parcels without a value
        std::vector<std::size_t> order;           ///< ranked parcels, best first
    };
    std::vector<Ranked> ranked(ns);
    std::vector<std::string> criterion_columns;  // the union, in order of first use
    for (std::size_t s = 0; s < ns; ++s) {
        const Scenario& sc = m_scenarios[s];
        if (sc.criteria.empty()) {
            continue;
        }
        Ranked& rk = ranked[s];
        const std::size_t nc = sc.criteria.size();
        double total_weight = 0.0;
        for (const auto& c : sc.criteria) {
            total_weight += c.weight;
            if (std::find(criterion_columns.begin(), criterion_columns.end(), c.name) ==
                criterion_columns.end()) {
                criterion_columns.push_back(c.name);
            }
        }
        rk.value.assign(nc, std::vector<Cell>(n));
        rk.norm.assign(nc, std::vector<double>(n, 0.0));
        rk.points.assign(nc, std::vector<double>(n, 0.0));
        rk.missing.assign(nc, 0);
        rk.score.assign(n, 0.0);
        rk.rank.assign(n, std::nullopt);
        const OccupancyResult& figures = land[s].own ? *land[s].own : occ;
        for (std::size_t c = 0; c < nc; ++c) {
            const ScenarioCriterion& crit = sc.criteria[c];
            const CriterionSource src = parse_source(crit.source);
            const std::string where = sc.origin + ": key 'ranking.criteria[" +
                                      std::to_string(c + 1) + "].source'";
            auto text_value = [&](const Value& v) -> Cell {
                if (std::holds_alternative<std::monostate>(v)) {
                    return std::nullopt;
                }
                if (!crit.values.empty()) {
                    const auto it = crit.values.find(value_as_text(v));
                    return it == crit.values.end() ? std::nullopt : Cell(it->second);
                }
                const auto x = value_as_number(v);
                return x && std::isfinite(*x) ? x : std::nullopt;
            };
            std::vector<Cell>& values = rk.value[c];
            if (src.kind == CriterionSource::Kind::builtin) {
                for (std::size_t i = 0; i < n; ++i) {
                    const ParcelResult& r = occ.parcels[i];
                    const auto& pc = cap[i * ns + s];
                    if (!pc) {
                        continue;
                    }
                    const std::string& f = src.field;
                    if (f == "added_floor_m2") {
                        values[i] = pc->floor_m2;
                    } else if (f == "added_footprint_m2") {
                        values[i] = pc->footprint_m2;
                    } else if (f == "added_jobs") {
                        values[i] = pc->jobs;
                    } else if (f == "land_m2") {
                        values[i] = land[s].m2[i];
                    } else if (f == "area_m2") {
                        values[i] = r.area_m2;
                    } else if (f == "built_m2") {
                        values[i] = r.built_m2;
                    } else if (f == "coverage") {
                        values[i] = r.coverage;
                    } else if (f == "far") {
                        values[i] = r.far;
                    } else if (f == "free_m2") {
                        values[i] = figures.parcels[i].free_m2;
                    } else if (f == "largest_free_m2") {
                        values[i] = figures.parcels[i].largest_free_m2;
                    } else if (f == "status") {
                        values[i] = text_value(Value(std::string(status_name(r.status))));
                    }
                }
            } else if (src.kind == CriterionSource::Kind::attribute) {
                const auto index = parcels.field_index(src.field);
                if (!index) {
                    throw ConfigError(where + ": the parcels layer has no field '" + src.field +
                                      "'");
                }
                if (parcels.fields[*index].type == FieldType::string && crit.values.empty()) {
                    throw ConfigError(where + ": the field '" + src.field +
                                      "' holds texts: give their numbers (values = { ... })");
                }
                for (std::size_t i = 0; i < n; ++i) {
                    if (cap[i * ns + s]) {
                        values[i] = text_value(
                            parcels.features[occ.parcels[i].parcel].attributes[*index]);
                    }
                }
            } else {
                const OutputLayer* layer = in.output_layer(src.layer);
                if (layer == nullptr) {
                    throw ConfigError(where + ": the layer '" + src.layer +
                                      "' was not computed in this run");
                }
                std::optional<std::size_t> field;
                std::vector<std::string> names;
                for (std::size_t f = 0; f < layer->fields.size(); ++f) {
                    names.push_back(layer->fields[f].name);
                    if (layer->fields[f].name == src.field) {
                        field = f;
                    }
                }
                if (!field) {
                    throw ConfigError(where + ": the layer '" + src.layer + "' has no field '" +
                                      src.field + "' (fields: " + join(names) + ")");
                }
                if (layer->fields[*field].type == FieldType::string && crit.values.empty()) {
                    throw ConfigError(where + ": the field '" + src.field +
                                      "' holds texts: give their numbers (values = { ... })");
                }
                const auto rows = parcel_rows(*layer);
                if (!layer->rows.empty() &&
                    std::none_of(rows.begin(), rows.end(), [](const auto& r) { return r; })) {
                    throw ConfigError(where + ": no row of the layer '" + src.layer +
                                      "' is a parcel's (its first field holds no parcel id: "
                                      "not a layer of one row per parcel)");
                }
                for (std::size_t i = 0; i < n; ++i) {
                    if (cap[i * ns + s] && rows[occ.parcels[i].parcel]) {
                        values[i] = text_value(layer->rows[*rows[occ.parcels[i].parcel]][*field]);
                    }
                }
            }
            double lo = std::numeric_limits<double>::infinity();
            double hi = -lo;
            for (std::size_t i = 0; i < n; ++i) {
                if (values[i]) {
                    lo = std::min(lo, *values[i]);
                    hi = std::max(hi, *values[i]);
                }
            }
            const double share = crit.weight / total_weight;
            for (std::size_t i = 0; i < n; ++i) {
                if (!cap[i * ns + s]) {
                    continue;
                }
                double x = 0.0;  // no value: the worst score
                if (values[i]) {
                    x = hi > lo ? (crit.higher_is_better ? (*values[i] - lo) / (hi - lo)
                                                         : (hi - *values[i]) / (hi - lo))
                                : 1.0;
                } else {
                    ++rk.missing[c];
                }
                rk.norm[c][i] = x;
                rk.points[c][i] = 100.0 * share * x;
                rk.score[i] += rk.points[c][i];
            }
        }
        // Ranked: the parcels in the zones with added capacity; best score first, ties by id.
        for (std::size_t i = 0; i < n; ++i) {
            const auto& pc = cap[i * ns + s];
            if (pc && (pc->footprint_m2 > 0 || pc->floor_m2.value_or(0.0) > 0)) {
                rk.order.push_back(i);
            }
        }
        // Scores as written (4 decimals): equal there, equal here, so ties go by id.
        auto written = [&rk](std::size_t i) { return std::llround(rk.score[i] * 1e4); };
        std::sort(rk.order.begin(), rk.order.end(), [&](std::size_t a, std::size_t b) {
            if (written(a) != written(b)) {
                return written(a) > written(b);
            }
            return parcels.features[occ.parcels[a].parcel].id <
                   parcels.features[occ.parcels[b].parcel].id;
        });
        for (std::size_t k = 0; k < rk.order.size(); ++k) {
            rk.rank[rk.order[k]] = static_cast<std::int64_t>(k + 1);
        }
    }

    MetricResult out;
    // Per parcel: the capacity under each scenario. A table joined to the parcels on
    // parcel_id (as parcel_definitions): with the parcels' geometry it would write the largest
    // layer of a run a second time (+20 % on the whole run at 1M parcels).
    OutputLayer pl;
    pl.name = "scenario_parcels";
    pl.fields = {{"parcel_id", string}, {"zone_id", string},   {"status", string},
                 {"area_m2", real, 2},  {"built_m2", real, 2}, {"floor_m2", real, 2}};
    for (const auto& sc : m_scenarios) {
        const std::string& k = sc.name;
        pl.fields.push_back({k + "_land_m2", real, 2});
        pl.fields.push_back({k + "_footprint_m2", real, 2});
        pl.fields.push_back({k + "_floor_m2", real, 2});
        pl.fields.push_back({k + "_jobs", real, 1});
        pl.fields.push_back({k + "_score", real, 2});
        pl.fields.push_back({k + "_rank", integer});
        pl.fields.push_back({k + "_note", string});
    }
    pl.rows.prepare(pl.fields, n);
    parallel_for(n, workers, 1024, stateless, [&](Stateless&, std::size_t i) {
        const ParcelResult& r = occ.parcels[i];
        std::vector<Value> row;
        row.reserve(pl.fields.size());
        row.emplace_back(parcels.features[r.parcel].id);
        row.push_back(r.zone ? Value(zones.features[*r.zone].id) : Value(std::monostate{}));
        const bool computed = r.failed != ParcelFailure::all;
        row.push_back(computed ? Value(std::string(status_name(r.status)))
                               : Value(std::monostate{}));
        row.emplace_back(r.area_m2);
        row.push_back(computed ? Value(r.built_m2) : Value(std::monostate{}));
        row.push_back(opt(r.floor_m2));
        for (std::size_t s = 0; s < ns; ++s) {
            const auto& pc = cap[i * ns + s];
            if (!pc) {
                row.insert(row.end(), 6, Value(std::monostate{}));
                // A parcel whose overlay failed counts in no zone: it is not computed, not
                // outside.
                row.emplace_back(std::string(!r.zone && r.failed != ParcelFailure::all
                                                 ? "outside every zone"
                                                 : not_computed_note(land[s].unknown[i])));
                continue;
            }
            row.emplace_back(land[s].m2[i]);
            row.emplace_back(pc->footprint_m2);
            row.push_back(opt(pc->floor_m2));
            row.push_back(opt(pc->jobs));
            const Ranked& rk = ranked[s];
            row.push_back(rk.score.empty() ? Value(std::monostate{}) : Value(rk.score[i]));
            row.push_back(rk.rank.empty() || !rk.rank[i] ? Value(std::monostate{})
                                                         : Value(*rk.rank[i]));
            row.push_back(text_or_null(pc->note));
        }
        pl.rows.set_row(i, row);
    });

    // The ranking: one row per ranked parcel and scenario, with every criterion's value,
    // normalised score and points (the points add up to the score).
    OutputLayer rt;
    rt.name = "scenario_ranking";
    rt.fields = {{"scenario", string}, {"rank", integer},  {"parcel_id", string},
                 {"zone_id", string},  {"score", real, 4}, {"no_value", string}};
    for (const auto& c : criterion_columns) {
        rt.fields.push_back({c + "_value", real, 4});
        rt.fields.push_back({c + "_norm", real, 6});
        rt.fields.push_back({c + "_points", real, 4});
    }
    for (std::size_t s = 0; s < ns; ++s) {
        const Scenario& sc = m_scenarios[s];
        const Ranked& rk = ranked[s];
        for (const std::size_t i : rk.order) {
            const ParcelResult& r = occ.parcels[i];
            std::vector<Value> row = {sc.name,
                                      *rk.rank[i],
                                      parcels.features[r.parcel].id,
                                      zones.features[*r.zone].id,
                                      rk.score[i],
                                      std::monostate{}};
            std::string none;
            for (const auto& column : criterion_columns) {
                std::optional<std::size_t> c;
                for (std::size_t k = 0; k < sc.criteria.size(); ++k) {
                    if (sc.criteria[k].name == column) {
                        c = k;
                    }
                }
                if (!c) {
                    row.insert(row.end(), 3, Value(std::monostate{}));
                    continue;
                }
                if (!rk.value[*c][i]) {
                    none += (none.empty() ? "" : ", ") + column;
                }
                row.push_back(opt(rk.value[*c][i]));
                row.emplace_back(rk.norm[*c][i]);
                row.emplace_back(rk.points[*c][i]);
            }
            row[5] = text_or_null(none);
            rt.rows.push_back(std::move(row));
        }
    }

    // Per zone (and ALL): gross capacity by status, then each discount on what remains.
    std::vector<std::vector<Buckets>> gross(ns, std::vector<Buckets>(nz + 1));
    // Per zone: parcels, with capacity, floor area unknown, not computed.
    std::vector<std::vector<std::array<std::int64_t, 4>>> counts(
        ns, std::vector<std::array<std::int64_t, 4>>(nz + 1));
    for (std::size_t i = 0; i < n; ++i) {
        const ParcelResult& r = occ.parcels[i];
        if (!r.zone) {
            continue;
        }
        const auto st = static_cast<std::size_t>(r.status);
        for (std::size_t s = 0; s < ns; ++s) {
            // A parcel in a zone without capacity: GEOS failed on it (in the run's occupancy
            // or in this scenario's steps). It counts as a parcel, adds nothing.
            const auto& pc = cap[i * ns + s];
            for (const std::size_t z : {*r.zone, nz}) {
                auto& cnt = counts[s][z];
                ++cnt[0];
                if (!pc) {
                    ++cnt[3];
                    continue;
                }
                Buckets& b = gross[s][z];
                b.footprint[st] += pc->footprint_m2;
                b.floor[st] += pc->floor_m2.value_or(0.0);
                b.jobs[st] += pc->jobs.value_or(0.0);
                cnt[1] += pc->footprint_m2 > 0 || pc->floor_m2.value_or(0.0) > 0 ? 1 : 0;
                cnt[2] += pc->floor_m2 ? 0 : 1;
            }
        }
    }
    auto zone_id = [&](std::size_t z) {
        return z == nz ? std::string("ALL") : zones.features[z].id;
    };
    auto zone_name = [&](std::size_t z) {
        return z == nz ? std::string("All zones") : occ.zones[z].name;
    };
    OutputLayer ct;
    ct.name = "scenario_capacity";
    ct.fields = {{"zone_id", string},
                 {"name", string},
                 {"scenario", string},
                 {"step", integer},
                 {"item", string},
                 {"share", real, 4},
                 {"footprint_m2", real, 2},
                 {"floor_m2", real, 2},
                 {"jobs", real, 1},
                 {"vacant_floor_m2", real, 2},
                 {"underused_floor_m2", real, 2},
                 {"occupied_floor_m2", real, 2}};
    OutputLayer zt;
    zt.name = "scenario_zones";
    zt.fields = {{"zone_id", string},
                 {"name", string},
                 {"scenario", string},
                 {"n_parcels", integer},
                 {"n_with_capacity", integer},
                 {"n_floor_unknown", integer},
                 {"gross_footprint_m2", real, 2},
                 {"gross_floor_m2", real, 2},
                 {"gross_jobs", real, 1},
                 {"net_footprint_m2", real, 2},
                 {"net_floor_m2", real, 2},
                 {"net_jobs", real, 1}};
    const auto vac = static_cast<std::size_t>(ParcelStatus::vacant);
    const auto und = static_cast<std::size_t>(ParcelStatus::underused);
    const auto occd = static_cast<std::size_t>(ParcelStatus::occupied);
    for (std::size_t z = 0; z <= nz; ++z) {
        const std::int64_t n_parcels = z == nz ? occ.total.n_parcels : occ.zones[z].n_parcels;
        zt.rows.push_back({zone_id(z), zone_name(z), std::string("baseline"), n_parcels,
                           std::int64_t{0}, std::int64_t{0}, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0});
        for (std::size_t s = 0; s < ns; ++s) {
            const Scenario& sc = m_scenarios[s];
            const bool jobs = std::any_of(targets[s].begin(), targets[s].end(),
                                          [](const auto* t) { return t->floor_m2_per_job; });
            auto jobs_value = [jobs](double v) {
                return jobs ? Value(v) : Value(std::monostate{});
            };
            Buckets b = gross[s][z];
            std::int64_t step = 0;
            auto state = [&](const std::string& item, const Value& share, double footprint,
                             double floor, double job) {
                ct.rows.push_back({zone_id(z), zone_name(z), sc.name, step++, item, share,
                                   footprint, floor, jobs_value(job), b.floor[vac], b.floor[und],
                                   b.floor[occd]});
            };
            state("gross capacity", std::monostate{}, sum(b.footprint), sum(b.floor), sum(b.jobs));
            for (const auto& d : sc.discounts) {
                const auto st = static_cast<std::size_t>(d.status);
                const double f = d.share * b.footprint[st];
                const double fl = d.share * b.floor[st];
                const double j = d.share * b.jobs[st];
                b.footprint[st] -= f;
                b.floor[st] -= fl;
                b.jobs[st] -= j;
                state(d.name, d.share, -f, -fl, -j);
            }
            state("net capacity", std::monostate{}, sum(b.footprint), sum(b.floor), sum(b.jobs));
            const auto& cnt = counts[s][z];
            const Buckets& g = gross[s][z];
            zt.rows.push_back({zone_id(z), zone_name(z), sc.name, cnt[0], cnt[1], cnt[2],
                               sum(g.footprint), sum(g.floor), jobs_value(sum(g.jobs)),
                               sum(b.footprint), sum(b.floor), jobs_value(sum(b.jobs))});
        }
    }

    // The manifest: per scenario, its file, land and what is missing.
    auto notes = std::make_shared<nlohmann::json>(nlohmann::json::array());
    for (std::size_t s = 0; s < ns; ++s) {
        const Scenario& sc = m_scenarios[s];
        nlohmann::json missing = nlohmann::json::object();
        for (std::size_t c = 0; c < sc.criteria.size(); ++c) {
            missing[sc.criteria[c].name] = ranked[s].missing[c];
        }
        // The parcels this scenario's own steps could not compute (the first 1,000; those of
        // the run's occupancy are in occupancy.failed_parcels).
        nlohmann::json failed = nlohmann::json::array();
        for (const auto& f : land[s].failures) {
            if (failed.size() == 1000) {
                break;
            }
            const Feature& parcel = parcels.features[occ.parcels[f.parcel].parcel];
            failed.push_back({{"parcel_id", parcel.id},
                              {"source_fid", parcel.fid},
                              {"step", f.step},
                              {"reason", f.reason}});
        }
        notes->push_back({{"name", sc.name},
                          {"title", sc.title},
                          {"origin", sc.origin},
                          {"land", land[s].source},
                          {"own_free_space", land[s].own != nullptr},
                          {"n_ranked", ranked[s].order.size()},
                          {"n_floor_unknown", counts[s][nz][2]},
                          {"n_not_computed", counts[s][nz][3]},
                          {"n_failed", land[s].failures.size()},
                          {"failed_parcels", failed},
                          {"top", sc.top},
                          {"criteria_without_value", missing}});
    }

    out.layers.push_back(std::move(pl));
    out.layers.push_back(std::move(rt));
    out.layers.push_back(std::move(zt));
    out.layers.push_back(std::move(ct));
    out.set_data(notes);
    return out;
}

}  // namespace

void register_scenarios_metric(MetricRegistry& registry) {
    MetricInfo info;
    info.name = "scenarios";
    info.description = "Build-out scenarios: the footprint, floor area and jobs that still fit "
                       "on each parcel under density targets, gross and net of discounts per "
                       "zone, side by side, and an activation ranking from weighted criteria";
    info.uses = {"occupancy"};
    info.layers = {{"constraints", GeometryFamily::polygon, false, false,
                    "Planning constraints (developable land of a scenario with its own free "
                    "space)",
                    ""}};
    info.options = {
        {.name = "files",
         .type = OptionType::list,
         .help = "Scenario files (.toml), relative to the project file",
         .flag = "scenarios",
         .affects_results = false},  // their content does (Metric::definition)
    };
    const std::string k = "{K}";
    info.outputs = {
        {"scenario_parcels",
         "One row per parcel: what each scenario adds (land, footprint, floor area, jobs), its "
         "activation score and rank (a table: join it to parcels on parcel_id)",
         false,
         true,
         {{"parcel_id", string, "", "parcel id"},
          {"zone_id", string, "", "zone holding the largest part"},
          {"status", string, "", "occupancy status"},
          {"area_m2", real, "m2", "parcel area"},
          {"built_m2", real, "m2", "built footprint"},
          {"floor_m2", real, "m2", "floor area built; null when unknown"},
          {k + "_land_m2", real, "m2", "land scenario K may build on (usable free or developable)"},
          {k + "_footprint_m2", real, "m2", "added footprint that fits under scenario K"},
          {k + "_floor_m2", real, "m2", "added floor area; null when the floor area is unknown"},
          {k + "_jobs", real, "", "jobs in the added floor area"},
          {k + "_score", real, "points", "activation score, 0-100"},
          {k + "_rank", integer, "", "activation rank (parcels with added capacity)"},
          {k + "_note", string, "", "why there is no added capacity"}}},
        {"scenario_ranking",
         "The activation ranking: one row per ranked parcel and scenario, best first, with each "
         "criterion's value, normalised score (0-1) and points (adding up to the score)",
         false,
         true,
         {{"scenario", string, "", "scenario"},
          {"rank", integer, "", "rank, 1 = approach first; ties by parcel id"},
          {"parcel_id", string, "", "parcel id"},
          {"zone_id", string, "", "zone"},
          {"score", real, "points", "Σ points"},
          {"no_value", string, "", "criteria without a value (worst score given)"},
          {"{C}_value", real, "", "value of criterion C"},
          {"{C}_norm", real, "fraction", "min-max normalised, 1 = best"},
          {"{C}_points", real, "points", "100 × weight / Σ weights × norm"}}},
        {"scenario_zones",
         "Scenarios side by side per zone (and ALL), with a baseline of zero: gross and net "
         "capacity",
         false,
         true,
         {{"zone_id", string, "", "zone id, or ALL"},
          {"name", string, "", "zone name"},
          {"scenario", string, "", "scenario, or baseline"},
          {"n_parcels", integer, "", "parcels in the zone"},
          {"n_with_capacity", integer, "", "parcels with added capacity"},
          {"n_floor_unknown", integer, "", "parcels whose floor area is unknown"},
          {"gross_footprint_m2", real, "m2", "Σ added footprint"},
          {"gross_floor_m2", real, "m2", "Σ added floor area"},
          {"gross_jobs", real, "", "Σ jobs"},
          {"net_footprint_m2", real, "m2", "after the discounts"},
          {"net_floor_m2", real, "m2", "after the discounts"},
          {"net_jobs", real, "", "after the discounts"}}},
        {"scenario_capacity",
         "Per zone (and ALL) and scenario: gross capacity, each discount in file order on the "
         "capacity that remains, net capacity",
         false,
         true,
         {{"zone_id", string, "", "zone id, or ALL"},
          {"name", string, "", "zone name"},
          {"scenario", string, "", "scenario"},
          {"step", integer, "", "0 gross, 1.. the discounts, last net"},
          {"item", string, "", "gross capacity, a discount, net capacity"},
          {"share", real, "fraction", "share of the remaining capacity the discount takes"},
          {"footprint_m2", real, "m2", "footprint (a discount: what it takes, negative)"},
          {"floor_m2", real, "m2", "floor area (a discount: what it takes, negative)"},
          {"jobs", real, "", "jobs (a discount: what it takes, negative)"},
          {"vacant_floor_m2", real, "m2", "floor area left on vacant parcels after the step"},
          {"underused_floor_m2", real, "m2", "on underused parcels"},
          {"occupied_floor_m2", real, "m2", "on occupied parcels"}}},
    };
    info.factory = [] { return std::make_unique<ScenariosMetric>(); };
    registry.add(std::move(info));
}

}  // namespace spaceuse::detail
