#include "gdal_util.hpp"
#include "ogr_convert.hpp"
#include "../util/parallel.hpp"
#include "../util/secrets.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>

#include <cpl_vsi.h>
#include <ogr_recordbatch.h>
#include <ogrsf_frmts.h>

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <thread>

namespace spaceuse {

namespace {

bool path_exists(const std::string& path) {
    detail::ensure_gdal_registered();
    VSIStatBufL stat;
    return VSIStatL(path.c_str(), &stat) == 0;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
    if (s.size() < suffix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < suffix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) !=
            std::tolower(static_cast<unsigned char>(suffix[i]))) {
            return false;
        }
    }
    return true;
}

std::string with_vsizip(const std::string& path) {
    if (path.rfind("/vsi", 0) == 0) {
        return path;
    }
    if (ends_with_ci(path, ".zip")) {
        return "/vsizip/" + path;
    }
    if (ends_with_ci(path, ".gz") && !ends_with_ci(path, ".tar.gz")) {
        return "/vsigzip/" + path;
    }
    return path;
}

FieldType field_type_of(const OGRFieldDefn& defn) {
    switch (defn.GetType()) {
    case OFTInteger:
    case OFTInteger64:
        return FieldType::integer;
    case OFTReal:
        return FieldType::real;
    case OFTDate:
    case OFTDateTime:
    case OFTTime:
        return FieldType::date;
    default:
        return FieldType::string;
    }
}

Value read_value(OGRFeature& feature, int index, FieldType type) {
    if (!feature.IsFieldSetAndNotNull(index)) {
        return std::monostate{};
    }
    switch (type) {
    case FieldType::integer:
        return static_cast<std::int64_t>(feature.GetFieldAsInteger64(index));
    case FieldType::real:
        return feature.GetFieldAsDouble(index);
    default:
        return std::string(feature.GetFieldAsString(index));
    }
}

/// The CRS a layer's coordinates are in: declared, or assumed when missing or impossible.
CrsInfo effective_crs(OGRLayer& layer, const LayerSource& source, const LoadOptions& options,
                      bool& assumed) {
    assumed = false;
    CrsInfo crs = detail::layer_crs(layer);
    if (crs.wkt.empty()) {
        if (options.assume_crs.empty()) {
            throw InputError(
                "layer has no CRS; give the CRS to assume (assume_crs, e.g. EPSG:31370)")
                .set_source(source.path)
                .set_layer(layer.GetName());
        }
        assumed = true;
        return describe_crs(options.assume_crs);
    }
    if (crs.geographic) {
        OGREnvelope env;
        if (layer.GetExtent(&env, TRUE) == OGRERR_NONE &&
            (std::fabs(env.MinX) > 180.0 + 1e-9 || std::fabs(env.MaxX) > 180.0 + 1e-9 ||
             std::fabs(env.MinY) > 90.0 + 1e-9 || std::fabs(env.MaxY) > 90.0 + 1e-9)) {
            if (options.assume_crs.empty()) {
                char buf[200];
                std::snprintf(buf, sizeof buf,
                              "CRS is geographic (%s) but coordinates reach (%.0f, %.0f): "
                              "projected coordinates declared as lon/lat? give the CRS to assume "
                              "(assume_crs)",
                              crs.name.c_str(), env.MaxX, env.MaxY);
                throw InputError(buf).set_source(source.path).set_layer(layer.GetName());
            }
            assumed = true;
            return describe_crs(options.assume_crs);
        }
    }
    return crs;
}

void fill_extents(OGRLayer& layer, const CrsInfo& crs, LayerCrsProbe& probe) {
    OGREnvelope env;
    if (layer.GetExtent(&env, TRUE) != OGRERR_NONE) {
        return;
    }
    probe.extent[0] = env.MinX;
    probe.extent[1] = env.MinY;
    probe.extent[2] = env.MaxX;
    probe.extent[3] = env.MaxY;
    probe.has_wgs84_extent = detail::wgs84_extent(crs, env, probe.wgs84_extent);
}

/// A feature as read from OGR, before its geometry is converted.
struct RawFeature {
    std::int64_t fid = 0;
    std::unique_ptr<OGRGeometry> geometry;
    std::vector<Value> attributes;
    std::string id;
};

