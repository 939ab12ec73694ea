#include "render/followup.hpp"
#include "render/render_util.hpp"

#include <spaceuse/error.hpp>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include <boost/geometry.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

namespace spaceuse {

namespace detail {

namespace bg = boost::geometry;

namespace {

constexpr unsigned no_data_colour = 0xDDDDDD;
constexpr unsigned zone_colour = 0x222222;
constexpr unsigned road_colour = 0x9A9A9A;
// Inset extents and numbers (Paul Tol's vibrant red: apart from the status colours).
constexpr unsigned inset_colour = 0xCC3311;

// ColorBrewer YlGnBu, 3 to 7 classes: sequential and colour-blind safe.
const std::vector<std::vector<unsigned>>& ylgnbu() {
    static const std::vector<std::vector<unsigned>> p = {
        {0xEDF8B1, 0x7FCDBB, 0x2C7FB8},
        {0xFFFFCC, 0xA1DAB4, 0x41B6C4, 0x225EA8},
        {0xFFFFCC, 0xA1DAB4, 0x41B6C4, 0x2C7FB8, 0x253494},
        {0xFFFFCC, 0xC7E9B4, 0x7FCDBB, 0x41B6C4, 0x2C7FB8, 0x253494},
        {0xFFFFCC, 0xC7E9B4, 0x7FCDBB, 0x41B6C4, 0x1D91C0, 0x225EA8, 0x0C2C84}};
    return p;
}

unsigned status_colour(const std::string& status) {
    if (status == "occupied") {
        return StatusColours::occupied;
    }
    if (status == "underused") {
        return StatusColours::underused;
    }
    if (status == "vacant") {
        return StatusColours::vacant;
    }
    return no_data_colour;
}

/// World → page (points) transform of one map body.
struct Xf {
    Box world;
    Rect area;
    double s = 1;  // points per metre
    double px(double x) const { return area.x + (x - world.min_corner().x()) * s; }
    double py(double y) const { return area.y + (world.max_corner().y() - y) * s; }
};

void polygon_path(cairo_t* cr, const MultiPolygon& mp, const Xf& xf) {
    auto ring = [&](const auto& r) {
        bool first = true;
        for (const auto& p : r) {
            if (first) {
                cairo_move_to(cr, xf.px(p.x()), xf.py(p.y()));
                first = false;
            } else {
                cairo_line_to(cr, xf.px(p.x()), xf.py(p.y()));
            }
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

const MultiPolygon* polygons(const Geometry& g) { return std::get_if<MultiPolygon>(&g); }

bool overlaps(const Rect& a, const Rect& b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/// Places a label near (x, y) where it overlaps no placed label; false when nothing fits.
bool place_label(cairo_t* cr, double x, double y, const std::string& text, const Rect& area,
                 std::vector<Rect>& placed, double font_pt) {
    const double w = text_width(cr, text);
    const double h = font_pt * 1.2;
    // Candidates: centred on the point, then right and left of it, each moved inside the map
    // when it sticks out; then the same rows above and below.
    for (const double dy : {0.0, -1.2, 1.2, -2.4, 2.4, -3.6, 3.6, -4.8, 4.8}) {
        for (const double dx : {0.0, 0.6, -0.6}) {
            double cx = x + dx * (w + 4);
            cx = std::clamp(cx, area.x + w / 2 + 3, area.x + area.w - w / 2 - 3);
            const double cy = y + dy * h;
            const Rect r{cx - w / 2 - 2, cy - h / 2 - 1, w + 4, h + 2};
            if (r.x < area.x || r.y < area.y || r.x + r.w > area.x + area.w ||
                r.y + r.h > area.y + area.h) {
                continue;
            }
            if (std::any_of(placed.begin(), placed.end(),
                            [&r](const Rect& p) { return overlaps(r, p); })) {
                continue;
            }
            placed.push_back(r);
            draw_halo_text(cr, cx - w / 2, cy + font_pt * 0.35, text);
            return true;
        }
    }
    return false;
}

enum class Symbol { square, circle, triangle, diamond };

struct FacilityStyle {
    Symbol symbol;
    unsigned colour;
};

FacilityStyle facility_style(const std::string& kind) {
    if (kind.find("motorway") != std::string::npos) {
        return {Symbol::square, 0x332288};
    }
    if (kind.find("rail") != std::string::npos || kind.find("train") != std::string::npos ||
        kind.find("station") != std::string::npos) {
        return {Symbol::circle, 0xAA3377};
    }
    if (kind.find("bus") != std::string::npos) {
        return {Symbol::triangle, 0x44AA99};
    }
    return {Symbol::diamond, 0x999933};
}

void draw_symbol(cairo_t* cr, double x, double y, double r, const FacilityStyle& st) {
    switch (st.symbol) {
    case Symbol::square:
        cairo_rectangle(cr, x - r, y - r, 2 * r, 2 * r);
        break;
    case Symbol::circle:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        break;
    case Symbol::triangle:
        cairo_move_to(cr, x, y - r * 1.2);
        cairo_line_to(cr, x + r * 1.1, y + r * 0.8);
        cairo_line_to(cr, x - r * 1.1, y + r * 0.8);
        cairo_close_path(cr);
        break;
    case Symbol::diamond:
        cairo_move_to(cr, x, y - r * 1.3);
        cairo_line_to(cr, x + r * 1.3, y);
        cairo_line_to(cr, x, y + r * 1.3);
        cairo_line_to(cr, x - r * 1.3, y);
        cairo_close_path(cr);
        break;
    }
    set_colour(cr, st.colour);
    cairo_fill_preserve(cr);
    set_colour(cr, 0xFFFFFF);
    cairo_set_line_width(cr, 0.6);
    cairo_stroke(cr);
}

std::string pretty_kind(std::string kind) {
    std::replace(kind.begin(), kind.end(), '_', ' ');
    if (!kind.empty()) {
        kind[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(kind[0])));
    }
    return kind;
}

/// Diagonal hatching of the current path (clip to it, stroke parallel lines).
void hatch_path(cairo_t* cr, double spacing, double width, unsigned colour) {
    double x0, y0, x1, y1;
    cairo_save(cr);
    cairo_clip_preserve(cr);
    cairo_fill_extents(cr, &x0, &y0, &x1, &y1);
    cairo_new_path(cr);
    // Lines x - y = k·spacing (45°) in absolute page coordinates, so neighbouring pieces line up.
    const double kmin = std::floor((x0 - y1) / spacing);
    const double kmax = std::ceil((x1 - y0) / spacing);
    for (double k = kmin; k <= kmax; k += 1) {
        const double c = k * spacing;
        cairo_move_to(cr, y0 + c, y0);
        cairo_line_to(cr, y1 + c, y1);
    }
    set_colour(cr, colour);
    cairo_set_line_width(cr, width);
    cairo_stroke(cr);
    cairo_restore(cr);
}

double road_width(const std::string& cls) {
    if (cls == "motorway" || cls == "trunk" || cls == "motorway_link" || cls == "trunk_link") {
        return 1.8;
    }
    if (cls == "primary" || cls == "secondary" || cls == "primary_link") {
        return 1.3;
    }
    if (cls == "tertiary" || cls == "residential" || cls == "unclassified") {
        return 0.9;
    }
    return 0.5;
}

/// A round scale-bar length (1, 2 or 5 × 10^k metres) not longer than `max_m`.
double nice_length(double max_m) {
    const double p = std::pow(10.0, std::floor(std::log10(max_m)));
    for (const double m : {5.0, 2.0, 1.0}) {
        if (m * p <= max_m) {
            return m * p;
        }
    }
    return p;
}

std::string distance_text(double m) {
    if (m >= 1000) {
        return short_number(m / 1000) + " km";
    }
    return short_number(m) + " m";
}

/// A scale bar in the bottom-left corner of a map: its length and the white box behind it.
struct ScaleBar {
    double len_m = 0;
    double len = 0;  // points
    double x = 0, y = 0;
    Rect box;
};

/// Lays out the scale bar (sets the font it is labelled in).
ScaleBar scale_bar(cairo_t* cr, const Xf& xf, double font_pt) {
    ScaleBar b;
    b.len_m = nice_length(xf.area.w * 0.25 / xf.s);
    b.len = b.len_m * xf.s;
    b.x = xf.area.x + 10;
    b.y = xf.area.y + xf.area.h - 12;
    set_font(cr, font_pt);
    const double label_w = text_width(cr, distance_text(b.len_m));
    b.box = {b.x - 5, b.y - font_pt - 9, b.len + label_w / 2 + 12, font_pt + 16};
    return b;
}

void draw_scale_bar(cairo_t* cr, const ScaleBar& b, double font_pt) {
    set_font(cr, font_pt);
    set_colour(cr, 0xFFFFFF, 0.85);
    cairo_rectangle(cr, b.box.x, b.box.y, b.box.w, b.box.h);
    cairo_fill(cr);
    for (int i = 0; i < 4; ++i) {
        cairo_rectangle(cr, b.x + i * b.len / 4, b.y - 4, b.len / 4, 4);
        set_colour(cr, i % 2 ? 0xFFFFFF : 0x000000);
        cairo_fill_preserve(cr);
        set_colour(cr, 0x000000);
        cairo_set_line_width(cr, 0.5);
        cairo_stroke(cr);
    }
    set_colour(cr, 0x000000);
    // The bar of a narrow map (an inset) is short: "0" and the middle label only where they
    // clear their neighbours.
    const std::string middle = distance_text(b.len_m / 2);
    const std::string end = distance_text(b.len_m);
    const double zero_w = text_width(cr, "0");
    const double end_w = text_width(cr, end);
    const double gap = font_pt * 0.5;
    if (b.len >= (zero_w + end_w) / 2 + gap) {
        draw_text(cr, b.x, b.y - 6, "0", 0.5);
    }
    if (b.len / 2 >= std::max(zero_w, end_w) / 2 + text_width(cr, middle) / 2 + gap) {
        draw_text(cr, b.x + b.len / 2, b.y - 6, middle, 0.5);
    }
    draw_text(cr, b.x + b.len, b.y - 6, end, 0.5);
}

/// A north arrow in the top-right corner of a map: its tip's x, its top and its white box.
struct NorthArrow {
    double cx = 0, top = 0;
    Rect box;
};

NorthArrow north_arrow(const Rect& area, double font_pt) {
    NorthArrow a;
    a.cx = area.x + area.w - 18;
    a.top = area.y + 10;
    a.box = {a.cx - 10, a.top - 3, 20, font_pt * 2.4 + font_pt + 8};
    return a;
}

void draw_north_arrow(cairo_t* cr, const NorthArrow& a, double font_pt) {
    const double cx = a.cx;
    const double top = a.top;
    const double h = font_pt * 2.4;
    set_colour(cr, 0xFFFFFF, 0.85);
    cairo_rectangle(cr, a.box.x, a.box.y, a.box.w, a.box.h);
    cairo_fill(cr);
    cairo_move_to(cr, cx, top + font_pt + 2);
    cairo_line_to(cr, cx + 6, top + font_pt + 2 + h);
    cairo_line_to(cr, cx, top + font_pt + 2 + h * 0.72);
    cairo_close_path(cr);
    set_colour(cr, 0x000000);
    cairo_fill(cr);
    cairo_move_to(cr, cx, top + font_pt + 2);
    cairo_line_to(cr, cx - 6, top + font_pt + 2 + h);
    cairo_line_to(cr, cx, top + font_pt + 2 + h * 0.72);
    cairo_close_path(cr);
    cairo_set_line_width(cr, 0.7);
    cairo_stroke(cr);
    set_font(cr, font_pt, true);
    draw_text(cr, cx, top + font_pt, "N", 0.5);
}

/// The shift (dx, dy) that moves `box` to the first corner of `area` where it is `clear`: its
/// own, then mirrored left to right, top to bottom, and both; none when no corner is clear.
template <typename Clear>
std::pair<double, double> corner_shift(const Rect& box, const Rect& area, const Clear& clear) {
    const double dx = 2 * area.x + area.w - 2 * box.x - box.w;
    const double dy = 2 * area.y + area.h - 2 * box.y - box.h;
    const std::pair<double, double> shifts[] = {{0.0, 0.0}, {dx, 0.0}, {0.0, dy}, {dx, dy}};
    for (const auto& [sx, sy] : shifts) {
        if (clear(Rect{box.x + sx, box.y + sy, box.w, box.h})) {
            return {sx, sy};
        }
    }
    return {0.0, 0.0};
}

/// The box of an inset number with its top-left corner at (x, y).
Rect badge_box(cairo_t* cr, double x, double y, int number, double font_pt) {
    set_font(cr, font_pt, true);
    return {x, y, text_width(cr, std::to_string(number)) + font_pt * 0.9, font_pt * 1.5};
}

/// An inset number: white on the inset colour, on the locator and in the inset's corner.
void draw_badge(cairo_t* cr, const Rect& box, int number, double font_pt) {
    cairo_rectangle(cr, box.x, box.y, box.w, box.h);
    set_colour(cr, inset_colour);
    cairo_fill(cr);
    set_font(cr, font_pt, true);
    set_colour(cr, 0xFFFFFF);
    draw_text(cr, box.x + box.w / 2, box.y + box.h / 2 + font_pt * 0.36, std::to_string(number),
              0.5);
}

}  // namespace

unsigned ParcelStyle::colour(const DocContext& ctx, std::size_t row) const {
    if (field.empty()) {
        return status_colour(text_at(*ctx.parcels, row, *column(*ctx.parcels, "status")));
    }
    const auto& v = values[row];
    if (!v) {
        return no_data_colour;
    }
    for (std::size_t c = 0; c < upper.size(); ++c) {
        if (*v <= upper[c]) {
            return colours[c];
        }
    }
    return colours.back();
}

ParcelStyle make_parcel_style(const DocContext& ctx, const MapOptions& options) {
    ParcelStyle st;
    const OutputLayer& parcels = *ctx.parcels;
    if (options.field.empty()) {
        st.colours = {StatusColours::occupied, StatusColours::underused, StatusColours::vacant};
        st.labels = {"Occupied", "Underused", "Vacant"};
        st.counts = {0, 0, 0};
        const std::size_t s = *column(parcels, "status");
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            const std::string v = text_at(parcels, r, s);
            st.counts[0] += v == "occupied";
            st.counts[1] += v == "underused";
            st.counts[2] += v == "vacant";
        }
        return st;
    }
    st.field = options.field;
    st.values.assign(parcels.rows.size(), std::nullopt);
    if (auto c = column(parcels, options.field)) {
        if (parcels.fields[*c].type == FieldType::string ||
            parcels.fields[*c].type == FieldType::date) {
            throw ConfigError("map field '" + options.field + "' is not numeric");
        }
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            st.values[r] = number_at(parcels, r, *c);
        }
    } else if (ctx.access != nullptr && ctx.access_options != nullptr &&
               ctx.access_options->text("origins") == "parcels" &&
               column(*ctx.access, options.field) &&
               ctx.access->fields[*column(*ctx.access, options.field)].type == FieldType::real) {
        const std::size_t ac = *column(*ctx.access, options.field);
        const std::size_t oid = *column(*ctx.access, "origin_id");
        std::map<std::string, std::size_t> by_id;
        for (std::size_t r = 0; r < ctx.access->rows.size(); ++r) {
            by_id[text_at(*ctx.access, r, oid)] = r;
        }
        const std::size_t pid = *column(parcels, "parcel_id");
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            auto it = by_id.find(text_at(parcels, r, pid));
            if (it != by_id.end()) {
                st.values[r] = number_at(*ctx.access, it->second, ac);
            }
        }
    } else {
        std::string list;
        auto add = [&list](const OutputLayer& l) {
            for (const auto& f : l.fields) {
                if (f.type == FieldType::real || f.type == FieldType::integer) {
                    list += (list.empty() ? "" : ", ") + f.name;
                }
            }
        };
        add(parcels);
        if (ctx.access != nullptr && ctx.access_options != nullptr &&
            ctx.access_options->text("origins") == "parcels") {
            add(*ctx.access);
        }
        throw ConfigError("no numeric parcel field '" + options.field +
                          "' to map (fields: " + list + ")");
    }
    std::vector<double> sorted;
    for (const auto& v : st.values) {
        if (v) {
            sorted.push_back(*v);
        }
    }
    std::sort(sorted.begin(), sorted.end());
    if (options.classification == "breaks") {
        if (options.breaks.empty() || options.breaks.size() > 6 ||
            !std::is_sorted(options.breaks.begin(), options.breaks.end()) ||
            std::adjacent_find(options.breaks.begin(), options.breaks.end()) !=
                options.breaks.end()) {
            throw ConfigError("map breaks must be 1 to 6 ascending distinct values");
        }
        st.upper = options.breaks;
    } else if (options.classification == "quantiles") {
        if (options.classes < 3 || options.classes > 7) {
            throw ConfigError("map classes must be 3..7");
        }
        const std::size_t n = sorted.size();
        for (int i = 1; i < options.classes && n > 0; ++i) {
            const std::size_t idx = (static_cast<std::size_t>(i) * n + options.classes - 1) /
                                        static_cast<std::size_t>(options.classes) -
                                    1;
            const double u = sorted[std::min(idx, n - 1)];
            if ((st.upper.empty() || u > st.upper.back()) && u < sorted.back()) {
                st.upper.push_back(u);
            }
        }
    } else {
        throw ConfigError("map classification '" + options.classification +
                          "' is not quantiles or breaks");
    }
    const std::size_t k = st.upper.size() + 1;
    const auto& pal = ylgnbu()[std::clamp<std::size_t>(k, 3, 7) - 3];
    if (k == 1) {
        st.colours = {pal[1]};
    } else if (k == 2) {
        st.colours = {pal.front(), pal.back()};
    } else {
        st.colours = pal;
    }
    for (std::size_t c = 0; c < k; ++c) {
        if (k == 1) {
            st.labels.push_back("all values");
        } else if (c == 0) {
            st.labels.push_back("≤ " + short_number(st.upper[0]));
        } else if (c + 1 == k) {
            st.labels.push_back("> " + short_number(st.upper[c - 1]));
        } else {
            st.labels.push_back(short_number(st.upper[c - 1]) + " – " + short_number(st.upper[c]));
        }
    }
    st.counts.assign(k, 0);
    for (const auto& v : st.values) {
        if (v) {
            std::size_t c = 0;
            while (c < st.upper.size() && *v > st.upper[c]) {
                ++c;
            }
            ++st.counts[c];
        }
    }
    return st;
}

namespace {

double width(const Box& b) { return b.max_corner().x() - b.min_corner().x(); }
double height(const Box& b) { return b.max_corner().y() - b.min_corner().y(); }

/// `b` padded (6 % of its larger side, at least 30 m), widened or heightened to the aspect
/// (width / height) given; aspect <= 0 keeps the padded extent.
Box frame_box(const Box& b, double aspect) {
    double w = width(b);
    double h = height(b);
    const double pad = std::max(0.06 * std::max(w, h), 30.0);
    double cx = (b.min_corner().x() + b.max_corner().x()) / 2;
    double cy = (b.min_corner().y() + b.max_corner().y()) / 2;
    w += 2 * pad;
    h += 2 * pad;
    if (aspect <= 0) {
        // No aspect asked for: the padded extent.
    } else if (w / h < aspect) {
        w = h * aspect;
    } else {
        h = w / aspect;
    }
    return Box(Point(cx - w / 2, cy - h / 2), Point(cx + w / 2, cy + h / 2));
}

/// Size of the labels (points) of a map `width_pt` wide.
double label_size(double width_pt) { return std::clamp(width_pt / 60.0, 7.0, 11.0); }

/// The world box of a page rectangle.
Box world_box(const Xf& xf, const Rect& r) {
    const double x0 = xf.world.min_corner().x() + (r.x - xf.area.x) / xf.s;
    const double y1 = xf.world.max_corner().y() - (r.y - xf.area.y) / xf.s;
    return Box(Point(x0, y1 - r.h / xf.s), Point(x0 + r.w / xf.s, y1));
}

/// The page rectangle of a world box.
Rect page_rect(const Xf& xf, const Box& b) {
    return {xf.px(b.min_corner().x()), xf.py(b.max_corner().y()), width(b) * xf.s,
            height(b) * xf.s};
}

void draw_zone_fills(cairo_t* cr, const DocContext& ctx, const Xf& xf,
                     std::optional<std::size_t> zone_row) {
    const OutputLayer& zones = *ctx.zones;
    for (std::size_t r = 0; r < zones.rows.size(); ++r) {
        if (const auto* mp = polygons(zones.geometry(r));
            mp && bg::intersects(envelope(zones.geometry(r)), xf.world)) {
            polygon_path(cr, *mp, xf);
            set_colour(cr, zone_row && *zone_row != r ? 0xEBEBEB : 0xF4F4F4);
            cairo_fill(cr);
        }
    }
}

void draw_parcels(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style, const Xf& xf) {
    const OutputLayer& parcels = *ctx.parcels;
    for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
        const auto* mp = polygons(parcels.geometry(r));
        if (mp == nullptr || !bg::intersects(envelope(parcels.geometry(r)), xf.world)) {
            continue;
        }
        polygon_path(cr, *mp, xf);
        set_colour(cr, style.colour(ctx, r));
        cairo_fill_preserve(cr);
        set_colour(cr, 0x6E6E6E);
        cairo_set_line_width(cr, 0.35);
        cairo_stroke(cr);
    }
}

void draw_roads(cairo_t* cr, const DocContext& ctx, const Xf& xf) {
    if (ctx.roads == nullptr) {
        return;
    }
    const auto cls_field = ctx.roads->field_index(ctx.access_options != nullptr
                                                      ? ctx.access_options->text("class_field")
                                                      : std::string("highway"));
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (const auto& f : ctx.roads->features) {
        const auto* ml = std::get_if<MultiLineString>(&f.geometry);
        if (ml == nullptr || !bg::intersects(envelope(f.geometry), xf.world)) {
            continue;
        }
        for (const auto& line : *ml) {
            for (std::size_t i = 0; i < line.size(); ++i) {
                (i == 0 ? cairo_move_to : cairo_line_to)(cr, xf.px(line[i].x()),
                                                         xf.py(line[i].y()));
            }
        }
        const std::string cls = cls_field ? value_as_text(f.attributes[*cls_field]) : std::string();
        cairo_set_line_width(cr, road_width(cls));
        set_colour(cr, road_colour);
        cairo_stroke(cr);
    }
}

void draw_free_space(cairo_t* cr, const DocContext& ctx, const Xf& xf) {
    if (ctx.free_space == nullptr) {
        return;
    }
    for (std::size_t r = 0; r < ctx.free_space->rows.size(); ++r) {
        const auto* mp = polygons(ctx.free_space->geometry(r));
        if (mp == nullptr || !bg::intersects(envelope(ctx.free_space->geometry(r)), xf.world)) {
            continue;
        }
        polygon_path(cr, *mp, xf);
        hatch_path(cr, 3.5, 0.5, free_colour);
        set_colour(cr, free_colour);
        cairo_set_line_width(cr, 0.5);
        cairo_stroke(cr);
    }
}

void draw_buildings(cairo_t* cr, const DocContext& ctx, const Xf& xf) {
    if (ctx.buildings == nullptr) {
        return;
    }
    for (const auto& f : ctx.buildings->features) {
        const auto* mp = polygons(f.geometry);
        if (mp != nullptr && bg::intersects(envelope(f.geometry), xf.world)) {
            polygon_path(cr, *mp, xf);
        }
    }
    set_colour(cr, building_colour);
    cairo_fill(cr);
}

/// Zone outlines: the zone of a zone map and every zone on a locator bold. On a locator a zone
/// too small to make out also gets a ring.
void draw_zone_outlines(cairo_t* cr, const DocContext& ctx, const Xf& xf,
                        const BodyOptions& options) {
    const OutputLayer& zones = *ctx.zones;
    for (std::size_t r = 0; r < zones.rows.size(); ++r) {
        const auto* mp = polygons(zones.geometry(r));
        if (mp == nullptr) {
            continue;
        }
        polygon_path(cr, *mp, xf);
        set_colour(cr, zone_colour);
        const bool bold = options.locator || (options.zone_row && *options.zone_row == r);
        cairo_set_line_width(cr, bold ? 2.0 : 1.2);
        cairo_stroke(cr);
        if (!options.locator) {
            continue;
        }
        const Rect extent = page_rect(xf, envelope(zones.geometry(r)));
        if (std::max(extent.w, extent.h) < 8) {
            cairo_new_sub_path(cr);
            cairo_arc(cr, extent.x + extent.w / 2, extent.y + extent.h / 2, 7, 0, 2 * M_PI);
            cairo_set_line_width(cr, 1.5);
            cairo_stroke(cr);
        }
    }
}

void draw_facilities(cairo_t* cr, const DocContext& ctx, const Xf& xf) {
    for (std::size_t l = 0; l < ctx.facilities.size(); ++l) {
        const Layer& layer = *ctx.facilities[l];
        for (std::size_t i = 0; i < layer.features.size(); ++i) {
            const auto* pts = std::get_if<MultiPoint>(&layer.features[i].geometry);
            if (pts == nullptr) {
                continue;
            }
            for (const auto& p : *pts) {
                if (bg::within(p, xf.world)) {
                    draw_symbol(cr, xf.px(p.x()), xf.py(p.y()), 3.2,
                                facility_style(ctx.facility_kind(l, i)));
                }
            }
        }
    }
}

/// Zone names first (they matter most), then the ids of vacant and underused parcels where
/// there is room; a label that would overlap one already placed (or a box in `placed`) moves or
/// is left out.
void draw_labels(cairo_t* cr, const DocContext& ctx, const Xf& xf, const BodyOptions& options,
                 double label_pt, std::vector<Rect>& placed) {
    const OutputLayer& zones = *ctx.zones;
    const OutputLayer& parcels = *ctx.parcels;
    const std::size_t name_col = *column(zones, "name");
    const std::size_t id_col = *column(zones, "zone_id");
    set_colour(cr, 0x000000);
    set_font(cr, label_pt, true);
    for (std::size_t r = 0; r < zones.rows.size() && options.zone_labels; ++r) {
        const auto* mp = polygons(zones.geometry(r));
        if (mp == nullptr) {
            continue;
        }
        const auto p = interior_point(*mp);
        if (!p || !bg::within(*p, xf.world)) {
            continue;
        }
        std::string name = text_at(zones, r, name_col);
        if (name.empty()) {
            name = text_at(zones, r, id_col);
        }
        // A name wider than a small map (an inset) is set smaller, down to 5 pt, rather than
        // left out.
        const double room = xf.area.w - 10;
        const double w = text_width(cr, name);
        const double pt = w > room ? std::max(label_pt * room / w, 5.0) : label_pt;
        set_font(cr, pt, true);
        place_label(cr, xf.px(p->x()), xf.py(p->y()), name, xf.area, placed, pt);
        set_font(cr, label_pt, true);
    }
    if (!options.parcel_labels) {
        return;
    }
    const double small = label_pt * 0.72;
    set_font(cr, small);
    set_colour(cr, 0x222222);
    const std::size_t pid = *column(parcels, "parcel_id");
    const std::size_t st = *column(parcels, "status");
    const std::size_t zid = *column(parcels, "zone_id");
    const auto zone_row = options.zone_row;
    const std::string zone_id = zone_row ? text_at(zones, *zone_row, id_col) : std::string();
    for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
        const std::string status = text_at(parcels, r, st);
        if ((status != "vacant" && status != "underused") ||
            (zone_row && text_at(parcels, r, zid) != zone_id)) {
            continue;
        }
        const auto* mp = polygons(parcels.geometry(r));
        const auto p = mp ? interior_point(*mp) : std::nullopt;
        if (p && bg::within(*p, xf.world)) {
            place_label(cr, xf.px(p->x()), xf.py(p->y()), text_at(parcels, r, pid), xf.area, placed,
                        small);
        }
    }
}

/// An inset's extent on a locator and its number's box.
struct InsetMark {
    Rect frame;
    Rect badge;
};

/// The marks of the inset extents on a locator, numbered from 1 at their top-left corners
/// (above the rectangle when there is room).
std::vector<InsetMark> inset_marks(cairo_t* cr, const Xf& xf, const std::vector<Box>& extents,
                                   double font_pt) {
    std::vector<InsetMark> marks;
    for (std::size_t i = 0; i < extents.size(); ++i) {
        const Rect r = page_rect(xf, extents[i]);
        Rect box = badge_box(cr, r.x, r.y, static_cast<int>(i) + 1, font_pt);
        box.x = std::clamp(box.x, xf.area.x + 2, xf.area.x + xf.area.w - box.w - 2);
        box.y = std::max(r.y - box.h, xf.area.y + 2);
        marks.push_back({r, box});
    }
    return marks;
}

/// Whether the page rectangle `r` overlaps none of `taken` and no zone.
bool corner_clear(const Rect& r, const DocContext& ctx, const Xf& xf,
                  const std::vector<Rect>& taken) {
    if (std::any_of(taken.begin(), taken.end(), [&r](const Rect& t) { return overlaps(r, t); })) {
        return false;
    }
    const Box b = world_box(xf, r);
    const OutputLayer& zones = *ctx.zones;
    for (std::size_t z = 0; z < zones.rows.size(); ++z) {
        const auto* mp = polygons(zones.geometry(z));
        if (mp != nullptr && bg::intersects(b, *mp)) {
            return false;
        }
    }
    return true;
}

void draw_inset_marks(cairo_t* cr, const std::vector<InsetMark>& marks, double font_pt) {
    for (std::size_t i = 0; i < marks.size(); ++i) {
        const Rect& r = marks[i].frame;
        cairo_rectangle(cr, r.x, r.y, r.w, r.h);
        set_colour(cr, inset_colour);
        cairo_set_line_width(cr, 1.4);
        cairo_stroke(cr);
        draw_badge(cr, marks[i].badge, static_cast<int>(i) + 1, font_pt);
    }
}

}  // namespace

