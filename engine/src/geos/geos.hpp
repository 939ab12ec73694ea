#pragma once

// RAII wrapper over GEOS's reentrant C API (the C++ API is not ABI-stable). One Context per
// thread; geometries are owned by GeomPtr and destroyed through their context.

#include <spaceuse/geometry.hpp>

#include <geos_c.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spaceuse::detail {

class GeosContext;

struct GeomDeleter {
    GEOSContextHandle_t handle = nullptr;
    void operator()(GEOSGeometry* geometry) const noexcept;
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;

struct PreparedDeleter {
    GEOSContextHandle_t handle = nullptr;
    void operator()(const GEOSPreparedGeometry* prepared) const noexcept;
};
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

/// One GEOS context with error/notice capture. Not shareable between threads.
class GeosContext {
public:
    GeosContext();
    ~GeosContext();
    GeosContext(const GeosContext&) = delete;
    GeosContext& operator=(const GeosContext&) = delete;

    GEOSContextHandle_t handle() const noexcept { return m_handle; }

    /// Takes ownership of a GEOS result; throws GeometryError with GEOS's message when null.
    GeomPtr own(GEOSGeometry* geometry, const char* operation) const;

    // Conversions between the model's Boost.Geometry types and GEOS.
    GeomPtr from(const MultiPolygon& geometry) const;
    GeomPtr from(const Polygon& geometry) const;
    GeomPtr from(const MultiLineString& geometry) const;
    GeomPtr from(const LineString& geometry) const;
    GeomPtr from(const Point& point) const;
    GeomPtr from(const Geometry& geometry) const;

    /// Polygonal parts of any GEOS geometry (lines and points are ignored), with the model's
    /// orientation (CCW exterior, CW holes).
    MultiPolygon to_multipolygon(const GEOSGeometry* geometry) const;
    /// Linear parts of any GEOS geometry.
    MultiLineString to_multilinestring(const GEOSGeometry* geometry) const;

    // Operations (each throws GeometryError on failure).
    double area(const GEOSGeometry* geometry) const;
    double length(const GEOSGeometry* geometry) const;
    bool is_empty(const GEOSGeometry* geometry) const;
    GeomPtr intersection(const GEOSGeometry* a, const GEOSGeometry* b) const;
    GeomPtr difference(const GEOSGeometry* a, const GEOSGeometry* b) const;
    GeomPtr unary_union(const GEOSGeometry* geometry) const;
    GeomPtr buffer(const GEOSGeometry* geometry, double distance, int quadrant_segments = 8) const;
    /// Buffer with mitred joins (square corners stay square).
    GeomPtr buffer_mitre(const GEOSGeometry* geometry, double distance) const;
    /// Douglas-Peucker within `tolerance` that keeps rings valid and from crossing
    /// (GEOS's TopologyPreservingSimplifier).
    GeomPtr simplify_preserving_topology(const GEOSGeometry* geometry, double tolerance) const;
    GeomPtr make_valid(const GEOSGeometry* geometry) const;
    /// Puts `geometry` in GEOS's normal form in place (rings oriented and started alike, parts
    /// sorted), so that an operation sensitive to vertex order gives one answer for the shape.
    void normalize(GEOSGeometry* geometry) const;
    /// Collection that takes ownership of `parts`.
    GeomPtr collection(int type, std::vector<GeomPtr> parts) const;
    /// Validity; on invalid, `reason` gets GEOS's reason with location.
    bool is_valid(const GEOSGeometry* geometry, std::string& reason) const;
    PreparedPtr prepare(const GEOSGeometry* geometry) const;
    bool prepared_contains(const GEOSPreparedGeometry* prepared, const GEOSGeometry* g) const;
    bool prepared_intersects(const GEOSPreparedGeometry* prepared, const GEOSGeometry* g) const;
    bool prepared_covers(const GEOSPreparedGeometry* prepared, const GEOSGeometry* g) const;
    /// Whether `g` comes within `distance` of the prepared geometry.
    bool prepared_distance_within(const GEOSPreparedGeometry* prepared, const GEOSGeometry* g,
                                  double distance) const;

    /// Overlays (intersection, difference, union) retried after a failure: the inputs
    /// repaired, then snap-rounded to kSnapGrid_m.
    std::uint64_t overlay_retries() const noexcept { return m_retries; }
    /// Grid of the last retry of a failed overlay (1 mm): far below the accuracy of any
    /// cadastre, so the areas change by at most perimeter × 0.5 mm.
    static constexpr double kSnapGrid_m = 1e-3;

    /// Last error message GEOS reported in this context.
    const std::string& last_error() const noexcept { return m_last_error; }

private:
    /// The geometry repaired with MakeValid (polygonal parts only), or null when it is valid
    /// (or null) and needs no repair.
    GeomPtr repaired_polygonal(const GEOSGeometry* geometry) const;
    /// `plain(a, b)`; on failure the same on repaired inputs, then `snapped` on a fixed grid.
    GeomPtr robust_overlay(const char* operation, const GEOSGeometry* a, const GEOSGeometry* b,
                           GEOSGeometry* (*plain)(GEOSContextHandle_t, const GEOSGeometry*,
                                                  const GEOSGeometry*),
                           GEOSGeometry* (*snapped)(GEOSContextHandle_t, const GEOSGeometry*,
                                                    const GEOSGeometry*, double)) const;

    GEOSCoordSequence* sequence(const std::vector<Point>& points, bool close) const;
    GEOSGeometry* ring(const std::vector<Point>& points) const;
    GEOSGeometry* polygon(const Polygon& polygon) const;

    GEOSContextHandle_t m_handle = nullptr;
    std::string m_last_error;
    mutable std::uint64_t m_retries = 0;
};

}  // namespace spaceuse::detail
