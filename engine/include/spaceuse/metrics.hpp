#pragma once

/// @file metrics.hpp
/// The one metric system. Every analysis — the built-in occupancy, free space and access as
/// much as any plugin's — is a registered metric that declares, once: its name and description,
/// the layers it reads (role, geometry kind, required or optional, one or many), its options
/// (type, default, unit, range or choices, help), the metrics whose results it uses, and its
/// output layers with their fields. Option values are parsed and checked once from these
/// declarations into typed values; the CLI's flags, the project file's keys, `spaceuse metrics
/// --json` and the run manifest all come from them.
///
/// A metric runs in two steps: `configure` (the plan stage: it may read the configuration files
/// its options name, such as profiles or speed tables, and checks its options; no data is read)
/// and `compute` (pure computation on the model and the results of the metrics it uses; no I/O).

#include <spaceuse/model.hpp>
#include <spaceuse/output.hpp>
#include <spaceuse/progress.hpp>

#include <algorithm>
#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace spaceuse {

/// Type of a metric option.
enum class OptionType {
    number,       ///< a real number
    integer,      ///< a whole number
    boolean,      ///< true or false
    text,         ///< free text
    choice,       ///< one of OptionSpec::choices
    list,         ///< a list of texts (TOML list, repeated flag or "a,b,c")
    number_list,  ///< a list of numbers (TOML list or "5,10,15")
    date,         ///< an ISO 8601 date, YYYY-MM-DD
    file,         ///< a path to a file, relative to the project file
    folder,       ///< a path to a folder, relative to the project file
    field         ///< the name of a field of the layer OptionSpec::layer
};

/// "number", "integer", "boolean", "text", "choice", "list", "number_list", "date", "file",
/// "folder", "field".
const char* option_type_name(OptionType type) noexcept;

/// A typed option value; std::monostate when the option is unset and has no default.
using OptionValue = std::variant<std::monostate, bool, std::int64_t, double, std::string,
                                 std::vector<std::string>, std::vector<double>>;

/// An option value as a user gave it, before it is checked: text (a CLI flag or a TOML string;
/// lists and numbers are parsed from it), a number, a boolean, or a list.
using RawOption = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>,
                               std::vector<double>>;

/// The declaration of one option. Declare with designated initializers:
/// `{.name = "max_snap_m", .type = OptionType::number, .help = "...", .default_value = 500.0,
/// .unit = "m", .min = 0.0, .min_exclusive = true}`.
struct OptionSpec {
    std::string name;
    OptionType type = OptionType::text;
    std::string help;
    /// Default value (std::monostate: none, the option is unset unless given).
    OptionValue default_value;
    /// Unit ("m", "m2", "min", "fraction", "" when unitless).
    std::string unit;
    /// Allowed range of a number, an integer or the items of a number list.
    std::optional<double> min;
    std::optional<double> max;
    /// The minimum itself is not allowed (a value must be > min).
    bool min_exclusive = false;
    /// Allowed values of a choice.
    std::vector<std::string> choices;
    /// For a field: the role of the layer that must hold it.
    std::string layer;
    /// Spelling of the command-line flag (without dashes) when a command offers the option;
    /// empty for none. A boolean whose flag starts with "no-" sets the option to false.
    std::string flag;
    /// Whether the value changes results (and so the definitions hash).
    bool affects_results = true;
    /// For a boolean: when true, the metric of this name also runs, right after this one (e.g.
    /// occupancy's free_space adds the free_space metric, which shapes the free pieces).
    std::string adds_metric;
};

/// The declaration of a layer a metric reads.
struct LayerSpec {
    LayerSpec() = default;
    LayerSpec(std::string role_name, GeometryFamily kind, bool is_required = true,
              bool is_many = false, std::string help_text = {}, std::string role_from = {})
        : role(std::move(role_name)),
          geometry(kind),
          required(is_required),
          many(is_many),
          help(std::move(help_text)),
          role_option(std::move(role_from)) {}

    /// Role of the layer in the project ([layers.<role>]).
    std::string role;
    GeometryFamily geometry = GeometryFamily::polygon;
    bool required = true;
    /// Several sources may share the role (e.g. facility layers).
    bool many = false;
    std::string help;
    /// When set, the role is the value of this option (e.g. access's "origins"); `role` is then
    /// only a name for the declaration.
    std::string role_option;
};

/// A declared output field. A name holding "{K}" is a template for a family of fields (one per
/// kind, per band...): its fields come in groups, one group per value of K.
struct FieldSpec {
    FieldSpec() = default;
    FieldSpec(std::string field_name, FieldType field_type, std::string field_unit = {},
              std::string text = {}, bool is_optional = false)
        : name(std::move(field_name)),
          type(field_type),
          unit(std::move(field_unit)),
          description(std::move(text)),
          optional(is_optional) {}

    std::string name;
    FieldType type = FieldType::real;
    std::string unit;
    std::string description;
    /// The field is written only in some configurations (e.g. with an opportunities layer).
    bool optional = false;
};

