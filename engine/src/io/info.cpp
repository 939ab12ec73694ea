#include "gdal_util.hpp"
#include "ogr_convert.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>

#include <cmath>

namespace spaceuse {

namespace {

constexpr std::size_t max_examples = 5;

std::string field_type_text(const OGRFieldDefn& fd) {
    std::string text = OGRFieldDefn::GetFieldTypeName(fd.GetType());
    if (fd.GetSubType() != OFSTNone) {
        text += std::string("(") + OGRFieldDefn::GetFieldSubTypeName(fd.GetSubType()) + ")";
    }
    if (fd.GetWidth() > 0) {
        text += " [" + std::to_string(fd.GetWidth());
        if (fd.GetPrecision() > 0) {
            text += "." + std::to_string(fd.GetPrecision());
        }
        text += "]";
    }
    return text;
}

void scan_geometries(OGRLayer& layer, LayerInfo& info, const detail::GeosContext& geos) {
    layer.ResetReading();
    std::int64_t index = 0;
    for (auto& feature : layer) {
        ++index;
        const std::int64_t fid = feature->GetFID() == OGRNullFID
                                     ? index
                                     : static_cast<std::int64_t>(feature->GetFID());
        const OGRGeometry* g = feature->GetGeometryRef();
        if (g == nullptr) {
            ++info.null_geometries;
            if (info.examples.size() < max_examples) {
                info.examples.push_back({fid, IssueKind::null_geometry, "no geometry"});
            }
            continue;
        }
        if (g->IsEmpty()) {
            ++info.empty_geometries;
            if (info.examples.size() < max_examples) {
                info.examples.push_back({fid, IssueKind::empty_geometry, "empty geometry"});
            }
            continue;
        }
        const auto family = detail::family_of(g->getGeometryType());
        if (family != GeometryFamily::polygon) {
            continue;
        }
        std::unique_ptr<OGRGeometry> copy(g->clone());
        copy->flattenTo2D();
        if (copy->hasCurveGeometry()) {
            copy.reset(copy->getLinearGeometry());
        }
        GEOSGeometry* raw = copy ? copy->exportToGEOS(geos.handle()) : nullptr;
        std::string reason;
        if (raw == nullptr) {
            reason = "not convertible to GEOS (degenerate rings)";
        } else {
            detail::GeomPtr owned(raw, detail::GeomDeleter{geos.handle()});
            if (geos.is_valid(owned.get(), reason)) {
                continue;
            }
        }
        ++info.invalid_geometries;
        if (info.examples.size() < max_examples) {
            info.examples.push_back({fid, IssueKind::repaired, reason});
        }
    }
}

}  // namespace

std::vector<LayerInfo> inspect_source(const LayerSource& source, const ProgressFn& progress_fn) {
    detail::GdalErrorCapture quiet;  // GDAL reports through exceptions here, never on stderr
    Progress progress(progress_fn);
    std::vector<std::string> names;
    {
        auto ds = detail::open_vector(source.path);
        if (!source.layer.empty()) {
            detail::select_layer(*ds, source);
            names.push_back(source.layer);
        } else {
            for (int i = 0; i < ds->GetLayerCount(); ++i) {
                names.emplace_back(ds->GetLayer(i)->GetName());
            }
        }
        if (names.empty()) {
            throw InputError("the source has no vector layer").set_source(source.path);
        }
    }
    detail::GeosContext geos;
    std::vector<LayerInfo> result;
    for (std::size_t li = 0; li < names.size(); ++li) {
        progress.report(static_cast<double>(li) / names.size(), "inspecting " + names[li]);
        // A fresh dataset per layer: sequential drivers (OSM) then read each layer from the
        // start without buffering the others.
        auto ds = detail::open_vector(source.path);
        LayerSource one = source;
        one.layer = names[li];
        OGRLayer* layer = detail::select_layer(*ds, one);
        detail::GdalErrorCapture capture;
        if (!source.where.empty() &&
            layer->SetAttributeFilter(source.where.c_str()) != OGRERR_NONE) {
            throw InputError("bad attribute filter (where) '" + source.where +
                             "': " + capture.last_error())
                .set_source(source.path)
                .set_layer(names[li]);
        }
        LayerInfo info;
        info.label = source.path + ":" + names[li];
        info.driver = ds->GetDriver() != nullptr ? ds->GetDriver()->GetDescription() : "?";
        info.layer = names[li];
        info.geometry_type = OGRGeometryTypeToName(layer->GetGeomType());
        info.feature_count = layer->GetFeatureCount(TRUE);
        info.crs = detail::layer_crs(*layer);
        info.crs_missing = info.crs.wkt.empty();
        const char* enc = layer->GetMetadataItem("SOURCE_ENCODING", "SHAPEFILE");
        if (enc == nullptr) {
            enc = layer->GetMetadataItem("ENCODING_FROM_CPG", "SHAPEFILE");
        }
        if (enc != nullptr && *enc != '\0') {
            info.encoding = enc;
        } else if (layer->TestCapability(OLCStringsAsUTF8)) {
            info.encoding = "UTF-8";
        }
        OGRFeatureDefn* defn = layer->GetLayerDefn();
        for (int i = 0; i < defn->GetFieldCount(); ++i) {
            const OGRFieldDefn* fd = defn->GetFieldDefn(i);
            info.fields.push_back({fd->GetNameRef(), field_type_text(*fd)});
        }
        OGREnvelope env;
        if (info.feature_count != 0 && layer->GetExtent(&env, TRUE) == OGRERR_NONE) {
            info.extent[0] = env.MinX;
            info.extent[1] = env.MinY;
            info.extent[2] = env.MaxX;
            info.extent[3] = env.MaxY;
            if (info.crs.geographic &&
                (std::fabs(env.MinX) > 180.0 + 1e-9 || std::fabs(env.MaxX) > 180.0 + 1e-9 ||
                 std::fabs(env.MinY) > 90.0 + 1e-9 || std::fabs(env.MaxY) > 90.0 + 1e-9)) {
                info.warnings.push_back(
                    "coordinates outside ±180/±90 in a geographic CRS: projected coordinates "
                    "declared as lon/lat (GeoJSON without a crs member is read as WGS84); give "
                    "the CRS to assume (assume_crs)");
            } else if (!info.crs_missing) {
                info.has_wgs84_extent = detail::wgs84_extent(info.crs, env, info.wgs84_extent);
            }
        }
        if (info.crs_missing) {
            info.warnings.push_back(
                "layer has no CRS; give the CRS to assume (assume_crs, e.g. EPSG:31370)");
        } else if (info.crs.projected && !info.crs.metric) {
            info.warnings.push_back("CRS " + info.crs.name +
                                    " is not fit for areas (Web Mercator or non-metre units); "
                                    "spaceuse reprojects to a metric CRS");
        }
        scan_geometries(*layer, info, geos);
        if (!capture.last_error().empty()) {
            info.warnings.push_back("GDAL: " + capture.last_error());
        }
        result.push_back(std::move(info));
    }
    progress.report(1.0, "inspected");
    return result;
}

InfoReport inspect_sources(const std::vector<LayerSource>& sources, const LoadOptions& options,
                           const ProgressFn& progress_fn) {
    InfoReport report;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        auto layers = inspect_source(
            sources[i], scaled_progress(progress_fn, static_cast<double>(i) / sources.size(),
                                        static_cast<double>(i + 1) / sources.size()));
        for (auto& l : layers) {
            report.layers.push_back(std::move(l));
        }
    }
    std::vector<LayerCrsProbe> probes;
    for (const auto& l : report.layers) {
        if (l.crs_missing && options.assume_crs.empty()) {
            continue;
        }
        LayerCrsProbe p;
        p.label = l.label;
        p.crs = l.crs_missing ? describe_crs(options.assume_crs) : l.crs;
        p.has_wgs84_extent = l.has_wgs84_extent;
        std::copy(l.wgs84_extent, l.wgs84_extent + 4, p.wgs84_extent);
        probes.push_back(p);
    }
    try {
        report.analysis_crs = choose_analysis_crs(probes, options, report.analysis_crs_reason);
    } catch (const Error& e) {
        report.analysis_crs_reason = e.what();
        return report;
    }
    for (auto& l : report.layers) {
        if (l.crs_missing || !l.has_wgs84_extent) {
            continue;
        }
        try {
            l.operation = describe_operation(detail::crs_definition(l.crs),
                                             detail::crs_definition(report.analysis_crs),
                                             (l.wgs84_extent[0] + l.wgs84_extent[2]) / 2,
                                             (l.wgs84_extent[1] + l.wgs84_extent[3]) / 2);
            l.has_operation = true;
        } catch (const Error&) {
            // no operation: reported as unknown
        }
    }
    return report;
}

}  // namespace spaceuse
