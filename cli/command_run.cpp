#include "command_run.hpp"

#include "console.hpp"
#include "describe.hpp"
#include "study_output.hpp"

#include <spaceuse/study.hpp>

#include <cstdio>

namespace spaceuse::cli {

CLI::App* CommandRun::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("run", "Run a whole study from a project file (TOML); without "
                                          "one, the bundled Heverlee sample");
    describe_command(sub, {});
    file_param(sub->add_option("project", m_project, "Project file (.toml)"), "toml");
    output_folder_param(
        sub->add_option("-o,--output", m_output, "Output folder (overrides the project's)"));
    add_project_flags(*sub, m_flags_project);
    advanced(file_param(
        sub->add_option("--plugin", m_plugins, "Metric plugin module to load (repeatable)"), "so"));
    return sub;
}

int CommandRun::run() {
    const std::string path = m_project.empty() ? default_project_path() : m_project;
    Study study = load_project(path);
    if (!m_output.empty()) {
        study.output_dir = m_output;
    }
    apply_project_flags(m_flags_project, study);
    study.plugins.insert(study.plugins.end(), m_plugins.begin(), m_plugins.end());
    if (!m_global.quiet) {
        sayf("project: %s (%s)\n", study.name.c_str(), path.c_str());
    }
    return run_and_print(study, m_global);
}

}  // namespace spaceuse::cli
