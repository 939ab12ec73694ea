// Writers for results. GeoJSON is serialised here rather than through GDAL's GeoJSON driver:
// RFC 7946 output needs per-feature precision (a feature whose rounded coordinates would be
// invalid keeps full precision; GDAL applies one COORDINATE_PRECISION to all features), and
// GDAL's per-feature writer is the slowest step of large runs. Tests read every file back with
// GDAL to keep the output honest.

#include "../geos/geos.hpp"
#include "proj_util.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/output.hpp>

#include <boost/geometry/algorithms/correct.hpp>
#include <boost/geometry/algorithms/for_each.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <unistd.h>

namespace spaceuse {

namespace {

namespace fs = std::filesystem;

/// A file written under a temporary name and renamed into place by commit().
class AtomicFile {
public:
    AtomicFile(const std::string& path, const WriteOptions& options) : m_path(path) {
        if (!options.overwrite && fs::exists(path)) {
            throw OutputError("output exists (pass --overwrite to replace it)").set_source(path);
        }
        const fs::path target(path);
        if (target.has_parent_path() && !fs::exists(target.parent_path())) {
            throw OutputError("output folder does not exist").set_source(path);
        }
        m_tmp = path + ".tmp" + std::to_string(::getpid());
        m_out.open(m_tmp, std::ios::binary | std::ios::trunc);
        if (!m_out) {
            throw OutputError("cannot create the file").set_source(path);
        }
    }
    ~AtomicFile() {
        if (!m_committed) {
            m_out.close();
            std::error_code ec;
            fs::remove(m_tmp, ec);
        }
    }
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    std::ofstream& stream() { return m_out; }

    void commit() {
        m_out.flush();
        if (!m_out) {
            throw OutputError("write failed (disk full?)").set_source(m_path);
        }
        m_out.close();
        std::error_code ec;
        fs::rename(m_tmp, m_path, ec);
        if (ec) {
            throw OutputError("cannot rename the finished file into place: " + ec.message())
                .set_source(m_path);
        }
        m_committed = true;
    }

private:
    std::string m_path;
    std::string m_tmp;
    std::ofstream m_out;
    bool m_committed = false;
};

/// Shortest text that reads back as the same double.
void append_double(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

/// Fixed decimals with trailing zeros removed ("4.7", "50.8812345").
void append_fixed(std::string& out, double v, int decimals) {
    char buf[48];
    auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    char* end = res.ptr;
    char* dot = std::find(buf, end, '.');
    if (dot != end) {
        while (end > dot + 1 && end[-1] == '0') {
            --end;
        }
        if (end == dot + 1) {
            end = dot;
        }
    }
    if (end - buf == 2 && buf[0] == '-' && buf[1] == '0') {
        out += "0";
        return;
    }
    out.append(buf, end);
}

void append_value(std::string& out, const Value& value) {
    std::visit(
        [&out](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                out += "null";
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                out += std::to_string(v);
            } else if constexpr (std::is_same_v<T, double>) {
                append_double(out, v);
            } else {
                out += nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            }
        },
        value);
}

template <typename G>
void round_points(G& g, double scale) {
    boost::geometry::for_each_point(g, [scale](Point& p) {
        p.x(std::round(p.x() * scale) / scale);
        p.y(std::round(p.y() * scale) / scale);
    });
}

class CoordinateWriter {
public:
    CoordinateWriter(std::string& out, int decimals) : m_out(out), m_decimals(decimals) {}
    void point(const Point& p) {
        m_out += '[';
        write(p.x());
        m_out += ',';
        write(p.y());
        m_out += ']';
    }
    template <typename Range>
    void points(const Range& range) {
        m_out += '[';
        bool first = true;
        for (const auto& p : range) {
            if (!first) {
                m_out += ',';
            }
            first = false;
            point(p);
        }
        m_out += ']';
    }
    void polygon(const Polygon& poly) {
        m_out += '[';
        points(poly.outer());
        for (const auto& inner : poly.inners()) {
            m_out += ',';
            points(inner);
        }
        m_out += ']';
    }

private:
    void write(double v) {
        if (m_decimals < 0) {
            append_double(m_out, v);
        } else {
            append_fixed(m_out, v, m_decimals);
        }
    }
    std::string& m_out;
    int m_decimals;
};

void write_geometry(std::string& out, const Geometry& g, int decimals) {
    CoordinateWriter cw(out, decimals);
    if (const auto* mp = std::get_if<MultiPoint>(&g)) {
        if (mp->size() == 1) {
            out += R"({"type":"Point","coordinates":)";
            cw.point(mp->front());
        } else {
            out += R"({"type":"MultiPoint","coordinates":)";
            cw.points(*mp);
        }
    } else if (const auto* ml = std::get_if<MultiLineString>(&g)) {
        out += R"({"type":"MultiLineString","coordinates":[)";
        for (std::size_t i = 0; i < ml->size(); ++i) {
            if (i) {
                out += ',';
            }
            cw.points((*ml)[i]);
        }
        out += ']';
    } else {
        const auto& polys = std::get<MultiPolygon>(g);
        out += R"({"type":"MultiPolygon","coordinates":[)";
        for (std::size_t i = 0; i < polys.size(); ++i) {
            if (i) {
                out += ',';
            }
            cw.polygon(polys[i]);
        }
        out += ']';
    }
    out += '}';
}

}  // namespace

void ensure_directory(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
        throw OutputError("cannot create the output folder: " + ec.message()).set_source(dir);
    }
}

