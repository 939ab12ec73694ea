// The occupancy and free_space metrics: declarations, options, and the layers they write. The
// overlay itself is compute_occupancy (occupancy.cpp).

#include "layer_rows.hpp"
#include "../registry/builtin.hpp"
#include "../util/parallel.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/occupancy.hpp>

#include <filesystem>

namespace spaceuse::detail {

namespace {

using Fields = std::vector<FieldSpec>;
constexpr auto real = FieldType::real;
constexpr auto integer = FieldType::integer;
constexpr auto string = FieldType::string;

/// A free-space figure, or null when free space was not computed (unknown, not zero).
Value free_value(const OccupancyOptions& options, double v) {
    return options.free_space ? Value(v) : Value(std::monostate{});
}

/// Overlapping parcels: the total, its share of the zones' net area, and the pairs (the
/// first 100; ids as in the parcels layer).
nlohmann::json overlaps_json(const OccupancyResult& r) {
    nlohmann::json pairs = nlohmann::json::array();
    for (const auto& o : r.overlaps) {
        if (pairs.size() == 100) {
            break;
        }
        pairs.push_back({{"parcel_a", o.id_a}, {"parcel_b", o.id_b}, {"area_m2", o.area_m2}});
    }
    return {{"total_m2", r.total.overlap_m2},
            {"share_of_net", r.total.net_m2 > 0 ? r.total.overlap_m2 / r.total.net_m2 : 0.0},
            {"pairs", r.overlaps.size()},
            {"first_pairs", pairs}};
}

OutputLayer parcels_layer(const MetricInput& in, const OccupancyOptions& options,
                          const std::shared_ptr<const OccupancyResult>& shared) {
    const OccupancyResult& result = *shared;
    const Layer& parcels = *in.model().find(options.parcels_layer);
    const Layer& zones = *in.model().find(options.zones_layer);
    OutputLayer p;
    p.name = "parcels";
    p.fields = {{"parcel_id", string},     {"source_fid", integer},   {"zone_id", string},
                {"zone_share", real},      {"area_m2", real},         {"built_m2", real},
                {"coverage", real},        {"floor_m2", real},        {"far", real},
                {"status", string},        {"status_source", string}, {"free_m2", real},
                {"largest_free_m2", real}, {"n_buildings", integer}};
    const std::size_t width = p.fields.size();
    const bool free_space = options.free_space;
    // A parcel's row, made from its result.
    auto row_of =
        [&result, &parcels, &zones, width, free_space](std::size_t i, std::vector<Value>& row) {
        const ParcelResult& r = result.parcels[i];
        const Feature& f = parcels.features[r.parcel];
        row.reserve(width);
        row.emplace_back(f.id);
        row.emplace_back(f.fid);
        row.push_back(r.zone ? Value(zones.features[*r.zone].id) : Value(std::monostate{}));
        row.emplace_back(r.zone_share);
        row.emplace_back(r.area_m2);
        if (r.failed == ParcelFailure::all) {
            // Unknown, not zero: the reason is in the run's manifest (occupancy.failed_parcels).
            row.resize(width);
            row[3] = Value(std::monostate{});  // zone_share: no zone was found
            return;
        }
        row.emplace_back(r.built_m2);
        row.emplace_back(r.coverage);
        row.push_back(opt(r.floor_m2));
        row.push_back(opt(r.far));
        row.emplace_back(std::string(status_name(r.status)));
        row.emplace_back(std::string(r.status_from_attribute ? "attribute" : "computed"));
        // Free-space figures are unknown (null, not zero) when free space was not computed.
        const bool free_known = free_space && r.failed != ParcelFailure::free_space;
        row.push_back(free_known ? Value(r.free_m2) : Value(std::monostate{}));
        row.push_back(free_known ? Value(r.largest_free_m2) : Value(std::monostate{}));
        row.emplace_back(std::int64_t{r.n_buildings});
    };
    if (const auto& model = in.shared_model()) {
        // The rows are a view of the result, which the run keeps for the metrics that use
        // occupancy: the parcels' figures are held once, not again as a table.
        p.rows.view(result.parcels.size(), width,
                    [row_of, shared, model](std::size_t i, std::vector<Value>& row) {
            row_of(i, row);
        });
    } else {
        // No owner to keep the model alive: rows filled on the analysis threads.
        p.rows.prepare(p.fields, result.parcels.size());
        parallel_for(result.parcels.size(), worker_count(options.threads), 1024, stateless,
                     [&](Stateless&, std::size_t i) {
            std::vector<Value> row;
            row_of(i, row);
            p.rows.set_row(i, row);
        });
    }
    attach_geometries(p, parcels, in.shared_model(), result.parcels.size(),
                      [&result](std::size_t i) { return result.parcels[i].parcel; });
    return p;
}

std::vector<Value> zone_row(const OccupancyOptions& options, const std::string& id,
                            const ZoneResult& z, bool with_floor) {
    std::vector<Value> row{id,
                           z.name,
                           z.gross_m2,
                           z.net_m2,
                           z.infra_m2,
                           z.built_m2,
                           z.coverage,
                           z.occupancy,
                           z.vacant_m2,
                           z.underused_m2,
                           free_value(options, z.free_m2),
                           std::int64_t{z.n_parcels},
                           std::int64_t{z.n_occupied},
                           std::int64_t{z.n_underused},
                           std::int64_t{z.n_vacant}};
    if (with_floor) {
        row.push_back(opt(z.floor_m2));
    }
    row.push_back(opt(z.far));
    row.emplace_back(z.overlap_m2);
    return row;
}

OutputLayer zones_layer(const MetricInput& in, const OccupancyOptions& options,
                        const OccupancyResult& result) {
    const Layer& zones = *in.model().find(options.zones_layer);
    OutputLayer z;
    z.name = "zones";
    z.fields = {{"zone_id", string},     {"name", string},
                {"gross_m2", real},      {"net_m2", real},
                {"infra_m2", real},      {"built_m2", real},
                {"coverage", real},      {"occupancy", real},
                {"vacant_m2", real},     {"underused_m2", real},
                {"free_m2", real},       {"n_parcels", integer},
                {"n_occupied", integer}, {"n_underused", integer},
                {"n_vacant", integer},   {"floor_m2", real},
                {"far", real},           {"overlap_m2", real}};
    for (const auto& r : result.zones) {
        z.rows.push_back(zone_row(options, zones.features[r.zone].id, r, true));
    }
    attach_geometries(z, zones, in.shared_model(), result.zones.size(),
                      [&result](std::size_t i) { return result.zones[i].zone; });
    return z;
}

/// The zone table of summary.csv: the zones, then TOTAL.
/// The columns of the zone table (summary.csv), with their CSV decimals.
std::vector<OutputField> summary_fields() {
    return {{"zone_id", string},       {"name", string},         {"gross_m2", real, 2},
            {"net_m2", real, 2},       {"infra_m2", real, 2},    {"built_m2", real, 2},
            {"coverage", real, 4},     {"occupancy", real, 4},   {"vacant_m2", real, 2},
            {"underused_m2", real, 2}, {"free_m2", real, 2},     {"n_parcels", integer},
            {"n_occupied", integer},   {"n_underused", integer}, {"n_vacant", integer},
            {"far", real, 4},          {"overlap_m2", real, 2}};
}

OutputLayer summary_table(const MetricInput& in, const OccupancyOptions& options,
                          const OccupancyResult& result) {
    const Layer& zones = *in.model().find(options.zones_layer);
    OutputLayer t;
    t.name = "summary";
    t.fields = summary_fields();
    for (const auto& z : result.zones) {
        t.rows.push_back(zone_row(options, zones.features[z.zone].id, z, false));
    }
    t.rows.push_back(zone_row(options, "TOTAL", result.total, false));
    return t;
}

class OccupancyMetric : public Metric, public ManifestSection {
public:
    void configure(const MetricOptions& o, const MetricPlan& plan) override {
        // A profile is a name looked up in the profile folders, or a .toml file (relative to the
        // project file).
        std::string profile = o.text("profile");
        namespace fs = std::filesystem;
        if (fs::path(profile).extension() == ".toml" && !plan.base_dir.empty() &&
            fs::path(profile).is_relative()) {
            profile = (fs::path(plan.base_dir) / profile).lexically_normal().string();
        }
        Profile p = find_profile(profile, plan.profile_dirs);
        auto set = [&o](double& target, const char* name) {
            if (auto v = o.optional_number(name)) {
                target = *v;
            }
        };
        set(p.storey_height_m, "storey_height_m");
        set(p.setback_m, "setback_m");
        set(p.min_free_area_m2, "min_free_area_m2");
        set(p.min_free_width_m, "min_free_width_m");
        set(p.vacant_below, "vacant_below");
        set(p.underused_below, "underused_below");
        for (const auto& [k, v] : parse_status_map(o.text("status_map"))) {
            p.status_values[k] = v;
        }
        validate_profile(p, "occupancy settings (profile '" + p.name + "' with overrides)");
        m_options.zone_name_field = o.text("zone_name_field");
        m_options.floors_field = o.text("floors_field");
        m_options.height_field = o.text("height_field");
        m_options.status_field = o.text("status_field");
        m_options.free_space = o.flag("free_space");
        m_options.profile = std::move(p);
    }

