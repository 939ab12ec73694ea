// Attachment of points (origins, facilities, targets) to the road graph.

#include "../../util/parallel.hpp"
#include "access_steps.hpp"

#include <spaceuse/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>

namespace spaceuse::detail::access {

const Layer& require_layer(const Model& model, const std::string& name, const char* what) {
    const Layer* layer = model.find(name);
    if (layer == nullptr) {
        throw ConfigError(std::string("accessibility needs a ") + what + " layer '" + name + "'");
    }
    return *layer;
}

Point representative_point(const Geometry& g) {
    if (const auto* mp = std::get_if<MultiPolygon>(&g)) {
        Point c;
        bg::centroid(*mp, c);
        return c;
    }
    if (const auto* ml = std::get_if<MultiLineString>(&g)) {
        Point c;
        bg::centroid(*ml, c);
        return c;
    }
    return std::get<MultiPoint>(g).front();
}

Attachment Network::attach(const Point& p, std::string* text) const {
    Attachment a;
    if (m_lc_tree.empty()) {
        if (text != nullptr) {
            *text = "the network has no usable road";
        }
        return a;
    }
    // The nearest segments of all edges usually settle both the nearest edge of the main
    // component and whether a nearer edge of a small component is passed over: when the
    // main-component segments among them are nearer than the farthest of them by more than
    // the tie tolerance (plus a margin for the index's own distance arithmetic), no segment
    // left out can be nearer or tie; otherwise the main-component index decides.
    const Hits hits = query(m_all_tree, p);
    double farthest = 0.0;
    const Nearest any = best_of(hits, p, false, farthest);
    Nearest best = best_of(hits, p, true, farthest);
    if (hits.size() == hits.capacity() && !(best.distance + 1e-9 + 1e-6 < farthest)) {
        best = best_of(query(m_lc_tree, p), p, false, farthest);
    }
    a.edge = best.edge;
    a.offset = best.offset;
    a.connector = best.distance;
    a.at = best.at;
    if (best.distance > m_options.max_snap_m) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "no road of the main network within %.0f m (nearest %.1f m)",
                      m_options.max_snap_m, best.distance);
        if (text != nullptr) {
            *text = buf;
        }
        return a;
    }
    if (any.distance + 1e-9 < best.distance && m_component[m_edges[any.edge].u] != m_largest) {
        char buf[200];
        std::snprintf(
            buf, sizeof buf,
            "nearer road %.1f m away is in a small component (%zu nodes); attached to the "
            "main network at %.1f m",
            any.distance, m_component_size[m_component[m_edges[any.edge].u]], best.distance);
        if (text != nullptr) {
            *text = buf;
        }
    }
    a.ok = true;
    return a;
}

Network::Hits Network::query(const SegmentTree& tree, const Point& p) {
    Hits hits;
    tree.query(bgi::nearest(p, hits.capacity()), std::back_inserter(hits));
    return hits;
}

bool Network::main_edge(std::uint32_t edge) const {
    const Edge& e = m_edges[edge];
    return m_component[e.u] == m_largest && m_component[e.v] == m_largest;
}

Network::Nearest Network::best_of(const Hits& hits, const Point& p, bool main_only,
                                  double& farthest) const {
    Nearest best;
    for (const auto& [seg, ids] : hits) {
        const Point& a = seg.first;
        const Point& b = seg.second;
        const double dx = b.x() - a.x();
        const double dy = b.y() - a.y();
        const double len2 = dx * dx + dy * dy;
        double t = len2 > 0 ? ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / len2 : 0.0;
        t = std::clamp(t, 0.0, 1.0);
        const Point at(a.x() + t * dx, a.y() + t * dy);
        const double d = bg::distance(p, at);
        farthest = std::max(farthest, d);
        if (main_only && !main_edge(ids.first)) {
            continue;
        }
        const auto& e = m_edges[ids.first];
        if (d < best.distance - 1e-9 ||
            (std::fabs(d - best.distance) <= 1e-9 && ids.first < best.edge)) {
            best.distance = d;
            best.edge = ids.first;
            best.at = at;
            best.offset = e.cumulative[ids.second] + t * std::sqrt(len2);
        }
    }
    return best;
}

