// run_study in stages: plan → load → compute → write (tables, exports) → manifest → snapshot,
// documents and run.json, all in a staging folder that is put in place at the end.

#include "output_folder.hpp"
#include "plan.hpp"
#include "../util/digest.hpp"
#include "publish_detail.hpp"
#include "snapshot.hpp"
#include "../util/secrets.hpp"
#include "../util/text.hpp"
#include "../registry/builtin.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

namespace spaceuse {

namespace {

namespace fs = std::filesystem;

nlohmann::json crs_json(const CrsInfo& crs) {
    return {{"name", crs.name}, {"code", crs.code}, {"metric", crs.metric}};
}

/// SHA-256 of a file's content, or nullopt when `path` is not a readable regular file (a
/// connection string, a folder).
std::optional<std::string> file_sha256(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
        throw Error("SHA-256 failed (OpenSSL)");
    }
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0 &&
            EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount())) != 1) {
            throw Error("SHA-256 failed (OpenSSL)");
        }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1) {
        throw Error("SHA-256 failed (OpenSSL)");
    }
    return detail::hex_digest(digest, size);
}

/// What the definitions hash covers: the analysis CRS and, per metric (by name), the options
/// that change results and its definition (profile content, speed table).
nlohmann::json definitions(const detail::Plan& plan, const CrsInfo& crs) {
    nlohmann::json d;
    d["analysis_crs"] = crs.code.empty() ? crs.wkt : crs.code;
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& pm : plan.metrics) {
        nlohmann::json def = nlohmann::json::object();
        for (const auto& [k, v] : pm.metric->definition()) {
            def[k] = v;
        }
        metrics[pm.info->name] = {{"options", detail::options_json(*pm.info, pm.options, true)},
                                  {"definition", def}};
    }
    d["metrics"] = metrics;
    return d;
}

/// The computed results of one metric.
struct Computed {
    const detail::PlannedMetric* planned = nullptr;
    MetricResult result;
};

/// The declaration of the output layer `layer` of a metric.
/// @throws PluginError when the metric does not declare it.
const OutputSpec& spec_of(const MetricInfo& info, const std::string& layer) {
    for (const auto& s : info.outputs) {
        if (s.name == layer) {
            return s;
        }
    }
    throw PluginError("metric '" + info.name + "' (" + info.origin + ") wrote the layer '" + layer +
                      "', which it does not declare");
}

/// The compute stage: every metric in plan order, each reading the results of those it uses.
std::vector<Computed> compute(const detail::Plan& plan, const std::shared_ptr<const Model>& model,
                              unsigned threads, const ProgressFn& progress) {
    std::vector<Computed> computed;
    computed.reserve(plan.metrics.size());
    auto layers = [&plan, &model](const std::string& role) {
        std::vector<const Layer*> out;
        const auto it = plan.roles.find(role);
        if (it != plan.roles.end()) {
            for (const auto& name : it->second) {
                out.push_back(model->find(name));
            }
        }
        return out;
    };
    const double n = static_cast<double>(plan.metrics.size());
    for (std::size_t i = 0; i < plan.metrics.size(); ++i) {
        const detail::PlannedMetric& pm = plan.metrics[i];
        // A metric reads the results of the metrics it declares in `uses`, and only those.
        auto results = [&computed, &pm](const std::string& name) -> const std::any* {
            const auto& uses = pm.uses;
            if (std::find(uses.begin(), uses.end(), name) == uses.end()) {
                return nullptr;
            }
            for (const auto& c : computed) {
                if (c.planned->info->name == name) {
                    return &c.result.data;
                }
            }
            return nullptr;
        };
        auto outputs = [&computed, &pm](const std::string& name) -> const OutputLayer* {
            for (const auto& c : computed) {
                const auto& uses = pm.uses;
                if (std::find(uses.begin(), uses.end(), c.planned->info->name) == uses.end()) {
                    continue;
                }
                for (const auto& layer : c.result.layers) {
                    if (layer.name == name) {
                        return &layer;
                    }
                }
            }
            return nullptr;
        };
        const MetricInput input(model, pm.options, threads,
                                scaled_progress(progress, i / n, (i + 1) / n), results, layers,
                                outputs);
        Computed c;
        c.planned = &pm;
        try {
            c.result = pm.metric->compute(input);
        } catch (ConfigError& e) {
            throw ConfigError(pm.where + ": " + e.what());
        }
        for (const auto& layer : c.result.layers) {
            std::string why = detail::check_declared_fields(spec_of(*pm.info, layer.name), layer);
            if (why.empty()) {
                why = detail::check_value_types(layer);
            }
            if (!why.empty()) {
                throw PluginError("metric '" + pm.info->name + "' (" + pm.info->origin +
                                  "): " + why);
            }
        }
        computed.push_back(std::move(c));
    }
    return computed;
}