Box map_world(const DocContext& ctx, std::optional<std::size_t> zone_row, double aspect) {
    Box b;
    bg::assign_inverse(b);
    const auto& zones = *ctx.zones;
    for (std::size_t r = 0; r < zones.rows.size(); ++r) {
        if (!zone_row || *zone_row == r) {
            bg::expand(b, envelope(zones.geometry(r)));
        }
    }
    if (b.min_corner().x() > b.max_corner().x()) {
        for (std::size_t r = 0; r < ctx.parcels->rows.size(); ++r) {
            bg::expand(b, envelope(ctx.parcels->geometry(r)));
        }
    }
    return frame_box(b, aspect);
}

void draw_map_world(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style, const Box& world,
                    const Rect& area, const BodyOptions& options) {
    Xf xf;
    xf.area = area;
    xf.world = world;
    xf.s = area.w / width(world);
    const double label_pt = options.label_pt;

    cairo_save(cr);
    cairo_rectangle(cr, area.x, area.y, area.w, area.h);
    cairo_clip(cr);
    set_colour(cr, 0xFFFFFF);
    cairo_paint(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);

    draw_zone_fills(cr, ctx, xf, options.zone_row);
    draw_parcels(cr, ctx, style, xf);
    draw_roads(cr, ctx, xf);
    // A locator's scale is too small for these: they would only hide the zones.
    if (!options.locator) {
        draw_free_space(cr, ctx, xf);
        draw_buildings(cr, ctx, xf);
    }
    draw_zone_outlines(cr, ctx, xf, options);
    if (!options.locator) {
        draw_facilities(cr, ctx, xf);
    }

    // The number stays in the top-left corner. With free_corners the north arrow, then the scale
    // bar, go to the first corner where they hide no zone, inset mark, number or each other.
    const std::vector<InsetMark> marks = inset_marks(cr, xf, options.numbered, label_pt);
    std::vector<Rect> taken;
    for (const auto& m : marks) {
        taken.push_back(m.frame);
        taken.push_back(m.badge);
    }
    const Rect badge = badge_box(cr, area.x, area.y, options.number, label_pt);
    if (options.number > 0) {
        taken.push_back(badge);
    }
    auto clear = [&](const Rect& r) {
        return !options.free_corners || corner_clear(r, ctx, xf, taken);
    };
    NorthArrow arrow = north_arrow(area, label_pt);
    if (options.north_arrow) {
        const auto [dx, dy] = corner_shift(arrow.box, area, clear);
        arrow.cx += dx;
        arrow.top += dy;
        arrow.box.x += dx;
        arrow.box.y += dy;
        taken.push_back(arrow.box);
    }
    ScaleBar bar = scale_bar(cr, xf, label_pt * 0.9);
    const auto [dx, dy] = corner_shift(bar.box, area, clear);
    bar.x += dx;
    bar.y += dy;
    bar.box.x += dx;
    bar.box.y += dy;

    // Labels keep clear of them all.
    std::vector<Rect> placed = taken;
    placed.push_back(bar.box);
    if (!options.locator) {
        draw_labels(cr, ctx, xf, options, label_pt, placed);
    }
    draw_inset_marks(cr, marks, label_pt);
    if (options.number > 0) {
        draw_badge(cr, badge, options.number, label_pt);
    }
    if (options.north_arrow) {
        draw_north_arrow(cr, arrow, label_pt);
    }
    draw_scale_bar(cr, bar, label_pt * 0.9);
    cairo_restore(cr);
    cairo_rectangle(cr, area.x, area.y, area.w, area.h);
    set_colour(cr, 0x000000);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
}

