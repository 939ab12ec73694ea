#include "command_access.hpp"

#include "study_output.hpp"

#include <spaceuse/error.hpp>

#include <sstream>

namespace spaceuse::cli {

CLI::App* CommandAccess::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("access", "Accessibility over the road network: nearest "
                                             "facility per kind, isochrones, opportunities");
    sub->add_option("--origins", m_origins, "Origins (parcels or zones): PATH, PATH:LAYER or PG:...")->required();
    sub->add_option("--origins-layer", m_origins_layer, "Layer of the origins source");
    sub->add_option("--origins-where", m_origins_where, "OGR SQL filter on origins");
    sub->add_option("--origin-id", m_origin_id, "Origin id field (default: source FID)");
    sub->add_option("--network", m_network, "Road lines")->required();
    sub->add_option("--network-layer", m_network_layer, "Layer of the network source");
    sub->add_option("--network-where", m_network_where, "OGR SQL filter on roads, e.g. \"highway IS NOT NULL\"");
    sub->add_option("--facilities", m_facilities, "Facility points (repeatable)")->required();
    sub->add_option("--facilities-where", m_facilities_where,
                    "OGR SQL filter on the facility layers (one for all, or one per --facilities)");
    sub->add_option("--facility-field", m_settings.facility_fields,
                    "Kind field of the facility layers (one for all, or one per --facilities)");
    sub->add_option("--facility-kind", m_settings.facility_kinds,
                    "Kind of every feature of a facility layer (one per --facilities)");
    sub->add_option("--kinds", m_settings.kinds, "Keep only these kinds")->delimiter(',');
    sub->add_option("--zones", m_zones, "Zones for zone aggregates");
    sub->add_option("--zone-id", m_zone_id, "Zone id field");
    sub->add_option("--targets", m_targets, "Opportunity points for cumulative opportunities");
    sub->add_option("--target-weight", m_target_weight, "Weight field of the targets (default: count)");
    sub->add_option("--opportunities-minutes", m_settings.opportunities_min, "Time limit of opportunities")->default_val(15);
    sub->add_option("--profile", m_settings.profile, "car, walk or bike")->default_val("car");
    sub->add_option("--access-point", m_settings.access_point, "centroid or boundary")->default_val("centroid");
    sub->add_option("--max-snap", m_settings.max_snap_m, "Largest connector to the network (m)")->default_val(500);
    sub->add_option("--snap-tolerance", m_settings.snap_tolerance_m, "Join line ends closer than this (m)")->default_val(0);
    sub->add_option("--speeds", m_settings.speeds_file, "Speed table CSV: class,kmh");
    sub->add_option("--speed-field", m_settings.speed_field, "Speed field of the roads (km/h)");
    sub->add_option("--class-field", m_settings.class_field, "Road class field")->default_val("highway");
    sub->add_option("--oneway-field", m_settings.oneway_field, "One-way field")->default_val("oneway");
    sub->add_option("--isochrones", m_isochrones, "Isochrone bands in minutes, e.g. 5,10,15");
    sub->add_option("--isochrone-buffer", m_settings.isochrone_buffer_m, "Corridor half-width around reached roads (m)")->default_val(50);
    sub->add_option("--crs", m_crs, "Analysis CRS (EPSG:xxxx, projected, metres)");
    sub->add_option("--assume-crs", m_assume_crs, "CRS for inputs that have none");
    add_output_flags(*sub, m_out);
    return sub;
}

int CommandAccess::run() {
    Study study;
    study.name = "access";
    study.invoked_as = "spaceuse access";
    study.layers.emplace_back("parcels", make_layer_source(m_origins, m_origins_layer, m_origins_where, m_origin_id));
    study.layers.emplace_back("roads", make_layer_source(m_network, m_network_layer, m_network_where, ""));
    if (m_facilities.size() > 4) {
        throw ConfigError("at most 4 --facilities layers");
    }
    if (m_facilities_where.size() > 1 && m_facilities_where.size() != m_facilities.size()) {
        throw ConfigError("give one --facilities-where for all facility layers or one per layer");
    }
    for (std::size_t i = 0; i < m_facilities.size(); ++i) {
        const std::string where = m_facilities_where.empty()       ? std::string()
                                  : m_facilities_where.size() == 1 ? m_facilities_where[0]
                                                                   : m_facilities_where[i];
        study.layers.emplace_back(i == 0 ? "facilities" : "facilities_" + std::to_string(i + 1),
                                  make_layer_source(m_facilities[i], "", where, ""));
    }
    if (!m_zones.empty()) {
        study.layers.emplace_back("zones", make_layer_source(m_zones, "", "", m_zone_id));
    }
    if (!m_targets.empty()) {
        study.layers.emplace_back("opportunities", make_layer_source(m_targets, "", "", ""));
        m_settings.opportunities_weight = m_target_weight;
    }
    if (!m_isochrones.empty()) {
        std::stringstream ss(m_isochrones);
        std::string item;
        while (std::getline(ss, item, ',')) {
            try {
                m_settings.isochrones_min.push_back(std::stod(item));
            } catch (const std::exception&) {
                throw ConfigError("--isochrones: '" + item + "' is not a number of minutes");
            }
        }
    }
    m_settings.origins = "parcels";
    study.access = m_settings;
    study.load.crs = m_crs;
    study.load.assume_crs = m_assume_crs;
    apply_output_flags(m_out, study);
    return run_and_print(study, m_global);
}

}  // namespace spaceuse::cli
