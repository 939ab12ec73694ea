#include "command_occupancy.hpp"

#include "describe.hpp"
#include "study_output.hpp"

#include <spaceuse/error.hpp>

namespace spaceuse::cli {

CLI::App* CommandOccupancy::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("occupancy",
                                   "Occupancy and available space per parcel and zone");
    describe_command(sub, {"occupancy"});
    layer_param(
        sub->add_option("--zones", m_zones, "Zones (business parks): PATH, PATH:LAYER or PG:..."),
        "zones")
        ->required();
    layer_param(sub->add_option("--parcels", m_parcels, "Cadastral parcels"), "parcels")
        ->required();
    layer_param(sub->add_option("--buildings", m_buildings, "Building footprints"), "buildings")
        ->required();
    layer_name_param(sub->add_option("--zones-layer", m_zones_layer, "Layer of the zones source"),
                     "zones");
    layer_name_param(
        sub->add_option("--parcels-layer", m_parcels_layer, "Layer of the parcels source"),
        "parcels");
    layer_name_param(
        sub->add_option("--buildings-layer", m_buildings_layer, "Layer of the buildings source"),
        "buildings");
    filter_param(sub->add_option("--zones-where", m_where_zones, "OGR SQL filter on zones"),
                 "zones");
    filter_param(sub->add_option("--parcels-where", m_where_parcels, "OGR SQL filter on parcels"),
                 "parcels");
    filter_param(
        sub->add_option("--buildings-where", m_where_buildings, "OGR SQL filter on buildings"),
        "buildings");
    advanced(sub->add_option("--crs", m_crs, "Analysis CRS (EPSG:xxxx, projected, metres)"));
    advanced(sub->add_option("--assume-crs", m_assume_crs, "CRS for inputs that have none"));
    field_param(
        sub->add_option("--parcel-id", m_parcel_id, "Parcel id field (default: source FID)"),
        "parcels");
    field_param(sub->add_option("--zone-id", m_zone_id, "Zone id field (default: source FID)"),
                "zones");
    // The metric's options (profile, fields, thresholds, --no-free-space) come from its
    // declaration.
    m_flags.add(*sub, *builtin_registry().find("occupancy"));
    sub->get_option("--floors-field")->excludes(sub->get_option("--height-field"));
    add_output_flags(*sub, m_out);
    return sub;
}

Study CommandOccupancy::study() const {
    Study study;
    study.name = "occupancy";
    study.add_layer("zones", make_layer_source(m_zones, m_zones_layer, m_where_zones, m_zone_id));
    study.add_layer("parcels",
                    make_layer_source(m_parcels, m_parcels_layer, m_where_parcels, m_parcel_id));
    study.add_layer("buildings",
                    make_layer_source(m_buildings, m_buildings_layer, m_where_buildings, ""));
    study.load.crs = m_crs;
    study.load.assume_crs = m_assume_crs;
    MetricRun& run = study.metric("occupancy");
    run.where = "spaceuse occupancy";
    m_flags.apply(run);
    apply_output_flags(m_out, study);
    study.invoked_as = "spaceuse occupancy";
    return study;
}

int CommandOccupancy::run() {
    try {
        return run_and_print(study(), m_global);
    } catch (const ConfigError& e) {
        throw ConfigError(m_flags.hint(e.what()));
    }
}

}  // namespace spaceuse::cli
