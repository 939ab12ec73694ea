#include "geos.hpp"

#include <spaceuse/error.hpp>

#include <boost/geometry/algorithms/correct.hpp>

#include <cmath>
#include <cstdio>

namespace spaceuse::detail {

namespace {

void message_handler(const char* message, void* user_data) {
    if (user_data != nullptr && message != nullptr) {
        *static_cast<std::string*>(user_data) = message;
    }
}

void notice_handler(const char* /*message*/, void* /*user_data*/) {
    // GEOS notices (e.g. "Self-intersection at ...") duplicate the validity reason we ask for
    // explicitly; they are not errors.
}

}  // namespace

void GeomDeleter::operator()(GEOSGeometry* geometry) const noexcept {
    if (geometry != nullptr) {
        GEOSGeom_destroy_r(handle, geometry);
    }
}

void PreparedDeleter::operator()(const GEOSPreparedGeometry* prepared) const noexcept {
    if (prepared != nullptr) {
        GEOSPreparedGeom_destroy_r(handle, prepared);
    }
}

GeosContext::GeosContext() : m_handle(GEOS_init_r()) {
    if (m_handle == nullptr) {
        throw GeometryError("cannot initialise a GEOS context");
    }
    GEOSContext_setErrorMessageHandler_r(m_handle, message_handler, &m_last_error);
    GEOSContext_setNoticeMessageHandler_r(m_handle, notice_handler, nullptr);
}

GeosContext::~GeosContext() { GEOS_finish_r(m_handle); }

GeomPtr GeosContext::own(GEOSGeometry* geometry, const char* operation) const {
    if (geometry == nullptr) {
        throw GeometryError(std::string("GEOS ") + operation + " failed: " + m_last_error);
    }
    return GeomPtr(geometry, GeomDeleter{m_handle});
}

GEOSCoordSequence* GeosContext::sequence(const std::vector<Point>& points, bool close) const {
    const bool add_closing = close && !points.empty() &&
                             (points.front().x() != points.back().x() ||
                              points.front().y() != points.back().y());
    const auto size = static_cast<unsigned>(points.size() + (add_closing ? 1 : 0));
    std::vector<double> buffer;
    buffer.reserve(2 * size);
    for (const auto& p : points) {
        buffer.push_back(p.x());
        buffer.push_back(p.y());
    }
    if (add_closing) {
        buffer.push_back(points.front().x());
        buffer.push_back(points.front().y());
    }
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromBuffer_r(m_handle, buffer.data(), size, 0, 0);
    if (seq == nullptr) {
        throw GeometryError("GEOS coordinate sequence failed: " + m_last_error);
    }
    return seq;
}

GEOSGeometry* GeosContext::ring(const std::vector<Point>& points) const {
    GEOSGeometry* g = GEOSGeom_createLinearRing_r(m_handle, sequence(points, true));
    if (g == nullptr) {
        throw GeometryError("GEOS ring creation failed: " + m_last_error);
    }
    return g;
}

GEOSGeometry* GeosContext::polygon(const Polygon& poly) const {
    GeomPtr shell(ring(poly.outer()), GeomDeleter{m_handle});
    std::vector<GEOSGeometry*> holes;
    holes.reserve(poly.inners().size());
    try {
        for (const auto& inner : poly.inners()) {
            holes.push_back(ring(inner));
        }
    } catch (...) {
        for (auto* h : holes) {
            GEOSGeom_destroy_r(m_handle, h);
        }
        throw;
    }
    GEOSGeometry* g = GEOSGeom_createPolygon_r(m_handle, shell.release(), holes.data(),
                                               static_cast<unsigned>(holes.size()));
    if (g == nullptr) {
        throw GeometryError("GEOS polygon creation failed: " + m_last_error);
    }
    return g;
}

GeomPtr GeosContext::from(const Polygon& poly) const { return own(polygon(poly), "polygon"); }

GeomPtr GeosContext::from(const MultiPolygon& geometry) const {
    std::vector<GeomPtr> parts;
    parts.reserve(geometry.size());
    for (const auto& poly : geometry) {
        parts.push_back(from(poly));
    }
    return collection(GEOS_MULTIPOLYGON, std::move(parts));
}

GeomPtr GeosContext::from(const LineString& line) const {
    return own(GEOSGeom_createLineString_r(m_handle, sequence(line, false)), "linestring");
}

GeomPtr GeosContext::from(const MultiLineString& geometry) const {
    std::vector<GeomPtr> parts;
    parts.reserve(geometry.size());
    for (const auto& line : geometry) {
        parts.push_back(from(line));
    }
    return collection(GEOS_MULTILINESTRING, std::move(parts));
}

GeomPtr GeosContext::from(const Point& point) const {
    return own(GEOSGeom_createPointFromXY_r(m_handle, point.x(), point.y()), "point");
}

GeomPtr GeosContext::from(const Geometry& geometry) const {
    return std::visit(
        [this](const auto& g) -> GeomPtr {
            using T = std::decay_t<decltype(g)>;
            if constexpr (std::is_same_v<T, MultiPoint>) {
                std::vector<GeomPtr> parts;
                for (const auto& p : g) {
                    parts.push_back(from(p));
                }
                return collection(GEOS_MULTIPOINT, std::move(parts));
            } else {
                return from(g);
            }
        },
        geometry);
}

GeomPtr GeosContext::collection(int type, std::vector<GeomPtr> parts) const {
    std::vector<GEOSGeometry*> raw;
    raw.reserve(parts.size());
    for (auto& p : parts) {
        raw.push_back(p.release());
    }
    GEOSGeometry* g = GEOSGeom_createCollection_r(m_handle, type, raw.data(),
                                                  static_cast<unsigned>(raw.size()));
    if (g == nullptr) {
        for (auto* r : raw) {
            GEOSGeom_destroy_r(m_handle, r);
        }
    }
    return own(g, "collection");
}

namespace {

std::vector<Point> read_sequence(GEOSContextHandle_t h, const GEOSCoordSequence* seq) {
    unsigned size = 0;
    GEOSCoordSeq_getSize_r(h, seq, &size);
    std::vector<double> buffer(2 * static_cast<std::size_t>(size));
    if (size > 0) {
        GEOSCoordSeq_copyToBuffer_r(h, seq, buffer.data(), 0, 0);
    }
    std::vector<Point> points;
    points.reserve(size);
    for (unsigned i = 0; i < size; ++i) {
        points.emplace_back(buffer[2 * i], buffer[2 * i + 1]);
    }
    return points;
}

void collect_polygons(GEOSContextHandle_t h, const GEOSGeometry* g, MultiPolygon& out) {
    const int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(h, g) == 1) {
            return;
        }
        Polygon poly;
        const auto pts = read_sequence(h, GEOSGeom_getCoordSeq_r(h, GEOSGetExteriorRing_r(h, g)));
        poly.outer().assign(pts.begin(), pts.end());
        const int n_holes = GEOSGetNumInteriorRings_r(h, g);
        for (int i = 0; i < n_holes; ++i) {
            const auto hole = read_sequence(
                h, GEOSGeom_getCoordSeq_r(h, GEOSGetInteriorRingN_r(h, g, i)));
            poly.inners().emplace_back(hole.begin(), hole.end());
        }
        out.push_back(std::move(poly));
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; ++i) {
            collect_polygons(h, GEOSGetGeometryN_r(h, g, i), out);
        }
    }
}

