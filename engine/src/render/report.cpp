#include "render/followup.hpp"
#include "render/render_util.hpp"

#include <spaceuse/error.hpp>

#include <cairo-pdf.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

namespace spaceuse {

namespace detail {

namespace {

constexpr double body_pt = 8.5;
constexpr double definitions_pt = 7.5;

/// Mean distance and time from a zone's origins to the nearest facility of a kind.
struct AccessFigure {
    std::optional<double> dist_m;
    std::optional<double> time_min;
    std::int64_t origins = 0;
    std::int64_t reachable = 0;
};

/// A zone's change between two surveys, from the transitions table (m² and parcels).
struct ZoneChange {
    bool found = false;
    double taken_m2 = 0, released_m2 = 0, new_m2 = 0, retired_m2 = 0;
    double taken_n = 0, released_n = 0, new_n = 0, retired_n = 0;
    std::optional<double> per_year, years, years_vu;
};

ZoneChange zone_change(const FollowUp& f, const std::string& zone_id) {
    ZoneChange c;
    const OutputLayer& t = f.last().transitions;
    const std::size_t zid = *column(t, "zone_id"), unit = *column(t, "unit"),
                      from = *column(t, "status_before");
    const auto vacant = column(t, "vacant");
    const auto retired = column(t, "retired");
    const auto total = column(t, "total");
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (text_at(t, r, zid) != zone_id) {
            continue;
        }
        c.found = true;
        const bool m2 = text_at(t, r, unit) == "m2";
        const std::string st = text_at(t, r, from);
        double taken = 0, released = 0, added = 0, gone = 0;
        if (st == "vacant") {
            // Vacant land now in use: every after-status column but vacant, retired and total.
            for (std::size_t col = *column(t, "status_before") + 1; col < t.fields.size(); ++col) {
                if (col != vacant && col != retired && col != total) {
                    taken += number_at(t, r, col).value_or(0);
                }
            }
        } else if (st == "new") {
            added = total ? number_at(t, r, *total).value_or(0) : 0;
        } else if (st == "total") {
            gone = retired ? number_at(t, r, *retired).value_or(0) : 0;
        } else if (vacant) {
            released = number_at(t, r, *vacant).value_or(0);
        }
        (m2 ? c.taken_m2 : c.taken_n) += taken;
        (m2 ? c.released_m2 : c.released_n) += released;
        (m2 ? c.new_m2 : c.new_n) += added;
        (m2 ? c.retired_m2 : c.retired_n) += gone;
    }
    const auto rows = series_rows(f.trend, zone_id);
    if (!rows.empty()) {
        const OutputLayer& s = f.trend.series;
        c.per_year = number_at(s, rows.back(), *column(s, "takeup_per_year_m2"));
        c.years = number_at(s, rows.back(), *column(s, "years_of_supply"));
        c.years_vu = number_at(s, rows.back(), *column(s, "years_of_supply_vacant_underused"));
    }
    return c;
}

std::string years_text(const std::optional<double>& y) {
    if (!y) {
        return "n.a.";
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", *y);
    return buf;
}

std::string m2_and_parcels(double m2, double n) {
    return thousands(m2) + " (" + thousands(n) + ")";
}

class ReportWriter {
public:
    ReportWriter(const DocContext& ctx, const ReportOptions& options, const FollowUp* follow,
                 cairo_t* cr, double w, double h)
        : m_ctx(ctx), m_options(options), m_follow(follow), m_cr(cr), m_w(w), m_h(h) {
        m_margin = std::min(w, h) * 0.065;
        const OutputLayer& z = *ctx.zones;
        m_pages = z.rows.size() * (follow != nullptr ? 2 : 1) + 1;
        m_definitions = ctx.report->table("parcel_definitions");
        if (m_definitions != nullptr && ctx.report->table("definition_levels") != nullptr &&
            ctx.report->table("definition_matrix") != nullptr) {
            ++m_pages;
        } else {
            m_definitions = nullptr;
        }
        collect_scenarios();
        if (!m_scenarios.empty()) {
            m_pages += 1 + m_scenarios.size();
        }
        if (follow != nullptr) {
            // Once for every follow-up page: the style classifies every parcel of the region.
            m_change_ctx = change_context(ctx);
            m_change_style = change_style(*m_change_ctx, follow->last());
        }
        collect_access();
    }

    void cover();
    /// "What the definitions change": the definitions side by side (when they ran).
    void definitions_page();
    /// "Scenarios side by side" and a page per scenario (when the scenarios metric ran).
    void scenario_pages();
    void zone_page(std::size_t row);
    /// The change of a zone since the latest earlier survey (with a follow-up).
    void follow_up_page(std::size_t row);

private:
    struct ScenarioInfo {
        std::string name, title, land;
        int top = 10;
    };
    void collect_access();
    void collect_scenarios();
    void scenario_page(const ScenarioInfo& s);
    void footer();
    double heading(double y, const std::string& text, double size);
    double paragraph(double x, double y, double w, const std::string& text, double size,
                     unsigned colour = 0x000000);
    std::string access_text(const AccessFigure& a) const;
    double definitions_height(const std::vector<std::string>& defs) const;
    /// An overview of all zones `h` high at `y`, parcels in `style`, its legend on the right,
    /// without free space and facilities (which would hide the colours); returns the y below.
    double overview_map(const ParcelStyle& style, double y, double h);
    double zone_number(std::size_t row, const std::string& field) const {
        return number_at(*m_ctx.zones, row, *column(*m_ctx.zones, field)).value_or(0.0);
    }

    double change_table(double y, const std::string& heading_text);
    /// Label and value rows (values bold, right-aligned), every other row shaded; returns the
    /// y below them.
    double figure_rows(double x, double y, double w,
                       const std::vector<std::pair<std::string, std::string>>& rows);

    const DocContext& m_ctx;
    const ReportOptions& m_options;
    const FollowUp* m_follow;
    const OutputLayer* m_definitions = nullptr;
    std::optional<DocContext> m_change_ctx;
    std::optional<ParcelStyle> m_change_style;
    cairo_t* m_cr;
    double m_w, m_h, m_margin;
    std::size_t m_pages;
    std::size_t m_page = 0;
    /// Kinds shown in the tables (motorway exit and station first) and figures by zone id.
    std::vector<std::string> m_kinds;
    std::vector<std::string> m_access_kinds;
    std::map<std::pair<std::string, std::string>, AccessFigure> m_access;
    std::vector<ScenarioInfo> m_scenarios;
    const OutputLayer* m_scenario_parcels = nullptr;
};

void ReportWriter::collect_access() {
    const OutputLayer* table = m_ctx.report->table("access_summary");
    if (table == nullptr) {
        return;
    }
    const OutputLayer& t = *table;
    const auto zid = column(t, "zone_id");
    const auto kind = column(t, "kind");
    const auto origins = column(t, "origins");
    const auto reachable = column(t, "reachable");
    const auto dist = column(t, "mean_dist_m");
    const auto time = column(t, "mean_time_min");
    if (!zid || !kind || !dist || !time) {
        return;
    }
    std::vector<std::string> kinds;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
        AccessFigure a;
        a.dist_m = number_at(t, i, *dist);
        a.time_min = number_at(t, i, *time);
        a.origins = static_cast<std::int64_t>(number_at(t, i, *origins).value_or(0));
        a.reachable = static_cast<std::int64_t>(number_at(t, i, *reachable).value_or(0));
        const std::string k = text_at(t, i, *kind);
        m_access[{text_at(t, i, *zid), k}] = a;
        if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) {
            kinds.push_back(k);
        }
    }
    for (const char* preferred : {"motorway_exit", "rail_station"}) {
        if (std::find(kinds.begin(), kinds.end(), preferred) != kinds.end()) {
            m_kinds.push_back(preferred);
        }
    }
    m_access_kinds = m_kinds;
    for (const auto& k : kinds) {
        if (m_access_kinds.size() < 4 &&
            std::find(m_access_kinds.begin(), m_access_kinds.end(), k) == m_access_kinds.end()) {
            m_access_kinds.push_back(k);
        }
    }
    for (const auto& k : kinds) {
        if (m_kinds.size() >= 2) {
            break;
        }
        if (std::find(m_kinds.begin(), m_kinds.end(), k) == m_kinds.end()) {
            m_kinds.push_back(k);
        }
    }
}

std::string pretty(std::string kind) {
    std::replace(kind.begin(), kind.end(), '_', ' ');
    if (!kind.empty()) {
        kind[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(kind[0])));
    }
    return kind;
}

