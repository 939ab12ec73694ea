#pragma once

/// @file render.hpp
/// Documents for people who do not run GIS software: maps (PNG, SVG, PDF), the committee
/// report (PDF) and an offline HTML viewer. They are drawn from a StudyReport alone (a run's,
/// or one reopened from its snapshot with open_results, which draws the same bytes): its
/// result layers and tables, context layers (analysis CRS, metres), attribution and manifest;
/// maps and the report with Cairo, the viewer with Leaflet embedded into one HTML file.

#include <spaceuse/diff.hpp>
#include <spaceuse/geometry.hpp>
#include <spaceuse/output.hpp>

#include <optional>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace spaceuse {

struct StudyReport;

/// Earlier surveys a document is compared with (the follow-up pages and layers).
struct FollowUpOptions {
    /// Results folders or snapshots (spaceuse.gpkg) of earlier surveys with the same
    /// definitions; empty: no follow-up. The change shown is since the latest of them; with
    /// several, the charts show the trend over all.
    std::vector<std::string> since;
    /// How the surveys are compared (matching, issue dates for the take-up).
    DiffOptions diff;
};

/// What a map shows and how large it is.
struct MapOptions {
    /// Zone id or zone name to map; empty: all zones.
    std::string zone;
    /// Numeric field of the parcel results (or of the access results when the origins are the
    /// parcels) for graduated colours; empty: colour by status.
    std::string field;
    /// "quantiles" or "breaks" (with `breaks`).
    std::string classification = "quantiles";
    /// Number of classes for quantiles (3..7).
    int classes = 5;
    /// Upper class limits for "breaks" (ascending; the last class is open-ended).
    std::vector<double> breaks;
    /// Output size in pixels (PNG) and resolution; PDF and SVG pages are width × height
    /// pixels at `dpi` (1754 × 1240 at 150 dpi is A4 landscape).
    int width_px = 1754;
    int height_px = 1240;
    double dpi = 150.0;
    /// Title; empty: the study name (and the zone).
    std::string title;
    /// Draw labels: zone names, and on a map of one zone the ids of its vacant and underused
    /// parcels.
    bool labels = true;
    /// With earlier surveys: a change map, the parcels by change category since the latest
    /// (ChangeCategory; retired parcels dashed on a zone's map), instead of by status or field.
    FollowUpOptions follow_up;
};

/// Page set-up of the committee report.
struct ReportOptions {
    /// "A4" or "A3".
    std::string paper = "A4";
    bool landscape = false;
    /// Title; empty: the study name.
    std::string title;
    /// With earlier surveys: the cover gains each zone's change since the latest of them and
    /// its years of supply, and each zone page is followed by a follow-up page (change map,
    /// transition table, take-up chart and series).
    FollowUpOptions follow_up;
};

/// The two forms of the HTML viewer.
enum class ViewerForm {
    /// One file while the layers are small (see ViewerLimits), a tiled folder above.
    automatic,
    /// One self-contained HTML file (Leaflet and the data embedded), opened from disk.
    single_file,
    /// A folder: index.html, MapLibre GL JS, style.json and vector tiles; served over HTTP.
    tiled,
};

/// Where the automatic choice switches to the tiled viewer: above this many features in the
/// layers drawn (parcels, zones, buildings, free space, isochrones, roads, facilities,
/// changes) or this many bytes of embedded data (estimated from the vertices and attributes
/// before writing). A browser opens a single file of that size in a few seconds.
struct ViewerLimits {
    static constexpr std::size_t max_features = 20000;
    static constexpr std::size_t max_bytes = 20u * 1000u * 1000u;
};

/// Options of the HTML viewer.
struct ViewOptions {
    /// Title; empty: the study name.
    std::string title;
    /// With earlier surveys: a "changes" layer (the parcels by change category since the
    /// latest of them, with class, statuses and differences in the popups).
    FollowUpOptions follow_up;
    ViewerForm form = ViewerForm::automatic;
};

/// One layer of a tiled viewer and its tile check.
struct TileLayerCheck {
    std::string layer;
    int min_zoom = 0;
    int max_zoom = 0;
    /// Features of the layer; every one is in the tiles of max_zoom.
    std::size_t features = 0;
    /// Features left out of a lower zoom for being smaller than a pixel there, summed over the
    /// lower zooms.
    std::size_t subpixel_omitted = 0;
};

/// What write_viewer wrote.
struct ViewerWritten {
    /// The HTML file, or the tiled viewer's folder.
    std::string path;
    bool tiled = false;
    /// Why this form (the features and estimated bytes against ViewerLimits, or forced).
    std::string reason;
    std::size_t features = 0;
    std::size_t estimated_bytes = 0;
    /// Tiled viewer: the tile check of each layer, the tiles and their bytes.
    std::vector<TileLayerCheck> layers;
    std::size_t tiles = 0;
    std::uint64_t tile_bytes = 0;
};

