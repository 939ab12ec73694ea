#include "render/render_util.hpp"

#include <spaceuse/error.hpp>

#include <cairo-pdf.h>
#include <cairo-svg.h>

#include <boost/geometry.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

namespace spaceuse {

namespace detail {

namespace bg = boost::geometry;

namespace {

constexpr unsigned no_data_colour = 0xDDDDDD;
constexpr unsigned building_colour = 0x5A5A5A;
constexpr unsigned free_colour = 0x117733;
constexpr unsigned zone_colour = 0x222222;
constexpr unsigned road_colour = 0x9A9A9A;

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

/// A point inside the largest polygon: its centroid when inside, else the middle of the longest
/// horizontal chord through the centroid.
std::optional<Point> interior_point(const MultiPolygon& mp) {
    const Polygon* best = nullptr;
    double best_area = 0;
    for (const auto& p : mp) {
        const double a = std::fabs(bg::area(p));
        if (a > best_area) {
            best_area = a;
            best = &p;
        }
    }
    if (best == nullptr) {
        return std::nullopt;
    }
    Point c;
    bg::centroid(*best, c);
    if (bg::within(c, *best)) {
        return c;
    }
    Box b;
    bg::envelope(*best, b);
    LineString chord{Point(b.min_corner().x() - 1, c.y()), Point(b.max_corner().x() + 1, c.y())};
    MultiLineString pieces;
    bg::intersection(chord, *best, pieces);
    double longest = 0;
    std::optional<Point> out;
    for (const auto& piece : pieces) {
        const double len = bg::length(piece);
        if (len > longest && piece.size() >= 2) {
            longest = len;
            out = Point((piece.front().x() + piece.back().x()) / 2, c.y());
        }
    }
    return out;
}

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

void draw_scale_bar(cairo_t* cr, const Xf& xf, double font_pt) {
    const double len_m = nice_length(xf.area.w * 0.25 / xf.s);
    const double len = len_m * xf.s;
    const double x = xf.area.x + 10;
    const double y = xf.area.y + xf.area.h - 12;
    set_font(cr, font_pt);
    const double label_w = text_width(cr, distance_text(len_m));
    set_colour(cr, 0xFFFFFF, 0.85);
    cairo_rectangle(cr, x - 5, y - font_pt - 9, len + label_w / 2 + 12, font_pt + 16);
    cairo_fill(cr);
    for (int i = 0; i < 4; ++i) {
        cairo_rectangle(cr, x + i * len / 4, y - 4, len / 4, 4);
        set_colour(cr, i % 2 ? 0xFFFFFF : 0x000000);
        cairo_fill_preserve(cr);
        set_colour(cr, 0x000000);
        cairo_set_line_width(cr, 0.5);
        cairo_stroke(cr);
    }
    set_colour(cr, 0x000000);
    draw_text(cr, x, y - 6, "0", 0.5);
    draw_text(cr, x + len / 2, y - 6, distance_text(len_m / 2), 0.5);
    draw_text(cr, x + len, y - 6, distance_text(len_m), 0.5);
}

void draw_north_arrow(cairo_t* cr, const Rect& area, double font_pt) {
    const double cx = area.x + area.w - 18;
    const double top = area.y + 10;
    const double h = font_pt * 2.4;
    set_colour(cr, 0xFFFFFF, 0.85);
    cairo_rectangle(cr, cx - 10, top - 3, 20, h + font_pt + 8);
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
    double w = b.max_corner().x() - b.min_corner().x();
    double h = b.max_corner().y() - b.min_corner().y();
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

void draw_map_body(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                   std::optional<std::size_t> zone_row, const Rect& area, bool zone_labels,
                   bool parcel_labels) {
    Xf xf;
    xf.area = area;
    xf.world = map_world(ctx, zone_row, area.w / area.h);
    xf.s = area.w / (xf.world.max_corner().x() - xf.world.min_corner().x());
    const Box& world = xf.world;
    const double label_pt = std::clamp(area.w / 60.0, 7.0, 11.0);

    cairo_save(cr);
    cairo_rectangle(cr, area.x, area.y, area.w, area.h);
    cairo_clip(cr);
    set_colour(cr, 0xFFFFFF);
    cairo_paint(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);

    const OutputLayer& zones = *ctx.zones;
    for (std::size_t r = 0; r < zones.rows.size(); ++r) {
        if (const auto* mp = polygons(zones.geometry(r));
            mp && bg::intersects(envelope(zones.geometry(r)), world)) {
            polygon_path(cr, *mp, xf);
            set_colour(cr, zone_row && *zone_row != r ? 0xEBEBEB : 0xF4F4F4);
            cairo_fill(cr);
        }
    }

    const OutputLayer& parcels = *ctx.parcels;
    for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
        const auto* mp = polygons(parcels.geometry(r));
        if (mp == nullptr || !bg::intersects(envelope(parcels.geometry(r)), world)) {
            continue;
        }
        polygon_path(cr, *mp, xf);
        set_colour(cr, style.colour(ctx, r));
        cairo_fill_preserve(cr);
        set_colour(cr, 0x6E6E6E);
        cairo_set_line_width(cr, 0.35);
        cairo_stroke(cr);
    }

    if (ctx.roads != nullptr) {
        const auto cls_field = ctx.roads->field_index(ctx.access_options != nullptr
                                                          ? ctx.access_options->text("class_field")
                                                          : std::string("highway"));
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        for (const auto& f : ctx.roads->features) {
            const auto* ml = std::get_if<MultiLineString>(&f.geometry);
            if (ml == nullptr || !bg::intersects(envelope(f.geometry), world)) {
                continue;
            }
            for (const auto& line : *ml) {
                for (std::size_t i = 0; i < line.size(); ++i) {
                    (i == 0 ? cairo_move_to : cairo_line_to)(cr, xf.px(line[i].x()),
                                                             xf.py(line[i].y()));
                }
            }
            const std::string cls = cls_field ? value_as_text(f.attributes[*cls_field])
                                              : std::string();
            cairo_set_line_width(cr, road_width(cls));
            set_colour(cr, road_colour);
            cairo_stroke(cr);
        }
    }

    if (ctx.free_space != nullptr) {
        for (std::size_t r = 0; r < ctx.free_space->rows.size(); ++r) {
            const auto* mp = polygons(ctx.free_space->geometry(r));
            if (mp == nullptr || !bg::intersects(envelope(ctx.free_space->geometry(r)), world)) {
                continue;
            }
            polygon_path(cr, *mp, xf);
            hatch_path(cr, 3.5, 0.5, free_colour);
            set_colour(cr, free_colour);
            cairo_set_line_width(cr, 0.5);
            cairo_stroke(cr);
        }
    }

    if (ctx.buildings != nullptr) {
        for (const auto& f : ctx.buildings->features) {
            const auto* mp = polygons(f.geometry);
            if (mp != nullptr && bg::intersects(envelope(f.geometry), world)) {
                polygon_path(cr, *mp, xf);
            }
        }
        set_colour(cr, building_colour);
        cairo_fill(cr);
    }

    for (std::size_t r = 0; r < zones.rows.size(); ++r) {
        if (const auto* mp = polygons(zones.geometry(r))) {
            polygon_path(cr, *mp, xf);
            set_colour(cr, zone_colour);
            cairo_set_line_width(cr, zone_row && *zone_row == r ? 2.0 : 1.2);
            cairo_stroke(cr);
        }
    }

    for (std::size_t l = 0; l < ctx.facilities.size(); ++l) {
        const Layer& layer = *ctx.facilities[l];
        for (std::size_t i = 0; i < layer.features.size(); ++i) {
            const auto* pts = std::get_if<MultiPoint>(&layer.features[i].geometry);
            if (pts == nullptr) {
                continue;
            }
            for (const auto& p : *pts) {
                if (bg::within(p, world)) {
                    draw_symbol(cr, xf.px(p.x()), xf.py(p.y()), 3.2,
                                facility_style(ctx.facility_kind(l, i)));
                }
            }
        }
    }

    // Zone names first (they matter most), then the ids of vacant and underused parcels where
    // there is room; a label that would overlap one already placed moves or is left out.
    std::vector<Rect> placed;
    const std::size_t name_col = *column(zones, "name");
    const std::size_t id_col = *column(zones, "zone_id");
    set_colour(cr, 0x000000);
    set_font(cr, label_pt, true);
    for (std::size_t r = 0; r < zones.rows.size() && zone_labels; ++r) {
        const auto* mp = polygons(zones.geometry(r));
        if (mp == nullptr) {
            continue;
        }
        const auto p = interior_point(*mp);
        if (!p || !bg::within(*p, world)) {
            continue;
        }
        std::string name = text_at(zones, r, name_col);
        if (name.empty()) {
            name = text_at(zones, r, id_col);
        }
        place_label(cr, xf.px(p->x()), xf.py(p->y()), name, area, placed, label_pt);
    }
    if (parcel_labels) {
        const double small = label_pt * 0.72;
        set_font(cr, small);
        set_colour(cr, 0x222222);
        const std::size_t pid = *column(parcels, "parcel_id");
        const std::size_t st = *column(parcels, "status");
        const std::size_t zid = *column(parcels, "zone_id");
        const std::string zone_id = zone_row ? text_at(zones, *zone_row, id_col) : std::string();
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            const std::string status = text_at(parcels, r, st);
            if ((status != "vacant" && status != "underused") ||
                (zone_row && text_at(parcels, r, zid) != zone_id)) {
                continue;
            }
            const auto* mp = polygons(parcels.geometry(r));
            const auto p = mp ? interior_point(*mp) : std::nullopt;
            if (p && bg::within(*p, world)) {
                place_label(cr, xf.px(p->x()), xf.py(p->y()), text_at(parcels, r, pid), area,
                            placed, small);
            }
        }
    }

