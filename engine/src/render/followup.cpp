#include "render/followup.hpp"
#include "util/date.hpp"

#include <spaceuse/error.hpp>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include <boost/geometry.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

namespace spaceuse {

namespace {

struct ChangeLook {
    unsigned colour;
    const char* label;
};

/// By ChangeCategory: Paul Tol's colour-blind-safe "bright" scheme for the changes, greys for
/// the rest; retired parcels are outlines in black.
constexpr ChangeLook change_looks[change_category_count] = {{0x228833, "New parcel"},
                                                            {0xCCBB44, "Split"},
                                                            {0xAA3377, "Merged or reparcelled"},
                                                            {0x4477AA, "Newly built (more in use)"},
                                                            {0xEE6677, "Newly vacant"},
                                                            {0xBBBBBB, "Other change"},
                                                            {0xF2F2F2, "Unchanged"},
                                                            {0x000000, "Retired (dashed outline)"}};

}  // namespace

unsigned change_colour(ChangeCategory category) noexcept {
    return change_looks[static_cast<int>(category)].colour;
}

const char* change_label(ChangeCategory category) noexcept {
    return change_looks[static_cast<int>(category)].label;
}

namespace detail {

namespace bg = boost::geometry;

namespace {

constexpr unsigned axis_colour = 0x555555;
constexpr unsigned grid_colour = 0xDDDDDD;

/// Horizontal grid lines from 0 to `top` every `step`, labelled left of the plot.
void draw_y_grid(cairo_t* cr, const Rect& plot, double top, double step, double font_pt,
                 const std::function<std::string(double)>& label) {
    cairo_set_line_width(cr, 0.5);
    for (double v = 0.0; v <= top + step * 0.5; v += step) {
        const double y = plot.y + plot.h * (1.0 - v / top);
        set_colour(cr, grid_colour);
        cairo_move_to(cr, plot.x, y);
        cairo_line_to(cr, plot.x + plot.w, y);
        cairo_stroke(cr);
        set_colour(cr, axis_colour);
        draw_text(cr, plot.x - 4, y + font_pt * 0.35, label(v), 1.0);
    }
}

/// The left and bottom axis lines of a plot.
void draw_axes(cairo_t* cr, const Rect& plot) {
    set_colour(cr, axis_colour);
    cairo_set_line_width(cr, 0.8);
    cairo_move_to(cr, plot.x, plot.y);
    cairo_line_to(cr, plot.x, plot.y + plot.h);
    cairo_line_to(cr, plot.x + plot.w, plot.y + plot.h);
    cairo_stroke(cr);
}

ChangeCategory category_named(const std::string& name) {
    for (int c = 0; c < change_category_count; ++c) {
        const auto cat = static_cast<ChangeCategory>(c);
        if (name == change_category_name(cat)) {
            return cat;
        }
    }
    return ChangeCategory::other;
}

/// Round step for an axis from 0 to `max` with about `ticks` ticks (1, 2 or 5 × 10^k).
double nice_step(double max, int ticks) {
    if (!(max > 0)) {
        return 1.0;
    }
    const double raw = max / ticks;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (m * mag >= raw) {
            return m * mag;
        }
    }
    return 10.0 * mag;
}

/// "12,000 m²" axis labels in m² below 10 ha, in ha above.
std::string axis_area(double m2, double max) {
    if (max >= 100000.0) {
        return short_number(m2 / 10000.0) + " ha";
    }
    return thousands(m2) + " m²";
}

std::optional<double> series_number(const TrendReport& t, std::size_t row, const char* field) {
    const auto c = column(t.series, field);
    return c ? number_at(t.series, row, *c) : std::nullopt;
}

void polygon_path(cairo_t* cr, const MultiPolygon& mp, const Box& world, const Rect& area,
                  double s) {
    auto px = [&](const Point& p) {
        return std::pair{area.x + (p.x() - world.min_corner().x()) * s,
                         area.y + (world.max_corner().y() - p.y()) * s};
    };
    auto ring = [&](const auto& r) {
        for (std::size_t i = 0; i < r.size(); ++i) {
            const auto [x, y] = px(r[i]);
            (i == 0 ? cairo_move_to : cairo_line_to)(cr, x, y);
        }
        cairo_close_path(cr);
    };
    for (const auto& poly : mp) {
        ring(poly.outer());
        for (const auto& inner : poly.inners()) {
            ring(inner);
        }
    }
}

}  // namespace

std::optional<FollowUp> make_follow_up(const StudyReport& report,
                                       const std::vector<std::string>& since,
                                       const DiffOptions& options) {
    if (since.empty()) {
        return std::nullopt;
    }
    FollowUp f;
    std::vector<const StudyReport*> surveys;
    for (const auto& path : since) {
        auto earlier = std::make_shared<StudyReport>(open_results(path));
        if (!report.survey_date.empty() && !(earlier->survey_date < report.survey_date)) {
            throw ConfigError(
                path + ": its survey (" +
                (earlier->survey_date.empty() ? std::string("no date") : earlier->survey_date) +
                ") is not older than the results reported on (" + report.survey_date + ")");
        }
        surveys.push_back(earlier.get());
        f.earlier.push_back(std::move(earlier));
    }
    surveys.push_back(&report);
    f.trend = trend_results(surveys, options);
    return f;
}

std::vector<ChangeCategory> categories_of_parcels(const DiffReport& step) {
    const OutputLayer& pc = step.parcel_changes;
    const std::size_t cat = *column(pc, "category");
    std::vector<ChangeCategory> out(step.match.group_of_after.size(), ChangeCategory::unchanged);
    for (std::size_t r = 0; r < out.size(); ++r) {
        out[r] = category_named(text_at(pc, step.match.group_of_after[r], cat));
    }
    return out;
}

ParcelStyle change_style(const DocContext& ctx, const DiffReport& step) {
    ParcelStyle st;
    st.field = "change since " + step.before_date;
    st.no_value_row = false;  // every current parcel is in a match group
    const auto cats = categories_of_parcels(step);
    st.values.assign(ctx.parcels->rows.size(), std::nullopt);
    // Classes by category index (the legend's order); retired parcels are no current parcels.
    for (int c = 0; c < change_category_count - 1; ++c) {
        const auto cat = static_cast<ChangeCategory>(c);
        st.upper.push_back(c + 0.5);
        st.colours.push_back(change_colour(cat));
        st.labels.emplace_back(change_label(cat));
        st.counts.push_back(0);
    }
    for (std::size_t r = 0; r < st.values.size() && r < cats.size(); ++r) {
        const int c = static_cast<int>(cats[r]);
        st.values[r] = c;
        ++st.counts[static_cast<std::size_t>(c)];
    }
    return st;
}

DocContext change_context(const DocContext& ctx) {
    DocContext plain = ctx;
    plain.free_space = nullptr;
    plain.facilities.clear();
    plain.facility_kind_fields.clear();
    plain.facility_kinds.clear();
    return plain;
}

void draw_change_map(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                     const DiffReport& step, std::size_t zone_row, const Rect& area, bool labels) {
    draw_map_body(cr, ctx, style, zone_row, area, labels, false);

    // Retired parcels (no current parcel), dashed, inside the frame of the map just drawn.
    const Box world = map_world(ctx, zone_row, area.w / area.h);
    const double s = area.w / (world.max_corner().x() - world.min_corner().x());
    const OutputLayer& pc = step.parcel_changes;
    const std::size_t cat = *column(pc, "category");
    cairo_save(cr);
    cairo_rectangle(cr, area.x, area.y, area.w, area.h);
    cairo_clip(cr);
    const double dash[] = {3.0, 2.0};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, 1.1);
    set_colour(cr, change_colour(ChangeCategory::retired));
    for (std::size_t r = 0; r < pc.rows.size(); ++r) {
        if (text_at(pc, r, cat) != change_category_name(ChangeCategory::retired)) {
            continue;
        }
        const auto* mp = std::get_if<MultiPolygon>(&pc.geometry(r));
        if (mp != nullptr && bg::intersects(envelope(pc.geometry(r)), world)) {
            polygon_path(cr, *mp, world, area, s);
            cairo_stroke(cr);
        }
    }
    cairo_restore(cr);
}

