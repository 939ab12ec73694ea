#pragma once

// What both forms of the HTML viewer show: the layers in drawing order, the legend's and the
// popups' metadata, the title. viewer.cpp writes it as one HTML file (Leaflet, GeoJSON),
// tiled_viewer.cpp as a folder of vector tiles with MapLibre.

#include "render/followup.hpp"
#include "render/render_util.hpp"

#include <spaceuse/render.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse::detail {

/// One layer of the viewer, under the name the page knows it by.
struct ViewerLayer {
    std::string name;
    /// The report's layer, or one made for the viewer (inputs near the zones, changes).
    const OutputLayer* layer = nullptr;
    std::shared_ptr<const OutputLayer> owned;
    /// Attributes the popups join to the parcels (access, definitions, scenarios).
    bool attributes_only = false;
};

struct ViewerContent {
    std::string title;
    /// The line under the title: data date, CRS, what to click.
    std::string subtitle_html;
    /// Colours, counts, definitions, scenarios, access kinds, changes: what the legend, the
    /// colouring switch and the popups need.
    nlohmann::json meta;
    std::vector<ViewerLayer> layers;
    std::optional<FollowUp> follow;

    const ViewerLayer* find(const std::string& name) const;
    /// Features of the layers drawn (attribute tables not counted).
    std::size_t features() const;
    /// Bytes of the GeoJSON the single file would embed, estimated from the vertices and the
    /// attribute values (without writing it).
    std::size_t estimated_bytes() const;
};

/// Gathers what the viewer shows. @throws as make_context and make_follow_up.
ViewerContent viewer_content(const StudyReport& report, const ViewOptions& options);

/// Isochrones are buffers of the network reached, with a vertex every few metres; both viewers
/// draw them simplified within this tolerance (a pixel at zoom 16 is about 1.5 m here), with
/// their topology kept: the bands stay valid polygons. The isochrones.geojson export keeps
/// every vertex.
constexpr double isochrone_display_tolerance_m = 5.0;

/// `layer` with its polygons simplified within `tolerance`, topology preserved.
OutputLayer simplified_for_display(const OutputLayer& layer, double tolerance);

/// The contents of a file. @throws OutputError when it cannot be read.
std::string read_whole_file(const std::filesystem::path& p);

/// Folder of a front-end library fetched at build time: `$<env>`, then `build_dir`, then
/// `install_dir`, the first holding every one of `files`.
/// @throws InputError naming the folders tried.
std::filesystem::path library_dir(const char* env, const char* build_dir, const char* install_dir,
                                  const std::vector<std::string>& files, const std::string& what);

/// Writes the tiled viewer folder `dir` (see write_viewer).
void write_tiled_viewer(const ViewerContent& content, const StudyReport& report,
                        const std::string& dir, const WriteOptions& write, ViewerWritten& written);

}  // namespace spaceuse::detail
