// Styles of the exported result layers, and their QML and SLD serialisations. The documents are
// small, fixed-shape XML written with an escaping helper; a DOM library would add a dependency
// for no gain. The QGIS test suite (tests/qgis) loads every document in QGIS and checks the
// renderer it builds.

#include "style.hpp"

#include "../util/markup.hpp"

#include <spaceuse/render.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace spaceuse::detail {

namespace {

constexpr Rgba rgb(unsigned hex) {
    return {static_cast<int>((hex >> 16) & 0xFF), static_cast<int>((hex >> 8) & 0xFF),
            static_cast<int>(hex & 0xFF), 255};
}

// The same colours as the maps, report and viewer (render.hpp): Paul Tol's colour-blind-safe
// "light" scheme for the statuses, his green for free space.
constexpr Rgba kOccupied = rgb(StatusColours::occupied);
constexpr Rgba kUnderused = rgb(StatusColours::underused);
constexpr Rgba kVacant = rgb(StatusColours::vacant);
constexpr Rgba kGreen = rgb(0x117733);
constexpr Rgba kGrey{153, 153, 153, 255};
// ColorBrewer YlGnBu, 5 classes (light to dark).
constexpr Rgba kYlGnBu[5] = {{255, 255, 204, 255},
                             {161, 218, 180, 255},
                             {65, 182, 196, 255},
                             {44, 127, 184, 255},
                             {37, 52, 148, 255}};

std::string rgba(const Rgba& c) {
    return std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b) + "," +
           std::to_string(c.a);
}

std::string hex(const Rgba& c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
    return buf;
}

std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

bool has_field(const OutputLayer& layer, const std::string& name) {
    return std::any_of(layer.fields.begin(), layer.fields.end(),
                       [&](const OutputField& f) { return f.name == name; });
}

FillSymbol solid(Rgba fill, double outline_mm = 0.26, Rgba outline = {35, 35, 35, 255}) {
    FillSymbol s;
    s.fill = fill;
    s.outline = outline;
    s.outline_mm = outline_mm;
    return s;
}

std::string percent_label(double lo, double hi) {
    return std::to_string(static_cast<int>(std::lround(lo * 100))) + "–" +
           std::to_string(static_cast<int>(std::lround(hi * 100))) + " %";
}

/// Graduated classes over fractions [0, 1] with the given inner breaks.
std::vector<Range> fraction_ranges(const std::vector<double>& breaks) {
    std::vector<double> b{0.0};
    b.insert(b.end(), breaks.begin(), breaks.end());
    b.push_back(1.0);
    std::vector<Range> out;
    const std::size_t n = b.size() - 1;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t c = n == 5 ? i : (i * 4) / (n - 1);
        out.push_back({b[i], b[i + 1], percent_label(b[i], b[i + 1]), solid(kYlGnBu[c])});
    }
    return out;
}

/// A style classifying on `field` (also the style's name).
LayerStyle classified(const std::string& field, RendererKind kind, std::string description) {
    LayerStyle s;
    s.name = field;
    s.field = field;
    s.kind = kind;
    s.description = std::move(description);
    return s;
}

std::vector<LayerStyle> parcel_styles(const OutputLayer& layer) {
    std::vector<LayerStyle> styles;
    if (has_field(layer, "status")) {
        LayerStyle s = classified("status", RendererKind::categorized,
                                  "Parcels by occupancy status (occupied, underused, vacant)");
        s.categories = {{"occupied", "Occupied", solid(kOccupied)},
                        {"underused", "Underused", solid(kUnderused)},
                        // Vacant land is what the committee looks for: heavy edge.
                        {"vacant", "Vacant", solid(kVacant, 0.7, {0, 0, 0, 255})}};
        styles.push_back(std::move(s));
    }
    if (has_field(layer, "coverage")) {
        LayerStyle s = classified("coverage", RendererKind::graduated,
                                  "Parcels by building coverage (built area / parcel area)");
        s.ranges = fraction_ranges({0.1, 0.2, 0.4, 0.6});
        styles.push_back(std::move(s));
    }
    return styles;
}

