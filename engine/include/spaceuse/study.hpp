#pragma once

/// @file study.hpp
/// Whole studies: load the layers, run the analyses, write the outputs and the run manifest.
/// `spaceuse occupancy` and `spaceuse run` are thin wrappers over these calls.

#include <spaceuse/access.hpp>
#include <spaceuse/export.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/occupancy.hpp>
#include <spaceuse/output.hpp>
#include <spaceuse/publish.hpp>
#include <spaceuse/render.hpp>

#include <any>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse {

/// A registered metric to run in a study, with its options as given: a project's
/// `[metrics.<name>]` section (or its `[occupancy]` and `[access]` sections), or a command's
/// flags. They are parsed and checked against the metric's declarations when the study is
/// planned.
struct MetricRun {
    /// Metric name in the registry.
    std::string name;
    /// Option values as given; each must be an option the metric declares.
    std::map<std::string, RawOption> options;
    /// Where it was configured, for error messages ("file.toml: [metrics.x]").
    std::string where;
    /// Folder relative file options resolve against (the project file's; empty: the current
    /// directory).
    std::string base_dir;
    /// Only configures the metric for the metrics that use it: it runs (and its layers are
    /// written) only when one of the study's metrics uses it (`spaceuse scenario` keeps the
    /// project's [access] this way for the criteria that read it).
    bool if_used = false;
};

/// One input layer of a study.
struct StudyLayer {
    /// Role ([layers.<role>]); several layers may share a role (e.g. facility layers). In the
    /// model, the first layer of a role is named after it, the next ones `<role>_2`, `<role>_3`...
    std::string role;
    LayerSource source;
    /// Geometry kind for a role no registered metric declares (else the declaration's).
    std::optional<GeometryFamily> geometry;
    /// The source as the user wrote it (a project's `source`, relative to the project file),
    /// recorded in the manifest; empty: `source.label()`.
    std::string given;
};

/// One study: named input layers, the metrics to run, where to write.
struct Study {
    /// Title used in manifests and reports.
    std::string name = "spaceuse study";
    std::vector<StudyLayer> layers;
    LoadOptions load;
    /// Metrics to run, in output order. A metric another one uses runs first, also when not
    /// listed here (its layers are then not written).
    std::vector<MetricRun> metrics;
    /// Plugin modules to load besides those on the plugin search path (see plugin.hpp).
    std::vector<std::string> plugins;
    /// The output folder. A run writes it all or nothing: into a staging folder beside it, put
    /// in its place once every file is complete (the earlier results stay until then). It must
    /// be new, empty, or hold earlier spaceuse results (replaced only with `write.overwrite`).
    std::string output_dir;
    /// Folder of the project file (empty: the current directory), which the sources in the
    /// manifest are relative to.
    std::string base_dir;
    /// Formats and styles of the result layers.
    ExportOptions exports;
    /// Write the snapshot (`exports.gpkg_name`, spaceuse.gpkg) that open_results reopens and
    /// documents are drawn from. Off: no snapshot (a GeoPackage among the formats is then a
    /// plain export of the result layers), for quick looks and timing against tools that write
    /// only the result layers.
    bool snapshot = true;
    WriteOptions write;
    unsigned threads = 0;
    /// Free text stored in the manifest (e.g. the command line or project file path).
    std::string invoked_as;
    /// Date of the survey the inputs describe (YYYY-MM-DD; the follow-up compares surveys by
    /// it); empty: the data date when that is a date.
    std::string survey_date;
    /// Maps, committee report and HTML viewer written after the analyses.
    DocumentSettings documents;
    /// Where the run publishes its results once the output folder is complete ([publish]):
    /// a PostGIS database (PG:...; see publish.hpp) and schema (empty: "spaceuse"). A
    /// publication that fails leaves the database as it was and the output folder written.
    struct Publish {
        std::string target;
        std::string schema;
    } publish;

    /// Adds a layer of `role` from `source`.
    void add_layer(const std::string& role, LayerSource source) {
        layers.push_back({role, std::move(source), std::nullopt, {}});
    }
    /// The run of metric `name`, added (with no options) when missing.
    MetricRun& metric(const std::string& metric_name);
    /// The run of metric `name`, or nullptr.
    const MetricRun* find_metric(const std::string& metric_name) const;
};