std::string ReportWriter::access_text(const AccessFigure& a) const {
    if (!a.dist_m || !a.time_min) {
        return "not reached";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f km, %.*f min", *a.dist_m / 1000.0,
                  *a.time_min < 10 ? 1 : 0, *a.time_min);
    return buf;
}

/// Height of the cover's definitions as drawn: the heading (8 + 11 × 1.7 with the space above
/// it), then each paragraph's lines less 2, and 3 after it.
double ReportWriter::definitions_height(const std::vector<std::string>& defs) const {
    set_font(m_cr, definitions_pt);
    double h = 8 + 11 * 1.7;
    for (const auto& d : defs) {
        h += static_cast<double>(wrap_text(m_cr, d, m_w - 2 * m_margin - 8).size()) *
                 definitions_pt * 1.3 +
             1;
    }
    return h;
}

double ReportWriter::overview_map(const ParcelStyle& style, double y, double h) {
    const double legend_w = 105;
    const Rect body{m_margin, y + 2, m_w - 2 * m_margin - legend_w - 8, h - 8};
    const DocContext plain = change_context(m_ctx);
    const Overview overview = overview_layout(plain, body);
    draw_overview(m_cr, plain, style, overview, true);
    draw_legend(m_cr, plain, style, std::nullopt, !overview.insets.empty(), body.x + body.w + 8,
                body.y, legend_w, 7);
    return body.y + body.h + 4;
}

void ReportWriter::footer() {
    ++m_page;
    set_font(m_cr, 7);
    set_colour(m_cr, 0x555555);
    const double y = m_h - m_margin * 0.55;
    draw_text(m_cr, m_margin, y,
              m_ctx.title + "   ·   data " +
                  (m_ctx.data_date.empty() ? "date unknown" : m_ctx.data_date));
    draw_text(m_cr, m_w - m_margin, y,
              "page " + std::to_string(m_page) + " of " + std::to_string(m_pages), 1.0);
}

double ReportWriter::heading(double y, const std::string& text, double size) {
    set_font(m_cr, size, true);
    set_colour(m_cr, 0x000000);
    double cy = y;
    for (const auto& line : wrap_text(m_cr, text, m_w - 2 * m_margin)) {
        cy += size * 1.25;
        draw_text(m_cr, m_margin, cy, line);
    }
    return cy + size * 0.45;
}

double ReportWriter::paragraph(double x, double y, double w, const std::string& text, double size,
                               unsigned colour) {
    set_font(m_cr, size);
    set_colour(m_cr, colour);
    double cy = y;
    for (const auto& line : wrap_text(m_cr, text, w)) {
        cy += size * 1.3;
        draw_text(m_cr, x, cy, line);
    }
    return cy;
}

/// A simple table: header cells (may hold "\n" for a unit line), rows, right-aligned numbers.
struct Table {
    std::vector<std::string> header;
    std::vector<double> widths;  // fractions of the table width
    std::vector<std::vector<std::string>> rows;
    std::vector<bool> bold_rows;
};

std::string fit(cairo_t* cr, const std::string& text, double w) {
    if (text_width(cr, text) <= w) {
        return text;
    }
    std::string t = text;
    while (!t.empty() && text_width(cr, t + "…") > w) {
        t.pop_back();
        // Do not cut a UTF-8 sequence in half.
        while (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xC0) == 0x80) {
            t.pop_back();
        }
        if (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xC0) == 0xC0) {
            t.pop_back();
        }
    }
    return t + "…";
}

double draw_table(cairo_t* cr, const Table& t, double x, double y, double w, double size) {
    const double row_h = size * 1.7;
    std::vector<double> xs{x};
    for (const double f : t.widths) {
        xs.push_back(xs.back() + f * w);
    }
    // Header: up to two lines (name, unit).
    set_font(cr, size, true);
    set_colour(cr, 0xE6E6E6);
    cairo_rectangle(cr, x, y, w, row_h * 1.6);
    cairo_fill(cr);
    set_colour(cr, 0x000000);
    for (std::size_t c = 0; c < t.header.size(); ++c) {
        const std::string& h = t.header[c];
        const std::size_t nl = h.find('\n');
        const double align = c == 0 ? 0.0 : 1.0;
        const double tx = c == 0 ? xs[c] + 3 : xs[c + 1] - 3;
        draw_text(cr, tx, y + size * 1.3, fit(cr, h.substr(0, nl), xs[c + 1] - xs[c] - 4), align);
        if (nl != std::string::npos) {
            set_font(cr, size * 0.9);
            draw_text(cr, tx, y + size * 2.45, h.substr(nl + 1), align);
            set_font(cr, size, true);
        }
    }
    double cy = y + row_h * 1.6;
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        const bool bold = r < t.bold_rows.size() && t.bold_rows[r];
        if (r % 2 == 1 || bold) {
            set_colour(cr, bold ? 0xDDE6F0 : 0xF5F5F5);
            cairo_rectangle(cr, x, cy, w, row_h);
            cairo_fill(cr);
        }
        set_font(cr, size, bold);
        set_colour(cr, 0x000000);
        for (std::size_t c = 0; c < t.rows[r].size(); ++c) {
            const std::string cell = fit(cr, t.rows[r][c], xs[c + 1] - xs[c] - 6);
            if (c == 0) {
                draw_text(cr, xs[c] + 3, cy + size * 1.2, cell);
            } else {
                draw_text(cr, xs[c + 1] - 3, cy + size * 1.2, cell, 1.0);
            }
        }
        cy += row_h;
    }
    cairo_set_line_width(cr, 0.6);
    set_colour(cr, 0x888888);
    cairo_move_to(cr, x, cy);
    cairo_line_to(cr, x + w, cy);
    cairo_stroke(cr);
    return cy;
}