std::vector<LayerStyle> zone_styles(const OutputLayer& layer) {
    std::vector<LayerStyle> styles;
    const std::string label = has_field(layer, "name") ? "name" : "zone_id";
    if (has_field(layer, "occupancy")) {
        LayerStyle s = classified(
            "occupancy", RendererKind::graduated,
            "Zones by occupancy (area of occupied parcels / net area), labelled");
        s.ranges = fraction_ranges({0.25, 0.5, 0.75});
        for (auto& r : s.ranges) {
            r.symbol.outline = {0, 0, 0, 255};
            r.symbol.outline_mm = 0.8;
        }
        s.label_field = label;
        s.opacity = 0.7;
        styles.push_back(std::move(s));
    }
    LayerStyle outline;
    outline.name = "outline";
    outline.description = "Zone outlines with names, to lay over the parcels";
    outline.single = solid({255, 255, 255, 0}, 0.8, {0, 0, 0, 255});
    outline.single.brush = "no";
    outline.label_field = label;
    styles.push_back(std::move(outline));
    return styles;
}

std::vector<LayerStyle> access_styles(const OutputLayer& layer) {
    // The time to the nearest motorway exit when computed, else the first time field.
    std::string field;
    for (const auto& f : layer.fields) {
        const std::string& n = f.name;
        if (n.size() > 9 && n.compare(n.size() - 9, 9, "_time_min") == 0) {
            if (field.empty() || n == "motorway_exit_time_min") {
                field = n;
            }
        }
    }
    if (field.empty()) {
        return {};
    }
    double max_value = 0.0;
    std::size_t col = 0;
    while (layer.fields[col].name != field) {
        ++col;
    }
    for (const auto& row : layer.rows) {
        const Value cell = row[col];
        if (const auto* d = std::get_if<double>(&cell)) {
            max_value = std::max(max_value, *d);
        }
    }
    LayerStyle s = classified(field, RendererKind::graduated,
                              "Origins by travel time over the road network (" + field + ")");
    const double breaks[] = {0, 5, 10, 15, 20};
    for (int i = 0; i < 5; ++i) {
        const double lo = breaks[i];
        const double hi = i < 4 ? breaks[i + 1] : std::max(30.0, std::ceil(max_value));
        const std::string label = i < 4 ? num(lo) + "–" + num(hi) + " min"
                                        : "≥ " + num(lo) + " min";
        s.ranges.push_back({lo, hi, label, solid(kYlGnBu[4 - i])});
    }
    return {s};
}

std::vector<LayerStyle> isochrone_styles(const OutputLayer& layer) {
    if (!has_field(layer, "minutes")) {
        return {};
    }
    std::size_t col = 0;
    while (layer.fields[col].name != "minutes") {
        ++col;
    }
    std::set<double> minutes;
    for (const auto& row : layer.rows) {
        const Value cell = row[col];
        if (const auto* i = std::get_if<std::int64_t>(&cell)) {
            minutes.insert(static_cast<double>(*i));
        } else if (const auto* d = std::get_if<double>(&cell)) {
            minutes.insert(*d);
        }
    }
    LayerStyle s = classified("minutes", RendererKind::graduated, "Isochrones by travel time");
    s.opacity = 0.5;
    double lo = 0.0;
    std::size_t i = 0;
    for (double m : minutes) {
        const std::size_t c = minutes.size() == 1 ? 4 : 4 - (i * 4) / (minutes.size() - 1);
        s.ranges.push_back({lo, m, "≤ " + num(m) + " min", solid(kYlGnBu[c])});
        lo = m;
        ++i;
    }
    return {s};
}