/// Columns of an Arrow stream that the reader uses (indexes into the record batch's children).
struct ArrowColumns {
    int fid = -1;
    int geometry = -1;
    char geometry_format = 'z';  ///< 'z' binary, 'Z' large binary
    std::vector<int> fields;     ///< per layer field
    std::vector<char> formats;   ///< Arrow format letter per layer field
};

/// Features read together and converted by one thread: OGR features, or one Arrow record
/// batch (released once converted).
struct ReadBatch {
    ReadBatch() = default;
    ReadBatch(const ReadBatch&) = delete;
    ReadBatch& operator=(const ReadBatch&) = delete;
    /// A batch dropped before its conversion (the read failed) still releases its Arrow array.
    ~ReadBatch() {
        if (arrow.release != nullptr) {
            arrow.release(&arrow);
        }
    }

    std::vector<RawFeature> raw;
    ArrowArray arrow{};
    std::int64_t first_index = 0;  ///< read position of the batch's first feature
    std::vector<Feature> features;
    std::vector<FeatureIssue> issues;
    std::size_t rejected = 0;
    std::size_t repaired = 0;
    std::size_t linearised = 0;
    std::size_t dimension_dropped = 0;
    std::exception_ptr error;
};

constexpr std::size_t kReadBatch = 1024;

/// Whether row `i` of an Arrow array is valid (not null).
bool arrow_valid(const ArrowArray& a, std::int64_t i) {
    if (a.null_count == 0 || a.buffers[0] == nullptr) {
        return true;
    }
    const std::int64_t bit = a.offset + i;
    return (static_cast<const std::uint8_t*>(a.buffers[0])[bit >> 3] >> (bit & 7)) & 1;
}

/// Bytes of row `i` of an Arrow utf8/binary ('u', 'z') or large ('U', 'Z') array.
std::string_view arrow_bytes(const ArrowArray& a, char format, std::int64_t i) {
    const std::int64_t k = a.offset + i;
    const auto* data = static_cast<const char*>(a.buffers[2]);
    if (format == 'U' || format == 'Z') {
        const auto* off = static_cast<const std::int64_t*>(a.buffers[1]);
        return {data + off[k], static_cast<std::size_t>(off[k + 1] - off[k])};
    }
    const auto* off = static_cast<const std::int32_t*>(a.buffers[1]);
    return {data + off[k], static_cast<std::size_t>(off[k + 1] - off[k])};
}

/// Value of row `i` of an Arrow column, as the OGR path would read it.
Value arrow_value(const ArrowArray& a, char format, std::int64_t i) {
    if (!arrow_valid(a, i)) {
        return std::monostate{};
    }
    const std::int64_t k = a.offset + i;
    switch (format) {
    case 'l':
        return static_cast<std::int64_t>(static_cast<const std::int64_t*>(a.buffers[1])[k]);
    case 'i':
        return static_cast<std::int64_t>(static_cast<const std::int32_t*>(a.buffers[1])[k]);
    case 's':
        return static_cast<std::int64_t>(static_cast<const std::int16_t*>(a.buffers[1])[k]);
    case 'g':
        return static_cast<const double*>(a.buffers[1])[k];
    case 'f':
        return static_cast<double>(static_cast<const float*>(a.buffers[1])[k]);
    default:
        return std::string(arrow_bytes(a, format, i));
    }
}