void draw_map_body(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                   std::size_t zone_row, const Rect& area, bool zone_labels, bool parcel_labels) {
    BodyOptions options;
    options.zone_row = zone_row;
    options.zone_labels = zone_labels;
    options.parcel_labels = parcel_labels;
    options.label_pt = label_size(area.w);
    draw_map_world(cr, ctx, style, map_world(ctx, zone_row, area.w / area.h), area, options);
}

namespace {

/// More insets than this would be too small to read: the nearest clusters merge further.
constexpr std::size_t max_insets = 12;
/// A plain all-zones map is legible when every cluster of zones is drawn at least this share of
/// the map's smaller side across.
constexpr double legible_share = 0.25;
/// The locator (a band on top or a column on the left) takes between these shares of the map's
/// height or width.
constexpr double locator_min_share = 0.15;
constexpr double locator_max_share = 0.4;

/// Distance between two boxes (0 when they touch or overlap).
double gap_between(const Box& a, const Box& b) {
    const double dx = std::max(
        {0.0, a.min_corner().x() - b.max_corner().x(), b.min_corner().x() - a.max_corner().x()});
    const double dy = std::max(
        {0.0, a.min_corner().y() - b.max_corner().y(), b.min_corner().y() - a.max_corner().y()});
    return std::hypot(dx, dy);
}

double larger_side(const Box& b) { return std::max(width(b), height(b)); }

/// The extents of the clusters of zones drawn together in one inset, ordered by their first zone
/// row. Two zones no further apart than the larger of them is across fall in one cluster (and so
/// do their clusters): framed together, the pair spans at most three times the larger zone, so
/// each stays legible in one inset. Beyond max_insets clusters the two nearest merge.
std::vector<Box> zone_clusters(const DocContext& ctx) {
    const OutputLayer& zones = *ctx.zones;
    const std::size_t n = zones.rows.size();
    std::vector<Box> boxes;
    for (std::size_t r = 0; r < n; ++r) {
        boxes.push_back(envelope(zones.geometry(r)));
    }
    std::vector<std::size_t> parent(n);
    std::iota(parent.begin(), parent.end(), std::size_t{0});
    auto root = [&parent](std::size_t i) {
        while (parent[i] != i) {
            i = parent[i];
        }
        return i;
    };
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            if (gap_between(boxes[i], boxes[j]) <=
                std::max(larger_side(boxes[i]), larger_side(boxes[j]))) {
                const std::size_t a = root(i), b = root(j);
                parent[std::max(a, b)] = std::min(a, b);
            }
        }
    }
    // Every root is its cluster's first row, so clusters come in the order of their first rows.
    std::vector<Box> clusters;
    std::map<std::size_t, std::size_t> index_of_root;
    for (std::size_t r = 0; r < n; ++r) {
        const auto [it, added] = index_of_root.emplace(root(r), clusters.size());
        if (added) {
            clusters.push_back(boxes[r]);
        } else {
            bg::expand(clusters[it->second], boxes[r]);
        }
    }
    // Merging into the earlier cluster keeps the order.
    while (clusters.size() > max_insets) {
        std::size_t best_i = 0, best_j = 1;
        for (std::size_t i = 0; i < clusters.size(); ++i) {
            for (std::size_t j = i + 1; j < clusters.size(); ++j) {
                if (gap_between(clusters[i], clusters[j]) <
                    gap_between(clusters[best_i], clusters[best_j])) {
                    best_i = i;
                    best_j = j;
                }
            }
        }
        bg::expand(clusters[best_i], clusters[best_j]);
        clusters.erase(clusters.begin() + static_cast<std::ptrdiff_t>(best_j));
    }
    return clusters;
}