std::string qml_symbol(const FillSymbol& sym, const std::string& name, double opacity) {
    const std::pair<const char*, std::string> props[] = {
        {"border_width_map_unit_scale", "3x:0,0,0,0,0,0"},
        {"color", rgba(sym.fill)},
        {"joinstyle", "bevel"},
        {"offset", "0,0"},
        {"offset_unit", "MM"},
        {"outline_color", rgba(sym.outline)},
        {"outline_style", sym.outline_style},
        {"outline_width", num(sym.outline_mm)},
        {"outline_width_unit", "MM"},
        {"style", sym.brush},
    };
    std::ostringstream o;
    o << "      <symbol type=\"fill\" name=\"" << name << "\" alpha=\"" << num(opacity)
      << "\" clip_to_extent=\"1\" force_rhr=\"0\">\n"
      << "        <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n"
      << "          <Option type=\"Map\">\n";
    for (const auto& [k, v] : props) {
        o << "            <Option type=\"QString\" name=\"" << k << "\" value=\""
          << escape_markup(v) << "\"/>\n";
    }
    o << "          </Option>\n";
    for (const auto& [k, v] : props) {
        o << "          <prop k=\"" << k << "\" v=\"" << escape_markup(v) << "\"/>\n";
    }
    o << "        </layer>\n      </symbol>\n";
    return o.str();
}

const std::string& written_name(const OutputLayer& layer, const std::vector<std::string>& names,
                                const std::string& field) {
    if (!names.empty()) {
        for (std::size_t i = 0; i < layer.fields.size(); ++i) {
            if (layer.fields[i].name == field) {
                return names[i];
            }
        }
    }
    return field;
}

}  // namespace

std::size_t column_index(const OutputLayer& layer, const std::string& name) {
    std::size_t col = 0;
    while (layer.fields[col].name != name) {
        ++col;
    }
    return col;
}

/// The follow-up's parcels (one feature per match group): by change category (the report's
/// change maps and the viewer's colours), by match class, and by status transition.
std::vector<LayerStyle> parcel_change_styles(const OutputLayer& layer) {
    std::vector<LayerStyle> styles;
    const FillSymbol retired = [] {
        FillSymbol s = solid({255, 255, 255, 0}, 0.6, {0, 0, 0, 255});
        s.brush = "no";
        s.outline_style = "dash";
        return s;
    }();
    if (has_field(layer, "category")) {
        LayerStyle s = classified("category", RendererKind::categorized,
                                  "Parcels by change since the earlier survey (new, split, "
                                  "merged, newly built, newly vacant, other, unchanged, retired)");
        for (int c = 0; c < change_category_count; ++c) {
            const auto cat = static_cast<ChangeCategory>(c);
            s.categories.push_back(
                {change_category_name(cat), change_label(cat),
                 cat == ChangeCategory::retired ? retired : solid(rgb(change_colour(cat)))});
        }
        styles.push_back(std::move(s));
    }
    if (has_field(layer, "change")) {
        LayerStyle s = classified("change", RendererKind::categorized,
                                  "Parcels by how they were matched between the surveys");
        const std::pair<const char*, unsigned> classes[] = {
            {"unchanged", 0xF2F2F2}, {"reshaped", 0xBBBBBB}, {"renumbered", 0x66CCEE},
            {"split", 0xCCBB44},     {"merged", 0xAA3377},   {"reparcelled", 0x882255},
            {"new", 0x228833}};
        for (const auto& [name, colour] : classes) {
            std::string label = name;
            label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
            s.categories.push_back({name, label, solid(rgb(colour))});
        }
        s.categories.push_back({"retired", "Retired", retired});
        styles.push_back(std::move(s));
    }
    if (has_field(layer, "transition")) {
        // The transitions present (before→after statuses), coloured by the status after; a
        // group of several parcels with mixed statuses in grey.
        LayerStyle s = classified("transition", RendererKind::categorized,
                                  "Parcels by status change (coloured by the status now)");
        const std::size_t col = column_index(layer, "transition");
        std::set<std::string> values;
        for (const auto& row : layer.rows) {
            const Value cell = row[col];
            if (const auto* t = std::get_if<std::string>(&cell); t && !t->empty()) {
                values.insert(*t);
            }
        }
        // New and retired parcels have no transition either.
        s.categories.push_back({"", "No status change (or new, retired)", solid(rgb(0xF2F2F2))});
        for (const auto& v : values) {
            const std::string after = v.substr(v.find("→") + std::string("→").size());
            const unsigned colour = after == "occupied"    ? StatusColours::occupied
                                    : after == "underused" ? StatusColours::underused
                                    : after == "vacant"    ? StatusColours::vacant
                                                           : 0x999999;
            s.categories.push_back({v, v, solid(rgb(colour))});
        }
        styles.push_back(std::move(s));
    }
    return styles;
}

