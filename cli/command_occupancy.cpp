#include "command_occupancy.hpp"

#include "study_output.hpp"

namespace spaceuse::cli {

CLI::App* CommandOccupancy::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("occupancy", "Occupancy and available space per parcel and zone");
    sub->add_option("--zones", m_zones, "Zones (business parks): PATH, PATH:LAYER or PG:...")->required();
    sub->add_option("--parcels", m_parcels, "Cadastral parcels")->required();
    sub->add_option("--buildings", m_buildings, "Building footprints")->required();
    sub->add_option("--zones-layer", m_zones_layer, "Layer of the zones source");
    sub->add_option("--parcels-layer", m_parcels_layer, "Layer of the parcels source");
    sub->add_option("--buildings-layer", m_buildings_layer, "Layer of the buildings source");
    sub->add_option("--zones-where", m_where_zones, "OGR SQL filter on zones");
    sub->add_option("--parcels-where", m_where_parcels, "OGR SQL filter on parcels");
    sub->add_option("--buildings-where", m_where_buildings, "OGR SQL filter on buildings");
    sub->add_option("--crs", m_crs, "Analysis CRS (EPSG:xxxx, projected, metres)");
    sub->add_option("--assume-crs", m_assume_crs, "CRS for inputs that have none");
    sub->add_option("--parcel-id", m_parcel_id, "Parcel id field (default: source FID)");
    sub->add_option("--zone-id", m_zone_id, "Zone id field (default: source FID)");
    sub->add_option("--zone-name", m_settings.zone_name_field, "Zone name field");
    auto* floors = sub->add_option("--floors-field", m_settings.floors_field, "Building floors field");
    auto* height = sub->add_option("--height-field", m_settings.height_field, "Building height field (m)");
    floors->excludes(height);
    m_opt_storey = sub->add_option("--storey-height", m_storey, "Storey height for --height-field (m)");
    sub->add_option("--status-field", m_settings.status_field, "Parcel status field overriding the computed status");
    sub->add_option("--status-map", m_settings.status_map,
                    "Status field values: VALUE=occupied|underused|vacant,...");
    sub->add_option("--profile", m_settings.profile, "Profile name or .toml file")->default_val("default");
    m_opt_vacant = sub->add_option("--vacant-below", m_vacant, "Vacant when coverage is below");
    m_opt_underused = sub->add_option("--underused-below", m_underused, "Underused when coverage is below");
    m_opt_setback = sub->add_option("--setback", m_setback, "Setback around buildings (m)");
    m_opt_min_area = sub->add_option("--min-free-area", m_min_area, "Smallest usable free piece (m2)");
    m_opt_min_width = sub->add_option("--min-free-width", m_min_width, "Narrowest usable free piece (m)");
    sub->add_flag("--no-free-space", m_no_free_space,
                  "Skip usable free space (no free_space layer; free figures null): built area, "
                  "coverage, floor area and status only");
    add_output_flags(*sub, m_out);
    return sub;
}

Study CommandOccupancy::study() const {
    Study study;
    study.name = "occupancy";
    study.layers = {
        {"zones", make_layer_source(m_zones, m_zones_layer, m_where_zones, m_zone_id)},
        {"parcels", make_layer_source(m_parcels, m_parcels_layer, m_where_parcels, m_parcel_id)},
        {"buildings", make_layer_source(m_buildings, m_buildings_layer, m_where_buildings, "")},
    };
    study.load.crs = m_crs;
    study.load.assume_crs = m_assume_crs;
    OccupancySettings s = m_settings;
    auto take = [](CLI::Option* opt, double value, std::optional<double>& target) {
        if (opt != nullptr && opt->count() > 0) {
            target = value;
        }
    };
    take(m_opt_storey, m_storey, s.storey_height_m);
    take(m_opt_setback, m_setback, s.setback_m);
    take(m_opt_min_area, m_min_area, s.min_free_area_m2);
    take(m_opt_min_width, m_min_width, s.min_free_width_m);
    take(m_opt_vacant, m_vacant, s.vacant_below);
    take(m_opt_underused, m_underused, s.underused_below);
    if (m_no_free_space) {
        s.free_space = false;
    }
    study.occupancy = s;
    apply_output_flags(m_out, study);
    study.invoked_as = "spaceuse occupancy";
    return study;
}

int CommandOccupancy::run() {
    return run_and_print(study(), m_global);
}

}  // namespace spaceuse::cli