void collect_lines(GEOSContextHandle_t h, const GEOSGeometry* g, MultiLineString& out) {
    const int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_LINESTRING || type == GEOS_LINEARRING) {
        const auto pts = read_sequence(h, GEOSGeom_getCoordSeq_r(h, g));
        if (pts.size() >= 2) {
            out.emplace_back(pts.begin(), pts.end());
        }
    } else if (type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; ++i) {
            collect_lines(h, GEOSGetGeometryN_r(h, g, i), out);
        }
    }
}

}  // namespace

MultiPolygon GeosContext::to_multipolygon(const GEOSGeometry* geometry) const {
    MultiPolygon out;
    collect_polygons(m_handle, geometry, out);
    boost::geometry::correct(out);
    return out;
}

MultiLineString GeosContext::to_multilinestring(const GEOSGeometry* geometry) const {
    MultiLineString out;
    collect_lines(m_handle, geometry, out);
    return out;
}

double GeosContext::area(const GEOSGeometry* geometry) const {
    double value = 0.0;
    if (GEOSArea_r(m_handle, geometry, &value) != 1) {
        throw GeometryError("GEOS area failed: " + m_last_error);
    }
    return value;
}

double GeosContext::length(const GEOSGeometry* geometry) const {
    double value = 0.0;
    if (GEOSLength_r(m_handle, geometry, &value) != 1) {
        throw GeometryError("GEOS length failed: " + m_last_error);
    }
    return value;
}