/// The follow-up's zones: by the change of their vacant land (down: taken up, in blues; up:
/// released or added, in reds), labelled.
std::vector<LayerStyle> zone_change_styles(const OutputLayer& layer) {
    if (!has_field(layer, "d_vacant_m2")) {
        return {};
    }
    const std::size_t col = column_index(layer, "d_vacant_m2");
    double lo = -10000.0, hi = 10000.0;
    for (const auto& row : layer.rows) {
        const Value cell = row[col];
        if (const auto* d = std::get_if<double>(&cell)) {
            lo = std::min(lo, std::floor(*d));
            hi = std::max(hi, std::ceil(*d));
        }
    }
    LayerStyle s = classified("d_vacant_m2", RendererKind::graduated,
                              "Zones by the change of their vacant land since the earlier "
                              "survey, labelled");
    // ColorBrewer RdBu, 5 classes, reversed: less vacant land in blue.
    s.ranges = {
        {lo, -10000, "vacant −1 ha or more", solid(rgb(0x2166AC), 0.8, {0, 0, 0, 255})},
        {-10000, -1000, "vacant −1,000 m² to −1 ha", solid(rgb(0x92C5DE), 0.8, {0, 0, 0, 255})},
        {-1000, 1000, "within ±1,000 m²", solid(rgb(0xF7F7F7), 0.8, {0, 0, 0, 255})},
        {1000, 10000, "vacant +1,000 m² to +1 ha", solid(rgb(0xF4A582), 0.8, {0, 0, 0, 255})},
        {10000, hi, "vacant +1 ha or more", solid(rgb(0xB2182B), 0.8, {0, 0, 0, 255})}};
    s.label_field = has_field(layer, "name") ? "name" : "zone_id";
    s.opacity = 0.7;
    return {s};
}

std::vector<LayerStyle> styles_for_layer(const OutputLayer& layer) {
    if (!layer.has_geometry()) {
        return {};
    }
    std::vector<LayerStyle> styles;
    if (layer.name == "parcels") {
        styles = parcel_styles(layer);
    } else if (layer.name == "zones") {
        styles = zone_styles(layer);
    } else if (layer.name == "free_space") {
        LayerStyle s;
        s.name = "free_space";
        s.description = "Usable free land (hatched)";
        s.single = solid(kGreen, 0.4, {0, 110, 80, 255});
        s.single.brush = "b_diagonal";
        styles.push_back(std::move(s));
    } else if (layer.name == "access") {
        styles = access_styles(layer);
    } else if (layer.name == "isochrones") {
        styles = isochrone_styles(layer);
    } else if (layer.name == "parcel_changes") {
        styles = parcel_change_styles(layer);
    } else if (layer.name == "zone_changes") {
        styles = zone_change_styles(layer);
    }
    if (styles.empty()) {
        LayerStyle s;
        s.name = "default";
        s.description = "Single symbol";
        s.single = solid(kGrey);
        s.opacity = 0.8;
        styles.push_back(std::move(s));
    }
    return styles;
}

