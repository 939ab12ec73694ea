// Zone aggregates: origins belong to the zone holding the largest part of them (polygon
// origins) or containing them (points), by the model's zone_of_largest_part.

#include "../../util/parallel.hpp"
#include "access_steps.hpp"

#include <spaceuse/error.hpp>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace spaceuse::detail::access {

namespace {

/// "origin ID (fid N)", for the failure lines.
std::string origin_name(const Feature& f) {
    return "origin " + f.id + " (fid " + std::to_string(f.fid) + ")";
}

/// Per origin: its zone and its weight (area for polygons, else 1); per zone, the origins whose
/// zone GEOS could not find, in origin order.
struct Membership {
    std::vector<std::optional<std::size_t>> zone_of;
    std::vector<double> weight;
    std::vector<std::vector<std::string>> failures;
};

Membership zone_membership(const Layer& zones, const Layer& origins, unsigned threads) {
    const std::size_t n = origins.features.size();
    Membership m{std::vector<std::optional<std::size_t>>(n), std::vector<double>(n, 1.0),
                 std::vector<std::vector<std::string>>(zones.features.size())};
    // Failures are rare: gathered under a lock, then put in origin order (the same for any
    // thread count).
    struct Failure {
        std::size_t origin = 0;
        std::size_t zone = 0;
        std::string reason;
    };
    std::mutex mutex;
    std::vector<Failure> failed;
    parallel_for(n, threads, 64, lazy_geos, [&](LazyGeos& lazy, std::size_t i) {
        const auto& geos = lazy.get();
        const auto& g = origins.features[i].geometry;
        const bool polygonal = std::holds_alternative<MultiPolygon>(g);
        if (polygonal) {
            m.weight[i] = area(std::get<MultiPolygon>(g));
        }
        std::size_t measuring = 0;  // the zone being measured, for the failure line
        GeomPtr og;                 // made when a zone's box meets the origin's
        try {
            const auto part = [&](std::size_t z) {
                measuring = z;
                if (!og) {
                    og = geos.from(g);
                }
                auto zg = geos.from(zones.features[z].geometry);
                if (polygonal) {
                    return geos.area(geos.intersection(zg.get(), og.get()).get());
                }
                auto prepared = geos.prepare(zg.get());
                return geos.prepared_intersects(prepared.get(), og.get()) ? 1.0 : 0.0;
            };
            m.zone_of[i] = zone_of_largest_part(zones, envelope(g), part).zone;
        } catch (const GeometryError& e) {
            // One origin never stops a run: its zone is unknown, so it counts in no zone (as a
            // parcel GEOS cannot compute counts in no zone of the occupancy tables).
            m.zone_of[i].reset();
            const std::lock_guard lock(mutex);
            failed.push_back({i, measuring, e.what()});
        }
    });
    std::sort(failed.begin(), failed.end(),
              [](const Failure& a, const Failure& b) { return a.origin < b.origin; });
    for (const auto& f : failed) {
        m.failures[f.zone].push_back(origin_name(origins.features[f.origin]) +
                                     ": its part in zone " + zones.features[f.zone].id +
                                     " not measured, it counts in no zone: " + f.reason);
    }
    return m;
}

/// The figures of one kind for the origins `members` of a zone (`origin_geoms`: their GEOS
/// polygons when there are bands; `bands`: the kind's isochrones in GEOS form, null for one that
/// could not be drawn; `minutes`: the bands).
void aggregate_kind(const GeosContext& geos, const Layer& origins,
                    const std::vector<std::size_t>& members,
                    const std::vector<GeomPtr>& origin_geoms, const std::vector<double>& weight,
                    const KindAccess& ka, const GeomPtr* bands, const std::vector<double>& minutes,
                    ZoneAccess& za) {
    const std::size_t band_count = minutes.size();
    za.kind = ka.kind;
    std::vector<double> share(band_count, 0.0);
    // Weight of the origins left out of each band's share (GEOS could not measure them).
    std::vector<double> left_out(band_count, 0.0);
    double wsum = 0.0;
    double dsum = 0.0;
    double tsum = 0.0;
    double total_w = 0.0;
    for (std::size_t m = 0; m < members.size(); ++m) {
        const std::size_t i = members[m];
        ++za.origins;
        total_w += weight[i];
        if (origin_geoms[m]) {
            for (std::size_t b = 0; b < band_count; ++b) {
                if (!bands[b]) {
                    continue;  // the isochrone was not drawn: the share is null
                }
                try {
                    share[b] += geos.area(
                        geos.intersection(origin_geoms[m].get(), bands[b].get()).get());
                } catch (const GeometryError& e) {
                    // One origin never stops a run: the share is over the origins measured.
                    left_out[b] += weight[i];
                    char band[64];
                    std::snprintf(band, sizeof band, "%g min", minutes[b]);
                    za.failures.push_back(
                        origin_name(origins.features[i]) + ": its part within " + band + " of " +
                        ka.kind + " not measured, left out of the zone's share: " + e.what());
                }
            }
        }
        if (ka.reached(i)) {
            ++za.reachable;
            wsum += weight[i];
            dsum += weight[i] * ka.dist_m[i];
            tsum += weight[i] * ka.time_min[i];
            if (!za.worst_dist_m || ka.dist_m[i] > *za.worst_dist_m) {
                za.worst_dist_m = ka.dist_m[i];
                za.worst_origin = origins.features[i].id;
            }
        }
    }
    if (wsum > 0) {
        za.mean_dist_m = dsum / wsum;
        za.mean_time_min = tsum / wsum;
    }
    za.band_share.assign(band_count, std::nullopt);
    for (std::size_t b = 0; b < band_count; ++b) {
        if (bands[b]) {
            const double w = total_w - left_out[b];
            za.band_share[b] = w > 0 ? share[b] / w : 0.0;
        }
    }
}

/// Per-thread state of the zone tasks: each thread converts the isochrones to GEOS once.
struct ZoneState {
    GeosContext geos;
    std::vector<GeomPtr> bands;  // kind-major, as result.isochrones; null: not drawn
};

}  // namespace

