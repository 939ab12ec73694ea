// run_study: plan → load → compute → write → manifest.

#include "plan.hpp"
#include "../registry/builtin.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

namespace spaceuse {

namespace {

namespace fs = std::filesystem;

nlohmann::json crs_json(const CrsInfo& crs) {
    return {{"name", crs.name}, {"code", crs.code}, {"metric", crs.metric}};
}

/// SHA-256 of `text` in lower-case hex (OpenSSL's EVP interface).
std::string sha256_hex(const std::string& text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
        throw Error("SHA-256 failed (OpenSSL)");
    }
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
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
            const auto& uses = pm.info->uses;
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
        const MetricInput input(model, pm.options, threads,
                                scaled_progress(progress, i / n, (i + 1) / n), results, layers);
        Computed c;
        c.planned = &pm;
        try {
            c.result = pm.metric->compute(input);
        } catch (ConfigError& e) {
            throw ConfigError(pm.where + ": " + e.what());
        }
        for (const auto& layer : c.result.layers) {
            const std::string why = detail::check_declared_fields(spec_of(*pm.info, layer.name),
                                                                  layer);
            if (!why.empty()) {
                throw PluginError("metric '" + pm.info->name + "' (" + pm.info->origin +
                                  "): " + why);
            }
        }
        computed.push_back(std::move(c));
    }
    return computed;
}

nlohmann::json inputs_json(const StudyReport& report) {
    nlohmann::json inputs = nlohmann::json::array();
    for (const auto& l : report.layers) {
        nlohmann::json j;
        j["role"] = l.role;
        j["source"] = l.source;
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

}  // namespace

namespace {

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
        report.layers.push_back(
            {layer.name,
             layer.source + (layer.source_layer.empty() ? "" : ":" + layer.source_layer),
             layer.source_crs, layer.operation, layer.report});
    }
    return model;
}

/// The write stage: each written metric's tables as CSV, its layers with geometry in every
/// export format, then the documents. @returns the CSV files of each metric, by name.
std::map<std::string, nlohmann::json> write(const Study& study, std::vector<Computed>& computed,
                                            StudyReport& report, const Progress& progress) {
    ensure_directory(study.output_dir);
    std::map<std::string, nlohmann::json> csv_files;
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
        nlohmann::json& files = csv_files[info.name];
        files = nlohmann::json::array();
        for (auto& layer : c.result.layers) {
            const OutputSpec& spec = spec_of(info, layer.name);
            if (spec.csv) {
                const std::string csv = (fs::path(study.output_dir) / (layer.name + ".csv"))
                                            .string();
                write_csv(layer, csv, study.write);
                report.outputs.push_back({csv, layer.name, layer.rows.size()});
                files.push_back(layer.name + ".csv");
            }
            if (spec.geometry) {
                report.results.push_back(std::move(layer));
            } else {
                report.tables.emplace(layer.name, std::move(layer));
            }
        }
    }
    if (!report.results.empty()) {
        progress.report(0.5, "exporting layers");
        WriteOptions write = study.write;
        if (write.threads == 0) {
            write.threads = study.threads;
        }
        for (auto& file :
             export_layers(report.results, report.crs, study.output_dir, study.exports, write)) {
            report.outputs.push_back(std::move(file));
        }
    }
    write_documents(study, report);
    return csv_files;
}

/// The manifest: inputs, CRS, definitions, options, outputs, counts. No timestamps, so the same
/// inputs give the same bytes.
nlohmann::json manifest(const Study& study, const std::vector<Computed>& computed,
                        const std::map<std::string, nlohmann::json>& csv_files,
                        const StudyReport& report) {
    nlohmann::json m;
    m["tool"] = std::string("spaceuse ") + SPACEUSE_VERSION;
    m["study"] = study.name;
    m["invoked_as"] = study.invoked_as;
    m["analysis_crs"] = crs_json(report.crs);
    m["analysis_crs_reason"] = report.crs_reason;
    m["definitions_hash"] = report.definitions_hash;
    m["inputs"] = inputs_json(report);
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
    m["outputs"] = nlohmann::json::array();
    for (const auto& o : report.outputs) {
        nlohmann::json j = {{"file", fs::relative(o.path, study.output_dir).generic_string()},
                            {"layer", o.layer}};
        if (o.data) {
            j["features"] = o.features;
        }
        m["outputs"].push_back(j);
    }
    return m;
}

}  // namespace

StudyReport run_study(const Study& study, const ProgressFn& progress_fn) {
    const Progress progress(progress_fn);
    if (study.output_dir.empty()) {
        throw ConfigError("no output folder given");
    }
    StudyReport report;
    // Plan: every configuration file is read here, before any data.
    const detail::Plan plan = detail::make_plan(study);
    const auto model = load(study, plan, report, scaled_progress(progress_fn, 0.0, 0.3));
    std::vector<Computed> computed = compute(plan, model, study.threads,
                                             scaled_progress(progress_fn, 0.3, 0.9));
    report.definitions_hash = sha256_hex(definitions(plan, model->crs).dump());
    progress.report(0.9, "writing outputs");
    const auto csv_files = write(study, computed, report, progress.sub(0.9, 1.0));
    report.manifest_path = (fs::path(study.output_dir) / "run.json").string();
    write_text_file(report.manifest_path,
                    manifest(study, computed, csv_files, report).dump(2) + "\n", study.write);
    progress.report(1.0, "done");
    return report;
}

}  // namespace spaceuse
