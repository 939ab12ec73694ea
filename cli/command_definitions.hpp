#pragma once

#include "command.hpp"
#include "metric_flags.hpp"
#include "study_output.hpp"

#include <string>
#include <vector>

namespace spaceuse::cli {

/// `spaceuse definitions [PROJECT.toml] --profiles a,b,... -o DIR`: the project's occupancy and
/// its parcels classified under several definitions of available land side by side (default
/// project: the bundled Heverlee sample, with its [definitions] section).
class CommandDefinitions : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::string m_project;
    std::string m_output;
    ProjectFlags m_flags_project;
    MetricFlags m_flags;
};

}  // namespace spaceuse::cli
