#include <spaceuse/render.hpp>
#include <spaceuse/study.hpp>

#include <filesystem>

namespace spaceuse {

namespace fs = std::filesystem;

void write_documents(const Study& study, StudyReport& report) {
    const DocumentSettings& d = study.documents;
    auto out = [&study](const std::string& file) {
        return (fs::path(study.output_dir) / file).string();
    };
    if (d.map) {
        const std::string p = out(d.map->first);
        render_map(study, report, d.map->second, p, study.write);
        report.outputs.push_back({p, "map", 0, false});
    }
    if (d.report) {
        const std::string p = out(d.report->first);
        render_report(study, report, d.report->second, p, study.write);
        report.outputs.push_back({p, "committee report", 0, false});
    }
    if (d.view) {
        const std::string p = out(d.view->first);
        write_viewer(study, report, d.view->second, p, study.write);
        report.outputs.push_back({p, "HTML viewer", 0, false});
    }
}

}  // namespace spaceuse
