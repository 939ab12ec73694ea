#include "occupancy_faults.hpp"

#include "../geos/geos.hpp"
#include "../util/ids.hpp"
#include "../util/parallel.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/occupancy.hpp>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>
#include <unordered_map>

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace spaceuse {

namespace {

using detail::GeomPtr;
using detail::GeosContext;
using detail::PreparedPtr;

const Layer& require_polygon_layer(const Model& model, const std::string& name) {
    const Layer* layer = model.find(name);
    if (layer == nullptr) {
        throw ConfigError("occupancy needs a layer '" + name + "'");
    }
    if (layer->family != GeometryFamily::polygon) {
        throw ConfigError("occupancy: layer '" + name + "' must hold polygons");
    }
    return *layer;
}

using Segment = bg::model::segment<Point>;
using SegmentIndex = bgi::rtree<std::pair<Box, std::size_t>, bgi::rstar<16>>;

/// Appends the boundary segments of every ring of `area`.
void collect_segments(const MultiPolygon& area, std::vector<Segment>& out) {
    auto ring = [&out](const Ring& r) {
        for (std::size_t k = 1; k < r.size(); ++k) {
            out.emplace_back(r[k - 1], r[k]);
        }
    };
    for (const auto& poly : area) {
        ring(poly.outer());
        for (const auto& inner : poly.inners()) {
            ring(inner);
        }
    }
}

/// Where a closed box lies against a polygonal area.
enum class BoxSide { inside, outside, unknown };

/// Decides without overlay where `box` lies against `area` (valid, with the boundary segments
/// `segments`, optionally indexed): when no boundary segment meets the closed box, the box lies
/// in one face of the area's complement or interior, so its centre decides. Otherwise unknown.
BoxSide box_side(const MultiPolygon& area, const std::vector<Segment>& segments,
                 const SegmentIndex* index, const Box& box) {
    auto meets = [&box](const Segment& s) {
        const double x0 = std::min(s.first.x(), s.second.x());
        const double x1 = std::max(s.first.x(), s.second.x());
        const double y0 = std::min(s.first.y(), s.second.y());
        const double y1 = std::max(s.first.y(), s.second.y());
        if (x1 < box.min_corner().x() || x0 > box.max_corner().x() || y1 < box.min_corner().y() ||
            y0 > box.max_corner().y()) {
            return false;
        }
        return bg::intersects(s, box);
    };
    if (index != nullptr) {
        for (auto it = index->qbegin(bgi::intersects(box)); it != index->qend(); ++it) {
            if (meets(segments[it->second])) {
                return BoxSide::unknown;
            }
        }
    } else {
        for (const auto& s : segments) {
            if (meets(s)) {
                return BoxSide::unknown;
            }
        }
    }
    const Point centre((box.min_corner().x() + box.max_corner().x()) / 2.0,
                       (box.min_corner().y() + box.max_corner().y()) / 2.0);
    return bg::within(centre, area) ? BoxSide::inside : BoxSide::outside;
}

/// `box` grown by d on every side (shrunk for d < 0).
Box expanded(const Box& box, double d) {
    return Box(Point(box.min_corner().x() - d, box.min_corner().y() - d),
               Point(box.max_corner().x() + d, box.max_corner().y() + d));
}

/// Whether two boxes share interior points.
bool interiors_overlap(const Box& a, const Box& b) {
    return a.min_corner().x() < b.max_corner().x() && b.min_corner().x() < a.max_corner().x() &&
           a.min_corner().y() < b.max_corner().y() && b.min_corner().y() < a.max_corner().y();
}

/// Overlaps thinner than this along a shared edge are not overlaps: cadastres store a shared
/// edge twice, and the copies differ in the last digits.
constexpr double kOverlapTolerance_m = 1e-3;
/// Overlap pieces smaller than this are noise of the same kind and are not reported.
constexpr double kMinOverlap_m2 = 0.01;
/// Relative rounding of an overlay's area: a parcel whose part inside a zone falls short of
/// its area by less than this share is wholly inside.
constexpr double kInsideRounding = 1e-9;

/// Whether a closed ring of the given orientation (+1 CCW, -1 CW) is convex (collinear
/// vertices allowed).
bool convex(const std::vector<Point>& ring, double orientation) {
    if (ring.size() < 4) {
        return false;
    }
    const std::size_t m = ring.size() - 1;  // distinct vertices
    for (std::size_t k = 0; k < m; ++k) {
        const Point& a = ring[k];
        const Point& b = ring[(k + 1) % m];
        const Point& c = ring[(k + 2) % m];
        const double cross = (b.x() - a.x()) * (c.y() - b.y()) - (b.y() - a.y()) * (c.x() - b.x());
        const double len = std::hypot(b.x() - a.x(), b.y() - a.y()) *
                           std::hypot(c.x() - b.x(), c.y() - b.y());
        if (orientation * cross < -1e-9 * len) {
            return false;
        }
    }
    return true;
}

/// True when an edge of the convex ring `a` separates it from `b`: every point of `b` lies
/// outside a, or on the edge's line within kOverlapTolerance_m (separating axis theorem: exact
/// for convex rings, and a sufficient test for any `b`).
bool edge_separates(const std::vector<Point>& a, double orientation, const std::vector<Point>& b) {
    for (std::size_t k = 0; k + 1 < a.size(); ++k) {
        const Point& p = a[k];
        const Point& q = a[k + 1];
        const double dx = q.x() - p.x();
        const double dy = q.y() - p.y();
        const double len = std::hypot(dx, dy);
        if (len == 0.0) {
            continue;
        }
        bool all_outside = true;
        for (const Point& v : b) {
            // > 0: v on a's interior side of the edge's line.
            const double side = orientation * (dx * (v.y() - p.y()) - dy * (v.x() - p.x()));
            if (side > kOverlapTolerance_m * len) {
                all_outside = false;
                break;
            }
        }
        if (all_outside) {
            return true;
        }
    }
    return false;
}

/// Signed area sign of a ring: +1 counter-clockwise, -1 clockwise.
double ring_orientation(const std::vector<Point>& ring) {
    double twice = 0.0;
    for (std::size_t k = 0; k + 1 < ring.size(); ++k) {
        twice += ring[k].x() * ring[k + 1].y() - ring[k + 1].x() * ring[k].y();
    }
    return twice >= 0.0 ? 1.0 : -1.0;
}

/// A part's outer ring if it is convex, else its convex hull (closed, either orientation).
std::vector<Point> convex_outline(const Ring& ring) {
    if (convex(ring, ring_orientation(ring))) {
        return ring;
    }
    Ring hull;
    bg::convex_hull(ring, hull);
    return {hull.begin(), hull.end()};
}

/// The convex outlines of a multipolygon's parts (see convex_outline).
std::vector<std::vector<Point>> convex_outlines(const MultiPolygon& geometry) {
    std::vector<std::vector<Point>> out;
    out.reserve(geometry.size());
    for (const auto& part : geometry) {
        out.push_back(convex_outline(part.outer()));
    }
    return out;
}

/// Exact cheap test that two parcels' interiors cannot share more than a sliver of
/// kOverlapTolerance_m: every pair of parts whose boxes overlap is separated by an edge of one
/// part's convex outline (the part if convex, else its hull: the separating axis theorem on
/// convex sets that hold the parts). Neighbours in a cadastre mostly meet along a straight
/// side, an edge of both hulls even when the parcels are concave. `outlines_a` are a's
/// convex outlines, made once per parcel; b's are made only when a's edges do not separate.
/// False means "may overlap" (GEOS decides).
bool surely_apart(const MultiPolygon& a, const std::vector<std::vector<Point>>& outlines_a,
                  const MultiPolygon& b) {
    for (std::size_t k = 0; k < a.size(); ++k) {
        const Box ba = bg::return_envelope<Box>(a[k].outer());
        const std::vector<Point>& ha = outlines_a[k];
        const double oa = ring_orientation(ha);
        for (const auto& pb : b) {
            const Box bb = bg::return_envelope<Box>(pb.outer());
            if (!interiors_overlap(expanded(ba, -kOverlapTolerance_m), bb)) {
                continue;
            }
            if (edge_separates(ha, oa, pb.outer())) {
                continue;
            }
            const std::vector<Point> hb = convex_outline(pb.outer());
            if (!edge_separates(hb, ring_orientation(hb), ha)) {
                return false;
            }
        }
    }
    return true;
}

/// Area two parcels share: the pieces of their intersection that are at least
/// kOverlapTolerance_m thick (2 × area / perimeter, the width of a strip) and kMinOverlap_m2
/// large, the same rule the separating-edge test applies.
double overlap_area(const GeosContext& geos, const GEOSGeometry* a, const GEOSGeometry* b) {
    double total = 0.0;
    for (const auto& piece : geos.to_multipolygon(geos.intersection(a, b).get())) {
        const double area = bg::area(piece);
        const double perimeter = bg::perimeter(piece);
        if (area >= kMinOverlap_m2 && perimeter > 0 &&
            2.0 * area / perimeter >= kOverlapTolerance_m) {
            total += area;
        }
    }
    return total;
}

/// A zone's boundary segments with an R-tree over them.
struct ZoneOutline {
    std::vector<Segment> segments;
    SegmentIndex index;
};

/// Per-thread state: a GEOS context and the zones converted so far.
struct Worker {
    GeosContext geos;
    struct ZoneGeom {
        GeomPtr geometry;
        PreparedPtr prepared;
    };
    std::unordered_map<std::size_t, ZoneGeom> zones;
    /// Boundary segments of the parcel at hand (reused between parcels).
    std::vector<Segment> outline;

    const ZoneGeom& zone(const Layer& layer, std::size_t index) {
        auto it = zones.find(index);
        if (it == zones.end()) {
            ZoneGeom zg;
            zg.geometry = geos.from(std::get<MultiPolygon>(layer.features[index].geometry));
            zg.prepared = geos.prepare(zg.geometry.get());
            it = zones.emplace(index, std::move(zg)).first;
        }
        return it->second;
    }

    GeomPtr clone(const GEOSGeometry* g) const {
        return geos.own(GEOSGeom_clone_r(geos.handle(), g), "clone");
    }

    GeomPtr union_of(const std::vector<const GEOSGeometry*>& parts) const {
        std::vector<GeomPtr> clones;
        clones.reserve(parts.size());
        for (const auto* p : parts) {
            clones.push_back(clone(p));
        }
        auto collection = geos.collection(GEOS_GEOMETRYCOLLECTION, std::move(clones));
        return geos.unary_union(collection.get());
    }
};

/// What a parcel's overlay gives beyond its ParcelResult, kept until the results are summed
/// up (the ParcelResults themselves are made in place, in the result's own vector: a million
/// parcels' figures are not held twice).
struct ParcelRest {
    /// The parcel's figures inside one zone (all zones it meets, not only its own).
    struct ZonePart {
        std::size_t zone = 0;
        double area_m2 = 0.0;
        double built_m2 = 0.0;
        double free_m2 = 0.0;
        double floor_m2 = 0.0;
        bool partial = false;
    };
    std::vector<ZonePart> zone_parts;
    std::vector<FreePiece> free;
    /// GEOS's message when a step failed (result.failed).
    std::string failure;
    /// Parcels of a higher index whose interiors overlap this one, with the shared area.
    std::vector<std::pair<std::size_t, double>> overlaps;
    std::vector<BuildingPart> building_parts;
};

/// One parcel's overlay, as it is computed.
struct ParcelWork : ParcelRest {
    ParcelResult result;
};

class OccupancyRun {
public:
    OccupancyRun(const Model& model, const OccupancyOptions& options)
        : m_options(options),
          m_profile(options.profile),
          m_zones(require_polygon_layer(model, options.zones_layer)),
          m_parcels(require_polygon_layer(model, options.parcels_layer)),
          m_buildings(require_polygon_layer(model, options.buildings_layer)) {
        if (!m_parcels.id_field.empty()) {
            // An id names one parcel: the follow-up diff and every table joined on parcel_id
            // rely on it (FIDs are unique by construction).
            const auto& features = m_parcels.features;
            const std::string repeated = detail::describe_duplicates(
                features.size(),
                [&features](std::size_t i) -> std::string_view { return features[i].id; });
            if (!repeated.empty()) {
                throw InputError("duplicate parcel ids in field '" + m_parcels.id_field +
                                 "': " + repeated +
                                 "; stacked copies of a parcel? give an id field that "
                                 "names each parcel once (or none, for the FID)")
                    .set_layer(m_parcels.name);
            }
        }
        m_zone_name = m_zones.require_field(options.zone_name_field);
        m_status = m_parcels.require_field(options.status_field);
        const auto floors = m_buildings.require_field(options.floors_field);
        const auto height = options.floors_field.empty()
                                ? m_buildings.require_field(options.height_field)
                                : std::nullopt;
        m_floors_known = floors.has_value() || height.has_value();
        m_zone_outlines.resize(m_zones.features.size());
        for (std::size_t z = 0; z < m_zones.features.size(); ++z) {
            auto& outline = m_zone_outlines[z];
            collect_segments(std::get<MultiPolygon>(m_zones.features[z].geometry),
                             outline.segments);
            std::vector<std::pair<Box, std::size_t>> boxes;
            boxes.reserve(outline.segments.size());
            for (std::size_t k = 0; k < outline.segments.size(); ++k) {
                boxes.emplace_back(bg::return_envelope<Box>(outline.segments[k]), k);
            }
            outline.index = SegmentIndex(boxes.begin(), boxes.end());
        }
        m_floors.resize(m_buildings.features.size());
        for (std::size_t b = 0; b < m_buildings.features.size(); ++b) {
            const auto& attrs = m_buildings.features[b].attributes;
            if (floors) {
                const auto v = value_as_number(attrs[*floors]);
                if (v && *v > 0) {
                    m_floors[b] = *v;
                }
            } else if (height) {
                const auto v = value_as_number(attrs[*height]);
                if (v && *v > 0) {
                    m_floors[b] = std::max(1.0, std::round(*v / m_profile.storey_height_m));
                }
            }
            if (m_floors_known && !m_floors[b]) {
                ++m_unknown_floors;
            }
        }
    }

    OccupancyResult run(const ProgressFn& progress_fn) {
        Progress progress(progress_fn);
        // The zones and buildings are queried per parcel: their R-trees, side by side, first.
        progress.report(0.0, "indexing zones and buildings");
        const unsigned threads = detail::worker_count(m_options.threads);
        const Layer* indexed[] = {&m_buildings, &m_zones, &m_parcels};
        detail::parallel_for(3, threads, 1, detail::stateless,
                             [&indexed](detail::Stateless&, std::size_t k) {
            indexed[k]->ensure_index();
        });
        progress.report(0.0, "occupancy");
        const std::size_t n = m_parcels.features.size();
        // The parcels go through in blocks: a block's overlays in parallel, then its figures
        // summed up in parcel order, so what a parcel's overlay gives beyond its ParcelResult
        // (zone parts, building parts, free pieces) is held for one block, not for a million
        // parcels. A block's barrier costs little: the work is handed out 64 parcels at a time.
        std::vector<ParcelResult> parcels(n);
        OccupancyResult result;
        std::vector<bool> floors_complete;
        begin_totals(result, floors_complete);
        constexpr std::size_t kBlock = std::size_t{1} << 16;
        std::vector<ParcelRest> rest;
        // Only the calling thread reports progress (and may cancel), every 64 parcels.
        const auto caller = std::this_thread::get_id();
        std::atomic<std::size_t> done{0};
        for (std::size_t begin = 0; begin < n; begin += kBlock) {
            const std::size_t count = std::min(kBlock, n - begin);
            rest.assign(count, ParcelRest{});
            detail::parallel_for(
                count, threads, 64, [] { return Worker(); },
                [&](Worker& worker, std::size_t k) {
                const std::size_t i = begin + k;
                try {
                    ParcelWork w = process(worker, i);
                    parcels[i] = w.result;
                    rest[k] = std::move(static_cast<ParcelRest&>(w));
                } catch (const GeometryError& e) {
                    // One parcel never stops a run: its figures are unknown and the reason kept.
                    parcels[i] = ParcelResult{};
                    parcels[i].parcel = i;
                    parcels[i].area_m2 = bg::area(
                        std::get<MultiPolygon>(m_parcels.features[i].geometry));
                    parcels[i].failed = ParcelFailure::all;
                    rest[k] = ParcelRest{};
                    rest[k].failure = e.what();
                } catch (Error& e) {
                    e.set_layer(m_parcels.name).set_feature(m_parcels.features[i].fid);
                    throw;
                }
                const std::size_t finished = done.fetch_add(1, std::memory_order_relaxed) + 1;
                if (i % 64 == 63 && std::this_thread::get_id() == caller) {
                    progress.report(0.95 * static_cast<double>(finished) / static_cast<double>(n),
                                    "occupancy: parcels");
                }
                });
            for (std::size_t k = 0; k < count; ++k) {
                add_parcel(result, floors_complete, begin + k, parcels[begin + k], rest[k]);
            }
        }
        rest = {};
        finish_totals(result, floors_complete, std::move(parcels));
        std::size_t n_failed_all = 0;
        for (const auto& f : result.failures) {
            n_failed_all += f.step == ParcelFailure::all ? 1 : 0;
        }
        if (result.n_outside > 0 &&
            static_cast<std::size_t>(result.n_outside) + n_failed_all == n) {
            throw_all_outside();
        }
        progress.report(1.0, "occupancy done");
        return result;
    }

private:
    /// No parcel in any zone: the wrong layer, or layers whose CRSs do not match.
    [[noreturn]] void throw_all_outside() const {
        if (m_zones.features.empty()) {
            throw InputError("no zones: the layer holds no features (wrong layer? a filter that "
                             "keeps none?)")
                .set_source(m_zones.source)
                .set_layer(m_zones.name);
        }
        auto extent = [](const Layer& layer) {
            const Box box = layer.extent();
            char text[128];
            std::snprintf(text, sizeof text, "%.0f %.0f %.0f %.0f", box.min_corner().x(),
                          box.min_corner().y(), box.max_corner().x(), box.max_corner().y());
            return std::string(text);
        };
        throw InputError("all " + std::to_string(m_parcels.features.size()) +
                         " parcels lie outside every zone of '" + m_zones.name +
                         "' (parcels' extent " + extent(m_parcels) + ", zones' " + extent(m_zones) +
                         "); wrong layer? wrong CRS (a declared or assumed CRS that does not "
                         "match the coordinates)?")
            .set_layer(m_parcels.name);
    }

    ParcelWork process(Worker& w, std::size_t i) const {
        const auto& geos = w.geos;
        const auto& geometry = std::get<MultiPolygon>(m_parcels.features[i].geometry);
        ParcelWork out;
        ParcelResult& r = out.result;
        r.parcel = i;
        r.area_m2 = bg::area(geometry);
        const Box box = bg::return_envelope<Box>(geometry);

        // GEOS forms, made only when a box short-cut cannot decide (see box_side).
        GeomPtr parcel;
        PreparedPtr prepared;
        auto parcel_geos = [&]() -> const GEOSGeometry* {
            if (!parcel) {
                parcel = geos.from(geometry);
                prepared = geos.prepare(parcel.get());
            }
            return parcel.get();
        };
        std::vector<std::pair<std::size_t, GeomPtr>> converted;
        auto building_geos = [&](std::size_t b) -> const GEOSGeometry* {
            for (const auto& [index, g] : converted) {
                if (index == b) {
                    return g.get();
                }
            }
            converted.emplace_back(
                b, geos.from(std::get<MultiPolygon>(m_buildings.features[b].geometry)));
            return converted.back().second.get();
        };
        std::vector<Segment>& outline = w.outline;
        outline.clear();
        collect_segments(geometry, outline);

        // Zone: the one holding the largest part; every zone gets the part inside it.
        const ZoneMatch match = zone_of_largest_part(m_zones, box, [&](std::size_t z) {
            double inside = 0.0;
            const auto& zone = m_zone_outlines[z];
            const BoxSide side = box_side(std::get<MultiPolygon>(m_zones.features[z].geometry),
                                          zone.segments, &zone.index, box);
            if (side == BoxSide::inside) {
                inside = r.area_m2;
            } else if (side == BoxSide::unknown) {
                const auto& zg = w.zone(m_zones, z);
                const GEOSGeometry* pg = parcel_geos();
                if (geos.prepared_covers(zg.prepared.get(), pg)) {
                    inside = r.area_m2;
                } else if (geos.prepared_intersects(zg.prepared.get(), pg)) {
                    inside = geos.area(geos.intersection(zg.geometry.get(), pg).get());
                    // A parcel cut along the zone's edge lies inside it up to the rounding of
                    // the cut (short of its area by less than kInsideRounding): whole, so its zone
                    // figures need no clipping. Other zones' slivers of it stay as measured.
                    if (inside >= r.area_m2 * (1.0 - kInsideRounding)) {
                        inside = r.area_m2;
                    }
                }
            }
            if (inside > 0.0) {
                ParcelRest::ZonePart part;
                part.zone = z;
                part.area_m2 = inside;
                part.partial = inside < r.area_m2;
                out.zone_parts.push_back(part);
            }
            return inside;
        });
        r.zone = match.zone;
        r.zone_share = r.area_m2 > 0 ? std::min(1.0, match.share / r.area_m2) : 0.0;

        // Overlaps with the parcels after this one (each pair once): a cheap separating-edge
        // test first, GEOS only for the pairs it cannot decide.
        std::vector<std::vector<Point>> outlines;
        for (const std::size_t j : m_parcels.query(box)) {
            if (j <= i) {
                continue;
            }
            const auto& other = std::get<MultiPolygon>(m_parcels.features[j].geometry);
            if (outlines.empty()) {
                outlines = convex_outlines(geometry);
            }
            if (surely_apart(geometry, outlines, other)) {
                continue;
            }
            try {
                auto og = geos.from(other);
                const double shared = overlap_area(geos, parcel_geos(), og.get());
                if (shared > 0.0) {
                    out.overlaps.emplace_back(j, shared);
                }
            } catch (const GeometryError& e) {
                // A diagnostic that fails leaves the parcel's figures alone; the pair is
                // reported as not measured.
                out.overlaps.emplace_back(j, std::nan(""));
                if (out.failure.empty()) {
                    out.failure = "overlap with parcel " + m_parcels.features[j].id +
                                  " not measured: " + e.what();
                }
            }
        }

        // Buildings: footprint parts inside the parcel, unioned before measuring. A building
        // whose box meets no boundary segment of the parcel lies wholly inside or outside it,
        // so one point decides and no overlay is needed.
        struct Piece {
            std::size_t building = 0;
            const GEOSGeometry* geometry = nullptr;  ///< null: the whole building, not converted
            double area = 0.0;
            Box box;
        };
        std::vector<GeomPtr> owned;
        std::vector<Piece> pieces;
        std::vector<double> piece_floors;  // floors per piece, NaN when unknown
        double floor_sum = 0.0;
        bool floors_complete = true;
        for (const std::size_t b : m_buildings.query(box)) {
            const auto& bgeom = std::get<MultiPolygon>(m_buildings.features[b].geometry);
            Piece piece;
            piece.building = b;
            piece.box = bg::return_envelope<Box>(bgeom);
            const BoxSide side = box_side(geometry, outline, nullptr, piece.box);
            if (side == BoxSide::outside) {
                continue;
            }
            if (side == BoxSide::inside) {
                piece.area = bg::area(bgeom);
            } else {
                const GEOSGeometry* building = building_geos(b);
                const GEOSGeometry* pg = parcel_geos();
                if (!geos.prepared_intersects(prepared.get(), building)) {
                    continue;
                }
                if (geos.prepared_covers(prepared.get(), building)) {
                    piece.area = bg::area(bgeom);
                    piece.geometry = building;
                } else {
                    owned.push_back(geos.intersection(pg, building));
                    piece.area = geos.area(owned.back().get());
                    if (piece.area <= 0.0) {
                        continue;  // touches the boundary only
                    }
                    piece.geometry = owned.back().get();
                }
            }
            ++r.n_buildings;
            piece_floors.push_back(m_floors[b] ? *m_floors[b] : std::nan(""));
            if (m_floors[b]) {
                floor_sum += piece.area * *m_floors[b];
            } else {
                floors_complete = false;
            }
            pieces.push_back(piece);
            out.building_parts.push_back({b, piece.area});
        }
        auto piece_geos = [&](const Piece& piece) {
            return piece.geometry != nullptr ? piece.geometry : building_geos(piece.building);
        };
        // Pieces whose boxes share no interior cannot overlap: their union's area is the sum.
        bool disjoint = true;
        for (std::size_t a = 0; a < pieces.size() && disjoint; ++a) {
            for (std::size_t c = a + 1; c < pieces.size() && disjoint; ++c) {
                disjoint = !interiors_overlap(pieces[a].box, pieces[c].box);
            }
        }
        GeomPtr built_union;
        auto union_of_pieces = [&] {
            std::vector<const GEOSGeometry*> parts;
            for (const auto& piece : pieces) {
                parts.push_back(piece_geos(piece));
            }
            return w.union_of(parts);
        };
        if (disjoint) {
            for (const auto& piece : pieces) {
                r.built_m2 += piece.area;
            }
        } else {
            built_union = union_of_pieces();
            r.built_m2 = geos.area(built_union.get());
        }
        r.coverage = r.area_m2 > 0 ? std::min(1.0, r.built_m2 / r.area_m2) : 0.0;
        if (m_floors_known && floors_complete) {
            r.floor_m2 = floor_sum;
            r.far = r.area_m2 > 0 ? floor_sum / r.area_m2 : 0.0;
        }

        r.status = r.coverage < m_profile.vacant_below      ? ParcelStatus::vacant
                   : r.coverage < m_profile.underused_below ? ParcelStatus::underused
                                                            : ParcelStatus::occupied;
        if (m_status) {
            const std::string value = value_as_text(m_parcels.features[i].attributes[*m_status]);
            const auto it = m_profile.status_values.find(value);
            if (it != m_profile.status_values.end()) {
                r.status = it->second;
                r.status_from_attribute = true;
            }
        }
        if (m_options.free_space) {
            try {
                if (detail::g_fail_free_space_fid.load(std::memory_order_relaxed) ==
                    m_parcels.features[i].fid) {
                    throw GeometryError("injected failure (test)");
                }
                const GEOSGeometry* pg = parcel_geos();
                free_space(w, i, box, pg, prepared.get(), building_geos, out);
            } catch (const GeometryError& e) {
                // The rest of the parcel's figures stand; its free land is unknown.
                out.free.clear();
                r.free_m2 = 0.0;
                r.largest_free_m2 = 0.0;
                r.failed = ParcelFailure::free_space;
                out.failure = e.what();
            }
        }

        // Zone figures count only what lies inside each zone. A parcel inside its zone gives its
        // own figures; a parcel across a zone edge is clipped (rare, so the extra overlays are
        // cheap).
        for (auto& part : out.zone_parts) {
            if (!part.partial) {
                part.built_m2 = r.built_m2;
                part.free_m2 = r.free_m2;
                part.floor_m2 = r.floor_m2.value_or(0.0);
                continue;
            }
            const auto& zg = w.zone(m_zones, part.zone);
            if (!pieces.empty()) {
                if (!built_union) {
                    built_union = union_of_pieces();
                }
                part.built_m2 = geos.area(
                    geos.intersection(built_union.get(), zg.geometry.get()).get());
            }
            for (std::size_t k = 0; k < pieces.size(); ++k) {
                if (!std::isnan(piece_floors[k])) {
                    part.floor_m2 += piece_floors[k] *
                                     geos.area(
                                         geos.intersection(piece_geos(pieces[k]), zg.geometry.get())
                                             .get());
                }
            }
            for (const auto& piece : out.free) {
                auto g = geos.from(piece.geometry);
                part.free_m2 += geos.area(geos.intersection(g.get(), zg.geometry.get()).get());
            }
        }
        return out;
    }

    /// Usable free land of parcel i into out.free and the parcel's free figures.
    template <typename BuildingGeos>
    void free_space(Worker& w, std::size_t i, const Box& box, const GEOSGeometry* parcel,
                    const GEOSPreparedGeometry* prepared, BuildingGeos& building_geos,
                    ParcelWork& out) const {
        const auto& geos = w.geos;
        ParcelResult& r = out.result;
        const double setback = m_profile.setback_m;
        std::vector<const GEOSGeometry*> nearby;
        for (const std::size_t b : m_buildings.query(expanded(box, setback))) {
            // Only buildings within the setback of the parcel block part of it. One farther
            // away (its box is near, the building is not) is left out of the union: grown by
            // the setback it cannot reach the parcel, but merged with a neighbour it changes
            // how GEOS simplifies the buffer's input (by 1 % of the distance), which moved the
            // free edge by centimetres along whole sides (up to 2.8 m2 a parcel on the
            // benchmark region). PostGIS selects by ST_DWithin alike.
            const GEOSGeometry* g = building_geos(b);
            if (setback > 0 ? geos.prepared_distance_within(prepared, g, setback)
                            : geos.prepared_intersects(prepared, g)) {
                nearby.push_back(g);
            }
        }
        // Usable free land: parcel minus buildings grown by the setback (round buffer: a
        // distance), opened by the minimum width (erode then dilate with mitred joins, so
        // strips narrower than the width drop out while square corners stay square; the
        // result is clipped back to the free land), keeping pieces of at least the minimum
        // area.
        //
        // Every buffer's input is normalised first (GEOSNormalize: rings oriented and started
        // alike). GEOS's buffer depends on where a ring starts: it simplifies its input by 1 %
        // of the distance walking from the first vertex, and a mitred dilation of a thin eroded
        // sliver turns a few centimetres there into metres of mitre spike. Without it, parcel
        // P0000713 of the irregular benchmark region gave 1466.01 or 1470.47 m2 depending on
        // its ring's first vertex, and GEOS gave 489.9 or 511.8 m2 (either side of the 500 m2
        // minimum) for P0093398's free land in one ring orientation or the other.
        GeomPtr free;
        if (!nearby.empty()) {
            GeomPtr blocked = w.union_of(nearby);
            if (setback > 0) {
                geos.normalize(blocked.get());
                blocked = geos.buffer(blocked.get(), setback);
            }
            free = geos.difference(parcel, blocked.get());
        } else {
            free = w.clone(parcel);
        }
        const double half_width = m_profile.min_free_width_m / 2.0;
        if (half_width > 0 && !geos.is_empty(free.get()) && !could_hold_piece(w, free.get())) {
            // Every piece the opening could keep lies inside one part of the free land, so
            // when no part reaches the minimum area there is nothing to keep; skipping the
            // two buffers and the clip leaves the result unchanged.
            free = geos.own(GEOSGeom_createEmptyPolygon_r(geos.handle()), "empty");
        } else if (half_width > 0 && !geos.is_empty(free.get())) {
            geos.normalize(free.get());
            GeomPtr eroded = geos.buffer_mitre(free.get(), -half_width);
            if (geos.is_empty(eroded.get())) {
                free = geos.own(GEOSGeom_createEmptyPolygon_r(geos.handle()), "empty");
            } else {
                geos.normalize(eroded.get());
                GeomPtr opened = geos.buffer_mitre(eroded.get(), half_width);
                free = geos.intersection(opened.get(), free.get());
            }
        }
        MultiPolygon usable = geos.to_multipolygon(free.get());
        for (auto& poly : usable) {
            const double a = bg::area(poly);
            if (a >= m_profile.min_free_area_m2 && a > 0) {
                FreePiece piece;
                piece.parcel = i;
                piece.area_m2 = a;
                piece.geometry = MultiPolygon{std::move(poly)};
                out.free.push_back(std::move(piece));
            }
        }
        std::stable_sort(out.free.begin(), out.free.end(),
                         [](const FreePiece& a, const FreePiece& b) {
            return a.area_m2 > b.area_m2;
        });
        for (const auto& piece : out.free) {
            r.free_m2 += piece.area_m2;
            r.largest_free_m2 = std::max(r.largest_free_m2, piece.area_m2);
        }
    }

    /// Whether some polygonal part of `free` is large enough to give a piece of at least the
    /// minimum area (with a margin far above the rounding of the later area computations).
    bool could_hold_piece(const Worker& w, const GEOSGeometry* free) const {
        const double min_area = m_profile.min_free_area_m2;
        if (!(min_area > 0)) {
            return true;
        }
        const double threshold = min_area * (1.0 - 1e-9);
        const auto h = w.geos.handle();
        const int type = GEOSGeomTypeId_r(h, free);
        if (type != GEOS_MULTIPOLYGON && type != GEOS_GEOMETRYCOLLECTION) {
            return w.geos.area(free) >= threshold;
        }
        const int n = GEOSGetNumGeometries_r(h, free);
        for (int k = 0; k < n; ++k) {
            if (w.geos.area(GEOSGetGeometryN_r(h, free, k)) >= threshold) {
                return true;
            }
        }
        return false;
    }

    /// Starts the figures of a run: the zones, named and measured, everything else zero.
    void begin_totals(OccupancyResult& result, std::vector<bool>& floors_complete) const {
        result.n_buildings_floors_unknown = m_unknown_floors;
        result.zones.resize(m_zones.features.size());
        floors_complete.assign(m_zones.features.size(), true);
        result.part_offsets.push_back(0);
        for (std::size_t z = 0; z < m_zones.features.size(); ++z) {
            auto& zr = result.zones[z];
            zr.zone = z;
            zr.name = m_zone_name ? value_as_text(m_zones.features[z].attributes[*m_zone_name])
                                  : m_zones.features[z].id;
            zr.gross_m2 = bg::area(std::get<MultiPolygon>(m_zones.features[z].geometry));
        }
    }

    /// Adds parcel k's figures to the run's (in parcel order: the sums are the same bytes for
    /// any thread count) and frees what its overlay gave beyond them.
    void add_parcel(OccupancyResult& result, std::vector<bool>& floors_complete, std::size_t k,
                    const ParcelResult& p, ParcelRest& w) const {
        for (const auto& part : w.zone_parts) {
            auto& zr = result.zones[part.zone];
            zr.net_m2 += part.area_m2;
            zr.built_m2 += part.built_m2;
            zr.free_m2 += part.free_m2;
            switch (p.status) {
            case ParcelStatus::occupied:
                zr.occupied_m2 += part.area_m2;
                break;
            case ParcelStatus::underused:
                zr.underused_m2 += part.area_m2;
                break;
            case ParcelStatus::vacant:
                zr.vacant_m2 += part.area_m2;
                break;
            }
            if (p.floor_m2) {
                zr.floor_m2 = zr.floor_m2.value_or(0.0) + part.floor_m2;
            } else {
                floors_complete[part.zone] = false;
            }
        }
        if (p.failed != ParcelFailure::none || !w.failure.empty()) {
            const Feature& f = m_parcels.features[p.parcel];
            result.failures.push_back(
                {p.parcel, f.id, f.fid,
                 p.failed != ParcelFailure::none ? p.failed : ParcelFailure::overlap,
                 std::move(w.failure)});
        }
        if (!p.zone) {
            if (p.failed != ParcelFailure::all) {
                ++result.n_outside;
            }
        } else {
            auto& zr = result.zones[*p.zone];
            ++zr.n_parcels;
            switch (p.status) {
            case ParcelStatus::occupied:
                ++zr.n_occupied;
                break;
            case ParcelStatus::underused:
                ++zr.n_underused;
                break;
            case ParcelStatus::vacant:
                ++zr.n_vacant;
                break;
            }
        }
        // Also a single part whose measured area differs from the parcel's (in the last
        // bits), so that the definitions' zone areas add up to net_m2 exactly.
        const bool split = w.zone_parts.size() > 1 || (w.zone_parts.size() == 1 &&
                                                       (w.zone_parts.front().partial ||
                                                        w.zone_parts.front().area_m2 != p.area_m2));
        for (const auto& part : w.zone_parts) {
            if (split) {
                result.split_parcels.push_back({k, part.zone, part.area_m2});
            }
        }
        for (const auto& [j, shared] : w.overlaps) {
            if (std::isnan(shared)) {
                continue;  // not measured: listed in failures
            }
            // Counted in the zone of the first parcel of the pair, else the second's: that
            // one is known in finish_totals.
            result.overlaps.push_back({p.parcel, j, p.zone, shared, m_parcels.features[p.parcel].id,
                                       m_parcels.features[j].id});
        }
        result.building_parts.insert(result.building_parts.end(), w.building_parts.begin(),
                                     w.building_parts.end());
        result.part_offsets.push_back(result.building_parts.size());
        for (auto& piece : w.free) {
            result.free_pieces.push_back(std::move(piece));
        }
        w = ParcelRest{};  // its memory back before the next parcel's
    }

    /// Completes the figures once every parcel is in: the overlaps' zones, the zones' ratios
    /// and the totals.
    void finish_totals(OccupancyResult& result, const std::vector<bool>& floors_complete,
                       std::vector<ParcelResult> parcels) const {
        for (ParcelOverlap& o : result.overlaps) {
            if (!o.zone) {
                o.zone = parcels[o.b].zone;
            }
            if (o.zone) {
                result.zones[*o.zone].overlap_m2 += o.area_m2;
            }
        }
        result.parcels = std::move(parcels);
        ZoneResult& total = result.total;
        total.zone = m_zones.features.size();
        total.name = "All zones";
        bool total_floors = m_floors_known;
        double total_floor_sum = 0.0;
        for (std::size_t z = 0; z < result.zones.size(); ++z) {
            auto& zr = result.zones[z];
            finish_zone(zr, m_floors_known && floors_complete[z]);
            total.gross_m2 += zr.gross_m2;
            total.net_m2 += zr.net_m2;
            total.built_m2 += zr.built_m2;
            total.vacant_m2 += zr.vacant_m2;
            total.underused_m2 += zr.underused_m2;
            total.occupied_m2 += zr.occupied_m2;
            total.free_m2 += zr.free_m2;
            total.overlap_m2 += zr.overlap_m2;
            total.n_parcels += zr.n_parcels;
            total.n_occupied += zr.n_occupied;
            total.n_underused += zr.n_underused;
            total.n_vacant += zr.n_vacant;
            if (zr.floor_m2) {
                total_floor_sum += *zr.floor_m2;
            } else if (zr.net_m2 > 0) {
                total_floors = false;
            }
        }
        total.floor_m2 = total_floor_sum;
        finish_zone(total, total_floors);
    }

    static void finish_zone(ZoneResult& zr, bool floors_complete) {
        zr.infra_m2 = zr.gross_m2 - zr.net_m2;
        zr.coverage = zr.net_m2 > 0 ? zr.built_m2 / zr.net_m2 : 0.0;
        zr.occupancy = zr.net_m2 > 0 ? zr.occupied_m2 / zr.net_m2 : 0.0;
        if (floors_complete && zr.net_m2 > 0) {
            zr.floor_m2 = zr.floor_m2.value_or(0.0);
            zr.far = zr.net_m2 > 0 ? *zr.floor_m2 / zr.net_m2 : 0.0;
        } else {
            zr.floor_m2.reset();
            zr.far.reset();
        }
    }

    const OccupancyOptions& m_options;
    const Profile& m_profile;
    const Layer& m_zones;
    const Layer& m_parcels;
    const Layer& m_buildings;
    std::optional<std::size_t> m_zone_name;
    std::optional<std::size_t> m_status;
    bool m_floors_known = false;
    std::vector<std::optional<double>> m_floors;
    int m_unknown_floors = 0;
    std::vector<ZoneOutline> m_zone_outlines;
};

}  // namespace

namespace {
std::atomic<std::uint64_t> g_overlays{0};
}  // namespace

std::uint64_t occupancy_overlay_count() noexcept { return g_overlays.load(); }

const char* parcel_failure_name(ParcelFailure failure) noexcept {
    switch (failure) {
    case ParcelFailure::none:
        return "none";
    case ParcelFailure::free_space:
        return "free space";
    case ParcelFailure::all:
        return "overlay";
    case ParcelFailure::overlap:
        return "overlap measure";
    }
    return "?";
}

namespace detail {
std::atomic<std::int64_t> g_fail_free_space_fid{kNoFault};
}  // namespace detail

OccupancyResult compute_occupancy(const Model& model, const OccupancyOptions& options,
                                  const ProgressFn& progress) {
    g_overlays.fetch_add(1);
    OccupancyRun run(model, options);
    return run.run(progress);
}

}  // namespace spaceuse
