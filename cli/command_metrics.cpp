#include "command_metrics.hpp"

#include "console.hpp"
#include "describe.hpp"
#include <spaceuse/error.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/plugin.hpp>

#include <cstdio>

namespace spaceuse::cli {

CLI::App* CommandMetrics::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "metrics", "List the metrics in the registry (built-in and from plugins), or show one");
    sub->add_option("name", m_name, "Metric to show in full");
    sub->add_option("--plugin", m_plugins, "Metric plugin module to load (repeatable)");
    sub->add_flag("--json", m_json, "Print every declaration as JSON (with a format version)");
    sub->footer("Plugins spaceuse_metric_<name>.so are also loaded from SPACEUSE_PLUGIN_PATH "
                "(absolute folders separated by ':') and from the install's plugin folder.");
    return sub;
}

namespace {

std::string describe_default(const OptionSpec& o) {
    const std::string d = option_text(o.default_value);
    return d.empty() ? "-" : d;
}

void print_summary(const MetricInfo& m) {
    std::printf("%-12s %s\n", m.name.c_str(), m.origin.c_str());
    std::printf("    %s\n    options:", m.description.c_str());
    for (const auto& o : m.options) {
        std::printf(" %s", o.name.c_str());
    }
    if (!m.uses.empty()) {
        std::printf("\n    uses:");
        for (const auto& u : m.uses) {
            std::printf(" %s", u.c_str());
        }
    }
    std::printf("\n    outputs:");
    for (const auto& out : m.outputs) {
        std::printf(" %s", out.name.c_str());
    }
    std::printf("\n");
}

void print_full(const MetricInfo& m) {
    std::printf("%s\n  %s\n  origin: %s\n  layers:\n", m.name.c_str(), m.description.c_str(),
                m.origin.c_str());
    for (const auto& l : m.layers) {
        std::printf("    %-14s %-8s %s%s  %s\n", l.role.c_str(), family_name(l.geometry),
                    l.required ? "required" : "optional", l.many ? ", several" : "",
                    l.help.c_str());
    }
    if (!m.uses.empty()) {
        std::printf("  uses:");
        for (const auto& u : m.uses) {
            std::printf(" %s", u.c_str());
        }
        std::printf("\n");
    }
    std::printf("  options:\n");
    for (const auto& o : m.options) {
        std::printf("    %-20s %-11s %-9s default %-10s %s\n", o.name.c_str(),
                    option_type_name(o.type), o.unit.empty() ? "-" : o.unit.c_str(),
                    describe_default(o).c_str(), o.help.c_str());
    }
    std::printf("  outputs:\n");
    for (const auto& out : m.outputs) {
        std::printf("    %s%s: %s\n", out.name.c_str(), out.geometry ? "" : " (table)",
                    out.description.c_str());
        for (const auto& f : out.fields) {
            std::printf("      %-18s %-8s %-9s %s\n", f.name.c_str(), field_type_name(f.type),
                        f.unit.empty() ? "-" : f.unit.c_str(), f.description.c_str());
        }
    }
}

}  // namespace

CLI::App* CommandDescribe::setup(CLI::App& app) {
    m_app = &app;
    auto* sub = app.add_subcommand(
        "describe", "Describe the commands a tool can offer (QGIS's Processing toolbox): "
                    "parameters with types, defaults, ranges and help, and outputs");
    sub->add_flag("--json", m_json, "Print the description as JSON (with a format version)");
    return sub;
}

int CommandDescribe::run() {
    const auto description = describe_json(*m_app, SPACEUSE_VERSION);
    if (m_json) {
        std::fputs((description.dump(2) + "\n").c_str(), stdout);
        return exit_ok;
    }
    for (const auto& c : description["commands"]) {
        std::printf("%s\n    %s\n", c["name"].get<std::string>().c_str(),
                    c["help"].get<std::string>().c_str());
        for (const auto& p : c["parameters"]) {
            std::string type = p["type"].get<std::string>();
            if (p.contains("geometry")) {
                type += " (" + p["geometry"].get<std::string>() + ")";
            }
            std::printf("    %-22s %-22s %s\n", p["name"].get<std::string>().c_str(), type.c_str(),
                        p["required"].get<bool>() ? "required" : "");
        }
    }
    std::printf("(spaceuse describe --json: every field, format version %d)\n",
                describe_format_version);
    return exit_ok;
}

int CommandMetrics::run() {
    MetricRegistry registry;
    register_builtin_metrics(registry);
    for (const auto& load : load_plugins(registry, m_plugins)) {
        if (!load.error.empty()) {
            sayf("spaceuse: warning: %s\n", load.error.c_str());
        }
    }
    if (m_json) {
        std::fputs(metrics_json(registry).c_str(), stdout);
        return exit_ok;
    }
    if (m_name.empty()) {
        for (const auto& m : registry.all()) {
            print_summary(m);
        }
        return exit_ok;
    }
    const MetricInfo* m = registry.find(m_name);
    if (m == nullptr) {
        throw ConfigError("no metric named '" + m_name + "' (see 'spaceuse metrics')");
    }
    print_full(*m);
    return exit_ok;
}

}  // namespace spaceuse::cli