std::string to_qml(const LayerStyle& style, const OutputLayer& layer,
                   const std::vector<std::string>& field_names) {
    std::ostringstream o;
    const bool labels = !style.label_field.empty();
    o << "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
      << "<qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling|Fields\" labelsEnabled=\""
      << (labels ? 1 : 0) << "\">\n";
    switch (style.kind) {
    case RendererKind::single:
        o << "  <renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" forceraster=\"0\" "
             "enableorderby=\"0\">\n    <symbols>\n"
          << qml_symbol(style.single, "0", style.opacity) << "    </symbols>\n";
        break;
    case RendererKind::categorized:
        o << "  <renderer-v2 type=\"categorizedSymbol\" attr=\""
          << escape_markup(written_name(layer, field_names, style.field))
          << "\" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\">\n    <categories>\n";
        for (std::size_t i = 0; i < style.categories.size(); ++i) {
            const auto& c = style.categories[i];
            o << "      <category render=\"true\" value=\"" << escape_markup(c.value)
              << "\" label=\"" << escape_markup(c.label) << "\" symbol=\"" << i << "\"/>\n";
        }
        o << "    </categories>\n    <symbols>\n";
        for (std::size_t i = 0; i < style.categories.size(); ++i) {
            o << qml_symbol(style.categories[i].symbol, std::to_string(i), style.opacity);
        }
        o << "    </symbols>\n";
        break;
    case RendererKind::graduated:
        o << "  <renderer-v2 type=\"graduatedSymbol\" attr=\""
          << escape_markup(written_name(layer, field_names, style.field))
          << "\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" forceraster=\"0\" "
             "enableorderby=\"0\">\n    <ranges>\n";
        for (std::size_t i = 0; i < style.ranges.size(); ++i) {
            const auto& r = style.ranges[i];
            o << "      <range render=\"true\" lower=\"" << num(r.lower) << "\" upper=\""
              << num(r.upper) << "\" label=\"" << escape_markup(r.label) << "\" symbol=\"" << i
              << "\"/>\n";
        }
        o << "    </ranges>\n    <symbols>\n";
        for (std::size_t i = 0; i < style.ranges.size(); ++i) {
            o << qml_symbol(style.ranges[i].symbol, std::to_string(i), style.opacity);
        }
        o << "    </symbols>\n    <mode name=\"fixed\"/>\n";
        break;
    }
    o << "  </renderer-v2>\n";
    if (labels) {
        o << "  <labeling type=\"simple\">\n    <settings calloutType=\"simple\">\n"
          << "      <text-style fieldName=\""
          << escape_markup(written_name(layer, field_names, style.label_field))
          << "\" isExpression=\"0\" fontFamily=\"Sans Serif\" fontSize=\"10\" "
             "fontSizeUnit=\"Point\" fontWeight=\"75\" textColor=\"0,0,0,255\" textOpacity=\"1\">\n"
          << "        <text-buffer bufferDraw=\"1\" bufferSize=\"1\" bufferSizeUnits=\"MM\" "
             "bufferColor=\"255,255,255,255\" bufferOpacity=\"1\"/>\n"
          << "      </text-style>\n"
          << "      <placement placement=\"1\" centroidInside=\"1\" centroidWhole=\"0\"/>\n"
          << "      <rendering obstacle=\"1\" displayAll=\"0\" upsidedownLabels=\"0\"/>\n"
          << "    </settings>\n  </labeling>\n";
    }
    if (!field_names.empty()) {
        o << "  <aliases>\n";
        for (std::size_t i = 0; i < layer.fields.size() && i < field_names.size(); ++i) {
            o << "    <alias field=\"" << escape_markup(field_names[i]) << "\" index=\"" << i
              << "\" name=\"" << escape_markup(layer.fields[i].name) << "\"/>\n";
        }
        o << "  </aliases>\n";
    }
    o << "  <layerGeometryType>2</layerGeometryType>\n</qgis>\n";
    return o.str();
}

namespace {

std::string sld_polygon(const FillSymbol& sym, double opacity) {
    std::ostringstream o;
    const double fill_opacity = sym.brush == "no" ? 0.0 : (sym.brush == "solid" ? opacity : 0.35);
    o << "          <se:PolygonSymbolizer>\n"
      << "            <se:Fill>\n"
      << "              <se:SvgParameter name=\"fill\">" << hex(sym.fill) << "</se:SvgParameter>\n"
      << "              <se:SvgParameter name=\"fill-opacity\">" << num(fill_opacity)
      << "</se:SvgParameter>\n"
      << "            </se:Fill>\n"
      << "            <se:Stroke>\n"
      << "              <se:SvgParameter name=\"stroke\">" << hex(sym.outline)
      << "</se:SvgParameter>\n"
      << "              <se:SvgParameter name=\"stroke-width\">" << num(sym.outline_mm * 3.78)
      << "</se:SvgParameter>\n";
    if (sym.outline_style == "dash") {
        o << "              <se:SvgParameter name=\"stroke-dasharray\">4 2</se:SvgParameter>\n";
    }
    o << "            </se:Stroke>\n"
      << "          </se:PolygonSymbolizer>\n";
    return o.str();
}

}  // namespace

