#pragma once

/// @file study.hpp
/// Whole studies: load the layers, run the analyses, write the outputs and the run manifest.
/// `spaceuse occupancy` and `spaceuse run` are thin wrappers over these calls.

#include <spaceuse/access.hpp>
#include <spaceuse/export.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/occupancy.hpp>
#include <spaceuse/output.hpp>
#include <spaceuse/render.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse {

/// Occupancy settings as given by a user (the profile by name, plus overrides).
struct OccupancySettings {
    std::string zone_name_field;
    std::string floors_field;
    std::string height_field;
    std::string status_field;
    /// Profile name or path to a profile .toml.
    std::string profile = "default";
    /// Overrides of the profile's values (unset: the profile's).
    std::optional<double> storey_height_m;
    std::optional<double> setback_m;
    std::optional<double> min_free_area_m2;
    std::optional<double> min_free_width_m;
    std::optional<double> vacant_below;
    std::optional<double> underused_below;
    /// "value=status,..." added to the profile's status values.
    std::string status_map;
    /// Compute usable free space (the free_space layer and the free_m2 figures).
    bool free_space = true;
};

/// Accessibility settings as given by a user.
struct AccessSettings {
    /// Role of the origins layer ("parcels" or "zones").
    std::string origins = "parcels";
    /// Kind field of the facility layers (one for all, or one per facility layer).
    std::vector<std::string> facility_fields;
    /// Fixed kinds (one per facility layer, for layers without a kind field).
    std::vector<std::string> facility_kinds;
    /// Keep only these kinds (empty: all).
    std::vector<std::string> kinds;
    std::string profile = "car";
    std::string access_point = "centroid";
    double max_snap_m = 500.0;
    double snap_tolerance_m = 0.0;
    std::string speeds_file;
    std::string speed_field;
    std::string class_field = "highway";
    std::string oneway_field = "oneway";
    std::vector<double> isochrones_min;
    double isochrone_buffer_m = 50.0;
    std::string opportunities_weight;
    double opportunities_min = 15.0;
};

/// A registered metric to run in a study, with its options ([metrics.<name>] of a project).
struct MetricRun {
    /// Metric name in the registry.
    std::string name;
    /// Option values as text; each must be an option the metric declares.
    std::map<std::string, std::string> options;
    /// Where it was configured, for error messages ("file.toml: [metrics.x]").
    std::string where;
};

/// One study: named input layers, analyses to run, where to write.
struct Study {
    /// Title used in manifests and reports.
    std::string name = "spaceuse study";
    /// Layers by role: "zones", "parcels", "buildings", "roads", "facilities".
    std::vector<std::pair<std::string, LayerSource>> layers;
    LoadOptions load;
    /// Run the occupancy analysis (needs zones, parcels, buildings).
    std::optional<OccupancySettings> occupancy;
    /// Run the accessibility analysis (needs roads, facilities and the origins layer; roles
    /// "facilities", "facilities_2"... for several facility layers; an "opportunities" layer
    /// for cumulative opportunities).
    std::optional<AccessSettings> access;
    /// Registered metrics (built-in or from plugins) to run after the analyses above; each
    /// writes `<metric>_<layer>.geojson` and `.csv` per output layer.
    std::vector<MetricRun> metrics;
    /// Plugin modules to load besides those on the plugin search path (see plugin.hpp).
    std::vector<std::string> plugins;
    std::string output_dir;
    /// Formats and styles of the result layers.
    ExportOptions exports;
    WriteOptions write;
    unsigned threads = 0;
    /// Free text stored in the manifest (e.g. the command line or project file path).
    std::string invoked_as;
    /// Maps, committee report and HTML viewer written after the analyses.
    DocumentSettings documents;
};

/// What a study run produced.
struct StudyReport {
    CrsInfo crs;
    std::string crs_reason;
    /// Per loaded layer: role, source, counts.
    struct LayerSummary {
        std::string role;
        std::string source;
        CrsInfo source_crs;
        OperationInfo operation;
        LoadReport report;
    };
    std::vector<LayerSummary> layers;
    std::optional<OccupancyResult> occupancy;
    std::optional<AccessResult> access;
    /// Access summary table (zones x kinds, or one row per kind without zones).
    std::optional<OutputLayer> access_table;
    /// Zone table as written to summary.csv (rows: zones then TOTAL).
    std::optional<OutputLayer> zone_table;
    Profile profile;
    /// The loaded model (analysis CRS), for renderers and exporters that run after the metrics.
    std::shared_ptr<const Model> model;
    /// Every result layer with geometry, in the analysis CRS, in output order
    /// (parcels, zones, free_space, access, isochrones..., then `<metric>_<layer>` of each
    /// metric run).
    std::vector<OutputLayer> results;
    std::vector<WrittenFile> outputs;
    std::string manifest_path;
};

/// Resolves the occupancy settings to a profile (profile file + overrides).
/// @throws ConfigError on unknown profiles or bad values.
Profile resolve_profile(const OccupancySettings& settings);

/// Builds the occupancy options for settings (resolving the profile).
/// @throws ConfigError on unknown profiles or bad values.
OccupancyOptions make_occupancy_options(const OccupancySettings& settings, unsigned threads);

/// Loads the layers, runs the analyses and the metrics, writes outputs and `run.json` in
/// output_dir.
/// @throws InputError, ConfigError (also for an unknown metric, option or missing layer),
///         PluginError, OutputError.
StudyReport run_study(const Study& study, const ProgressFn& progress = {});

/// Reads a project file (TOML). Relative input paths are relative to the file's folder; the
/// output folder is relative to the current directory.
/// @throws ConfigError naming the file and the key on unknown keys or bad values, InputError
///         when the file is missing.
Study load_project(const std::string& path);

/// The bundled sample's project file (data/heverlee.toml in the source tree, or installed).
std::string default_project_path();

/// Builds the accessibility options for a study's settings. @throws ConfigError.
AccessOptions make_access_options(const Study& study, const AccessSettings& settings);

/// Builds the result layers of the accessibility analysis (access, isochrones) and the summary
/// table (last element, named "access_summary", without geometry).
std::vector<OutputLayer> access_layers(const Model& model, const AccessOptions& options,
                                       const AccessResult& result);

/// Builds the result layers of the occupancy analysis (parcels, zones, free_space).
std::vector<OutputLayer> occupancy_layers(const Model& model, const OccupancyOptions& options,
                                          const OccupancyResult& result);

}  // namespace spaceuse