/// Area of `extent` drawn as large as fits into `cell`, in square points.
double fitted_area(const Box& extent, const Rect& cell) {
    const double s = std::min(cell.w / width(extent), cell.h / height(extent));
    return s * width(extent) * s * height(extent);
}

/// Cells for insets of the (padded) extents in `space`: rows of `cols` cells, the last row's
/// cells sharing its whole width.
struct Grid {
    std::vector<Rect> cells;
    /// The drawn area of the smallest inset (square points); negative: nothing fits.
    double smallest = -1;
};

/// Of the grids of 1 to n columns, the one that draws the smallest inset largest.
Grid best_grid(const std::vector<Box>& extents, const Rect& space, double gap) {
    const std::size_t n = extents.size();
    Grid best;
    for (std::size_t cols = 1; cols <= n; ++cols) {
        const std::size_t rows = (n + cols - 1) / cols;
        const double cell_h = (space.h - gap * static_cast<double>(rows - 1)) / rows;
        Grid grid;
        grid.smallest = std::numeric_limits<double>::max();
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t row = i / cols;
            const std::size_t in_row = std::min(cols, n - row * cols);
            const double cell_w = (space.w - gap * static_cast<double>(in_row - 1)) / in_row;
            const Rect cell{space.x + static_cast<double>(i % cols) * (cell_w + gap),
                            space.y + static_cast<double>(row) * (cell_h + gap), cell_w, cell_h};
            if (cell_w <= 0 || cell_h <= 0) {
                grid.smallest = -1;
                break;
            }
            grid.cells.push_back(cell);
            grid.smallest = std::min(grid.smallest, fitted_area(extents[i], cell));
        }
        if (grid.smallest > best.smallest) {
            best = std::move(grid);
        }
    }
    return best;
}

