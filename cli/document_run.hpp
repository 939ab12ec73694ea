#pragma once

// Options and the study run shared by the document commands (map, report, view): each draws one
// document from the results of an earlier run (--results), or runs a project (default: the
// bundled sample) and draws it from that run's results.

#include "command.hpp"

#include <spaceuse/study.hpp>

#include <functional>
#include <string>

namespace spaceuse::cli {

struct DocumentRun {
    std::string project;
    std::string results;
    /// With --results PG:...: which survey, study and schema of the database.
    std::string survey;
    std::string db_study;
    std::string schema;
    std::string study_output;
    std::string output;
    bool overwrite = false;
    int threads = -1;

    /// Adds PROJECT, -o/--output (the document), --results, --study-output, --overwrite and
    /// --threads.
    void add_options(CLI::App* sub, const std::string& output_help);
    /// With --results: reopens those results (no inputs needed, nothing recomputed). Else loads
    /// the project (its own [map]/[report]/[view] sections are not written) and runs it with a
    /// progress bar (results go to the project's output folder, or --study-output). Then calls
    /// `draw` to write the document, and prints "wrote " and what `draw` returns (the path
    /// written, with any detail) unless quiet.
    int execute(
        const GlobalOptions& global,
        const std::function<std::string(const StudyReport&, const WriteOptions&)>& draw) const;

private:
    Study load() const;
};

}  // namespace spaceuse::cli
