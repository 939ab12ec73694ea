#pragma once

/// @file diff.hpp
/// Follow-up between two surveys: how the parcels of one date correspond to those of the next.
/// Parcels are split, merged and renumbered between cadastre vintages, so they are matched by
/// id first and then by the area they share.

#include <spaceuse/crs.hpp>
#include <spaceuse/export.hpp>
#include <spaceuse/geometry.hpp>
#include <spaceuse/output.hpp>
#include <spaceuse/progress.hpp>

#include <cstddef>
#include <map>
#include <memory>
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

/// What the change maps, the viewer and the QGIS style show of a match group (parcel_changes'
/// `category`), in the order of the legends. A split or merge is shown as such whatever the
/// statuses; otherwise the status change decides.
enum class ChangeCategory {
    added,      ///< "new": a parcel only after
    split,      ///< "split"
    merged,     ///< "merged": merged or reparcelled
    built,      ///< "built": more in use (vacant → underused or occupied, underused → occupied)
    vacated,    ///< "vacated": fell vacant
    other,      ///< "other": reshaped, renumbered, or less in use (occupied → underused)
    unchanged,  ///< "unchanged": same id, shape and status
    retired     ///< "retired": a parcel only before
};
inline constexpr int change_category_count = 8;

/// "new", "split", "merged", "built", "vacated", "other", "unchanged", "retired".
const char* change_category_name(ChangeCategory category) noexcept;

/// The category of one match group from its change and the statuses of its parcels (one
/// status each for a one-to-one group).
ChangeCategory change_category(ParcelChange change, const std::string& status_before,
                               const std::string& status_after) noexcept;

/// How parcels are matched.
struct MatchOptions {
    /// Two parcels left unmatched by id link when their intersection covers at least this share
    /// of the smaller one (0 < share <= 1).
    double match_share = 0.5;
    /// Same-id parcels are reshaped when the area of their symmetric difference exceeds both
    /// this many m² and `reshape_min_share` of the larger one's area.
    double reshape_min_m2 = 1.0;
    double reshape_min_share = 0.001;
    /// What is matched, for messages ("parcel" or "zone").
    std::string noun = "parcel";
    /// Threads for the shared-area overlays (0: one per core). The match does not depend on it.
    unsigned threads = 0;
};