/// Maps the layer's fields, FID and geometry to the columns of an Arrow schema. False when
/// some column has a type this reader does not take as is (dates, booleans, lists...): the
/// layer is then read feature by feature.
bool map_arrow_columns(const ArrowSchema& schema, OGRLayer& layer, const Layer& model_layer,
                       int id_index, ArrowColumns& columns) {
    if (std::string_view(schema.format) != "+s") {
        return false;
    }
    // A real id field: OGR's text of a real differs from ours; read feature by feature.
    if (id_index >= 0 &&
        model_layer.fields[static_cast<std::size_t>(id_index)].type != FieldType::integer &&
        model_layer.fields[static_cast<std::size_t>(id_index)].type != FieldType::string) {
        return false;
    }
    const std::string fid_name = layer.GetFIDColumn() != nullptr && *layer.GetFIDColumn() != '\0'
                                     ? layer.GetFIDColumn()
                                     : "OGC_FID";
    const std::string geom_name = layer.GetGeometryColumn() != nullptr &&
                                          *layer.GetGeometryColumn() != '\0'
                                      ? layer.GetGeometryColumn()
                                      : "wkb_geometry";
    if (layer.GetLayerDefn()->GetGeomFieldCount() != 1) {
        return false;
    }
    columns.fields.assign(model_layer.fields.size(), -1);
    columns.formats.assign(model_layer.fields.size(), 0);
    for (std::int64_t c = 0; c < schema.n_children; ++c) {
        const ArrowSchema& child = *schema.children[c];
        const std::string_view name = child.name != nullptr ? child.name : "";
        const std::string_view format = child.format != nullptr ? child.format : "";
        if (name == fid_name && format == "l" && columns.fid < 0) {
            columns.fid = static_cast<int>(c);
            continue;
        }
        if (name == geom_name && (format == "z" || format == "Z") && columns.geometry < 0) {
            columns.geometry = static_cast<int>(c);
            columns.geometry_format = format[0];
            continue;
        }
        for (std::size_t f = 0; f < model_layer.fields.size(); ++f) {
            if (columns.fields[f] >= 0 || model_layer.fields[f].name != name ||
                format.size() != 1) {
                continue;
            }
            const char letter = format[0];
            const FieldType type = model_layer.fields[f].type;
            const bool ok = (type == FieldType::integer &&
                             (letter == 'l' || letter == 'i' || letter == 's')) ||
                            (type == FieldType::real && (letter == 'g' || letter == 'f')) ||
                            (type == FieldType::string && (letter == 'u' || letter == 'U'));
            if (!ok) {
                return false;
            }
            columns.fields[f] = static_cast<int>(c);
            columns.formats[f] = letter;
        }
    }
    if (columns.geometry < 0) {
        return false;
    }
    for (int c : columns.fields) {
        if (c < 0) {
            return false;
        }
    }
    return true;
}

/// An Arrow stream with its schema, released on destruction.
struct ArrowReader {
    ArrowArrayStream stream{};
    ArrowSchema schema{};
    ArrowReader() = default;
    ArrowReader(const ArrowReader&) = delete;
    ArrowReader& operator=(const ArrowReader&) = delete;
    ~ArrowReader() { reset(); }
    void reset() {
        if (schema.release != nullptr) {
            schema.release(&schema);
        }
        if (stream.release != nullptr) {
            stream.release(&stream);
        }
        schema = ArrowSchema{};
        stream = ArrowArrayStream{};
    }
};

struct OpenLayer {
    GDALDatasetUniquePtr dataset;
    OGRLayer* layer = nullptr;
    LayerCrsProbe probe;
    bool north_first = false;
};

/// Stops the run on a layer none of whose features could be used: a partial rejection is a
/// reported warning, a total one means the wrong layer, the wrong CRS or a broken file.
[[noreturn]] void throw_all_rejected(const Layer& layer) {
    std::map<IssueKind, std::int64_t> counts;
    for (const auto& issue : layer.report.issues) {
        if (issue_rejects(issue.kind)) {
            ++counts[issue.kind];
        }
    }
    IssueKind dominant = IssueKind::null_geometry;
    std::int64_t most = -1;
    for (const auto& [kind, n] : counts) {
        if (n > most) {
            dominant = kind;
            most = n;
        }
    }
    std::string example;
    for (const auto& issue : layer.report.issues) {
        if (issue.kind == dominant && !issue.detail.empty()) {
            example = " (e.g. fid " + std::to_string(issue.fid) + ": " + issue.detail + ")";
            break;
        }
    }
    const char* hint = "";
    switch (dominant) {
    case IssueKind::wrong_type:
        hint = "; wrong layer? it does not hold the geometry kind this role needs";
        break;
    case IssueKind::not_transformable:
        hint = "; wrong CRS? the coordinates do not fit the layer's (or the assumed) CRS";
        break;
    case IssueKind::null_geometry:
    case IssueKind::empty_geometry:
        hint = "; wrong layer? its features have no geometry";
        break;
    default:
        break;
    }
    throw InputError("all " + std::to_string(layer.report.read) + " features rejected, " +
                     std::to_string(std::max<std::int64_t>(most, 0)) + " of them as " +
                     issue_kind_name(dominant) + example + hint)
        .set_source(layer.source)
        .set_layer(layer.source_layer);
}