void ReportWriter::cover() {
    const double m = m_margin;
    const double tw = m_w - 2 * m;
    double y = m;
    const std::string title = m_options.title.empty() ? m_ctx.title : m_options.title;
    y = heading(y, title, 19);
    y = paragraph(m, y - 4, tw,
                  "Occupancy and available space of the business zones: report for the advisory "
                  "committee",
                  11, 0x333333);
    y = paragraph(
        m, y + 2, tw,
        "Data date: " + (m_ctx.data_date.empty() ? std::string("unknown") : m_ctx.data_date) +
            ".  Sources: " + m_ctx.sources + ".",
        8, 0x555555);
    y = heading(y + 10, "All zones", 12.5);

    const OutputLayer& z = *m_ctx.zones;
    Table t;
    t.header = {"Zone",         "Gross\nm²",  "Net\nm²",  "Built\nm²",           "Coverage\n%",
                "Occupancy\n%", "Vacant\nm²", "Free\nm²", "Parcels\nocc/und/vac"};
    t.widths = {0.28, 0.09, 0.09, 0.085, 0.085, 0.095, 0.085, 0.085, 0.105};
    double total_w = 0;
    for (const double f : t.widths) {
        total_w += f;
    }
    for (double& f : t.widths) {
        f /= total_w;
    }
    auto add_row = [&](const std::string& name, const std::string& id,
                       const std::vector<Value>& row, const OutputLayer& layer, bool bold) {
        auto num = [&](const char* f) {
            const auto c = column(layer, f);
            return c ? value_as_number(row[*c]).value_or(0.0) : 0.0;
        };
        std::vector<std::string> cells = {name,
                                          thousands(num("gross_m2")),
                                          thousands(num("net_m2")),
                                          thousands(num("built_m2")),
                                          percent_text(num("coverage")),
                                          percent_text(num("occupancy")),
                                          thousands(num("vacant_m2")),
                                          thousands(num("free_m2")),
                                          thousands(num("n_occupied")) + "/" +
                                              thousands(num("n_underused")) + "/" +
                                              thousands(num("n_vacant"))};
        t.rows.push_back(cells);
        t.bold_rows.push_back(bold);
    };
    const std::size_t id_col = *column(z, "zone_id");
    const std::size_t name_col = *column(z, "name");
    for (std::size_t r = 0; r < z.rows.size(); ++r) {
        const std::string id = text_at(z, r, id_col);
        const std::string name = text_at(z, r, name_col);
        add_row(name.empty() ? id : id + " " + name, id, z.rows[r], z, false);
    }
    if (const OutputLayer* zone_table = m_ctx.report->table("summary")) {
        const OutputLayer& s = *zone_table;
        add_row("All zones", "TOTAL", s.rows.back(), s, true);
    }
    y = draw_table(m_cr, t, m, y, tw, 7.2) + 2;
    y = paragraph(
        m, y, tw,
        "Areas in m² inside each zone; occ/und/vac: number of parcels occupied, underused "
        "and vacant.",
        7, 0x444444);
    if (m_follow != nullptr) {
        y = change_table(y + 6, "Change since the survey of " + m_follow->since_date());
    }
    if (!m_access_kinds.empty()) {
        y = heading(y + 6, "Access from the zones", 11);
        Table a;
        a.header = {"Zone"};
        a.widths = {0.28};
        for (const auto& k : m_access_kinds) {
            a.header.push_back(pretty(k) + "\nmean distance, time");
            a.widths.push_back(0.72 / static_cast<double>(m_access_kinds.size()));
        }
        for (std::size_t r = 0; r <= z.rows.size(); ++r) {
            const bool total = r == z.rows.size();
            const std::string id = total ? "ALL" : text_at(z, r, id_col);
            const std::string name = total ? "All parcels" : text_at(z, r, name_col);
            std::vector<std::string> cells{total ? name : (name.empty() ? id : id + " " + name)};
            for (const auto& k : m_access_kinds) {
                auto it = m_access.find({id, k});
                cells.push_back(it == m_access.end() ? "–" : access_text(it->second));
            }
            a.rows.push_back(cells);
            a.bold_rows.push_back(total);
        }
        y = draw_table(m_cr, a, m, y, tw, 7.2) + 2;
        y = paragraph(m, y, tw,
                      "Mean network distance and " + m_ctx.access_options->text("profile") +
                          " travel time from the zone's parcels to the nearest facility of each "
                          "kind (the last row: all parcels, also those outside the zones).",
                      7, 0x444444);
    }

    // Definitions, from the settings recorded in run.json.
    const Profile& p = m_ctx.profile;
    std::vector<std::string> defs;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "Parcel status: vacant when its coverage (built area / parcel area) is below "
                  "%s, underused below %s, otherwise occupied (profile '%s', %s).",
                  percent_text(p.vacant_below, 0).c_str(),
                  percent_text(p.underused_below, 0).c_str(), p.name.c_str(),
                  std::filesystem::path(p.origin).filename().string().c_str());
    defs.emplace_back(buf);
    if (!p.status_values.empty()) {
        std::string sv;
        for (const auto& [value, status] : p.status_values) {
            sv += (sv.empty() ? "" : ", ") + ("'" + value + "' → " + status_name(status));
        }
        defs.push_back("A recorded status wins over the computed one: " + sv + ".");
    }
    std::snprintf(buf, sizeof buf,
                  "Usable free space: parcel land at least %s m from any building, in pieces at "
                  "least %s m wide and %s large (hatched on the maps).",
                  short_number(p.setback_m).c_str(), short_number(p.min_free_width_m).c_str(),
                  area_text(p.min_free_area_m2).c_str());
    defs.emplace_back(buf);
    defs.emplace_back("Gross: zone area. Net: parcel area inside the zone. Coverage: built / net. "
                      "Occupancy: area of occupied parcels / net. Areas are planar, in the "
                      "analysis CRS " +
                      m_ctx.crs + ".");
    if (m_ctx.access_options != nullptr) {
        const MetricOptions& a = *m_ctx.access_options;
        std::string iso;
        for (const double t_min : a.numbers("isochrones")) {
            iso += (iso.empty() ? "" : ", ") + short_number(t_min);
        }
        defs.push_back("Accessibility: " + a.text("profile") +
                       " profile over the road network, from each "
                       "parcel's " +
                       a.text("access_point") + "; points more than " +
                       short_number(a.number("max_snap_m")) + " m from a road are not reached" +
                       (iso.empty() ? "" : "; isochrones " + iso + " min") + ".");
    }
    std::string inputs;
    for (const auto& l : m_ctx.report->layers) {
        inputs += (inputs.empty() ? "" : "; ") + l.role + " " +
                  thousands(static_cast<double>(l.report.kept)) + " of " +
                  thousands(static_cast<double>(l.report.read));
        if (l.report.repaired > 0) {
            inputs += " (" + thousands(static_cast<double>(l.report.repaired)) + " repaired)";
        }
    }
    defs.push_back("Features used (kept of read): " + inputs + ". Full settings: run.json.");

    const double map_h = m_h - m - 18 - y - definitions_height(defs);
    if (map_h > 150) {
        MapOptions mo;
        const ParcelStyle style = make_parcel_style(m_ctx, mo);
        const double legend_w = 105;
        Rect body{m, y + 8, tw - legend_w - 8, map_h - 8};
        Overview overview = overview_layout(m_ctx, body);
        if (overview.insets.empty()) {
            // A plain map is as tall as the zones need, so a row of zones leaves no blank band.
            const Box tight = map_world(m_ctx, std::nullopt, 0.0);
            const double tight_h = body.w * (tight.max_corner().y() - tight.min_corner().y()) /
                                   (tight.max_corner().x() - tight.min_corner().x());
            body.h = std::clamp(tight_h, std::min(190.0, body.h), body.h);
            overview = overview_layout(m_ctx, body);
        }
        draw_overview(m_cr, m_ctx, style, overview, true);
        draw_legend(m_cr, m_ctx, style, std::nullopt, !overview.insets.empty(), body.x + body.w + 8,
                    body.y, legend_w, 7);
        y = body.y + body.h;
    }
    y = heading(y + 8, "Definitions and thresholds", 11);
    for (const auto& d : defs) {
        y = paragraph(m + 8, y - 2, tw - 8, d, definitions_pt);
        set_colour(m_cr, 0x000000);
        y += 3;
    }
    footer();
    cairo_show_page(m_cr);
}

double ReportWriter::figure_rows(double x, double y, double w,
                                 const std::vector<std::pair<std::string, std::string>>& rows) {
    const double line = body_pt * 1.55;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i % 2 == 1) {
            set_colour(m_cr, 0xF3F3F3);
            cairo_rectangle(m_cr, x, y + 2, w, line);
            cairo_fill(m_cr);
        }
        set_colour(m_cr, 0x000000);
        set_font(m_cr, body_pt);
        draw_text(m_cr, x + 3, y + line * 0.78, rows[i].first);
        set_font(m_cr, body_pt, true);
        draw_text(m_cr, x + w - 3, y + line * 0.78, rows[i].second, 1.0);
        y += line;
    }
    return y;
}