/// A declared output layer (or table) of a metric.
struct OutputSpec {
    /// Name of the layer in the outputs (`<name>.geojson`, `<name>.csv`...). Unique across the
    /// registry.
    std::string name;
    std::string description;
    /// The layer has geometries (written in every export format); else it is a table.
    bool geometry = true;
    /// The layer is also written as `<name>.csv`.
    bool csv = false;
    std::vector<FieldSpec> fields;
};

class Metric;

/// Everything the registry knows of one metric: its declarations and a factory.
struct MetricInfo {
    std::string name;
    std::string description;
    /// "built-in" or the path of the plugin that registered it.
    std::string origin = "built-in";
    std::vector<LayerSpec> layers;
    std::vector<OptionSpec> options;
    /// Metrics whose results this one reads; they run first, also when not asked for.
    std::vector<std::string> uses;
    std::vector<OutputSpec> outputs;
    std::function<std::unique_ptr<Metric>()> factory;

    /// The option named `name`, or nullptr.
    const OptionSpec* option(const std::string& option_name) const;
};

/// Typed option values of one metric run, parsed and checked from the declarations: every
/// declared option is present (given, else its default, else unset).
class MetricOptions {
public:
    MetricOptions() = default;
    /// Values by option name (already typed; see parse_options).
    explicit MetricOptions(std::map<std::string, OptionValue> values)
        : m_values(std::move(values)) {}

    /// Whether the option has a value.
    bool has(const std::string& name) const;
    /// A number or integer option as a double. @throws ConfigError when unset or of another type.
    double number(const std::string& name) const;
    /// A number option, or nullopt when unset.
    std::optional<double> optional_number(const std::string& name) const;
    std::int64_t integer(const std::string& name) const;
    bool flag(const std::string& name) const;
    /// A text, choice, date, file, folder or field option ("" when unset).
    const std::string& text(const std::string& name) const;
    /// A list option (empty when unset).
    const std::vector<std::string>& list(const std::string& name) const;
    /// A number list option (empty when unset).
    const std::vector<double>& numbers(const std::string& name) const;
    const OptionValue& value(const std::string& name) const;
    const std::map<std::string, OptionValue>& values() const noexcept { return m_values; }

private:
    std::map<std::string, OptionValue> m_values;
};

/// Parses and checks given option values against a metric's declarations: unknown names,
/// wrong types, values out of range or not among the choices are errors; files and folders
/// relative to `base_dir` (when not empty) are made relative to it; missing options take their
/// declared default.
/// @param where prefix of error messages ("project.toml: [access]").
/// @throws ConfigError naming `where`, the option and what is wrong.
MetricOptions parse_options(const MetricInfo& info, const std::map<std::string, RawOption>& given,
                            const std::string& where, const std::string& base_dir = {});

/// An option value as text, as a user would write it ("" for unset; lists comma-separated).
std::string option_text(const OptionValue& value);

class MetricRegistry;

/// The configuration a metric sees in the plan stage.
struct MetricPlan {
    /// Folder of the project file (relative paths in options resolve against it; empty: the
    /// current directory).
    std::string base_dir;
    /// Folders where named profiles are looked up (see profile.hpp).
    std::vector<std::string> profile_dirs;
    /// The options of the metrics this one uses (configured before it), by name.
    std::map<std::string, const MetricOptions*> used;
    /// Number of sources of each layer role of the study (a role with several sources, such
    /// as facilities, counts each).
    std::map<std::string, std::size_t> sources;
    /// The registry of the run (with its plugins): which metric declares an output layer.
    const MetricRegistry* registry = nullptr;
    /// The metrics the study configures (asked for, or configured for the metrics that use
    /// them), by name.
    std::vector<std::string> configured;

    /// Whether the study configures the metric `name`.
    bool configures(const std::string& name) const {
        return std::find(configured.begin(), configured.end(), name) != configured.end();
    }

    /// The options of the used metric `name`, or nullptr.
    const MetricOptions* used_options(const std::string& name) const {
        const auto it = used.find(name);
        return it == used.end() ? nullptr : it->second;
    }
    /// Number of sources of `role` (0 when the study has none).
    std::size_t source_count(const std::string& role) const {
        const auto it = sources.find(role);
        return it == sources.end() ? 0 : it->second;
    }
};

/// What a metric computes from.
class MetricInput {
public:
    MetricInput(std::shared_ptr<const Model> model, const MetricOptions& options, unsigned threads,
                ProgressFn progress,
                std::function<const std::any*(const std::string&)> results = {},
                std::function<std::vector<const Layer*>(const std::string&)> layers = {},
                std::function<const OutputLayer*(const std::string&)> outputs = {})
        : m_model(std::move(model)),
          m_options(options),
          m_threads(threads),
          m_progress(std::move(progress)),
          m_results(std::move(results)),
          m_layers(std::move(layers)),
          m_outputs(std::move(outputs)) {}

    const Model& model() const noexcept { return *m_model; }
    /// The model's owner: output layers with one row per feature of a model layer can borrow
    /// its geometries through it (OutputLayer::geometry_source) instead of copying them.
    const std::shared_ptr<const Model>& shared_model() const noexcept { return m_model; }
    const MetricOptions& options() const noexcept { return m_options; }
    /// Worker threads (0: all cores). Results never depend on it.
    unsigned threads() const noexcept { return m_threads; }
    const ProgressFn& progress() const noexcept { return m_progress; }

