#pragma once

// The built-in metrics' registration functions (one per source file, called from the one
// explicit list in register_builtin_metrics) and what the study needs of them beyond the
// public Metric interface.

#include <spaceuse/metrics.hpp>

#include <nlohmann/json.hpp>

#include <type_traits>
#include <variant>

namespace spaceuse::detail {

/// occupancy and free_space (engine/src/metrics/occupancy_metric.cpp).
void register_occupancy_metrics(MetricRegistry& registry);
/// access (engine/src/metrics/access_metric.cpp).
void register_access_metric(MetricRegistry& registry);
/// definitions (engine/src/metrics/definitions_metric.cpp).
void register_definitions_metric(MetricRegistry& registry);
/// scenarios (engine/src/metrics/scenarios_metric.cpp).
void register_scenarios_metric(MetricRegistry& registry);

/// A std::variant whose first alternative is std::monostate (Value, OptionValue) as JSON: null,
/// or the alternative's value.
template <typename Variant>
nlohmann::json variant_json(const Variant& value) {
    return std::visit(
        [](const auto& v) -> nlohmann::json {
            if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) {
                return nullptr;
            } else {
                return v;
            }
        },
        value);
}

/// The option values of a run as JSON (all of them, or only those that change results).
nlohmann::json options_json(const MetricInfo& info, const MetricOptions& options,
                            bool results_only);

/// Option values written by options_json, back as options: typed by `info`'s declarations when
/// given (null: by their JSON types).
MetricOptions options_from_json(const MetricInfo* info, const nlohmann::json& values);

/// A built-in metric that adds its own section to the run manifest (`run.json`).
class ManifestSection {
public:
    virtual ~ManifestSection() = default;
    /// Adds the metric's section (resolved settings, counts, totals) to `manifest`. Called
    /// after the write stage: read the typed result (`result.data`), not its layers, which
    /// the writer may have taken.
    virtual void manifest(const MetricResult& result, nlohmann::json& manifest) const = 0;
};

}  // namespace spaceuse::detail
