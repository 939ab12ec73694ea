#pragma once

/// @file export.hpp
/// Exports of result layers in the formats GIS users open directly: RFC 7946 GeoJSON (or
/// GeoJSON in the analysis CRS), one GeoPackage holding every layer with QGIS styles embedded in
/// its `layer_styles` table, Shapefiles (with a stable 10-character field-name mapping) and
/// FlatGeobuf (with a spatial index). Every GeoJSON, Shapefile and FlatGeobuf file gets a
/// same-name `.qml` (QGIS) and `.sld` (other viewers) style sidecar.

#include <spaceuse/crs.hpp>
#include <spaceuse/output.hpp>

#include <string>
#include <vector>

namespace spaceuse {

enum class ExportFormat { geojson, gpkg, shapefile, flatgeobuf };

/// "geojson", "gpkg", "shapefile", "flatgeobuf".
const char* export_format_name(ExportFormat format) noexcept;

/// Parses a format name (also accepts "geopackage", "shp", "fgb").
/// @throws ConfigError naming the known formats.
ExportFormat parse_export_format(const std::string& text);

/// What to export, and how.
struct ExportOptions {
    /// Formats to write; each layer is written once per format (the GeoPackage holds all).
    std::vector<ExportFormat> formats{ExportFormat::geojson};
    /// GeoJSON in the analysis CRS with a `crs` member (QGIS reads it) instead of RFC 7946 WGS84.
    bool geojson_native_crs = false;
    /// Write `.qml`/`.sld` sidecars and the GeoPackage `layer_styles` table.
    bool styles = true;
    /// File name of the GeoPackage inside the output folder.
    std::string gpkg_name = "spaceuse.gpkg";
};

/// One written file.
struct WrittenFile {
    std::string path;
    /// Layer name, or what the file is ("parcels style (QGIS)").
    std::string layer;
    /// Features (rows) of a data file; 0 for sidecars.
    std::size_t features = 0;
    /// False for sidecars (styles, field-name mappings).
    bool data = true;
};

/// Writes `layers` (geometries in `crs`) into `dir` in every requested format: GeoJSON files in
/// `dir`, the GeoPackage as `dir/<gpkg_name>`, Shapefiles in `dir/shapefile/` and FlatGeobuf
/// files in `dir/flatgeobuf/` (one folder per format, so each layer's `.qml` sidecar is its own).
/// Every file is written under a temporary name and renamed into place.
/// @throws OutputError when a target exists and overwrite is off, or on write errors;
///         ConfigError when native GeoJSON is asked for a CRS without an EPSG code.
std::vector<WrittenFile> export_layers(const std::vector<OutputLayer>& layers, const CrsInfo& crs,
                                       const std::string& dir, const ExportOptions& options,
                                       const WriteOptions& write);

/// The Shapefile (dBase) names of `names`: at most 10 characters, unique (case-insensitively),
/// chosen by a fixed rule so the same field list always gives the same names:
/// a name of ≤ 10 characters is kept; a longer one loses, word by word from the right, the vowels
/// after each word's first letter, then its longest words are shortened one letter at a time
/// (the rightmost of equals first); a name that then collides with an earlier one ends in `_2`,
/// `_3`... (cut to fit). The mapping is written beside each Shapefile as `<layer>.fields.csv`
/// and the full names are the field aliases in its `.qml`.
std::vector<std::string> shapefile_field_names(const std::vector<std::string>& names);

}  // namespace spaceuse
