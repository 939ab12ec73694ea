#include "command_map.hpp"

#include <spaceuse/error.hpp>

#include <sstream>

namespace spaceuse::cli {

CLI::App* CommandMap::setup(CLI::App& app) {
    auto* sub = app.add_subcommand("map", "Render a map of all zones or one zone "
                                          "(PNG, SVG or PDF, from the file extension)");
    m_run.add_options(sub, "Map file (.png, .svg or .pdf)");
    sub->add_option("--zone", m_options.zone, "Zone id or name (default: all zones)");
    sub->add_option("--field", m_options.field,
                    "Numeric parcel field for graduated colours (default: status)");
    sub->add_option("--classification", m_options.classification, "quantiles or breaks")
        ->check(CLI::IsMember({"quantiles", "breaks"}));
    sub->add_option("--classes", m_options.classes, "Quantile classes (3..7)");
    sub->add_option("--breaks", m_breaks,
                    "Class limits for --classification breaks, e.g. 0.1,0.3,0.6");
    sub->add_option("--width", m_options.width_px, "Width in pixels (default 1754)");
    sub->add_option("--height", m_options.height_px, "Height in pixels (default 1240)");
    sub->add_option("--dpi", m_options.dpi,
                    "Resolution (default 150; sets text size and PDF/SVG page size)");
    sub->add_option("--title", m_options.title, "Title (default: the study name)");
    sub->add_option("--since", m_options.follow_up.since,
                    "Earlier survey (results folder or spaceuse.gpkg; repeatable): a change "
                    "map, parcels by change since the latest");
    m_follow_up.add(*sub, false);
    return sub;
}

int CommandMap::run() {
    MapOptions options = m_options;
    m_follow_up.apply(options.follow_up.diff);
    if (!m_breaks.empty()) {
        std::stringstream ss(m_breaks);
        std::string item;
        while (std::getline(ss, item, ',')) {
            try {
                options.breaks.push_back(std::stod(item));
            } catch (const std::exception&) {
                throw ConfigError("--breaks: '" + item + "' is not a number");
            }
        }
        if (options.field.empty()) {
            throw ConfigError("--breaks needs --field");
        }
        options.classification = "breaks";
    }
    return m_run.execute(m_global,
                         [this, &options](const StudyReport& report, const WriteOptions& write) {
        render_map(report, options, m_run.output, write);
        return m_run.output;
    });
}

}  // namespace spaceuse::cli
