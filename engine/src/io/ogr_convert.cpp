#include "ogr_convert.hpp"

#include <boost/geometry/algorithms/correct.hpp>
#include <boost/geometry/algorithms/for_each.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace spaceuse::detail {

namespace {

void read_ring(const OGRLinearRing& ring, std::vector<Point>& out) {
    const int n = ring.getNumPoints();
    out.clear();
    out.reserve(static_cast<std::size_t>(n) + 1);
    for (int i = 0; i < n; ++i) {
        out.emplace_back(ring.getX(i), ring.getY(i));
    }
}

/// Rings need 4 points once closed; fewer is a collapsed ring.
bool close_ring(std::vector<Point>& ring) {
    if (ring.empty()) {
        return false;
    }
    if (ring.front().x() != ring.back().x() || ring.front().y() != ring.back().y()) {
        ring.push_back(ring.front());
    }
    return ring.size() >= 4;
}

/// Largest coordinate accepted in the analysis CRS (projected, metres): 100,000 km, beyond the
/// domain of any planar CRS on Earth. A larger one (1e300 in a file) would overflow areas to
/// infinity.
constexpr double kMaxCoordinate_m = 1e8;

/// Transforms `geometry` to the analysis CRS and checks that every coordinate is a finite
/// number within kMaxCoordinate_m; empty on success, else why the feature is rejected.
template <typename G>
std::string transform_points(G& geometry, Transformer* transformer) {
    bool finite = true;
    boost::geometry::for_each_point(geometry, [&finite](const Point& p) {
        finite = finite && std::isfinite(p.x()) && std::isfinite(p.y());
    });
    if (!finite) {
        return "a coordinate that is not a finite number";
    }
    if (transformer != nullptr && !transform_geometry(geometry, *transformer)) {
        return "coordinates cannot be transformed to the analysis CRS";
    }
    bool inside = true;
    boost::geometry::for_each_point(geometry, [&inside](const Point& p) {
        inside = inside && std::isfinite(p.x()) && std::isfinite(p.y()) &&
                 std::fabs(p.x()) <= kMaxCoordinate_m && std::fabs(p.y()) <= kMaxCoordinate_m;
    });
    if (!inside) {
        return "coordinates out of range: beyond 100,000 km in the analysis CRS (wrong CRS or a "
               "broken coordinate)";
    }
    return {};
}

ConvertResult reject(IssueKind kind, std::string detail) {
    ConvertResult r;
    r.reject_kind = kind;
    r.detail = std::move(detail);
    return r;
}

}  // namespace

std::optional<GeometryFamily> family_of(OGRwkbGeometryType type) {
    switch (wkbFlatten(type)) {
    case wkbPoint:
    case wkbMultiPoint:
        return GeometryFamily::point;
    case wkbLineString:
    case wkbMultiLineString:
    case wkbCircularString:
    case wkbCompoundCurve:
    case wkbMultiCurve:
        return GeometryFamily::line;
    case wkbPolygon:
    case wkbMultiPolygon:
    case wkbCurvePolygon:
    case wkbMultiSurface:
    case wkbTriangle:
    case wkbTIN:
    case wkbPolyhedralSurface:
        return GeometryFamily::polygon;
    default:
        return std::nullopt;
    }
}

