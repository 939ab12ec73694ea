#pragma once

/// @file io.hpp
/// Reading vector layers through GDAL/OGR into the model, and inspecting sources.

#include <spaceuse/model.hpp>
#include <spaceuse/progress.hpp>

#include <string>
#include <vector>

namespace spaceuse {

/// Where to read one layer from.
struct LayerSource {
    /// Path (also /vsizip/, a .zip is opened through /vsizip/ automatically) or connection
    /// string ("PG:dbname=...").
    std::string path;
    /// Layer name inside the source; empty for single-layer sources.
    std::string layer;
    /// OGR SQL attribute filter, empty for none.
    std::string where;
    /// Field used as feature id; empty to use the FID.
    std::string id_field;

    /// Text form "path[:layer]" for messages.
    std::string label() const;
};

/// Parses "path", "path:layer" or a connection string into a LayerSource. A path that exists
/// as written wins over a split at the last ':'.
LayerSource parse_layer_source(const std::string& spec);

/// How layers are read.
struct LoadOptions {
    /// Analysis CRS ("EPSG:xxxx"); empty to choose automatically (see choose_analysis_crs).
    std::string crs;
    /// CRS to assume for layers that have none, or whose declared geographic CRS cannot hold
    /// their coordinates; empty for none (such layers are then an error).
    std::string assume_crs;
    /// Threads converting, validating and repairing features while they are read (0: all
    /// cores). The model does not depend on it.
    unsigned threads = 0;
};

/// One layer to load into the model under a role name ("zones", "parcels", "roads"...).
struct LayerRequest {
    std::string name;
    LayerSource source;
    GeometryFamily family = GeometryFamily::polygon;
};

/// The CRS of a layer and its extent, as found by opening it (no features are read).
struct LayerCrsProbe {
    std::string label;
    CrsInfo crs;
    /// Extent in the layer's CRS (min x, min y, max x, max y); all zero when empty.
    double extent[4] = {0, 0, 0, 0};
    /// Extent in WGS84 lon/lat, when it could be computed.
    bool has_wgs84_extent = false;
    double wgs84_extent[4] = {0, 0, 0, 0};
};

/// Opens a layer and reads its CRS and extent.
/// @throws InputError when it cannot be opened, has no CRS (and no assumed CRS), or declares
///         a geographic CRS with coordinates outside ±180/±90.
LayerCrsProbe probe_layer_crs(const LayerSource& source, const LoadOptions& options);

/// Chooses the analysis CRS: `options.crs` if given; else the first layer whose CRS is
/// projected and metric; else the UTM zone of the centre of all layers' WGS84 extents.
/// @param reason receives a one-line explanation of the choice.
CrsInfo choose_analysis_crs(const std::vector<LayerCrsProbe>& probes, const LoadOptions& options,
                            std::string& reason);

/// Reads all requested layers into a model in one analysis CRS, repairing invalid polygons,
/// rejecting null/empty/wrong-type geometries (each reported in the layer's LoadReport), and
/// builds every layer's spatial index.
/// @throws InputError for unreadable sources, missing CRS, unknown fields or bad filters.
Model load_model(const std::vector<LayerRequest>& requests, const LoadOptions& options,
                 const ProgressFn& progress = {});

/// A field of an inspected layer.
struct FieldInfo {
    std::string name;
    std::string type;
};

/// What `spaceuse info` tells about one layer.
struct LayerInfo {
    std::string label;
    std::string driver;
    std::string layer;
    std::string geometry_type;
    std::int64_t feature_count = 0;
    CrsInfo crs;
    bool crs_missing = false;
    double extent[4] = {0, 0, 0, 0};
    bool has_wgs84_extent = false;
    double wgs84_extent[4] = {0, 0, 0, 0};
    std::vector<FieldInfo> fields;
    /// Encoding from the .cpg / driver metadata, empty when unknown.
    std::string encoding;
    std::int64_t null_geometries = 0;
    std::int64_t empty_geometries = 0;
    std::int64_t invalid_geometries = 0;
    /// First few offending features (fid and reason).
    std::vector<FeatureIssue> examples;
    /// Warnings about the layer (e.g. projected coordinates declared as WGS84).
    std::vector<std::string> warnings;
    /// Operation from the layer's CRS to the analysis CRS (set by inspect_sources).
    OperationInfo operation;
    bool has_operation = false;
};

/// Inspects every layer of `source` (or only `source.layer` when set). Counts invalid
/// geometries with GEOS and records the first few reasons.
/// @throws InputError when the source cannot be opened or the layer does not exist.
std::vector<LayerInfo> inspect_source(const LayerSource& source, const ProgressFn& progress = {});

/// What `spaceuse info` reports for a set of sources.
struct InfoReport {
    std::vector<LayerInfo> layers;
    /// Analysis CRS spaceuse would choose for these layers (empty name when none can be).
    CrsInfo analysis_crs;
    std::string analysis_crs_reason;
};

/// Inspects all sources, chooses the analysis CRS they would be loaded in and describes the
/// coordinate operation from each layer to it.
/// @throws InputError when a source cannot be opened.
InfoReport inspect_sources(const std::vector<LayerSource>& sources, const LoadOptions& options,
                           const ProgressFn& progress = {});

}  // namespace spaceuse