    /// The typed result of a metric this one declared in `uses`.
    /// @throws ConfigError when that metric's result is not of type T or was not computed.
    template <typename T>
    const T& result(const std::string& metric) const {
        return *shared_result<T>(metric);
    }

    /// The same result with its owner: output layers can borrow what it holds
    /// (OutputLayer::geometry_at) instead of copying it. @throws ConfigError as result().
    template <typename T>
    const std::shared_ptr<const T>& shared_result(const std::string& metric) const {
        const std::any* r = m_results ? m_results(metric) : nullptr;
        const auto* p = r == nullptr ? nullptr : std::any_cast<std::shared_ptr<const T>>(r);
        if (p == nullptr || !*p) {
            throw_missing_result(metric);
        }
        return *p;
    }

    /// The model layers of a role, in source order (several for a role with many sources);
    /// empty when the project has none.
    std::vector<const Layer*> layers(const std::string& role) const {
        if (m_layers) {
            return m_layers(role);
        }
        const Layer* l = m_model->find(role);
        return l == nullptr ? std::vector<const Layer*>{} : std::vector<const Layer*>{l};
    }

    /// The output layer `name` of a metric this one uses (declared in `uses` or returned by
    /// Metric::more_uses), as that metric computed it; nullptr when no such metric ran. Lets a
    /// metric read the figures of any other, plugins included, by their declared fields.
    const OutputLayer* output_layer(const std::string& name) const {
        return m_outputs ? m_outputs(name) : nullptr;
    }

private:
    [[noreturn]] static void throw_missing_result(const std::string& metric);

    std::shared_ptr<const Model> m_model;
    MetricOptions m_options;
    unsigned m_threads = 0;
    ProgressFn m_progress;
    std::function<const std::any*(const std::string&)> m_results;
    std::function<std::vector<const Layer*>(const std::string&)> m_layers;
    std::function<const OutputLayer*(const std::string&)> m_outputs;
};

/// What a metric computed: its output layers (as declared) and, for metrics whose results
/// others use, its typed result (a std::shared_ptr<const T>, read with MetricInput::result<T>).
struct MetricResult {
    std::vector<OutputLayer> layers;
    std::any data;

    /// Sets the typed result the metrics that use this one read (stored as shared_ptr<const T>).
    template <typename T>
    void set_data(std::shared_ptr<T> value) {
        data = std::shared_ptr<const T>(std::move(value));
    }
};

/// A metric. The factory makes one object per run; configure is called once, then compute.
class Metric {
public:
    virtual ~Metric() = default;
    /// Metrics whose results this one reads beyond MetricInfo::uses, known only from its
    /// options (e.g. the output layers a scenario file's criteria name). Called in the plan
    /// stage before configure, with `plan.used` still empty; may read the files its options
    /// name. The metrics returned run first, as those of `uses` do. Default: none.
    /// @throws ConfigError.
    virtual std::vector<std::string> more_uses(const MetricOptions& options,
                                               const MetricPlan& plan) const {
        (void)options;
        (void)plan;
        return {};
    }
    /// The plan stage: checks the options and reads the configuration files they name. The
    /// only step allowed to read files. Default: nothing to do.
    /// @throws ConfigError.
    virtual void configure(const MetricOptions& options, const MetricPlan& plan) {
        (void)options;
        (void)plan;
    }
    /// What defines the results beyond the options, as "key = value" lines (e.g. the content of
    /// a resolved profile), for the definitions hash. Default: nothing.
    virtual std::vector<std::pair<std::string, std::string>> definition() const { return {}; }
    /// Computes the output layers (and the typed result). Does no I/O.
    virtual MetricResult compute(const MetricInput& input) const = 0;
};

/// Name → metric. Registering a name twice from the same origin is harmless (the second call
/// is ignored); from another origin it is an error.
class MetricRegistry {
public:
    /// Adds a metric. @returns false when it was already registered from the same origin.
    /// @throws PluginError when another origin registered the name, when an output layer name
    ///         is already declared by another metric, or when a declaration is inconsistent
    ///         (no factory, an option default of the wrong type, a field option without layer).
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

/// Runs one metric on a model outside a study (tests, tools, embedding): parses `options` against
/// its declarations, configures it, computes the metrics it uses first (with the options given
/// for them in `used`, else their defaults) and returns its result. Roles are the model's layer
/// names.
/// @throws ConfigError (unknown metric or option, missing layer), and what the metric throws.
MetricResult run_metric(const MetricRegistry& registry, const std::string& name,
                        std::shared_ptr<const Model> model,
                        const std::map<std::string, RawOption>& options = {}, unsigned threads = 0,
                        const std::map<std::string, std::map<std::string, RawOption>>& used = {});

/// Version of the `spaceuse metrics --json` format.
inline constexpr int metrics_json_version = 1;

/// Every declaration of the registry as JSON text (`spaceuse metrics --json`), with the format
/// version.
std::string metrics_json(const MetricRegistry& registry);

}  // namespace spaceuse
