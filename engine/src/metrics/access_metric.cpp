// The access metric: declarations, options, and the layers it writes. The analysis itself is
// compute_access (access.cpp).

#include "layer_rows.hpp"
#include "../registry/builtin.hpp"
#include "../util/parallel.hpp"

#include <spaceuse/access.hpp>
#include <spaceuse/error.hpp>

#include <cstdio>

namespace spaceuse::detail {

namespace {

constexpr auto real = FieldType::real;
constexpr auto integer = FieldType::integer;
constexpr auto string = FieldType::string;

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

OutputLayer access_layer(const MetricInput& in, const AccessOptions& options,
                         const std::shared_ptr<const AccessResult>& shared) {
    const AccessResult& result = *shared;
    const Layer& origins = *in.model().find(options.origins_layer);
    OutputLayer a;
    a.name = "access";
    a.fields = {{"origin_id", string}, {"snap_m", real}, {"reason", string}};
    for (const auto& k : result.kinds) {
        const std::string p = k.field_prefix;
        for (const auto& f : {p + "_dist_m", p + "_time_min", p + "_eucl_m", p + "_snap_m"}) {
            a.fields.push_back({f, real});
        }
        a.fields.push_back({p + "_id", string});
        a.fields.push_back({p + "_snap_note", string});
        a.fields.push_back({p + "_reason", string});
    }
    if (!result.opportunities.empty()) {
        a.fields.push_back({"opportunities", real});
    }
    const std::size_t n = origins.features.size();
    const std::size_t width = a.fields.size();
    // An origin's row, made from the result.
    auto row_of = [&result, &origins, width](std::size_t i, std::vector<Value>& row) {
        row.reserve(width);
        row.emplace_back(origins.features[i].id);
        row.push_back(opt(result.snap_m[i]));
        // Why the origin has no access to the network (the same for every kind).
        row.push_back(!result.snap_m[i] && !result.kinds.empty()
                          ? text_or_null(result.unattached.at(i))
                          : Value(std::monostate{}));
        const std::string& note = result.snap_notes.at(i);
        for (std::size_t k = 0; k < result.kinds.size(); ++k) {
            const KindAccess& ka = result.kinds[k];
            row.push_back(nan_null(ka.dist_m[i]));
            row.push_back(nan_null(ka.time_min[i]));
            row.push_back(nan_null(ka.eucl_m[i]));
            row.push_back(nan_null(ka.facility_snap_m[i]));
            row.push_back(text_or_null(ka.facility_id(i)));
            row.push_back(text_or_null(note));
            row.push_back(text_or_null(result.reason(k, i)));
        }
        if (!result.opportunities.empty()) {
            row.push_back(opt(result.opportunities[i]));
        }
    };
    if (const auto& model = in.shared_model()) {
        // The rows are a view of the result, which the run keeps (a region has a million
        // origins: their figures are held once, not again as a table).
        a.rows.view(n, width, [row_of, shared, model](std::size_t i, std::vector<Value>& row) {
            row_of(i, row);
        });
    } else {
        // No owner to keep the model alive: rows filled on the analysis threads.
        a.rows.prepare(a.fields, n);
        parallel_for(n, worker_count(options.threads), 1024, stateless,
                     [&](Stateless&, std::size_t i) {
            std::vector<Value> row;
            row_of(i, row);
            a.rows.set_row(i, row);
        });
    }
    attach_geometries(a, origins, in.shared_model(), n, [](std::size_t i) { return i; });
    return a;
}

OutputLayer isochrones_layer(const AccessResult& result) {
    OutputLayer iso;
    iso.name = "isochrones";
    iso.fields = {{"kind", string}, {"minutes", real}, {"area_m2", real}};
    for (const auto& i : result.isochrones) {
        // An isochrone GEOS could not draw has no area, not an area of zero (warnings say why).
        iso.rows.push_back({i.kind, i.minutes,
                            i.failure.empty() ? Value(area(i.geometry)) : Value(std::monostate{})});
        iso.geometries.emplace_back(i.geometry);
    }
    return iso;
}

/// The GEOS failures of the isochrones and zone aggregates as warnings of the run (those of the
/// origins' access points are already there): one line per isochrone; the zones' lines counted
/// and the first ten listed. In result order, so the same for any thread count.
void add_failure_warnings(AccessResult& result) {
    for (const auto& i : result.isochrones) {
        if (!i.failure.empty()) {
            char band[64];
            std::snprintf(band, sizeof band, "%g min", i.minutes);
            result.warnings.push_back("isochrone " + i.kind + " " + band +
                                      " not drawn (its area and the zones' shares within it are "
                                      "null): " +
                                      i.failure);
        }
    }
    std::vector<const std::string*> lines;
    for (const auto& z : result.zones) {
        for (const auto& f : z.failures) {
            lines.push_back(&f);
        }
    }
    if (lines.empty()) {
        return;
    }
    result.warnings.push_back("GEOS could not measure " + std::to_string(lines.size()) +
                              " origin part(s) for the zone aggregates (overlays are retried "
                              "after repair and 1 mm snap rounding); those origins are left out "
                              "(run.json: access.zone_failures):");
    for (std::size_t k = 0; k < lines.size() && k < 10; ++k) {
        result.warnings.push_back(*lines[k]);
    }
    if (lines.size() > 10) {
        result.warnings.push_back("... and " + std::to_string(lines.size() - 10) + " more");
    }
}

/// The access summary table: zones x kinds (with a zones layer), then one row per kind over
/// all origins (plain means).
OutputLayer summary_table(const MetricInput& in, const AccessOptions& options,
                          const AccessResult& result) {
    const Layer& origins = *in.model().find(options.origins_layer);
    OutputLayer t;
    t.name = "access_summary";
    t.fields = {{"zone_id", string},      {"kind", string},         {"origins", integer},
                {"reachable", integer},   {"mean_dist_m", real, 1}, {"mean_time_min", real, 2},
                {"worst_origin", string}, {"worst_dist_m", real, 1}};
    for (const double m : options.isochrones_min) {
        t.fields.push_back({"share_" + minutes_label(m) + "min", real, 4});
    }
    if (!result.zones.empty()) {
        const Layer& zones = *in.model().find(options.zones_layer);
        for (const auto& z : result.zones) {
            std::vector<Value> row{zones.features[z.zone].id,
                                   z.kind,
                                   static_cast<std::int64_t>(z.origins),
                                   static_cast<std::int64_t>(z.reachable),
                                   opt(z.mean_dist_m),
                                   opt(z.mean_time_min),
                                   text_or_null(z.worst_origin),
                                   opt(z.worst_dist_m)};
            for (const auto& share : z.band_share) {
                row.push_back(opt(share));
            }
            t.rows.push_back(std::move(row));
        }
    }
    for (const auto& k : result.kinds) {
        double sum = 0;
        std::int64_t reachable = 0;
        std::optional<double> worst;
        std::string worst_id;
        std::optional<double> tsum;
        for (std::size_t i = 0; i < k.dist_m.size(); ++i) {
            if (k.reached(i)) {
                ++reachable;
                sum += k.dist_m[i];
                tsum = tsum.value_or(0.0) + k.time_min[i];
                if (!worst || k.dist_m[i] > *worst) {
                    worst = k.dist_m[i];
                    worst_id = origins.features[i].id;
                }
            }
        }
        std::vector<Value> row{
            std::string("ALL"),
            k.kind,
            static_cast<std::int64_t>(k.dist_m.size()),
            reachable,
            reachable ? Value(sum / static_cast<double>(reachable)) : Value(std::monostate{}),
            reachable ? Value(*tsum / static_cast<double>(reachable)) : Value(std::monostate{}),
            text_or_null(worst_id),
            opt(worst)};
        for (std::size_t b = 0; b < options.isochrones_min.size(); ++b) {
            row.push_back(std::monostate{});
        }
        t.rows.push_back(std::move(row));
    }
    return t;
}

/// One per source when several are given, else the one for all (or none).
std::string pick(const std::vector<std::string>& v, std::size_t i) {
    if (v.empty()) {
        return {};
    }
    return v.size() == 1 ? v[0] : (i < v.size() ? v[i] : std::string());
}

class AccessMetric : public Metric, public ManifestSection {
public:
    void configure(const MetricOptions& o, const MetricPlan& plan) override {
        AccessOptions& a = m_options;
        a.network_layer = "roads";
        a.origins_layer = o.text("origins");
        a.profile = parse_travel_profile(o.text("profile"));
        a.access_point = o.text("access_point") == "boundary" ? AccessPoint::boundary
                                                              : AccessPoint::centroid;
        a.max_snap_m = o.number("max_snap_m");
        a.snap_tolerance_m = o.number("snap_tolerance_m");
        a.class_field = o.text("class_field");
        a.oneway_field = o.text("oneway_field");
        a.speed_field = o.text("speed_field");
        if (!o.text("speeds").empty()) {
            a.speeds_kmh = load_speed_table(o.text("speeds"));
        }
        a.isochrones_min = o.numbers("isochrones");
        a.kinds = o.list("kinds");
        a.isochrone_buffer_m = o.number("isochrone_buffer_m");
        a.opportunities_weight = o.text("opportunities_weight");
        a.opportunities_min = o.number("opportunities_min");
        m_fields = o.list("facility_field");
        m_kinds = o.list("facility_kind");
        check_facilities(plan.source_count("facilities"));
        m_settings = {{"profile", o.text("profile")},
                      {"origins", a.origins_layer},
                      {"access_point", o.text("access_point")},
                      {"max_snap_m", a.max_snap_m},
                      {"snap_tolerance_m", a.snap_tolerance_m},
                      {"isochrones_min", a.isochrones_min},
                      {"isochrone_buffer_m", a.isochrone_buffer_m}};
    }

