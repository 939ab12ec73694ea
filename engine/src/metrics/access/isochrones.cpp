// Isochrones: road pieces from which the nearest facility is within T minutes, drawn as a
// corridor of isochrone_buffer_m around them.

#include "../../util/parallel.hpp"
#include "access_steps.hpp"

#include <spaceuse/error.hpp>

#include <algorithm>

namespace spaceuse::detail::access {

namespace {

/// Polyline of an edge between two offsets from u.
LineString substring(const Edge& e, double from, double to) {
    LineString out;
    from = std::clamp(from, 0.0, e.length);
    to = std::clamp(to, 0.0, e.length);
    if (to <= from) {
        return out;
    }
    auto at = [&e](double s) {
        const auto it = std::upper_bound(e.cumulative.begin(), e.cumulative.end(), s);
        std::size_t i = std::min<std::size_t>(static_cast<std::size_t>(it - e.cumulative.begin()),
                                              e.points.size() - 1);
        i = std::max<std::size_t>(i, 1);
        const double seg = e.cumulative[i] - e.cumulative[i - 1];
        const double t = seg > 0 ? (s - e.cumulative[i - 1]) / seg : 0.0;
        return Point(e.points[i - 1].x() + t * (e.points[i].x() - e.points[i - 1].x()),
                     e.points[i - 1].y() + t * (e.points[i].y() - e.points[i - 1].y()));
    };
    out.push_back(at(from));
    for (std::size_t i = 0; i < e.points.size(); ++i) {
        if (e.cumulative[i] > from && e.cumulative[i] < to) {
            out.push_back(e.points[i]);
        }
    }
    out.push_back(at(to));
    return out;
}

/// The road pieces within `minutes` of the nearest facility of one kind.
MultiLineString reached_pieces(const Network& net, const KindSearch& s, double minutes) {
    const auto& time = s.time;
    MultiLineString pieces;
    for (const auto& e : net.edges()) {
        if (!net.in_largest(e.u) || !net.in_largest(e.v)) {
            continue;
        }
        const double metres_per_min = e.speed_kmh * 1000.0 / 60.0;
        double from_u = 0.0;  // reachable stretch starting at u
        double from_v = 0.0;  // reachable stretch ending at v
        if (e.backward && time[e.u] < minutes) {
            from_u = (minutes - time[e.u]) * metres_per_min;
        }
        if (e.forward && time[e.v] < minutes) {
            from_v = (minutes - time[e.v]) * metres_per_min;
        }
        if (from_u + from_v >= e.length) {
            pieces.emplace_back(e.points.begin(), e.points.end());
        } else {
            if (from_u > 0) {
                pieces.push_back(substring(e, 0.0, from_u));
            }
            if (from_v > 0) {
                pieces.push_back(substring(e, e.length - from_v, e.length));
            }
        }
    }
    // The stretch of each facility's own edge around it.
    for (const auto& f : *s.facilities) {
        if (!f.attachment.ok) {
            continue;
        }
        const Edge& e = net.edges()[f.attachment.edge];
        const double reach = (minutes - e.minutes(f.attachment.connector)) * e.speed_kmh * 1000.0 /
                             60.0;
        if (reach <= 0) {
            continue;
        }
        const double a = f.attachment.offset;
        if (e.forward && a > 0) {
            pieces.push_back(substring(e, a - reach, a));
        }
        if (e.backward && a < e.length) {
            pieces.push_back(substring(e, a, a + reach));
        }
    }
    pieces.erase(std::remove_if(pieces.begin(), pieces.end(),
                                [](const LineString& l) { return l.size() < 2; }),
                 pieces.end());
    return pieces;
}

}  // namespace

std::vector<Isochrone> isochrones(const Network& net, const std::vector<KindSearch>& search,
                                  const std::vector<std::string>& kind_names,
                                  const AccessOptions& options, unsigned threads) {
    // One task per kind and band.
    const std::size_t bands = options.isochrones_min.size();
    std::vector<Isochrone> result(kind_names.size() * bands);
    parallel_for(result.size(), threads, 1, lazy_geos, [&](LazyGeos& lazy, std::size_t task) {
        const double minutes = options.isochrones_min[task % bands];
        const MultiLineString pieces = reached_pieces(net, search[task / bands], minutes);
        Isochrone& iso = result[task];
        iso.kind = kind_names[task / bands];
        iso.minutes = minutes;
        if (pieces.empty()) {
            return;
        }
        try {
            // Buffer each piece on its own and union the results (cascaded): much faster than
            // buffering one large MultiLineString, whose offset curves all get noded together.
            const auto& geos = lazy.get();
            std::vector<GeomPtr> parts;
            parts.reserve(pieces.size());
            for (const auto& piece : pieces) {
                auto line = geos.from(piece);
                parts.push_back(geos.buffer(line.get(), options.isochrone_buffer_m, 4));
            }
            auto all = geos.collection(GEOS_GEOMETRYCOLLECTION, std::move(parts));
            auto area = geos.unary_union(all.get());
            iso.geometry = geos.to_multipolygon(area.get());
        } catch (const GeometryError& e) {
            // One isochrone never stops a run (the union is already retried on repaired input
            // and a 1 mm grid): it is left undrawn with GEOS's reason, which the access metric
            // reports; the other kinds and bands stand.
            iso.geometry.clear();
            iso.failure = e.what();
        }
    });
    return result;
}

}  // namespace spaceuse::detail::access
