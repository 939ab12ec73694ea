#pragma once

// Options and the study run shared by the document commands (map, report, view): each runs a
// project (default: the bundled sample), then renders one document from its results.

#include "command.hpp"

#include <spaceuse/study.hpp>

#include <string>

namespace spaceuse::cli {

struct DocumentRun {
    std::string project;
    std::string results;
    std::string output;
    bool overwrite = false;
    int threads = -1;

    /// Adds PROJECT, -o/--output (the document), --results, --overwrite and --threads.
    void add_options(CLI::App* sub, const std::string& output_help);
    /// Loads the project (its own [map]/[report]/[view] sections are not written).
    Study load() const;
    /// Runs the study with a progress bar; results go to the project's output folder (or
    /// --results).
    StudyReport run(const Study& study, const GlobalOptions& global) const;
    /// Prints "wrote PATH" to stderr unless quiet.
    void done(const GlobalOptions& global) const;
};

}  // namespace spaceuse::cli
