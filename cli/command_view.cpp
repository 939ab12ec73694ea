#include "command_view.hpp"

namespace spaceuse::cli {

CLI::App* CommandView::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("view", "Write a single-file offline HTML "
                                           "viewer (Leaflet and the data embedded)");
    m_run.add_options(sub, "Viewer file (.html)");
    sub->add_option("--title", m_options.title, "Title (default: the study name)");
    return sub;
}

int CommandView::run() {
    return m_run.execute(m_global, [this](const StudyReport& report, const WriteOptions& write) {
        write_viewer(report, m_options, m_run.output, write);
    });
}

}  // namespace spaceuse::cli
