#include "gdal_util.hpp"
#include "ogr_convert.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>

#include <cpl_vsi.h>

#include <cmath>
#include <string_view>

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
            throw InputError("layer has no CRS; pass --assume-crs EPSG:xxxx")
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
                              "projected coordinates declared as lon/lat? pass --assume-crs "
                              "EPSG:xxxx",
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

struct OpenLayer {
    GDALDatasetUniquePtr dataset;
    OGRLayer* layer = nullptr;
    LayerCrsProbe probe;
    bool north_first = false;
};

OpenLayer open_layer(const LayerSource& source, const LoadOptions& options) {
    OpenLayer open;
    open.dataset = detail::open_vector(source.path);
    open.layer = detail::select_layer(*open.dataset, source);
    if (!source.where.empty()) {
        detail::GdalErrorCapture capture;
        if (open.layer->SetAttributeFilter(source.where.c_str()) != OGRERR_NONE) {
            throw InputError("bad --where filter '" + source.where + "': " + capture.last_error())
                .set_source(source.path)
                .set_layer(open.layer->GetName());
        }
    }
    bool assumed = false;
    open.probe.label = source.label();
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
        reason = "given with --crs";
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
                         "a known extent; pass --crs EPSG:xxxx");
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
                throw InputError("no id field '" + layer.id_field + "' (fields: " + names + ")")
                    .set_source(layer.source)
                    .set_layer(layer.source_layer);
            }
        }

        detail::GdalErrorCapture capture;
        const GIntBig total = ol.layer->GetFeatureCount(FALSE);
        ol.layer->ResetReading();
        std::int64_t index = 0;
        step.report(0.0, "reading " + request.name);
        while (true) {
            capture.clear();
            OGRFeatureUniquePtr feature(ol.layer->GetNextFeature());
            if (!feature) {
                if (!capture.last_error().empty()) {
                    throw InputError("read error after " + std::to_string(index) +
                                     " features: " + capture.last_error())
                        .set_source(layer.source)
                        .set_layer(layer.source_layer);
                }
                break;
            }
            ++index;
            ++layer.report.read;
            const std::int64_t fid =
                feature->GetFID() == OGRNullFID ? index : static_cast<std::int64_t>(feature->GetFID());
            auto result = detail::convert_geometry(
                std::unique_ptr<OGRGeometry>(feature->StealGeometry()), request.family,
                &*transformer, geos);
            if (!result.geometry) {
                ++layer.report.rejected;
                layer.report.issues.push_back(FeatureIssue{fid, result.reject_kind, result.detail});
                continue;
            }
            if (result.repaired) {
                ++layer.report.repaired;
                layer.report.issues.push_back(FeatureIssue{fid, IssueKind::repaired, result.detail});
            }
            if (result.linearised) {
                ++layer.report.linearised;
            }
            if (result.dimension_dropped) {
                ++layer.report.dimension_dropped;
            }
            Feature f;
            f.fid = fid;
            f.geometry = std::move(*result.geometry);
            f.attributes.reserve(layer.fields.size());
            for (std::size_t i = 0; i < layer.fields.size(); ++i) {
                f.attributes.push_back(
                    read_value(*feature, static_cast<int>(i), layer.fields[i].type));
            }
            if (id_index >= 0 && feature->IsFieldSetAndNotNull(id_index)) {
                f.id = feature->GetFieldAsString(id_index);
            } else {
                f.id = std::to_string(fid);
            }
            layer.features.push_back(std::move(f));
            ++layer.report.kept;
            if (total > 0 && index % 4096 == 0) {
                step.report(0.9 * static_cast<double>(index) / static_cast<double>(total),
                            "reading " + request.name);
            }
        }
        step.report(0.9, "indexing " + request.name);
        layer.build_index();
        model.layers.push_back(std::move(layer));
        step.report(1.0, "loaded " + request.name);
    }
    progress.report(1.0, "layers loaded");
    return model;
}

}  // namespace spaceuse
