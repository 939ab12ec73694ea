#include "command_report.hpp"

namespace spaceuse::cli {

CLI::App* CommandReport::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("report", "Write the committee report (PDF): "
                                             "overall table, definitions, one page per zone");
    m_run.add_options(sub, "Report file (.pdf)");
    sub->add_option("--paper", m_options.paper, "A4 or A3")->check(CLI::IsMember({"A4", "A3"}));
    sub->add_flag("--landscape", m_options.landscape, "Landscape pages");
    sub->add_option("--title", m_options.title, "Title (default: the study name)");
    sub->add_option("--since", m_options.follow_up.since,
                    "Earlier survey (results folder or spaceuse.gpkg; repeatable): the cover "
                    "gains the change since the latest, each zone a follow-up page");
    m_follow_up.add(*sub, false);
    return sub;
}

int CommandReport::run() {
    m_follow_up.apply(m_options.follow_up.diff);
    return m_run.execute(m_global, [this](const StudyReport& report, const WriteOptions& write) {
        render_report(report, m_options, m_run.output, write);
        return m_run.output;
    });
}

}  // namespace spaceuse::cli
