#include "command_report.hpp"

namespace spaceuse::cli {

CLI::App* CommandReport::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("report", "Write the committee report (PDF): "
                                             "overall table, definitions, one page per zone");
    m_run.add_options(sub, "Report file (.pdf)");
    sub->add_option("--paper", m_options.paper, "A4 or A3")->check(CLI::IsMember({"A4", "A3"}));
    sub->add_flag("--landscape", m_options.landscape, "Landscape pages");
    sub->add_option("--title", m_options.title, "Title (default: the study name)");
    return sub;
}

int CommandReport::run() {
    return m_run.execute(m_global, [this](const StudyReport& report, const WriteOptions& write) {
        render_report(report, m_options, m_run.output, write);
    });
}

}  // namespace spaceuse::cli
