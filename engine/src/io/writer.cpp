// Writers for results. GeoJSON is serialised here rather than through GDAL's GeoJSON driver:
// RFC 7946 output needs per-feature precision (a feature whose rounded coordinates would be
// invalid keeps full precision; GDAL applies one COORDINATE_PRECISION to all features), and
// GDAL's per-feature writer is the slowest step of large runs. Tests read every file back with
// GDAL to keep the output honest.

#include "../geos/geos.hpp"
#include "ogr_convert.hpp"
#include "../util/parallel.hpp"
#include "proj_util.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/output.hpp>

#include <boost/geometry/algorithms/correct.hpp>
#include <boost/geometry/algorithms/for_each.hpp>
#include <nlohmann/json.hpp>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <unistd.h>

namespace spaceuse {

namespace {

namespace fs = std::filesystem;

/// Decimals of projected (metre) coordinates in GeoJSON written in the analysis CRS: 1 mm.
constexpr int kNativeDecimals = 3;

/// A file written under a temporary name and renamed into place by commit().
class AtomicFile {
public:
    AtomicFile(const std::string& path, const WriteOptions& options) : m_path(path) {
        if (!options.overwrite && fs::exists(path)) {
            throw OutputError("output exists and overwrite is off").set_source(path);
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

/// Appends `s` as a JSON string literal, byte for byte what
/// nlohmann::json(s).dump(-1, ' ', false, error_handler_t::replace) gives. Most values are
/// printable ASCII without quotes or backslashes, which that dump copies unchanged between
/// quotes; only the others (control characters, escapes, UTF-8 to validate or replace) go
/// through nlohmann, so the rules stay nlohmann's.
void append_json_string(std::string& out, const std::string& s) {
    const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
    });
    if (plain) {
        out += '"';
        out += s;
        out += '"';
        return;
    }
    out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_value(std::string& out, const Value& value) {
    std::visit(
        [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
            out += "null";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
            char buf[24];
            auto res = std::to_chars(buf, buf + sizeof buf, v);
            out.append(buf, res.ptr);
        } else if constexpr (std::is_same_v<T, double>) {
            // A real attribute always carries a decimal point ("400.0"), so readers that
            // infer types (GDAL, QGIS) see a real field even when every value is whole.
            const std::size_t start = out.size();
            append_double(out, v);
            if (std::isfinite(v) && out.find_first_of(".e", start) == std::string::npos) {
                out += ".0";
            }
        } else {
            append_json_string(out, v);
        }
        },
        value);
}

/// Rounds every coordinate of `in` to 1/`scale` into `out` (whose buffers are reused). Returns
/// true when some coordinate changed or is not finite.
bool round_points(const MultiPolygon& in, MultiPolygon& out, double scale) {
    out = in;
    bool moved = false;
    boost::geometry::for_each_point(out, [scale, &moved](Point& p) {
        const double x = std::round(p.x() * scale) / scale;
        const double y = std::round(p.y() * scale) / scale;
        // NaN compares unequal, so a non-finite coordinate counts as moved.
        moved = moved || x != p.x() || y != p.y() || !std::isfinite(x) || !std::isfinite(y);
        p.x(x);
        p.y(y);
    });
    return moved;
}

/// True when GEOS is sure to accept the polygons as geometry (every ring closed with at least 4
/// points, no empty exterior), so converting them cannot throw.
bool converts_to_geos(const MultiPolygon& polys) {
    auto ring_ok = [](const Ring& r) {
        return r.size() >= 4 && r.front().x() == r.back().x() && r.front().y() == r.back().y();
    };
    return std::all_of(polys.begin(), polys.end(), [&ring_ok](const Polygon& p) {
        return ring_ok(p.outer()) && std::all_of(p.inners().begin(), p.inners().end(), ring_ok);
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

void write_text_file(const std::string& path, const std::string& text,
                     const WriteOptions& options) {
    AtomicFile file(path, options);
    file.stream() << text;
    file.commit();
}

namespace {

/// Rows per block of GeoJSON text: the unit of work of a writer thread, and of output. A block
/// of polygons is a few hundred kB of text.
constexpr std::size_t kBlockRows = 2048;

/// What every block of one GeoJSON file shares, read-only.
struct GeoJsonJob {
    const OutputLayer& layer;
    const CrsInfo& crs;
    /// Names the target in errors.
    const std::string& path;
    bool native = false;
    int precision = 7;
    double scale = 1e7;
    /// `"name":` of each field, escaped once per layer; all but the first start with a comma.
    std::vector<std::string> field_prefixes;
};

/// Per-thread state of the GeoJSON builder: PROJ and GEOS contexts cannot be shared between
/// threads, and the geometry buffers are reused from feature to feature.
struct FeatureWriter {
    explicit FeatureWriter(const GeoJsonJob& job) {
        if (!job.native) {
            to_wgs84.emplace(detail::crs_definition(job.crs), "EPSG:4326");
        }
    }
    std::optional<detail::Transformer> to_wgs84;
    detail::GeosContext geos;
    Geometry geometry;
    MultiPolygon rounded;
    /// WGS84 positions of the points met last (a point shared by neighbouring features goes
    /// through PROJ once).
    detail::PointMemo memo;
    std::string reason;
};

/// Decimals to write a polygonal feature with: the job's precision, or -1 (full precision) when
/// rounding would make the valid `polys` invalid. Counts the latter in `stats`.
int polygon_decimals(const GeoJsonJob& job, FeatureWriter& w, const MultiPolygon& polys,
                     GeoJsonStats& stats) {
    const bool moved = round_points(polys, w.rounded, job.scale);
    // When rounding moved no coordinate, the rounded geometry is the geometry itself, so it is
    // valid exactly when the original is: either both are valid (write rounded) or both are
    // invalid (an invalid feature is written rounded too). The answer is the job's precision
    // whatever GEOS would say, provided GEOS accepts the rings at all (a conversion failure
    // would surface as an error below, and must still do so): converts_to_geos checks that.
    if (!moved && converts_to_geos(polys)) {
        return job.precision;
    }
    // A rounded geometry that the reader's cheap exact test vouches for is valid: the job's
    // precision, as GEOS would answer (most parcels and buildings are such simple rings).
    if (detail::clearly_valid(w.rounded)) {
        return job.precision;
    }
    bool valid_after = false;
    try {
        auto after = w.geos.from(w.rounded);
        valid_after = w.geos.is_valid(after.get(), w.reason);
    } catch (const GeometryError&) {
        valid_after = false;
    }
    // Only a feature that rounding broke keeps full precision; one that was already invalid is
    // written rounded like the rest.
    if (!valid_after) {
        auto before = w.geos.from(polys);
        if (w.geos.is_valid(before.get(), w.reason)) {
            ++stats.full_precision;
            return -1;
        }
    }
    return job.precision;
}

/// Appends the features of rows [begin, end) to `out`, each preceded by ",\n" except row 0.
void write_features(const GeoJsonJob& job, FeatureWriter& w, std::size_t begin, std::size_t end,
                    std::string& out, GeoJsonStats& stats) {
    const OutputLayer& layer = job.layer;
    for (std::size_t row = begin; row < end; ++row) {
        if (row) {
            out += ",\n";
        }
        out += R"({"type":"Feature","properties":{)";
        const auto& values = layer.rows[row];
        for (std::size_t f = 0; f < job.field_prefixes.size(); ++f) {
            out += job.field_prefixes[f];
            append_value(out, values[f]);
        }
        out += R"(},"geometry":)";
        if (!layer.has_geometry()) {
            out += "null";
        } else {
            // Copy-assigning into the same alternative reuses the buffers of the last feature.
            w.geometry = layer.geometry(row);
            const bool ok = !w.to_wgs84 ||
                            std::visit([&w](auto& x) { return w.memo.transform(x, *w.to_wgs84); },
                                       w.geometry);
            if (!ok) {
                throw OutputError("geometry cannot be transformed to WGS84 (row " +
                                  std::to_string(row + 1) + ")")
                    .set_source(job.path);
            }
            int decimals = job.precision;
            if (auto* polys = std::get_if<MultiPolygon>(&w.geometry)) {
                boost::geometry::correct(*polys);
                decimals = polygon_decimals(job, w, *polys, stats);
            }
            write_geometry(out, w.geometry, decimals);
        }
        out += '}';
        ++stats.features;
    }
}

/// Turns the blocks of a job into text on `threads` threads (the caller's included) while
/// `flush` gets them strictly in order: a pipeline of block numbers (in order), text (side by
/// side, one FeatureWriter per thread) and flush (in order). At most `2 * threads` blocks are in
/// flight, so memory stays bounded whatever the layer size. An exception while writing a block
/// is rethrown when its block's turn to be flushed comes, so the error of the first failing row
/// wins, as in a sequential run.
void write_blocks_parallel(const GeoJsonJob& job, std::size_t blocks, unsigned threads,
                           const std::function<void(std::string&)>& flush, GeoJsonStats& stats) {
    struct Block {
        std::string text;
        GeoJsonStats stats;
        std::exception_ptr error;
    };
    // The pipeline passes block numbers; block k lives in slot k % window, free again once
    // block k - window is flushed (no more than `window` blocks are in flight). The slots
    // own the text, so an error leaks nothing, and the flushed buffers are reused.
    const std::size_t window = 2 * static_cast<std::size_t>(threads);
    std::vector<Block> slots(window);
    const std::size_t rows = job.layer.rows.size();
    tbb::enumerable_thread_specific<std::optional<FeatureWriter>> writers;
    std::size_t next = 0;
    detail::run_in_arena(threads, [&] {
        tbb::parallel_pipeline(
            window, tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                                        [&](tbb::flow_control& fc) -> std::size_t {
                                                            if (next >= blocks) {
                                                                fc.stop();
                                                                return 0;
                                                            }
                                                            return next++;
                                                        }) &
                        tbb::make_filter<std::size_t, std::size_t>(
                            tbb::filter_mode::parallel,
                            [&](std::size_t index) {
            Block& block = slots[index % window];
            block.text.clear();
            block.stats = GeoJsonStats{};
            block.error = nullptr;
            try {
                auto& w = writers.local();
                if (!w) {
                    w.emplace(job);
                }
                write_features(job, *w, index * kBlockRows,
                               std::min(rows, (index + 1) * kBlockRows), block.text, block.stats);
            } catch (...) {
                block.error = std::current_exception();
            }
            return index;
                            }) &
            tbb::make_filter<std::size_t, void>(tbb::filter_mode::serial_in_order,
                                                [&](std::size_t index) {
            Block& block = slots[index % window];
            if (block.error) {
                std::rethrow_exception(block.error);
            }
            flush(block.text);
            stats.features += block.stats.features;
            stats.full_precision += block.stats.full_precision;
            }));
    });
}

/// Builds the GeoJSON text behind write_geojson (RFC 7946, WGS84), write_geojson_native and
/// geojson_text, handing it to `flush` in pieces (a block of rows each). `path` names the target
/// in errors. The text is the same whatever the number of threads.
GeoJsonStats build_geojson(const OutputLayer& layer, const CrsInfo& crs, const std::string& path,
                           const WriteOptions& options, bool native,
                           const std::function<void(std::string&)>& flush) {
    std::string crs_member;
    if (native) {
        const auto colon = crs.code.find(':');
        if (colon == std::string::npos) {
            throw ConfigError(
                "GeoJSON in the analysis CRS needs a CRS with an authority code; '" + crs.name +
                "' has none (use RFC 7946 GeoJSON, or an analysis CRS with an EPSG code: crs)");
        }
        crs_member = R"("crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:)" +
                     crs.code.substr(0, colon) + "::" + crs.code.substr(colon + 1) + "\"}},\n";
    }
    const int precision = native ? kNativeDecimals : options.precision;
    GeoJsonJob job{layer, crs, path, native, precision, std::pow(10.0, precision), {}};
    if (!layer.rows.empty()) {
        for (std::size_t f = 0; f < layer.fields.size(); ++f) {
            const std::string name = nlohmann::json(layer.fields[f].name).dump();
            job.field_prefixes.push_back((f ? "," : "") + name + ":");
        }
    }

    const std::size_t blocks = (layer.rows.size() + kBlockRows - 1) / kBlockRows;
    const auto threads = static_cast<unsigned>(std::clamp<std::size_t>(
        detail::worker_count(options.threads), 1, std::max<std::size_t>(1, blocks)));

    GeoJsonStats stats;
    std::string out;
    // With one thread the calling thread does the work; its PROJ transformer is made before any
    // output, so a CRS PROJ cannot use fails first, as it does with workers.
    std::optional<FeatureWriter> writer;
    if (threads == 1) {
        writer.emplace(job);
    }
    out += R"({"type":"FeatureCollection","name":)";
    out += nlohmann::json(layer.name).dump();
    out += ",\n";
    out += crs_member;
    out += "\"features\":[\n";
    if (threads == 1) {
        for (std::size_t block = 0; block < blocks; ++block) {
            write_features(job, *writer, block * kBlockRows,
                           std::min(layer.rows.size(), (block + 1) * kBlockRows), out, stats);
            flush(out);
            out.clear();
        }
    } else {
        flush(out);
        out.clear();
        write_blocks_parallel(job, blocks, threads, flush, stats);
    }
    out += "\n]}\n";
    flush(out);
    return stats;
}

GeoJsonStats write_geojson_file(const OutputLayer& layer, const CrsInfo& crs,
                                const std::string& path, const WriteOptions& options, bool native) {
    AtomicFile file(path, options);
    const auto stats = build_geojson(layer, crs, path, options, native,
                                     [&file](std::string& piece) { file.stream() << piece; });
    file.commit();
    return stats;
}

}  // namespace

GeoJsonStats write_geojson(const OutputLayer& layer, const CrsInfo& crs, const std::string& path,
                           const WriteOptions& options) {
    return write_geojson_file(layer, crs, path, options, false);
}

GeoJsonStats write_geojson_native(const OutputLayer& layer, const CrsInfo& crs,
                                  const std::string& path, const WriteOptions& options) {
    return write_geojson_file(layer, crs, path, options, true);
}

std::string geojson_text(const OutputLayer& layer, const CrsInfo& crs,
                         const WriteOptions& options) {
    std::string text;
    build_geojson(layer, crs, layer.name, options, false,
                  [&text](std::string& piece) { text += piece; });
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
    auto format_row = [&](std::string& text, const Rows::Row& row) {
        for (std::size_t f = 0; f < layer.fields.size(); ++f) {
            if (f) {
                text += ',';
            }
            const Value& v = row[f];
            if (const auto* d = std::get_if<double>(&v)) {
                // Exactly printf's "%.*f" (both round the binary value correctly), without its
                // locale and format parsing: a region's tables have millions of numbers.
                char buf[400];
                const int dec = layer.fields[f].decimals >= 0 ? layer.fields[f].decimals : decimals;
                const auto res = std::to_chars(buf, buf + sizeof buf, *d, std::chars_format::fixed,
                                               dec);
                text.append(buf, res.ptr);
            } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
                text += std::to_string(*i);
            } else if (const auto* s = std::get_if<std::string>(&v)) {
                text += quote(*s);
            }
        }
        text += '\n';
    };
    // Blocks of rows formatted on the worker threads and written in order: the same bytes for
    // any thread count.
    constexpr std::size_t block = 16384;
    const std::size_t blocks = (layer.rows.size() + block - 1) / block;
    std::vector<std::string> texts(blocks);
    detail::parallel_for(blocks, blocks > 1 ? detail::worker_count(options.threads) : 1, 1,
                         detail::stateless, [&](detail::Stateless&, std::size_t k) {
                             const std::size_t end = std::min(layer.rows.size(), (k + 1) * block);
                             for (std::size_t r = k * block; r < end; ++r) {
                                 format_row(texts[k], layer.rows[r]);
                             }
                         });
    file.stream() << out;
    for (const auto& t : texts) {
        file.stream() << t;
    }
    file.commit();
}

}  // namespace spaceuse
