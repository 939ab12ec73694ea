#pragma once

// What a tool driving spaceuse (QGIS's Processing toolbox, scripts) needs to know of the commands:
// `spaceuse describe --json`. The description is read off the CLI11 option tree itself — names,
// help, defaults, required, repeatable — plus what CLI11 cannot hold, recorded here by the same
// calls that declare the options: which option is a layer of which role (its geometry kind comes
// from the metrics' layer declarations), a field of which layer, a number's range and unit, a
// choice's values, a file's extension, an output folder. Metric options are annotated from their
// declarations by MetricFlags. Nothing is written twice.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace spaceuse::cli {

/// Version of the `spaceuse describe --json` format. A reader accepts the versions it knows;
/// additions that old readers may ignore keep the version, anything else raises it.
inline constexpr int describe_format_version = 1;

/// What CLI11 cannot hold about one option.
struct ParamKind {
    /// "vector_layer", "layer_name", "filter", "field", "number", "integer", "boolean", "enum",
    /// "text", "list", "number_list", "date", "file", "folder", "output_folder", "source"
    /// (a results folder, snapshot, project file or PG: reference), "database" (a PostgreSQL
    /// connection, PG:...).
    std::string type;
    /// vector_layer: the layer role it fills; layer_name, filter, field: the role of its layer.
    std::string role;
    std::string unit;
    std::optional<double> min;
    std::optional<double> max;
    bool min_exclusive = false;
    std::vector<std::string> choices;
    /// file: expected extension ("toml").
    std::string extension;
    /// A boolean whose flag turns the option off (`--no-free-space`): the parameter is the
    /// option itself (`free_space`), and giving the flag sets it to false.
    bool negated = false;
    /// The parameter's name when it is not the flag's (negated booleans).
    std::string name;
    /// The default, as text, when CLI11 does not hold it (booleans of metric options).
    std::string default_text;
    /// A tool may tuck it away (filters, precision, threads...).
    bool advanced = false;
};

/// The default a description shows when CLI11 does not hold it (it is not shown in --help
/// either, where the help text states it).
CLI::Option* default_param(CLI::Option* option, const std::string& text);

/// Records `kind` for `option`; returns `option` (for chaining).
CLI::Option* describe_as(CLI::Option* option, ParamKind kind);

/// A layer input of role `role`.
CLI::Option* layer_param(CLI::Option* option, const std::string& role);
/// The layer name (`--zones-layer`), filter (`--zones-where`) or a field (`--zone-id`) of the
/// layer of role `role`.
CLI::Option* layer_name_param(CLI::Option* option, const std::string& role);
CLI::Option* filter_param(CLI::Option* option, const std::string& role);
CLI::Option* field_param(CLI::Option* option, const std::string& role);
/// A number (or, with `integer`, a whole number) in [min, max]: adds the CLI11 range check and
/// records the range.
CLI::Option* range_param(CLI::Option* option, double min, double max, bool integer = false,
                         const std::string& unit = {});
/// One of `choices`: adds the CLI11 membership check and records the choices.
CLI::Option* choice_param(CLI::Option* option, const std::vector<std::string>& choices,
                          bool ignore_case = false);
/// A file with extension `extension` ("toml"), a folder, an output folder, a source of results.
CLI::Option* file_param(CLI::Option* option, const std::string& extension);
CLI::Option* output_folder_param(CLI::Option* option);
CLI::Option* source_param(CLI::Option* option);
/// A PostgreSQL connection (PG:...): a tool may offer its stored connections.
CLI::Option* database_param(CLI::Option* option);
/// Marks an option as advanced; returns it.
CLI::Option* advanced(CLI::Option* option);

/// Lists `sub` in the description: a command a tool may offer. `metrics` are the metrics it runs
/// (their layer declarations give the layers' geometry kinds, their outputs the command's);
/// empty for commands whose outputs are not metrics' (diff, trend) or depend on a project (run).
void describe_command(CLI::App* sub, const std::vector<std::string>& metrics);

/// The description of every listed subcommand of `app`, with the metric registry's declarations
/// (`spaceuse metrics --json`'s content) under "metrics".
nlohmann::ordered_json describe_json(const CLI::App& app, const std::string& version);

}  // namespace spaceuse::cli