std::vector<Attachment> attach_origins(const Network& net, const Layer& origins,
                                       const AccessOptions& options, unsigned threads,
                                       AccessResult& result) {
    const std::size_t n = origins.features.size();
    std::vector<Attachment> origin_at;
    parallel_for(3, threads, 1, stateless, [&](Stateless&, std::size_t task) {
        if (task == 0) {
            origin_at.resize(n);
        } else if (task == 1) {
            result.access_points.resize(n);
        } else {
            result.snap_m.resize(n);
        }
    });
    // Origins whose boundary access point GEOS could not compute, and the texts of the
    // origins that have one (a note or why there is no attachment): few, gathered under a lock
    // and put in origin order (the same for any thread count).
    std::mutex mutex;
    std::vector<std::size_t> failed;
    std::vector<std::pair<std::size_t, std::string>> texts;
    parallel_for(n, threads, 256, lazy_geos, [&](LazyGeos& lazy, std::size_t i) {
        Point p = representative_point(origins.features[i].geometry);
        if (options.access_point == AccessPoint::boundary) {
            if (const auto* mp = std::get_if<MultiPolygon>(&origins.features[i].geometry)) {
                const Attachment first = net.attach(p);
                if (first.ok) {
                    try {
                        const auto& geos = lazy.get();
                        auto poly = geos.from(*mp);
                        auto boundary = geos.own(GEOSBoundary_r(geos.handle(), poly.get()),
                                                 "boundary");
                        auto target = geos.from(first.at);
                        GEOSCoordSequence* seq = GEOSNearestPoints_r(geos.handle(), boundary.get(),
                                                                     target.get());
                        if (seq == nullptr) {
                            // Not the centroid in its place: that would be another definition.
                            // A fixed message: GEOS may fail here without an error of its
                            // own, and the context's last one may be another origin's.
                            throw GeometryError("GEOS found no nearest point on the boundary");
                        }
                        double x = 0;
                        double y = 0;
                        GEOSCoordSeq_getXY_r(geos.handle(), seq, 0, &x, &y);
                        p = Point(x, y);
                        GEOSCoordSeq_destroy_r(geos.handle(), seq);
                    } catch (const GeometryError& e) {
                        // One origin never stops a run: without its access point it gets no
                        // result (null figures), with GEOS's reason in its reason field.
                        result.access_points[i] = p;
                        origin_at[i] = Attachment{};
                        result.snap_m[i] = std::nullopt;
                        std::string why = std::string("access point on the boundary not "
                                                      "computed: ") +
                                          e.what();
                        const std::lock_guard lock(mutex);
                        failed.push_back(i);
                        texts.emplace_back(i, std::move(why));
                        return;
                    }
                }
            }
        }
        result.access_points[i] = p;
        std::string text;
        origin_at[i] = net.attach(p, &text);
        result.snap_m[i] = origin_at[i].ok ? std::optional<double>(origin_at[i].connector)
                                           : std::nullopt;
        if (!text.empty()) {
            const std::lock_guard lock(mutex);
            texts.emplace_back(i, std::move(text));
        }
    });
    // The texts go to the result, once per origin (not per kind).
    std::sort(texts.begin(), texts.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [i, text] : texts) {
        (origin_at[i].ok ? result.snap_notes : result.unattached).add(i, std::move(text));
    }
    if (!failed.empty()) {
        std::sort(failed.begin(), failed.end());
        result.warnings.push_back("GEOS could not compute the boundary access point of " +
                                  std::to_string(failed.size()) +
                                  " origin(s): they have no result (their reason field says why)");
        for (std::size_t k = 0; k < failed.size() && k < 10; ++k) {
            const Feature& f = origins.features[failed[k]];
            result.warnings.push_back("origin " + f.id + " (fid " + std::to_string(f.fid) +
                                      "): " + result.unattached.at(failed[k]));
        }
        if (failed.size() > 10) {
            result.warnings.push_back("... and " + std::to_string(failed.size() - 10) +
                                      " more origins without a boundary access point");
        }
    }
    return origin_at;
}

FacilitiesByKind attach_facilities(const Model& model, const AccessOptions& options,
                                   const Network& net, unsigned threads) {
    FacilitiesByKind out;
    for (const auto& source : options.facilities) {
        const Layer& layer = require_layer(model, source.layer, "facilities");
        const auto kind_field = layer.require_field(source.kind_field);
        for (std::size_t i = 0; i < layer.features.size(); ++i) {
            std::string kind = kind_field ? value_as_text(layer.features[i].attributes[*kind_field])
                                          : source.kind;
            if (kind.empty() ||
                (!options.kinds.empty() && std::find(options.kinds.begin(), options.kinds.end(),
                                                     kind) == options.kinds.end())) {
                continue;
            }
            if (!out.by_kind.count(kind)) {
                out.names.push_back(kind);
                out.layer[kind] = &layer;
            }
            Facility f;
            f.feature = i;
            f.point = representative_point(layer.features[i].geometry);
            out.by_kind[kind].push_back(f);
        }
    }
    std::vector<Facility*> all_facilities;
    for (auto& [kind, list] : out.by_kind) {
        for (auto& f : list) {
            all_facilities.push_back(&f);
        }
    }
    parallel_for(all_facilities.size(), threads, 64, stateless, [&](Stateless&, std::size_t i) {
        all_facilities[i]->attachment = net.attach(all_facilities[i]->point);
    });
    return out;
}

}  // namespace spaceuse::detail::access
