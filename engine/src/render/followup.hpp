#pragma once

// The follow-up pieces of the documents: the earlier surveys a report or viewer is compared
// with, the change map of a zone, and the charts of a zone's series and take-up.

#include "render/render_util.hpp"

#include <spaceuse/trend.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse::detail {

/// The current results compared with earlier surveys: the trend over all of them, the newest
/// step of which is "the change since" the latest earlier survey.
struct FollowUp {
    TrendReport trend;
    /// The earlier surveys, reopened (the trend's steps read them).
    std::vector<std::shared_ptr<const StudyReport>> earlier;

    const DiffReport& last() const { return trend.steps.back(); }
    const std::string& since_date() const { return last().before_date; }
};

/// Opens `since` (results folders or snapshots) and compares them with `report`, which must be
/// the newest survey. nullopt when `since` is empty.
/// @throws ConfigError when `report` is not newer than every earlier survey, and as
///         trend_results and open_results.
std::optional<FollowUp> make_follow_up(const StudyReport& report,
                                       const std::vector<std::string>& since,
                                       const DiffOptions& options);

/// Change category of each parcel row of the current results (its match group's), for maps.
std::vector<ChangeCategory> categories_of_parcels(const DiffReport& step);

/// Parcel style that fills each current parcel with its change category's colour.
ParcelStyle change_style(const DocContext& ctx, const DiffReport& step);

/// `ctx` without the layers that would hide the change colours (free space, facilities).
DocContext change_context(const DocContext& ctx);

/// Draws a zone's change map into `area` (`ctx` from change_context, `style` its change_style):
/// current parcels by change category, retired parcels as dashed outlines, buildings, roads,
/// zones, and with `labels` the zone names.
void draw_change_map(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                     const DiffReport& step, std::size_t zone_row, const Rect& area, bool labels);

/// The legend row of retired parcels (a dashed outline) at (x, y); returns its height.
double draw_retired_legend(cairo_t* cr, double x, double y, double font_pt);

/// Line chart of a zone's net, built, vacant, underused and usable free area at each survey.
void draw_series_chart(cairo_t* cr, const TrendReport& trend, const std::string& zone_id,
                       const Rect& area, double font_pt);

/// Bar chart of a zone's take-up per period (the last `max_periods`), with its years of supply.
void draw_takeup_chart(cairo_t* cr, const TrendReport& trend, const std::string& zone_id,
                       const Rect& area, double font_pt, std::size_t max_periods = 15);

/// Rows of the series table for a zone (ascending dates).
std::vector<std::size_t> series_rows(const TrendReport& trend, const std::string& zone_id);

}  // namespace spaceuse::detail
