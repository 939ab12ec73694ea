#include "render/render_util.hpp"

#include <boost/geometry.hpp>
#include <nlohmann/json.hpp>

#include <cairo-pdf.h>
#include <png.h>

#include <csetjmp>
#include <cairo-svg.h>

#include <spaceuse/error.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <set>
#include <vector>

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

namespace spaceuse::detail {

namespace fs = std::filesystem;

cairo_status_t ByteSink::write(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<ByteSink*>(closure)->bytes.append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

void check_cairo(cairo_status_t status, const std::string& path) {
    if (status != CAIRO_STATUS_SUCCESS) {
        throw OutputError(std::string("drawing failed: ") + cairo_status_to_string(status))
            .set_source(path);
    }
}

void set_pdf_metadata(cairo_surface_t* surface, const std::string& title,
                      const std::string& data_date) {
    if (cairo_surface_get_type(surface) != CAIRO_SURFACE_TYPE_PDF) {
        return;
    }
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title.c_str());
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
                                   "spaceuse " SPACEUSE_VERSION);
    const std::string& d = data_date;
    const bool iso_date = d.size() == 10 && d[4] == '-' && d[7] == '-';
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE,
                                   iso_date ? (d + "T00:00:00Z").c_str() : "2000-01-01T00:00:00Z");
}

namespace {

void png_write_bytes(png_structp png, png_bytep data, png_size_t length) {
    static_cast<std::string*>(png_get_io_ptr(png))
        ->append(reinterpret_cast<const char*>(data), length);
}

void png_flush_nothing(png_structp /*png*/) {}

void png_no_warning(png_structp /*png*/, png_const_charp /*message*/) {}

/// libpng's errors return to encode_png's setjmp (libpng's own protocol; no C++ exception
/// crosses its C frames), keeping the message.
[[noreturn]] void png_failed(png_structp png, png_const_charp message) {
    *static_cast<std::string*>(png_get_error_ptr(png)) = message;
    png_longjmp(png, 1);
}

}  // namespace

std::string encode_png(cairo_surface_t* image, const std::string& path) {
    // cairo_surface_write_to_png lets libpng try every row filter on every row, which takes
    // most of the time of a chart or map; the "up" filter alone gives files of about the same
    // size several times faster, and zlib's fastest level halves the rest for files about 10 %
    // larger. libpng is the library Cairo itself writes PNG with.
    check_cairo(cairo_surface_status(image), path);
    const int w = cairo_image_surface_get_width(image);
    const int h = cairo_image_surface_get_height(image);
    const int stride = cairo_image_surface_get_stride(image);
    const unsigned char* data = cairo_image_surface_get_data(image);
    std::string out;
    std::string error;
    std::vector<unsigned char> row(static_cast<std::size_t>(w) * 3);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, png_failed,
                                              png_no_warning);
    png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
    if (info == nullptr) {
        png_destroy_write_struct(&png, nullptr);
        throw OutputError("PNG encoding failed: out of memory").set_source(path);
    }
    // Every object above outlives the jump; nothing with a destructor is created below.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        throw OutputError("PNG encoding failed: " + error).set_source(path);
    }
    png_set_write_fn(png, &out, png_write_bytes, png_flush_nothing);
    png_set_IHDR(png, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
    png_set_compression_level(png, 1);
    png_write_info(png, info);
    // Cairo's RGB24 pixels are native-endian 32-bit words 0x00RRGGBB.
    for (int y = 0; y < h; ++y) {
        const auto* px = reinterpret_cast<const std::uint32_t*>(
            data + static_cast<std::ptrdiff_t>(y) * stride);
        for (int x = 0; x < w; ++x) {
            const auto i = static_cast<std::size_t>(x) * 3;
            row[i] = static_cast<unsigned char>(px[x] >> 16);
            row[i + 1] = static_cast<unsigned char>(px[x] >> 8);
            row[i + 2] = static_cast<unsigned char>(px[x]);
        }
        png_write_row(png, row.data());
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return out;
}

Canvas::Canvas(const std::string& path, int width_px, int height_px, double dpi, const char* what)
    : m_path(path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const double k = dpi / 72.0;
    m_w = width_px / k;
    m_h = height_px / k;
    if (ext == ".png") {
        m_png = true;
        m_surface.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width_px, height_px));
    } else if (ext == ".pdf") {
        m_surface.reset(cairo_pdf_surface_create_for_stream(&ByteSink::write, &m_sink, m_w, m_h));
    } else if (ext == ".svg") {
        m_surface.reset(cairo_svg_surface_create_for_stream(&ByteSink::write, &m_sink, m_w, m_h));
    } else {
        throw ConfigError(std::string(what) + " format '" + ext + "' is not .png, .svg or .pdf")
            .set_source(path);
    }
    check_cairo(cairo_surface_status(m_surface.get()), path);
    m_cr.reset(cairo_create(m_surface.get()));
    if (m_png) {
        cairo_scale(m_cr.get(), k, k);
    }
    set_colour(m_cr.get(), 0xFFFFFF);
    cairo_paint(m_cr.get());
}

