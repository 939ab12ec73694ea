#pragma once

// The GeoPackage writer of the exports, for the run's snapshot (study/snapshot.cpp).

#include <spaceuse/export.hpp>

#include <ogr_core.h>
#include <ogr_feature.h>
#include <ogr_geometry.h>

#include <memory>
#include <string>
#include <vector>

namespace spaceuse::detail {

/// A model geometry as an OGR geometry (coordinates as they are).
std::unique_ptr<OGRGeometry> to_ogr_geometry(const Geometry& g);

/// The OGR field type an output field is written as.
OGRFieldType ogr_field_type(FieldType t);

/// Sets the fields of `feature` from a row of values, in field order (null for no value).
void set_ogr_fields(OGRFeature& feature, const std::vector<Value>& values);

/// Writes a new GeoPackage at `path` (temporary name, renamed into place): `layers`, with their
/// styles in the layer_styles table when `styles`, then `extra` (tables and layers without
/// styles). Geometries are in `crs`; the bytes do not depend on the time of writing.
/// @returns one WrittenFile per layer of `layers`.
/// @throws OutputError as export_layers.
std::vector<WrittenFile> write_gpkg_file(const std::vector<const OutputLayer*>& layers,
                                         const std::vector<const OutputLayer*>& extra,
                                         const CrsInfo& crs, const std::string& path, bool styles,
                                         const WriteOptions& write);

}  // namespace spaceuse::detail
