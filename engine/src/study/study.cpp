#include "metric_step.hpp"
#include "../util/parallel.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <type_traits>

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

namespace spaceuse {

namespace {

Value opt(const std::optional<double>& v) {
    return v ? Value(*v) : Value(std::monostate{});
}

GeometryFamily family_for_role(const std::string& role) {
    if (role == "roads") {
        return GeometryFamily::line;
    }
    if (role.rfind("facilities", 0) == 0 || role == "opportunities") {
        return GeometryFamily::point;
    }
    return GeometryFamily::polygon;
}

nlohmann::json crs_json(const CrsInfo& crs) {
    return {{"name", crs.name}, {"code", crs.code}, {"metric", crs.metric}};
}

nlohmann::json value_json(const Value& v) {
    return std::visit(
        [](const auto& x) -> nlohmann::json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return nullptr;
            } else {
                return x;
            }
        },
        v);
}

/// A free-space figure, or null when free space was not computed (unknown, not zero).
Value free_value(const OccupancyOptions& options, double v) {
    return options.free_space ? Value(v) : Value(std::monostate{});
}

OutputLayer zone_table(const Model& model, const OccupancyOptions& options,
                       const OccupancyResult& result) {
    const Layer& zones = *model.find(options.zones_layer);
    OutputLayer t;
    t.name = "summary";
    t.fields = {{"zone_id", FieldType::string},   {"name", FieldType::string},
                {"gross_m2", FieldType::real, 2},  {"net_m2", FieldType::real, 2},
                {"infra_m2", FieldType::real, 2},  {"built_m2", FieldType::real, 2},
                {"coverage", FieldType::real, 4},  {"occupancy", FieldType::real, 4},
                {"vacant_m2", FieldType::real, 2}, {"underused_m2", FieldType::real, 2},
                {"free_m2", FieldType::real, 2},   {"n_parcels", FieldType::integer},
                {"n_occupied", FieldType::integer}, {"n_underused", FieldType::integer},
                {"n_vacant", FieldType::integer},  {"far", FieldType::real, 4}};
    const auto free = [&options](double v) { return free_value(options, v); };
    auto row = [&free](const std::string& id, const ZoneResult& z) {
        return std::vector<Value>{id,
                                  z.name,
                                  z.gross_m2,
                                  z.net_m2,
                                  z.infra_m2,
                                  z.built_m2,
                                  z.coverage,
                                  z.occupancy,
                                  z.vacant_m2,
                                  z.underused_m2,
                                  free(z.free_m2),
                                  std::int64_t{z.n_parcels},
                                  std::int64_t{z.n_occupied},
                                  std::int64_t{z.n_underused},
                                  std::int64_t{z.n_vacant},
                                  opt(z.far)};
    };
    for (const auto& z : result.zones) {
        t.rows.push_back(row(zones.features[z.zone].id, z));
    }
    t.rows.push_back(row("TOTAL", result.total));
    return t;
}

std::string minutes_label(double m) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", m);
    std::string s = buf;
    for (auto& c : s) {
        if (c == '.') {
            c = '_';
        }
    }
    return s;
}

}  // namespace