    draw_north_arrow(cr, area, label_pt);
    draw_scale_bar(cr, xf, label_pt * 0.9);
    cairo_restore(cr);
    cairo_rectangle(cr, area.x, area.y, area.w, area.h);
    set_colour(cr, 0x000000);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
}

double draw_legend(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                   std::optional<std::size_t> zone_row, double x, double y, double w,
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

MapFrame map_frame(const StudyReport& report, const MapOptions& options) {
    const auto ctx = detail::make_context(report);
    const auto l = detail::map_layout(options);
    std::optional<std::size_t> zone;
    if (!options.zone.empty()) {
        zone = detail::find_zone(ctx, options.zone);
    }
    MapFrame f;
    f.world = detail::map_world(ctx, zone, l.body.w / l.body.h);
    f.left = l.body.x * l.k;
    f.top = l.body.y * l.k;
    f.width = l.body.w * l.k;
    f.height = l.body.h * l.k;
    f.px_per_m = f.width / (f.world.max_corner().x() - f.world.min_corner().x());
    return f;
}

void render_map(const StudyReport& report, const MapOptions& options, const std::string& path,
                const WriteOptions& write) {
    using namespace detail;
    const DocContext ctx = make_context(report);
    const MapLayout l = map_layout(options);
    std::optional<std::size_t> zone;
    if (!options.zone.empty()) {
        zone = find_zone(ctx, options.zone);
    }
    const ParcelStyle style = make_parcel_style(ctx, options);
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    ByteSink sink;
    SurfacePtr surface;
    if (ext == ".png") {
        surface.reset(
            cairo_image_surface_create(CAIRO_FORMAT_RGB24, options.width_px, options.height_px));
    } else if (ext == ".pdf") {
        surface.reset(
            cairo_pdf_surface_create_for_stream(&ByteSink::write, &sink, l.page_w, l.page_h));
    } else if (ext == ".svg") {
        surface.reset(
            cairo_svg_surface_create_for_stream(&ByteSink::write, &sink, l.page_w, l.page_h));
    } else {
        throw ConfigError("map format '" + ext + "' is not .png, .svg or .pdf").set_source(path);
    }
    check_cairo(cairo_surface_status(surface.get()), path);
    CairoPtr cr(cairo_create(surface.get()));
    cairo_t* c = cr.get();
    if (ext == ".png") {
        cairo_scale(c, l.k, l.k);
    }
    set_colour(c, 0xFFFFFF);
    cairo_paint(c);

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
    set_colour(c, 0x000000);
    set_font(c, l.title_pt, true);
    draw_text(c, l.margin, l.margin + l.title_pt, title);
    set_font(c, l.base_pt * 1.1);
    set_colour(c, 0x444444);
    const std::string subtitle =
        style.field.empty() ? "Parcels by occupancy status, usable free space and buildings"
                            : "Parcels by " + style.field + " (" + options.classification + ")";
    draw_text(c, l.margin, l.margin + l.title_pt * 1.3 + l.base_pt * 1.2, subtitle);

    draw_map_body(c, ctx, style, zone, l.body, options.labels, zone.has_value() && options.labels);
    draw_legend(c, ctx, style, zone, l.legend.x, l.legend.y, l.legend.w, l.base_pt);

    set_font(c, l.base_pt * 0.9);
    set_colour(c, 0x333333);
    draw_text(c, l.margin, l.footer_y, "Sources: " + ctx.sources);
    draw_text(c, l.margin, l.footer_y + l.base_pt * 1.3,
              "Data date: " + (ctx.data_date.empty() ? std::string("unknown") : ctx.data_date) +
                  "   ·   CRS: " + ctx.crs + " (north arrow: grid north)   ·   spaceuse " +
                  SPACEUSE_VERSION);
    cr.reset();
    if (ext == ".png") {
        cairo_surface_flush(surface.get());
        check_cairo(cairo_surface_write_to_png_stream(surface.get(), &ByteSink::write, &sink),
                    path);
    } else {
        cairo_surface_finish(surface.get());
        check_cairo(cairo_surface_status(surface.get()), path);
    }
    write_text_file(path, sink.bytes, write);
}

}  // namespace spaceuse