ConvertResult convert_geometry(std::unique_ptr<OGRGeometry> geometry, GeometryFamily family,
                               Transformer* transformer, const GeosContext& geos) {
    if (!geometry) {
        return reject(IssueKind::null_geometry, "no geometry");
    }
    if (geometry->IsEmpty()) {
        return reject(IssueKind::empty_geometry, "empty geometry");
    }
    ConvertResult result;
    if (geometry->Is3D() || geometry->IsMeasured()) {
        geometry->flattenTo2D();
        geometry->setMeasured(FALSE);
        result.dimension_dropped = true;
    }
    if (geometry->hasCurveGeometry()) {
        std::unique_ptr<OGRGeometry> linear(geometry->getLinearGeometry());
        if (!linear) {
            return reject(IssueKind::wrong_type, "curve geometry could not be linearised");
        }
        geometry = std::move(linear);
        result.linearised = true;
    }
    const auto actual = family_of(geometry->getGeometryType());
    const OGRwkbGeometryType flat = wkbFlatten(geometry->getGeometryType());
    const bool is_collection = flat == wkbGeometryCollection;
    if (!is_collection && actual != family) {
        return reject(IssueKind::wrong_type,
                      std::string(OGRGeometryTypeToName(geometry->getGeometryType())) + " in a " +
                          family_name(family) + " layer");
    }

    if (family == GeometryFamily::point) {
        std::unique_ptr<OGRGeometry> multi(
            OGRGeometryFactory::forceToMultiPoint(geometry.release()));
        MultiPoint points;
        if (multi && wkbFlatten(multi->getGeometryType()) == wkbMultiPoint) {
            for (const auto* p : *multi->toMultiPoint()) {
                if (!p->IsEmpty()) {
                    points.emplace_back(p->getX(), p->getY());
                }
            }
        }
        if (points.empty()) {
            return reject(IssueKind::wrong_type, "no point in the geometry");
        }
        if (std::string why = transform_points(points, transformer); !why.empty()) {
            return reject(IssueKind::not_transformable, std::move(why));
        }
        result.geometry = std::move(points);
        return result;
    }

    if (family == GeometryFamily::line) {
        std::unique_ptr<OGRGeometry> multi(
            OGRGeometryFactory::forceToMultiLineString(geometry.release()));
        MultiLineString lines;
        if (multi && wkbFlatten(multi->getGeometryType()) == wkbMultiLineString) {
            for (const auto* l : *multi->toMultiLineString()) {
                LineString line;
                for (int i = 0; i < l->getNumPoints(); ++i) {
                    line.emplace_back(l->getX(i), l->getY(i));
                }
                if (line.size() >= 2) {
                    lines.push_back(std::move(line));
                }
            }
        }
        if (lines.empty()) {
            return reject(IssueKind::wrong_type, "no line with two or more points");
        }
        if (std::string why = transform_points(lines, transformer); !why.empty()) {
            return reject(IssueKind::not_transformable, std::move(why));
        }
        result.geometry = std::move(lines);
        return result;
    }

    std::unique_ptr<OGRGeometry> multi(OGRGeometryFactory::forceToMultiPolygon(geometry.release()));
    if (!multi || wkbFlatten(multi->getGeometryType()) != wkbMultiPolygon) {
        return reject(IssueKind::wrong_type, "no polygon in the geometry");
    }
    MultiPolygon polygons;
    bool collapsed = false;
    std::vector<Point> ring;
    for (const auto* poly : *multi->toMultiPolygon()) {
        if (poly->IsEmpty() || poly->getExteriorRing() == nullptr) {
            continue;
        }
        read_ring(*poly->getExteriorRing(), ring);
        if (!close_ring(ring)) {
            collapsed = true;
            continue;
        }
        Polygon p;
        p.outer().assign(ring.begin(), ring.end());
        for (int i = 0; i < poly->getNumInteriorRings(); ++i) {
            read_ring(*poly->getInteriorRing(i), ring);
            if (!close_ring(ring)) {
                collapsed = true;
                continue;
            }
            p.inners().emplace_back(ring.begin(), ring.end());
        }
        polygons.push_back(std::move(p));
    }
    return finish_polygons(std::move(polygons), collapsed, transformer, geos, std::move(result));
}

bool clearly_valid(const MultiPolygon& polygons) {
    // GEOS's validity test builds a noding graph for every feature: most of the reading time
    // of simple parcels and buildings. A single ring without holes whose non-adjacent edges
    // have disjoint boxes cannot cross or touch itself, and adjacent edges that turn (or go
    // on in the same direction) meet only at their shared vertex: such a ring is a valid
    // polygon. Anything else (holes, several parts, near-spikes, long rings) is left to GEOS.
    constexpr std::size_t kMaxPoints = 64;
    if (polygons.size() != 1 || !polygons.front().inners().empty()) {
        return false;
    }
    const auto& ring = polygons.front().outer();
    const std::size_t n = ring.size();
    if (n < 4 || n > kMaxPoints || ring.front().x() != ring.back().x() ||
        ring.front().y() != ring.back().y()) {
        return false;
    }
    const std::size_t edges = n - 1;
    struct Edge {
        double x0, y0, x1, y1, minx, miny, maxx, maxy;
    };
    std::array<Edge, kMaxPoints> e{};
    for (std::size_t i = 0; i < edges; ++i) {
        const Point& a = ring[i];
        const Point& b = ring[i + 1];
        if (!std::isfinite(a.x()) || !std::isfinite(a.y()) || (a.x() == b.x() && a.y() == b.y())) {
            return false;
        }
        e[i] = {a.x(),
                a.y(),
                b.x(),
                b.y(),
                std::min(a.x(), b.x()),
                std::min(a.y(), b.y()),
                std::max(a.x(), b.x()),
                std::max(a.y(), b.y())};
    }
    for (std::size_t i = 0; i < edges; ++i) {
        // the edge after i shares its end point: it must turn clearly, or go straight on
        const Edge& u = e[i];
        const Edge& v = e[(i + 1) % edges];
        const double ux = u.x1 - u.x0, uy = u.y1 - u.y0, vx = v.x1 - v.x0, vy = v.y1 - v.y0;
        const double cross = ux * vy - uy * vx;
        const double dot = ux * vx + uy * vy;
        if (!(std::fabs(cross) > 1e-9 * std::hypot(ux, uy) * std::hypot(vx, vy)) && !(dot > 0)) {
            return false;
        }
        // edges sharing no vertex must have disjoint boxes
        for (std::size_t j = i + 2; j < edges; ++j) {
            if (i == 0 && j == edges - 1) {
                continue;  // the last edge ends where the first starts
            }
            const Edge& w = e[j];
            if (!(u.maxx < w.minx || w.maxx < u.minx || u.maxy < w.miny || w.maxy < u.miny)) {
                return false;
            }
        }
    }
    return true;
}

