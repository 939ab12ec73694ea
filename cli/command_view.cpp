#include "command_view.hpp"

namespace spaceuse::cli {

CLI::App* CommandView::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("view", "Write a single-file offline HTML "
                                           "viewer (Leaflet and the data embedded)");
    m_run.add_options(sub, "Viewer file (.html)");
    sub->add_option("--title", m_options.title, "Title (default: the study name)");
    sub->add_option("--since", m_options.follow_up.since,
                    "Earlier survey (results folder or spaceuse.gpkg; repeatable): a layer of "
                    "the changes since the latest");
    m_follow_up.add(*sub, false);
    return sub;
}

int CommandView::run() {
    m_follow_up.apply(m_options.follow_up.diff);
    return m_run.execute(m_global, [this](const StudyReport& report, const WriteOptions& write) {
        write_viewer(report, m_options, m_run.output, write);
    });
}

}  // namespace spaceuse::cli