double ReportWriter::change_table(double y, const std::string& heading_text) {
    const double m = m_margin;
    const double tw = m_w - 2 * m;
    y = heading(y, heading_text, 11);
    const OutputLayer& z = *m_ctx.zones;
    Table t;
    t.header = {"Zone",
                "Taken up\nm² (parcels)",
                "Released\nm² (parcels)",
                "New\nm² (parcels)",
                "Retired\nm² (parcels)",
                "Take-up\nm²/year",
                "Supply\nyears",
                "+ underused\nyears"};
    t.widths = {0.275, 0.115, 0.115, 0.095, 0.1, 0.09, 0.085, 0.125};
    const std::size_t id_col = *column(z, "zone_id");
    const std::size_t name_col = *column(z, "name");
    for (std::size_t r = 0; r <= z.rows.size(); ++r) {
        const bool total = r == z.rows.size();
        const std::string id = total ? "ALL" : text_at(z, r, id_col);
        const std::string name = total ? "All zones" : text_at(z, r, name_col);
        const ZoneChange c = zone_change(*m_follow, id);
        std::vector<std::string> cells{total ? name : (name.empty() ? id : id + " " + name)};
        if (!c.found) {
            // A zone that is new, split, merged or renamed since: no one-to-one change.
            cells.insert(cells.end(), {"–", "–", "–", "–", "–", "–", "–"});
        } else {
            cells.insert(cells.end(), {m2_and_parcels(c.taken_m2, c.taken_n),
                                       m2_and_parcels(c.released_m2, c.released_n),
                                       m2_and_parcels(c.new_m2, c.new_n),
                                       m2_and_parcels(c.retired_m2, c.retired_n),
                                       c.per_year ? thousands(*c.per_year) : std::string("n.a."),
                                       years_text(c.years), years_text(c.years_vu)});
        }
        t.rows.push_back(cells);
        t.bold_rows.push_back(total);
    }
    y = draw_table(m_cr, t, m, y, tw, 7.2) + 2;
    const DiffReport& d = m_follow->last();
    const std::string basis = d.takeup_source == "issue_date"
                                  ? "the mean land issued per year over the last " +
                                        std::to_string(m_options.follow_up.diff.supply_years) +
                                        " years (issue dates)"
                                  : "the vacant land taken up per year between the two surveys";
    return paragraph(m, y, tw,
                     "Taken up: vacant land of " + d.before_date +
                         " in use (underused or "
                         "occupied) on " +
                         d.after_date +
                         "; released: land in use that fell vacant; new and retired: parcels "
                         "that appeared or disappeared. Supply: years the vacant land (and the "
                         "vacant and underused land) lasts at " +
                         basis + ".",
                     7, 0x444444);
}

void ReportWriter::follow_up_page(std::size_t row) {
    const double m = m_margin;
    const double tw = m_w - 2 * m;
    const OutputLayer& z = *m_ctx.zones;
    const std::string id = text_at(z, row, *column(z, "zone_id"));
    const std::string name = text_at(z, row, *column(z, "name"));
    const DiffReport& d = m_follow->last();
    double y = heading(m, (name.empty() ? "Zone " + id : name) + ": change since " + d.before_date,
                       16);

    // Change map with its legend.
    const double legend_w = 105;
    const Rect body{m, y, tw - legend_w - 8, m_h * (m_w > m_h ? 0.42 : 0.34)};
    draw_change_map(m_cr, *m_change_ctx, *m_change_style, d, row, body, false);
    const DocContext& plain = *m_change_ctx;
    const ParcelStyle& style = *m_change_style;
    const double lx = body.x + body.w + 8;
    draw_retired_legend(
        m_cr, lx, body.y + draw_legend(m_cr, plain, style, row, false, lx, body.y, legend_w, 7), 7);
    y = body.y + body.h + 8;

    // Key changes (left) and the take-up chart (right).
    const ZoneChange c = zone_change(*m_follow, id);
    const double col_w = tw * 0.48;
    y = heading(y, "Change since " + d.before_date, 11);
    const double top = y;
    // A zone that is new, split, merged or renamed since has no one-to-one change: dashes.
    auto shown = [&c](const std::string& text) { return c.found ? text : std::string("–"); };
    const std::vector<std::pair<std::string, std::string>> figures = {
        {"Taken up (vacant → in use)", shown(m2_and_parcels(c.taken_m2, c.taken_n))},
        {"Released (fell vacant)", shown(m2_and_parcels(c.released_m2, c.released_n))},
        {"New parcels", shown(m2_and_parcels(c.new_m2, c.new_n))},
        {"Retired parcels", shown(m2_and_parcels(c.retired_m2, c.retired_n))},
        {"Take-up per year", c.per_year ? area_text(*c.per_year) : std::string("n.a.")},
        {"Years of supply (vacant)", years_text(c.years)},
        {"Years of supply (vacant + underused)", years_text(c.years_vu)}};
    y = figure_rows(m, y, col_w, figures);
    y = paragraph(m, y + 2, col_w,
                  c.found ? "m² (parcels), inside the zone."
                          : "The zone is new, split, merged or renamed since " + d.before_date +
                                ": its change is in zone_changes and transitions.csv under its "
                                "zone group.",
                  7, 0x444444);
    const double chart_x = m + col_w + 18;
    draw_takeup_chart(m_cr, m_follow->trend, id, {chart_x, top, m + tw - chart_x, 150}, 6.5);
    y = std::max(y, top + 150) + 6;

    // Transitions: land and parcels by status at both dates.
    y = heading(y, "Status at both dates: m² (parcels)", 11);
    const OutputLayer& tr = d.transitions;
    const std::size_t zid = *column(tr, "zone_id"), unit = *column(tr, "unit"),
                      from = *column(tr, "status_before");
    Table t;
    t.header = {d.before_date + " ↓ / " + d.after_date + " →"};
    for (std::size_t col = from + 1; col < tr.fields.size(); ++col) {
        t.header.push_back(tr.fields[col].name);
    }
    const double first_w = 0.24;
    t.widths = {first_w};
    for (std::size_t i = 1; i < t.header.size(); ++i) {
        t.widths.push_back((1.0 - first_w) / static_cast<double>(t.header.size() - 1));
    }
    std::map<std::string, std::size_t> parcel_row;
    std::vector<std::size_t> m2_rows;
    for (std::size_t r = 0; r < tr.rows.size(); ++r) {
        if (text_at(tr, r, zid) != id) {
            continue;
        }
        if (text_at(tr, r, unit) == "m2") {
            m2_rows.push_back(r);
        } else {
            parcel_row[text_at(tr, r, from)] = r;
        }
    }
    for (const auto r : m2_rows) {
        const std::string st = text_at(tr, r, from);
        const auto p = parcel_row.find(st);
        std::vector<std::string> cells{st};
        for (std::size_t col = from + 1; col < tr.fields.size(); ++col) {
            const double a = number_at(tr, r, col).value_or(0);
            const double n = p == parcel_row.end() ? 0 : number_at(tr, p->second, col).value_or(0);
            cells.push_back(m2_and_parcels(a, n));
        }
        t.rows.push_back(cells);
        t.bold_rows.push_back(st == "total");
    }
    y = draw_table(m_cr, t, m, y, tw, 7.2) + 2;
    y = paragraph(m, y, tw,
                  "Rows: status on " + d.before_date +
                      " (new: land that was not this zone's "
                      "parcels); columns: status on " +
                      d.after_date + " (retired: land no longer a parcel of the zone).",
                  7, 0x444444);

    // The zone's figures at every survey, when there is room.
    const double room = m_h - m * 0.55 - 16 - y;
    if (room > 120) {
        y = heading(y + 4, "Areas at each survey", 11);
        draw_series_chart(m_cr, m_follow->trend, id, {m, y, tw, std::min(room - 30, 200.0)}, 6.5);
    }
    footer();
    cairo_show_page(m_cr);
}