void Canvas::write(const WriteOptions& options) {
    check_cairo(cairo_status(m_cr.get()), m_path);
    m_cr.reset();
    if (m_png) {
        cairo_surface_flush(m_surface.get());
        m_sink.bytes = encode_png(m_surface.get(), m_path);
    } else {
        cairo_surface_finish(m_surface.get());
        check_cairo(cairo_surface_status(m_surface.get()), m_path);
    }
    write_text_file(m_path, m_sink.bytes, options);
}

void set_colour(cairo_t* cr, unsigned rgb, double alpha) {
    cairo_set_source_rgba(cr, ((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0,
                          (rgb & 0xFF) / 255.0, alpha);
}

void set_font(cairo_t* cr, double size_pt, bool bold) {
    // Cairo's simple text API is enough for labels and tables in Latin script; DejaVu Sans
    // (fonts-dejavu-core) has every sign used (², ©, ≤, –).
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size_pt);
}

double text_width(cairo_t* cr, const std::string& text) {
    cairo_text_extents_t e;
    cairo_text_extents(cr, text.c_str(), &e);
    return e.x_advance;
}

void draw_text(cairo_t* cr, double x, double y, const std::string& text, double align) {
    const double w = align == 0.0 ? 0.0 : text_width(cr, text);
    cairo_move_to(cr, x - align * w, y);
    cairo_show_text(cr, text.c_str());
}

void draw_halo_text(cairo_t* cr, double x, double y, const std::string& text) {
    cairo_save(cr);
    cairo_move_to(cr, x, y);
    cairo_text_path(cr, text.c_str());
    set_colour(cr, 0xFFFFFF);
    cairo_set_line_width(cr, 2.5);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_stroke(cr);
    cairo_restore(cr);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, text.c_str());
}

std::vector<std::string> wrap_text(cairo_t* cr, const std::string& text, double width) {
    std::vector<std::string> lines;
    std::string line;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string::npos) {
            end = text.size();
        }
        const std::string word = text.substr(pos, end - pos);
        const std::string trial = line.empty() ? word : line + " " + word;
        if (!line.empty() && text_width(cr, trial) > width) {
            lines.push_back(line);
            line = word;
        } else {
            line = trial;
        }
        pos = end + 1;
    }
    if (!line.empty()) {
        lines.push_back(line);
    }
    return lines;
}

std::string thousands(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(value));
    std::string s = buf;
    const std::size_t dot = s.find('.');
    std::string whole = s.substr(0, dot);
    const std::string frac = dot == std::string::npos ? "" : s.substr(dot);
    std::string out;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        if (i > 0 && (whole.size() - i) % 3 == 0) {
            out += ',';
        }
        out += whole[i];
    }
    const bool negative = value < 0 && std::stod(s) != 0.0;
    return (negative ? "−" : "") + out + frac;
}

