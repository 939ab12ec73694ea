#pragma once

// One class per subcommand: setup() declares the options (parsing only, no I/O), run() calls
// the engine. main.cpp registers them in one explicit list.

#include <CLI/CLI.hpp>

#include <string>

namespace spaceuse::cli {

/// Options shared by every subcommand.
struct GlobalOptions {
    bool quiet = false;
    bool progress = false;
    bool no_progress = false;
    bool timings = false;
    /// "bar" (a terminal bar and plain messages) or "jsonl" (JSON lines, console.hpp).
    std::string progress_format = "bar";

    /// Whether to draw a progress bar.
    bool show_progress() const;
};

/// Exit codes (documented in the README; append-only).
enum ExitCode : int {
    exit_ok = 0,
    exit_error = 1,  ///< runtime error (geometry, output...)
    exit_usage = 2,  ///< bad command line or project file
    exit_input = 3,  ///< unreadable or unusable input data
};

class Command {
public:
    explicit Command(const GlobalOptions& global) : m_global(global) {}
    virtual ~Command() = default;
    Command(const Command&) = delete;
    Command& operator=(const Command&) = delete;

    /// Adds the subcommand and its options to `app`.
    virtual CLI::App* setup(CLI::App& app) = 0;
    /// Runs the command; returns the exit code (errors are thrown).
    virtual int run() = 0;

protected:
    const GlobalOptions& m_global;
};

}  // namespace spaceuse::cli
