#pragma once

/// @file trend.hpp
/// Follow-up over several surveys: each zone's figures at every survey date, the take-up
/// between them and the years of supply at each date, as tables and charts.

#include <spaceuse/diff.hpp>
#include <spaceuse/output.hpp>
#include <spaceuse/progress.hpp>

#include <memory>
#include <string>
#include <vector>

namespace spaceuse {

struct StudyReport;

/// The surveys of a trend, oldest first, and what lies between them.
struct TrendReport {
    /// Survey dates, ascending.
    std::vector<std::string> dates;
    /// Study name of each survey.
    std::vector<std::string> studies;
    /// steps[i] compares dates[i] and dates[i + 1].
    std::vector<DiffReport> steps;
    /// trend (table): per zone (by zone_id; zones of the newest survey first, then those only
    /// in earlier ones) and for all zones ("ALL"), one row per survey date at which the zone
    /// exists: net, built, vacant, underused and usable free area (zone-clipped, as in the zone
    /// table), parcel counts; from the second date on, the interval's take-up and release of
    /// vacant land (the stock bridge of the step ending there), the mean annual take-up and
    /// its basis, and the years of supply of vacant and of vacant + underused land. Empty
    /// (null) at the first date, and for a zone that was split, merged or renamed in that step.
    OutputLayer series;
    /// takeup (table): take-up per period: per calendar year from the issue dates of the
    /// newest survey when an issue-date field is given, else per interval between surveys.
    OutputLayer takeup;
};

/// Compares every consecutive pair of surveys (any order; sorted by survey date) with
/// diff_results and builds the series. The options apply to every step.
/// @throws ConfigError with fewer than two surveys, two surveys of one date (both named),
///         different definitions hashes (the odd one named), and as diff_results.
TrendReport trend_results(const std::vector<const StudyReport*>& surveys,
                          const DiffOptions& options = {});

/// A trend run: results folders or snapshots (spaceuse.gpkg), at least two.
struct TrendStudy {
    std::vector<std::string> surveys;
    /// Written all or nothing, like a study's output folder.
    std::string output_dir;
    DiffOptions options;
    WriteOptions write;
    /// The newest survey is a project file (.toml) whose definitions are applied to the inputs
    /// of every other survey (found through their manifests, content hashes checked), as
    /// `spaceuse diff --recompute` does.
    bool recompute = false;
    /// Chart of each zone and of all zones (PNG and SVG) in charts/.
    bool charts = true;
};

/// Opens the surveys, builds the trend and writes trend.csv, takeup.csv, the charts
/// (charts/<zone_id>.png and .svg; "ALL" for all zones) and run.json.
/// @throws as trend_results and open_results; OutputError.
TrendReport run_trend(const TrendStudy& study, const ProgressFn& progress = {});

/// Draws the chart of one zone ("ALL": all zones): the areas by status at each survey date
/// (the maps' colours) and the take-up per period with the years of supply. PNG, SVG or PDF
/// by the extension; `width_px` × `height_px` at 150 dpi.
/// @throws ConfigError when the zone is not in the series, OutputError as render_map.
void render_trend_chart(const TrendReport& trend, const std::string& zone_id,
                        const std::string& path, const WriteOptions& write, int width_px = 1500,
                        int height_px = 900);

}  // namespace spaceuse