OpenLayer open_layer(const LayerSource& source, const LoadOptions& options) {
    OpenLayer open;
    open.dataset = detail::open_vector(source.path);
    open.layer = detail::select_layer(*open.dataset, source);
    if (open.layer->GetLayerDefn()->GetGeomFieldCount() == 0) {
        // Checked before the CRS: a table has none, and "give a CRS" would send the user the
        // wrong way.
        const OGRFeatureDefn& defn = *open.layer->GetLayerDefn();
        std::string fields;
        for (int i = 0; i < defn.GetFieldCount() && i < 6; ++i) {
            fields += (i ? ", " : "") + std::string(defn.GetFieldDefn(i)->GetNameRef());
        }
        if (defn.GetFieldCount() > 6) {
            fields += ", ...";
        }
        const GIntBig rows = open.layer->GetFeatureCount(TRUE);
        throw InputError("layer has no geometry column (a table of " +
                         (rows >= 0 ? std::to_string(rows) : std::string("some")) +
                         " rows, fields: " + (fields.empty() ? "none" : fields) +
                         "); wrong layer? give the layer that holds the geometries")
            .set_source(source.path)
            .set_layer(open.layer->GetName());
    }
    if (!source.where.empty()) {
        detail::GdalErrorCapture capture;
        if (open.layer->SetAttributeFilter(source.where.c_str()) != OGRERR_NONE) {
            throw InputError("bad attribute filter (where) '" + source.where +
                             "': " + capture.last_error())
                .set_source(source.path)
                .set_layer(open.layer->GetName());
        }
    }
    bool assumed = false;
    open.probe.label = detail::without_secrets(source.label());
    open.probe.crs = effective_crs(*open.layer, source, options, assumed);
    open.north_first = !assumed && detail::layer_data_is_north_first(*open.layer);
    fill_extents(*open.layer, open.probe.crs, open.probe);
    return open;
}

}  // namespace

std::string LayerSource::label() const { return layer.empty() ? path : path + ":" + layer; }

LayerSource parse_layer_source(const std::string& spec) {
    LayerSource source;
    if (spec.rfind("PG:", 0) == 0 || path_exists(spec) || path_exists(with_vsizip(spec))) {
        source.path = with_vsizip(spec);
        return source;
    }
    const auto colon = spec.rfind(':');
    if (colon != std::string::npos && colon > 0 && colon + 1 < spec.size()) {
        const std::string left = spec.substr(0, colon);
        if (path_exists(left) || path_exists(with_vsizip(left))) {
            source.path = with_vsizip(left);
            source.layer = spec.substr(colon + 1);
            return source;
        }
    }
    source.path = with_vsizip(spec);
    return source;
}

LayerCrsProbe probe_layer_crs(const LayerSource& source, const LoadOptions& options) {
    detail::GdalErrorCapture quiet;  // GDAL reports through exceptions here, never on stderr
    return open_layer(source, options).probe;
}

CrsInfo choose_analysis_crs(const std::vector<LayerCrsProbe>& probes, const LoadOptions& options,
                            std::string& reason) {
    if (!options.crs.empty()) {
        CrsInfo crs = describe_crs(options.crs);
        if (!crs.metric) {
            throw ConfigError("analysis CRS " + options.crs + " (" + crs.name +
                              ") is not a projected CRS in metres; areas and distances need one");
        }
        reason = "given (crs)";
        return crs;
    }
    for (const auto& probe : probes) {
        if (probe.crs.metric) {
            reason = "first input with a projected metric CRS (" + probe.label + ")";
            return probe.crs;
        }
    }
    double minx = 1e300;
    double miny = 1e300;
    double maxx = -1e300;
    double maxy = -1e300;
    for (const auto& probe : probes) {
        if (probe.has_wgs84_extent) {
            minx = std::min(minx, probe.wgs84_extent[0]);
            miny = std::min(miny, probe.wgs84_extent[1]);
            maxx = std::max(maxx, probe.wgs84_extent[2]);
            maxy = std::max(maxy, probe.wgs84_extent[3]);
        }
    }
    if (minx > maxx) {
        throw InputError("cannot choose an analysis CRS: no input has a projected metric CRS or "
                         "a known extent; give the analysis CRS (crs, e.g. EPSG:31370)");
    }
    const double lon = (minx + maxx) / 2;
    const double lat = (miny + maxy) / 2;
    const std::string code = utm_crs_for(lon, lat);
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "UTM zone of the data's centre (%.4f, %.4f): no input has a projected metric "
                  "CRS",
                  lon, lat);
    reason = buf;
    return describe_crs(code);
}

