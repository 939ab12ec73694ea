// Cumulative opportunities: Σ weight of targets reachable within the limit, one bounded search
// per origin on the graph as travelled.

#include "../../util/parallel.hpp"
#include "access_steps.hpp"

#include <boost/graph/dijkstra_shortest_paths.hpp>

#include <algorithm>
#include <cmath>

namespace spaceuse::detail::access {

namespace {

struct StopSearch {};

/// Stops a search beyond `cutoff` and records every vertex it touched (sources included), so
/// the caller resets only those.
class CutoffVisitor : public boost::default_dijkstra_visitor {
public:
    CutoffVisitor(const std::vector<double>& dist, double cutoff,
                  std::vector<std::uint32_t>& touched)
        : m_dist(&dist), m_cutoff(cutoff), m_touched(&touched) {}
    template <typename V, typename G>
    void discover_vertex(V v, const G&) {
        m_touched->push_back(static_cast<std::uint32_t>(v));
    }
    template <typename V, typename G>
    void examine_vertex(V v, const G&) {
        if ((*m_dist)[v] > m_cutoff) {
            throw StopSearch{};
        }
    }

private:
    const std::vector<double>* m_dist;
    double m_cutoff;
    std::vector<std::uint32_t>* m_touched;
};

struct Target {
    Attachment a;
    double w = 0.0;
};

/// The targets attached to the network, with their weights.
std::vector<Target> attach_targets(const Model& model, const Network& net,
                                   const AccessOptions& options, unsigned threads) {
    const Layer& targets = require_layer(model, options.opportunities_layer, "opportunities");
    const auto weight = targets.require_field(options.opportunities_weight);
    std::vector<Target> all_targets(targets.features.size());
    parallel_for(all_targets.size(), threads, 256, stateless, [&](Stateless&, std::size_t i) {
        const auto& f = targets.features[i];
        all_targets[i].a = net.attach(representative_point(f.geometry));
        all_targets[i].w = weight ? value_as_number(f.attributes[*weight]).value_or(0.0) : 1.0;
    });
    std::vector<Target> tlist;
    for (auto& t : all_targets) {
        if (t.a.ok) {
            tlist.push_back(std::move(t));
        }
    }
    return tlist;
}

/// Search buffers of one thread, reset after each search to what it touched.
struct Bounded {
    std::vector<double> d;
    std::vector<boost::default_color_type> color;
    std::vector<std::uint32_t> touched;
    std::vector<std::uint32_t> sources;
};

}  // namespace

std::vector<std::optional<double>> opportunities(const Model& model, const Network& net,
                                                 const std::vector<Attachment>& origin_at,
                                                 const AccessOptions& options, unsigned threads) {
    const std::vector<Target> tlist = attach_targets(model, net, options, threads);
    const Csr forward = make_graph(net, false);
    const auto index = boost::get(boost::vertex_index, forward);
    const double limit = options.opportunities_min;
    auto make_bounded = [&net] {
        Bounded b;
        b.d.assign(net.node_count(), inf);
        b.color.assign(net.node_count(), boost::white_color);
        return b;
    };
    const std::size_t n = origin_at.size();
    std::vector<std::optional<double>> result(n);
    parallel_for(n, threads, 64, make_bounded, [&](Bounded& b, std::size_t i) {
        const auto& a = origin_at[i];
        if (!a.ok) {
            return;
        }
        auto& d = b.d;
        const Edge& e = net.edges()[a.edge];
        const double c = e.minutes(a.connector);
        b.sources.clear();
        if (e.forward) {
            d[e.v] = std::min(d[e.v], c + e.minutes(e.length - a.offset));
            b.sources.push_back(e.v);
        }
        if (e.backward) {
            d[e.u] = std::min(d[e.u], c + e.minutes(a.offset));
            b.sources.push_back(e.u);
        }
        b.touched.clear();
        try {
            boost::dijkstra_shortest_paths_no_init(
                forward, b.sources.begin(), b.sources.end(), boost::dummy_property_map(),
                boost::make_iterator_property_map(d.begin(), index),
                boost::get(&EdgeWeight::minutes, forward), index, std::less<double>(),
                boost::closed_plus<double>(inf), 0.0, CutoffVisitor(d, limit, b.touched),
                boost::make_iterator_property_map(b.color.begin(), index));
        } catch (const StopSearch&) {
            // the rest is beyond the limit
        }
        double sum = 0.0;
        for (const auto& t : tlist) {
            const Edge& te = net.edges()[t.a.edge];
            double best = inf;
            if (te.forward && d[te.u] <= limit) {
                best = d[te.u] + te.minutes(t.a.offset);
            }
            if (te.backward && d[te.v] <= limit) {
                best = std::min(best, d[te.v] + te.minutes(te.length - t.a.offset));
            }
            if (t.a.edge == a.edge) {
                if ((e.forward && t.a.offset >= a.offset) ||
                    (e.backward && t.a.offset <= a.offset)) {
                    best = std::min(best, c + e.minutes(std::fabs(t.a.offset - a.offset)));
                }
            }
            if (best + te.minutes(t.a.connector) <= limit) {
                sum += t.w;
            }
        }
        result[i] = sum;
        // Reset only what this search touched (not the whole graph per origin).
        for (const auto v : b.touched) {
            d[v] = inf;
            b.color[v] = boost::white_color;
        }
    });
    return result;
}

}  // namespace spaceuse::detail::access
