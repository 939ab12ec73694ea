#pragma once

// The snapshot of a run (spaceuse.gpkg): written by the write stage, reopened by open_results.

#include <spaceuse/study.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

class OGRLayer;

namespace spaceuse::detail {

/// The snapshot file of `path`: a results folder (its run.json names the file) or the file.
/// @throws InputError when there is none.
std::string snapshot_file(const std::string& path);

/// The rows of a snapshot's spaceuse_layers table as JSON objects (table, name, kind, geometry,
/// source, source_layer, id_field, fields).
/// @throws InputError naming `file` when a row's fields cannot be read.
std::vector<nlohmann::json> read_layer_list(OGRLayer& list, const std::string& file);

/// Whether the model layer `name` is kept in the snapshot as context: zones, buildings, roads
/// and every facilities layer for the documents, and the parcels' attributes (without their
/// geometries, which the parcels result layer holds) for the follow-up's issue dates.
bool is_context_layer(const std::string& name);

/// The output entries the snapshot at `file` (relative to the output folder) will have: one per
/// result layer and table, with its rows.
std::vector<WrittenFile> snapshot_outputs(const StudyReport& report, const std::string& path);

/// Writes the snapshot GeoPackage at `path`: every result layer (with its styles when
/// `styles`), every table, the context layers of `report.model`, the `spaceuse_layers` table
/// describing them, and the `spaceuse_snapshot` table (format version, manifest, analysis CRS).
/// @throws OutputError.
void write_snapshot(const std::string& path, const StudyReport& report, bool styles,
                    const WriteOptions& write);

/// Which stored layers open_results reads (all by default). A reader that needs a few layers
/// of a region's snapshot (the follow-up: parcels and zones) skips the rest.
struct SnapshotSelection {
    bool all = true;
    std::set<std::string> results;  ///< result layers and tables, by name
    std::set<std::string> context;  ///< context layers, by model layer name
    /// Result layers handed over row by row instead of kept (the report's layer then has its
    /// fields and no rows): at region scale a reader that turns rows into its own columns
    /// never holds the table twice.
    using RowSink = std::function<void(const std::vector<OutputField>& fields,
                                       std::vector<Value>& values, std::optional<Geometry>& g)>;
    std::map<std::string, RowSink> streamed;
};

/// open_results reading only `selection`'s layers.
StudyReport open_results(const std::string& path, const SnapshotSelection& selection);

}  // namespace spaceuse::detail
