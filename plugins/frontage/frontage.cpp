// frontage: per parcel, the length of its boundary that lies within a tolerance of a road, the
// number of separate access sides, and whether a heavy-goods road class is reachable directly.
// See README.md beside this file. Uses only the engine's public headers.

#include <spaceuse/error.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/plugin.hpp>

#include <boost/geometry.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace spaceuse::plugins::frontage {

namespace {

namespace bg = boost::geometry;

const std::vector<std::string> default_ignore = {"motorway",   "footway",   "path",     "cycleway",
                                                 "steps",      "bridleway", "corridor", "platform",
                                                 "pedestrian", "track"};
const std::vector<std::string> default_hgv = {"trunk",        "trunk_link",   "primary",
                                              "primary_link", "secondary",    "secondary_link",
                                              "tertiary",     "tertiary_link"};

struct Segment {
    Point a;
    Point b;
};

double distance_to_segment(const Point& p, const Segment& s) {
    const double dx = s.b.x() - s.a.x();
    const double dy = s.b.y() - s.a.y();
    const double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((p.x() - s.a.x()) * dx + (p.y() - s.a.y()) * dy) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    return std::hypot(p.x() - (s.a.x() + t * dx), p.y() - (s.a.y() + t * dy));
}

Point at(const Segment& s, double t) {
    return Point(s.a.x() + t * (s.b.x() - s.a.x()), s.a.y() + t * (s.b.y() - s.a.y()));
}

using Interval = std::pair<double, double>;

// The part of boundary segment `s` (as parameters t in [0, 1]) within `tol` of road segment
// `r`. The distance from s(t) to r is convex in t (distance to a convex set along a line), so
// that part is one interval: find the minimum by ternary search, then each end by bisection.
// Exact to ~1e-12 of the segment length, with no polygon overlay (no buffer of the roads)
// whose robustness would depend on the road geometry.
std::optional<Interval> within(const Segment& s, const Segment& r, double tol) {
    auto f = [&](double t) { return distance_to_segment(at(s, t), r) - tol; };
    double lo = 0.0;
    double hi = 1.0;
    for (int i = 0; i < 100 && hi - lo > 1e-13; ++i) {
        const double m1 = lo + (hi - lo) / 3.0;
        const double m2 = hi - (hi - lo) / 3.0;
        if (f(m1) <= f(m2)) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    const double tmin = (lo + hi) / 2.0;
    if (f(tmin) > 0.0) {
        return std::nullopt;
    }
    auto edge = [&f](double inside, double outside) {
        if (f(outside) <= 0.0) {
            return outside;
        }
        for (int i = 0; i < 60; ++i) {
            const double mid = (inside + outside) / 2.0;
            (f(mid) <= 0.0 ? inside : outside) = mid;
        }
        return inside;
    };
    return Interval{edge(tmin, 0.0), edge(tmin, 1.0)};
}

// Union of intervals, sorted.
std::vector<Interval> merge(std::vector<Interval> v) {
    std::sort(v.begin(), v.end());
    std::vector<Interval> out;
    for (const auto& i : v) {
        if (!out.empty() && i.first <= out.back().second + 1e-12) {
            out.back().second = std::max(out.back().second, i.second);
        } else {
            out.push_back(i);
        }
    }
    return out;
}

struct Frontage {
    double length_m = 0.0;
    int sides = 0;
};

// Frontage of one closed ring: per boundary segment the covered intervals; stretches join
// across a vertex when both neighbouring segments are covered up to it and the boundary turns
// by at most `corner_deg` there; a side is a stretch of at least `min_side_m`.
Frontage ring_frontage(const Ring& ring, const std::vector<Segment>& roads, double tol,
                       double min_side_m, double corner_deg) {
    Frontage out;
    std::vector<Segment> segs;
    for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
        if (!bg::equals(ring[i], ring[i + 1])) {
            segs.push_back({ring[i], ring[i + 1]});
        }
    }
    const std::size_t n = segs.size();
    if (n == 0) {
        return out;
    }
    std::vector<std::vector<Interval>> covered(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Segment& s = segs[i];
        const double minx = std::min(s.a.x(), s.b.x()) - tol;
        const double maxx = std::max(s.a.x(), s.b.x()) + tol;
        const double miny = std::min(s.a.y(), s.b.y()) - tol;
        const double maxy = std::max(s.a.y(), s.b.y()) + tol;
        std::vector<Interval> parts;
        for (const auto& r : roads) {
            if (std::max(r.a.x(), r.b.x()) < minx || std::min(r.a.x(), r.b.x()) > maxx ||
                std::max(r.a.y(), r.b.y()) < miny || std::min(r.a.y(), r.b.y()) > maxy) {
                continue;
            }
            if (auto iv = within(s, r, tol)) {
                parts.push_back(*iv);
            }
        }
        covered[i] = merge(std::move(parts));
    }
    const double eps = 1e-9;
    auto seg_len = [&segs](std::size_t i) {
        return std::hypot(segs[i].b.x() - segs[i].a.x(), segs[i].b.y() - segs[i].a.y());
    };
    auto turn_ok = [&](std::size_t i) {  // at the vertex between segment i and i + 1
        const Segment& s1 = segs[i];
        const Segment& s2 = segs[(i + 1) % n];
        const double a1 = std::atan2(s1.b.y() - s1.a.y(), s1.b.x() - s1.a.x());
        const double a2 = std::atan2(s2.b.y() - s2.a.y(), s2.b.x() - s2.a.x());
        double d = std::fabs(a2 - a1) * 180.0 / std::numbers::pi;
        if (d > 180.0) {
            d = 360.0 - d;
        }
        return d <= corner_deg;
    };
    // Stretches as (length); a stretch continues into the next segment when it reaches t = 1,
    // the next one starts at t = 0 and the turn is gentle.
    auto joins = [&](std::size_t i) {
        const auto& c1 = covered[i];
        const auto& c2 = covered[(i + 1) % n];
        return !c1.empty() && !c2.empty() && c1.back().second >= 1.0 - eps &&
               c2.front().first <= eps && turn_ok(i);
    };
    // Start after a break so no stretch is split by the ring's start point.
    std::size_t start = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!joins(i)) {
            start = (i + 1) % n;
            break;
        }
    }
    std::vector<double> stretches;
    double current = 0.0;
    bool open = false;
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = (start + k) % n;
        const double len = seg_len(i);
        for (std::size_t j = 0; j < covered[i].size(); ++j) {
            const auto& iv = covered[i][j];
            const bool continues = open && j == 0 && iv.first <= eps;
            if (!continues && open) {
                stretches.push_back(current);
                current = 0.0;
            }
            current += (iv.second - iv.first) * len;
            open = true;
            out.length_m += (iv.second - iv.first) * len;
        }
        if (open && !joins(i)) {
            stretches.push_back(current);
            current = 0.0;
            open = false;
        }
    }
    if (open) {
        stretches.push_back(current);  // only when the whole ring is one stretch
    }
    for (const double s : stretches) {
        out.sides += s >= min_side_m ? 1 : 0;
    }
    return out;
}

