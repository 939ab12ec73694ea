#pragma once

#include "command.hpp"
#include "metric_flags.hpp"
#include "study_output.hpp"

#include <spaceuse/study.hpp>

#include <vector>

namespace spaceuse::cli {

/// `spaceuse access`: network distance and time from origins to the nearest facility per kind.
class CommandAccess : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::string m_origins, m_origins_layer, m_origin_id, m_origins_where;
    std::string m_network, m_network_layer, m_network_where;
    std::vector<std::string> m_facilities;
    std::vector<std::string> m_facilities_where;
    std::string m_zones, m_zone_id;
    std::string m_targets;
    std::string m_crs, m_assume_crs;
    MetricFlags m_flags;
    OutputFlags m_out;
};

}  // namespace spaceuse::cli