    std::vector<std::pair<std::string, std::string>> definition() const override {
        const Profile& p = m_options.profile;
        std::vector<std::pair<std::string, std::string>> d = {
            {"profile.vacant_below", option_text(p.vacant_below)},
            {"profile.underused_below", option_text(p.underused_below)},
            {"profile.setback_m", option_text(p.setback_m)},
            {"profile.min_free_area_m2", option_text(p.min_free_area_m2)},
            {"profile.min_free_width_m", option_text(p.min_free_width_m)},
            {"profile.storey_height_m", option_text(p.storey_height_m)}};
        for (const auto& [k, v] : p.status_values) {
            d.emplace_back("profile.status_values." + k, status_name(v));
        }
        return d;
    }

    MetricResult compute(const MetricInput& in) const override {
        OccupancyOptions options = m_options;
        options.threads = in.threads();
        auto result = std::make_shared<OccupancyResult>(
            compute_occupancy(in.model(), options, in.progress()));
        MetricResult out;
        out.layers.push_back(parcels_layer(in, options, result));
        out.layers.push_back(zones_layer(in, options, *result));
        out.layers.push_back(summary_table(in, options, *result));
        result->free_space = options.free_space;
        result->profile = options.profile;
        // The result as the metrics that use occupancy read it (MetricInput::result).
        out.set_data(result);
        return out;
    }

