#pragma once

// Printing of a study's results: load summaries (stderr, for people) and the zone table
// (stdout, data).

#include <spaceuse/study.hpp>

namespace spaceuse::cli {

/// Prints per layer "read = kept + rejected" with repairs and rejection reasons to stderr.
void print_load_summary(const StudyReport& report);

/// Prints the zone table (and TOTAL) to stdout.
void print_zone_table(const StudyReport& report);

/// Prints the network figures and the access summary table to stdout.
void print_access_table(const StudyReport& report);

/// Prints the list of written files to stderr.
void print_outputs(const StudyReport& report);

}  // namespace spaceuse::cli