nlohmann::json inputs_json(const Study& study, const StudyReport& report) {
    nlohmann::json inputs = nlohmann::json::array();
    std::map<std::string, std::optional<std::string>> hashes;
    for (std::size_t i = 0; i < report.layers.size(); ++i) {
        const auto& l = report.layers[i];
        nlohmann::json j;
        j["role"] = l.role;
        // As the user gave it: relative to the project file.
        std::string given;
        std::string path;
        if (i < study.layers.size()) {
            given = study.layers[i].given.empty() ? study.layers[i].source.label()
                                                  : study.layers[i].given;
            path = study.layers[i].source.path;
        }
        j["source"] = detail::without_secrets(given.empty() ? l.source : given);
        const bool database = path.rfind("PG:", 0) == 0;
        const std::string key = database ? path + "\n" + study.layers[i].source.layer : path;
        auto it = hashes.find(key);
        if (it == hashes.end()) {
            // A database table: its rows in id order (the connection string has no content).
            it = hashes
                     .emplace(key, database ? detail::database_table_sha256(study.layers[i].source)
                                            : file_sha256(path))
                     .first;
        }
        j["sha256"] = it->second ? nlohmann::json(*it->second) : nlohmann::json(nullptr);
        j["source_crs"] = crs_json(l.source_crs);
        j["operation"] = {{"name", l.operation.name},
                          {"accuracy_m", l.operation.accuracy_m < 0
                                             ? nlohmann::json(nullptr)
                                             : nlohmann::json(l.operation.accuracy_m)}};
        j["read"] = l.report.read;
        j["kept"] = l.report.kept;
        j["rejected"] = l.report.rejected;
        j["repaired"] = l.report.repaired;
        j["issues"] = nlohmann::json::array();
        for (const auto& issue : l.report.issues) {
            j["issues"].push_back({{"fid", issue.fid},
                                   {"kind", issue_kind_name(issue.kind)},
                                   {"detail", issue.detail}});
        }
        inputs.push_back(j);
    }
    return inputs;
}

/// File part of a layer source ("PATH:LAYER", a connection string...).
std::string source_file(const std::string& source) {
    if (source.rfind("PG:", 0) == 0) {
        return "PostGIS";
    }
    std::string path = source;
    if (!fs::exists(path)) {
        const std::size_t colon = path.rfind(':');
        if (colon != std::string::npos) {
            path = path.substr(0, colon);
        }
    }
    return path;
}

/// The sources and the data date the documents print: as the project gives them, else the
/// input files' names and the newest one's date; "© OpenStreetMap contributors (ODbL)" is added
/// for OSM data.
void resolve_attribution(const DocumentSettings& doc, StudyReport& report) {
    std::set<std::string> files;
    std::string sources;
    bool osm = doc.osm;
    std::optional<fs::file_time_type> newest;
    for (const auto& l : report.layers) {
        const std::string file = source_file(l.source);
        osm = osm || detail::lower(file).find("osm") != std::string::npos;
        if (files.insert(file).second) {
            sources += (sources.empty() ? "" : ", ") + fs::path(file).filename().string();
            std::error_code ec;
            const auto t = fs::last_write_time(file, ec);
            if (!ec && (!newest || t > *newest)) {
                newest = t;
            }
        }
    }
    report.sources = doc.sources.empty() ? sources : doc.sources;
    if (osm && report.sources.find("OpenStreetMap") == std::string::npos) {
        report.sources += "; © OpenStreetMap contributors (ODbL)";
    }
    report.data_date = doc.data_date;
    if (report.data_date.empty() && newest) {
        const auto sys = std::chrono::file_clock::to_sys(*newest);
        const auto days = std::chrono::floor<std::chrono::days>(sys);
        const std::chrono::year_month_day ymd(days);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
        report.data_date = buf;
    }
}

/// Progress that never goes backwards, whatever a stage reports.
ProgressFn monotonic(const ProgressFn& fn) {
    if (!fn) {
        return {};
    }
    auto last = std::make_shared<double>(0.0);
    return [fn, last](double f, std::string_view message) {
        *last = std::clamp(std::max(*last, f), 0.0, 1.0);
        return fn(*last, message);
    };
}

