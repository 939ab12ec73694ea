// spaceuse command-line tool: parses options, calls the engine, maps errors to exit codes.

#include "command.hpp"
#include "flag_hints.hpp"
#include "command_access.hpp"
#include "command_definitions.hpp"
#include "command_scenario.hpp"
#include "command_diff.hpp"
#include "command_info.hpp"
#include "command_map.hpp"
#include "command_metrics.hpp"
#include "command_occupancy.hpp"
#include "command_publish.hpp"
#include "command_report.hpp"
#include "command_run.hpp"
#include "command_trend.hpp"
#include "command_view.hpp"
#include "progress_bar.hpp"

#include <spaceuse/error.hpp>

#include <cstdio>
#include <memory>
#include <vector>

namespace spaceuse::cli {

bool GlobalOptions::show_progress() const {
    if (quiet || no_progress) {
        return false;
    }
    return progress || ProgressBar::stderr_is_terminal();
}

}  // namespace spaceuse::cli

int main(int argc, char** argv) {
    using namespace spaceuse::cli;
    GlobalOptions global;
    CLI::App app{"spaceuse: occupancy, available space and accessibility of business parks"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "spaceuse " SPACEUSE_VERSION);
    app.add_flag("-q,--quiet", global.quiet, "No progress and no summaries on stderr");
    app.add_flag("--progress", global.progress, "Draw a progress bar even when not on a terminal");
    app.add_flag("--no-progress", global.no_progress, "Never draw a progress bar");
    app.add_flag("--timings", global.timings,
                 "Print wall time, CPU time and peak RSS per phase (read, index, overlay, network, "
                 "write) on stderr");

    std::vector<std::unique_ptr<Command>> commands;
    commands.push_back(std::make_unique<CommandRun>(global));
    commands.push_back(std::make_unique<CommandInfo>(global));
    commands.push_back(std::make_unique<CommandOccupancy>(global));
    commands.push_back(std::make_unique<CommandAccess>(global));
    commands.push_back(std::make_unique<CommandDefinitions>(global));
    commands.push_back(std::make_unique<CommandScenario>(global));
    commands.push_back(std::make_unique<CommandMetrics>(global));
    commands.push_back(std::make_unique<CommandMap>(global));
    commands.push_back(std::make_unique<CommandReport>(global));
    commands.push_back(std::make_unique<CommandView>(global));
    commands.push_back(std::make_unique<CommandDiff>(global));
    commands.push_back(std::make_unique<CommandTrend>(global));
    commands.push_back(std::make_unique<CommandPublish>(global));
    commands.push_back(std::make_unique<CommandUnpublish>(global));
    commands.push_back(std::make_unique<CommandSurveys>(global));

    std::vector<std::pair<CLI::App*, Command*>> subs;
    for (auto& c : commands) {
        subs.emplace_back(c->setup(app), c.get());
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? exit_ok : exit_usage;
    }
    try {
        for (auto& [sub, command] : subs) {
            if (sub->parsed()) {
                return command->run();
            }
        }
    } catch (const spaceuse::ConfigError& e) {
        std::fprintf(stderr, "spaceuse: error: %s\n", with_flag_hints(e.what()).c_str());
        return exit_usage;
    } catch (const spaceuse::InputError& e) {
        std::fprintf(stderr, "spaceuse: error: %s\n", with_flag_hints(e.what()).c_str());
        return exit_input;
    } catch (const spaceuse::CancelledError&) {
        std::fprintf(stderr, "spaceuse: cancelled\n");
        return exit_error;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "spaceuse: error: %s\n", with_flag_hints(e.what()).c_str());
        return exit_error;
    }
    return exit_usage;
}
