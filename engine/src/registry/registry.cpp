#include <spaceuse/error.hpp>
#include <spaceuse/access.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/occupancy.hpp>
#include <spaceuse/study.hpp>

#include <cstdlib>

namespace spaceuse {

std::string MetricOptions::text(const std::string& name, const std::string& fallback) const {
    const auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second;
}

double MetricOptions::number(const std::string& name, double fallback) const {
    const auto it = m_values.find(name);
    if (it == m_values.end() || it->second.empty()) {
        return fallback;
    }
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0') {
        throw ConfigError("option '" + name + "' must be a number, not '" + it->second + "'");
    }
    return v;
}

bool MetricRegistry::add(MetricInfo info) {
    if (info.name.empty() || !info.factory) {
        throw PluginError("a metric needs a name and a factory");
    }
    for (const auto& m : m_metrics) {
        if (m.name == info.name) {
            if (m.origin == info.origin) {
                return false;
            }
            throw PluginError("metric '" + info.name + "' is already registered by " + m.origin +
                              "; " + info.origin + " registers it again");
        }
    }
    m_metrics.push_back(std::move(info));
    return true;
}

const MetricInfo* MetricRegistry::find(const std::string& name) const {
    for (const auto& m : m_metrics) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

namespace {

std::vector<MetricOption> occupancy_options() {
    const Profile d;
    return {
        {"profile", "Profile with thresholds and definitions (name or .toml path)", "default", ""},
        {"zone_name_field", "Zone name field", "", ""},
        {"floors_field", "Building floors field", "", "floors"},
        {"height_field", "Building height field (used when no floors field)", "", "m"},
        {"storey_height_m", "Storey height to turn heights into floors", std::to_string(d.storey_height_m), "m"},
        {"status_field", "Parcel status field overriding the computed status", "", ""},
        {"vacant_below", "Vacant when coverage is below", std::to_string(d.vacant_below), "fraction"},
        {"underused_below", "Underused when coverage is below", std::to_string(d.underused_below), "fraction"},
        {"setback_m", "Free distance kept around buildings", std::to_string(d.setback_m), "m"},
        {"min_free_area_m2", "Smallest usable free piece", std::to_string(d.min_free_area_m2), "m2"},
        {"min_free_width_m", "Narrowest usable free piece", std::to_string(d.min_free_width_m), "m"},
    };
}

OccupancyOptions to_occupancy_options(const MetricOptions& o) {
    OccupancySettings s;
    s.profile = o.text("profile", "default");
    s.zone_name_field = o.text("zone_name_field");
    s.floors_field = o.text("floors_field");
    s.height_field = o.text("height_field");
    s.status_field = o.text("status_field");
    auto num = [&o](const char* name) -> std::optional<double> {
        if (o.text(name).empty()) {
            return std::nullopt;
        }
        return o.number(name, 0.0);
    };
    s.storey_height_m = num("storey_height_m");
    s.vacant_below = num("vacant_below");
    s.underused_below = num("underused_below");
    s.setback_m = num("setback_m");
    s.min_free_area_m2 = num("min_free_area_m2");
    s.min_free_width_m = num("min_free_width_m");
    return make_occupancy_options(s, static_cast<unsigned>(o.number("threads", 0)));
}

class OccupancyMetric : public Metric {
public:
    explicit OccupancyMetric(bool free_space) : m_free_space(free_space) {}
    std::vector<OutputLayer> compute(const Model& model, const MetricOptions& options,
                                     const ProgressFn& progress) const override {
        const OccupancyOptions occ = to_occupancy_options(options);
        const auto result = compute_occupancy(model, occ, progress);
        auto layers = occupancy_layers(model, occ, result);
        std::vector<OutputLayer> out;
        for (auto& l : layers) {
            if ((l.name == "free_space") == m_free_space) {
                out.push_back(std::move(l));
            }
        }
        return out;
    }

private:
    bool m_free_space;
};

class AccessMetric : public Metric {
public:
    std::vector<OutputLayer> compute(const Model& model, const MetricOptions& o,
                                     const ProgressFn& progress) const override {
        AccessOptions options;
        options.origins_layer = o.text("origins", "parcels");
        FacilitySource f;
        f.layer = o.text("facilities", "facilities");
        f.kind_field = o.text("facility_field");
        f.kind = o.text("facility_kind");
        if (f.kind_field.empty() && f.kind.empty()) {
            throw ConfigError("access: set facility_field or facility_kind");
        }
        options.facilities = {f};
        options.profile = parse_travel_profile(o.text("profile", "car"));
        options.max_snap_m = o.number("max_snap_m", 500.0);
        options.snap_tolerance_m = o.number("snap_tolerance_m", 0.0);
        options.speed_field = o.text("speed_field");
        if (model.find("zones") != nullptr && options.origins_layer != "zones") {
            options.zones_layer = "zones";
        }
        const AccessResult result = compute_access(model, options, progress);
        auto layers = access_layers(model, options, result);
        layers.pop_back();  // the summary table is for files, not a layer
        return layers;
    }
};

}  // namespace

void register_builtin_metrics(MetricRegistry& registry) {
    MetricInfo occupancy;
    occupancy.name = "occupancy";
    occupancy.description = "Built area, coverage, floor area, status per parcel; occupancy per zone";
    occupancy.layers = {"zones", "parcels", "buildings"};
    occupancy.options = occupancy_options();
    occupancy.outputs = {
        {"parcels", "parcel_id", FieldType::string, "", "--parcel-id value, else source FID"},
        {"parcels", "zone_id", FieldType::string, "", "zone holding the largest part"},
        {"parcels", "zone_share", FieldType::real, "fraction", "part inside that zone"},
        {"parcels", "area_m2", FieldType::real, "m2", "parcel area"},
        {"parcels", "built_m2", FieldType::real, "m2", "union of footprints inside the parcel"},
        {"parcels", "coverage", FieldType::real, "fraction", "built_m2 / area_m2 (B/T)"},
        {"parcels", "floor_m2", FieldType::real, "m2", "footprint part x floors; null if unknown"},
        {"parcels", "far", FieldType::real, "ratio", "floor_m2 / area_m2 (V/T)"},
        {"parcels", "status", FieldType::string, "", "occupied | underused | vacant"},
        {"parcels", "status_source", FieldType::string, "", "computed | attribute"},
        {"parcels", "free_m2", FieldType::real, "m2", "usable free land"},
        {"parcels", "largest_free_m2", FieldType::real, "m2", "largest usable free piece"},
        {"zones", "gross_m2", FieldType::real, "m2", "zone area"},
        {"zones", "net_m2", FieldType::real, "m2", "parcel area inside the zone"},
        {"zones", "infra_m2", FieldType::real, "m2", "gross - net"},
        {"zones", "built_m2", FieldType::real, "m2", "built area of the zone's parcels"},
        {"zones", "coverage", FieldType::real, "fraction", "built / net"},
        {"zones", "occupancy", FieldType::real, "fraction", "occupied parcel area / net"},
        {"zones", "vacant_m2", FieldType::real, "m2", "vacant parcel area"},
        {"zones", "underused_m2", FieldType::real, "m2", "underused parcel area"},
        {"zones", "free_m2", FieldType::real, "m2", "usable free land"},
        {"zones", "n_parcels", FieldType::integer, "", "parcels assigned to the zone"},
        {"zones", "far", FieldType::real, "ratio", "floor area / net, when known"},
    };
    occupancy.factory = [] { return std::make_unique<OccupancyMetric>(false); };
    registry.add(std::move(occupancy));

    MetricInfo free_space;
    free_space.name = "free_space";
    free_space.description = "Usable free land: parcel minus buildings grown by a setback, "
                             "opened by a minimum width, pieces above a minimum area";
    free_space.layers = {"zones", "parcels", "buildings"};
    free_space.options = occupancy_options();
    free_space.outputs = {
        {"free_space", "piece_id", FieldType::integer, "", "running number"},
        {"free_space", "parcel_id", FieldType::string, "", "parcel of the piece"},
        {"free_space", "zone_id", FieldType::string, "", "zone of that parcel"},
        {"free_space", "area_m2", FieldType::real, "m2", "piece area"},
    };
    free_space.factory = [] { return std::make_unique<OccupancyMetric>(true); };
    registry.add(std::move(free_space));

    MetricInfo access;
    access.name = "access";
    access.description = "Network distance and time from each origin to the nearest facility "
                         "per kind, straight-line distance, isochrones";
    access.layers = {"roads", "facilities", "parcels"};
    access.options = {
        {"origins", "Origins layer role", "parcels", ""},
        {"facilities", "Facilities layer role", "facilities", ""},
        {"facility_field", "Field holding the facility kind", "", ""},
        {"facility_kind", "Kind of every facility (without a kind field)", "", ""},
        {"profile", "car, walk or bike", "car", ""},
        {"max_snap_m", "Largest connector to the network", "500", "m"},
        {"snap_tolerance_m", "Join line ends closer than this", "0", "m"},
        {"speed_field", "Road speed field", "", "km/h"},
    };
    access.outputs = {
        {"access", "origin_id", FieldType::string, "", "--origin-id value, else source FID"},
        {"access", "snap_m", FieldType::real, "m", "origin connector to the network"},
        {"access", "K_dist_m", FieldType::real, "m", "network distance to the nearest K"},
        {"access", "K_time_min", FieldType::real, "min", "travel time to the nearest K"},
        {"access", "K_eucl_m", FieldType::real, "m", "straight line to the nearest K"},
        {"access", "K_snap_m", FieldType::real, "m", "facility-side connector"},
        {"access", "K_id", FieldType::string, "", "nearest K by network distance"},
        {"access", "K_snap_note", FieldType::string, "", "nearer road of a small component passed over"},
        {"isochrones", "minutes", FieldType::real, "min", "band"},
    };
    access.factory = [] { return std::make_unique<AccessMetric>(); };
    registry.add(std::move(access));
}

}  // namespace spaceuse