    void manifest(const MetricResult& result, nlohmann::json& m) const override {
        const auto& r = *std::any_cast<const std::shared_ptr<const OccupancyResult>&>(result.data);
        const Profile& p = m_options.profile;
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
                          {"zone_name_field", m_options.zone_name_field},
                          {"floors_field", m_options.floors_field},
                          {"height_field", m_options.height_field},
                          {"status_field", m_options.status_field},
                          {"parcels_outside_zones", r.n_outside},
                          {"failed_parcels", failed_parcels_json(r, true)},
                          {"overlaps", overlaps_json(r)},
                          {"buildings_floors_unknown", r.n_buildings_floors_unknown}};
        // The TOTAL row of the zone table (the table itself may have moved to the writer).
        const auto fields = summary_fields();
        const auto row = zone_row(m_options, "TOTAL", r.total, false);
        nlohmann::json total = nlohmann::json::object();
        for (std::size_t i = 0; i < fields.size(); ++i) {
            total[fields[i].name] = variant_json(row[i]);
        }
        m["occupancy"]["total"] = total;
    }

private:
    OccupancyOptions m_options;
};

/// Shapes the free pieces occupancy computed into the free_space layer.
class FreeSpaceMetric : public Metric {
public:
    void configure(const MetricOptions&, const MetricPlan& plan) override {
        const MetricOptions* occupancy = plan.used_options("occupancy");
        if (occupancy != nullptr && !occupancy->flag("free_space")) {
            throw ConfigError("free_space needs occupancy's usable free space (occupancy option "
                              "free_space = true)");
        }
    }