    std::vector<std::pair<std::string, std::string>> definition() const override {
        std::vector<std::pair<std::string, std::string>> d;
        for (const auto& [road_class, kmh] : m_options.speeds_kmh) {
            d.emplace_back("speeds." + road_class, option_text(kmh));
        }
        return d;
    }

    MetricResult compute(const MetricInput& in) const override {
        AccessOptions options = m_options;
        options.threads = in.threads();
        const auto facilities = in.layers("facilities");
        check_facilities(facilities.size());
        for (std::size_t i = 0; i < facilities.size(); ++i) {
            FacilitySource f;
            f.layer = facilities[i]->name;
            f.kind_field = pick(m_fields, i);
            f.kind = pick(m_kinds, i);
            options.facilities.push_back(f);
        }
        if (!in.layers("zones").empty() && options.origins_layer != "zones") {
            options.zones_layer = "zones";
        }
        if (!in.layers("opportunities").empty()) {
            options.opportunities_layer = "opportunities";
        }
        auto result = std::make_shared<AccessResult>(
            compute_access(in.model(), options, in.progress()));
        add_failure_warnings(*result);
        MetricResult out;
        out.layers.push_back(access_layer(in, options, result));
        out.layers.push_back(isochrones_layer(*result));
        out.layers.push_back(summary_table(in, options, *result));
        out.set_data(result);
        return out;
    }

