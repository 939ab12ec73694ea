// spaceuse command-line tool: parses options, calls the engine, maps errors to exit codes.

#include "command.hpp"
#include "console.hpp"
#include "describe.hpp"
#include "flag_hints.hpp"
#include "interrupt.hpp"
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
#include "command_serve.hpp"
#include "command_trend.hpp"
#include "command_view.hpp"
#include "progress_bar.hpp"

#include <spaceuse/error.hpp>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace spaceuse::cli {

bool GlobalOptions::show_progress() const {
    if (quiet || no_progress) {
        return false;
    }
    if (progress_format == "jsonl") {
        return true;
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
    choice_param(app.add_option("--progress-format", global.progress_format,
                                "bar: a progress bar on terminals and plain messages; jsonl: "
                                "one JSON object a line on stderr (progress, messages, outputs, "
                                "errors) for tools such as QGIS's Processing provider")
                     ->default_val("bar"),
                 {"bar", "jsonl"});

    std::vector<std::unique_ptr<Command>> commands;
    commands.push_back(std::make_unique<CommandRun>(global));
    commands.push_back(std::make_unique<CommandInfo>(global));
    commands.push_back(std::make_unique<CommandOccupancy>(global));
    commands.push_back(std::make_unique<CommandAccess>(global));
    commands.push_back(std::make_unique<CommandDefinitions>(global));
    commands.push_back(std::make_unique<CommandScenario>(global));
    commands.push_back(std::make_unique<CommandMetrics>(global));
    commands.push_back(std::make_unique<CommandDescribe>(global));
    commands.push_back(std::make_unique<CommandMap>(global));
    commands.push_back(std::make_unique<CommandReport>(global));
    commands.push_back(std::make_unique<CommandView>(global));
    commands.push_back(std::make_unique<CommandDiff>(global));
    commands.push_back(std::make_unique<CommandTrend>(global));
    commands.push_back(std::make_unique<CommandPublish>(global));
    commands.push_back(std::make_unique<CommandUnpublish>(global));
    commands.push_back(std::make_unique<CommandSurveys>(global));
    commands.push_back(std::make_unique<CommandServe>(global));

    std::vector<std::pair<CLI::App*, Command*>> subs;
    for (auto& c : commands) {
        subs.emplace_back(c->setup(app), c.get());
    }
    // Errors of the command line itself come before CLI11 has stored --progress-format: look
    // for it in the arguments, so that a tool asking for JSON lines gets them for these too.
    bool jsonl_asked = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--progress-format=jsonl" ||
            (a == "--progress-format" && i + 1 < argc && std::string(argv[i + 1]) == "jsonl")) {
            jsonl_asked = true;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (jsonl_asked && e.get_exit_code() != 0) {
            set_message_format(MessageFormat::jsonl);
            say_error(e.what(), exit_usage);
            return exit_usage;
        }
        const int code = app.exit(e);
        return code == 0 ? exit_ok : exit_usage;
    }
    set_message_format(global.progress_format == "jsonl" ? MessageFormat::jsonl
                                                         : MessageFormat::text);
    install_interrupt_handlers();
    try {
        for (auto& [sub, command] : subs) {
            if (sub->parsed()) {
                return command->run();
            }
        }
    } catch (const spaceuse::ConfigError& e) {
        say_error(with_flag_hints(e.what()), exit_usage);
        return exit_usage;
    } catch (const spaceuse::InputError& e) {
        say_error(with_flag_hints(e.what()), exit_input);
        return exit_input;
    } catch (const spaceuse::CancelledError&) {
        say_error(
            interrupt_signal() == SIGTERM ? "cancelled (SIGTERM); earlier results left as they were"
            : interrupt_signal() == SIGINT ? "cancelled (Ctrl-C); earlier results left as they were"
                                           : "cancelled",
            exit_error, true);
        return exit_error;
    } catch (const std::exception& e) {
        say_error(with_flag_hints(e.what()), exit_error);
        return exit_error;
    }
    return exit_usage;
}
