#include "command_metrics.hpp"

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
    sub->footer("Plugins spaceuse_metric_<name>.so are also loaded from SPACEUSE_PLUGIN_PATH "
                "(absolute folders separated by ':') and from the install's plugin folder.");
    return sub;
}

namespace {

void print_summary(const MetricInfo& m) {
    std::printf("%-12s %s\n", m.name.c_str(), m.origin.c_str());
    std::printf("    %s\n    options:", m.description.c_str());
    for (const auto& o : m.options) {
        std::printf(" %s", o.name.c_str());
    }
    std::printf("\n    outputs:");
    std::string layer;
    for (const auto& f : m.outputs) {
        if (f.layer != layer) {
            std::printf("%s %s:", layer.empty() ? "" : ";", f.layer.c_str());
            layer = f.layer;
        }
        std::printf(" %s", f.name.c_str());
    }
    std::printf("\n");
}

void print_full(const MetricInfo& m) {
    std::printf("%s\n  %s\n  origin: %s\n  layers:", m.name.c_str(), m.description.c_str(),
                m.origin.c_str());
    for (const auto& l : m.layers) {
        std::printf(" %s", l.c_str());
    }
    std::printf("\n  options:\n");
    for (const auto& o : m.options) {
        std::printf("    %-18s %-10s default %-10s %s\n", o.name.c_str(),
                    o.unit.empty() ? "-" : o.unit.c_str(),
                    o.default_value.empty() ? "-" : o.default_value.c_str(), o.help.c_str());
    }
    std::printf("  outputs:\n");
    for (const auto& f : m.outputs) {
        std::printf("    %-10s %-16s %-8s %-9s %s\n", f.layer.c_str(), f.name.c_str(),
                    field_type_name(f.type), f.unit.empty() ? "-" : f.unit.c_str(),
                    f.description.c_str());
    }
}

}  // namespace

int CommandMetrics::run() {
    MetricRegistry registry;
    register_builtin_metrics(registry);
    for (const auto& load : load_plugins(registry, m_plugins)) {
        if (!load.error.empty()) {
            std::fprintf(stderr, "spaceuse: warning: %s\n", load.error.c_str());
        }
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
