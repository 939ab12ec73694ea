#pragma once

// Shared pieces of the renderers: Cairo handles behind RAII, text and number formatting, the
// lookup of result layers and the map drawing used by both `render_map` and the report pages.
// Every drawing function works in points (1/72 inch); PNG surfaces are scaled by dpi / 72.

#include <spaceuse/render.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/profile.hpp>
#include <spaceuse/study.hpp>

#include <cairo.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse::detail {

struct CairoSurfaceDeleter {
    void operator()(cairo_surface_t* s) const noexcept { cairo_surface_destroy(s); }
};
struct CairoDeleter {
    void operator()(cairo_t* cr) const noexcept { cairo_destroy(cr); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoSurfaceDeleter>;
using CairoPtr = std::unique_ptr<cairo_t, CairoDeleter>;

/// Collects what a Cairo stream surface writes, so files can be written atomically.
struct ByteSink {
    std::string bytes;
    static cairo_status_t write(void* closure, const unsigned char* data, unsigned int length);
};

/// Throws OutputError naming `path` when a Cairo object is in an error state.
void check_cairo(cairo_status_t status, const std::string& path);

/// Sets a PDF's title, creator and creation date. The creation date is the data date (an ISO
/// date, else 2000-01-01), never the clock, so the same results give the same bytes. Other
/// surfaces are left alone.
void set_pdf_metadata(cairo_surface_t* surface, const std::string& title,
                      const std::string& data_date);

/// PNG bytes of a Cairo RGB24 image surface (8-bit RGB, the "up" row filter).
/// @throws OutputError naming `path` when encoding fails.
std::string encode_png(cairo_surface_t* image, const std::string& path);

/// A document page drawn in points and written by the file's extension: PNG (width_px ×
/// height_px, scaled by dpi / 72), SVG or PDF (pages of width_px × height_px at `dpi`).
class Canvas {
public:
    /// @throws ConfigError naming `path` when the extension is not .png, .svg or .pdf (`what`:
    ///         "map", "chart" for the message).
    Canvas(const std::string& path, int width_px, int height_px, double dpi, const char* what);
    Canvas(const Canvas&) = delete;
    Canvas& operator=(const Canvas&) = delete;

    cairo_t* cr() const { return m_cr.get(); }
    cairo_surface_t* surface() const { return m_surface.get(); }
    /// Page size in points.
    double width() const { return m_w; }
    double height() const { return m_h; }
    /// Finishes the drawing and writes the file (all or nothing).
    /// @throws OutputError as write_text_file, or when drawing failed.
    void write(const WriteOptions& options);

private:
    std::string m_path;
    bool m_png = false;
    double m_w = 0, m_h = 0;
    ByteSink m_sink;
    SurfacePtr m_surface;
    CairoPtr m_cr;
};

/// Colours the maps and charts share.
inline constexpr unsigned building_colour = 0x5A5A5A;
inline constexpr unsigned free_colour = 0x117733;

/// A rectangle on the page (points).
struct Rect {
    double x = 0, y = 0, w = 0, h = 0;
};

void set_colour(cairo_t* cr, unsigned rgb, double alpha = 1.0);
void set_font(cairo_t* cr, double size_pt, bool bold = false);
double text_width(cairo_t* cr, const std::string& text);
/// Draws text with its baseline at y; align 0 left, 0.5 centre, 1 right.
void draw_text(cairo_t* cr, double x, double y, const std::string& text, double align = 0.0);
/// Draws text with a white halo (for labels on a map).
void draw_halo_text(cairo_t* cr, double x, double y, const std::string& text);
/// Breaks text into lines no wider than `width` at spaces; returns the lines.
std::vector<std::string> wrap_text(cairo_t* cr, const std::string& text, double width);

/// "12,345" (thousands separators) with `decimals` decimals.
std::string thousands(double value, int decimals = 0);
/// "12,345 m²".
std::string area_text(double m2);
/// "12.3 %" of a fraction.
std::string percent_text(double fraction, int decimals = 1);
/// Short number for legends ("0.35", "1,250", "12.5").
std::string short_number(double value);

/// Result layers and inputs of a study, located once.
struct DocContext {
    /// Resolved options of the access metric, when it ran.
    const MetricOptions* access_options = nullptr;
    const StudyReport* report = nullptr;
    /// The occupancy profile as the manifest records it.
    Profile profile;
    /// Access kinds (kind, field prefix of the access layer) as the manifest records them.
    std::vector<std::pair<std::string, std::string>> access_kinds;
    const OutputLayer* parcels = nullptr;
    const OutputLayer* zones = nullptr;
    const OutputLayer* free_space = nullptr;
    const OutputLayer* access = nullptr;
    const OutputLayer* isochrones = nullptr;
    const Layer* buildings = nullptr;
    const Layer* roads = nullptr;
    std::vector<const Layer*> facilities;
    /// Facility kind field per facility layer (empty: fixed kind in `facility_kinds`).
    std::vector<std::string> facility_kind_fields;
    std::vector<std::string> facility_kinds;
    std::string title;
    std::string sources;
    std::string data_date;
    std::string crs;

    /// Kind of facility `i` of layer `l`.
    std::string facility_kind(std::size_t l, std::size_t i) const;
};

/// Locates the result layers. @throws ConfigError when there are no occupancy results.
DocContext make_context(const StudyReport& report);

std::optional<std::size_t> column(const OutputLayer& layer, const std::string& name);
std::optional<double> number_at(const OutputLayer& layer, std::size_t row, std::size_t col);
std::string text_at(const OutputLayer& layer, std::size_t row, std::size_t col);

/// Row of the zone given by id or name in the zones result layer.
/// @throws ConfigError listing the zones when there is none.
std::size_t find_zone(const DocContext& ctx, const std::string& zone);

/// How parcels are filled: by status, or by classes of a numeric field.
struct ParcelStyle {
    std::string field;                          ///< empty: status
    std::vector<double> upper;                  ///< class upper limits (last class open-ended)
    std::vector<unsigned> colours;              ///< one per class
    std::vector<std::string> labels;            ///< one per class
    std::vector<std::optional<double>> values;  ///< per parcel row
    std::vector<int> counts;                    ///< parcels per class (or per status)
    /// The legend has a "no value" row (a field's classes: parcels may lack the value).
    bool no_value_row = true;

    /// Fill colour of parcel row `row`.
    unsigned colour(const DocContext& ctx, std::size_t row) const;
};

ParcelStyle make_parcel_style(const DocContext& ctx, const MapOptions& options);

/// One class of added floor area (scenario maps in the report and the viewer).
struct CapacityClass {
    double from;  ///< lower limit (m²)
    unsigned colour;
    const char* label;
};
/// The classes of added floor area, from none up.
const std::vector<CapacityClass>& scenario_capacity_classes();

/// World rectangle for a zone row (or all zones when nullopt), padded, widened or heightened to
/// the aspect (width / height) given; aspect <= 0 keeps the padded extent.
Box map_world(const DocContext& ctx, std::optional<std::size_t> zone_row, double aspect);

/// What a map body shows besides its parcels, zones and roads.
struct BodyOptions {
    /// The zone of a zone map: its outline bold, the other zones greyed; nullopt: none.
    std::optional<std::size_t> zone_row;
    /// Zone names.
    bool zone_labels = true;
    /// Ids of the vacant and underused parcels (of `zone_row` when set).
    bool parcel_labels = false;
    /// A locator: zones bold over parcels and roads only (no buildings, free space, facilities
    /// or labels), and `numbered` extents.
    bool locator = false;
    /// Extents (world) drawn as rectangles numbered from 1 (the insets, on a locator).
    std::vector<Box> numbered;
    /// Number shown in the top-left corner (an inset's); 0: none.
    int number = 0;
    bool north_arrow = true;
    /// The north arrow and scale bar move to another corner where they would hide a zone, a
    /// numbered extent, the number or each other (and stay when every corner would).
    bool free_corners = false;
    /// Size of the labels (points); the north arrow, scale bar and numbers follow it.
    double label_pt = 7;
};

/// Draws the map body of the world rectangle `world` into `area` (same aspect): zones,
/// parcels, free space, buildings, roads, facilities, labels, north arrow and scale bar, framed,
/// and clipped to the frame.
void draw_map_world(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style, const Box& world,
                    const Rect& area, const BodyOptions& options);

/// Draws the map body of one zone into `area` (its map_world), labelled.
void draw_map_body(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                   std::size_t zone_row, const Rect& area, bool zone_labels, bool parcel_labels);

/// One inset of an overview: a cluster of nearby zones framed on its own.
struct Inset {
    Box world;
    Rect area;
};

/// The layout of an all-zones map: a plain map framed on the zones (no insets), or, when the
/// zones lie so far apart that some would be too small to read, a locator of all zones and one
/// inset per cluster of zones (numbered from 1 in this order).
struct Overview {
    /// The plain map or the locator.
    Box world;
    Rect area;
    /// Size of the labels, the same on every part: as on one map of the whole area, smaller when
    /// the insets are low.
    double label_pt = 7;
    std::vector<Inset> insets;
};

/// Lays out an all-zones map in `area`.
Overview overview_layout(const DocContext& ctx, const Rect& area);

/// Draws an overview (zone names when `zone_labels`).
void draw_overview(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                   const Overview& overview, bool zone_labels);

/// Draws the legend from (x, y) with width w; returns its height. `insets`: the map has a locator
/// with numbered inset extents.
double draw_legend(cairo_t* cr, const DocContext& ctx, const ParcelStyle& style,
                   std::optional<std::size_t> zone_row, bool insets, double x, double y, double w,
                   double font_pt);

/// A point inside the largest polygon: its centroid when inside, else the middle of the longest
/// horizontal chord through the centroid; nullopt for an empty geometry.
std::optional<Point> interior_point(const MultiPolygon& mp);

}  // namespace spaceuse::detail