/// A locator of all zones and insets of the clusters in `area`: the locator as a band on top or
/// a column on the left, sized to the zones' extent within its share of the area, whichever
/// leaves room for larger insets. No insets when none fits.
Overview locator_layout(const DocContext& ctx, const std::vector<Box>& clusters, const Rect& area) {
    Overview overview;
    std::vector<Box> extents;
    for (const auto& c : clusters) {
        extents.push_back(frame_box(c, 0.0));
    }
    const Box all = map_world(ctx, std::nullopt, 0.0);
    const double aspect = width(all) / height(all);
    const double gap = std::max(4.0, 0.015 * std::min(area.w, area.h));
    const double band_h = std::clamp(area.w / aspect, locator_min_share * area.h,
                                     locator_max_share * area.h);
    const double column_w = std::clamp(area.h * aspect, locator_min_share * area.w,
                                       locator_max_share * area.w);
    const std::pair<Rect, Rect> splits[] = {
        {{area.x, area.y, area.w, band_h},
         {area.x, area.y + band_h + gap, area.w, area.h - band_h - gap}},
        {{area.x, area.y, column_w, area.h},
         {area.x + column_w + gap, area.y, area.w - column_w - gap, area.h}}};
    Grid best;
    for (const auto& [locator, space] : splits) {
        Grid grid = best_grid(extents, space, gap);
        if (grid.smallest > best.smallest) {
            best = std::move(grid);
            overview.area = locator;
        }
    }
    if (best.cells.empty()) {
        return overview;
    }
    Box shown;
    bg::assign_inverse(shown);
    double lowest = area.h;
    for (std::size_t i = 0; i < clusters.size(); ++i) {
        const Rect& cell = best.cells[i];
        overview.insets.push_back({frame_box(clusters[i], cell.w / cell.h), cell});
        bg::expand(shown, overview.insets.back().world);
        lowest = std::min(lowest, cell.h);
    }
    // Labels as on one map of the whole area, but at most a twelfth of the lowest inset's height
    // (in its top-left corner the number, in a bottom one the scale bar) when there are many.
    overview.label_pt = label_size(std::min(area.w, 5 * lowest));
    // Framed on the inset extents rather than the zones, so that every rectangle shows whole.
    overview.world = frame_box(shown, overview.area.w / overview.area.h);
    return overview;
}

}  // namespace