AccessOptions make_access_options(const Study& study, const AccessSettings& s) {
    AccessOptions o;
    o.network_layer = "roads";
    o.origins_layer = s.origins;
    o.profile = parse_travel_profile(s.profile);
    if (s.access_point == "centroid") {
        o.access_point = AccessPoint::centroid;
    } else if (s.access_point == "boundary") {
        o.access_point = AccessPoint::boundary;
    } else {
        throw ConfigError("access point '" + s.access_point + "' is not centroid or boundary");
    }
    if (s.max_snap_m <= 0 || s.snap_tolerance_m < 0) {
        throw ConfigError("max-snap must be > 0 and snap-tolerance >= 0");
    }
    o.max_snap_m = s.max_snap_m;
    o.snap_tolerance_m = s.snap_tolerance_m;
    o.class_field = s.class_field;
    o.oneway_field = s.oneway_field;
    o.speed_field = s.speed_field;
    if (!s.speeds_file.empty()) {
        o.speeds_kmh = load_speed_table(s.speeds_file);
    }
    for (const double t : s.isochrones_min) {
        if (!(t > 0)) {
            throw ConfigError("isochrone times must be > 0 minutes");
        }
    }
    o.isochrones_min = s.isochrones_min;
    o.kinds = s.kinds;
    o.isochrone_buffer_m = s.isochrone_buffer_m;
    o.threads = study.threads;
    std::vector<std::string> facility_roles;
    bool has_zones = false;
    bool has_opportunities = false;
    for (const auto& [role, src] : study.layers) {
        if (role.rfind("facilities", 0) == 0) {
            facility_roles.push_back(role);
        }
        has_zones = has_zones || role == "zones";
        has_opportunities = has_opportunities || role == "opportunities";
    }
    if (facility_roles.empty()) {
        throw ConfigError("accessibility needs a facilities layer");
    }
    const auto pick = [](const std::vector<std::string>& v, std::size_t i) -> std::string {
        if (v.empty()) {
            return {};
        }
        return v.size() == 1 ? v[0] : (i < v.size() ? v[i] : std::string());
    };
    if (s.facility_fields.size() > 1 && s.facility_fields.size() != facility_roles.size()) {
        throw ConfigError("give one facility field for all facility layers or one per layer");
    }
    for (std::size_t i = 0; i < facility_roles.size(); ++i) {
        FacilitySource f;
        f.layer = facility_roles[i];
        f.kind_field = pick(s.facility_fields, i);
        f.kind = pick(s.facility_kinds, i);
        if (f.kind_field.empty() && f.kind.empty()) {
            throw ConfigError("facility layer '" + f.layer +
                              "' needs a kind field (--facility-field) or a kind (--facility-kind)");
        }
        o.facilities.push_back(f);
    }
    if (has_zones && s.origins != "zones") {
        o.zones_layer = "zones";
    }
    if (has_opportunities) {
        o.opportunities_layer = "opportunities";
        o.opportunities_weight = s.opportunities_weight;
        o.opportunities_min = s.opportunities_min;
    }
    return o;
}