bool GeosContext::is_empty(const GEOSGeometry* geometry) const {
    const char r = GEOSisEmpty_r(m_handle, geometry);
    if (r == 2) {
        throw GeometryError("GEOS isEmpty failed: " + m_last_error);
    }
    return r == 1;
}

GeomPtr GeosContext::repaired_polygonal(const GEOSGeometry* geometry) const {
    std::string reason;
    if (geometry == nullptr || is_valid(geometry, reason)) {
        return nullptr;
    }
    // MakeValid may add the lines and points a collapsed part leaves; the overlays here work on
    // areas, so only the polygonal parts go on.
    GeomPtr repaired = make_valid(geometry);
    return from(to_multipolygon(repaired.get()));
}

GeomPtr GeosContext::robust_overlay(
    const char* operation, const GEOSGeometry* a, const GEOSGeometry* b,
    GEOSGeometry* (*plain)(GEOSContextHandle_t, const GEOSGeometry*, const GEOSGeometry*),
    GEOSGeometry* (*snapped)(GEOSContextHandle_t, const GEOSGeometry*, const GEOSGeometry*,
                             double)) const {
    if (GEOSGeometry* r = plain(m_handle, a, b)) {
        return GeomPtr(r, GeomDeleter{m_handle});
    }
    // OverlayNG fails on an invalid input, which buffers with mitred joins can produce (a
    // self-touching ring), or on a robustness failure of floating-point noding. First the
    // inputs are repaired, then the overlay is snap-rounded to a fixed grid, which OverlayNG
    // guarantees to succeed on valid inputs.
    const std::string first_error = m_last_error;
    ++m_retries;
    const GeomPtr ra = repaired_polygonal(a);
    const GeomPtr rb = repaired_polygonal(b);
    const GEOSGeometry* va = ra ? ra.get() : a;
    const GEOSGeometry* vb = rb ? rb.get() : b;
    // On valid inputs the plain overlay would fail again: straight to the snapped one.
    if (ra || rb) {
        if (GEOSGeometry* r = plain(m_handle, va, vb)) {
            return GeomPtr(r, GeomDeleter{m_handle});
        }
    }
    if (GEOSGeometry* r = snapped(m_handle, va, vb, kSnapGrid_m)) {
        return GeomPtr(r, GeomDeleter{m_handle});
    }
    throw GeometryError(
        std::string("GEOS ") + operation + " failed: " + first_error +
        " (and again after repairing the inputs and snap-rounding to 1 mm: " + m_last_error + ")");
}

GeomPtr GeosContext::intersection(const GEOSGeometry* a, const GEOSGeometry* b) const {
    return robust_overlay("intersection", a, b, GEOSIntersection_r, GEOSIntersectionPrec_r);
}

GeomPtr GeosContext::difference(const GEOSGeometry* a, const GEOSGeometry* b) const {
    return robust_overlay("difference", a, b, GEOSDifference_r, GEOSDifferencePrec_r);
}

GeomPtr GeosContext::unary_union(const GEOSGeometry* geometry) const {
    return robust_overlay(
        "union", geometry, nullptr,
        [](GEOSContextHandle_t h, const GEOSGeometry* g, const GEOSGeometry*) {
        return GEOSUnaryUnion_r(h, g);
        },
        [](GEOSContextHandle_t h, const GEOSGeometry* g, const GEOSGeometry*, double grid) {
        return GEOSUnaryUnionPrec_r(h, g, grid);
    });
}