Overview overview_layout(const DocContext& ctx, const Rect& area) {
    const Overview plain{
        map_world(ctx, std::nullopt, area.w / area.h), area, label_size(area.w), {}};
    const std::vector<Box> clusters = zone_clusters(ctx);
    if (clusters.size() <= 1) {
        return plain;
    }
    const double s = area.w / width(plain.world);
    double smallest = std::numeric_limits<double>::max();
    for (const auto& c : clusters) {
        smallest = std::min(smallest, s * larger_side(c));
    }
    if (smallest >= legible_share * std::min(area.w, area.h)) {
        return plain;
    }
    const Overview insets = locator_layout(ctx, clusters, area);
    return insets.insets.empty() ? plain : insets;
}

void draw_overview(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                   const Overview& overview, bool zone_labels) {
    BodyOptions options;
    options.zone_labels = zone_labels;
    options.label_pt = overview.label_pt;
    options.free_corners = true;
    if (overview.insets.empty()) {
        draw_map_world(cr, ctx, style, overview.world, overview.area, options);
        return;
    }
    BodyOptions locator;
    locator.locator = true;
    locator.label_pt = overview.label_pt;
    locator.free_corners = true;
    for (const auto& inset : overview.insets) {
        locator.numbered.push_back(inset.world);
    }
    draw_map_world(cr, ctx, style, overview.world, overview.area, locator);
    // The locator's north arrow serves the insets too: they are all drawn grid north up.
    options.north_arrow = false;
    for (std::size_t i = 0; i < overview.insets.size(); ++i) {
        options.number = static_cast<int>(i) + 1;
        draw_map_world(cr, ctx, style, overview.insets[i].world, overview.insets[i].area, options);
    }
}