void add_segments(const Geometry& g, std::vector<Segment>& out) {
    if (const auto* lines = std::get_if<MultiLineString>(&g)) {
        for (const auto& line : *lines) {
            for (std::size_t i = 0; i + 1 < line.size(); ++i) {
                out.push_back({line[i], line[i + 1]});
            }
        }
    }
}

class FrontageMetric : public Metric {
public:
    MetricResult compute(const MetricInput& in) const override {
        Progress progress(in.progress());
        progress.report(0.0, "frontage");
        const MetricOptions& options = in.options();
        const Layer* parcels = in.model().find("parcels");
        const Layer* roads = in.model().find("roads");
        if (parcels == nullptr || roads == nullptr) {
            throw ConfigError("frontage: needs the layers 'parcels' and 'roads'");
        }
        const double tol = options.number("tolerance_m");
        const double min_side = options.number("min_side_m");
        const double corner = options.number("corner_angle_deg");
        const auto class_field = roads->require_field(options.text("class_field"));
        const auto& ignore_list = options.list("ignore_classes");
        const auto& hgv_list = options.list("hgv_classes");
        const std::set<std::string> ignore(ignore_list.begin(), ignore_list.end());
        const std::set<std::string> hgv(hgv_list.begin(), hgv_list.end());

        OutputLayer p;
        p.name = "frontage_parcels";
        p.fields = {{"parcel_id", FieldType::string},   {"frontage_m", FieldType::real},
                    {"n_sides", FieldType::integer},    {"hgv_frontage_m", FieldType::real},
                    {"hgv_access", FieldType::integer}, {"landlocked", FieldType::integer}};
        for (std::size_t i = 0; i < parcels->features.size(); ++i) {
            const Feature& parcel = parcels->features[i];
            Box box = envelope(parcel.geometry);
            box.min_corner() = Point(box.min_corner().x() - tol, box.min_corner().y() - tol);
            box.max_corner() = Point(box.max_corner().x() + tol, box.max_corner().y() + tol);
            std::vector<Segment> access;
            std::vector<Segment> heavy;
            for (const std::size_t r : roads->query(box)) {
                const Feature& road = roads->features[r];
                const std::string cls = class_field ? value_as_text(road.attributes[*class_field])
                                                    : std::string();
                if (ignore.count(cls) != 0) {
                    continue;
                }
                add_segments(road.geometry, access);
                if (hgv.count(cls) != 0) {
                    add_segments(road.geometry, heavy);
                }
            }
            Frontage all;
            Frontage hgv_part;
            if (const auto* shape = std::get_if<MultiPolygon>(&parcel.geometry)) {
                // Exterior rings only: a hole holds no public road in a parcel layer.
                for (const auto& poly : *shape) {
                    const Frontage f = ring_frontage(poly.outer(), access, tol, min_side, corner);
                    all.length_m += f.length_m;
                    all.sides += f.sides;
                    if (!heavy.empty()) {
                        const Frontage h = ring_frontage(poly.outer(), heavy, tol, min_side,
                                                         corner);
                        hgv_part.length_m += h.length_m;
                        hgv_part.sides += h.sides;
                    }
                }
            }
            p.rows.push_back({parcel.id, all.length_m, std::int64_t{all.sides}, hgv_part.length_m,
                              std::int64_t{hgv_part.sides > 0 ? 1 : 0},
                              std::int64_t{all.sides == 0 ? 1 : 0}});
            progress.report(static_cast<double>(i + 1) /
                                static_cast<double>(parcels->features.size()),
                            "frontage");
        }
        // One row per parcel in layer order: the layer borrows the parcels' geometries (an empty
        // layer stays a table).
        if (!p.rows.empty()) {
            p.geometry_source = std::shared_ptr<const Layer>(in.shared_model(), parcels);
        }
        MetricResult out;
        out.layers.push_back(std::move(p));
        return out;
    }
};

}  // namespace