std::vector<ZoneAccess> zone_aggregates(const Model& model, const Layer& origins,
                                        const AccessResult& result, const AccessOptions& options,
                                        unsigned threads) {
    const Layer& zones = require_layer(model, options.zones_layer, "zones");
    Membership membership = zone_membership(zones, origins, threads);
    const std::vector<double>& weight = membership.weight;
    std::vector<std::vector<std::size_t>> members(zones.features.size());
    for (std::size_t i = 0; i < origins.features.size(); ++i) {
        if (membership.zone_of[i]) {
            members[*membership.zone_of[i]].push_back(i);
        }
    }
    // One task per zone, for all kinds.
    const std::size_t kinds = result.kinds.size();
    const std::size_t bands = options.isochrones_min.size();
    const std::size_t zone_count = zones.features.size();
    std::vector<ZoneAccess> out(kinds * zone_count);
    parallel_for(
        zone_count, threads, 1, [] { return ZoneState(); },
        [&](ZoneState& st, std::size_t z) {
        const auto& geos = st.geos;
        if (st.bands.empty()) {
            for (const auto& iso : result.isochrones) {
                st.bands.push_back(iso.failure.empty() ? geos.from(iso.geometry) : GeomPtr());
            }
        }
        std::vector<GeomPtr> origin_geoms(members[z].size());
        if (bands > 0) {
            for (std::size_t m = 0; m < members[z].size(); ++m) {
                const auto& g = origins.features[members[z][m]].geometry;
                if (std::holds_alternative<MultiPolygon>(g)) {
                    origin_geoms[m] = geos.from(g);
                }
            }
        }
        for (std::size_t k = 0; k < kinds; ++k) {
            ZoneAccess& za = out[k * zone_count + z];
            za.zone = z;
            if (k == 0) {
                // Failures that concern every kind, once.
                za.failures = std::move(membership.failures[z]);
            }
            aggregate_kind(geos, origins, members[z], origin_geoms, weight, result.kinds[k],
                           st.bands.data() + k * bands, options.isochrones_min, za);
        }
        });
    return out;
}

}  // namespace spaceuse::detail::access
