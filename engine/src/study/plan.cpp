#include "plan.hpp"
#include "../util/text.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/profile.hpp>

#include <algorithm>
#include <regex>
#include <set>

namespace spaceuse {

MetricRun& Study::metric(const std::string& metric_name) {
    for (auto& m : metrics) {
        if (m.name == metric_name) {
            return m;
        }
    }
    MetricRun run;
    run.name = metric_name;
    run.where = "[" + metric_name + "]";
    metrics.push_back(std::move(run));
    return metrics.back();
}

const MetricRun* Study::find_metric(const std::string& metric_name) const {
    for (const auto& m : metrics) {
        if (m.name == metric_name) {
            return &m;
        }
    }
    return nullptr;
}

namespace detail {

namespace {

const MetricInfo& find_metric_info(const Plan& plan, const std::string& name,
                                   const std::string& where) {
    const MetricInfo* info = plan.registry.find(name);
    if (info != nullptr) {
        return *info;
    }
    std::vector<std::string> names;
    for (const auto& m : plan.registry.all()) {
        names.push_back(m.name);
    }
    std::string failed;
    for (const auto& p : plan.plugins) {
        if (!p.error.empty()) {
            failed += "; not loaded: " + p.error;
        }
    }
    throw ConfigError(where + ": no metric named '" + name + "' (registered: " + join(names) + ")" +
                      failed);
}

/// The role a layer declaration reads, for a metric with these options.
std::string role_of(const LayerSpec& spec, const MetricOptions* options) {
    if (!spec.role_option.empty() && options != nullptr) {
        return options->text(spec.role_option);
    }
    return spec.role;
}

}  // namespace

Plan make_plan(const Study& study) {
    Plan plan;
    register_builtin_metrics(plan.registry);
    plan.plugins = load_plugins(plan.registry, study.plugins);

    // The metrics asked for, with their options parsed and checked from the declarations.
    struct Asked {
        const MetricInfo* info;
        MetricOptions options;
        const MetricRun* run;
    };
    std::vector<Asked> asked;
    std::set<std::string> names;
    for (const auto& run : study.metrics) {
        const MetricInfo& info = find_metric_info(plan, run.name, run.where);
        if (!names.insert(run.name).second) {
            throw ConfigError(run.where + ": metric '" + run.name + "' is configured twice");
        }
        asked.push_back({&info, parse_options(info, run.options, run.where, run.base_dir), &run});
    }
    auto if_used = [](const Asked& a) { return a.run->if_used; };
    // Metrics a boolean option adds (occupancy's free_space adds the free_space metric), right
    // after the metric that adds them, in declaration order.
    for (std::size_t i = 0; i < asked.size(); ++i) {
        std::size_t at = i + 1;
        const Asked adder = asked[i];
        for (const auto& spec : adder.info->options) {
            if (spec.adds_metric.empty() || !adder.options.has(spec.name) ||
                !adder.options.flag(spec.name) || names.count(spec.adds_metric) > 0) {
                continue;
            }
            const MetricInfo& info = find_metric_info(plan, spec.adds_metric, adder.run->where);
            names.insert(info.name);
            asked.insert(asked.begin() + static_cast<std::ptrdiff_t>(at++),
                         Asked{&info, parse_options(info, {}, adder.run->where), adder.run});
        }
    }
    std::map<std::string, std::size_t> sources;
    for (const auto& l : study.layers) {
        ++sources[l.role];
    }

    // Run order: each metric after the metrics it uses (depth first, in the order asked); a
    // used metric nobody asked for runs with its defaults and writes nothing.
    std::set<std::string> done;
    std::vector<std::string> path;
    std::function<void(const MetricInfo&, const Asked*, const std::string&)> visit =
        [&](const MetricInfo& info, const Asked* a, const std::string& where) {
        if (done.count(info.name) > 0) {
            return;
        }
        if (std::find(path.begin(), path.end(), info.name) != path.end()) {
            path.push_back(info.name);
            throw ConfigError(where +
                              ": the metrics use each other in a cycle: " + join(path, " -> "));
        }
        path.push_back(info.name);
        PlannedMetric pm;
        pm.info = &info;
        pm.options = a != nullptr ? a->options : parse_options(info, {}, where);
        pm.where = a != nullptr ? a->run->where : where + " (used by another metric)";
        pm.write = a != nullptr && !a->run->if_used;
        pm.metric = info.factory();
        MetricPlan config;
        config.base_dir = a != nullptr ? a->run->base_dir : std::string();
        config.profile_dirs = default_profile_dirs();
        config.sources = sources;
        config.registry = &plan.registry;
        for (const auto& run : study.metrics) {
            config.configured.push_back(run.name);
        }
        pm.uses = info.uses;
        try {
            for (auto& more : pm.metric->more_uses(pm.options, config)) {
                if (std::find(pm.uses.begin(), pm.uses.end(), more) == pm.uses.end()) {
                    pm.uses.push_back(std::move(more));
                }
            }
        } catch (const ConfigError& e) {
            throw ConfigError(pm.where + ": " + e.what());
        }
        for (const auto& used : pm.uses) {
            const MetricInfo& u = find_metric_info(plan, used,
                                                   where + ": metric '" + info.name + "' uses");
            const Asked* ua = nullptr;
            for (const auto& x : asked) {
                if (x.info->name == used) {
                    ua = &x;
                }
            }
            visit(u, ua, where);
        }
        path.pop_back();
        done.insert(info.name);
        for (const auto& used : pm.uses) {
            for (const auto& planned : plan.metrics) {
                if (planned.info->name == used) {
                    config.used[used] = &planned.options;
                }
            }
        }
        try {
            pm.metric->configure(pm.options, config);
        } catch (const ConfigError& e) {
            throw ConfigError(pm.where + ": " + e.what());
        }
        plan.metrics.push_back(std::move(pm));
    };
    for (const auto& a : asked) {
        if (!if_used(a)) {
            visit(*a.info, &a, a.run->where);
        }
    }

    // Layers: each role's sources in order; geometry kinds from the declarations.
    std::map<std::string, GeometryFamily> kinds;
    std::map<std::string, bool> many;
    auto declare = [&](const LayerSpec& spec, const MetricOptions* options) {
        const std::string role = role_of(spec, options);
        if (!role.empty() && kinds.count(role) == 0) {
            kinds[role] = spec.geometry;
            many[role] = spec.many;
        }
    };
    // Fixed roles first, so a role given by an option (access's origins) takes the kind its
    // own declarations give it.
    for (const auto& info : plan.registry.all()) {
        for (const auto& spec : info.layers) {
            if (spec.role_option.empty()) {
                declare(spec, nullptr);
            }
        }
    }
    for (const auto& pm : plan.metrics) {
        for (const auto& spec : pm.info->layers) {
            declare(spec, &pm.options);
        }
    }
    for (const auto& l : study.layers) {
        auto& names_of_role = plan.roles[l.role];
        const std::string name = names_of_role.empty()
                                     ? l.role
                                     : l.role + "_" + std::to_string(names_of_role.size() + 1);
        if (!names_of_role.empty() && !many[l.role]) {
            throw ConfigError("layer role '" + l.role +
                              "' takes one source; no metric reads several " + l.role + " layers");
        }
        GeometryFamily family;
        if (l.geometry) {
            family = *l.geometry;
        } else if (kinds.count(l.role) > 0) {
            family = kinds[l.role];
        } else {
            throw ConfigError("[layers." + l.role + "]: no metric reads the role '" + l.role +
                              "'; give its geometry (geometry = \"polygon\", \"line\" or "
                              "\"point\")");
        }
        names_of_role.push_back(name);
        plan.layers.push_back({name, l.source, family});
    }
    for (const auto& pm : plan.metrics) {
        for (const auto& spec : pm.info->layers) {
            const std::string role = role_of(spec, &pm.options);
            if (spec.required && plan.roles.count(role) == 0) {
                throw ConfigError(pm.where + ": metric '" + pm.info->name + "' needs a '" + role +
                                  "' layer ([layers." + role + "])");
            }
        }
    }
    return plan;
}

std::string check_declared_fields(const OutputSpec& spec, const OutputLayer& layer) {
    // The declared fields as a pattern over "name,name,...,": a run of template fields with the
    // same placeholder is one group repeated per value; an optional field may be missing.
    static const std::regex placeholder(R"(\{[A-Za-z]+\})");
    auto escape = [](const std::string& s) {
        static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
        return std::regex_replace(s, special, R"(\$&)");
    };
    std::string pattern;
    std::string group;
    std::string group_key;
    auto close_group = [&] {
        if (!group.empty()) {
            pattern += "(?:" + group + ")*";
            group.clear();
            group_key.clear();
        }
    };
    for (const auto& f : spec.fields) {
        std::smatch m;
        if (std::regex_search(f.name, m, placeholder)) {
            const std::string key = m.str(0);
            if (key != group_key) {
                close_group();
                group_key = key;
            }
            group += escape(m.prefix().str()) + "[^,]+" + escape(m.suffix().str()) + ",";
            continue;
        }
        close_group();
        pattern += f.optional ? "(?:" + escape(f.name) + ",)?" : escape(f.name) + ",";
    }
    close_group();
    std::string written;
    std::vector<std::string> written_names;
    for (const auto& f : layer.fields) {
        written += f.name + ",";
        written_names.push_back(f.name);
    }
    if (std::regex_match(written, std::regex(pattern))) {
        return {};
    }
    std::vector<std::string> declared;
    for (const auto& f : spec.fields) {
        declared.push_back(f.name);
    }
    return "layer '" + layer.name + "' writes the fields " + join(written_names) +
           " but declares " + join(declared);
}

std::string check_value_types(const OutputLayer& layer) {
    for (std::size_t f = 0; f < layer.fields.size(); ++f) {
        const FieldType type = layer.fields[f].type;
        for (std::size_t r = 0; r < layer.rows.size(); ++r) {
            const Value& v = layer.rows[r][f];
            const bool ok = std::holds_alternative<std::monostate>(v) ||
                            (type == FieldType::integer &&
                             std::holds_alternative<std::int64_t>(v)) ||
                            (type == FieldType::real && std::holds_alternative<double>(v)) ||
                            ((type == FieldType::string || type == FieldType::date) &&
                             std::holds_alternative<std::string>(v));
            if (!ok) {
                static const char* const held[] = {"null", "an integer", "a real", "a text"};
                return "layer '" + layer.name + "' row " + std::to_string(r + 1) + " field '" +
                       layer.fields[f].name + "' (" + field_type_name(type) + ") holds " +
                       held[v.index()];
            }
        }
    }
    return {};
}

}  // namespace detail

}  // namespace spaceuse