double draw_legend(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                   std::optional<std::size_t> zone_row, bool insets, double x, double y, double w,
                   double font_pt) {
    const double line = font_pt * 1.65;
    const double sw = font_pt * 1.8;
    const double sh = font_pt * 1.1;
    double cy = y;
    auto heading = [&](const std::string& text) {
        set_font(cr, font_pt * 1.05, true);
        set_colour(cr, 0x000000);
        for (const auto& l : wrap_text(cr, text, w)) {
            cy += line;
            draw_text(cr, x, cy - font_pt * 0.35, l);
        }
        set_font(cr, font_pt);
    };
    auto row_label = [&](const std::string& text) {
        set_colour(cr, 0x000000);
        draw_text(cr, x + sw + 6, cy + line * 0.5 + font_pt * 0.35, text);
        cy += line;
    };
    auto swatch = [&](unsigned colour) {
        cairo_rectangle(cr, x, cy + (line - sh) / 2, sw, sh);
        set_colour(cr, colour);
        cairo_fill_preserve(cr);
        set_colour(cr, 0x6E6E6E);
        cairo_set_line_width(cr, 0.4);
        cairo_stroke(cr);
    };

    heading(style.field.empty() ? "Parcels by status" : "Parcels: " + style.field);
    for (std::size_t c = 0; c < style.colours.size(); ++c) {
        swatch(style.colours[c]);
        // Counts are of all parcels, so they are shown on maps of all zones only.
        row_label(zone_row ? style.labels[c]
                           : style.labels[c] + " (" + std::to_string(style.counts[c]) + ")");
    }
    if (!style.field.empty() && style.no_value_row) {
        swatch(no_data_colour);
        row_label("no value");
    }
    cy += line * 0.4;
    heading("Other layers");
    if (ctx.free_space != nullptr) {
        cairo_rectangle(cr, x, cy + (line - sh) / 2, sw, sh);
        set_colour(cr, 0xFFFFFF);
        cairo_fill_preserve(cr);
        hatch_path(cr, 3.5, 0.5, free_colour);
        set_colour(cr, free_colour);
        cairo_set_line_width(cr, 0.5);
        cairo_stroke(cr);
        row_label("Usable free space");
    }
    if (ctx.buildings != nullptr) {
        cairo_rectangle(cr, x, cy + (line - sh) / 2, sw, sh);
        set_colour(cr, building_colour);
        cairo_fill(cr);
        row_label("Building");
    }
    cairo_rectangle(cr, x, cy + (line - sh) / 2, sw, sh);
    set_colour(cr, 0xF4F4F4);
    cairo_fill_preserve(cr);
    set_colour(cr, zone_colour);
    cairo_set_line_width(cr, zone_row ? 2.0 : 1.2);
    cairo_stroke(cr);
    row_label(zone_row ? "Zone (this zone bold)" : "Business zone");
    if (insets) {
        cairo_rectangle(cr, x, cy + (line - sh) / 2, sw, sh);
        set_colour(cr, inset_colour);
        cairo_set_line_width(cr, 1.4);
        cairo_stroke(cr);
        row_label("Inset extent");
    }
    if (ctx.roads != nullptr) {
        cairo_move_to(cr, x, cy + line / 2);
        cairo_line_to(cr, x + sw, cy + line / 2);
        set_colour(cr, road_colour);
        cairo_set_line_width(cr, 1.3);
        cairo_stroke(cr);
        row_label("Road");
    }
    std::set<std::string> kinds;
    for (std::size_t l = 0; l < ctx.facilities.size(); ++l) {
        for (std::size_t i = 0; i < ctx.facilities[l]->features.size(); ++i) {
            kinds.insert(ctx.facility_kind(l, i));
        }
    }
    for (const auto& k : kinds) {
        if (k.empty()) {
            continue;
        }
        draw_symbol(cr, x + sw / 2, cy + line / 2, 3.2, facility_style(k));
        row_label(pretty_kind(k));
    }
    return cy - y;
}

