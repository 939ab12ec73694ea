#include "metric_step.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/output.hpp>

#include <algorithm>
#include <filesystem>

namespace spaceuse::detail {

namespace {

std::string join(const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items) {
        s += (s.empty() ? "" : ", ") + i;
    }
    return s;
}

}  // namespace

MetricStep::MetricStep(const Study& study) : m_study(study) {
    if (study.metrics.empty() && study.plugins.empty()) {
        return;
    }
    register_builtin_metrics(m_registry);
    m_plugins = load_plugins(m_registry, study.plugins);
    std::vector<std::string> roles;
    for (const auto& [role, source] : study.layers) {
        roles.push_back(role);
    }
    for (const auto& run : study.metrics) {
        const MetricInfo* info = m_registry.find(run.name);
        if (info == nullptr) {
            std::vector<std::string> names;
            for (const auto& m : m_registry.all()) {
                names.push_back(m.name);
            }
            std::string failed;
            for (const auto& p : m_plugins) {
                if (!p.error.empty()) {
                    failed += "; not loaded: " + p.error;
                }
            }
            throw ConfigError(run.where + ": no metric named '" + run.name + "' (registered: " +
                              join(names) + ")" + failed);
        }
        std::vector<std::string> declared;
        for (const auto& o : info->options) {
            declared.push_back(o.name);
        }
        for (const auto& [key, value] : run.options) {
            if (std::find(declared.begin(), declared.end(), key) == declared.end()) {
                throw ConfigError(run.where + " key '" + key + "' is not an option of metric '" +
                                  run.name + "' (options: " + join(declared) + ")");
            }
        }
        for (const auto& layer : info->layers) {
            if (std::find(roles.begin(), roles.end(), layer) == roles.end()) {
                throw ConfigError(run.where + ": metric '" + run.name + "' needs a '" + layer +
                                  "' layer ([layers." + layer + "])");
            }
        }
    }
}

nlohmann::json MetricStep::run(const Model& model, StudyReport& report,
                               const ProgressFn& progress) const {
    namespace fs = std::filesystem;
    nlohmann::json manifest = nlohmann::json::array();
    const double n = static_cast<double>(m_study.metrics.size());
    for (std::size_t i = 0; i < m_study.metrics.size(); ++i) {
        const MetricRun& run = m_study.metrics[i];
        const MetricInfo& info = *m_registry.find(run.name);
        MetricOptions options(run.options);
        if (options.text("threads").empty()) {
            options.set("threads", std::to_string(m_study.threads));
        }
        std::vector<OutputLayer> layers;
        try {
            layers = info.factory()->compute(
                model, options, scaled_progress(progress, i / n, (i + 1) / n));
        } catch (ConfigError& e) {
            throw ConfigError(run.where + ": " + e.what());
        }
        nlohmann::json files = nlohmann::json::array();
        for (auto& layer : layers) {
            // Prefixed so metric outputs never replace the analyses' parcels.geojson etc.
            if (layer.name.rfind(run.name, 0) != 0) {
                layer.name = run.name + "_" + layer.name;
            }
            // Every layer as a CSV table; layers with geometry also go to the exporter with the
            // analyses' layers (GeoJSON, GeoPackage... as the study's [export] asks).
            const std::string csv = (fs::path(m_study.output_dir) / (layer.name + ".csv")).string();
            write_csv(layer, csv, m_study.write);
            report.outputs.push_back({csv, layer.name, layer.rows.size()});
            files.push_back(layer.name + ".csv");
            if (layer.has_geometry()) {
                report.results.push_back(std::move(layer));
            }
        }
        nlohmann::json opts = nlohmann::json::object();
        for (const auto& o : info.options) {
            opts[o.name] = options.text(o.name, o.default_value);
        }
        manifest.push_back(
            {{"metric", run.name}, {"origin", info.origin}, {"options", opts}, {"files", files}});
    }
    return manifest;
}

}  // namespace spaceuse::detail