void ReportWriter::definitions_page() {
    if (m_definitions == nullptr) {
        return;
    }
    const double m = m_margin;
    const double tw = m_w - 2 * m;
    const OutputLayer& levels = *m_ctx.report->table("definition_levels");
    const OutputLayer& matrix = *m_ctx.report->table("definition_matrix");
    double y = heading(m, "What the definitions change", 16);
    std::vector<std::string> profiles;
    const std::size_t lz = *column(levels, "zone_id"), lp = *column(levels, "profile");
    for (std::size_t r = 0; r < levels.rows.size(); ++r) {
        if (text_at(levels, r, lz) == "ALL") {
            profiles.push_back(text_at(levels, r, lp));
        }
    }
    y = paragraph(m, y, tw,
                  "The same parcels classified under " + std::to_string(profiles.size()) +
                      " definitions of available land. Each definition keeps its own classes "
                      "(parcel_definitions, definition_zones.csv); here they are put on one "
                      "scale: available, partly available, not available. All zones; m² of the "
                      "parcels inside the zones. A parcel is not computable under a definition "
                      "when the data lack a fact its rules need.",
                  8);

    // Area per level, all zones.
    y = heading(y + 4, "Area by level, all zones", 11);
    Table t;
    t.header = {"Definition", "Available\nm²", "Partly available\nm²", "Not available\nm²",
                "Not computable\nm² (parcels)"};
    t.widths = {0.24, 0.18, 0.2, 0.18, 0.2};
    for (std::size_t r = 0; r < levels.rows.size(); ++r) {
        if (text_at(levels, r, lz) != "ALL") {
            continue;
        }
        auto n = [&](const char* f) {
            return number_at(levels, r, *column(levels, f)).value_or(0);
        };
        t.rows.push_back({text_at(levels, r, lp), thousands(n("available_m2")),
                          thousands(n("partly_available_m2")), thousands(n("not_available_m2")),
                          m2_and_parcels(n("not_computable_m2"), n("n_not_computable"))});
    }
    y = draw_table(m_cr, t, m, y, tw, 7.5) + 4;

    // The disagreement matrix.
    y = heading(y + 4, "Area on different levels, m² (parcels)", 11);
    Table mt;
    mt.header = {""};
    const double first = 0.2;
    mt.widths = {first};
    for (const auto& p : profiles) {
        mt.header.push_back(p);
        mt.widths.push_back((1.0 - first) / static_cast<double>(profiles.size()));
    }
    const std::size_t ma = *column(matrix, "profile_a"), mb = *column(matrix, "profile_b");
    const std::size_t marea = *column(matrix, "area_m2"), mn = *column(matrix, "n_parcels");
    for (const auto& a : profiles) {
        std::vector<std::string> cells{a};
        for (const auto& b : profiles) {
            std::string cell = "–";
            for (std::size_t r = 0; r < matrix.rows.size() && a != b; ++r) {
                if (text_at(matrix, r, ma) == a && text_at(matrix, r, mb) == b) {
                    cell = m2_and_parcels(number_at(matrix, r, marea).value_or(0),
                                          number_at(matrix, r, mn).value_or(0));
                }
            }
            cells.push_back(cell);
        }
        mt.rows.push_back(cells);
    }
    y = draw_table(m_cr, mt, m, y, tw, profiles.size() > 5 ? 6.3 : 7.2) + 4;

    // The map of the parcels on which definitions disagree.
    const double map_h = m_h - m - 40 - y;
    if (map_h > 150) {
        y = heading(y + 4, "Where the definitions disagree", 11);
        ParcelStyle style;
        style.field = "levels given by the definitions";
        style.no_value_row = false;  // set below when a parcel has no computable level
        style.upper = {1.5, 2.5, 3.5};
        style.colours = {0xE8E8E8, 0xCC6677, 0x882255};
        style.labels = {"one level (agree)", "two levels", "three levels"};
        style.counts = {0, 0, 0};
        const OutputLayer& parcels = *m_ctx.parcels;
        std::map<std::string, double> by_id;
        const std::size_t did = *column(*m_definitions, "parcel_id"),
                          dn = *column(*m_definitions, "n_levels");
        for (std::size_t r = 0; r < m_definitions->rows.size(); ++r) {
            by_id[text_at(*m_definitions, r, did)] = number_at(*m_definitions, r, dn).value_or(0);
        }
        const std::size_t pid = *column(parcels, "parcel_id");
        style.values.assign(parcels.rows.size(), std::nullopt);
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            const auto it = by_id.find(text_at(parcels, r, pid));
            if (it != by_id.end() && it->second >= 1) {
                const double v = std::min(3.0, it->second);
                style.values[r] = v;
                ++style.counts[static_cast<std::size_t>(v) - 1];
            } else {
                style.no_value_row = true;  // not computable under any definition
            }
        }
        y = overview_map(style, y, map_h);
        paragraph(m, y, tw,
                  "Each parcel's class, level and rule under every definition: "
                  "parcel_definitions.csv (n_levels 2 or more where two disagree); the rules "
                  "and their sources: the profile files named in run.json.",
                  7, 0x444444);
    }
    footer();
    cairo_show_page(m_cr);
}

void ReportWriter::collect_scenarios() {
    const StudyReport& report = *m_ctx.report;
    if (report.table("scenario_zones") == nullptr || report.table("scenario_capacity") == nullptr ||
        report.table("scenario_ranking") == nullptr) {
        return;
    }
    m_scenario_parcels = report.table("scenario_parcels");
    const auto manifest = nlohmann::json::parse(report.manifest, nullptr, false);
    if (m_scenario_parcels == nullptr || !manifest.is_object() || !manifest.contains("scenarios")) {
        return;
    }
    for (const auto& s : manifest["scenarios"]) {
        ScenarioInfo info;
        info.name = s.value("name", "");
        info.title = s.value("title", info.name);
        info.land = s.value("land", "");
        info.top = s.value("top", 10);
        m_scenarios.push_back(std::move(info));
    }
}

namespace {

/// Colours of the scenarios in charts (the baseline is grey).
unsigned scenario_colour(std::size_t i) {
    static const unsigned colours[] = {0x4477AA, 0xEE6677, 0x228833, 0xCCBB44, 0x66CCEE, 0xAA3377};
    return colours[i % (sizeof colours / sizeof colours[0])];
}

/// A "nice" upper bound for a chart axis.
double nice_ceiling(double v) {
    if (v <= 0) {
        return 1.0;
    }
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    for (const double f : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (f * p >= v) {
            return f * p;
        }
    }
    return 10 * p;
}

}  // namespace

