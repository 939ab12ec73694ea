#pragma once

#include "command.hpp"
#include "study_output.hpp"

#include <string>
#include <vector>

namespace spaceuse::cli {

/// `spaceuse scenario SCENARIO.toml... [--project PROJECT.toml] [-o DIR]`: build-out capacity
/// and activation ranking of each scenario on the project's parcels, side by side (default
/// project: the bundled Heverlee sample).
class CommandScenario : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::vector<std::string> m_files;
    std::string m_project;
    std::string m_output;
    ProjectFlags m_flags_project;
};

}  // namespace spaceuse::cli
