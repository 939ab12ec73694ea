#include "command_definitions.hpp"

#include "console.hpp"
#include "describe.hpp"
#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <variant>

namespace spaceuse::cli {

CLI::App* CommandDefinitions::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "definitions", "Classify the parcels under several definitions of available land side "
                       "by side (VLAIO, IBIS, Oregon, Metro...): per parcel, per zone, and "
                       "where they disagree; without a project, the bundled Heverlee sample");
    describe_command(sub, {"definitions"});
    file_param(sub->add_option("project", m_project, "Project file (.toml)"), "toml");
    output_folder_param(
        sub->add_option("-o,--output", m_output,
                        "Output folder (default: the project's, with \"-definitions\" appended)"));
    // --profiles and --definition-fields come from the metric's declaration.
    m_flags.add(*sub, *builtin_registry().find("definitions"));
    add_project_flags(*sub, m_flags_project);
    return sub;
}

int CommandDefinitions::run() {
    const std::string path = m_project.empty() ? default_project_path() : m_project;
    Study study = load_project(path);
    // The project's occupancy and its definitions; the other analyses are not rerun.
    MetricRun definitions;
    if (const MetricRun* given = study.find_metric("definitions")) {
        definitions = *given;
    } else {
        definitions.name = "definitions";
        definitions.where = "spaceuse definitions";
    }
    const auto from_project = definitions.options.find("profiles") != definitions.options.end()
                                  ? std::optional<RawOption>(definitions.options["profiles"])
                                  : std::nullopt;
    m_flags.apply(definitions);
    // Profile files named on the command line are relative to the current folder, not to the
    // project file as in its [definitions] section (left as it is).
    namespace fs = std::filesystem;
    if (const auto it = definitions.options.find("profiles");
        it != definitions.options.end() && (!from_project || *from_project != it->second)) {
        std::vector<std::string> given;
        if (const auto* text = std::get_if<std::string>(&it->second)) {
            given.push_back(*text);
        } else if (const auto* list = std::get_if<std::vector<std::string>>(&it->second)) {
            given = *list;
        }
        std::vector<std::string> items;  // "a,b" and repeated flags alike
        for (const auto& g : given) {
            std::stringstream ss(g);
            for (std::string item; std::getline(ss, item, ',');) {
                items.push_back(item);
            }
        }
        for (auto& item : items) {
            if (fs::path(item).extension() == ".toml" && fs::path(item).is_relative()) {
                item = fs::absolute(item).lexically_normal().string();
            }
        }
        it->second = items;
    }
    std::vector<MetricRun> metrics;
    for (const auto& m : study.metrics) {
        if (m.name == "occupancy") {
            metrics.push_back(m);
        }
    }
    metrics.push_back(std::move(definitions));
    study.metrics = std::move(metrics);
    study.output_dir = m_output.empty() ? study.output_dir + "-definitions" : m_output;
    study.invoked_as = "spaceuse definitions " + path;
    apply_project_flags(m_flags_project, study);
    if (!m_global.quiet) {
        sayf("project: %s (%s)\n", study.name.c_str(), path.c_str());
    }
    try {
        return run_and_print(study, m_global);
    } catch (const ConfigError& e) {
        throw ConfigError(m_flags.hint(e.what()));
    }
}

}  // namespace spaceuse::cli
