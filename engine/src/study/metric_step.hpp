#pragma once

// The generic study step that runs registered metrics (built-in or from plugins) named in a
// project's [metrics.<name>] sections and writes their output layers.

#include <spaceuse/metrics.hpp>
#include <spaceuse/plugin.hpp>
#include <spaceuse/study.hpp>

#include <nlohmann/json.hpp>

namespace spaceuse::detail {

class MetricStep {
public:
    /// Loads the plugins and checks every metric run: known name, declared options, layers
    /// present in the study. Runs before the model is loaded so mistakes fail fast.
    /// @throws ConfigError, PluginError.
    explicit MetricStep(const Study& study);

    bool empty() const noexcept { return m_study.metrics.empty(); }

    /// Computes each metric, writes `<metric>_<layer>.csv` per output layer, adds the layers
    /// with geometry to the report's results (the exporter writes them with the analyses'
    /// layers in every requested format), and returns the manifest section.
    nlohmann::json run(const Model& model, StudyReport& report, const ProgressFn& progress) const;

private:
    const Study& m_study;
    MetricRegistry m_registry;
    std::vector<PluginLoad> m_plugins;
};

}  // namespace spaceuse::detail
