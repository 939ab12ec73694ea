#include "document_run.hpp"

#include "console.hpp"
#include <spaceuse/publish.hpp>
#include "progress_bar.hpp"

#include <cstdio>

namespace spaceuse::cli {

void DocumentRun::add_options(CLI::App* sub, const std::string& output_help) {
    auto* proj = sub->add_option("project", project,
                                 "Project file (.toml); default: the bundled sample");
    sub->add_option("-o,--output", output, output_help)->required();
    auto* res = sub->add_option("--results", results,
                                "Draw from the results of an earlier run (its output folder, its "
                                "spaceuse.gpkg, or a survey published to PostGIS: PG:...) "
                                "instead of running the project");
    auto* survey_opt = sub->add_option("--survey", this->survey,
                                       "With --results PG:...: the survey date (YYYY-MM-DD), when "
                                       "the study has several");
    auto* study_opt = sub->add_option("--study", this->db_study,
                                      "With --results PG:...: the study, when the schema holds "
                                      "several");
    auto* schema_opt = sub->add_option("--schema", this->schema,
                                       "With --results PG:...: the schema (default: spaceuse)");
    survey_opt->needs(res);
    study_opt->needs(res);
    schema_opt->needs(res);
    auto* out = sub->add_option("--study-output", study_output,
                                "Folder the project's run writes its results to (default: the "
                                "project's output folder)");
    sub->add_flag("--overwrite", overwrite, "Replace existing files");
    auto* thr = sub->add_option("--threads", threads, "Worker threads (0: all cores)");
    res->excludes(proj)->excludes(out)->excludes(thr);
}

Study DocumentRun::load() const {
    Study study = load_project(project.empty() ? default_project_path() : project);
    study.documents.map.reset();
    study.documents.report.reset();
    study.documents.view.reset();
    if (!study_output.empty()) {
        study.output_dir = study_output;
    }
    if (overwrite) {
        study.write.overwrite = true;
    }
    if (threads >= 0) {
        study.threads = static_cast<unsigned>(threads);
    }
    return study;
}

int DocumentRun::execute(
    const GlobalOptions& global,
    const std::function<std::string(const StudyReport&, const WriteOptions&)>& draw) const {
    WriteOptions write;
    write.overwrite = overwrite;
    std::string written;
    if (!results.empty()) {
        written = draw(open_results(database_ref_with(results, schema, db_study, survey)), write);
    } else {
        const Study study = load();
        ProgressBar bar(global.show_progress());
        const StudyReport report = run_study(study, bar.callback());
        bar.finish();
        written = draw(report, study.write);
    }
    if (!global.quiet) {
        sayf("wrote %s\n", written.c_str());
    }
    return exit_ok;
}

}  // namespace spaceuse::cli