/// The load stage: the planned layers into one model in the analysis CRS.
std::shared_ptr<const Model> load(const Study& study, const detail::Plan& plan, StudyReport& report,
                                  const ProgressFn& progress) {
    LoadOptions load_options = study.load;
    if (load_options.threads == 0) {
        load_options.threads = study.threads;
    }
    auto model = std::make_shared<const Model>(load_model(plan.layers, load_options, progress));
    report.model = model;
    report.crs = model->crs;
    report.crs_reason = model->crs_reason;
    for (const auto& layer : model->layers) {
        report.layers.push_back({layer.name,
                                 detail::without_secrets(layer.source) +
                                     (layer.source_layer.empty() ? "" : ":" + layer.source_layer),
                                 layer.source_crs, layer.operation, layer.report});
    }
    return model;
}

/// Hands the computed layers over to the report: result layers (with geometry) in run order,
/// tables by name, typed results and options of the metrics that are written.
void collect(std::vector<Computed>& computed, StudyReport& report) {
    for (auto& c : computed) {
        const MetricInfo& info = *c.planned->info;
        report.computed.push_back(info.name);
        if (!c.planned->write) {
            continue;
        }
        report.options.emplace(info.name, c.planned->options);
        if (c.result.data.has_value()) {
            report.data.emplace(info.name, c.result.data);
        }
        for (auto& layer : c.result.layers) {
            if (spec_of(info, layer.name).geometry) {
                report.results.push_back(std::move(layer));
            } else {
                report.tables.emplace(layer.name, std::move(layer));
            }
        }
        c.result.layers.clear();
    }
}

/// The write stage, part 1: each written metric's layers declared as CSV tables.
/// @returns the CSV files of each metric, by name.
std::map<std::string, nlohmann::json> write_tables(const std::vector<Computed>& computed,
                                                   const std::string& dir, StudyReport& report,
                                                   const WriteOptions& write,
                                                   const Progress& progress) {
    std::map<std::string, nlohmann::json> csv_files;
    auto find = [&report](const std::string& name) -> const OutputLayer* {
        if (const OutputLayer* t = report.table(name)) {
            return t;
        }
        for (const auto& l : report.results) {
            if (l.name == name) {
                return &l;
            }
        }
        return nullptr;
    };
    std::size_t done = 0;
    for (const auto& c : computed) {
        const MetricInfo& info = *c.planned->info;
        if (!c.planned->write) {
            continue;
        }
        nlohmann::json& files = csv_files[info.name];
        files = nlohmann::json::array();
        for (const auto& spec : info.outputs) {
            const OutputLayer* layer = spec.csv ? find(spec.name) : nullptr;
            if (layer == nullptr) {
                continue;
            }
            const std::string csv = (fs::path(dir) / (layer->name + ".csv")).string();
            write_csv(*layer, csv, write);
            report.outputs.push_back({csv, layer->name, layer->rows.size()});
            files.push_back(layer->name + ".csv");
        }
        progress.report(static_cast<double>(++done) / static_cast<double>(computed.size()),
                        "writing tables");
    }
    return csv_files;
}

/// The write stage, part 2: the result layers in every export format but the GeoPackage when
/// the snapshot is written (the snapshot is that GeoPackage).
void write_exports(const Study& study, const std::string& dir, StudyReport& report,
                   const WriteOptions& write, const Progress& progress) {
    if (report.results.empty()) {
        return;
    }
    std::vector<ExportFormat> formats;
    for (auto f : study.exports.formats) {
        if ((f != ExportFormat::gpkg || !study.snapshot) &&
            std::find(formats.begin(), formats.end(), f) == formats.end()) {
            formats.push_back(f);
        }
    }
    for (std::size_t i = 0; i < formats.size(); ++i) {
        progress.report(static_cast<double>(i) / static_cast<double>(formats.size()),
                        std::string("exporting layers (") + export_format_name(formats[i]) + ")");
        ExportOptions one = study.exports;
        one.formats = {formats[i]};
        for (auto& file : export_layers(report.results, report.crs, dir, one, write)) {
            report.outputs.push_back(std::move(file));
        }
    }
    progress.report(1.0, "exporting layers");
}

