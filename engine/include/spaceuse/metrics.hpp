#pragma once

/// @file metrics.hpp
/// The metric registry: every metric (built-in or from a plugin) is listed here with its name,
/// description, declared options (defaults and units), the layers it needs, its output fields,
/// and a factory. The CLI lists and validates metrics through it.

#include <spaceuse/model.hpp>
#include <spaceuse/output.hpp>
#include <spaceuse/progress.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse {

/// A declared option of a metric.
struct MetricOption {
    std::string name;
    std::string help;
    /// Default value as text ("" for none).
    std::string default_value;
    /// Unit ("m", "m2", "fraction", "" when unitless).
    std::string unit;
};

/// A declared output field of a metric.
struct MetricField {
    /// Output layer the field belongs to ("parcels", "zones", "free_space"...).
    std::string layer;
    std::string name;
    FieldType type = FieldType::real;
    std::string unit;
    std::string description;
};

/// Option values given to a metric, by name, as text; missing ones take the declared default.
class MetricOptions {
public:
    MetricOptions() = default;
    explicit MetricOptions(std::map<std::string, std::string> values) : m_values(std::move(values)) {}
    void set(const std::string& name, const std::string& value) { m_values[name] = value; }
    /// The value, or `fallback` when unset.
    std::string text(const std::string& name, const std::string& fallback = {}) const;
    /// The value as a number. @throws ConfigError when it is not one.
    double number(const std::string& name, double fallback) const;
    /// The value as a number, or nullopt when unset or empty. @throws ConfigError when it is
    /// not a number.
    std::optional<double> optional_number(const std::string& name) const;
    /// The value (or `fallback`) as a comma-separated list: spaces removed, empty items dropped.
    std::vector<std::string> list(const std::string& name, const std::string& fallback = {}) const;
    const std::map<std::string, std::string>& values() const noexcept { return m_values; }

private:
    std::map<std::string, std::string> m_values;
};

/// A metric: pure computation on the model.
class Metric {
public:
    virtual ~Metric() = default;
    /// Computes the metric's output layers. Does no I/O.
    virtual std::vector<OutputLayer> compute(const Model& model, const MetricOptions& options,
                                             const ProgressFn& progress) const = 0;
};

/// Everything the registry knows of one metric.
struct MetricInfo {
    std::string name;
    std::string description;
    /// "built-in" or the path of the plugin that registered it.
    std::string origin = "built-in";
    /// Model layer roles the metric needs ("zones", "parcels"...).
    std::vector<std::string> layers;
    std::vector<MetricOption> options;
    std::vector<MetricField> outputs;
    std::function<std::unique_ptr<Metric>()> factory;
};

/// Name → metric. Registering a name twice from the same origin is harmless (the second call
/// is ignored); from another origin it is an error.
class MetricRegistry {
public:
    /// Adds a metric. @returns false when it was already registered from the same origin.
    /// @throws PluginError when another origin registered the name.
    bool add(MetricInfo info);
    /// The metric named `name`, or nullptr.
    const MetricInfo* find(const std::string& name) const;
    /// All metrics in registration order.
    const std::vector<MetricInfo>& all() const noexcept { return m_metrics; }

private:
    std::vector<MetricInfo> m_metrics;
};

/// Registers the built-in metrics (occupancy, free_space, access) — one explicit list — and the
/// plugins compiled into the engine (CMake option SPACEUSE_SHARED_PLUGINS=OFF).
void register_builtin_metrics(MetricRegistry& registry);

}  // namespace spaceuse