    void manifest(const MetricResult& out, nlohmann::json& m) const override {
        const auto& r = *std::any_cast<const std::shared_ptr<const AccessResult>&>(out.data);
        const auto& net = r.network;
        nlohmann::json a = m_settings;
        a["network"] = {{"lines", net.lines},
                        {"nodes", net.nodes},
                        {"edges", net.edges},
                        {"excluded_edges", net.excluded_edges},
                        {"components", net.components},
                        {"largest_component_nodes", net.largest_component_nodes},
                        {"length_m", net.total_length_m}};
        a["warnings"] = r.warnings;
        // What GEOS could not measure for the zone aggregates: the warnings give the first ten,
        // this the first 1,000.
        nlohmann::json zone_failures = nlohmann::json::array();
        for (const auto& z : r.zones) {
            for (const auto& f : z.failures) {
                if (zone_failures.size() < 1000) {
                    zone_failures.push_back(f);
                }
            }
        }
        a["zone_failures"] = zone_failures;
        nlohmann::json kinds = nlohmann::json::array();
        for (const auto& k : r.kinds) {
            std::size_t reachable = 0;
            for (std::size_t i = 0; i < k.facility.size(); ++i) {
                reachable += k.reached(i) ? 1 : 0;
            }
            kinds.push_back({{"kind", k.kind},
                             {"field_prefix", k.field_prefix},
                             {"facilities", k.facilities},
                             {"facilities_unsnapped", k.facilities_unsnapped},
                             {"origins_reached", reachable}});
        }
        a["kinds"] = kinds;
        m["access"] = a;
    }

private:
    /// Checks the facility fields and kinds against the number of facility sources.
    void check_facilities(std::size_t sources) const {
        if (sources == 0) {
            throw ConfigError("accessibility needs a facilities layer");
        }
        if (m_fields.size() > 1 && m_fields.size() != sources) {
            throw ConfigError("give one facility field for all facility layers or one per layer");
        }
        for (std::size_t i = 0; i < sources; ++i) {
            if (pick(m_fields, i).empty() && pick(m_kinds, i).empty()) {
                throw ConfigError("facility layer " + std::to_string(i + 1) +
                                  " needs a kind field (facility_field) or a kind (facility_kind)");
            }
        }
    }

