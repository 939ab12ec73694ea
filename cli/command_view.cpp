#include "command_view.hpp"

namespace spaceuse::cli {

CLI::App* CommandView::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "view", "Write the HTML viewer: one offline file (Leaflet and the data embedded) while "
                "the layers are small, else a folder of vector tiles with MapLibre to put on any "
                "web server or open with 'spaceuse serve'");
    m_run.add_options(sub, "Viewer file (.html); a tiled viewer goes to the folder of that name "
                           "without .html");
    sub->add_option("--title", m_options.title, "Title (default: the study name)");
    sub->add_option("--since", m_options.follow_up.since,
                    "Earlier survey (results folder or spaceuse.gpkg; repeatable): a layer of "
                    "the changes since the latest");
    auto* tiles = sub->add_flag("--tiles", m_tiles,
                                "Write the tiled viewer folder whatever the size of the layers");
    auto* single = sub->add_flag("--single-file", m_single,
                                 "Write one HTML file whatever the size of the layers");
    tiles->excludes(single);
    m_follow_up.add(*sub, false);
    return sub;
}

int CommandView::run() {
    m_follow_up.apply(m_options.follow_up.diff);
    m_options.form = m_tiles    ? ViewerForm::tiled
                     : m_single ? ViewerForm::single_file
                                : ViewerForm::automatic;
    return m_run.execute(m_global, [this](const StudyReport& report, const WriteOptions& write) {
        const ViewerWritten w = write_viewer(report, m_options, m_run.output, write);
        std::string said = w.path + " (" + w.reason + ")";
        if (w.tiled) {
            std::size_t omitted = 0;
            for (const auto& l : w.layers) {
                omitted += l.subpixel_omitted;
            }
            char mb[32];
            std::snprintf(mb, sizeof mb, "%.1f MB", static_cast<double>(w.tile_bytes) / 1e6);
            said += "\n  " + std::to_string(w.tiles) + " tiles, " + mb +
                    "; tile check passed: every feature at zoom 16" +
                    (omitted > 0 ? ", " + std::to_string(omitted) +
                                       " left out of lower zooms for being smaller than a pixel"
                                 : std::string()) +
                    "\n  open it with: spaceuse serve " + w.path;
        }
        return said;
    });
}

}  // namespace spaceuse::cli
