#include "command_scenario.hpp"

#include "console.hpp"
#include "describe.hpp"
#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <cstdio>
#include <filesystem>

namespace spaceuse::cli {

CLI::App* CommandScenario::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "scenario", "Build-out scenarios: how much more footprint, floor area and jobs fit on "
                    "each parcel under density targets, net of the land that will not come to "
                    "market, and which parcels to approach first; several scenarios side by "
                    "side");
    describe_command(sub, {"scenarios"});
    file_param(sub->add_option("scenarios", m_files, "Scenario files (.toml)"), "toml")->required();
    file_param(sub->add_option("-p,--project", m_project,
                               "Project file (.toml; default: the bundled Heverlee sample)"),
               "toml");
    output_folder_param(
        sub->add_option("-o,--output", m_output,
                        "Output folder (default: the project's, with \"-scenarios\" appended)"));
    add_project_flags(*sub, m_flags_project);
    return sub;
}

int CommandScenario::run() {
    const std::string path = m_project.empty() ? default_project_path() : m_project;
    Study study = load_project(path);
    // The scenarios given here (relative to the current folder), over the project's; the
    // project's occupancy runs, and its other analyses only when a criterion reads them.
    MetricRun scenarios;
    scenarios.name = "scenarios";
    scenarios.where = "spaceuse scenario";
    std::vector<std::string> files;
    for (const auto& f : m_files) {
        files.push_back(std::filesystem::absolute(f).lexically_normal().string());
    }
    scenarios.options["files"] = files;
    std::vector<MetricRun> metrics;
    for (auto m : study.metrics) {
        if (m.name == "scenarios") {
            continue;
        }
        m.if_used = m.name != "occupancy";
        metrics.push_back(std::move(m));
    }
    metrics.push_back(std::move(scenarios));
    study.metrics = std::move(metrics);
    study.output_dir = m_output.empty() ? study.output_dir + "-scenarios" : m_output;
    study.invoked_as = "spaceuse scenario";
    for (const auto& f : m_files) {
        study.invoked_as += " " + f;
    }
    study.invoked_as += " --project " + path;
    apply_project_flags(m_flags_project, study);
    if (!m_global.quiet) {
        sayf("project: %s (%s)\n", study.name.c_str(), path.c_str());
    }
    return run_and_print(study, m_global);
}

}  // namespace spaceuse::cli