void ReportWriter::scenario_pages() {
    if (m_scenarios.empty()) {
        return;
    }
    const double m = m_margin;
    const double tw = m_w - 2 * m;
    const OutputLayer& zones = *m_ctx.report->table("scenario_zones");
    const std::size_t zid = *column(zones, "zone_id"), zname = *column(zones, "name"),
                      zsc = *column(zones, "scenario"), znet = *column(zones, "net_floor_m2"),
                      zgross = *column(zones, "gross_floor_m2"), zjobs = *column(zones, "net_jobs");
    double y = heading(m, "Scenarios side by side", 16);
    y = paragraph(m, y, tw,
                  "How much more floor area fits in each zone under each scenario, after the "
                  "land assumed not to come to market (net capacity), against a baseline of "
                  "zero: today's buildings. Capacity per parcel: scenario_parcels; the steps "
                  "from gross to net: scenario_capacity.csv.",
                  8);
    // The zones in table order, then ALL.
    std::vector<std::pair<std::string, std::string>> zone_list;
    for (std::size_t r = 0; r < zones.rows.size(); ++r) {
        const std::string id = text_at(zones, r, zid);
        if (std::find_if(zone_list.begin(), zone_list.end(),
                         [&](const auto& z) { return z.first == id; }) == zone_list.end()) {
            zone_list.emplace_back(id, text_at(zones, r, zname));
        }
    }
    auto figure = [&](const std::string& zone, const std::string& sc, std::size_t c) {
        for (std::size_t r = 0; r < zones.rows.size(); ++r) {
            if (text_at(zones, r, zid) == zone && text_at(zones, r, zsc) == sc) {
                return number_at(zones, r, c);
            }
        }
        return std::optional<double>();
    };
    Table t;
    t.header = {"Zone", "Baseline\nm²"};
    t.widths = {0.34, 0.12};
    for (const auto& s : m_scenarios) {
        t.header.push_back(s.name + "\nnet floor m²");
        t.widths.push_back(0.54 / static_cast<double>(m_scenarios.size()));
    }
    // At most 18 zones here (and as many as fit in the chart); all of them in the CSV.
    constexpr std::size_t max_rows = 18;
    const std::size_t n_zones = zone_list.size() - 1;  // without ALL
    std::size_t listed = 0;
    for (const auto& [id, name] : zone_list) {
        if (id != "ALL" && listed++ >= max_rows) {
            if (listed == max_rows + 1) {
                t.rows.push_back({"… " + std::to_string(n_zones - max_rows) +
                                  " more zones: scenario_zones.csv"});
                t.bold_rows.push_back(false);
            }
            continue;
        }
        std::vector<std::string> row = {id == "ALL" ? "All zones" : id + " " + name, "0"};
        for (const auto& s : m_scenarios) {
            const auto net = figure(id, s.name, znet);
            const auto jobs = figure(id, s.name, zjobs);
            row.push_back(thousands(net.value_or(0)) +
                          (jobs ? " (" + thousands(*jobs) + " jobs)" : std::string()));
        }
        t.rows.push_back(row);
        t.bold_rows.push_back(id == "ALL");
    }
    y = draw_table(m_cr, t, m, y + 4, tw, 7.5) + 8;

    // The chart: net added floor area per zone, one bar per scenario, the baseline at zero.
    y = heading(y + 4, "Net added floor area per zone, m²", 11);
    double top = 0;
    for (const auto& [id, name] : zone_list) {
        if (id == "ALL") {
            continue;
        }
        for (const auto& s : m_scenarios) {
            top = std::max(top, figure(id, s.name, znet).value_or(0));
        }
    }
    top = nice_ceiling(top);
    const double label_w = 70;
    const double bar_h = 9;
    const double gap = 6;
    const double cx = m + label_w;
    const double cw = tw - label_w - 60;
    const double group_h = 11 + bar_h * static_cast<double>(m_scenarios.size() + 1) + gap;
    const auto fits = static_cast<std::size_t>(
        std::max(1.0, std::floor((m_h - m - 90 - y) / group_h)));
    std::size_t drawn = 0;
    for (const auto& [id, name] : zone_list) {
        if (id == "ALL" || drawn >= fits) {
            continue;
        }
        ++drawn;
        // The zone's name above its bars: the baseline (zero), then each scenario.
        set_font(m_cr, 7.5, true);
        set_colour(m_cr, 0x000000);
        draw_text(m_cr, m, y + 8, fit(m_cr, id + " " + name, tw));
        y += 11;
        cairo_set_line_width(m_cr, 0.6);
        set_colour(m_cr, 0x555555);
        cairo_move_to(m_cr, cx, y);
        cairo_line_to(m_cr, cx, y + bar_h * static_cast<double>(m_scenarios.size() + 1) + gap);
        cairo_stroke(m_cr);
        set_font(m_cr, 6.5);
        set_colour(m_cr, 0x777777);
        draw_text(m_cr, cx - 4, y + bar_h - 2, "baseline", 1.0);
        draw_text(m_cr, cx + 3, y + bar_h - 2, "0");
        for (std::size_t k = 0; k < m_scenarios.size(); ++k) {
            const double v = figure(id, m_scenarios[k].name, znet).value_or(0);
            const double by = y + bar_h * static_cast<double>(k + 1);
            set_colour(m_cr, scenario_colour(k));
            cairo_rectangle(m_cr, cx, by + 1, cw * v / top, bar_h - 2);
            cairo_fill(m_cr);
            set_font(m_cr, 6.5);
            set_colour(m_cr, 0x333333);
            draw_text(m_cr, cx - 4, by + bar_h - 2, fit(m_cr, m_scenarios[k].name, label_w - 6),
                      1.0);
            draw_text(m_cr, cx + cw * v / top + 3, by + bar_h - 2, thousands(v));
        }
        y += bar_h * static_cast<double>(m_scenarios.size() + 1) + gap;
    }
    // The axis with its scale.
    cairo_set_line_width(m_cr, 0.6);
    set_colour(m_cr, 0x555555);
    cairo_move_to(m_cr, cx, y);
    cairo_line_to(m_cr, cx + cw, y);
    cairo_stroke(m_cr);
    set_font(m_cr, 6.5);
    for (int i = 0; i <= 4; ++i) {
        const double x = cx + cw * i / 4.0;
        draw_text(m_cr, x, y + 9, thousands(top * i / 4.0), 0.5);
    }
    y += 22;
    if (drawn < n_zones) {
        y = paragraph(m, y - 8, tw,
                      "The chart shows the first " + std::to_string(drawn) + " of " +
                          std::to_string(n_zones) + " zones; all: scenario_zones.csv.",
                      7.5, 0x444444) +
            4;
    }
    // Gross and net, all zones.
    std::string gross_net;
    for (const auto& s : m_scenarios) {
        gross_net += (gross_net.empty() ? "" : "; ") + s.name + ": gross " +
                     thousands(figure("ALL", s.name, zgross).value_or(0)) + " m², net " +
                     thousands(figure("ALL", s.name, znet).value_or(0)) + " m²";
    }
    paragraph(m, y, tw, "All zones — " + gross_net + ".", 7.5, 0x444444);
    footer();
    cairo_show_page(m_cr);
    for (const auto& s : m_scenarios) {
        scenario_page(s);
    }
}

