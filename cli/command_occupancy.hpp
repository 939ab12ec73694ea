#pragma once

#include "command.hpp"
#include "study_output.hpp"

#include <spaceuse/study.hpp>

namespace spaceuse::cli {

/// `spaceuse occupancy`: occupancy and available space per parcel and zone.
class CommandOccupancy : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

    /// The study the parsed options describe (exposed for tests of the option wiring).
    Study study() const;

private:
    std::string m_zones, m_parcels, m_buildings;
    std::string m_zones_layer, m_parcels_layer, m_buildings_layer;
    std::string m_where_parcels, m_where_buildings, m_where_zones;
    std::string m_parcel_id, m_zone_id;
    std::string m_crs, m_assume_crs;
    OccupancySettings m_settings;
    double m_storey = 0, m_setback = 0, m_min_area = 0, m_min_width = 0, m_vacant = 0,
           m_underused = 0;
    CLI::Option* m_opt_storey = nullptr;
    CLI::Option* m_opt_setback = nullptr;
    CLI::Option* m_opt_min_area = nullptr;
    CLI::Option* m_opt_min_width = nullptr;
    CLI::Option* m_opt_vacant = nullptr;
    CLI::Option* m_opt_underused = nullptr;
    bool m_no_free_space = false;
    OutputFlags m_out;
    std::string m_argv;
};

}  // namespace spaceuse::cli