    AccessOptions m_options;
    std::vector<std::string> m_fields;
    std::vector<std::string> m_kinds;
    nlohmann::json m_settings;
};

}  // namespace

void register_access_metric(MetricRegistry& registry) {
    const auto number = OptionType::number;
    const auto field = OptionType::field;
    const auto list = OptionType::list;
    // The defaults are AccessOptions' (access.hpp), stated there once.
    const AccessOptions d;
    MetricInfo m;
    m.name = "access";
    m.description = "Network distance and time from each origin to the nearest facility per "
                    "kind, straight-line distance, isochrones, cumulative opportunities, zone "
                    "aggregates";
    m.layers = {{"roads", GeometryFamily::line, true, false, "Road lines (the network)", ""},
                {"facilities", GeometryFamily::point, true, true,
                 "Facility points (several sources: one role with a list of sources)", ""},
                {"origins", GeometryFamily::polygon, true, false,
                 "Origins: the layer named by 'origins'", "origins"},
                {"zones", GeometryFamily::polygon, false, false, "Zones for zone aggregates", ""},
                {"opportunities", GeometryFamily::point, false, false,
                 "Targets for cumulative opportunities", ""}};
    m.options = {
        {.name = "origins",
         .type = OptionType::text,
         .help = "Role of the origins layer (parcels or zones)",
         .default_value = d.origins_layer},
        {.name = "facility_field",
         .type = list,
         .help = "Kind field of the facility layers (one for all, or one per layer)",
         .flag = "facility-field"},
        {.name = "facility_kind",
         .type = list,
         .help = "Kind of every feature of a facility layer (one per layer)",
         .flag = "facility-kind"},
        {.name = "kinds", .type = list, .help = "Keep only these kinds", .flag = "kinds"},
        {.name = "profile",
         .type = OptionType::choice,
         .help = "Travel profile",
         .default_value = std::string("car"),
         .choices = {"car", "walk", "bike"},
         .flag = "profile"},
        {.name = "access_point",
         .type = OptionType::choice,
         .help = "Where a polygon origin enters the network",
         .default_value = std::string("centroid"),
         .choices = {"centroid", "boundary"},
         .flag = "access-point"},
        {.name = "max_snap_m",
         .type = number,
         .help = "Largest connector to the network",
         .default_value = d.max_snap_m,
         .unit = "m",
         .min = 0.0,
         .min_exclusive = true,
         .flag = "max-snap"},
        {.name = "snap_tolerance_m",
         .type = number,
         .help = "Join line ends closer than this",
         .default_value = d.snap_tolerance_m,
         .unit = "m",
         .min = 0.0,
         .flag = "snap-tolerance"},
        {.name = "speeds",
         .type = OptionType::file,
         .help = "Car speed table CSV: class,kmh",
         .flag = "speeds",
         .affects_results = false},  // its content does (Metric::definition)
        {.name = "speed_field",
         .type = field,
         .help = "Speed field of the roads (else the class table)",
         .unit = "km/h",
         .layer = "roads",
         .flag = "speed-field"},
        {.name = "class_field",
         .type = field,
         .help = "Road class field",
         .default_value = d.class_field,
         .layer = "roads",
         .flag = "class-field"},
        {.name = "oneway_field",
         .type = field,
         .help = "One-way field",
         .default_value = d.oneway_field,
         .layer = "roads",
         .flag = "oneway-field"},
        {.name = "isochrones",
         .type = OptionType::number_list,
         .help = "Isochrone bands, e.g. 5,10,15",
         .unit = "min",
         .min = 0.0,
         .min_exclusive = true,
         .flag = "isochrones"},
        {.name = "isochrone_buffer_m",
         .type = number,
         .help = "Corridor half-width around reached roads",
         .default_value = d.isochrone_buffer_m,
         .unit = "m",
         .min = 0.0,
         .flag = "isochrone-buffer"},
        {.name = "opportunities_weight",
         .type = field,
         .help = "Weight field of the targets (default: count)",
         .layer = "opportunities",
         .flag = "target-weight"},
        {.name = "opportunities_min",
         .type = number,
         .help = "Time limit of cumulative opportunities",
         .default_value = d.opportunities_min,
         .unit = "min",
         .min = 0.0,
         .flag = "opportunities-minutes"},
    };
    m.outputs = {
        {"access",
         "One row per origin; a group of fields per facility kind K",
         true,
         false,
         {{"origin_id", string, "", "origin id field value, else source FID"},
          {"snap_m", real, "m", "origin connector to the network"},
          {"reason", string, "", "why the origin has no result"},
          {"{K}_dist_m", real, "m", "network distance to the nearest K"},
          {"{K}_time_min", real, "min", "travel time to the nearest K"},
          {"{K}_eucl_m", real, "m", "straight line to the nearest K"},
          {"{K}_snap_m", real, "m", "facility-side connector"},
          {"{K}_id", string, "", "nearest K by network distance"},
          {"{K}_snap_note", string, "", "nearer road of a small component passed over"},
          {"{K}_reason", string, "", "why there is no result for K"},
          {"opportunities", real, "", "weight of targets within opportunities_min", true}}},
        {"isochrones",
         "One polygon per kind and band",
         true,
         false,
         {{"kind", string, "", "facility kind"},
          {"minutes", real, "min", "band"},
          {"area_m2", real, "m2", "polygon area; null when GEOS could not draw it"}}},
        {"access_summary",
         "Per zone and kind, then per kind over all origins (ALL)",
         false,
         true,
         {{"zone_id", string, "", "zone id, or ALL"},
          {"kind", string, "", "facility kind"},
          {"origins", integer, "", "origins counted"},
          {"reachable", integer, "", "origins with a result"},
          {"mean_dist_m", real, "m", "mean network distance"},
          {"mean_time_min", real, "min", "mean travel time"},
          {"worst_origin", string, "", "origin with the largest distance"},
          {"worst_dist_m", real, "m", "that distance"},
          {"share_{M}min", real, "fraction",
           "share of origin area within M minutes; null when its isochrone was not drawn"}}},
    };
    m.factory = [] { return std::make_unique<AccessMetric>(); };
    registry.add(std::move(m));
}

}  // namespace spaceuse::detail
