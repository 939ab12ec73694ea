// Nearest facility per kind: multi-source Dijkstra over the reversed graph, then per origin.

#include "../../util/parallel.hpp"
#include "access_steps.hpp"

#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/iterator/function_output_iterator.hpp>

#include <algorithm>
#include <limits>

namespace spaceuse::detail::access {

namespace {

class LabelVisitor : public boost::default_dijkstra_visitor {
public:
    explicit LabelVisitor(std::vector<std::uint32_t>& label) : m_label(&label) {}
    template <typename E, typename G>
    void edge_relaxed(E e, const G& g) {
        (*m_label)[boost::target(e, g)] = (*m_label)[boost::source(e, g)];
    }

private:
    std::vector<std::uint32_t>* m_label;
};

/// Multi-source Dijkstra with initial distances: dist and label per node.
template <typename WeightMember>
void multi_source(const Csr& g, WeightMember member, std::vector<double>& dist,
                  std::vector<std::uint32_t>& label) {
    std::vector<std::uint32_t> sources;
    for (std::uint32_t n = 0; n < dist.size(); ++n) {
        if (dist[n] < inf) {
            sources.push_back(n);
        }
    }
    if (sources.empty()) {
        return;
    }
    std::vector<boost::default_color_type> color(dist.size(), boost::white_color);
    const auto index = boost::get(boost::vertex_index, g);
    boost::dijkstra_shortest_paths_no_init(
        g, sources.begin(), sources.end(), boost::dummy_property_map(),
        boost::make_iterator_property_map(dist.begin(), index), boost::get(member, g), index,
        std::less<double>(), boost::closed_plus<double>(inf), 0.0, LabelVisitor(label),
        boost::make_iterator_property_map(color.begin(), index));
}

/// Seeds the searches of one kind at the ends of each attached facility's edge and fills its
/// straight-line index; counts the unattached facilities in `ka`.
void seed_kind(const Network& net, KindSearch& s, KindAccess& ka) {
    const auto& facilities = *s.facilities;
    s.dist.assign(net.node_count(), inf);
    s.time.assign(net.node_count(), inf);
    s.dlabel.assign(net.node_count(), none);
    s.tlabel.assign(net.node_count(), none);
    auto seed = [](std::vector<double>& d, std::vector<std::uint32_t>& l, std::uint32_t node,
                   double value, std::uint32_t label) {
        if (value < d[node]) {
            d[node] = value;
            l[node] = label;
        }
    };
    std::vector<KindSearch::PointValue> points;
    points.reserve(facilities.size());
    for (std::uint32_t fi = 0; fi < facilities.size(); ++fi) {
        points.emplace_back(facilities[fi].point, fi);
        const auto& a = facilities[fi].attachment;
        if (!a.ok) {
            ++ka.facilities_unsnapped;
            continue;
        }
        const Edge& e = net.edges()[a.edge];
        s.on_edge[a.edge].push_back(fi);
        // Reversed search: an origin reaches the facility through u going forward, or
        // through v going backward.
        if (e.forward) {
            seed(s.dist, s.dlabel, e.u, a.offset + a.connector, fi);
            seed(s.time, s.tlabel, e.u, e.minutes(a.offset + a.connector), fi);
        }
        if (e.backward) {
            seed(s.dist, s.dlabel, e.v, e.length - a.offset + a.connector, fi);
            seed(s.time, s.tlabel, e.v, e.minutes(e.length - a.offset + a.connector), fi);
        }
    }
    s.tree = KindSearch::PointTree(points.begin(), points.end());
}

/// Sizes the per-origin slots of every kind (NaN: unknown); in parallel too: first touching
/// them is a cost of its own at 1M origins.
void size_slots(std::vector<KindAccess>& kinds, std::size_t n, unsigned threads) {
    constexpr double unknown = std::numeric_limits<double>::quiet_NaN();
    parallel_for(5 * kinds.size(), threads, 1, stateless, [&](Stateless&, std::size_t task) {
        KindAccess& ka = kinds[task / 5];
        switch (task % 5) {
        case 0:
            ka.dist_m.assign(n, unknown);
            break;
        case 1:
            ka.time_min.assign(n, unknown);
            break;
        case 2:
            ka.eucl_m.assign(n, unknown);
            break;
        case 3:
            ka.facility_snap_m.assign(n, unknown);
            break;
        default:
            ka.facility.assign(n, KindAccess::no_facility);
            break;
        }
    });
}

/// The nearest facility of one kind over the network from origin i, attached at `a`.
void nearest_of_kind(const Network& net, const KindSearch& s, const Attachment& a, std::size_t i,
                     KindAccess& ka) {
    const auto& facilities = *s.facilities;
    const Edge& e = net.edges()[a.edge];
    double best_d = inf;
    double best_t = inf;
    std::uint32_t best_f = none;
    if (e.forward && s.dist[e.v] < inf) {
        best_d = e.length - a.offset + s.dist[e.v];
        best_f = s.dlabel[e.v];
    }
    if (e.backward && s.dist[e.u] < inf && a.offset + s.dist[e.u] < best_d) {
        best_d = a.offset + s.dist[e.u];
        best_f = s.dlabel[e.u];
    }
    if (e.forward && s.time[e.v] < inf) {
        best_t = e.minutes(e.length - a.offset) + s.time[e.v];
    }
    if (e.backward && s.time[e.u] < inf) {
        best_t = std::min(best_t, e.minutes(a.offset) + s.time[e.u]);
    }
    // A facility on the same edge, reachable directly.
    if (const auto it = s.on_edge.find(a.edge); it != s.on_edge.end()) {
        for (const auto fi : it->second) {
            const auto& fa = facilities[fi].attachment;
            double along = inf;
            if (e.forward && fa.offset >= a.offset) {
                along = fa.offset - a.offset;
            }
            if (e.backward && fa.offset <= a.offset) {
                along = std::min(along, a.offset - fa.offset);
            }
            if (along < inf) {
                if (along + fa.connector < best_d) {
                    best_d = along + fa.connector;
                    best_f = fi;
                }
                best_t = std::min(best_t, e.minutes(along + fa.connector));
            }
        }
    }
    if (best_d == inf) {
        return;  // no facility of the kind reachable: the slots stay unknown
    }
    ka.dist_m[i] = best_d + a.connector;
    ka.time_min[i] = best_t + e.minutes(a.connector);
    ka.facility[i] = best_f;
    ka.facility_snap_m[i] = facilities[best_f].attachment.connector;
}

}  // namespace

std::vector<KindSearch> search_kinds(const Network& net, const Csr& towards,
                                     const FacilitiesByKind& facilities, unsigned threads,
                                     std::vector<KindAccess>& kinds,
                                     std::vector<std::string>& warnings) {
    const std::size_t count = facilities.names.size();
    std::vector<KindSearch> search(count);
    kinds.resize(count);
    for (std::size_t k = 0; k < count; ++k) {
        const std::string& kind = facilities.names[k];
        KindSearch& s = search[k];
        KindAccess& ka = kinds[k];
        s.layer = facilities.layer.at(kind);
        s.facilities = &facilities.by_kind.at(kind);
        ka.kind = kind;
        ka.field_prefix = safe_field_name(kind);
        ka.facilities = s.facilities->size();
        ka.facility_ids.reserve(ka.facilities);
        for (const auto& f : *s.facilities) {
            ka.facility_ids.push_back(s.layer->features[f.feature].id);
        }
        seed_kind(net, s, ka);
        if (ka.facilities_unsnapped > 0) {
            warnings.push_back(std::to_string(ka.facilities_unsnapped) + " of " +
                               std::to_string(ka.facilities) + " '" + kind +
                               "' facilities are farther than max-snap from the network");
        }
    }
    parallel_for(2 * count, threads, 1, stateless, [&](Stateless&, std::size_t task) {
        KindSearch& s = search[task / 2];
        if (task % 2 == 0) {
            multi_source(towards, &EdgeWeight::length, s.dist, s.dlabel);
        } else {
            multi_source(towards, &EdgeWeight::minutes, s.time, s.tlabel);
        }
    });
    return search;
}

void nearest_facilities(const Network& net, const std::vector<KindSearch>& search,
                        const std::vector<Attachment>& origin_at,
                        const std::vector<Point>& access_points, unsigned threads,
                        std::vector<KindAccess>& kinds) {
    const std::size_t n = origin_at.size();
    size_slots(kinds, n, threads);
    parallel_for(n, threads, 256, stateless, [&](Stateless&, std::size_t i) {
        const Point& p = access_points[i];
        const auto& a = origin_at[i];
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            const KindSearch& s = search[k];
            KindAccess& ka = kinds[k];
            s.tree.query(bgi::nearest(p, 1),
                         boost::make_function_output_iterator([&](const KindSearch::PointValue& v) {
                             ka.eucl_m[i] = bg::distance(p, v.first);
                         }));
            if (!a.ok) {
                continue;
            }
            nearest_of_kind(net, s, a, i, ka);
        }
    });
}

}  // namespace spaceuse::detail::access