ConvertResult finish_polygons(MultiPolygon polygons, bool collapsed, Transformer* transformer,
                              const GeosContext& geos, ConvertResult result) {
    if (polygons.empty()) {
        return reject(IssueKind::unrepairable, "every ring has fewer than 4 points");
    }
    if (std::string why = transform_points(polygons, transformer); !why.empty()) {
        return reject(IssueKind::not_transformable, std::move(why));
    }
    if (!collapsed && clearly_valid(polygons)) {
        boost::geometry::correct(polygons);
        result.geometry = std::move(polygons);
        return result;
    }
    auto g = geos.from(polygons);
    std::string reason;
    if (!geos.is_valid(g.get(), reason) || collapsed) {
        if (reason.empty()) {
            reason = "ring with fewer than 4 points removed";
        }
        auto fixed = geos.make_valid(g.get());
        MultiPolygon repaired = geos.to_multipolygon(fixed.get());
        if (repaired.empty()) {
            return reject(IssueKind::unrepairable,
                          reason + "; nothing polygonal left after repair");
        }
        result.repaired = true;
        result.detail = reason;
        result.geometry = std::move(repaired);
        return result;
    }
    boost::geometry::correct(polygons);
    result.geometry = std::move(polygons);
    return result;
}

namespace {

/// Little-endian reader over one WKB blob with bounds checks.
class WkbCursor {
public:
    WkbCursor(const unsigned char* data, std::size_t size) : m_p(data), m_end(data + size) {}
    bool u8(unsigned char& v) {
        if (m_end - m_p < 1) {
            return false;
        }
        v = *m_p++;
        return true;
    }
    bool u32(std::uint32_t& v) {
        if (m_end - m_p < 4) {
            return false;
        }
        std::memcpy(&v, m_p, 4);
        m_p += 4;
        return true;
    }
    bool points(std::uint32_t n, std::vector<Point>& out) {
        if (static_cast<std::size_t>(m_end - m_p) / 16 < n) {
            return false;
        }
        out.clear();
        out.reserve(static_cast<std::size_t>(n) + 1);
        for (std::uint32_t i = 0; i < n; ++i) {
            double xy[2];
            std::memcpy(xy, m_p, 16);
            m_p += 16;
            out.emplace_back(xy[0], xy[1]);
        }
        return true;
    }
    bool at_end() const { return m_p == m_end; }

private:
    const unsigned char* m_p;
    const unsigned char* m_end;
};

/// Reads a little-endian 2D WKB polygon body (after its header) into `out`. Returns false for
/// anything unusual (the caller then lets OGR read the blob).
bool read_wkb_polygon(WkbCursor& in, MultiPolygon& out, bool& collapsed, std::size_t& rings,
                      std::vector<Point>& ring) {
    std::uint32_t n_rings = 0;
    if (!in.u32(n_rings)) {
        return false;
    }
    if (n_rings == 0) {
        return true;  // an empty polygon, skipped like OGR's reader does
    }
    Polygon p;
    for (std::uint32_t r = 0; r < n_rings; ++r) {
        std::uint32_t n = 0;
        if (!in.u32(n) || n == 0 || !in.points(n, ring)) {
            return false;
        }
        ++rings;
        const bool ok = close_ring(ring);
        if (r == 0) {
            if (!ok) {
                collapsed = true;
                // the exterior collapsed: the polygon is dropped, its holes are read past
                for (std::uint32_t k = 1; k < n_rings; ++k) {
                    if (!in.u32(n) || n == 0 || !in.points(n, ring)) {
                        return false;
                    }
                }
                return true;
            }
            p.outer().assign(ring.begin(), ring.end());
        } else if (!ok) {
            collapsed = true;
        } else {
            p.inners().emplace_back(ring.begin(), ring.end());
        }
    }
    out.push_back(std::move(p));
    return true;
}

}  // namespace

std::optional<ConvertResult> convert_wkb_polygons(const unsigned char* data, std::size_t size,
                                                  Transformer* transformer,
                                                  const GeosContext& geos) {
    WkbCursor in(data, size);
    unsigned char order = 0;
    std::uint32_t type = 0;
    if (!in.u8(order) || order != 1 || !in.u32(type) || (type != 3 && type != 6)) {
        return std::nullopt;
    }
    MultiPolygon polygons;
    bool collapsed = false;
    std::size_t rings = 0;
    std::vector<Point> ring;
    if (type == 3) {
        if (!read_wkb_polygon(in, polygons, collapsed, rings, ring)) {
            return std::nullopt;
        }
    } else {
        std::uint32_t n = 0;
        if (!in.u32(n)) {
            return std::nullopt;
        }
        for (std::uint32_t k = 0; k < n; ++k) {
            unsigned char o = 0;
            std::uint32_t t = 0;
            if (!in.u8(o) || o != 1 || !in.u32(t) || t != 3 ||
                !read_wkb_polygon(in, polygons, collapsed, rings, ring)) {
                return std::nullopt;
            }
        }
    }
    if (!in.at_end()) {
        return std::nullopt;
    }
    if (rings == 0) {
        return reject(IssueKind::empty_geometry, "empty geometry");
    }
    return finish_polygons(std::move(polygons), collapsed, transformer, geos, ConvertResult{});
}

}  // namespace spaceuse::detail
