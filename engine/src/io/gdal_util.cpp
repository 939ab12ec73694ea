#include "gdal_util.hpp"

#include "proj_util.hpp"

#include <spaceuse/error.hpp>

#include <cpl_conv.h>
#include <cpl_vsi.h>

#include <algorithm>
#include <mutex>

namespace spaceuse::detail {

void ensure_gdal_registered() {
    static std::once_flag once;
    std::call_once(once, [] {
        GDALAllRegister();
        // The OSM driver reads one layer per opened dataset here, which needs no interleaving,
        // but its custom indexing fails on some real files.
        CPLSetConfigOption("OSM_USE_CUSTOM_INDEXING", "NO");
    });
}

GdalErrorCapture::GdalErrorCapture() { CPLPushErrorHandlerEx(&GdalErrorCapture::handler, this); }

GdalErrorCapture::~GdalErrorCapture() { CPLPopErrorHandler(); }

void CPL_STDCALL GdalErrorCapture::handler(CPLErr level, CPLErrorNum /*number*/,
                                           const char* message) {
    auto* self = static_cast<GdalErrorCapture*>(CPLGetErrorHandlerUserData());
    if (self == nullptr || message == nullptr) {
        return;
    }
    if (level >= CE_Failure) {
        self->m_last_error = message;
    } else if (level == CE_Warning) {
        self->m_last_warning = message;
    }
}

GDALDatasetUniquePtr open_vector(const std::string& path) {
    ensure_gdal_registered();
    GdalErrorCapture capture;
    const bool is_connection = path.rfind("PG:", 0) == 0;
    if (!is_connection) {
        VSIStatBufL stat;
        if (VSIStatL(path.c_str(), &stat) != 0) {
            for (const char* prefix : {"/vsizip/", "/vsigzip/"}) {
                const std::string p(prefix);
                if (path.rfind(p, 0) == 0 && VSIStatL(path.substr(p.size()).c_str(), &stat) == 0) {
                    throw InputError(std::string("cannot open: not a readable ") +
                                     (p == "/vsizip/" ? "zip" : "gzip") + " archive")
                        .set_source(path.substr(p.size()));
                }
            }
            throw InputError("file not found").set_source(path);
        }
    }
    GDALDatasetUniquePtr ds(
        GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR));
    if (!ds) {
        std::string why = capture.last_error();
        if (why.empty()) {
            why = "not a vector data source GDAL can read";
        }
        throw InputError("cannot open: " + why).set_source(path);
    }
    return ds;
}

OGRLayer* select_layer(GDALDataset& dataset, const LayerSource& source) {
    const int count = dataset.GetLayerCount();
    if (!source.layer.empty()) {
        OGRLayer* layer = dataset.GetLayerByName(source.layer.c_str());
        if (layer == nullptr) {
            std::string names;
            for (int i = 0; i < count; ++i) {
                names += (i ? ", " : "") + std::string(dataset.GetLayer(i)->GetName());
            }
            throw InputError("no layer named '" + source.layer + "' (layers: " + names + ")")
                .set_source(source.path);
        }
        return layer;
    }
    if (count == 0) {
        throw InputError("the source has no vector layer").set_source(source.path);
    }
    if (count > 1) {
        std::string names;
        for (int i = 0; i < count; ++i) {
            names += (i ? ", " : "") + std::string(dataset.GetLayer(i)->GetName());
        }
        throw InputError("the source has " + std::to_string(count) +
                         " layers; name one as PATH:LAYER (layers: " + names + ")")
            .set_source(source.path);
    }
    return dataset.GetLayer(0);
}

CrsInfo layer_crs(OGRLayer& layer) {
    const OGRSpatialReference* srs = layer.GetSpatialRef();
    if (srs == nullptr) {
        return {};
    }
    // Prefer the authority code GDAL already knows; else the WKT2, which PROJ identifies.
    const char* auth = srs->GetAuthorityName(nullptr);
    const char* code = srs->GetAuthorityCode(nullptr);
    if (auth != nullptr && code != nullptr) {
        try {
            return describe_crs(std::string(auth) + ":" + code);
        } catch (const Error&) {
            // fall through to the WKT
        }
    }
    char* wkt = nullptr;
    const char* options[] = {"FORMAT=WKT2_2019", nullptr};
    if (srs->exportToWkt(&wkt, options) != OGRERR_NONE || wkt == nullptr) {
        CPLFree(wkt);
        return {};
    }
    std::string text(wkt);
    CPLFree(wkt);
    try {
        return describe_crs(text);
    } catch (const Error&) {
        return {};
    }
}

bool wgs84_extent(const CrsInfo& crs, const OGREnvelope& env, double out[4]) {
    try {
        Transformer t(crs_definition(crs), "EPSG:4326");
        const double mx = (env.MinX + env.MaxX) / 2;
        const double my = (env.MinY + env.MaxY) / 2;
        double pts[16] = {env.MinX, env.MinY, env.MaxX, env.MinY, env.MaxX, env.MaxY,
                          env.MinX, env.MaxY, mx,       env.MinY, mx,       env.MaxY,
                          env.MinX, my,       env.MaxX, my};
        if (!t.transform(pts, 8)) {
            return false;
        }
        double b[4] = {1e300, 1e300, -1e300, -1e300};
        for (int i = 0; i < 8; ++i) {
            b[0] = std::min(b[0], pts[2 * i]);
            b[1] = std::min(b[1], pts[2 * i + 1]);
            b[2] = std::max(b[2], pts[2 * i]);
            b[3] = std::max(b[3], pts[2 * i + 1]);
        }
        std::copy(b, b + 4, out);
        return true;
    } catch (const Error&) {
        return false;  // no operation to WGS84: the extent stays unknown
    }
}

bool layer_data_is_north_first(OGRLayer& layer) {
    const OGRSpatialReference* srs = layer.GetSpatialRef();
    if (srs == nullptr) {
        return false;
    }
    const bool authority_north_first = srs->EPSGTreatsAsLatLong() ||
                                       srs->EPSGTreatsAsNorthingEasting();
    const auto& mapping = srs->GetDataAxisToSRSAxisMapping();
    if (mapping.empty()) {
        return authority_north_first;
    }
    // mapping[0] is the CRS axis (1-based) stored as the data's first coordinate.
    return authority_north_first ? mapping[0] == 1 : mapping[0] == 2;
}

}  // namespace spaceuse::detail