namespace {

struct MapLayout {
    double page_w = 0, page_h = 0, k = 1;
    double margin = 0, title_pt = 0, base_pt = 0;
    Rect body;
    Rect legend;
    double footer_y = 0;
};

MapLayout map_layout(const MapOptions& o) {
    if (o.width_px < 200 || o.height_px < 200 || o.width_px > 20000 || o.height_px > 20000) {
        throw ConfigError("map size must be 200..20000 pixels each way");
    }
    if (!(o.dpi >= 36 && o.dpi <= 1200)) {
        throw ConfigError("map dpi must be 36..1200");
    }
    MapLayout l;
    l.k = o.dpi / 72.0;
    l.page_w = o.width_px / l.k;
    l.page_h = o.height_px / l.k;
    const double small = std::min(l.page_w, l.page_h);
    l.margin = std::clamp(small * 0.03, 8.0, 28.0);
    l.base_pt = std::clamp(small / 70.0, 5.5, 11.0);
    l.title_pt = l.base_pt * 2.0;
    const double title_h = l.title_pt * 1.3 + l.base_pt * 1.9;
    const double footer_h = l.base_pt * 3.6;
    const double legend_w = std::max(l.page_w * 0.19, l.base_pt * 15);
    l.body = {l.margin, l.margin + title_h, l.page_w - 2.5 * l.margin - legend_w,
              l.page_h - 2 * l.margin - title_h - footer_h};
    l.legend = {l.body.x + l.body.w + l.margin * 0.5, l.body.y, legend_w, l.body.h};
    l.footer_y = l.body.y + l.body.h + l.base_pt * 1.5;
    return l;
}

}  // namespace

}  // namespace detail

Point MapFrame::to_pixel(const Point& p) const {
    return Point(left + (p.x() - world.min_corner().x()) * px_per_m,
                 top + (world.max_corner().y() - p.y()) * px_per_m);
}

namespace {

MapFrame page_frame(const Box& world, const detail::Rect& area, double k) {
    MapFrame f;
    f.world = world;
    f.left = area.x * k;
    f.top = area.y * k;
    f.width = area.w * k;
    f.height = area.h * k;
    f.px_per_m = f.width / (world.max_corner().x() - world.min_corner().x());
    return f;
}

}  // namespace

MapFrame map_frame(const StudyReport& report, const MapOptions& options) {
    const auto ctx = detail::make_context(report);
    const auto l = detail::map_layout(options);
    if (!options.zone.empty()) {
        const std::size_t zone = detail::find_zone(ctx, options.zone);
        return page_frame(detail::map_world(ctx, zone, l.body.w / l.body.h), l.body, l.k);
    }
    const detail::Overview overview = detail::overview_layout(ctx, l.body);
    MapFrame f = page_frame(overview.world, overview.area, l.k);
    for (const auto& inset : overview.insets) {
        f.insets.push_back(page_frame(inset.world, inset.area, l.k));
    }
    return f;
}

void render_map(const StudyReport& report, const MapOptions& options, const std::string& path,
                const WriteOptions& write) {
    using namespace detail;
    const DocContext full = make_context(report);
    const MapLayout l = map_layout(options);
    std::optional<std::size_t> zone;
    if (!options.zone.empty()) {
        zone = find_zone(full, options.zone);
    }
    if (!options.follow_up.since.empty() && !options.field.empty()) {
        throw ConfigError("a change map (--since) colours parcels by change, not by a field");
    }
    Canvas canvas(path, options.width_px, options.height_px, options.dpi, "map");
    // A change map: parcels by change category, without the layers that would hide them.
    const auto follow = make_follow_up(report, options.follow_up.since, options.follow_up.diff);
    const DocContext ctx = follow ? change_context(full) : full;
    const ParcelStyle style = follow ? change_style(ctx, follow->last())
                                     : make_parcel_style(ctx, options);
    cairo_t* c = canvas.cr();

    std::string title = options.title;
    if (title.empty()) {
        title = ctx.title;
        if (zone) {
            const std::string name = text_at(*ctx.zones, *zone, *column(*ctx.zones, "name"));
            title += " — " + (name.empty()
                                  ? text_at(*ctx.zones, *zone, *column(*ctx.zones, "zone_id"))
                                  : name);
        }
    }
    set_pdf_metadata(canvas.surface(), title, ctx.data_date);
    set_colour(c, 0x000000);
    set_font(c, l.title_pt, true);
    draw_text(c, l.margin, l.margin + l.title_pt, title);
    set_font(c, l.base_pt * 1.1);
    set_colour(c, 0x444444);
    const std::string subtitle =
        follow                ? "Parcels by change since the survey of " + follow->since_date()
        : style.field.empty() ? "Parcels by occupancy status, usable free space and buildings"
                              : "Parcels by " + style.field + " (" + options.classification + ")";
    draw_text(c, l.margin, l.margin + l.title_pt * 1.3 + l.base_pt * 1.2, subtitle);

    bool insets = false;
    if (zone && follow) {
        draw_change_map(c, ctx, style, follow->last(), *zone, l.body, options.labels);
    } else if (zone) {
        draw_map_body(c, ctx, style, *zone, l.body, options.labels, options.labels);
    } else {
        const Overview overview = overview_layout(ctx, l.body);
        draw_overview(c, ctx, style, overview, options.labels);
        insets = !overview.insets.empty();
    }
    const double legend_h = draw_legend(c, ctx, style, zone, insets, l.legend.x, l.legend.y,
                                        l.legend.w, l.base_pt);
    if (zone && follow) {
        draw_retired_legend(c, l.legend.x, l.legend.y + legend_h, l.base_pt);
    }

    set_font(c, l.base_pt * 0.9);
    set_colour(c, 0x333333);
    draw_text(c, l.margin, l.footer_y, "Sources: " + ctx.sources);
    draw_text(c, l.margin, l.footer_y + l.base_pt * 1.3,
              "Data date: " + (ctx.data_date.empty() ? std::string("unknown") : ctx.data_date) +
                  "   ·   CRS: " + ctx.crs + " (north arrow: grid north)   ·   spaceuse " +
                  SPACEUSE_VERSION);
    canvas.write(write);
}

}  // namespace spaceuse
