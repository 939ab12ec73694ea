#pragma once

// Printing of a study's results: load summaries (stderr, for people) and the zone table
// (stdout, data).

#include "command.hpp"

#include <spaceuse/study.hpp>

#include <memory>
#include <vector>

namespace spaceuse::cli {

/// Prints per layer "read = kept + rejected" with repairs and rejection reasons to stderr.
void print_load_summary(const StudyReport& report);

/// Prints the zone table (and TOTAL) to stdout.
void print_zone_table(const StudyReport& report);

/// Prints the network figures and the access summary table to stdout.
void print_access_table(const StudyReport& report);

/// Prints the list of written files to stderr.
void print_outputs(const StudyReport& report);

/// Runs a study with a progress bar, then prints load summaries and outputs (stderr, unless
/// quiet) and the result tables (stdout). Returns the exit code.
int run_and_print(const Study& study, const GlobalOptions& global);

/// Export options as given on the command line.
struct ExportFlags {
    std::vector<std::string> formats;
    std::string geojson_crs;
    bool no_styles = false;
    bool no_snapshot = false;
};

/// Adds --format (repeatable), --geojson-crs, --no-styles and (for commands that run a study)
/// --no-snapshot to a subcommand.
void add_export_flags(CLI::App& sub, ExportFlags& flags, bool snapshot_flag = true);

/// Applies the flags that were given over `options` (the project's or the defaults).
/// @throws ConfigError on an unknown format.
void apply_export_flags(const ExportFlags& flags, ExportOptions& options);

/// Output options of the single-analysis commands (occupancy, access).
struct OutputFlags {
    std::string output;
    bool overwrite = false;
    unsigned threads = 0;
    int precision = 7;
    ExportFlags exports;
};

/// Adds --threads, --precision, -o/--output (required), --overwrite and the export flags.
void add_output_flags(CLI::App& sub, OutputFlags& flags);

/// Sets the study's output folder, write options, threads and exports from the flags.
/// @throws ConfigError on an unknown format.
void apply_output_flags(const OutputFlags& flags, Study& study);

/// Flags of the commands that run a project file (run, definitions, scenario).
struct ProjectFlags {
    bool overwrite = false;
    /// --publish PG:... and --publish-schema (override the project's [publish]).
    std::string publish;
    std::string publish_schema;
    /// Worker threads; -1: the project's.
    int threads = -1;
    ExportFlags exports;
};

/// Adds --overwrite, --threads, --publish, --publish-schema and the export flags.
void add_project_flags(CLI::App& sub, ProjectFlags& flags);

/// Applies them to a study loaded from a project file.
void apply_project_flags(const ProjectFlags& flags, Study& study);

/// A layer source from a command-line spec, with optional layer name, filter and id field.
LayerSource make_layer_source(const std::string& spec, const std::string& layer,
                              const std::string& where, const std::string& id_field);

// GCC defines __SANITIZE_ADDRESS__ under -fsanitize=address; Clang answers __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define SPACEUSE_CLI_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPACEUSE_CLI_ASAN 1
#endif
#endif
#ifndef SPACEUSE_CLI_ASAN
#define SPACEUSE_CLI_ASAN 0
#endif

/// Hands a finished result to the end of the process. Every output is written and closed by
/// then; what is left is releasing the model and result tables, millions of small allocations
/// at region scale (about a second at 1M parcels), which the operating system reclaims at exit
/// at once. Sanitizer builds release it normally, so LeakSanitizer still checks everything.
template <typename T>
void release_at_exit(std::unique_ptr<T> result) {
#if SPACEUSE_CLI_ASAN
    result.reset();
#else
    static std::vector<T*> kept;  // still reachable, for leak checkers
    kept.push_back(result.release());
#endif
}

}  // namespace spaceuse::cli