    MetricResult compute(const MetricInput& in) const override {
        const auto& shared = in.shared_result<OccupancyResult>("occupancy");
        const OccupancyResult& result = *shared;
        if (!result.free_space) {
            throw ConfigError("free_space needs occupancy's usable free space (occupancy option "
                              "free_space = true)");
        }
        const OccupancyOptions defaults;
        const Layer& parcels = *in.model().find(defaults.parcels_layer);
        const Layer& zones = *in.model().find(defaults.zones_layer);
        OutputLayer fs;
        fs.name = "free_space";
        fs.fields = {
            {"piece_id", integer}, {"parcel_id", string}, {"zone_id", string}, {"area_m2", real}};
        std::int64_t piece_id = 0;
        fs.rows.reserve(result.free_pieces.size());
        for (const auto& piece : result.free_pieces) {
            const auto& r = result.parcels[piece.parcel];
            fs.rows.push_back({++piece_id, parcels.features[piece.parcel].id,
                               r.zone ? Value(zones.features[*r.zone].id) : Value(std::monostate{}),
                               piece.area_m2});
        }
        if (!result.free_pieces.empty()) {
            // The pieces' geometries are borrowed from occupancy's result, not copied (a million
            // parcels have about as many pieces).
            fs.geometry_at = [shared](std::size_t row) -> const Geometry& {
                return shared->free_pieces[row].geometry;
            };
        }
        MetricResult out;
        out.layers.push_back(std::move(fs));
        return out;
    }
};

std::vector<OptionSpec> occupancy_options() {
    const auto number = OptionType::number;
    const auto field = OptionType::field;
    return {
        {.name = "profile",
         .type = OptionType::text,
         .help = "Profile with thresholds and definitions: a name (looked up in the profile "
                 "folders) or a .toml file",
         .default_value = std::string("default"),
         .flag = "profile",
         .affects_results = false},  // its content does (Metric::definition)
        {.name = "zone_name_field",
         .type = field,
         .help = "Zone name field",
         .layer = "zones",
         .flag = "zone-name"},
        {.name = "floors_field",
         .type = field,
         .help = "Building floors field",
         .unit = "floors",
         .layer = "buildings",
         .flag = "floors-field"},
        {.name = "height_field",
         .type = field,
         .help = "Building height field (used when there is no floors field)",
         .unit = "m",
         .layer = "buildings",
         .flag = "height-field"},
        {.name = "storey_height_m",
         .type = number,
         .help = "Storey height to turn heights into floors (default: the profile's)",
         .unit = "m",
         .min = 0.0,
         .min_exclusive = true,
         .flag = "storey-height"},
        {.name = "status_field",
         .type = field,
         .help = "Parcel status field overriding the computed status",
         .layer = "parcels",
         .flag = "status-field"},
        {.name = "status_map",
         .type = OptionType::text,
         .help = "Status field values added to the profile's: VALUE=occupied|underused|vacant,...",
         .flag = "status-map"},
        {.name = "vacant_below",
         .type = number,
         .help = "Vacant when coverage is below (default: the profile's)",
         .unit = "fraction",
         .min = 0.0,
         .max = 1.0,
         .flag = "vacant-below"},
        {.name = "underused_below",
         .type = number,
         .help = "Underused when coverage is below (default: the profile's)",
         .unit = "fraction",
         .min = 0.0,
         .max = 1.0,
         .flag = "underused-below"},
        {.name = "setback_m",
         .type = number,
         .help = "Free distance kept around buildings (default: the profile's)",
         .unit = "m",
         .min = 0.0,
         .flag = "setback"},
        {.name = "min_free_area_m2",
         .type = number,
         .help = "Smallest usable free piece (default: the profile's)",
         .unit = "m2",
         .min = 0.0,
         .flag = "min-free-area"},
        {.name = "min_free_width_m",
         .type = number,
         .help = "Narrowest usable free piece (default: the profile's)",
         .unit = "m",
         .min = 0.0,
         .flag = "min-free-width"},
        {.name = "free_space",
         .type = OptionType::boolean,
         .help = "Compute usable free space (the free_space layer and the free figures); off: "
                 "built area, coverage, floor area and status only (free figures null)",
         .default_value = true,
         .flag = "no-free-space",
         .adds_metric = "free_space"},
    };
}

}  // namespace

