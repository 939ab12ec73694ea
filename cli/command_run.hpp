#pragma once

#include "command.hpp"
#include "study_output.hpp"

#include <vector>

namespace spaceuse::cli {

/// `spaceuse run [PROJECT.toml]`: runs a whole study from a project file (default: the bundled
/// Heverlee sample).
class CommandRun : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::string m_project;
    std::string m_output;
    ProjectFlags m_flags_project;
    std::vector<std::string> m_plugins;
};

}  // namespace spaceuse::cli