void write_text_file(const std::string& path, const std::string& text, const WriteOptions& options) {
    AtomicFile file(path, options);
    file.stream() << text;
    file.commit();
}

namespace {

/// Builds the GeoJSON text, handing it to `flush` in pieces of about 1 MiB.
GeoJsonStats build_geojson(const OutputLayer& layer, const CrsInfo& crs, const std::string& path,
                           const WriteOptions& options, const std::function<void(std::string&)>& flush) {
    GeoJsonStats stats;
    detail::Transformer to_wgs84(detail::crs_definition(crs), "EPSG:4326");
    detail::GeosContext geos;
    const double scale = std::pow(10.0, options.precision);
    std::string out;
    out.reserve(1 << 16);
    out += R"({"type":"FeatureCollection","name":)";
    out += nlohmann::json(layer.name).dump();
    out += ",\n\"features\":[\n";
    for (std::size_t row = 0; row < layer.rows.size(); ++row) {
        if (row) {
            out += ",\n";
        }
        out += R"({"type":"Feature","properties":{)";
        const auto& values = layer.rows[row];
        for (std::size_t f = 0; f < layer.fields.size(); ++f) {
            if (f) {
                out += ',';
            }
            out += nlohmann::json(layer.fields[f].name).dump();
            out += ':';
            append_value(out, values[f]);
        }
        out += R"(},"geometry":)";
        if (layer.geometries.empty()) {
            out += "null";
        } else {
            Geometry g = layer.geometries[row];
            const bool ok = std::visit([&to_wgs84](auto& x) { return detail::transform_geometry(x, to_wgs84); }, g);
            if (!ok) {
                throw OutputError("geometry cannot be transformed to WGS84 (row " +
                                  std::to_string(row + 1) + ")")
                    .set_source(path);
            }
            int decimals = options.precision;
            if (auto* polys = std::get_if<MultiPolygon>(&g)) {
                boost::geometry::correct(*polys);
                MultiPolygon rounded = *polys;
                round_points(rounded, scale);
                std::string reason;
                bool valid_after = false;
                try {
                    auto after = geos.from(rounded);
                    valid_after = geos.is_valid(after.get(), reason);
                } catch (const GeometryError&) {
                    valid_after = false;
                }
                // Only a feature that rounding broke keeps full precision; one that was already
                // invalid is written rounded like the rest.
                if (!valid_after) {
                    auto before = geos.from(*polys);
                    if (geos.is_valid(before.get(), reason)) {
                        decimals = -1;
                        ++stats.full_precision;
                    }
                }
            }
            write_geometry(out, g, decimals);
        }
        out += '}';
        ++stats.features;
        if (out.size() > (1 << 20)) {
            flush(out);
            out.clear();
        }
    }
    out += "\n]}\n";
    flush(out);
    return stats;
}

}  // namespace

GeoJsonStats write_geojson(const OutputLayer& layer, const CrsInfo& crs, const std::string& path,
                           const WriteOptions& options) {
    AtomicFile file(path, options);
    const auto stats = build_geojson(layer, crs, path, options,
                                     [&file](std::string& piece) { file.stream() << piece; });
    file.commit();
    return stats;
}

std::string geojson_text(const OutputLayer& layer, const CrsInfo& crs, const WriteOptions& options) {
    std::string text;
    build_geojson(layer, crs, layer.name, options, [&text](std::string& piece) { text += piece; });
    return text;
}

void write_csv(const OutputLayer& layer, const std::string& path, const WriteOptions& options,
               int decimals) {
    AtomicFile file(path, options);
    auto quote = [](const std::string& s) {
        if (s.find_first_of(",\"\n\r") == std::string::npos) {
            return s;
        }
        std::string q = "\"";
        for (char c : s) {
            q += c;
            if (c == '"') {
                q += '"';
            }
        }
        return q + "\"";
    };
    std::string out;
    for (std::size_t f = 0; f < layer.fields.size(); ++f) {
        out += (f ? "," : "") + quote(layer.fields[f].name);
    }
    out += '\n';
    for (const auto& row : layer.rows) {
        for (std::size_t f = 0; f < layer.fields.size(); ++f) {
            if (f) {
                out += ',';
            }
            const Value& v = row[f];
            if (const auto* d = std::get_if<double>(&v)) {
                char buf[64];
                const int dec = layer.fields[f].decimals >= 0 ? layer.fields[f].decimals : decimals;
                std::snprintf(buf, sizeof buf, "%.*f", dec, *d);
                out += buf;
            } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
                out += std::to_string(*i);
            } else if (const auto* s = std::get_if<std::string>(&v)) {
                out += quote(*s);
            }
        }
        out += '\n';
    }
    file.stream() << out;
    file.commit();
}

}  // namespace spaceuse