/// The documents of the study: file name and kind, in the order they are drawn.
std::vector<std::pair<std::string, std::string>> document_files(const DocumentSettings& d) {
    std::vector<std::pair<std::string, std::string>> out;
    if (d.map) {
        out.emplace_back(d.map->first, "map");
    }
    if (d.report) {
        out.emplace_back(d.report->first, "committee report");
    }
    if (d.view) {
        out.emplace_back(d.view->first, "HTML viewer");
    }
    return out;
}

/// The manifest stage: inputs with their hashes, CRS, definitions, options, the metrics'
/// sections, attribution, snapshot and every output (also those written after it: the
/// snapshot and the documents). No timestamps, so the same inputs give the same bytes.
nlohmann::json manifest(const Study& study, const std::vector<Computed>& computed,
                        const std::map<std::string, nlohmann::json>& csv_files,
                        const StudyReport& report, const std::string& dir) {
    nlohmann::json m;
    m["tool"] = std::string("spaceuse ") + SPACEUSE_VERSION;
    m["study"] = study.name;
    m["invoked_as"] = study.invoked_as;
    m["analysis_crs"] = crs_json(report.crs);
    m["analysis_crs_reason"] = report.crs_reason;
    m["definitions_hash"] = report.definitions_hash;
    m["metric_definitions_hash"] = report.metric_definitions_hash;
    m["inputs"] = inputs_json(study, report);
    // Where the inputs' sources are relative to, from the output folder (the follow-up's
    // --recompute finds a survey's inputs through it).
    {
        std::error_code ec;
        const fs::path base = fs::weakly_canonical(
            fs::absolute(study.base_dir.empty() ? fs::path(".") : fs::path(study.base_dir)), ec);
        const fs::path out = fs::weakly_canonical(fs::absolute(fs::path(study.output_dir)), ec);
        m["project_dir"] = ec ? std::string() : base.lexically_relative(out).generic_string();
    }
    m["attribution"] = {
        {"sources", report.sources},
        {"data_date",
         report.data_date.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.data_date)},
        {"data_date_from", study.documents.data_date.empty() ? "newest input file" : "project"},
        {"survey_date",
         report.survey_date.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.survey_date)},
        {"survey_date_from", !study.survey_date.empty()    ? nlohmann::json("project")
                             : !report.survey_date.empty() ? nlohmann::json("data_date")
                                                           : nlohmann::json(nullptr)}};
    m["metrics"] = nlohmann::json::array();
    for (const auto& c : computed) {
        const detail::PlannedMetric& pm = *c.planned;
        if (const auto* section = dynamic_cast<const detail::ManifestSection*>(pm.metric.get())) {
            section->manifest(c.result, m);
        }
        nlohmann::json j = {{"metric", pm.info->name},
                            {"origin", pm.info->origin},
                            {"options", detail::options_json(*pm.info, pm.options, false)},
                            {"written", pm.write}};
        if (pm.write) {
            nlohmann::json layers = nlohmann::json::array();
            for (const auto& spec : pm.info->outputs) {
                layers.push_back(spec.name);
            }
            j["layers"] = layers;
            j["files"] = csv_files.at(pm.info->name);
        }
        m["metrics"].push_back(j);
    }
    m["export"] = {{"geojson_crs", study.exports.geojson_native_crs ? "native" : "wgs84"},
                   {"styles", study.exports.styles}};
    for (auto f : study.exports.formats) {
        m["export"]["formats"].push_back(export_format_name(f));
    }
    m["snapshot"] = study.snapshot ? nlohmann::json{{"file", study.exports.gpkg_name},
                                                    {"format_version", snapshot_format_version}}
                                   : nlohmann::json(nullptr);
    m["outputs"] = nlohmann::json::array();
    for (const auto& o : report.outputs) {
        nlohmann::json j = {{"file", fs::path(o.path).lexically_relative(dir).generic_string()},
                            {"layer", o.layer}};
        if (o.data) {
            j["features"] = o.features;
        }
        m["outputs"].push_back(j);
    }
    return m;
}