std::string to_sld(const LayerStyle& style, const OutputLayer& layer,
                   const std::vector<std::string>& field_names) {
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<StyledLayerDescriptor version=\"1.1.0\" xmlns=\"http://www.opengis.net/sld\" "
         "xmlns:se=\"http://www.opengis.net/se\" xmlns:ogc=\"http://www.opengis.net/ogc\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:schemaLocation=\"http://www.opengis.net/sld "
         "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd\">\n"
      << "  <NamedLayer>\n    <se:Name>" << escape_markup(layer.name) << "</se:Name>\n"
      << "    <UserStyle>\n      <se:Name>" << escape_markup(style.name) << "</se:Name>\n"
      << "      <se:FeatureTypeStyle>\n";
    const std::string field = escape_markup(written_name(layer, field_names, style.field));
    auto rule_open = [&o](const std::string& label) {
        o << "        <se:Rule>\n          <se:Name>" << escape_markup(label) << "</se:Name>\n"
          << "          <se:Description><se:Title>" << escape_markup(label)
          << "</se:Title></se:Description>\n";
    };
    switch (style.kind) {
    case RendererKind::single:
        rule_open(style.description);
        o << sld_polygon(style.single, style.opacity) << "        </se:Rule>\n";
        break;
    case RendererKind::categorized:
        for (const auto& c : style.categories) {
            rule_open(c.label);
            o << "          <ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>" << field
              << "</ogc:PropertyName><ogc:Literal>" << escape_markup(c.value)
              << "</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>\n"
              << sld_polygon(c.symbol, style.opacity) << "        </se:Rule>\n";
        }
        break;
    case RendererKind::graduated:
        for (std::size_t i = 0; i < style.ranges.size(); ++i) {
            const auto& r = style.ranges[i];
            rule_open(r.label);
            // Ranges are (lower, upper], the first one closed: QGIS's convention.
            o << "          <ogc:Filter><ogc:And>"
              << (i == 0 ? "<ogc:PropertyIsGreaterThanOrEqualTo>" : "<ogc:PropertyIsGreaterThan>")
              << "<ogc:PropertyName>" << field << "</ogc:PropertyName><ogc:Literal>" << num(r.lower)
              << "</ogc:Literal>"
              << (i == 0 ? "</ogc:PropertyIsGreaterThanOrEqualTo>" : "</ogc:PropertyIsGreaterThan>")
              << "<ogc:PropertyIsLessThanOrEqualTo><ogc:PropertyName>" << field
              << "</ogc:PropertyName><ogc:Literal>" << num(r.upper)
              << "</ogc:Literal></ogc:PropertyIsLessThanOrEqualTo></ogc:And></ogc:Filter>\n"
              << sld_polygon(r.symbol, style.opacity) << "        </se:Rule>\n";
        }
        break;
    }
    if (!style.label_field.empty()) {
        o << "        <se:Rule>\n          <se:TextSymbolizer>\n            "
             "<se:Label><ogc:PropertyName>"
          << escape_markup(written_name(layer, field_names, style.label_field))
          << "</ogc:PropertyName></se:Label>\n"
          << "            <se:Font><se:SvgParameter name=\"font-size\">13</se:SvgParameter>"
             "<se:SvgParameter name=\"font-weight\">bold</se:SvgParameter></se:Font>\n"
          << "            <se:Halo><se:Radius>2</se:Radius><se:Fill><se:SvgParameter "
             "name=\"fill\">#ffffff</se:SvgParameter></se:Fill></se:Halo>\n"
          << "          </se:TextSymbolizer>\n        </se:Rule>\n";
    }
    o << "      </se:FeatureTypeStyle>\n    </UserStyle>\n  </NamedLayer>\n"
      << "</StyledLayerDescriptor>\n";
    return o.str();
}

}  // namespace spaceuse::detail
