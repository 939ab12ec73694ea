#pragma once

// The plan stage of a study: everything resolved before any data is read — the registry (with
// plugins), every metric's typed options and configuration files, the run order from what each
// metric uses, and the layers to load with their geometry kinds.

#include <spaceuse/io.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/plugin.hpp>
#include <spaceuse/study.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse::detail {

/// One metric of the plan.
struct PlannedMetric {
    const MetricInfo* info = nullptr;
    MetricOptions options;
    std::unique_ptr<Metric> metric;
    /// Where it was configured, for error messages.
    std::string where;
    /// Asked for by the study (its layers are written); false for a metric that runs only
    /// because another one uses its results.
    bool write = true;
    /// The metrics whose results it reads: MetricInfo::uses, then Metric::more_uses.
    std::vector<std::string> uses;
};

/// A planned study.
struct Plan {
    MetricRegistry registry;
    std::vector<PluginLoad> plugins;
    /// In run order: every metric after the metrics it uses.
    std::vector<PlannedMetric> metrics;
    std::vector<LayerRequest> layers;
    /// Role → names of its layers in the model, in source order.
    std::map<std::string, std::vector<std::string>> roles;
};

/// Plans `study`. @throws ConfigError (unknown metric, option or role, missing layer, a cycle in
/// what metrics use), PluginError.
Plan make_plan(const Study& study);

/// Checks that the fields of `layer` are exactly those `spec` declares (templates "{K}" match
/// one group of fields per value, optional fields may be missing).
/// @returns an empty string when they are, else what differs.
std::string check_declared_fields(const OutputSpec& spec, const OutputLayer& layer);

/// Checks that every value of `layer` has its field's type (null, or an integer in an integer
/// field, a real in a real field, a text in a string or date field), so results write and
/// reopen as they are. @returns an empty string when they do, else the first that does not.
std::string check_value_types(const OutputLayer& layer);

/// SHA-256 (lower-case hex) of a file's content, as the manifest records an input's; nullopt
/// when `path` is not a readable regular file (a connection string, a folder).
std::optional<std::string> content_sha256(const std::string& path);

}  // namespace spaceuse::detail