GeomPtr GeosContext::buffer(const GEOSGeometry* geometry, double distance,
                            int quadrant_segments) const {
    return own(GEOSBuffer_r(m_handle, geometry, distance, quadrant_segments), "buffer");
}

GeomPtr GeosContext::buffer_mitre(const GEOSGeometry* geometry, double distance) const {
    return own(GEOSBufferWithStyle_r(m_handle, geometry, distance, 8, GEOSBUF_CAP_FLAT,
                                     GEOSBUF_JOIN_MITRE, 5.0),
               "buffer");
}

GeomPtr GeosContext::simplify_preserving_topology(const GEOSGeometry* geometry,
                                                  double tolerance) const {
    return own(GEOSTopologyPreserveSimplify_r(m_handle, geometry, tolerance), "simplify");
}

void GeosContext::normalize(GEOSGeometry* geometry) const {
    if (GEOSNormalize_r(m_handle, geometry) != 0) {
        throw GeometryError("GEOS normalize failed: " + m_last_error);
    }
}

GeomPtr GeosContext::make_valid(const GEOSGeometry* geometry) const {
    return own(GEOSMakeValid_r(m_handle, geometry), "MakeValid");
}

bool GeosContext::is_valid(const GEOSGeometry* geometry, std::string& reason) const {
    char* text = nullptr;
    GEOSGeometry* location = nullptr;
    const char r = GEOSisValidDetail_r(m_handle, geometry, 0, &text, &location);
    if (r == 2) {
        throw GeometryError("GEOS isValid failed: " + m_last_error);
    }
    if (r == 0) {
        reason = text != nullptr ? text : "invalid";
        if (location != nullptr) {
            double x = 0;
            double y = 0;
            if (GEOSGeomGetX_r(m_handle, location, &x) == 1 &&
                GEOSGeomGetY_r(m_handle, location, &y) == 1) {
                // Millimetres for map coordinates; %g for the absurd ones a broken file holds
                // (a fixed format would not fit).
                const bool plain = std::fabs(x) < 1e12 && std::fabs(y) < 1e12;
                char buf[96];
                std::snprintf(buf, sizeof buf, plain ? " at (%.3f %.3f)" : " at (%g %g)", x, y);
                reason += buf;
            }
        }
    }
    if (text != nullptr) {
        GEOSFree_r(m_handle, text);
    }
    if (location != nullptr) {
        GEOSGeom_destroy_r(m_handle, location);
    }
    return r == 1;
}

PreparedPtr GeosContext::prepare(const GEOSGeometry* geometry) const {
    const GEOSPreparedGeometry* p = GEOSPrepare_r(m_handle, geometry);
    if (p == nullptr) {
        throw GeometryError("GEOS prepare failed: " + m_last_error);
    }
    return PreparedPtr(p, PreparedDeleter{m_handle});
}

bool GeosContext::prepared_contains(const GEOSPreparedGeometry* prepared,
                                    const GEOSGeometry* g) const {
    const char r = GEOSPreparedContains_r(m_handle, prepared, g);
    if (r == 2) {
        throw GeometryError("GEOS contains failed: " + m_last_error);
    }
    return r == 1;
}

bool GeosContext::prepared_intersects(const GEOSPreparedGeometry* prepared,
                                      const GEOSGeometry* g) const {
    const char r = GEOSPreparedIntersects_r(m_handle, prepared, g);
    if (r == 2) {
        throw GeometryError("GEOS intersects failed: " + m_last_error);
    }
    return r == 1;
}

bool GeosContext::prepared_distance_within(const GEOSPreparedGeometry* prepared,
                                           const GEOSGeometry* g, double distance) const {
    const char r = GEOSPreparedDistanceWithin_r(m_handle, prepared, g, distance);
    if (r == 2) {
        throw GeometryError("GEOS distance test failed: " + m_last_error);
    }
    return r == 1;
}

bool GeosContext::prepared_covers(const GEOSPreparedGeometry* prepared,
                                  const GEOSGeometry* g) const {
    const char r = GEOSPreparedCovers_r(m_handle, prepared, g);
    if (r == 2) {
        throw GeometryError("GEOS covers failed: " + m_last_error);
    }
    return r == 1;
}

}  // namespace spaceuse::detail
