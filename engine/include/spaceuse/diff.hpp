#pragma once

/// @file diff.hpp
/// Follow-up between two surveys: how the parcels of one date correspond to those of the next.
/// Parcels are split, merged and renumbered between cadastre vintages, so they are matched by
/// id first and then by the area they share.

#include <spaceuse/export.hpp>
#include <spaceuse/geometry.hpp>
#include <spaceuse/output.hpp>
#include <spaceuse/progress.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace spaceuse {

/// What happened to a parcel between two surveys.
enum class ParcelChange {
    unchanged,    ///< same id, same shape (within the reshape tolerance)
    reshaped,     ///< same id, other shape
    renumbered,   ///< other id, one parcel to one parcel by shared area (reshaped or not)
    split,        ///< one parcel to several
    merged,       ///< several parcels to one
    reparcelled,  ///< several parcels to several, reported as one group
    added,        ///< only after ("new")
    retired       ///< only before
};

/// "unchanged", "reshaped", "renumbered", "split", "merged", "reparcelled", "new", "retired".
const char* parcel_change_name(ParcelChange change) noexcept;

/// How parcels are matched.
struct MatchOptions {
    /// Two parcels left unmatched by id link when their intersection covers at least this share
    /// of the smaller one (0 < share <= 1).
    double match_share = 0.5;
    /// Same-id parcels are reshaped when the area of their symmetric difference exceeds both
    /// this many m² and `reshape_min_share` of the larger one's area.
    double reshape_min_m2 = 1.0;
    double reshape_min_share = 0.001;
};

/// One group of corresponding parcels (indices into the before and after lists).
struct MatchGroup {
    ParcelChange change = ParcelChange::unchanged;
    std::vector<std::size_t> before;
    std::vector<std::size_t> after;
};

/// The correspondence of two parcel sets. Every parcel of both dates is in exactly one group.
struct ParcelMatch {
    /// Groups in a fixed order: id matches in before order, then the groups linked by shared
    /// area by their first before parcel, retired parcels in before order, new parcels in after
    /// order.
    std::vector<MatchGroup> groups;
    /// Group of each before and each after parcel.
    std::vector<std::size_t> group_of_before;
    std::vector<std::size_t> group_of_after;
    /// Parcels of each date per change (before: every change but new; after: every change but
    /// retired).
    std::map<ParcelChange, std::size_t> before_counts;
    std::map<ParcelChange, std::size_t> after_counts;
};

/// Matches the parcels of two dates (geometries in one metric CRS): by id first, then among
/// the rest by shared area (see MatchOptions); linked parcels form groups by connectivity.
/// @throws InputError listing duplicate ids of one date ("before"/"after" in the message);
///         ConfigError on a share outside (0, 1].
ParcelMatch match_parcels(const std::vector<std::string>& before_ids,
                          const std::vector<MultiPolygon>& before,
                          const std::vector<std::string>& after_ids,
                          const std::vector<MultiPolygon>& after, const MatchOptions& options = {});

/// The reconciliation of one date: "before 412 = unchanged 380 + reshaped 9 + ...", only
/// changes with parcels (all when none has).
std::string match_reconciliation(const ParcelMatch& match, bool before);

struct StudyReport;

/// What a diff compares and how.
struct DiffOptions {
    MatchOptions match;
};

/// The follow-up between two surveys' results.
struct DiffReport {
    std::string before_date;
    std::string after_date;
    ParcelMatch match;
    /// "before N = unchanged … + retired …" and "after N = … + new …".
    std::string before_reconciliation;
    std::string after_reconciliation;
    /// parcel_changes: one row per match group (ids at both dates, change, statuses, transition,
    /// differences of built, coverage, floor and usable free area, zone), with the after
    /// parcels' geometry (the before parcels' for retired ones).
    OutputLayer parcel_changes;
    /// zone_changes: per zone (by zone id) the zone table's net, built, vacant, underused and
    /// usable free area and parcel counts at both dates and their differences.
    OutputLayer zone_changes;
};

/// A follow-up run: two sides, each a results folder or snapshot (spaceuse.gpkg) or a project
/// file (.toml, run first into its own output folder), and where to write.
struct DiffStudy {
    std::string before;
    std::string after;
    /// Written all or nothing, like a study's output folder (see Study::output_dir).
    std::string output_dir;
    DiffOptions options;
    /// Formats of parcel_changes and zone_changes (CSV is always written).
    ExportOptions exports;
    WriteOptions write;
};

/// Opens (or runs) both sides, compares them with diff_results and writes parcel_changes and
/// zone_changes (CSV and every export format) and the manifest run.json (both sides, their
/// survey dates and definitions hash, the match options, the reconciliations, the outputs).
/// @throws as diff_results, open_results and run_study; OutputError.
DiffReport run_diff(const DiffStudy& study, const ProgressFn& progress = {});

/// Compares two results (a run's or reopened snapshots) of the same definitions.
/// @throws ConfigError when the definitions hashes differ, a survey date is missing, or the
///         dates are equal or reversed; InputError when a side lacks occupancy's parcels and
///         zones, or has duplicate parcel ids.
DiffReport diff_results(const StudyReport& before, const StudyReport& after,
                        const DiffOptions& options = {});

}  // namespace spaceuse
