#include "command_trend.hpp"

#include "console.hpp"
#include "describe.hpp"
#include "progress_bar.hpp"

#include <spaceuse/trend.hpp>

#include <cmath>
#include <cstdio>

namespace spaceuse::cli {

namespace {

std::string number(const Value& v, const char* format) {
    const auto n = value_as_number(v);
    if (!n) {
        return "–";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, format, *n);
    return buf;
}

/// All zones at each survey date: the lines a planner reads first.
void print_all_zones(const TrendReport& t) {
    const OutputLayer& s = t.series;
    auto col = [&s](const char* name) {
        for (std::size_t i = 0; i < s.fields.size(); ++i) {
            if (s.fields[i].name == name) {
                return i;
            }
        }
        return s.fields.size();
    };
    const std::size_t zid = col("zone_id"), date = col("survey_date"), vacant = col("vacant_m2"),
                      underused = col("underused_m2"), free = col("free_m2"),
                      taken = col("taken_up_m2"), per_year = col("takeup_per_year_m2"),
                      years = col("years_of_supply");
    std::printf("all zones    %12s %12s %12s %12s %12s %8s\n", "vacant m²", "underused m²",
                "free m²", "taken up m²", "m²/year", "years");
    for (const auto& row : s.rows) {
        if (value_as_text(row[zid]) != "ALL") {
            continue;
        }
        std::printf("%-12s %11s %13s %12s %12s %12s %8s\n", value_as_text(row[date]).c_str(),
                    number(row[vacant], "%.0f").c_str(), number(row[underused], "%.0f").c_str(),
                    number(row[free], "%.0f").c_str(), number(row[taken], "%.0f").c_str(),
                    number(row[per_year], "%.0f").c_str(), number(row[years], "%.1f").c_str());
    }
}

}  // namespace

CLI::App* CommandTrend::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "trend", "Each zone's net, built, vacant, underused and usable free area and parcel "
                 "counts over several surveys, take-up per year and years of supply at each "
                 "date, with a chart per zone");
    describe_command(sub, {});
    source_param(
        sub->add_option("surveys", m_surveys,
                        "Two or more surveys (results folders or their spaceuse.gpkg), any order"))
        ->required();
    output_folder_param(sub->add_option("-o,--output", m_output, "Output folder"))->required();
    sub->add_flag("--overwrite", m_overwrite, "Replace earlier results");
    m_follow_up.add(*sub);
    sub->add_flag("--recompute", m_recompute,
                  "One survey is a project file (.toml): rerun every other survey's inputs "
                  "(found through its manifest, content hashes checked) with its definitions");
    sub->add_flag("--no-charts", m_no_charts, "Write the tables only");
    return sub;
}

int CommandTrend::run() {
    TrendStudy study;
    study.surveys = m_surveys;
    study.output_dir = m_output;
    study.write.overwrite = m_overwrite;
    study.recompute = m_recompute;
    study.charts = !m_no_charts;
    m_follow_up.apply(study.options);
    ProgressBar bar(m_global.show_progress());
    const TrendReport t = run_trend(study, bar.callback());
    bar.finish();
    if (!m_global.quiet) {
        std::string dates;
        for (const auto& d : t.dates) {
            dates += (dates.empty() ? "" : ", ") + d;
        }
        std::printf("surveys %s\n", dates.c_str());
        for (const auto& step : t.steps) {
            std::printf("%s → %s: %s; %s\n", step.before_date.c_str(), step.after_date.c_str(),
                        step.before_reconciliation.c_str(), step.after_reconciliation.c_str());
        }
        print_all_zones(t);
        std::printf("take-up from %s; per zone: trend.csv%s\n",
                    t.steps.back().takeup_source == "issue_date" ? "issue dates"
                                                                 : "the diffs between surveys",
                    study.charts ? ", charts/" : "");
        say_event({{"type", "outputs"}, {"manifest", m_output + "/run.json"}});
        sayf("wrote %s\n", m_output.c_str());
    }
    return exit_ok;
}

}  // namespace spaceuse::cli
