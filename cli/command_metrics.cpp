#include "command_metrics.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/metrics.hpp>

#include <cstdio>

namespace spaceuse::cli {

CLI::App* CommandMetrics::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("metrics", "List the metrics in the registry, or show one");
    sub->add_option("name", m_name, "Metric to show in full");
    return sub;
}

int CommandMetrics::run() {
    MetricRegistry registry;
    register_builtin_metrics(registry);
    if (m_name.empty()) {
        for (const auto& m : registry.all()) {
            std::printf("%-14s %-10s %s\n", m.name.c_str(), m.origin.c_str(), m.description.c_str());
        }
        return exit_ok;
    }
    const MetricInfo* m = registry.find(m_name);
    if (m == nullptr) {
        throw ConfigError("no metric named '" + m_name + "' (see 'spaceuse metrics')");
    }
    std::printf("%s\n  %s\n  origin: %s\n  layers:", m->name.c_str(), m->description.c_str(),
                m->origin.c_str());
    for (const auto& l : m->layers) {
        std::printf(" %s", l.c_str());
    }
    std::printf("\n  options:\n");
    for (const auto& o : m->options) {
        std::printf("    %-18s %-10s default %-10s %s\n", o.name.c_str(),
                    o.unit.empty() ? "-" : o.unit.c_str(),
                    o.default_value.empty() ? "-" : o.default_value.c_str(), o.help.c_str());
    }
    std::printf("  outputs:\n");
    for (const auto& f : m->outputs) {
        std::printf("    %-10s %-16s %-8s %-9s %s\n", f.layer.c_str(), f.name.c_str(),
                    field_type_name(f.type), f.unit.empty() ? "-" : f.unit.c_str(),
                    f.description.c_str());
    }
    return exit_ok;
}

}  // namespace spaceuse::cli