void register_metrics(MetricRegistry& registry) {
    MetricInfo m;
    m.name = "frontage";
    m.description = "Road frontage of each parcel, its separate access sides, direct access to "
                    "a heavy-goods road class; land-locked parcels flagged";
    m.layers = {{"parcels", GeometryFamily::polygon, true, false, "Parcels", ""},
                {"roads", GeometryFamily::line, true, false, "Road centre lines", ""}};
    const auto number = OptionType::number;
    m.options = {
        {.name = "tolerance_m",
         .type = number,
         .help = "Boundary within this distance of a road centre line is frontage",
         .default_value = 10.0,
         .unit = "m",
         .min = 0.0,
         .min_exclusive = true},
        {.name = "min_side_m",
         .type = number,
         .help = "Shortest frontage stretch that counts as an access side",
         .default_value = 5.0,
         .unit = "m",
         .min = 0.0},
        {.name = "corner_angle_deg",
         .type = number,
         .help = "A boundary turn sharper than this splits two sides",
         .default_value = 60.0,
         .unit = "deg",
         .min = 0.0,
         .max = 180.0,
         .min_exclusive = true},
        {.name = "class_field",
         .type = OptionType::field,
         .help = "Road class field of the roads layer",
         .default_value = std::string("highway"),
         .layer = "roads"},
        {.name = "ignore_classes",
         .type = OptionType::list,
         .help = "Road classes that give no access",
         .default_value = default_ignore},
        {.name = "hgv_classes",
         .type = OptionType::list,
         .help = "Road classes open to heavy goods vehicles",
         .default_value = default_hgv},
    };
    m.outputs = {{"frontage_parcels",
                  "Frontage per parcel",
                  true,
                  true,
                  {{"parcel_id", FieldType::string, "", "parcel id"},
                   {"frontage_m", FieldType::real, "m",
                    "boundary length within tolerance_m of an access road"},
                   {"n_sides", FieldType::integer, "",
                    "frontage stretches of at least min_side_m, split at corners"},
                   {"hgv_frontage_m", FieldType::real, "m", "frontage on hgv_classes roads"},
                   {"hgv_access", FieldType::integer, "0/1",
                    "1 when a heavy-goods road gives at least one side"},
                   {"landlocked", FieldType::integer, "0/1", "1 when n_sides = 0"}}}};
    m.factory = [] { return std::make_unique<FrontageMetric>(); };
    registry.add(std::move(m));
}

}  // namespace spaceuse::plugins::frontage

SPACEUSE_METRIC_PLUGIN(frontage, spaceuse::plugins::frontage::register_metrics)