namespace {

/// Gives each of the `rows` rows of `out` the geometry of feature index_of(row) of `layer` (a
/// layer of the model `owner` holds, or null): borrowed when the rows are the layer's features
/// in order and `owner` is set, else copied.
template <typename IndexOf>
void attach_geometries(OutputLayer& out, const Layer& layer, const std::shared_ptr<const Model>& owner,
                       std::size_t rows, const IndexOf& index_of) {
    // An empty result stays a table without geometry, as with copied geometries.
    bool in_order = rows > 0 && rows == layer.features.size();
    for (std::size_t i = 0; i < rows && in_order; ++i) {
        in_order = index_of(i) == i;
    }
    if (owner && in_order) {
        out.geometry_source = std::shared_ptr<const Layer>(owner, &layer);
        return;
    }
    out.geometries.reserve(rows);
    for (std::size_t i = 0; i < rows; ++i) {
        out.geometries.push_back(layer.features[index_of(i)].geometry);
    }
}

/// access_layers; with `owner` (the model's owner) the access layer borrows the origins'
/// geometries instead of copying them.
std::vector<OutputLayer> build_access_layers(const Model& model, const std::shared_ptr<const Model>& owner,
                                             const AccessOptions& options, const AccessResult& result) {
    const Layer& origins = *model.find(options.origins_layer);
    std::vector<OutputLayer> layers;
    OutputLayer a;
    a.name = "access";
    a.fields = {{"origin_id", FieldType::string}, {"snap_m", FieldType::real},
                {"reason", FieldType::string}};
    for (const auto& k : result.kinds) {
        const std::string p = k.field_prefix;
        for (const auto& f : {p + "_dist_m", p + "_time_min", p + "_eucl_m", p + "_snap_m"}) {
            a.fields.push_back({f, FieldType::real});
        }
        a.fields.push_back({p + "_id", FieldType::string});
        a.fields.push_back({p + "_snap_note", FieldType::string});
        a.fields.push_back({p + "_reason", FieldType::string});
    }
    if (!result.opportunities.empty()) {
        a.fields.push_back({"opportunities", FieldType::real});
    }
    // One row per origin, filled on the access analysis's threads into pre-sized slots (a
    // region has a million origins; the rows are the same for any thread count).
    auto text_or_null = [](const std::string& t) { return t.empty() ? Value(std::monostate{}) : Value(t); };
    const std::size_t n = origins.features.size();
    const std::size_t width = a.fields.size();
    a.rows.resize(n);
    detail::parallel_for(n, detail::worker_count(options.threads), 1024, detail::stateless,
                         [&](detail::Stateless&, std::size_t i) {
        std::vector<Value>& row = a.rows[i];
        row.reserve(width);
        row.emplace_back(origins.features[i].id);
        row.push_back(opt(result.snap_m[i]));
        row.emplace_back(std::monostate{});
        const std::string* reason = nullptr;
        for (const auto& k : result.kinds) {
            row.push_back(opt(k.dist_m[i]));
            row.push_back(opt(k.time_min[i]));
            row.push_back(opt(k.eucl_m[i]));
            row.push_back(opt(k.facility_snap_m[i]));
            row.push_back(text_or_null(k.facility_id[i]));
            row.push_back(text_or_null(k.snap_note[i]));
            row.push_back(text_or_null(k.reason[i]));
            if (!result.snap_m[i] && (reason == nullptr || reason->empty())) {
                reason = &k.reason[i];
            }
        }
        if (reason != nullptr) {
            row[2] = text_or_null(*reason);
        }
        if (!result.opportunities.empty()) {
            row.push_back(opt(result.opportunities[i]));
        }
    });
    attach_geometries(a, origins, owner, n, [](std::size_t i) { return i; });
    layers.push_back(std::move(a));

    OutputLayer iso;
    iso.name = "isochrones";
    iso.fields = {{"kind", FieldType::string}, {"minutes", FieldType::real}, {"area_m2", FieldType::real}};
    for (const auto& i : result.isochrones) {
        iso.rows.push_back({i.kind, i.minutes, area(i.geometry)});
        iso.geometries.emplace_back(i.geometry);
    }
    layers.push_back(std::move(iso));

    OutputLayer t;
    t.name = "access_summary";
    t.fields = {{"zone_id", FieldType::string},      {"kind", FieldType::string},
                {"origins", FieldType::integer},     {"reachable", FieldType::integer},
                {"mean_dist_m", FieldType::real, 1}, {"mean_time_min", FieldType::real, 2},
                {"worst_origin", FieldType::string}, {"worst_dist_m", FieldType::real, 1}};
    for (const double m : options.isochrones_min) {
        t.fields.push_back({"share_" + minutes_label(m) + "min", FieldType::real, 4});
    }
    if (!result.zones.empty()) {
        const Layer& zones = *model.find(options.zones_layer);
        for (const auto& z : result.zones) {
            std::vector<Value> row{zones.features[z.zone].id, z.kind, static_cast<std::int64_t>(z.origins),
                                   static_cast<std::int64_t>(z.reachable), opt(z.mean_dist_m), opt(z.mean_time_min),
                                   z.worst_origin.empty() ? Value(std::monostate{}) : Value(z.worst_origin),
                                   opt(z.worst_dist_m)};
            for (const double share : z.band_share) {
                row.push_back(share);
            }
            t.rows.push_back(std::move(row));
        }
    }
    // One row per kind over all origins (plain means).
    for (const auto& k : result.kinds) {
        double sum = 0;
        std::int64_t reachable = 0;
        std::optional<double> worst;
        std::string worst_id;
        std::optional<double> tsum;
        for (std::size_t i = 0; i < k.dist_m.size(); ++i) {
            if (k.dist_m[i]) {
                ++reachable;
                sum += *k.dist_m[i];
                tsum = tsum.value_or(0.0) + *k.time_min[i];
                if (!worst || *k.dist_m[i] > *worst) {
                    worst = k.dist_m[i];
                    worst_id = origins.features[i].id;
                }
            }
        }
        std::vector<Value> row{std::string("ALL"), k.kind, static_cast<std::int64_t>(k.dist_m.size()), reachable,
                               reachable ? Value(sum / static_cast<double>(reachable)) : Value(std::monostate{}),
                               reachable ? Value(*tsum / static_cast<double>(reachable)) : Value(std::monostate{}),
                               worst_id.empty() ? Value(std::monostate{}) : Value(worst_id), opt(worst)};
        for (std::size_t b = 0; b < options.isochrones_min.size(); ++b) {
            row.push_back(std::monostate{});
        }
        t.rows.push_back(std::move(row));
    }
    layers.push_back(std::move(t));
    return layers;
}

/// occupancy_layers; given a non-const result, the free pieces' geometries are moved out of it
/// (left empty) rather than copied, so a run holds each piece once; with `owner` (the model's
/// owner) the parcels and zones layers borrow the model's geometries instead of copying them.
template <typename Result>
std::vector<OutputLayer> build_occupancy_layers(const Model& model, const std::shared_ptr<const Model>& owner,
                                                const OccupancyOptions& options, Result& result) {
    const Layer& parcels = *model.find(options.parcels_layer);
    const Layer& zones = *model.find(options.zones_layer);
    std::vector<OutputLayer> layers;
    const auto free = [&options](double v) { return free_value(options, v); };

    OutputLayer p;
    p.name = "parcels";
    p.fields = {{"parcel_id", FieldType::string},     {"source_fid", FieldType::integer},
                {"zone_id", FieldType::string},       {"zone_share", FieldType::real},
                {"area_m2", FieldType::real},         {"built_m2", FieldType::real},
                {"coverage", FieldType::real},        {"floor_m2", FieldType::real},
                {"far", FieldType::real},             {"status", FieldType::string},
                {"status_source", FieldType::string}, {"free_m2", FieldType::real},
                {"largest_free_m2", FieldType::real}, {"n_buildings", FieldType::integer}};
    // One row per parcel result, filled on the analysis threads into pre-sized slots.
    const std::size_t width = p.fields.size();
    p.rows.resize(result.parcels.size());
    detail::parallel_for(result.parcels.size(), detail::worker_count(options.threads), 1024,
                         detail::stateless, [&](detail::Stateless&, std::size_t i) {
        const ParcelResult& r = result.parcels[i];
        const Feature& f = parcels.features[r.parcel];
        std::vector<Value>& row = p.rows[i];
        row.reserve(width);
        row.emplace_back(f.id);
        row.emplace_back(f.fid);
        row.push_back(r.zone ? Value(zones.features[*r.zone].id) : Value(std::monostate{}));
        row.emplace_back(r.zone_share);
        row.emplace_back(r.area_m2);
        row.emplace_back(r.built_m2);
        row.emplace_back(r.coverage);
        row.push_back(opt(r.floor_m2));
        row.push_back(opt(r.far));
        row.emplace_back(std::string(status_name(r.status)));
        row.emplace_back(std::string(r.status_from_attribute ? "attribute" : "computed"));
        row.push_back(free(r.free_m2));
        row.push_back(free(r.largest_free_m2));
        row.emplace_back(std::int64_t{r.n_buildings});
    });
    attach_geometries(p, parcels, owner, result.parcels.size(),
                      [&result](std::size_t i) { return result.parcels[i].parcel; });
    layers.push_back(std::move(p));

    OutputLayer z;
    z.name = "zones";
    z.fields = {{"zone_id", FieldType::string},     {"name", FieldType::string},
                {"gross_m2", FieldType::real},      {"net_m2", FieldType::real},
                {"infra_m2", FieldType::real},      {"built_m2", FieldType::real},
                {"coverage", FieldType::real},      {"occupancy", FieldType::real},
                {"vacant_m2", FieldType::real},     {"underused_m2", FieldType::real},
                {"free_m2", FieldType::real},       {"n_parcels", FieldType::integer},
                {"n_occupied", FieldType::integer}, {"n_underused", FieldType::integer},
                {"n_vacant", FieldType::integer},   {"floor_m2", FieldType::real},
                {"far", FieldType::real}};
    for (const auto& r : result.zones) {
        const Feature& f = zones.features[r.zone];
        z.rows.push_back({f.id, r.name, r.gross_m2, r.net_m2, r.infra_m2, r.built_m2, r.coverage,
                          r.occupancy, r.vacant_m2, r.underused_m2, free(r.free_m2),
                          std::int64_t{r.n_parcels}, std::int64_t{r.n_occupied},
                          std::int64_t{r.n_underused}, std::int64_t{r.n_vacant}, opt(r.floor_m2),
                          opt(r.far)});
    }
    attach_geometries(z, zones, owner, result.zones.size(),
                      [&result](std::size_t i) { return result.zones[i].zone; });
    layers.push_back(std::move(z));
    if (!options.free_space) {
        return layers;
    }

    OutputLayer fs;
    fs.name = "free_space";
    fs.fields = {{"piece_id", FieldType::integer},
                 {"parcel_id", FieldType::string},
                 {"zone_id", FieldType::string},
                 {"area_m2", FieldType::real}};
    std::int64_t piece_id = 0;
    fs.rows.reserve(result.free_pieces.size());
    fs.geometries.reserve(result.free_pieces.size());
    for (auto& piece : result.free_pieces) {
        const auto& r = result.parcels[piece.parcel];
        fs.rows.push_back({++piece_id, parcels.features[piece.parcel].id,
                           r.zone ? Value(zones.features[*r.zone].id) : Value(std::monostate{}),
                           piece.area_m2});
        if constexpr (std::is_const_v<Result>) {
            fs.geometries.emplace_back(piece.geometry);
        } else {
            fs.geometries.emplace_back(std::move(piece.geometry));
        }
    }
    layers.push_back(std::move(fs));
    return layers;
}

}  // namespace