Model load_model(const std::vector<LayerRequest>& requests, const LoadOptions& options,
                 const ProgressFn& progress_fn) {
    detail::GdalErrorCapture quiet;  // GDAL reports through exceptions here, never on stderr
    Progress progress(progress_fn);
    progress.report(0.0, "opening layers");
    std::vector<OpenLayer> open;
    std::vector<LayerCrsProbe> probes;
    for (const auto& request : requests) {
        open.push_back(open_layer(request.source, options));
        probes.push_back(open.back().probe);
    }
    Model model;
    model.crs = choose_analysis_crs(probes, options, model.crs_reason);
    const std::string target = detail::crs_definition(model.crs);

    detail::GeosContext geos;
    for (std::size_t li = 0; li < requests.size(); ++li) {
        const auto& request = requests[li];
        auto& ol = open[li];
        Progress step = progress.sub(static_cast<double>(li) / requests.size(),
                                     static_cast<double>(li + 1) / requests.size());
        Layer layer;
        layer.name = request.name;
        layer.source = request.source.path;
        layer.source_layer = ol.layer->GetName();
        layer.id_field = request.source.id_field;
        layer.family = request.family;
        layer.source_crs = ol.probe.crs;

        std::optional<detail::Transformer> transformer;
        transformer.emplace(detail::crs_definition(ol.probe.crs), target, ol.north_first);
        if (ol.probe.has_wgs84_extent) {
            layer.operation = describe_operation(
                detail::crs_definition(ol.probe.crs), target,
                (ol.probe.wgs84_extent[0] + ol.probe.wgs84_extent[2]) / 2,
                (ol.probe.wgs84_extent[1] + ol.probe.wgs84_extent[3]) / 2);
        } else {
            layer.operation = transformer->last_operation();
        }

        OGRFeatureDefn* defn = ol.layer->GetLayerDefn();
        for (int i = 0; i < defn->GetFieldCount(); ++i) {
            const OGRFieldDefn* fd = defn->GetFieldDefn(i);
            layer.fields.push_back(Field{fd->GetNameRef(), field_type_of(*fd)});
        }
        int id_index = -1;
        if (!layer.id_field.empty()) {
            id_index = defn->GetFieldIndex(layer.id_field.c_str());
            if (id_index < 0) {
                std::string names;
                for (const auto& f : layer.fields) {
                    names += (names.empty() ? "" : ", ") + f.name;
                }
                // A GeoJSON without features has no fields either: say the layer is empty.
                throw InputError(names.empty() && ol.layer->GetFeatureCount(TRUE) == 0
                                     ? "no id field '" + layer.id_field +
                                           "': the layer is empty (no features, no fields)"
                                     : "no id field '" + layer.id_field + "' (fields: " + names +
                                           ")")
                    .set_source(layer.source)
                    .set_layer(layer.source_layer);
            }
        }

        // Features are read in order on this thread (OGR layers are sequential) and handed in
        // batches to converters (one PROJ transformer and GEOS context each): conversion,
        // validation and repair run in parallel, and the batches are joined in read order, so
        // the model is the same for any thread count.
        const std::string source_def = detail::crs_definition(ol.probe.crs);
        const bool north_first = ol.north_first;
        const GeometryFamily family = request.family;
        ArrowColumns columns;
        auto keep = [&](ReadBatch& batch, std::int64_t fid, std::string id,
                        std::vector<Value> attributes, detail::ConvertResult result) {
            if (!result.geometry) {
                ++batch.rejected;
                batch.issues.push_back(FeatureIssue{fid, result.reject_kind, result.detail});
                return;
            }
            if (result.repaired) {
                ++batch.repaired;
                batch.issues.push_back(FeatureIssue{fid, IssueKind::repaired, result.detail});
            }
            batch.linearised += result.linearised ? 1 : 0;
            batch.dimension_dropped += result.dimension_dropped ? 1 : 0;
            Feature f;
            f.fid = fid;
            f.id = std::move(id);
            f.attributes = std::move(attributes);
            f.geometry = std::move(*result.geometry);
            batch.features.push_back(std::move(f));
        };
        // One Arrow record batch: the same figures as the feature-by-feature path.
        auto convert_arrow =
            [&](ReadBatch& batch, detail::Transformer* tr, const detail::GeosContext& g) {
            const ArrowArray& a = batch.arrow;
            const ArrowArray& geom = *a.children[columns.geometry];
            batch.features.reserve(static_cast<std::size_t>(a.length));
            for (std::int64_t r = 0; r < a.length; ++r) {
                const std::int64_t row = a.offset + r;
                const std::int64_t fid =
                    columns.fid >= 0 && arrow_valid(*a.children[columns.fid], row)
                        ? static_cast<const std::int64_t*>(
                              a.children[columns.fid]
                                  ->buffers[1])[a.children[columns.fid]->offset + row]
                        : batch.first_index + r + 1;
                std::vector<Value> attributes;
                attributes.reserve(columns.fields.size());
                for (std::size_t f = 0; f < columns.fields.size(); ++f) {
                    attributes.push_back(
                        arrow_value(*a.children[columns.fields[f]], columns.formats[f], row));
                }
                std::string id;
                if (id_index >= 0 && !std::holds_alternative<std::monostate>(
                                         attributes[static_cast<std::size_t>(id_index)])) {
                    id = value_as_text(attributes[static_cast<std::size_t>(id_index)]);
                } else {
                    id = std::to_string(fid);
                }
                detail::ConvertResult result;
                if (!arrow_valid(geom, row)) {
                    result = detail::convert_geometry(nullptr, family, tr, g);
                } else {
                    const std::string_view wkb = arrow_bytes(geom, columns.geometry_format, row);
                    const auto* bytes = reinterpret_cast<const unsigned char*>(wkb.data());
                    std::optional<detail::ConvertResult> fast;
                    if (family == GeometryFamily::polygon) {
                        fast = detail::convert_wkb_polygons(bytes, wkb.size(), tr, g);
                    }
                    if (fast) {
                        result = std::move(*fast);
                    } else {
                        OGRGeometry* parsed = nullptr;
                        if (wkb.empty() ||
                            OGRGeometryFactory::createFromWkb(bytes, nullptr, &parsed,
                                                              wkb.size()) != OGRERR_NONE) {
                            delete parsed;
                            parsed = nullptr;
                        }
                        result = detail::convert_geometry(std::unique_ptr<OGRGeometry>(parsed),
                                                          family, tr, g);
                    }
                }
                keep(batch, fid, std::move(id), std::move(attributes), std::move(result));
            }
        };
        auto convert_batch =
            [&](ReadBatch& batch, detail::Transformer* tr, const detail::GeosContext& g) {
            if (batch.arrow.release != nullptr) {
                try {
                    convert_arrow(batch, tr, g);
                } catch (...) {
                    batch.error = std::current_exception();
                }
                batch.arrow.release(&batch.arrow);
                return;
            }
            try {
                for (auto& raw : batch.raw) {
                    keep(batch, raw.fid, std::move(raw.id), std::move(raw.attributes),
                         detail::convert_geometry(std::move(raw.geometry), family, tr, g));
                }
            } catch (...) {
                batch.error = std::current_exception();
            }
            batch.raw.clear();
            batch.raw.shrink_to_fit();
        };
        detail::Transformer* main_tr = transformer->identity() ? nullptr : &*transformer;
        // Converters of the other threads: a transformer and a GEOS context each, made on a
        // thread's first batch (the calling thread uses its own).
        struct Converter {
            detail::Transformer tr;
            detail::GeosContext g;
        };
        tbb::enumerable_thread_specific<Converter> converters([&] {
            return Converter{detail::Transformer(source_def, target, north_first), {}};
        });
        const auto reader_thread = std::this_thread::get_id();
        auto convert_here = [&](ReadBatch& b) {
            detail::GdalErrorCapture convert_capture;  // GDAL's error handler is per thread
            if (std::this_thread::get_id() == reader_thread) {
                convert_batch(b, main_tr, geos);
                return;
            }
            Converter* c = nullptr;
            try {
                c = &converters.local();
            } catch (...) {
                b.error = std::current_exception();
                if (b.arrow.release != nullptr) {
                    b.arrow.release(&b.arrow);
                }
                return;
            }
            convert_batch(b, c->tr.identity() ? nullptr : &c->tr, c->g);
        };

        detail::GdalErrorCapture capture;
        const GIntBig total = ol.layer->GetFeatureCount(FALSE);
        ol.layer->ResetReading();
        std::int64_t index = 0;
        step.report(0.0, "reading " + request.name);
        // GDAL's Arrow stream where the driver has a fast one (GeoPackage, FlatGeobuf,
        // Parquet...): whole record batches without an OGRFeature per row.
        ArrowReader arrow;
        bool use_arrow = false;
        if (ol.layer->TestCapability(OLCFastGetArrowStream)) {
            const char* arrow_options[] = {"MAX_FEATURES_IN_BATCH=2048", nullptr};
            if (ol.layer->GetArrowStream(&arrow.stream, arrow_options) &&
                arrow.stream.get_schema(&arrow.stream, &arrow.schema) == 0) {
                use_arrow = map_arrow_columns(arrow.schema, *ol.layer, layer, id_index, columns);
            }
            if (!use_arrow) {
                arrow.reset();
                ol.layer->ResetReading();
            }
        }
        // The next Arrow record batch into `batch`; false at the end of the stream.
        auto read_arrow = [&](ReadBatch& batch) {
            detail::GdalErrorCapture read_capture;  // the handler is per thread
            // GDAL 3.6's GeoPackage stream answers a damaged table with empty batches, without
            // end and without failing (found by fuzz_layer_gpkg): an empty batch with a GDAL
            // error is that error, and a long run of empty ones is a stream that never ends.
            int empty_batches = 0;
            constexpr int kMaxEmptyBatches = 64;
            while (true) {
                read_capture.clear();
                ArrowArray array{};
                if (arrow.stream.get_next(&arrow.stream, &array) != 0) {
                    const char* message = arrow.stream.get_last_error != nullptr
                                              ? arrow.stream.get_last_error(&arrow.stream)
                                              : nullptr;
                    throw InputError("read error after " + std::to_string(index) + " features: " +
                                     (message != nullptr ? message : "Arrow stream failed"))
                        .set_source(layer.source)
                        .set_layer(layer.source_layer);
                }
                if (array.release == nullptr) {
                    return false;
                }
                if (array.length == 0) {
                    array.release(&array);
                    // An attribute filter may legitimately empty whole batches in drivers that
                    // filter after reading: the count then does not apply.
                    if (!read_capture.last_error().empty() ||
                        (request.source.where.empty() && ++empty_batches > kMaxEmptyBatches)) {
                        throw InputError("read error after " + std::to_string(index) +
                                         " features: " +
                                         (!read_capture.last_error().empty()
                                              ? read_capture.last_error()
                                              : std::string("the driver returns no features "
                                                            "and no end (a damaged file?)")))
                            .set_source(layer.source)
                            .set_layer(layer.source_layer);
                    }
                    continue;
                }
                batch.arrow = array;
                batch.first_index = index;
                index += array.length;
                layer.report.read += static_cast<decltype(layer.report.read)>(array.length);
                if (total > 0) {
                    step.report(0.9 * static_cast<double>(index) / static_cast<double>(total),
                                "reading " + request.name);
                }
                return true;
            }
        };
        // The next kReadBatch OGR features into `batch`; false when there were none left.
        auto read_features = [&](ReadBatch& batch) {
            // Errors are captured on the thread that reads (the handler is per thread).
            detail::GdalErrorCapture read_capture;
            while (batch.raw.size() < kReadBatch) {
                read_capture.clear();
                OGRFeatureUniquePtr feature(ol.layer->GetNextFeature());
                if (!feature) {
                    if (!read_capture.last_error().empty()) {
                        throw InputError("read error after " + std::to_string(index) +
                                         " features: " + read_capture.last_error())
                            .set_source(layer.source)
                            .set_layer(layer.source_layer);
                    }
                    break;
                }
                ++index;
                ++layer.report.read;
                RawFeature raw;
                raw.fid = feature->GetFID() == OGRNullFID
                              ? index
                              : static_cast<std::int64_t>(feature->GetFID());
                raw.geometry.reset(feature->StealGeometry());
                raw.attributes.reserve(layer.fields.size());
                for (std::size_t i = 0; i < layer.fields.size(); ++i) {
                    raw.attributes.push_back(
                        read_value(*feature, static_cast<int>(i), layer.fields[i].type));
                }
                if (id_index >= 0 && feature->IsFieldSetAndNotNull(id_index)) {
                    raw.id = feature->GetFieldAsString(id_index);
                } else {
                    raw.id = std::to_string(raw.fid);
                }
                batch.raw.push_back(std::move(raw));
                if (total > 0 && index % 4096 == 0) {
                    step.report(0.9 * static_cast<double>(index) / static_cast<double>(total),
                                "reading " + request.name);
                }
            }
            return !batch.raw.empty();
        };
        // Joined in read order. The first conversion error in read order is reported once
        // everything is read, as a read error is reported at once.
        std::exception_ptr convert_error;
        if (total > 0) {
            layer.features.reserve(static_cast<std::size_t>(total));
        }
        auto join = [&](std::unique_ptr<ReadBatch> b) {
            if (convert_error || b->error) {
                if (!convert_error) {
                    convert_error = b->error;
                }
                return;
            }
            layer.report.rejected += b->rejected;
            layer.report.repaired += b->repaired;
            layer.report.linearised += b->linearised;
            layer.report.dimension_dropped += b->dimension_dropped;
            layer.report.kept += static_cast<decltype(layer.report.kept)>(b->features.size());
            for (auto& issue : b->issues) {
                layer.report.issues.push_back(std::move(issue));
            }
            for (auto& f : b->features) {
                layer.features.push_back(std::move(f));
            }
        };
        // Read in order (one filter call at a time: OGR layers are sequential), converted side
        // by side, joined in order; at most two batches per thread are in flight. The pipeline
        // passes batch numbers; batch k lives in slot k % window, free again once batch
        // k - window is joined, and the slots own the batches, so an error leaks nothing.
        const unsigned threads = detail::worker_count(options.threads);
        const std::size_t window = 2 * static_cast<std::size_t>(threads);
        std::vector<std::unique_ptr<ReadBatch>> slots(window);
        std::size_t next = 0;
        detail::run_in_arena(threads, [&] {
            tbb::parallel_pipeline(window,
                                   tbb::make_filter<void, std::size_t>(
                                       tbb::filter_mode::serial_in_order,
                                       [&](tbb::flow_control& fc) -> std::size_t {
                                           auto b = std::make_unique<ReadBatch>();
                                           if (!(use_arrow ? read_arrow(*b) : read_features(*b))) {
                                               fc.stop();
                                               return 0;
                                           }
                                           slots[next % window] = std::move(b);
                                           return next++;
                                       }) &
                                       tbb::make_filter<std::size_t, std::size_t>(
                                           tbb::filter_mode::parallel,
                                           [&](std::size_t k) {
                convert_here(*slots[k % window]);
                return k;
                                           }) &
                                   tbb::make_filter<std::size_t, void>(
                                       tbb::filter_mode::serial_in_order,
                                       [&](std::size_t k) { join(std::move(slots[k % window])); }));
        });
        if (convert_error) {
            std::rethrow_exception(convert_error);
        }
        if (layer.report.read > 0 && layer.report.kept == 0) {
            throw_all_rejected(layer);
        }
        if (request.source.path.rfind("PG:", 0) == 0) {
            // A database table has no row order of its own: features in id order, as a file
            // written from it holds them, so results do not depend on the table's history.
            std::stable_sort(layer.features.begin(), layer.features.end(),
                             [](const Feature& a, const Feature& b) { return a.fid < b.fid; });
            std::stable_sort(layer.report.issues.begin(), layer.report.issues.end(),
                             [](const FeatureIssue& a, const FeatureIssue& b) {
                return a.fid < b.fid;
            });
        }
        model.layers.push_back(std::move(layer));
        step.report(1.0, "read " + request.name);
    }
    // The layers' R-trees are built on first use (Layer::query), so a layer no analysis queries
    // (the parcels of an occupancy run, the origins of an access run) costs no index.
    progress.report(1.0, "layers loaded");
    return model;
}

}  // namespace spaceuse