void register_occupancy_metrics(MetricRegistry& registry) {
    MetricInfo occupancy;
    occupancy.name = "occupancy";
    occupancy.description =
        "Built area, coverage, floor area, status and usable free land per parcel; occupancy "
        "per zone";
    occupancy.layers = {
        {"zones", GeometryFamily::polygon, true, false, "Zones (business parks)", ""},
        {"parcels", GeometryFamily::polygon, true, false, "Cadastral parcels", ""},
        {"buildings", GeometryFamily::polygon, true, false, "Building footprints", ""}};
    occupancy.options = occupancy_options();
    const Fields zone_fields = {
        {"zone_id", string, "", "zone id field value, else source FID"},
        {"name", string, "", "zone name field value"},
        {"gross_m2", real, "m2", "zone area"},
        {"net_m2", real, "m2", "parcel area inside the zone"},
        {"infra_m2", real, "m2", "gross - net"},
        {"built_m2", real, "m2", "built area of the zone's parcels"},
        {"coverage", real, "fraction", "built / net"},
        {"occupancy", real, "fraction", "occupied parcel area / net"},
        {"vacant_m2", real, "m2", "vacant parcel area"},
        {"underused_m2", real, "m2", "underused parcel area"},
        {"free_m2", real, "m2", "usable free land; null without free space"},
        {"n_parcels", integer, "", "parcels assigned to the zone"},
        {"n_occupied", integer, "", "occupied parcels"},
        {"n_underused", integer, "", "underused parcels"},
        {"n_vacant", integer, "", "vacant parcels"},
        {"floor_m2", real, "m2", "floor area, when known"},
        {"far", real, "ratio", "floor area / net, when known"},
        {"overlap_m2", real, "m2",
         "area two parcels share (each pair once): counted twice in net_m2, missing from "
         "infra_m2"}};
    Fields summary_fields;
    for (const auto& f : zone_fields) {
        if (f.name != "floor_m2") {
            summary_fields.push_back(f);
        }
    }
    summary_fields.front().description = "zone id, or TOTAL for all zones";
    occupancy.outputs = {
        {"parcels",
         "One row per parcel",
         true,
         false,
         {{"parcel_id", string, "", "parcel id field value, else source FID"},
          {"source_fid", integer, "", "feature id in the source"},
          {"zone_id", string, "", "zone holding the largest part"},
          {"zone_share", real, "fraction", "part inside that zone"},
          {"area_m2", real, "m2", "parcel area"},
          {"built_m2", real, "m2", "union of footprints inside the parcel"},
          {"coverage", real, "fraction", "built_m2 / area_m2 (B/T)"},
          {"floor_m2", real, "m2", "footprint part x floors; null if unknown"},
          {"far", real, "ratio", "floor_m2 / area_m2 (V/T)"},
          {"status", string, "", "occupied | underused | vacant"},
          {"status_source", string, "", "computed | attribute"},
          {"free_m2", real, "m2",
           "usable free land; null without free space or when GEOS failed on the parcel"},
          {"largest_free_m2", real, "m2",
           "largest usable free piece; null without free space or when GEOS failed"},
          {"n_buildings", integer, "", "buildings touching the parcel"}}},
        {"zones", "One row per zone", true, false, zone_fields},
        {"summary", "Zone table (summary.csv): the zones, then TOTAL", false, true, summary_fields},
    };
    occupancy.factory = [] { return std::make_unique<OccupancyMetric>(); };
    registry.add(std::move(occupancy));

    MetricInfo free_space;
    free_space.name = "free_space";
    free_space.description = "Usable free land: parcel minus buildings grown by a setback, "
                             "opened by a minimum width, pieces above a minimum area (the "
                             "pieces occupancy computes)";
    free_space.uses = {"occupancy"};
    free_space.outputs = {{"free_space",
                           "One row per usable free piece",
                           true,
                           false,
                           {{"piece_id", integer, "", "running number"},
                            {"parcel_id", string, "", "parcel of the piece"},
                            {"zone_id", string, "", "zone of that parcel"},
                            {"area_m2", real, "m2", "piece area"}}}};
    free_space.factory = [] { return std::make_unique<FreeSpaceMetric>(); };
    registry.add(std::move(free_space));
}

nlohmann::json failed_parcels_json(const OccupancyResult& r, bool with_overlaps) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : r.failures) {
        if (list.size() == 1000) {
            break;  // the terminal gives the count
        }
        if (f.step == ParcelFailure::overlap && !with_overlaps) {
            continue;
        }
        list.push_back({{"parcel_id", f.parcel_id},
                        {"source_fid", f.fid},
                        {"step", parcel_failure_name(f.step)},
                        {"reason", f.reason}});
    }
    return list;
}

}  // namespace spaceuse::detail
