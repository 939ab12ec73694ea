#include "proj_util.hpp"

#include <spaceuse/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

namespace spaceuse {

namespace detail {

namespace {

void quiet_logger(void* /*user*/, int /*level*/, const char* /*message*/) {}

bool is_web_mercator(PJ_CONTEXT* ctx, const PJ* crs) {
    PjPtr op(proj_crs_get_coordoperation(ctx, crs));
    if (!op) {
        return false;
    }
    const char* method = nullptr;
    const char* auth = nullptr;
    const char* code = nullptr;
    if (proj_coordoperation_get_method_info(ctx, op.get(), &method, &auth, &code) == 0) {
        return false;
    }
    return (code != nullptr && std::strcmp(code, "1024") == 0) ||
           (method != nullptr && std::strstr(method, "Pseudo Mercator") != nullptr);
}

bool axes_in_metres(PJ_CONTEXT* ctx, const PJ* crs) {
    PjPtr cs(proj_crs_get_coordinate_system(ctx, crs));
    if (!cs) {
        return false;
    }
    const int n = proj_cs_get_axis_count(ctx, cs.get());
    if (n < 2) {
        return false;
    }
    for (int i = 0; i < 2; ++i) {
        double factor = 0.0;
        if (proj_cs_get_axis_info(ctx, cs.get(), i, nullptr, nullptr, nullptr, &factor, nullptr,
                                  nullptr, nullptr) == 0) {
            return false;
        }
        if (std::fabs(factor - 1.0) > 1e-12) {
            return false;
        }
    }
    return true;
}

}  // namespace

ProjContextPtr make_proj_context() {
    ProjContextPtr ctx(proj_context_create());
    if (!ctx) {
        throw Error("cannot create a PROJ context");
    }
    proj_log_func(ctx.get(), nullptr, quiet_logger);
    return ctx;
}

std::string crs_definition(const CrsInfo& crs) { return crs.code.empty() ? crs.wkt : crs.code; }

namespace {

/// A resolved operation from one CRS to another, in a context of its own.
struct TransformPrototype {
    ProjContextPtr ctx;
    PjPtr pj;
    bool identity = false;
};

/// PROJ's choice of operations for `source` to `target`, resolved once per process: resolving
/// searches PROJ's database (about 20 ms for EPSG:31370 to WGS84), while cloning the resolved
/// operations into a new context takes well under a millisecond, and writers make one
/// Transformer per thread and file. The caller holds the lock of the cache; the prototypes live
/// until the process ends (reachable, so leak checkers do not count them).
const TransformPrototype& transform_prototype(const std::string& source,
                                              const std::string& target) {
    static auto* cache = new std::map<std::pair<std::string, std::string>, TransformPrototype>();
    const auto key = std::make_pair(source, target);
    if (const auto it = cache->find(key); it != cache->end()) {
        return it->second;
    }
    TransformPrototype proto;
    proto.ctx = make_proj_context();
    PJ_CONTEXT* ctx = proto.ctx.get();
    PjPtr src(proj_create(ctx, source.c_str()));
    PjPtr dst(proj_create(ctx, target.c_str()));
    if (!src || !dst) {
        throw InputError("PROJ cannot interpret the CRS '" + (src ? target : source).substr(0, 80) +
                         "'");
    }
    proto.identity = proj_is_equivalent_to(src.get(), dst.get(), PJ_COMP_EQUIVALENT) != 0;
    PjPtr op(proj_create_crs_to_crs_from_pj(ctx, src.get(), dst.get(), nullptr, nullptr));
    if (!op) {
        throw InputError("PROJ finds no coordinate operation from '" +
                         std::string(proj_get_name(src.get())) + "' to '" +
                         proj_get_name(dst.get()) + "'");
    }
    proto.pj.reset(proj_normalize_for_visualization(ctx, op.get()));
    if (!proto.pj) {
        throw InputError("PROJ cannot normalise the coordinate operation to '" +
                         std::string(proj_get_name(dst.get())) + "'");
    }
    return cache->emplace(key, std::move(proto)).first->second;
}

}  // namespace

Transformer::Transformer(const std::string& source, const std::string& target, bool swap_xy)
    : m_ctx(make_proj_context()), m_swap(swap_xy) {
    static std::mutex mutex;
    const std::lock_guard lock(mutex);
    const TransformPrototype& proto = transform_prototype(source, target);
    m_identity = proto.identity;
    m_pj.reset(proj_clone(m_ctx.get(), proto.pj.get()));
    if (!m_pj) {
        throw InputError("PROJ cannot copy the coordinate operation from '" + source.substr(0, 80) +
                         "' to '" + target.substr(0, 80) + "'");
    }
}

bool Transformer::transform(double* xy, std::size_t n) {
    if (n == 0) {
        return true;
    }
    if (m_swap) {
        for (std::size_t i = 0; i < n; ++i) {
            std::swap(xy[2 * i], xy[2 * i + 1]);
        }
    }
    if (m_identity) {
        return true;
    }
    proj_errno_reset(m_pj.get());
    proj_trans_generic(m_pj.get(), PJ_FWD, xy, 2 * sizeof(double), n, xy + 1, 2 * sizeof(double), n,
                       nullptr, 0, 0, nullptr, 0, 0);
    for (std::size_t i = 0; i < 2 * n; ++i) {
        if (!std::isfinite(xy[i])) {
            return false;
        }
    }
    return true;
}

OperationInfo Transformer::last_operation() const {
    OperationInfo info;
    if (m_identity) {
        info.identity = true;
        info.name = "none (same CRS)";
        info.accuracy_m = 0.0;
        return info;
    }
    PjPtr used(proj_trans_get_last_used_operation(m_pj.get()));
    const PJ* op = used ? used.get() : m_pj.get();
    const char* name = proj_get_name(op);
    info.name = name != nullptr ? name : "unknown";
    info.accuracy_m = proj_coordoperation_get_accuracy(m_ctx.get(), op);
    return info;
}

}  // namespace detail

using detail::PjPtr;

CrsInfo describe_crs(const std::string& definition) {
    auto ctx = detail::make_proj_context();
    PjPtr crs(proj_create(ctx.get(), definition.c_str()));
    if (!crs || proj_is_crs(crs.get()) == 0) {
        throw ConfigError("not a CRS that PROJ understands: '" + definition.substr(0, 120) + "'");
    }
    // Work on the horizontal part of compound and bound CRSs.
    PJ_TYPE type = proj_get_type(crs.get());
    if (type == PJ_TYPE_BOUND_CRS) {
        crs.reset(proj_get_source_crs(ctx.get(), crs.get()));
        type = proj_get_type(crs.get());
    }
    if (type == PJ_TYPE_COMPOUND_CRS) {
        crs.reset(proj_crs_get_sub_crs(ctx.get(), crs.get(), 0));
        type = proj_get_type(crs.get());
    }
    CrsInfo info;
    const char* name = proj_get_name(crs.get());
    info.name = name != nullptr ? name : "unnamed";
    info.geographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS;
    info.projected = type == PJ_TYPE_PROJECTED_CRS;
    info.metric = info.projected && detail::axes_in_metres(ctx.get(), crs.get()) &&
                  !detail::is_web_mercator(ctx.get(), crs.get());
    const char* wkt = proj_as_wkt(ctx.get(), crs.get(), PJ_WKT2_2019, nullptr);
    info.wkt = wkt != nullptr ? wkt : "";

    const char* auth = proj_get_id_auth_name(crs.get(), 0);
    const char* code = proj_get_id_code(crs.get(), 0);
    if (auth != nullptr && code != nullptr) {
        info.code = std::string(auth) + ":" + code;
    } else {
        int* confidence = nullptr;
        PJ_OBJ_LIST* matches = proj_identify(ctx.get(), crs.get(), "EPSG", nullptr, &confidence);
        if (matches != nullptr) {
            if (proj_list_get_count(matches) > 0 && confidence[0] >= 70) {
                PjPtr best(proj_list_get(ctx.get(), matches, 0));
                const char* c = proj_get_id_code(best.get(), 0);
                if (c != nullptr) {
                    info.code = std::string("EPSG:") + c;
                }
            }
            proj_int_list_destroy(confidence);
            proj_list_destroy(matches);
        }
    }
    return info;
}

std::string utm_crs_for(double lon_deg, double lat_deg) {
    double lon = std::fmod(lon_deg + 180.0, 360.0);
    if (lon < 0) {
        lon += 360.0;
    }
    int zone = static_cast<int>(std::floor(lon / 6.0)) + 1;
    zone = std::clamp(zone, 1, 60);
    return (lat_deg >= 0 ? "EPSG:326" : "EPSG:327") + std::string(zone < 10 ? "0" : "") +
           std::to_string(zone);
}

OperationInfo describe_operation(const std::string& source, const std::string& target,
                                 double lon_deg, double lat_deg) {
    // Transform one point near the data so PROJ picks the operation it would use for it.
    detail::Transformer to_source("EPSG:4326", source);
    double xy[2] = {lon_deg, lat_deg};
    to_source.transform(xy, 1);
    detail::Transformer t(source, target);
    if (!t.transform(xy, 1)) {
        OperationInfo info = t.last_operation();
        return info;
    }
    return t.last_operation();
}

}  // namespace spaceuse