std::string area_text(double m2) { return thousands(m2) + " m²"; }

std::string percent_text(double fraction, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f %%", decimals, 100.0 * fraction);
    return buf;
}

std::string short_number(double value) {
    const double a = std::fabs(value);
    if (a >= 1000) {
        return thousands(value);
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", a >= 100 ? 0 : (a >= 10 ? 1 : 2), value);
    std::string s = buf;
    if (s.find('.') != std::string::npos) {
        while (s.back() == '0') {
            s.pop_back();
        }
        if (s.back() == '.') {
            s.pop_back();
        }
    }
    return s;
}

std::string DocContext::facility_kind(std::size_t l, std::size_t i) const {
    const std::string& field = facility_kind_fields[l];
    if (!field.empty()) {
        const Layer& layer = *facilities[l];
        if (auto idx = layer.field_index(field)) {
            return value_as_text(layer.features[i].attributes[*idx]);
        }
        return {};
    }
    return facility_kinds[l];
}

namespace {}  // namespace

DocContext make_context(const StudyReport& report) {
    DocContext ctx;
    ctx.report = &report;
    for (const auto& layer : report.results) {
        const OutputLayer* l = &layer;
        if (layer.name == "parcels") {
            ctx.parcels = l;
        } else if (layer.name == "zones") {
            ctx.zones = l;
        } else if (layer.name == "free_space") {
            ctx.free_space = l;
        } else if (layer.name == "access") {
            ctx.access = l;
        } else if (layer.name == "isochrones") {
            ctx.isochrones = l;
        }
    }
    // The definitions as recorded in the manifest (the same for a run and a reopened snapshot).
    nlohmann::json m;
    try {
        m = nlohmann::json::parse(report.manifest);
    } catch (const nlohmann::json::exception&) {
        m = nlohmann::json::object();
    }
    if (ctx.parcels == nullptr || ctx.zones == nullptr || !report.model ||
        !m.contains("occupancy")) {
        throw ConfigError("maps and reports need the occupancy results (an [occupancy] section)");
    }
    const nlohmann::json& prof = m["occupancy"]["profile"];
    ctx.profile.name = prof.value("name", std::string());
    ctx.profile.origin = prof.value("origin", std::string());
    ctx.profile.description = prof.value("description", std::string());
    ctx.profile.vacant_below = prof.value("vacant_below", 0.0);
    ctx.profile.underused_below = prof.value("underused_below", 0.0);
    ctx.profile.setback_m = prof.value("setback_m", 0.0);
    ctx.profile.min_free_area_m2 = prof.value("min_free_area_m2", 0.0);
    ctx.profile.min_free_width_m = prof.value("min_free_width_m", 0.0);
    ctx.profile.storey_height_m = prof.value("storey_height_m", 0.0);
    if (prof.contains("status_values")) {
        for (const auto& [value, status] : prof["status_values"].items()) {
            for (auto st :
                 {ParcelStatus::occupied, ParcelStatus::underused, ParcelStatus::vacant}) {
                if (status.is_string() && status.get<std::string>() == status_name(st)) {
                    ctx.profile.status_values[value] = st;
                }
            }
        }
    }
    if (m.contains("access") && m["access"].contains("kinds")) {
        for (const auto& k : m["access"]["kinds"]) {
            ctx.access_kinds.emplace_back(k.value("kind", std::string()),
                                          k.value("field_prefix", std::string()));
        }
    }
    const Model& model = *report.model;
    ctx.buildings = model.find("buildings");
    ctx.roads = model.find("roads");
    std::vector<std::string> fields;
    std::vector<std::string> kinds;
    if (const auto it = report.options.find("access"); it != report.options.end()) {
        ctx.access_options = &it->second;
        fields = it->second.list("facility_field");
        kinds = it->second.list("facility_kind");
    }
    const auto pick = [](const std::vector<std::string>& v, std::size_t i) -> std::string {
        if (v.empty()) {
            return {};
        }
        return v.size() == 1 ? v[0] : (i < v.size() ? v[i] : std::string());
    };
    std::size_t n = 0;
    for (const auto& layer : model.layers) {
        if (layer.name.rfind("facilities", 0) == 0) {
            ctx.facilities.push_back(&layer);
            std::string field = pick(fields, n);
            std::string kind = pick(kinds, n);
            if (field.empty() && kind.empty()) {
                kind = layer.name;
            }
            ctx.facility_kind_fields.push_back(field);
            ctx.facility_kinds.push_back(kind);
            ++n;
        }
    }
    ctx.title = report.name;
    ctx.sources = report.sources;
    ctx.data_date = report.data_date;
    ctx.crs = report.crs.code.empty() ? report.crs.name : report.crs.code + " " + report.crs.name;
    return ctx;
}

std::optional<std::size_t> column(const OutputLayer& layer, const std::string& name) {
    for (std::size_t i = 0; i < layer.fields.size(); ++i) {
        if (layer.fields[i].name == name) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<double> number_at(const OutputLayer& layer, std::size_t row, std::size_t col) {
    const Value& v = layer.rows[row][col];
    if (std::holds_alternative<std::string>(v) || std::holds_alternative<std::monostate>(v)) {
        return std::nullopt;
    }
    return value_as_number(v);
}

std::string text_at(const OutputLayer& layer, std::size_t row, std::size_t col) {
    return value_as_text(layer.rows[row][col]);
}

std::size_t find_zone(const DocContext& ctx, const std::string& zone) {
    const OutputLayer& z = *ctx.zones;
    const std::size_t id = *column(z, "zone_id");
    const std::size_t name = *column(z, "name");
    std::string list;
    for (std::size_t r = 0; r < z.rows.size(); ++r) {
        if (text_at(z, r, id) == zone || text_at(z, r, name) == zone) {
            return r;
        }
        list += (list.empty() ? "" : ", ") + text_at(z, r, id);
    }
    throw ConfigError("no zone '" + zone + "' (zones: " + list + ")");
}

const std::vector<CapacityClass>& scenario_capacity_classes() {
    static const std::vector<CapacityClass> classes = {{0.0, 0xEEEEEE, "none"},
                                                       {0.5, 0xC6DBEF, "up to 1,000"},
                                                       {1000.0, 0x6BAED6, "1,000 – 2,500"},
                                                       {2500.0, 0x2171B5, "2,500 – 5,000"},
                                                       {5000.0, 0x08306B, "over 5,000"}};
    return classes;
}

/// A point inside the largest polygon: its centroid when inside, else the middle of the longest
/// horizontal chord through the centroid.
std::optional<Point> interior_point(const MultiPolygon& mp) {
    namespace bg = boost::geometry;
    const Polygon* best = nullptr;
    double best_area = 0;
    for (const auto& p : mp) {
        const double a = std::fabs(bg::area(p));
        if (a > best_area) {
            best_area = a;
            best = &p;
        }
    }
    if (best == nullptr) {
        return std::nullopt;
    }
    Point c;
    bg::centroid(*best, c);
    if (bg::within(c, *best)) {
        return c;
    }
    Box b;
    bg::envelope(*best, b);
    LineString chord{Point(b.min_corner().x() - 1, c.y()), Point(b.max_corner().x() + 1, c.y())};
    MultiLineString pieces;
    bg::intersection(chord, *best, pieces);
    double longest = 0;
    std::optional<Point> out;
    for (const auto& piece : pieces) {
        const double len = bg::length(piece);
        if (len > longest && piece.size() >= 2) {
            longest = len;
            out = Point((piece.front().x() + piece.back().x()) / 2, c.y());
        }
    }
    return out;
}

}  // namespace spaceuse::detail
