#pragma once
// Layer styles for exported result layers: one description per layer, serialised as QGIS QML
// (sidecars and the GeoPackage layer_styles table) and as OGC SLD 1.0 for other viewers.
// Colours are those of the maps and report (Paul Tol's colour-blind-safe "light" scheme for
// statuses) and ColorBrewer's sequential YlGnBu for classes.

#include <spaceuse/output.hpp>

#include <optional>
#include <string>
#include <vector>

namespace spaceuse::detail {

struct Rgba {
    int r = 0, g = 0, b = 0, a = 255;
};

/// A polygon symbol: fill colour and pattern, outline colour and width.
struct FillSymbol {
    Rgba fill;
    /// QGIS brush style: "solid", "no", "b_diagonal" (hatched)...
    std::string brush = "solid";
    Rgba outline{35, 35, 35, 255};
    double outline_mm = 0.26;
    /// QGIS pen style of the outline: "solid" or "dash".
    std::string outline_style = "solid";
};

struct Category {
    std::string value;
    std::string label;
    FillSymbol symbol;
};

struct Range {
    double lower = 0.0;
    double upper = 0.0;
    std::string label;
    FillSymbol symbol;
};

enum class RendererKind { single, categorized, graduated };

struct LayerStyle {
    std::string name;         ///< style name ("status", "occupancy"...)
    std::string description;  ///< one line for the style table
    RendererKind kind = RendererKind::single;
    std::string field;  ///< classified field (categorized, graduated)
    FillSymbol single;  ///< symbol of a single-symbol style
    std::vector<Category> categories;
    std::vector<Range> ranges;
    std::string label_field;  ///< empty: no labels
    double opacity = 1.0;
};

/// The styles of a result layer, default first; empty when the layer has no geometry.
std::vector<LayerStyle> styles_for_layer(const OutputLayer& layer);

/// QGIS QML document (style categories symbology, labels, fields). `aliases` (same order as the
/// layer's fields, or empty) become field aliases, e.g. full names of Shapefile fields;
/// `field_names` are the names in the written file (empty: the layer's own).
std::string to_qml(const LayerStyle& style, const OutputLayer& layer,
                   const std::vector<std::string>& field_names = {});

/// OGC SLD 1.0 document with one rule per class. `field_names` as for to_qml.
std::string to_sld(const LayerStyle& style, const OutputLayer& layer,
                   const std::vector<std::string>& field_names = {});

}  // namespace spaceuse::detail