void ReportWriter::scenario_page(const ScenarioInfo& s) {
    const double m = m_margin;
    const double tw = m_w - 2 * m;
    const OutputLayer& cap = *m_ctx.report->table("scenario_capacity");
    const OutputLayer& ranking = *m_ctx.report->table("scenario_ranking");
    double y = heading(m, "Scenario: " + s.title, 16);
    y = paragraph(m, y, tw,
                  "Added capacity per parcel: the footprint that fits inside the " + s.land +
                      " and under the coverage cap; the floor area under the floor-area ratio "
                      "and the floor limit, minus the floor area built (none where the floor "
                      "area built is unknown). Then the discounts of the scenario file, in its "
                      "order, each on the capacity that remains.",
                  8);

    // Capacity per zone: gross, each discount, net.
    const std::size_t cz = *column(cap, "zone_id"), cn = *column(cap, "name"),
                      csc = *column(cap, "scenario"), citem = *column(cap, "item"),
                      cshare = *column(cap, "share"), cfloor = *column(cap, "floor_m2"),
                      cjobs = *column(cap, "jobs");
    std::vector<std::string> items;
    std::string discounts;  // listed under the table, numbered as in its header
    std::vector<std::string> zone_ids;
    for (std::size_t r = 0; r < cap.rows.size(); ++r) {
        if (text_at(cap, r, csc) != s.name) {
            continue;
        }
        const std::string z = text_at(cap, r, cz);
        if (std::find(zone_ids.begin(), zone_ids.end(), z) == zone_ids.end()) {
            zone_ids.push_back(z);
        }
        if (z == "ALL") {
            std::string item = text_at(cap, r, citem);
            if (const auto share = number_at(cap, r, cshare)) {
                const std::string k = std::to_string(items.size());
                discounts += (discounts.empty() ? "" : "; ") + k + " " + item + ", " +
                             percent_text(*share, 0) + " of what remains";
                item = "− discount " + k + "\n" + percent_text(*share, 0);
            } else {
                item = item == "gross capacity" ? "Gross\ncapacity" : "Net\ncapacity";
            }
            items.push_back(item);
        }
    }
    y = heading(y + 4, "Floor area that fits, m²", 11);
    Table t;
    t.header = {"Zone"};
    t.widths = {0.3};
    for (const auto& item : items) {
        t.header.push_back(item);
        t.widths.push_back(0.6 / static_cast<double>(items.size()));
    }
    t.header.push_back("Net\njobs");
    t.widths.push_back(0.1);
    // At most 12 zones and all zones here, to leave the map and the ranking their room.
    constexpr std::size_t max_zones = 12;
    const std::size_t more = zone_ids.size() > max_zones + 1 ? zone_ids.size() - 1 - max_zones : 0;
    if (more > 0) {
        zone_ids.erase(zone_ids.begin() + static_cast<std::ptrdiff_t>(max_zones),
                       zone_ids.end() - 1);
    }
    for (const auto& z : zone_ids) {
        if (z == "ALL" && more > 0) {
            t.rows.push_back({"… " + std::to_string(more) + " more zones: scenario_capacity.csv"});
            t.bold_rows.push_back(false);
        }
        std::vector<std::string> row;
        std::optional<double> jobs;
        for (std::size_t r = 0; r < cap.rows.size(); ++r) {
            if (text_at(cap, r, csc) != s.name || text_at(cap, r, cz) != z) {
                continue;
            }
            if (row.empty()) {
                row.push_back(z == "ALL" ? "All zones" : z + " " + text_at(cap, r, cn));
            }
            row.push_back(thousands(number_at(cap, r, cfloor).value_or(0)));
            jobs = number_at(cap, r, cjobs);
        }
        row.push_back(jobs ? thousands(*jobs) : "–");
        t.rows.push_back(row);
        t.bold_rows.push_back(z == "ALL");
    }
    y = draw_table(m_cr, t, m, y, tw, 7) + 4;
    if (!discounts.empty()) {
        y = paragraph(m, y, tw, "Discounts, in the file's order: " + discounts + ".", 7, 0x444444);
    }

    // The map of added floor area.
    const OutputLayer& sp = *m_scenario_parcels;
    const std::size_t sid = *column(sp, "parcel_id");
    const auto sfloor = column(sp, s.name + "_floor_m2");
    const double map_h = std::max(150.0, (m_h - y) * 0.45);
    if (sfloor) {
        y = heading(y + 4, "Added floor area per parcel", 11);
        ParcelStyle style;
        style.field = "added floor area, m²";
        const auto& classes = scenario_capacity_classes();
        for (std::size_t c = 0; c < classes.size(); ++c) {
            if (c + 1 < classes.size()) {
                style.upper.push_back(classes[c + 1].from);
            }
            style.colours.push_back(classes[c].colour);
            style.labels.emplace_back(classes[c].label);
            style.counts.push_back(0);
        }
        std::map<std::string, std::optional<double>> by_id;
        for (std::size_t r = 0; r < sp.rows.size(); ++r) {
            by_id[text_at(sp, r, sid)] = number_at(sp, r, *sfloor);
        }
        const OutputLayer& parcels = *m_ctx.parcels;
        const std::size_t pid = *column(parcels, "parcel_id");
        style.values.assign(parcels.rows.size(), std::nullopt);
        style.no_value_row = false;
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            const auto it = by_id.find(text_at(parcels, r, pid));
            if (it == by_id.end() || !it->second) {
                style.no_value_row = true;
                continue;
            }
            style.values[r] = *it->second;
            std::size_t c = 0;
            while (c < style.upper.size() && *it->second >= style.upper[c]) {
                ++c;
            }
            ++style.counts[c];
        }
        y = overview_map(style, y, map_h);
    }

    // The parcels to approach first, with every criterion's points.
    const std::size_t rsc = *column(ranking, "scenario"), rrank = *column(ranking, "rank"),
                      rid = *column(ranking, "parcel_id"), rzone = *column(ranking, "zone_id"),
                      rscore = *column(ranking, "score");
    std::vector<std::string> criteria;
    std::vector<std::size_t> first_rows;
    for (std::size_t r = 0; r < ranking.rows.size(); ++r) {
        if (text_at(ranking, r, rsc) == s.name) {
            first_rows.push_back(r);
        }
    }
    if (!first_rows.empty()) {
        for (std::size_t c = 0; c < ranking.fields.size(); ++c) {
            const std::string& f = ranking.fields[c].name;
            if (f.size() > 7 && f.compare(f.size() - 7, 7, "_points") == 0 &&
                number_at(ranking, first_rows.front(), c)) {
                criteria.push_back(f.substr(0, f.size() - 7));
            }
        }
        const std::size_t shown = std::min<std::size_t>(first_rows.size(),
                                                        static_cast<std::size_t>(s.top));
        y = heading(y + 4,
                    "The " + std::to_string(shown) + " parcels to approach first (of " +
                        std::to_string(first_rows.size()) + " with added capacity)",
                    11);
        Table rt;
        rt.header = {"Rank · parcel · zone", "Added floor\nm²", "Score\npoints"};
        rt.widths = {0.2, 0.12, 0.1};
        for (const auto& c : criteria) {
            rt.header.push_back(c + "\npoints");
            rt.widths.push_back(0.58 / static_cast<double>(criteria.size()));
        }
        std::map<std::string, std::optional<double>> floor_by_id;
        if (sfloor) {
            for (std::size_t r = 0; r < sp.rows.size(); ++r) {
                floor_by_id[text_at(sp, r, sid)] = number_at(sp, r, *sfloor);
            }
        }
        const double row_h = 7 * 1.7;
        const std::size_t fits = static_cast<std::size_t>(
            std::max(0.0, (m_h - m - 60 - y) / row_h - 2));
        for (std::size_t k = 0; k < std::min(shown, fits); ++k) {
            const std::size_t r = first_rows[k];
            const std::string id = text_at(ranking, r, rid);
            const auto floor = floor_by_id[id];
            std::vector<std::string> row = {
                thousands(number_at(ranking, r, rrank).value_or(0)) + " · " + id + " · " +
                    text_at(ranking, r, rzone),
                floor ? thousands(*floor) : "unknown",
                thousands(number_at(ranking, r, rscore).value_or(0), 1)};
            for (const auto& c : criteria) {
                row.push_back(thousands(
                    number_at(ranking, r, *column(ranking, c + "_points")).value_or(0), 1));
            }
            rt.rows.push_back(row);
        }
        y = draw_table(m_cr, rt, m, y, tw, 7) + 4;
        paragraph(m, y, tw,
                  "Each criterion is normalised min–max over the parcels of the zones (1 = best) "
                  "and weighted: points = 100 × weight / Σ weights × normalised value; the score "
                  "is their sum, ties broken by parcel id. A parcel without a value gets the "
                  "criterion's worst score. Every value, normalised value and points: "
                  "scenario_ranking.csv.",
                  7, 0x444444);
    }
    footer();
    cairo_show_page(m_cr);
}