/// One group of corresponding parcels (indices into the before and after lists).
struct MatchGroup {
    ParcelChange change = ParcelChange::unchanged;
    std::vector<std::size_t> before;
    std::vector<std::size_t> after;
    /// One parcel to one with the very same coordinates at both dates.
    bool identical = false;
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
/// @throws InputError listing duplicate ids of one date ("before"/"after" and the noun in the
///         message);
///         ConfigError on a share outside (0, 1].
ParcelMatch match_parcels(const std::vector<std::string>& before_ids,
                          const std::vector<MultiPolygon>& before,
                          const std::vector<std::string>& after_ids,
                          const std::vector<MultiPolygon>& after, const MatchOptions& options = {});

/// The reconciliation of one date: "before 412 = unchanged 380 + reshaped 9 + ...", only
/// changes with parcels ("before 0 = 0" when there are none).
std::string match_reconciliation(const ParcelMatch& match, bool before);

struct StudyReport;

/// What a diff compares and how.
struct DiffOptions {
    MatchOptions match;
    /// Input field of the AFTER parcels holding the date each parcel was issued (ISO date, or a
    /// date field); empty: take-up is the diff's, over the interval between the surveys.
    std::string issue_date_field;
    /// OGR SQL filter on the AFTER parcels' input attributes: only parcels it selects count as
    /// issued (e.g. "status = 'issued'"). Needs issue_date_field.
    std::string issue_date_where;
    /// Years of supply use the mean annual take-up of the last this many years before the
    /// after survey (with issue dates).
    int supply_years = 5;
    /// Threads for the transitions' overlays (0: one per core; `match.threads` for the
    /// matching). Results do not depend on it.
    unsigned threads = 0;
};

/// The follow-up between two surveys' results. Areas of the zone-level tables (zone_changes,
/// transitions, stock, takeup) are zone-clipped, as in the zone table; parcel_changes and
/// achieved give whole parcels.
struct DiffReport {
    std::string before_date;
    std::string after_date;
    /// The comparison CRS (AFTER's); `reprojected` when BEFORE's was another.
    CrsInfo crs;
    bool reprojected = false;
    ParcelMatch match;
    /// The zones matched like the parcels (by zone id, then by shared area).
    ParcelMatch zone_match;
    /// "before N = unchanged … + retired …" and "after N = … + new …".
    std::string before_reconciliation;
    std::string after_reconciliation;
    /// parcel_changes: one row per match group (ids at both dates, change, category (see
    /// ChangeCategory), statuses, transition, differences of built, coverage, floor and usable free
    /// area, zone), with the after parcels' geometry (the before parcels' for retired ones).
    OutputLayer parcel_changes;
    /// zone_changes: per zone match group (zone_id: the after ids, the before ones for a
    /// retired zone; change: the zone's match class) the zone table's net, built, vacant,
    /// underused and usable free area and parcel counts at both dates and their differences.
    OutputLayer zone_changes;
    /// transitions (table): per zone and for all zones ("ALL": all zones taken as one, so land or
    /// a parcel moving between zones is a transition there, not retired and new), the status ×
    /// status matrix in
    /// m² and in parcels. Rows: the before statuses, then "new" (land or parcels that were not
    /// the zone's before), then "total"; columns: the after statuses, "retired", "total". Rows
    /// sum to the before totals, columns to the after totals. m²: each piece of land shared by a
    /// before and an after parcel of one match group, inside the zone at both dates; the rest
    /// of a parcel is retired (before) or new (after). Parcels: in each match group, before
    /// and after parcels are paired one to one by largest shared area; unpaired parcels of a
    /// split or merge are new or retired; a pair whose parcels lie in other zones counts as
    /// retired in the one and new in the other.
    OutputLayer transitions;
    /// stock (table): per zone and ALL, for the definitions "vacant" and "vacant+underused":
    /// available before − taken up + released + added − removed = available after, the
    /// residual (0 up to rounding), the mean annual take-up, its basis and the years of supply.
    OutputLayer stock;
    /// takeup (table): take-up per period and zone (and ALL). With issue dates: per calendar
    /// year from the first issue year (or the before survey's year, if earlier) to the after
    /// survey's year, empty years as zero rows (dates after the after survey are counted in
    /// issued_after_survey); otherwise one row per zone over the interval
    /// (vacant land brought into use), with `source` saying which.
    OutputLayer takeup;
    /// achieved: the after parcels developed between the surveys (occupied now, in a match
    /// group whose before parcels were all vacant or underused), with their coverage and
    /// floor-area ratio.
    OutputLayer achieved;
    /// "issue_date" or "diff".
    std::string takeup_source;
    /// Issue dates read (with issue_date_field): parcels with a date, without one (null or
    /// empty), left out by issue_date_where.
    std::size_t issue_dated = 0;
    std::size_t issue_undated = 0;
    std::size_t issue_filtered_out = 0;
    /// Parcels whose issue date lies between the surveys but which are vacant in the after
    /// survey, and their area: many of them suggest dates that record something else (a
    /// cadastral version) rather than issuance.
    std::size_t issued_but_vacant = 0;
    double issued_but_vacant_m2 = 0.0;
    /// Parcels whose issue date is after the after survey (placeholders such as 9999-12-31):
    /// counted, in no year.
    std::size_t issued_after_survey = 0;
    /// Largest absolute stock residual, m².
    double max_stock_residual_m2 = 0.0;
    /// run_diff: the two results compared, released with the report (at region scale, millions
    /// of small allocations that a command-line program may leave to the end of the process).
    std::shared_ptr<const void> keep_alive;
};

/// A follow-up run: two sides, each a results folder or snapshot (spaceuse.gpkg) or a project
/// file (.toml, run first into its own output folder), and where to write.
struct DiffStudy {
    std::string before;
    std::string after;
    /// Written all or nothing, like a study's output folder (see Study::output_dir).
    std::string output_dir;
    DiffOptions options;
    /// Formats of parcel_changes, zone_changes and achieved (CSV is always written; the
    /// tables transitions, stock and takeup are CSV only).
    ExportOptions exports;
    WriteOptions write;
    /// BEFORE is rerun from its inputs (found through its manifest, their content hashes
    /// checked) with AFTER's definitions; AFTER must then be a project file.
    bool recompute = false;
};

/// Opens (or runs) both sides, compares them with diff_results and writes every output of
/// DiffReport (CSV, and the layers in every export format) and the manifest run.json (both
/// sides, their survey dates and definitions hash, the match options, the reconciliations, the
/// take-up basis, the outputs).
/// @throws as diff_results, open_results and run_study; OutputError.
DiffReport run_diff(const DiffStudy& study, const ProgressFn& progress = {});

/// Compares two results (a run's or reopened snapshots) of the same definitions.
/// @throws ConfigError when the definitions hashes differ, a survey date is missing, or the
///         dates are equal or reversed; InputError when a side lacks occupancy's parcels and
///         zones, has duplicate parcel or zone ids, when the issue-date field is missing or
///         holds values that are no dates (all listed), or the filter is invalid.
DiffReport diff_results(const StudyReport& before, const StudyReport& after,
                        const DiffOptions& options = {});

}  // namespace spaceuse
