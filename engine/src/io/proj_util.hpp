#pragma once

// PROJ handles behind RAII, and a batch coordinate transformer from a layer's CRS to the
// analysis CRS. Each Transformer owns its own PROJ context, so one per thread is safe.

#include <spaceuse/crs.hpp>
#include <spaceuse/geometry.hpp>

#include <boost/geometry/algorithms/for_each.hpp>

#include <proj.h>

#include <memory>
#include <string>
#include <vector>

namespace spaceuse::detail {

struct ProjContextDeleter {
    void operator()(PJ_CONTEXT* ctx) const noexcept { proj_context_destroy(ctx); }
};
using ProjContextPtr = std::unique_ptr<PJ_CONTEXT, ProjContextDeleter>;

struct PjDeleter {
    void operator()(PJ* pj) const noexcept { proj_destroy(pj); }
};
using PjPtr = std::unique_ptr<PJ, PjDeleter>;

/// A fresh PROJ context whose log output is captured (PROJ would print to stderr otherwise).
ProjContextPtr make_proj_context();

/// Definition to hand to PROJ for a CRS: its authority code when known, else its WKT.
std::string crs_definition(const CrsInfo& crs);

/// Transforms coordinates from one CRS to another with PROJ's best available operation, in
/// traditional GIS order (x = easting/longitude).
class Transformer {
public:
    /// @param swap_xy the source data has northing/latitude first (authority axis order).
    Transformer(const std::string& source, const std::string& target, bool swap_xy = false);

    /// Transforms in place `n` points of interleaved x,y. Returns false when any point could
    /// not be transformed (its coordinates then are HUGE_VAL).
    bool transform(double* xy, std::size_t n);

    /// The operation PROJ used for the last transformed point (or the one it would use for
    /// a point near the source area's centre when none was transformed).
    OperationInfo last_operation() const;

    bool identity() const noexcept { return m_identity; }

private:
    ProjContextPtr m_ctx;
    PjPtr m_pj;
    bool m_identity = false;
    bool m_swap = false;
};

/// Transforms every point of a Boost.Geometry geometry in place (one batch call to PROJ),
/// with `xy` as the coordinate buffer (reused between calls by hot loops).
/// Returns false when a point could not be transformed.
template <typename G>
bool transform_geometry(G& geometry, Transformer& transformer, std::vector<double>& xy) {
    xy.clear();
    boost::geometry::for_each_point(geometry, [&xy](const Point& p) {
        xy.push_back(p.x());
        xy.push_back(p.y());
    });
    if (!transformer.transform(xy.data(), xy.size() / 2)) {
        return false;
    }
    std::size_t i = 0;
    boost::geometry::for_each_point(geometry, [&xy, &i](Point& p) {
        p.x(xy[i]);
        p.y(xy[i + 1]);
        i += 2;
    });
    return true;
}

/// The same with a buffer of its own.
template <typename G>
bool transform_geometry(G& geometry, Transformer& transformer) {
    std::vector<double> xy;
    return transform_geometry(geometry, transformer, xy);
}

}  // namespace spaceuse::detail