double draw_retired_legend(cairo_t* cr, double x, double y, double font_pt) {
    // The swatch and row of draw_legend, with a dashed outline.
    const double line = font_pt * 1.65;
    const double sw = font_pt * 1.8;
    const double sh = font_pt * 1.1;
    const double dash[] = {3.0, 2.0};
    cairo_save(cr);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, 1.1);
    set_colour(cr, change_colour(ChangeCategory::retired));
    cairo_rectangle(cr, x, y + (line - sh) / 2, sw, sh);
    cairo_stroke(cr);
    cairo_restore(cr);
    set_font(cr, font_pt);
    set_colour(cr, 0x000000);
    draw_text(cr, x + sw + 6, y + line * 0.5 + font_pt * 0.35, "Retired parcel");
    return line;
}

std::vector<std::size_t> series_rows(const TrendReport& trend, const std::string& zone_id) {
    std::vector<std::size_t> rows;
    const std::size_t zid = *column(trend.series, "zone_id");
    for (std::size_t r = 0; r < trend.series.rows.size(); ++r) {
        if (text_at(trend.series, r, zid) == zone_id) {
            rows.push_back(r);
        }
    }
    return rows;
}

void draw_series_chart(cairo_t* cr, const TrendReport& trend, const std::string& zone_id,
                       const Rect& area, double font_pt) {
    cairo_save(cr);  // the line caps and widths stay the chart's
    const auto rows = series_rows(trend, zone_id);
    const std::size_t date_col = *column(trend.series, "survey_date");
    struct Line {
        const char* field;
        const char* label;
        unsigned colour;
        double width;
        bool dashed;
    };
    const Line lines[] = {{"net_m2", "Net parcel area", 0x222222, 1.2, true},
                          {"built_m2", "Built", building_colour, 1.6, false},
                          {"vacant_m2", "Vacant", StatusColours::vacant, 2.4, false},
                          {"underused_m2", "Underused", 0xC9B458, 2.4, false},
                          {"free_m2", "Usable free", free_colour, 1.6, false}};
    double max = 0.0;
    std::vector<double> days;
    for (const auto r : rows) {
        for (const auto& l : lines) {
            max = std::max(max, series_number(trend, r, l.field).value_or(0.0));
        }
        days.push_back(
            static_cast<double>(iso_days(text_at(trend.series, r, date_col)).value_or(0)));
    }
    const double step = nice_step(max, 4);
    const double top = step * std::ceil(max / step + 1e-9);
    // Plot area: labels left, legend below.
    set_font(cr, font_pt);
    const double label_w = text_width(cr, axis_area(top, max)) + 6;
    const double legend_h = font_pt * 2.0;
    const Rect plot{area.x + label_w, area.y + font_pt * 0.6, area.w - label_w - font_pt * 2.5,
                    area.h - font_pt * 3.2 - legend_h};
    auto y_of = [&](double v) { return plot.y + plot.h * (1.0 - (top > 0 ? v / top : 0.0)); };
    const double d0 = days.empty() ? 0.0 : days.front();
    const double d1 = days.empty() ? 1.0 : days.back();
    auto x_of = [&](double d) {
        return d1 > d0 ? plot.x + plot.w * (d - d0) / (d1 - d0) : plot.x + plot.w / 2;
    };
    draw_y_grid(cr, plot, top, step, font_pt, [&](double v) { return axis_area(v, max); });
    for (std::size_t i = 0; i < rows.size(); ++i) {
        set_colour(cr, axis_colour);
        draw_text(cr, x_of(days[i]), plot.y + plot.h + font_pt * 1.4,
                  text_at(trend.series, rows[i], date_col), 0.5);
    }
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (const auto& l : lines) {
        set_colour(cr, l.colour);
        cairo_set_line_width(cr, l.width);
        const double dash[] = {4.0, 2.5};
        cairo_set_dash(cr, dash, l.dashed ? 2 : 0, 0);
        bool open = false;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto v = series_number(trend, rows[i], l.field);
            if (!v) {
                open = false;
                continue;
            }
            (open ? cairo_line_to : cairo_move_to)(cr, x_of(days[i]), y_of(*v));
            open = true;
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (const auto v = series_number(trend, rows[i], l.field)) {
                cairo_arc(cr, x_of(days[i]), y_of(*v), l.width + 1.0, 0, 2 * M_PI);
                cairo_fill(cr);
            }
        }
    }
    draw_axes(cr, plot);
    // Legend in one row.
    double lx = plot.x;
    const double ly = area.y + area.h - font_pt * 0.6;
    for (const auto& l : lines) {
        set_colour(cr, l.colour);
        cairo_set_line_width(cr, l.width);
        const double dash[] = {4.0, 2.5};
        cairo_set_dash(cr, dash, l.dashed ? 2 : 0, 0);
        cairo_move_to(cr, lx, ly - font_pt * 0.35);
        cairo_line_to(cr, lx + font_pt * 2, ly - font_pt * 0.35);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
        set_colour(cr, 0x000000);
        draw_text(cr, lx + font_pt * 2.5, ly, l.label);
        lx += font_pt * 3.5 + text_width(cr, l.label);
    }
    cairo_restore(cr);
}