/// What a study run produced, or what a reopened snapshot holds (see open_results).
struct StudyReport {
    /// The study's title.
    std::string name;
    /// Data sources and attribution the documents print ("© OpenStreetMap contributors" added
    /// for OSM data), and the date of the data, as the run resolved them.
    std::string sources;
    std::string data_date;
    /// The survey date (YYYY-MM-DD), or empty when neither it nor a data date was given.
    std::string survey_date;
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
    /// The metrics computed, in the order they ran (each once).
    std::vector<std::string> computed;
    /// The resolved options of every metric computed, by name.
    std::map<std::string, MetricOptions> options;
    /// SHA-256 (hex) over everything that changes results: the analysis CRS, each metric's
    /// options that change results and its definition (profile content, speed table). Threads,
    /// formats, paths and styles do not change it.
    std::string definitions_hash;
    /// SHA-256 (hex) over the same without the analysis CRS: the metrics' definitions alone,
    /// which the follow-up compares (surveys in other CRSs are compared in one).
    std::string metric_definitions_hash;
    /// The typed result of every metric computed, by metric name (a std::shared_ptr<const T>;
    /// read with result<T>()).
    std::map<std::string, std::any> data;
    /// Every table written (an output layer without geometry, e.g. occupancy's "summary" and
    /// access's "access_summary"), by name.
    std::map<std::string, OutputLayer> tables;

    /// The result of `metric` as T (OccupancyResult, AccessResult...), or null when it did not
    /// run or is of another type.
    template <typename T>
    std::shared_ptr<const T> result(const std::string& metric) const {
        const auto it = data.find(metric);
        if (it == data.end()) {
            return nullptr;
        }
        const auto* p = std::any_cast<std::shared_ptr<const T>>(&it->second);
        return p == nullptr ? nullptr : *p;
    }
    /// The table named `name`, or null.
    const OutputLayer* table(const std::string& table_name) const {
        const auto it = tables.find(table_name);
        return it == tables.end() ? nullptr : &it->second;
    }
    /// The loaded model (analysis CRS), for renderers and exporters that run after the metrics.
    /// Reopened from a snapshot: its context layers only (zones, buildings, roads, facilities,
    /// and the parcels' attributes without geometries).
    std::shared_ptr<const Model> model;
    /// Every result layer with geometry, in the analysis CRS, in output order (the layers of
    /// each metric run, in run order: parcels, zones, free_space, access, isochrones, then
    /// `<metric>_<layer>` of the plugins' metrics).
    std::vector<OutputLayer> results;
    std::vector<WrittenFile> outputs;
    /// The run manifest (the text of run.json): inputs with content hashes, CRS, definitions,
    /// options and the sections of the metrics, attribution, outputs.
    std::string manifest;
    std::string manifest_path;
    /// The snapshot GeoPackage (spaceuse.gpkg).
    std::string snapshot_path;
    /// What the run published (Study::publish), when it did.
    std::optional<PublishReport> published;
};

/// Format version of the snapshot GeoPackage: its `spaceuse_snapshot` table (format_version,
/// manifest, analysis CRS) and `spaceuse_layers` table (every stored layer: result layers,
/// tables and context layers with their fields and types).
inline constexpr int snapshot_format_version = 1;

/// Runs the study in stages: plan (loads plugins, reads every configuration file, checks every
/// metric's options and layers, orders the metrics by what they use), load, compute, write
/// (CSV tables, exports, the snapshot `spaceuse.gpkg`, the documents) and manifest
/// (`run.json`). The output folder is written all or nothing (see Study::output_dir); a second
/// run into a folder that a run is writing stops at once.
/// @throws InputError, ConfigError (also for an unknown metric, option or missing layer),
///         PluginError, OutputError.
StudyReport run_study(const Study& study, const ProgressFn& progress = {});

/// Reopens the results of a run: `path` is its output folder or its snapshot (spaceuse.gpkg).
/// Gives the same result layers and tables a run gives, value for value (geometries as
/// `geometries`), the model's context layers, the inputs, options, attribution and manifest;
/// `data` (the metrics' typed results) stays empty. The inputs are not needed.
/// @throws InputError when `path` holds no snapshot or one of a newer format.
StudyReport open_results(const std::string& path);

/// Reads a project file (TOML). Relative input paths are relative to the file's folder; the
/// output folder is relative to the current directory.
/// @throws ConfigError naming the file and the key on unknown keys or bad values, InputError
///         when the file is missing.
Study load_project(const std::string& path);

/// The bundled sample's project file (data/heverlee.toml in the source tree, or installed).
std::string default_project_path();

}  // namespace spaceuse
