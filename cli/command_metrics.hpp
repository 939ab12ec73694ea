#pragma once

#include "command.hpp"

#include <vector>

namespace spaceuse::cli {

/// `spaceuse metrics [NAME] [--plugin PATH]...`: lists the registered metrics (built-in and
/// from plugins) with their origin, options and output fields, or shows one in full; `--json`
/// prints every declaration (metrics_json).
class CommandMetrics : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::string m_name;
    std::vector<std::string> m_plugins;
    bool m_json = false;
};

/// `spaceuse describe --json`: every command a tool such as QGIS's Processing toolbox offers,
/// with its typed parameters and outputs, read off the option declarations (describe.hpp).
class CommandDescribe : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    const CLI::App* m_app = nullptr;
    bool m_json = false;
};

}  // namespace spaceuse::cli
