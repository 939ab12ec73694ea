#pragma once

// Conversion of one OGR geometry into a model geometry of a given family: drop Z/M,
// linearise curves, transform coordinates, close rings, repair invalid polygons.

#include "../geos/geos.hpp"
#include "proj_util.hpp"

#include <spaceuse/model.hpp>

#include <ogr_geometry.h>

#include <memory>
#include <optional>
#include <string>

namespace spaceuse::detail {

struct ConvertResult {
    std::optional<Geometry> geometry;  ///< empty when rejected
    IssueKind reject_kind = IssueKind::null_geometry;
    std::string detail;  ///< reason for rejection or repair
    bool repaired = false;
    bool linearised = false;
    bool dimension_dropped = false;
};

/// Converts `geometry` (owned, may be null) into `family`, transforming with `transformer`
/// (null for no transformation) and repairing polygons with `geos`.
ConvertResult convert_geometry(std::unique_ptr<OGRGeometry> geometry, GeometryFamily family,
                               Transformer* transformer, const GeosContext& geos);

/// True only for a polygon GEOS would find valid that a cheap test can vouch for (one ring,
/// no holes, at most 64 points, non-adjacent edges with disjoint boxes, no spike); false says
/// nothing (let GEOS decide).
bool clearly_valid(const MultiPolygon& polygons);

/// The polygon part of convert_geometry, for polygons already read (rings closed, collapsed
/// rings dropped and flagged by `collapsed`): transform, validate, repair. `result` carries
/// flags already set (dimension dropped, linearised).
ConvertResult finish_polygons(MultiPolygon polygons, bool collapsed, Transformer* transformer,
                              const GeosContext& geos, ConvertResult result);

/// convert_geometry for a WKB blob of a 2D Polygon or MultiPolygon in little-endian order,
/// read without building OGR objects; nullopt for any other blob (let OGR read it).
std::optional<ConvertResult> convert_wkb_polygons(const unsigned char* data, std::size_t size,
                                                  Transformer* transformer,
                                                  const GeosContext& geos);

/// Family a layer geometry type maps to, or nullopt for none/unknown.
std::optional<GeometryFamily> family_of(OGRwkbGeometryType type);

}  // namespace spaceuse::detail