/// Draws the study's documents into `dir` from the report (as open_results gives it back).
void write_documents(const DocumentSettings& d, const std::string& dir, const StudyReport& report,
                     const WriteOptions& write, const Progress& progress) {
    const auto files = document_files(d);
    for (std::size_t i = 0; i < files.size(); ++i) {
        progress.report(static_cast<double>(i) / static_cast<double>(files.size()),
                        "drawing " + files[i].second);
        const std::string path = (fs::path(dir) / files[i].first).string();
        if (d.map && files[i].first == d.map->first) {
            render_map(report, d.map->second, path, write);
        } else if (d.report && files[i].first == d.report->first) {
            render_report(report, d.report->second, path, write);
        } else {
            // The run's folder holds the files its manifest lists, the viewer as one file;
            // `spaceuse view --results` writes the tiled form of a region's results.
            ViewOptions single = d.view->second;
            single.form = ViewerForm::single_file;
            write_viewer(report, single, path, write);
        }
    }
    progress.report(1.0, "documents drawn");
}

}  // namespace

StudyReport run_study(const Study& study, const ProgressFn& progress_fn) {
    const ProgressFn fn = monotonic(progress_fn);
    const Progress progress(fn);
    if (study.output_dir.empty()) {
        throw ConfigError("no output folder given");
    }
    if (!study.publish.target.empty()) {
        if (!study.snapshot) {
            throw ConfigError("publishing needs the snapshot: drop --no-snapshot ([export] "
                              "snapshot = false) or the publish target");
        }
        parse_database_ref(study.publish.target);  // a malformed target stops the run now
    }
    StudyReport report;
    report.name = study.name;
    // Plan: every configuration file is read here, before any data.
    const detail::Plan plan = detail::make_plan(study);
    // The output folder is locked and checked before any data is read; everything is written
    // into its staging folder.
    detail::OutputFolder folder(study.output_dir, study.write.overwrite);
    const std::string& dir = folder.staging();
    WriteOptions write = study.write;
    if (write.threads == 0) {
        write.threads = study.threads;
    }

    progress.report(0.0, "loading layers");
    const auto model = load(study, plan, report, scaled_progress(fn, 0.0, 0.3));
    std::vector<Computed> computed = compute(plan, model, study.threads,
                                             scaled_progress(fn, 0.3, 0.85));
    const nlohmann::json defs = definitions(plan, model->crs);
    report.definitions_hash = detail::sha256_hex(defs.dump());
    report.metric_definitions_hash = detail::sha256_hex(defs["metrics"].dump());
    resolve_attribution(study.documents, report);
    report.survey_date = study.survey_date;
    if (report.survey_date.empty() && report.data_date.size() == 10 && report.data_date[4] == '-' &&
        report.data_date[7] == '-') {
        report.survey_date = report.data_date;  // the data date stands for the survey's
    }

    collect(computed, report);
    const auto csv_files = write_tables(computed, dir, report, write, progress.sub(0.85, 0.87));
    write_exports(study, dir, report, write, progress.sub(0.87, 0.93));
    // The outputs still to come, so the manifest (also inside the snapshot) lists them all.
    const std::string snapshot = (fs::path(dir) / study.exports.gpkg_name).string();
    if (study.snapshot) {
        for (auto& o : detail::snapshot_outputs(report, snapshot)) {
            report.outputs.push_back(std::move(o));
        }
    }
    for (const auto& [file, kind] : document_files(study.documents)) {
        report.outputs.push_back({(fs::path(dir) / file).string(), kind, 0, false});
    }
    report.manifest = manifest(study, computed, csv_files, report, dir).dump(2) + "\n";

    if (study.snapshot) {
        progress.report(0.93, "writing the snapshot");
        detail::write_snapshot(snapshot, report, study.exports.styles, write);
    }
    write_documents(study.documents, dir, report, write, progress.sub(0.95, 0.99));
    write_text_file((fs::path(dir) / "run.json").string(), report.manifest, write);

    progress.report(0.99, "putting the results in place");
    folder.commit();
    // The paths of the folder now in place.
    for (auto& o : report.outputs) {
        o.path = (fs::path(study.output_dir) / fs::path(o.path).lexically_relative(dir)).string();
    }
    report.manifest_path = (fs::path(study.output_dir) / "run.json").string();
    if (study.snapshot) {
        report.snapshot_path = (fs::path(study.output_dir) / study.exports.gpkg_name).string();
    }
    if (!study.publish.target.empty()) {
        const std::string target = database_ref_with(study.publish.target, study.publish.schema, "",
                                                     "");
        progress.report(0.995, "publishing to " + parse_database_ref(target).label());
        report.published = publish_results(study.output_dir, target);
    }
    progress.report(1.0, "done");
    return report;
}

namespace detail {

std::optional<std::string> content_sha256(const std::string& path) { return file_sha256(path); }

}  // namespace detail

}  // namespace spaceuse
