#pragma once

// Command-line flags generated from a metric's option declarations: their spelling, help, unit,
// default and choices come from the declaration (never written again here), and only the flags
// a user gives become option values.

#include <spaceuse/metrics.hpp>
#include <spaceuse/study.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace spaceuse::cli {

class MetricFlags {
public:
    /// Adds a flag for every option of `info` that declares one (OptionSpec::flag).
    void add(CLI::App& sub, const MetricInfo& info);
    /// Sets the options whose flags were given on `run`.
    void apply(MetricRun& run) const;
    /// `message` with the flag of the option it names, when it names one ("option 'setback_m'
    /// must be >= 0 (flag --setback)"): the engine speaks of options, the user typed flags.
    std::string hint(const std::string& message) const;

private:
    struct Flag {
        OptionSpec spec;
        CLI::Option* option = nullptr;
        std::string text;
        std::vector<std::string> items;
        bool set = false;
    };
    std::vector<std::unique_ptr<Flag>> m_flags;
};

/// The registry of built-in metrics (for commands that expose one metric's options as flags).
const MetricRegistry& builtin_registry();

}  // namespace spaceuse::cli
