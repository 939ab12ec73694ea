#include "document_run.hpp"

#include "progress_bar.hpp"

#include <cstdio>

namespace spaceuse::cli {

void DocumentRun::add_options(CLI::App* sub, const std::string& output_help) {
    sub->add_option("project", project, "Project file (.toml); default: the bundled sample");
    sub->add_option("-o,--output", output, output_help)->required();
    sub->add_option("--results", results,
                    "Folder for the study's result files (default: the project's output folder)");
    sub->add_flag("--overwrite", overwrite, "Replace existing files");
    sub->add_option("--threads", threads, "Worker threads (0: all cores)");
}

Study DocumentRun::load() const {
    Study study = load_project(project.empty() ? default_project_path() : project);
    study.documents.map.reset();
    study.documents.report.reset();
    study.documents.view.reset();
    if (!results.empty()) {
        study.output_dir = results;
    }
    if (overwrite) {
        study.write.overwrite = true;
    }
    if (threads >= 0) {
        study.threads = static_cast<unsigned>(threads);
    }
    return study;
}

int DocumentRun::execute(const GlobalOptions& global,
                         const std::function<void(const Study&, const StudyReport&)>& draw) const {
    const Study study = load();
    ProgressBar bar(global.show_progress());
    const StudyReport report = run_study(study, bar.callback());
    bar.finish();
    draw(study, report);
    if (!global.quiet) {
        std::fprintf(stderr, "wrote %s\n", output.c_str());
    }
    return exit_ok;
}

}  // namespace spaceuse::cli
