#pragma once

/// @file output.hpp
/// Result tables with geometry, and the writers that serialise them. Every writer writes to a
/// temporary file beside the target and renames it into place, so a crash never leaves a
/// half-written output.

#include <spaceuse/crs.hpp>
#include <spaceuse/model.hpp>

#include <memory>
#include <string>
#include <vector>

namespace spaceuse {

/// A column of an output layer.
struct OutputField {
    std::string name;
    FieldType type = FieldType::real;
    /// Fixed decimals of a real in CSV output; -1 for the writer's default.
    int decimals = -1;
};

/// A layer of results: fields, one row of values per feature and (optionally) its geometry in
/// the analysis CRS. Read geometries through has_geometry() and geometry(row), which cover both
/// ways of holding them.
struct OutputLayer {
    std::string name;
    std::vector<OutputField> fields;
    /// Empty, or one geometry per row.
    std::vector<Geometry> geometries;
    /// Instead of `geometries`, for a layer with one row per feature of a loaded layer: row i
    /// has the geometry of feature i of this layer, which the pointer keeps alive (results per
    /// parcel then hold no second copy of the parcels). Its features must match the rows.
    std::shared_ptr<const Layer> geometry_source;
    std::vector<std::vector<Value>> rows;

    /// Whether the rows have geometries.
    bool has_geometry() const noexcept { return geometry_source != nullptr || !geometries.empty(); }
    /// The geometry of a row (has_geometry() must hold).
    const Geometry& geometry(std::size_t row) const {
        return geometry_source ? geometry_source->features[row].geometry : geometries[row];
    }
};

/// How files are written.
struct WriteOptions {
    /// Decimals of WGS84 coordinates in GeoJSON (7 ≈ 1 cm). A feature whose rounded geometry
    /// would be invalid keeps full precision.
    int precision = 7;
    /// Replace existing files; without it an existing target is an error.
    bool overwrite = false;
    /// Threads that turn features into GeoJSON text (0: one per core). The bytes written are the
    /// same for every thread count; run_study fills it from Study::threads when left at 0.
    unsigned threads = 0;
};

/// Counts from writing one GeoJSON file.
struct GeoJsonStats {
    std::size_t features = 0;
    /// Features kept at full precision because rounding made them invalid.
    std::size_t full_precision = 0;
};

/// Writes an RFC 7946 GeoJSON file: WGS84 lon/lat (transformed from `crs`), counter-clockwise
/// exterior rings, no `crs` member, properties in field order.
/// @throws OutputError when the file exists (and overwrite is off) or cannot be written.
GeoJsonStats write_geojson(const OutputLayer& layer, const CrsInfo& crs, const std::string& path,
                           const WriteOptions& options);

/// The same GeoJSON text as write_geojson, as a string (for documents that embed the data).
/// @throws OutputError when a geometry cannot be transformed to WGS84.
std::string geojson_text(const OutputLayer& layer, const CrsInfo& crs, const WriteOptions& options);

/// Writes GeoJSON in the analysis CRS `crs` (coordinates to 1 mm) with a GeoJSON 2008 `crs`
/// member naming its authority code, which QGIS and GDAL read. Not RFC 7946: for users who want
/// the projected coordinates.
/// @throws ConfigError when `crs` has no authority code; OutputError as write_geojson.
GeoJsonStats write_geojson_native(const OutputLayer& layer, const CrsInfo& crs,
                                  const std::string& path, const WriteOptions& options);

/// Writes a UTF-8 CSV with a header; reals with `decimals` fixed decimals, nulls empty.
/// @throws OutputError as write_geojson.
void write_csv(const OutputLayer& layer, const std::string& path, const WriteOptions& options,
               int decimals = 2);

/// Writes text to `path` atomically (temporary file, then rename).
/// @throws OutputError as write_geojson.
void write_text_file(const std::string& path, const std::string& text, const WriteOptions& options);

/// Creates `dir` (and parents) when missing. @throws OutputError.
void ensure_directory(const std::string& dir);

}  // namespace spaceuse
