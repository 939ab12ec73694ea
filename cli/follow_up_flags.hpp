#pragma once

// The options of a comparison of surveys shared by diff, trend, report and view: parcel
// matching, issue dates for the take-up, and the years of the take-up mean.

#include <CLI/CLI.hpp>

#include <spaceuse/diff.hpp>

#include <string>

namespace spaceuse::cli {

struct FollowUpFlags {
    double match_share = MatchOptions{}.match_share;
    std::string issue_date_field;
    std::string issue_date_where;
    int supply_years = DiffOptions{}.supply_years;
    int threads = 0;

    /// Adds --match-share, --issue-date-field, --issue-date-where, --supply-years and, with
    /// `with_threads`, --threads.
    void add(CLI::App& sub, bool with_threads = true);
    /// The options given (threads 0: one per core).
    void apply(DiffOptions& options) const;
};

}  // namespace spaceuse::cli
