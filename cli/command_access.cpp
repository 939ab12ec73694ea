#include "command_access.hpp"

#include "describe.hpp"
#include "study_output.hpp"

#include <spaceuse/error.hpp>

namespace spaceuse::cli {

CLI::App* CommandAccess::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("access", "Accessibility over the road network: nearest "
                                             "facility per kind, isochrones, opportunities");
    describe_command(sub, {"access"});
    layer_param(sub->add_option("--origins", m_origins,
                                "Origins (parcels or zones): PATH, PATH:LAYER or PG:..."),
                "parcels")
        ->required();
    layer_name_param(
        sub->add_option("--origins-layer", m_origins_layer, "Layer of the origins source"),
        "parcels");
    filter_param(sub->add_option("--origins-where", m_origins_where, "OGR SQL filter on origins"),
                 "parcels");
    field_param(
        sub->add_option("--origin-id", m_origin_id, "Origin id field (default: source FID)"),
        "parcels");
    layer_param(sub->add_option("--network", m_network, "Road lines"), "roads")->required();
    layer_name_param(
        sub->add_option("--network-layer", m_network_layer, "Layer of the network source"),
        "roads");
    filter_param(sub->add_option("--network-where", m_network_where,
                                 "OGR SQL filter on roads, e.g. \"highway IS NOT NULL\""),
                 "roads");
    layer_param(sub->add_option("--facilities", m_facilities, "Facility points (repeatable)"),
                "facilities")
        ->required();
    filter_param(sub->add_option("--facilities-where", m_facilities_where,
                                 "OGR SQL filter on the facility layers (one for all, or one per "
                                 "--facilities)"),
                 "facilities");
    layer_param(sub->add_option("--zones", m_zones, "Zones for zone aggregates"), "zones");
    field_param(sub->add_option("--zone-id", m_zone_id, "Zone id field"), "zones");
    layer_param(
        sub->add_option("--targets", m_targets, "Opportunity points for cumulative opportunities"),
        "opportunities");
    // The metric's options (profile, snapping, speeds, isochrones...) come from its declaration.
    m_flags.add(*sub, *builtin_registry().find("access"));
    advanced(sub->add_option("--crs", m_crs, "Analysis CRS (EPSG:xxxx, projected, metres)"));
    advanced(sub->add_option("--assume-crs", m_assume_crs, "CRS for inputs that have none"));
    add_output_flags(*sub, m_out);
    return sub;
}

int CommandAccess::run() {
    Study study;
    study.name = "access";
    study.invoked_as = "spaceuse access";
    study.add_layer("parcels",
                    make_layer_source(m_origins, m_origins_layer, m_origins_where, m_origin_id));
    study.add_layer("roads", make_layer_source(m_network, m_network_layer, m_network_where, ""));
    if (m_facilities_where.size() > 1 && m_facilities_where.size() != m_facilities.size()) {
        throw ConfigError("give one --facilities-where for all facility layers or one per layer");
    }
    for (std::size_t i = 0; i < m_facilities.size(); ++i) {
        const std::string where = m_facilities_where.empty()       ? std::string()
                                  : m_facilities_where.size() == 1 ? m_facilities_where[0]
                                                                   : m_facilities_where[i];
        study.add_layer("facilities", make_layer_source(m_facilities[i], "", where, ""));
    }
    if (!m_zones.empty()) {
        study.add_layer("zones", make_layer_source(m_zones, "", "", m_zone_id));
    }
    if (!m_targets.empty()) {
        study.add_layer("opportunities", make_layer_source(m_targets, "", "", ""));
    }
    MetricRun& run = study.metric("access");
    run.where = "spaceuse access";
    m_flags.apply(run);
    study.load.crs = m_crs;
    study.load.assume_crs = m_assume_crs;
    apply_output_flags(m_out, study);
    try {
        return run_and_print(study, m_global);
    } catch (const ConfigError& e) {
        throw ConfigError(m_flags.hint(e.what()));
    }
}

}  // namespace spaceuse::cli