std::vector<OutputLayer> access_layers(const Model& model, const AccessOptions& options,
                                       const AccessResult& result) {
    return build_access_layers(model, nullptr, options, result);
}

std::vector<OutputLayer> occupancy_layers(const Model& model, const OccupancyOptions& options,
                                          const OccupancyResult& result) {
    return build_occupancy_layers(model, nullptr, options, result);
}

Profile resolve_profile(const OccupancySettings& s) {
    Profile p = find_profile(s.profile, default_profile_dirs());
    auto set = [](double& target, const std::optional<double>& v) {
        if (v) {
            target = *v;
        }
    };
    set(p.storey_height_m, s.storey_height_m);
    set(p.setback_m, s.setback_m);
    set(p.min_free_area_m2, s.min_free_area_m2);
    set(p.min_free_width_m, s.min_free_width_m);
    set(p.vacant_below, s.vacant_below);
    set(p.underused_below, s.underused_below);
    for (const auto& [k, v] : parse_status_map(s.status_map)) {
        p.status_values[k] = v;
    }
    validate_profile(p, "occupancy settings (profile '" + p.name + "' with overrides)");
    return p;
}

OccupancyOptions make_occupancy_options(const OccupancySettings& settings, unsigned threads) {
    OccupancyOptions options;
    options.zone_name_field = settings.zone_name_field;
    options.floors_field = settings.floors_field;
    options.height_field = settings.height_field;
    options.status_field = settings.status_field;
    options.profile = resolve_profile(settings);
    options.threads = threads;
    options.free_space = settings.free_space;
    return options;
}

