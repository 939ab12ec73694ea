#include "command_publish.hpp"

#include "progress_bar.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/publish.hpp>

#include <cctype>
#include <cstdio>

namespace spaceuse::cli {

namespace {

const char* kTargetHelp =
    "Database: PG: and a libpq connection string (\"PG:host=... dbname=...\" or "
    "\"PG:postgresql://...\"); credentials from it, PGSERVICE, PGPASSWORD or ~/.pgpass";

}  // namespace

CLI::App* CommandPublish::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "publish", "Publish a run's results (a results folder or its spaceuse.gpkg) to a "
                   "PostGIS database: a table per layer, views of the latest survey, QGIS styles");
    sub->add_option("results", m_results, "Results folder of a run, or its spaceuse.gpkg")
        ->required();
    sub->add_option("target", m_target, kTargetHelp)->required();
    sub->add_option("--schema", m_schema, "Schema (default: spaceuse; created when missing)");
    sub->add_option("--study", m_study,
                    "Study to publish the survey under (default: the run's title), so that "
                    "surveys of one series whose projects are titled differently are one study");
    sub->footer("The survey replaces an earlier publication of the same study and survey date, "
                "in one transaction; other surveys and studies stay.");
    return sub;
}

int CommandPublish::run() {
    ProgressBar bar(m_global.show_progress());
    const PublishReport r = publish_results(
        m_results, database_ref_with(m_target, m_schema, m_study, ""), bar.callback());
    bar.finish();
    if (!m_global.quiet) {
        std::int64_t rows = 0;
        for (const auto& t : r.tables) {
            rows += t.rows;
        }
        std::printf("published %s, survey %s (run %s) to %s, schema %s%s: %zu tables, %lld "
                    "rows, %d styles\n",
                    r.study.c_str(), r.survey_date.c_str(), r.run_id.c_str(), r.target.c_str(),
                    r.schema.c_str(), r.replaced ? " (replacing its earlier publication)" : "",
                    r.tables.size(), static_cast<long long>(rows), r.styles);
        for (const auto& t : r.tables) {
            std::string added;
            for (const auto& c : t.new_columns) {
                added += (added.empty() ? "" : ", ") + c;
            }
            std::printf("  %-28s %8lld rows%s%s\n", t.name.c_str(), static_cast<long long>(t.rows),
                        t.created ? "  (new table)" : "",
                        added.empty() ? "" : ("  (new columns: " + added + ")").c_str());
        }
    }
    return exit_ok;
}

CLI::App* CommandUnpublish::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "unpublish", "Remove one survey of one study from a PostGIS database (one transaction)");
    sub->add_option("target", m_target, kTargetHelp)->required();
    sub->add_option("--survey", m_survey, "Survey date (YYYY-MM-DD)")->required();
    sub->add_option("--study", m_study, "Study name (needed when several have that survey)");
    sub->add_option("--schema", m_schema, "Schema (default: spaceuse)");
    return sub;
}

int CommandUnpublish::run() {
    const UnpublishReport r = unpublish(database_ref_with(m_target, m_schema, m_study, m_survey));
    if (!r.found) {
        throw InputError("no published survey of " + m_survey +
                         (m_study.empty() ? std::string() : " of study '" + m_study + "'"))
            .set_source(parse_database_ref(m_target).label());
    }
    if (!m_global.quiet) {
        std::printf("removed %s, survey %s: %lld rows\n", r.study.c_str(), r.survey_date.c_str(),
                    static_cast<long long>(r.rows));
    }
    return exit_ok;
}

CLI::App* CommandSurveys::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("surveys", "List the surveys published in a PostGIS database");
    sub->add_option("target", m_target, kTargetHelp)->required();
    sub->add_option("--study", m_study, "Only this study");
    sub->add_option("--schema", m_schema, "Schema (default: spaceuse)");
    return sub;
}

int CommandSurveys::run() {
    const auto list = list_published(database_ref_with(m_target, m_schema, m_study, ""));
    std::printf("%-12s %-17s %-21s %-16s %s\n", "survey", "run", "published (UTC)", "tool",
                "study");
    for (const auto& s : list) {
        std::printf("%-12s %-17s %-21s %-16s %s\n", s.survey_date.c_str(), s.run_id.c_str(),
                    s.published_at.c_str(), s.tool.c_str(), s.study.c_str());
    }
    return exit_ok;
}

}  // namespace spaceuse::cli
