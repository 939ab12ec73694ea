#include "describe.hpp"

#include "metric_flags.hpp"

#include <spaceuse/metrics.hpp>

#include <map>
#include <set>

namespace spaceuse::cli {

namespace {

// The annotations live for the process: commands declare their options once, at start-up.
std::map<const CLI::Option*, ParamKind>& kinds() {
    static std::map<const CLI::Option*, ParamKind> k;
    return k;
}

struct ListedCommand {
    const CLI::App* sub = nullptr;
    std::vector<std::string> metrics;
};

std::vector<ListedCommand>& listed() {
    static std::vector<ListedCommand> l;
    return l;
}

ParamKind& kind_of(CLI::Option* option) { return kinds()[option]; }

/// Sets the type (and the layer role) an option is described with; returns the annotation.
ParamKind& typed(CLI::Option* option, const char* type, const std::string& role = {}) {
    auto& k = kinds()[option];
    k.type = type;
    if (!role.empty()) {
        k.role = role;
    }
    return k;
}

/// "--zones-layer" → "zones_layer"; a positional's own name.
std::string param_name(const CLI::Option& o) {
    std::string name = o.get_lnames().empty() ? o.get_name(true) : o.get_lnames().front();
    for (auto& c : name) {
        if (c == '-') {
            c = '_';
        }
    }
    return name;
}

/// "--zones"; "-o" for an option with a short name only; empty for a positional.
std::string flag_of(const CLI::Option& o) {
    if (!o.get_lnames().empty()) {
        return "--" + o.get_lnames().front();
    }
    return o.get_snames().empty() ? std::string() : "-" + o.get_snames().front();
}

/// The type of an option nobody annotated, from what CLI11 knows: flags are booleans, numbers
/// keep their C++ type's name.
std::string inferred_type(const CLI::Option& o) {
    if (o.get_expected_max() == 0) {  // CLI11 flags expect no value
        return "boolean";
    }
    // Validators append their own text ("INT:INT in [1 - 8]"): the type is the first word.
    const std::string full = o.get_type_name();
    const std::string t = full.substr(0, full.find_first_of(": "));
    if (t == "INT" || t == "UINT") {
        return "integer";
    }
    if (t == "FLOAT") {
        return "number";
    }
    return "text";
}

/// The default as JSON, typed.
nlohmann::ordered_json default_json(const CLI::Option& o, const std::string& type,
                                    const ParamKind& k) {
    const std::string d = k.default_text.empty() ? o.get_default_str() : k.default_text;
    if (type == "boolean") {
        return d == "true" || d == "1";
    }
    if (d.empty()) {
        return nullptr;
    }
    if (type == "number" || type == "integer") {
        try {
            std::size_t used = 0;
            const double v = std::stod(d, &used);
            if (used == d.size()) {
                if (type == "integer") {
                    return static_cast<long long>(v);
                }
                return v;
            }
        } catch (const std::exception&) {
        }
    }
    return d;
}

const MetricInfo* metric_info(const std::string& name) { return builtin_registry().find(name); }

/// Geometry kind of a layer role, from the metrics' declarations ("any" when none declares it).
std::string geometry_of(const std::vector<std::string>& metrics, const std::string& role) {
    std::set<std::string> seen;
    std::vector<std::string> todo = metrics;
    while (!todo.empty()) {
        const std::string name = todo.back();
        todo.pop_back();
        if (!seen.insert(name).second) {
            continue;
        }
        const MetricInfo* info = metric_info(name);
        if (info == nullptr) {
            continue;
        }
        for (const auto& l : info->layers) {
            if (l.role == role) {
                return family_name(l.geometry);
            }
        }
        todo.insert(todo.end(), info->uses.begin(), info->uses.end());
    }
    return "any";
}

nlohmann::ordered_json describe_option(const CLI::Option& o, const ListedCommand& c) {
    const auto it = kinds().find(&o);
    const ParamKind k = it != kinds().end() ? it->second : ParamKind{};
    const std::string type = k.type.empty() ? inferred_type(o) : k.type;
    nlohmann::ordered_json j;
    j["name"] = k.name.empty() ? param_name(o) : k.name;
    j["flag"] = flag_of(o);
    j["positional"] = !o.nonpositional();
    j["type"] = type;
    if (type == "vector_layer") {
        j["role"] = k.role;
        j["geometry"] = geometry_of(c.metrics, k.role);
    } else if (!k.role.empty()) {
        j["layer_role"] = k.role;
    }
    j["required"] = o.get_required();
    j["multiple"] = o.get_expected_max() > 1 || o.get_items_expected_max() > 1;
    j["default"] = default_json(o, type, k);
    if (!k.unit.empty()) {
        j["unit"] = k.unit;
    }
    if (k.min) {
        j[k.min_exclusive ? "exclusive_min" : "min"] = *k.min;
    }
    if (k.max) {
        j["max"] = *k.max;
    }
    if (!k.choices.empty()) {
        j["choices"] = k.choices;
    }
    if (!k.extension.empty()) {
        j["extension"] = k.extension;
    }
    if (k.negated) {
        j["negated"] = true;
    }
    j["advanced"] = k.advanced;
    j["group"] = o.get_group();
    j["help"] = o.get_description();
    return j;
}

}  // namespace

CLI::Option* describe_as(CLI::Option* option, ParamKind kind) {
    kinds()[option] = std::move(kind);
    return option;
}

CLI::Option* layer_param(CLI::Option* option, const std::string& role) {
    typed(option, "vector_layer", role);
    return option;
}

CLI::Option* layer_name_param(CLI::Option* option, const std::string& role) {
    typed(option, "layer_name", role).advanced = true;
    return option;
}

CLI::Option* filter_param(CLI::Option* option, const std::string& role) {
    typed(option, "filter", role).advanced = true;
    return option;
}

CLI::Option* field_param(CLI::Option* option, const std::string& role) {
    typed(option, "field", role);
    return option;
}

CLI::Option* range_param(CLI::Option* option, double min, double max, bool integer,
                         const std::string& unit) {
    if (integer) {
        option->check(CLI::Range(static_cast<long long>(min), static_cast<long long>(max)));
    } else {
        option->check(CLI::Range(min, max));
    }
    auto& k = typed(option, integer ? "integer" : "number");
    k.min = min;
    k.max = max;
    k.unit = unit;
    return option;
}

CLI::Option* choice_param(CLI::Option* option, const std::vector<std::string>& choices,
                          bool ignore_case) {
    if (ignore_case) {
        option->check(CLI::IsMember(choices, CLI::ignore_case));
    } else {
        option->check(CLI::IsMember(choices));
    }
    typed(option, "enum").choices = choices;
    return option;
}

CLI::Option* file_param(CLI::Option* option, const std::string& extension) {
    typed(option, "file").extension = extension;
    return option;
}

CLI::Option* output_folder_param(CLI::Option* option) {
    typed(option, "output_folder");
    return option;
}

CLI::Option* database_param(CLI::Option* option) {
    typed(option, "database");
    return option;
}

CLI::Option* source_param(CLI::Option* option) {
    typed(option, "source");
    return option;
}

CLI::Option* default_param(CLI::Option* option, const std::string& text) {
    kind_of(option).default_text = text;
    return option;
}

CLI::Option* advanced(CLI::Option* option) {
    kind_of(option).advanced = true;
    return option;
}

void describe_command(CLI::App* sub, const std::vector<std::string>& metrics) {
    listed().push_back({sub, metrics});
}

nlohmann::ordered_json describe_json(const CLI::App& app, const std::string& version) {
    nlohmann::ordered_json root;
    root["format"] = "spaceuse-describe";
    root["format_version"] = describe_format_version;
    root["version"] = version;
    root["global"] = nlohmann::ordered_json::array();
    root["commands"] = nlohmann::ordered_json::array();
    for (const auto& c : listed()) {
        if (c.sub->get_parent() != &app) {
            continue;
        }
        nlohmann::ordered_json cj;
        cj["name"] = c.sub->get_name();
        cj["help"] = c.sub->get_description();
        cj["metrics"] = c.metrics;
        cj["parameters"] = nlohmann::ordered_json::array();
        for (const CLI::Option* o : c.sub->get_options()) {
            if (o->get_lnames() == std::vector<std::string>{"help"}) {
                continue;
            }
            cj["parameters"].push_back(describe_option(*o, c));
        }
        // The outputs of the metrics the command runs (and of those they use), declared once.
        cj["outputs"] = nlohmann::ordered_json::array();
        std::set<std::string> seen;
        std::vector<std::string> order;
        std::vector<std::string> todo(c.metrics.rbegin(), c.metrics.rend());
        while (!todo.empty()) {
            const std::string name = todo.back();
            todo.pop_back();
            if (!seen.insert(name).second) {
                continue;
            }
            order.push_back(name);
            if (const MetricInfo* info = metric_info(name)) {
                todo.insert(todo.end(), info->uses.rbegin(), info->uses.rend());
                for (const auto& o : info->options) {
                    if (!o.adds_metric.empty()) {
                        todo.push_back(o.adds_metric);  // e.g. occupancy's free_space
                    }
                }
            }
        }
        for (const auto& name : order) {
            const MetricInfo* info = metric_info(name);
            if (info == nullptr) {
                continue;
            }
            for (const auto& out : info->outputs) {
                nlohmann::ordered_json oj;
                oj["name"] = out.name;
                oj["metric"] = name;
                oj["geometry"] = out.geometry;
                oj["description"] = out.description;
                cj["outputs"].push_back(oj);
            }
        }
        root["commands"].push_back(cj);
    }
    for (const CLI::Option* o : app.get_options()) {
        if (o->get_lnames() == std::vector<std::string>{"help"} ||
            o->get_lnames() == std::vector<std::string>{"version"}) {
            continue;
        }
        root["global"].push_back(describe_option(*o, ListedCommand{&app, {}}));
    }
    root["metrics"] = nlohmann::ordered_json::parse(metrics_json(builtin_registry()));
    return root;
}

}  // namespace spaceuse::cli
