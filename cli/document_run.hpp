#pragma once

// Options and the study run shared by the document commands (map, report, view): each runs a
// project (default: the bundled sample), then renders one document from its results.

#include "command.hpp"

#include <spaceuse/study.hpp>

#include <functional>
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
    /// Loads the project (its own [map]/[report]/[view] sections are not written), runs it with
    /// a progress bar (results go to the project's output folder, or --results), calls `draw`
    /// to write the document to `output`, and prints "wrote PATH" unless quiet.
    int execute(const GlobalOptions& global,
                const std::function<void(const Study&, const StudyReport&)>& draw) const;

private:
    Study load() const;
};

}  // namespace spaceuse::cli
