#pragma once

#include "command.hpp"
#include "metric_flags.hpp"
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
    MetricFlags m_flags;
    OutputFlags m_out;
    std::string m_argv;
};

}  // namespace spaceuse::cli