void draw_takeup_chart(cairo_t* cr, const TrendReport& trend, const std::string& zone_id,
                       const Rect& area, double font_pt, std::size_t max_periods) {
    cairo_save(cr);
    const OutputLayer& tu = trend.takeup;
    const std::size_t zid = *column(tu, "zone_id");
    const std::size_t from = *column(tu, "period_from");
    const std::size_t to = *column(tu, "period_to");
    const std::size_t m2 = *column(tu, "takeup_m2");
    const std::size_t years = *column(tu, "years");
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < tu.rows.size(); ++r) {
        if (text_at(tu, r, zid) == zone_id) {
            rows.push_back(r);
        }
    }
    const std::size_t hidden = rows.size() > max_periods ? rows.size() - max_periods : 0;
    rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(hidden));
    // Bars are per year: an interval's take-up is divided by its length.
    std::vector<double> per_year;
    double max = 0.0;
    for (const auto r : rows) {
        const double y = number_at(tu, r, years).value_or(1.0);
        per_year.push_back(number_at(tu, r, m2).value_or(0.0) / (y > 0 ? y : 1.0));
        max = std::max(max, per_year.back());
    }
    // The mean annual take-up and years of supply at the newest survey.
    const auto srows = series_rows(trend, zone_id);
    std::optional<double> mean, supply, supply_vu;
    std::string basis;
    if (!srows.empty()) {
        mean = series_number(trend, srows.back(), "takeup_per_year_m2");
        supply = series_number(trend, srows.back(), "years_of_supply");
        supply_vu = series_number(trend, srows.back(), "years_of_supply_vacant_underused");
        basis = text_at(trend.series, srows.back(), *column(trend.series, "takeup_basis"));
    }
    if (mean) {
        max = std::max(max, *mean);
    }
    const double step = nice_step(max, 4);
    const double top = max > 0 ? step * std::ceil(max / step + 1e-9) : 1.0;
    set_font(cr, font_pt);
    const double label_w = text_width(cr, axis_area(top, max) + "/yr") + 6;
    const Rect plot{area.x + label_w, area.y + font_pt * 0.6, area.w - label_w - font_pt,
                    area.h - font_pt * 6.6};
    auto y_of = [&](double v) { return plot.y + plot.h * (1.0 - v / top); };
    draw_y_grid(cr, plot, top, step, font_pt, [&](double v) { return axis_area(v, max) + "/yr"; });
    const double slot = rows.empty() ? plot.w : plot.w / static_cast<double>(rows.size());
    // Label every k-th period so the labels do not collide.
    std::size_t every = 1;
    while (every < rows.size() && slot * static_cast<double>(every) < font_pt * 3.2) {
        ++every;
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double x = plot.x + slot * static_cast<double>(i);
        cairo_rectangle(cr, x + slot * 0.15, y_of(per_year[i]), slot * 0.7,
                        plot.y + plot.h - y_of(per_year[i]));
        set_colour(cr, StatusColours::occupied);
        cairo_fill(cr);
        if ((rows.size() - 1 - i) % every == 0) {
            set_colour(cr, axis_colour);
            const std::string f = text_at(tu, rows[i], from);
            const std::string t = text_at(tu, rows[i], to);
            // A calendar year as "2024", an interval as "2021–24".
            const std::string label = f.substr(0, 4) == t.substr(0, 4)
                                          ? f.substr(0, 4)
                                          : f.substr(0, 4) + "–" + t.substr(2, 2);
            draw_text(cr, x + slot / 2, plot.y + plot.h + font_pt * 1.4, label, 0.5);
        }
    }
    if (mean && *mean > 0) {
        set_colour(cr, 0x222222);
        cairo_set_line_width(cr, 1.0);
        const double dash[] = {4.0, 2.5};
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, plot.x, y_of(*mean));
        cairo_line_to(cr, plot.x + plot.w, y_of(*mean));
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
    }
    draw_axes(cr, plot);
    set_colour(cr, 0x000000);
    double ty = plot.y + plot.h + font_pt * 2.9;
    const bool issued = basis.rfind("issue_date", 0) == 0;
    std::string line = issued ? "Bars: land issued per year"
                              : "Bars: vacant land taken up per year";
    if (hidden > 0) {
        line += " (last " + std::to_string(rows.size()) + " periods)";
    }
    if (mean) {
        line += "; dashed: mean " + thousands(*mean) + " m²/yr" +
                (issued ? " (issue dates, " + basis.substr(basis.find(',') + 2) + ")"
                        : " (" + basis + ": the latest interval)");
    }
    for (const auto& l : wrap_text(cr, line, area.w)) {
        draw_text(cr, area.x, ty, l);
        ty += font_pt * 1.25;
    }
    auto years_text = [](const std::optional<double>& y) {
        return y ? short_number(std::round(*y * 10.0) / 10.0) : std::string("n.a.");
    };
    set_font(cr, font_pt, true);
    for (const auto& l : wrap_text(cr,
                                   "Years of supply: " + years_text(supply) + " (vacant), " +
                                       years_text(supply_vu) + " (vacant + underused)",
                                   area.w)) {
        draw_text(cr, area.x, ty, l);
        ty += font_pt * 1.25;
    }
    cairo_restore(cr);
}

}  // namespace detail