void ReportWriter::zone_page(std::size_t row) {
    const double m = m_margin;
    const double tw = m_w - 2 * m;
    const OutputLayer& z = *m_ctx.zones;
    const std::string id = text_at(z, row, *column(z, "zone_id"));
    const std::string name = text_at(z, row, *column(z, "name"));
    // Names first: committee members know the zones by name, ids (often OSM numbers) follow.
    double y = heading(m, name.empty() ? "Zone " + id : name + " (zone " + id + ")", 16);

    MapOptions mo;
    const ParcelStyle style = make_parcel_style(m_ctx, mo);
    const double legend_w = 105;
    const Rect body{m, y, tw - legend_w - 8, m_h * (m_w > m_h ? 0.45 : 0.40)};
    draw_map_body(m_cr, m_ctx, style, row, body, true, true);
    draw_legend(m_cr, m_ctx, style, row, false, body.x + body.w + 8, body.y, legend_w, 7);
    set_font(m_cr, 6.5);
    set_colour(m_cr, 0x555555);
    draw_text(m_cr, body.x + body.w + 8, body.y + body.h - 10, "Labels: ids of the vacant");
    draw_text(m_cr, body.x + body.w + 8, body.y + body.h - 2, "and underused parcels");
    y = body.y + body.h + 8;

    // Key figures (left) and the status chart (right).
    const double col_w = tw * 0.52;
    y = heading(y, "Key figures", 11);
    const double top = y;
    std::vector<std::pair<std::string, std::string>> figures = {
        {"Gross area", area_text(zone_number(row, "gross_m2"))},
        {"Net parcel area", area_text(zone_number(row, "net_m2"))},
        {"Roads and other land", area_text(zone_number(row, "infra_m2"))},
        {"Built area", area_text(zone_number(row, "built_m2"))},
        {"Coverage (built / net)", percent_text(zone_number(row, "coverage"))},
        {"Occupancy (occupied / net)", percent_text(zone_number(row, "occupancy"))},
        {"Vacant area", area_text(zone_number(row, "vacant_m2"))},
        {"Underused area", area_text(zone_number(row, "underused_m2"))},
        {"Usable free area", area_text(zone_number(row, "free_m2"))},
        {"Parcels (occupied / underused / vacant)",
         thousands(zone_number(row, "n_parcels")) + " (" +
             thousands(zone_number(row, "n_occupied")) + " / " +
             thousands(zone_number(row, "n_underused")) + " / " +
             thousands(zone_number(row, "n_vacant")) + ")"}};
    if (auto far = number_at(z, row, *column(z, "far"))) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.2f", *far);
        figures.emplace_back("Floor area ratio", buf);
    }
    for (const auto& k : m_kinds) {
        auto it = m_access.find({id, k});
        if (it != m_access.end()) {
            figures.emplace_back(pretty(k) + " (mean)", access_text(it->second));
        }
    }
    y = figure_rows(m, y, col_w, figures);

    // Chart: share of the net area by status, with the parcel counts.
    const double cx = m + col_w + 24;
    const double cw = tw - col_w - 24;
    double cy = top;
    set_font(m_cr, body_pt, true);
    set_colour(m_cr, 0x000000);
    draw_text(m_cr, cx, cy + body_pt, "Net area by status");
    cy += body_pt * 2.2;
    const double net = zone_number(row, "net_m2");
    const double occupied_m2 = zone_number(row, "occupancy") * net;
    const struct {
        const char* label;
        double m2;
        double n;
        unsigned colour;
    } bars[] = {{"Occupied", occupied_m2, zone_number(row, "n_occupied"), StatusColours::occupied},
                {"Underused", zone_number(row, "underused_m2"), zone_number(row, "n_underused"),
                 StatusColours::underused},
                {"Vacant", zone_number(row, "vacant_m2"), zone_number(row, "n_vacant"),
                 StatusColours::vacant}};
    const double label_w = 52;
    const double bar_max = cw - label_w - 48;
    for (const auto& b : bars) {
        const double share = net > 0 ? b.m2 / net : 0.0;
        set_font(m_cr, body_pt);
        set_colour(m_cr, 0x000000);
        draw_text(m_cr, cx, cy + body_pt * 1.1, b.label);
        cairo_rectangle(m_cr, cx + label_w, cy, std::max(bar_max * share, 0.5), body_pt * 1.5);
        set_colour(m_cr, b.colour);
        cairo_fill_preserve(m_cr);
        set_colour(m_cr, 0x6E6E6E);
        cairo_set_line_width(m_cr, 0.4);
        cairo_stroke(m_cr);
        set_colour(m_cr, 0x000000);
        draw_text(m_cr, cx + label_w + std::max(bar_max * share, 0.5) + 4, cy + body_pt * 1.1,
                  percent_text(share));
        set_font(m_cr, body_pt * 0.85);
        set_colour(m_cr, 0x555555);
        draw_text(m_cr, cx + label_w, cy + body_pt * 2.6,
                  thousands(b.m2) + " m², " + thousands(b.n) + (b.n == 1 ? " parcel" : " parcels"));
        cy += body_pt * 3.6;
    }
    set_font(m_cr, body_pt * 0.85);
    set_colour(m_cr, 0x555555);
    draw_text(m_cr, cx, cy + body_pt * 0.6, "Shares of the net parcel area inside the zone.");
    y = std::max(y, cy + body_pt) + 6;

    // Vacant and underused parcels, most free space first.
    const OutputLayer& p = *m_ctx.parcels;
    const std::size_t pid = *column(p, "parcel_id"), zid = *column(p, "zone_id"),
                      st = *column(p, "status"), area = *column(p, "area_m2"),
                      built = *column(p, "built_m2"), free = *column(p, "free_m2"),
                      largest = *column(p, "largest_free_m2");
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < p.rows.size(); ++r) {
        const std::string s = text_at(p, r, st);
        if (text_at(p, r, zid) == id && (s == "vacant" || s == "underused")) {
            rows.push_back(r);
        }
    }
    std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) {
        const bool va = text_at(p, a, st) == "vacant", vb = text_at(p, b, st) == "vacant";
        if (va != vb) {
            return va;
        }
        return number_at(p, a, free).value_or(0) > number_at(p, b, free).value_or(0);
    });
    y = heading(y, "Vacant and underused parcels (" + std::to_string(rows.size()) + ")", 11);
    if (rows.empty()) {
        paragraph(m, y - 4, tw, "None: every parcel of this zone is occupied.", body_pt);
    } else {
        Table t;
        t.header = {"Parcel",      "Status",          "Area\nm²",         "Built\nm²",
                    "Coverage\n%", "Usable free\nm²", "Largest piece\nm²"};
        t.widths = {0.18, 0.14, 0.14, 0.12, 0.12, 0.15, 0.15};
        const double row_h = 7.6 * 1.7;
        const double room = m_h - m * 0.55 - 24 - y - row_h * 1.6;
        std::size_t fits = static_cast<std::size_t>(std::max(0.0, room / row_h));
        const bool cut = fits < rows.size();
        if (cut && fits > 0) {
            --fits;  // room for the "more" line
        }
        for (std::size_t i = 0; i < rows.size() && i < fits; ++i) {
            const std::size_t r = rows[i];
            const double a = number_at(p, r, area).value_or(0);
            const double b = number_at(p, r, built).value_or(0);
            t.rows.push_back({text_at(p, r, pid), text_at(p, r, st), thousands(a), thousands(b),
                              percent_text(a > 0 ? b / a : 0.0),
                              thousands(number_at(p, r, free).value_or(0)),
                              thousands(number_at(p, r, largest).value_or(0))});
        }
        y = draw_table(m_cr, t, m, y, tw, 7.6);
        if (cut) {
            paragraph(m, y, tw,
                      "… and " + std::to_string(rows.size() - fits) +
                          " more parcels (all are in parcels.geojson and the HTML viewer).",
                      7.5, 0x444444);
        }
    }
    footer();
    cairo_show_page(m_cr);
}

}  // namespace

}  // namespace detail

void render_report(const StudyReport& report, const ReportOptions& options, const std::string& path,
                   const WriteOptions& write) {
    using namespace detail;
    const DocContext ctx = make_context(report);
    const auto follow = make_follow_up(report, options.follow_up.since, options.follow_up.diff);
    double w = 0, h = 0;
    if (options.paper == "A4" || options.paper == "a4") {
        w = 595.276;
        h = 841.89;
    } else if (options.paper == "A3" || options.paper == "a3") {
        w = 841.89;
        h = 1190.551;
    } else {
        throw ConfigError("paper '" + options.paper + "' is not A4 or A3");
    }
    if (options.landscape) {
        std::swap(w, h);
    }
    ByteSink sink;
    SurfacePtr surface(cairo_pdf_surface_create_for_stream(&ByteSink::write, &sink, w, h));
    check_cairo(cairo_surface_status(surface.get()), path);
    const std::string title = options.title.empty() ? ctx.title : options.title;
    set_pdf_metadata(surface.get(), title, ctx.data_date);
    {
        CairoPtr cr(cairo_create(surface.get()));
        ReportWriter writer(ctx, options, follow ? &*follow : nullptr, cr.get(), w, h);
        writer.cover();
        writer.definitions_page();
        writer.scenario_pages();
        for (std::size_t r = 0; r < ctx.zones->rows.size(); ++r) {
            writer.zone_page(r);
            if (follow) {
                writer.follow_up_page(r);
            }
        }
        check_cairo(cairo_status(cr.get()), path);
    }
    cairo_surface_finish(surface.get());
    check_cairo(cairo_surface_status(surface.get()), path);
    write_text_file(path, sink.bytes, write);
}

}  // namespace spaceuse