/// The documents `run_study` writes into the output folder after the analyses (from the
/// project file's [map], [report] and [view] sections), and the attribution they print.
struct DocumentSettings {
    /// Data sources printed on maps and reports; empty: the input files' names. "© OpenStreetMap
    /// contributors" is added when an input is OSM data (a name containing "osm") or `osm` is set.
    std::string sources;
    bool osm = false;
    /// Date of the data (free text, e.g. "2024-06"); empty: the newest input file's date.
    std::string data_date;
    /// File names (in the output folder) and options; unset: not written.
    std::optional<std::pair<std::string, MapOptions>> map;
    std::optional<std::pair<std::string, ReportOptions>> report;
    std::optional<std::pair<std::string, ViewOptions>> view;
};

/// Status fill colours (colour-blind-safe, Paul Tol's "light" scheme) as 0xRRGGBB.
struct StatusColours {
    static constexpr unsigned occupied = 0x77AADD;
    static constexpr unsigned underused = 0xEEDD88;
    static constexpr unsigned vacant = 0xEE8866;
};

/// Fill colour (0xRRGGBB) of a change category on the change maps, the viewer and the QGIS
/// style of parcel_changes: Paul Tol's "bright" scheme for the changes, greys for the rest;
/// retired parcels are outlined (dashed) in this colour.
unsigned change_colour(ChangeCategory category) noexcept;
/// Legend text of a change category ("Newly built (more in use)", ...).
const char* change_label(ChangeCategory category) noexcept;

/// Where the map's world rectangle lands on the page: page = offset + scale × (x, −y).
struct MapFrame {
    /// Visible world rectangle (analysis CRS).
    Box world;
    /// Map area on the page, in pixels of the output (PNG) or points × dpi / 72.
    double left = 0, top = 0, width = 0, height = 0;
    /// Output pixels per metre.
    double px_per_m = 1;

    /// Output pixel of a world point.
    Point to_pixel(const Point& p) const;

    /// A map of all zones that lie far apart: the frames of its insets, one per cluster of
    /// nearby zones, in the order of their numbers (clusters ordered by their first zone);
    /// the frame itself is then the locator's. Empty for a zone map and a plain map of all zones.
    std::vector<MapFrame> insets;
};

/// Computes the frame render_map uses for `options` (for tests and callers that annotate): a
/// zone map's, a plain map of all zones, or a locator with its insets.
/// @throws ConfigError when the zone is unknown or the report has no occupancy results.
MapFrame map_frame(const StudyReport& report, const MapOptions& options);

/// Renders a map to `path`; the format follows the extension (.png, .svg, .pdf). A map of all
/// zones is framed on the zones. When some would be too small to read there (zones far apart),
/// it shows a locator of all zones with numbered rectangles and one inset per cluster of nearby
/// zones (at most 12), each at its own scale.
/// @throws ConfigError on bad options (unknown zone or field, bad classes), OutputError when
///         the file exists (without overwrite) or cannot be written.
void render_map(const StudyReport& report, const MapOptions& options, const std::string& path,
                const WriteOptions& write);

/// Renders the committee report (PDF): a cover with the table of all zones and the definitions
/// used, then one page per zone (map, key figures, status chart, vacant and underused parcels).
/// @throws as render_map.
void render_report(const StudyReport& report, const ReportOptions& options, const std::string& path,
                   const WriteOptions& write);

/// The path a viewer of `form` is written to for the output path `path`: the path itself,
/// except that a tiled viewer asked for as "NAME.html" is the folder "NAME".
std::string viewer_path(const std::string& path, bool tiled);

/// Writes the HTML viewer: a legend, layer toggles, a colouring switch (status, definitions,
/// scenarios), popups with each parcel's and zone's figures.
/// - Single file: Leaflet (embedded; from `$SPACEUSE_LEAFLET_DIR`, the build tree or the
///   install's share/spaceuse/leaflet) and every layer as GeoJSON (WGS84); isochrones drawn
///   simplified within 5 m.
/// - Tiled folder (viewer_path): index.html, MapLibre GL JS (from `$SPACEUSE_MAPLIBRE_DIR`,
///   the build tree or share/spaceuse/maplibre) with its licence, style.json (the colours and
///   classes of the QGIS styles and the report), vector tiles (GDAL's MVT driver, z/x/y.pbf,
///   uncompressed; zones from zoom 8, parcels, buildings and free space from 13, all to 16), a
///   search index and viewer.json (the files and the tile check). After writing, every feature
///   of every layer must be found in the tiles of the layer's highest zoom and, at the lower
///   zooms, every feature not smaller than a pixel there; any other loss throws. The folder
///   is replaced all or nothing, as a run's output folder.
/// @throws InputError when Leaflet or MapLibre is not found, OutputError as render_map or when
///         the tile check fails.
ViewerWritten write_viewer(const StudyReport& report, const ViewOptions& options,
                           const std::string& path, const WriteOptions& write);

}  // namespace spaceuse