void render_trend_chart(const TrendReport& trend, const std::string& zone_id,
                        const std::string& path, const WriteOptions& write, int width_px,
                        int height_px) {
    using namespace detail;
    const auto rows = series_rows(trend, zone_id);
    if (rows.empty()) {
        throw ConfigError("zone '" + zone_id + "' is not in the trend");
    }
    if (width_px < 400 || height_px < 300 || width_px > 10000 || height_px > 10000) {
        throw ConfigError("chart size must be 400..10000 by 300..10000 pixels");
    }
    Canvas canvas(path, width_px, height_px, 150.0, "chart");
    const double w = canvas.width();
    const double h = canvas.height();
    {
        cairo_t* c = canvas.cr();
        const double m = 18.0;
        const double font = 8.0;
        const std::string name = text_at(trend.series, rows.front(), 1);
        set_font(c, 14, true);
        set_colour(c, 0x000000);
        draw_text(c, m, m + 12,
                  zone_id == "ALL" ? name
                  : name.empty()   ? "Zone " + zone_id
                                   : name + " (zone " + zone_id + ")");
        set_font(c, font);
        set_colour(c, 0x444444);
        draw_text(c, m, m + 27,
                  "Surveys " + trend.dates.front() + " to " + trend.dates.back() +
                      ": areas inside the zone by status, and take-up of vacant land");
        const double top = m + 40;
        const double body_h = h - top - m;
        const double left_w = (w - 2 * m) * 0.56;
        draw_series_chart(c, trend, zone_id, {m, top, left_w, body_h}, font);
        draw_takeup_chart(c, trend, zone_id,
                          {m + left_w + 24, top, w - 2 * m - left_w - 24, body_h}, font);
        set_font(c, 6.5);
        set_colour(c, 0x777777);
        draw_text(c, w - m, h - 6, "spaceuse " SPACEUSE_VERSION, 1.0);
    }
    set_pdf_metadata(canvas.surface(), "Trend " + zone_id, trend.dates.back());
    canvas.write(write);
}

}  // namespace spaceuse