StudyReport run_study(const Study& study, const ProgressFn& progress_fn) {
    Progress progress(progress_fn);
    StudyReport report;
    if (study.output_dir.empty()) {
        throw ConfigError("no output folder given");
    }
    std::optional<OccupancyOptions> occ;
    if (study.occupancy) {
        for (const char* role : {"zones", "parcels", "buildings"}) {
            bool found = false;
            for (const auto& [r, s] : study.layers) {
                found = found || r == role;
            }
            if (!found) {
                throw ConfigError(std::string("occupancy needs a '") + role + "' layer");
            }
        }
        occ = make_occupancy_options(*study.occupancy, study.threads);
        report.profile = occ->profile;
    }

    std::optional<AccessOptions> acc;
    if (study.access) {
        acc = make_access_options(study, *study.access);
        bool has_roads = false;
        bool has_origins = false;
        for (const auto& [r, src] : study.layers) {
            has_roads = has_roads || r == "roads";
            has_origins = has_origins || r == study.access->origins;
        }
        if (!has_roads) {
            throw ConfigError("accessibility needs a 'roads' layer");
        }
        if (!has_origins) {
            throw ConfigError("accessibility needs the origins layer '" + study.access->origins + "'");
        }
    }

    const detail::MetricStep metric_step(study);

    std::vector<LayerRequest> requests;
    for (const auto& [role, source] : study.layers) {
        requests.push_back({role, source, family_for_role(role)});
    }
    LoadOptions load_options = study.load;
    if (load_options.threads == 0) {
        load_options.threads = study.threads;
    }
    auto model_ptr = std::make_shared<Model>(
        load_model(requests, load_options, scaled_progress(progress_fn, 0.0, 0.3)));
    const Model& model = *model_ptr;
    report.model = model_ptr;
    report.crs = model.crs;
    report.crs_reason = model.crs_reason;
    for (const auto& layer : model.layers) {
        report.layers.push_back(
            {layer.name, layer.source + (layer.source_layer.empty() ? "" : ":" + layer.source_layer),
             layer.source_crs, layer.operation, layer.report});
    }

    ensure_directory(study.output_dir);
    namespace fs = std::filesystem;
    auto out_path = [&study](const std::string& file) {
        return (fs::path(study.output_dir) / file).string();
    };

    if (occ) {
        OccupancyResult result =
            compute_occupancy(model, *occ, scaled_progress(progress_fn, 0.3, 0.8));
        progress.report(0.8, "writing outputs");
        // The free pieces' geometries move into the free_space layer (report.occupancy keeps
        // their figures).
        for (auto& layer : build_occupancy_layers(model, model_ptr, *occ, result)) {
            report.results.push_back(std::move(layer));
        }
        OutputLayer table = zone_table(model, *occ, result);
        const std::string csv = out_path("summary.csv");
        write_csv(table, csv, study.write);
        report.outputs.push_back({csv, "summary", table.rows.size()});
        report.zone_table = std::move(table);
        report.occupancy = std::move(result);
    }

    if (acc) {
        AccessResult result = compute_access(model, *acc, scaled_progress(progress_fn, 0.8, 0.95));
        auto layers = build_access_layers(model, model_ptr, *acc, result);
        for (std::size_t i = 0; i + 1 < layers.size(); ++i) {
            report.results.push_back(std::move(layers[i]));
        }
        const std::string csv = out_path("access_summary.csv");
        write_csv(layers.back(), csv, study.write);
        report.outputs.push_back({csv, "access_summary", layers.back().rows.size()});
        report.access_table = std::move(layers.back());
        report.access = std::move(result);
    }

    nlohmann::json metrics_manifest;
    if (!metric_step.empty()) {
        metrics_manifest = metric_step.run(model, report, scaled_progress(progress_fn, 0.9, 0.95));
    }

    if (!report.results.empty()) {
        progress.report(0.95, "exporting layers");
        WriteOptions write = study.write;
        if (write.threads == 0) {
            write.threads = study.threads;
        }
        for (auto& file : export_layers(report.results, model.crs, study.output_dir, study.exports,
                                        write)) {
            report.outputs.push_back(std::move(file));
        }
    }

    write_documents(study, report);

    // The manifest: inputs, CRS, profile, options, outputs, counts. No timestamps, so the same
    // inputs give the same bytes.
    nlohmann::json m;
    m["tool"] = std::string("spaceuse ") + SPACEUSE_VERSION;
    m["study"] = study.name;
    m["invoked_as"] = study.invoked_as;
    m["analysis_crs"] = crs_json(model.crs);
    m["analysis_crs_reason"] = model.crs_reason;
    m["inputs"] = nlohmann::json::array();
    for (const auto& l : report.layers) {
        nlohmann::json j;
        j["role"] = l.role;
        j["source"] = l.source;
        j["source_crs"] = crs_json(l.source_crs);
        j["operation"] = {{"name", l.operation.name},
                          {"accuracy_m", l.operation.accuracy_m < 0 ? nlohmann::json(nullptr)
                                                                    : nlohmann::json(l.operation.accuracy_m)}};
        j["read"] = l.report.read;
        j["kept"] = l.report.kept;
        j["rejected"] = l.report.rejected;
        j["repaired"] = l.report.repaired;
        j["issues"] = nlohmann::json::array();
        for (const auto& issue : l.report.issues) {
            j["issues"].push_back(
                {{"fid", issue.fid}, {"kind", issue_kind_name(issue.kind)}, {"detail", issue.detail}});
        }
        m["inputs"].push_back(j);
    }
    if (occ) {
        const Profile& p = report.profile;
        nlohmann::json prof = {{"name", p.name},
                               {"origin", p.origin},
                               {"description", p.description},
                               {"vacant_below", p.vacant_below},
                               {"underused_below", p.underused_below},
                               {"setback_m", p.setback_m},
                               {"min_free_area_m2", p.min_free_area_m2},
                               {"min_free_width_m", p.min_free_width_m},
                               {"storey_height_m", p.storey_height_m}};
        nlohmann::json sv = nlohmann::json::object();
        for (const auto& [k, v] : p.status_values) {
            sv[k] = status_name(v);
        }
        prof["status_values"] = sv;
        m["occupancy"] = {{"profile", prof},
                          {"zone_name_field", occ->zone_name_field},
                          {"floors_field", occ->floors_field},
                          {"height_field", occ->height_field},
                          {"status_field", occ->status_field},
                          {"parcels_outside_zones", report.occupancy->n_outside},
                          {"buildings_floors_unknown", report.occupancy->n_buildings_floors_unknown}};
        nlohmann::json total = nlohmann::json::object();
        const auto& t = report.zone_table->rows.back();
        for (std::size_t i = 0; i < report.zone_table->fields.size(); ++i) {
            total[report.zone_table->fields[i].name] = value_json(t[i]);
        }
        m["occupancy"]["total"] = total;
    }
    if (acc) {
        const auto& net = report.access->network;
        const auto& a = *study.access;
        m["access"] = {{"profile", a.profile},
                       {"origins", a.origins},
                       {"access_point", a.access_point},
                       {"max_snap_m", a.max_snap_m},
                       {"snap_tolerance_m", a.snap_tolerance_m},
                       {"isochrones_min", a.isochrones_min},
                       {"isochrone_buffer_m", a.isochrone_buffer_m},
                       {"network", {{"lines", net.lines},
                                    {"nodes", net.nodes},
                                    {"edges", net.edges},
                                    {"excluded_edges", net.excluded_edges},
                                    {"components", net.components},
                                    {"largest_component_nodes", net.largest_component_nodes},
                                    {"length_m", net.total_length_m}}},
                       {"warnings", report.access->warnings}};
        nlohmann::json kinds = nlohmann::json::array();
        for (const auto& k : report.access->kinds) {
            std::size_t reachable = 0;
            for (const auto& d : k.dist_m) {
                reachable += d ? 1 : 0;
            }
            kinds.push_back({{"kind", k.kind},
                             {"field_prefix", k.field_prefix},
                             {"facilities", k.facilities},
                             {"facilities_unsnapped", k.facilities_unsnapped},
                             {"origins_reached", reachable}});
        }
        m["access"]["kinds"] = kinds;
    }
    m["export"] = {{"geojson_crs", study.exports.geojson_native_crs ? "native" : "wgs84"},
                   {"styles", study.exports.styles}};
    for (auto f : study.exports.formats) {
        m["export"]["formats"].push_back(export_format_name(f));
    }
    if (!metric_step.empty()) {
        m["metrics"] = metrics_manifest;
    }
    m["outputs"] = nlohmann::json::array();
    for (const auto& o : report.outputs) {
        nlohmann::json j = {{"file", fs::relative(o.path, study.output_dir).generic_string()},
                            {"layer", o.layer}};
        if (o.data) {
            j["features"] = o.features;
        }
        m["outputs"].push_back(j);
    }
    report.manifest_path = out_path("run.json");
    write_text_file(report.manifest_path, m.dump(2) + "\n", study.write);
    progress.report(1.0, "done");
    return report;
}

}  // namespace spaceuse
