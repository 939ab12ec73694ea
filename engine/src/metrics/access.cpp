// Accessibility over a road graph built from line features.
//
// Graph semantics: every line end and every vertex shared by two or more lines (same
// coordinates in the analysis CRS, or the same cell of the snapping grid when a tolerance is
// set) is a node; an edge is the piece of a line between two consecutive nodes, with its planar
// length. Points (origins, facilities, targets) attach to the nearest point of the nearest edge
// of the largest connected component (strongly connected for car), by projection onto the
// segment. Distances are from origin to facility: one multi-source Dijkstra per facility kind
// (Boost.Graph, on a compressed sparse row graph with reversed edges), seeded at both ends of
// each facility's edge with the partial edge length plus the facility's connector.

#include "../geos/geos.hpp"
#include "../util/parallel.hpp"

#include <spaceuse/access.hpp>
#include <spaceuse/error.hpp>

#include <boost/container/static_vector.hpp>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/strong_components.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace spaceuse {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

using Segment = bg::model::segment<Point>;
using SegmentValue = std::pair<Segment, std::pair<std::uint32_t, std::uint32_t>>;
using SegmentTree = bgi::rtree<SegmentValue, bgi::rstar<16>>;

struct Edge {
    std::uint32_t u = 0;
    std::uint32_t v = 0;
    std::vector<Point> points;
    std::vector<double> cumulative;  // length from u at each point
    double length = 0.0;
    double speed_kmh = 0.0;
    bool forward = true;   // u -> v allowed
    bool backward = true;  // v -> u allowed

    double minutes(double metres) const { return metres / (speed_kmh * 1000.0 / 60.0); }
};

struct Attachment {
    bool ok = false;
    std::uint32_t edge = 0;
    double offset = 0.0;     // along the edge from u
    double connector = 0.0;  // straight line from the point to the edge
    Point at;
    std::string note;
    std::string reason;
};

struct KeyHash {
    std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& k) const noexcept {
        return std::hash<std::uint64_t>()(k.first * 0x9E3779B97F4A7C15ULL ^ k.second);
    }
};
using Key = std::pair<std::uint64_t, std::uint64_t>;

using detail::parallel_for;
using detail::Stateless;
using detail::stateless;
using detail::worker_count;

/// A GEOS context made on first use (one per thread).
struct LazyGeos {
    std::optional<detail::GeosContext> context;
    const detail::GeosContext& get() {
        if (!context) {
            context.emplace();
        }
        return *context;
    }
};
constexpr auto lazy_geos = [] { return LazyGeos{}; };

const Layer& require_layer(const Model& model, const std::string& name, const char* what) {
    const Layer* layer = model.find(name);
    if (layer == nullptr) {
        throw ConfigError(std::string("accessibility needs a ") + what + " layer '" + name + "'");
    }
    return *layer;
}

/// A representative point of a feature: centroid for polygons, the first point otherwise.
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

class Network {
public:
    Network(const Layer& roads, const AccessOptions& options, unsigned threads) : m_options(options) {
        // Class and one-way fields are used when the layer has them (OSM names by default).
        const auto cls = roads.field_index(options.class_field);
        const auto oneway = roads.field_index(options.oneway_field);
        const auto speed = roads.require_field(options.speed_field);
        const auto table = options.speeds_kmh.empty() ? default_car_speeds() : options.speeds_kmh;
        const double default_speed = table.count("default") ? table.at("default") : 30.0;
        static const std::set<std::string> no_cars = {"footway", "path", "pedestrian", "steps",
                                                      "cycleway", "bridleway", "corridor",
                                                      "platform", "elevator", "proposed",
                                                      "construction", "abandoned", "bus_guideway"};
        static const std::set<std::string> no_walk = {"motorway", "motorway_link", "proposed",
                                                      "construction", "abandoned"};

        // How each road is travelled (features in parallel, into their own slots).
        struct Travel {
            bool excluded = false;
            double speed = 0.0;
            bool forward = true;
            bool backward = true;
        };
        std::vector<Travel> travel(roads.features.size());
        parallel_for(travel.size(), threads, 1024, stateless, [&](Stateless&, std::size_t i) {
            const auto& f = roads.features[i];
            Travel& t = travel[i];
            const std::string c = cls ? value_as_text(f.attributes[*cls]) : std::string();
            const bool car = options.profile == TravelProfile::car;
            if ((car && no_cars.count(c)) || (!car && no_walk.count(c))) {
                t.excluded = true;
                return;
            }
            if (options.profile == TravelProfile::walk) {
                t.speed = 5.0;
            } else if (options.profile == TravelProfile::bike) {
                t.speed = 15.0;
            } else {
                if (speed) {
                    t.speed = value_as_number(f.attributes[*speed]).value_or(0.0);
                }
                if (!(t.speed > 0)) {
                    const auto it = table.find(c);
                    t.speed = it != table.end() ? it->second : default_speed;
                }
                std::string ow = oneway ? value_as_text(f.attributes[*oneway]) : std::string();
                std::transform(ow.begin(), ow.end(), ow.begin(),
                               [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
                if (ow == "yes" || ow == "true" || ow == "1") {
                    t.backward = false;
                } else if (ow == "-1" || ow == "reverse") {
                    t.forward = false;
                } else if (ow.empty() && (c == "motorway" || c == "motorway_link")) {
                    t.backward = false;  // OSM: motorways are one-way unless tagged otherwise
                }
            }
        });
        struct Line {
            const LineString* line;
            const Travel* travel;
        };
        std::vector<Line> lines;
        lines.reserve(roads.features.size());
        for (std::size_t i = 0; i < roads.features.size(); ++i) {
            const auto& ml = std::get<MultiLineString>(roads.features[i].geometry);
            if (travel[i].excluded) {
                m_stats.excluded_edges += ml.size();
                continue;
            }
            for (const auto& l : ml) {
                lines.push_back({&l, &travel[i]});
            }
        }
        m_stats.lines = lines.size();

        // Pass 1: how often each vertex occurs (line ends count twice: always nodes) and where
        // it occurs first. Occurrence j is vertex i of line l at j = first_vertex[l] + i. The
        // distinct vertices are counted in shards by key, side by side, each shard in
        // occurrence order, so the figures do not depend on the thread count or the sharding.
        std::vector<std::size_t> first_vertex(lines.size() + 1, 0);
        for (std::size_t l = 0; l < lines.size(); ++l) {
            first_vertex[l + 1] = first_vertex[l] + lines[l].line->size();
        }
        const std::size_t total = first_vertex.back();
        if (total >= none) {
            throw InputError("the road network has more than 4 billion vertices");
        }
        // One shard per thread, at most one per core: which shard counts a vertex changes
        // nothing in the figures.
        const std::size_t shard_count =
            std::clamp<std::size_t>(std::min(threads, std::thread::hardware_concurrency()), 1, 255);
        std::vector<Key> keys(total);
        std::vector<const Point*> points(total);
        std::vector<std::uint8_t> weight(total);  // 2 for a line end, else 1
        std::vector<std::uint8_t> shard(total);
        parallel_for(lines.size(), threads, 1024, stateless, [&](Stateless&, std::size_t l) {
            const auto& pts = *lines[l].line;
            for (std::size_t i = 0; i < pts.size(); ++i) {
                const std::size_t j = first_vertex[l] + i;
                keys[j] = key(pts[i]);
                points[j] = &pts[i];
                weight[j] = (i == 0 || i + 1 == pts.size()) ? 2 : 1;
                shard[j] = static_cast<std::uint8_t>(
                    ((KeyHash()(keys[j]) * 0xBF58476D1CE4E5B9ULL) >> 40) % shard_count);
            }
        });
        // Per occurrence: the first occurrence of its vertex. rank[j] of a first occurrence j
        // becomes its node number when the vertex is a node (met at least twice), else none.
        std::vector<std::uint32_t> first_of(total);
        std::vector<std::uint32_t> rank(total, none);
        parallel_for(shard_count, threads, 1, stateless, [&](Stateless&, std::size_t k) {
            struct Vertex {
                std::uint32_t count = 0;
                std::uint32_t first = 0;
            };
            std::unordered_map<Key, Vertex, KeyHash> vertex_of;
            vertex_of.reserve(total / shard_count + 1);
            for (std::uint32_t j = 0; j < total; ++j) {
                if (shard[j] != k) {
                    continue;
                }
                Vertex& v = vertex_of[keys[j]];
                if (v.count == 0) {
                    v.first = j;
                }
                v.count += weight[j];
                first_of[j] = v.first;
            }
            for (const auto& [key, v] : vertex_of) {
                if (v.count >= 2) {
                    rank[v.first] = 0;  // numbered below
                }
            }
        });
        // Pass 2: node numbers in first-seen order.
        for (std::size_t j = 0; j < total; ++j) {
            if (rank[j] != none) {
                rank[j] = static_cast<std::uint32_t>(m_nodes.size());
                m_nodes.push_back(*points[j]);
            }
        }
        std::vector<std::uint32_t> vertex_node(total);
        parallel_for(total, threads, 4096, stateless, [&](Stateless&, std::size_t j) {
            vertex_node[j] = rank[first_of[j]];
        });
        // Pass 3: cut lines at nodes (blocks of lines in parallel), then the edges in line order.
        constexpr std::size_t block = 512;
        std::vector<std::vector<Edge>> pieces((lines.size() + block - 1) / block);
        parallel_for(pieces.size(), threads, 1, stateless, [&](Stateless&, std::size_t b) {
            for (std::size_t l = b * block; l < std::min(lines.size(), (b + 1) * block); ++l) {
                const auto& pts = *lines[l].line;
                const Travel& t = *lines[l].travel;
                const std::uint32_t* nodes = &vertex_node[first_vertex[l]];
                Edge e;
                e.u = nodes[0];
                e.points.push_back(m_nodes[e.u]);
                for (std::size_t i = 1; i < pts.size(); ++i) {
                    const bool is_node = nodes[i] != none;
                    const Point p = is_node ? m_nodes[nodes[i]] : pts[i];
                    if (bg::equals(p, e.points.back())) {
                        continue;  // repeated vertex
                    }
                    e.points.push_back(p);
                    if (is_node) {
                        e.v = nodes[i];
                        if (finish_edge(e, t.speed, t.forward, t.backward)) {
                            pieces[b].push_back(std::move(e));
                        }
                        e = Edge{};
                        e.u = nodes[i];
                        e.points.push_back(m_nodes[e.u]);
                    }
                }
            }
        });
        std::size_t edges = 0;
        for (const auto& p : pieces) {
            edges += p.size();
        }
        m_edges.reserve(edges);
        for (auto& p : pieces) {
            for (auto& e : p) {
                m_stats.total_length_m += e.length;
                m_edges.push_back(std::move(e));
            }
        }
        m_stats.nodes = m_nodes.size();
        m_stats.edges = m_edges.size();
    }

    const NetworkStats& stats() const noexcept { return m_stats; }
    const std::vector<Edge>& edges() const noexcept { return m_edges; }
    std::size_t node_count() const noexcept { return m_nodes.size(); }

    /// Attaches a point to the largest component.
    Attachment attach(const Point& p) const {
        Attachment a;
        if (m_lc_tree.empty()) {
            a.reason = "the network has no usable road";
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
            a.reason = buf;
            return a;
        }
        if (any.distance + 1e-9 < best.distance &&
            m_component[m_edges[any.edge].u] != m_largest) {
            char buf[200];
            std::snprintf(buf, sizeof buf,
                          "nearer road %.1f m away is in a small component (%zu nodes); attached to the "
                          "main network at %.1f m",
                          any.distance, m_component_size[m_component[m_edges[any.edge].u]],
                          best.distance);
            a.note = buf;
        }
        a.ok = true;
        return a;
    }

    /// Builds the segment index of all edges (`main_only` false) or of the edges of the largest
    /// component; attach() needs both. The two builds touch different members and may run
    /// at the same time.
    void build_tree(bool main_only) {
        std::vector<SegmentValue> values;
        for (std::uint32_t ei = 0; ei < m_edges.size(); ++ei) {
            const auto& e = m_edges[ei];
            if (main_only && (m_component[e.u] != m_largest || m_component[e.v] != m_largest)) {
                continue;
            }
            for (std::uint32_t s = 0; s + 1 < e.points.size(); ++s) {
                values.push_back({Segment(e.points[s], e.points[s + 1]), {ei, s}});
            }
        }
        (main_only ? m_lc_tree : m_all_tree) = SegmentTree(values.begin(), values.end());
    }

    std::uint32_t largest() const noexcept { return m_largest; }
    bool in_largest(std::uint32_t node) const { return m_component[node] == m_largest; }

private:
    struct Nearest {
        std::uint32_t edge = 0;
        double offset = 0.0;
        double distance = inf;
        Point at;
    };

    Key key(const Point& p) const {
        if (m_options.snap_tolerance_m > 0) {
            const double t = m_options.snap_tolerance_m;
            return {static_cast<std::uint64_t>(std::llround(p.x() / t)),
                    static_cast<std::uint64_t>(std::llround(p.y() / t))};
        }
        return {std::bit_cast<std::uint64_t>(p.x() + 0.0), std::bit_cast<std::uint64_t>(p.y() + 0.0)};
    }

    /// Lengths of a finished edge; false when it has none (dropped).
    static bool finish_edge(Edge& e, double speed, bool fw, bool bw) {
        e.cumulative.resize(e.points.size());
        e.cumulative[0] = 0.0;
        for (std::size_t i = 1; i < e.points.size(); ++i) {
            e.cumulative[i] = e.cumulative[i - 1] + bg::distance(e.points[i - 1], e.points[i]);
        }
        e.length = e.cumulative.back();
        if (e.length <= 0.0) {
            return false;
        }
        e.speed_kmh = speed;
        e.forward = fw;
        e.backward = bw;
        return true;
    }

public:
    /// Connected components (strongly connected for car); attach() and the main-component
    /// index need them.
    void find_components() {
        const std::size_t n = m_nodes.size();
        m_component.assign(n, 0);
        if (n == 0) {
            return;
        }
        if (m_options.profile == TravelProfile::car) {
            // A compressed graph (one allocation) with each node's arcs in edge order.
            std::vector<std::pair<std::uint32_t, std::uint32_t>> arcs;
            arcs.reserve(2 * m_edges.size());
            for (const auto& e : m_edges) {
                if (e.forward) {
                    arcs.emplace_back(e.u, e.v);
                }
                if (e.backward) {
                    arcs.emplace_back(e.v, e.u);
                }
            }
            const boost::compressed_sparse_row_graph<boost::directedS> g(
                boost::edges_are_unsorted_multi_pass, arcs.begin(), arcs.end(), n);
            std::vector<int> comp(n);
            const int k = boost::strong_components(
                g, boost::make_iterator_property_map(comp.begin(), boost::get(boost::vertex_index, g)));
            m_stats.components = static_cast<std::size_t>(k);
            for (std::size_t i = 0; i < n; ++i) {
                m_component[i] = static_cast<std::uint32_t>(comp[i]);
            }
        } else {
            std::vector<std::uint32_t> parent(n);
            std::iota(parent.begin(), parent.end(), 0U);
            auto find = [&parent](std::uint32_t x) {
                while (parent[x] != x) {
                    parent[x] = parent[parent[x]];
                    x = parent[x];
                }
                return x;
            };
            for (const auto& e : m_edges) {
                const auto a = find(e.u);
                const auto b = find(e.v);
                if (a != b) {
                    parent[std::max(a, b)] = std::min(a, b);
                }
            }
            std::unordered_map<std::uint32_t, std::uint32_t> ids;
            for (std::size_t i = 0; i < n; ++i) {
                const auto r = find(static_cast<std::uint32_t>(i));
                auto it = ids.emplace(r, static_cast<std::uint32_t>(ids.size())).first;
                m_component[i] = it->second;
            }
            m_stats.components = ids.size();
        }
        m_component_size.assign(m_stats.components, 0);
        for (const auto c : m_component) {
            ++m_component_size[c];
        }
        m_largest = 0;
        for (std::uint32_t c = 0; c < m_component_size.size(); ++c) {
            if (m_component_size[c] > m_component_size[m_largest]) {
                m_largest = c;
            }
        }
        m_stats.largest_component_nodes = m_component_size.empty() ? 0 : m_component_size[m_largest];
    }

private:
    using Hits = boost::container::static_vector<SegmentValue, 4>;

    /// The nearest segments of an index. The tree orders candidates by the distance to the
    /// segment itself; ask a few so that exact ties resolve to the lowest edge index
    /// (deterministic whatever the tree shape).
    static Hits query(const SegmentTree& tree, const Point& p) {
        Hits hits;
        tree.query(bgi::nearest(p, hits.capacity()), std::back_inserter(hits));
        return hits;
    }

    bool main_edge(std::uint32_t edge) const {
        const Edge& e = m_edges[edge];
        return m_component[e.u] == m_largest && m_component[e.v] == m_largest;
    }

    /// The nearest of `hits` (of the main component only when `main_only`), ties to the lowest
    /// edge index; `farthest` gets the largest distance of any hit.
    Nearest best_of(const Hits& hits, const Point& p, bool main_only, double& farthest) const {
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

    const AccessOptions& m_options;
    NetworkStats m_stats;
    std::vector<Point> m_nodes;
    std::vector<Edge> m_edges;
    std::vector<std::uint32_t> m_component;
    std::vector<std::size_t> m_component_size;
    std::uint32_t m_largest = 0;
    SegmentTree m_all_tree;
    SegmentTree m_lc_tree;
};

struct EdgeWeight {
    double length = 0.0;
    double minutes = 0.0;
};
using Csr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeWeight>;

/// Compressed sparse row graph in one direction ("towards": edges reversed, for distances to
/// facilities; else as travelled).
Csr make_graph(const Network& net, bool reversed) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
    std::vector<EdgeWeight> weights;
    for (const auto& e : net.edges()) {
        const EdgeWeight w{e.length, e.minutes(e.length)};
        if (e.forward) {
            pairs.emplace_back(reversed ? e.v : e.u, reversed ? e.u : e.v);
            weights.push_back(w);
        }
        if (e.backward) {
            pairs.emplace_back(reversed ? e.u : e.v, reversed ? e.v : e.u);
            weights.push_back(w);
        }
    }
    return Csr(boost::edges_are_unsorted_multi_pass, pairs.begin(), pairs.end(), weights.begin(),
               net.node_count());
}

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

struct StopSearch {};

/// Stops a search beyond `cutoff` and records every vertex it touched (sources included), so
/// the caller resets only those.
class CutoffVisitor : public boost::default_dijkstra_visitor {
public:
    CutoffVisitor(const std::vector<double>& dist, double cutoff, std::vector<std::uint32_t>& touched)
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

struct Facility {
    std::size_t feature = 0;
    Point point;
    Attachment attachment;
};

}  // namespace

TravelProfile parse_travel_profile(const std::string& text) {
    if (text == "car") {
        return TravelProfile::car;
    }
    if (text == "walk") {
        return TravelProfile::walk;
    }
    if (text == "bike") {
        return TravelProfile::bike;
    }
    throw ConfigError("travel profile '" + text + "' is not car, walk or bike");
}

std::map<std::string, double> default_car_speeds() {
    return {{"motorway", 120},    {"motorway_link", 60}, {"trunk", 90},        {"trunk_link", 50},
            {"primary", 70},      {"primary_link", 50},  {"secondary", 50},    {"secondary_link", 40},
            {"tertiary", 50},     {"tertiary_link", 40}, {"unclassified", 40}, {"residential", 30},
            {"living_street", 10}, {"service", 20},      {"track", 15},        {"road", 30},
            {"default", 30}};
}

std::map<std::string, double> load_speed_table(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw ConfigError("speed table not found: " + path);
    }
    std::map<std::string, double> table;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const auto comma = line.find(',');
        if (comma == std::string::npos) {
            throw ConfigError(path + ":" + std::to_string(number) + ": expected CLASS,KMH");
        }
        const std::string cls = line.substr(0, comma);
        char* end = nullptr;
        const std::string v = line.substr(comma + 1);
        const double kmh = std::strtod(v.c_str(), &end);
        if (end == v.c_str()) {
            if (number == 1) {
                continue;  // header
            }
            throw ConfigError(path + ":" + std::to_string(number) + ": speed is not a number");
        }
        if (!(kmh > 0)) {
            throw ConfigError(path + ":" + std::to_string(number) + ": speed must be > 0");
        }
        table[cls] = kmh;
    }
    return table;
}

std::string safe_field_name(const std::string& kind) {
    std::string out;
    for (unsigned char c : kind) {
        if (std::isalnum(c)) {
            out += static_cast<char>(std::tolower(c));
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    while (!out.empty() && out.back() == '_') {
        out.pop_back();
    }
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) {
        out = "k_" + out;
    }
    return out;
}

AccessResult compute_access(const Model& model, const AccessOptions& options,
                            const ProgressFn& progress_fn) {
    Progress progress(progress_fn);
    progress.report(0.0, "building the road graph");
    const Layer& roads = require_layer(model, options.network_layer, "network");
    if (roads.family != GeometryFamily::line) {
        throw ConfigError("accessibility: layer '" + roads.name + "' must hold lines");
    }
    const Layer& origins = require_layer(model, options.origins_layer, "origins");
    if (options.facilities.empty()) {
        throw ConfigError("accessibility needs at least one facility layer");
    }
    // Every parallel step below writes into pre-sized slots and only the calling thread reports
    // progress, so the result is the same for any thread count.
    const unsigned threads = worker_count(options.threads);

    Network net(roads, options, threads);
    // The components with the main-component index, the index of all edges and the reversed
    // graph do not depend on each other.
    Csr towards;
    parallel_for(3, threads, 1, stateless, [&](Stateless&, std::size_t task) {
        if (task == 0) {
            net.find_components();
            net.build_tree(true);
        } else if (task == 1) {
            net.build_tree(false);
        } else {
            towards = make_graph(net, true);
        }
    });
    AccessResult result;
    result.network = net.stats();
    progress.report(0.2, "attaching origins");

    // Origins.
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
    parallel_for(n, threads, 256, lazy_geos, [&](LazyGeos& lazy, std::size_t i) {
        Point p = representative_point(origins.features[i].geometry);
        if (options.access_point == AccessPoint::boundary) {
            if (const auto* mp = std::get_if<MultiPolygon>(&origins.features[i].geometry)) {
                const Attachment first = net.attach(p);
                if (first.ok) {
                    const auto& geos = lazy.get();
                    auto poly = geos.from(*mp);
                    auto boundary = geos.own(GEOSBoundary_r(geos.handle(), poly.get()), "boundary");
                    auto target = geos.from(first.at);
                    GEOSCoordSequence* seq = GEOSNearestPoints_r(geos.handle(), boundary.get(), target.get());
                    if (seq != nullptr) {
                        double x = 0;
                        double y = 0;
                        GEOSCoordSeq_getXY_r(geos.handle(), seq, 0, &x, &y);
                        p = Point(x, y);
                        GEOSCoordSeq_destroy_r(geos.handle(), seq);
                    }
                }
            }
        }
        result.access_points[i] = p;
        origin_at[i] = net.attach(p);
        result.snap_m[i] = origin_at[i].ok ? std::optional<double>(origin_at[i].connector) : std::nullopt;
    });

    // Facilities by kind, in first-seen order of kinds.
    std::vector<std::string> kind_names;
    std::map<std::string, std::vector<Facility>> by_kind;
    std::map<std::string, const Layer*> kind_layer;
    for (const auto& source : options.facilities) {
        const Layer& layer = require_layer(model, source.layer, "facilities");
        const auto kind_field = layer.require_field(source.kind_field);
        for (std::size_t i = 0; i < layer.features.size(); ++i) {
            std::string kind = kind_field ? value_as_text(layer.features[i].attributes[*kind_field])
                                          : source.kind;
            if (kind.empty() || (!options.kinds.empty() &&
                                 std::find(options.kinds.begin(), options.kinds.end(), kind) ==
                                     options.kinds.end())) {
                continue;
            }
            if (!by_kind.count(kind)) {
                kind_names.push_back(kind);
                kind_layer[kind] = &layer;
            }
            Facility f;
            f.feature = i;
            f.point = representative_point(layer.features[i].geometry);
            by_kind[kind].push_back(f);
        }
    }
    std::vector<Facility*> all_facilities;
    for (auto& [kind, list] : by_kind) {
        for (auto& f : list) {
            all_facilities.push_back(&f);
        }
    }
    parallel_for(all_facilities.size(), threads, 64, stateless, [&](Stateless&, std::size_t i) {
        all_facilities[i]->attachment = net.attach(all_facilities[i]->point);
    });

    // Per kind: seeds, then one search for distances and one for times, all searches at once.
    progress.report(0.25, "nearest facilities: searching the network");
    using PointValue = std::pair<Point, std::uint32_t>;
    using PointTree = bgi::rtree<PointValue, bgi::rstar<16>>;
    struct KindSearch {
        const Layer* layer = nullptr;
        const std::vector<Facility>* facilities = nullptr;
        std::vector<double> dist;
        std::vector<double> time;
        std::vector<std::uint32_t> dlabel;
        std::vector<std::uint32_t> tlabel;
        // Facilities by edge, for origins on the same edge.
        std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> on_edge;
        PointTree tree;  // straight-line nearest facility
    };
    const std::size_t kinds = kind_names.size();
    std::vector<KindSearch> search(kinds);
    std::vector<KindAccess> kind_access(kinds);
    for (std::size_t k = 0; k < kinds; ++k) {
        const std::string& kind = kind_names[k];
        KindSearch& s = search[k];
        KindAccess& ka = kind_access[k];
        s.layer = kind_layer[kind];
        s.facilities = &by_kind[kind];
        const auto& facilities = *s.facilities;
        ka.kind = kind;
        ka.field_prefix = safe_field_name(kind);
        ka.facilities = facilities.size();
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
        std::vector<PointValue> points;
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
        s.tree = PointTree(points.begin(), points.end());
        if (ka.facilities_unsnapped > 0) {
            result.warnings.push_back(std::to_string(ka.facilities_unsnapped) + " of " +
                                      std::to_string(facilities.size()) + " '" + kind +
                                      "' facilities are farther than max-snap from the network");
        }
    }
    parallel_for(2 * kinds, threads, 1, stateless, [&](Stateless&, std::size_t task) {
        KindSearch& s = search[task / 2];
        if (task % 2 == 0) {
            multi_source(towards, &EdgeWeight::length, s.dist, s.dlabel);
        } else {
            multi_source(towards, &EdgeWeight::minutes, s.time, s.tlabel);
        }
    });

    // Per origin and kind: the nearest facility over the network and in a straight line.
    progress.report(0.5, "nearest facilities: origins");
    // Slots sized in parallel too: first touching them is a cost of its own at 1M origins.
    parallel_for(7 * kinds, threads, 1, stateless, [&](Stateless&, std::size_t task) {
        KindAccess& ka = kind_access[task / 7];
        switch (task % 7) {
        case 0:
            ka.dist_m.resize(n);
            break;
        case 1:
            ka.time_min.resize(n);
            break;
        case 2:
            ka.eucl_m.resize(n);
            break;
        case 3:
            ka.facility_id.resize(n);
            break;
        case 4:
            ka.facility_snap_m.resize(n);
            break;
        case 5:
            ka.snap_note.resize(n);
            break;
        default:
            ka.reason.resize(n);
            break;
        }
    });
    parallel_for(n, threads, 256, stateless, [&](Stateless&, std::size_t i) {
        const Point& p = result.access_points[i];
        const auto& a = origin_at[i];
        for (std::size_t k = 0; k < kinds; ++k) {
            const KindSearch& s = search[k];
            KindAccess& ka = kind_access[k];
            s.tree.query(bgi::nearest(p, 1),
                         boost::make_function_output_iterator(
                             [&](const PointValue& v) { ka.eucl_m[i] = bg::distance(p, v.first); }));
            ka.snap_note[i] = a.note;
            if (!a.ok) {
                ka.reason[i] = a.reason;
                continue;
            }
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
                ka.reason[i] = "no '" + ka.kind + "' reachable over the network";
                continue;
            }
            ka.dist_m[i] = best_d + a.connector;
            ka.time_min[i] = best_t + e.minutes(a.connector);
            ka.facility_id[i] = s.layer->features[facilities[best_f].feature].id;
            ka.facility_snap_m[i] = facilities[best_f].attachment.connector;
        }
    });

    // Isochrones: road pieces from which the nearest facility is within T minutes, drawn as a
    // corridor of isochrone_buffer_m around them. One task per kind and band.
    const std::size_t bands = options.isochrones_min.size();
    if (bands > 0) {
        progress.report(0.6, "isochrones");
    }
    result.isochrones.resize(kinds * bands);
    parallel_for(kinds * bands, threads, 1, lazy_geos, [&](LazyGeos& lazy, std::size_t task) {
        const KindSearch& s = search[task / bands];
        const double minutes = options.isochrones_min[task % bands];
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
            const double reach = (minutes - e.minutes(f.attachment.connector)) * e.speed_kmh * 1000.0 / 60.0;
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
        Isochrone& iso = result.isochrones[task];
        iso.kind = kind_names[task / bands];
        iso.minutes = minutes;
        if (!pieces.empty()) {
            // Buffer each piece on its own and union the results (cascaded): much faster than
            // buffering one large MultiLineString, whose offset curves all get noded together.
            const auto& geos = lazy.get();
            std::vector<detail::GeomPtr> parts;
            parts.reserve(pieces.size());
            for (const auto& piece : pieces) {
                auto line = geos.from(piece);
                parts.push_back(geos.buffer(line.get(), options.isochrone_buffer_m, 4));
            }
            auto all = geos.collection(GEOS_GEOMETRYCOLLECTION, std::move(parts));
            auto area = geos.unary_union(all.get());
            iso.geometry = geos.to_multipolygon(area.get());
        }
    });
    result.kinds = std::move(kind_access);

    // Cumulative opportunities: Σ weight of targets reachable within the limit, one bounded
    // search per origin on the graph as travelled.
    if (!options.opportunities_layer.empty()) {
        progress.report(0.85, "cumulative opportunities");
        const Layer& targets = require_layer(model, options.opportunities_layer, "opportunities");
        const auto weight = targets.require_field(options.opportunities_weight);
        struct Target {
            Attachment a;
            double w = 0.0;
        };
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
        const Csr forward = make_graph(net, false);
        const auto index = boost::get(boost::vertex_index, forward);
        const double limit = options.opportunities_min;
        // Search buffers of one thread, reset after each search to what it touched.
        struct Bounded {
            std::vector<double> d;
            std::vector<boost::default_color_type> color;
            std::vector<std::uint32_t> touched;
            std::vector<std::uint32_t> sources;
        };
        auto make_bounded = [&net] {
            Bounded b;
            b.d.assign(net.node_count(), inf);
            b.color.assign(net.node_count(), boost::white_color);
            return b;
        };
        result.opportunities.resize(n);
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
                    if ((e.forward && t.a.offset >= a.offset) || (e.backward && t.a.offset <= a.offset)) {
                        best = std::min(best, c + e.minutes(std::fabs(t.a.offset - a.offset)));
                    }
                }
                if (best + te.minutes(t.a.connector) <= limit) {
                    sum += t.w;
                }
            }
            result.opportunities[i] = sum;
            // Reset only what this search touched (not the whole graph per origin).
            for (const auto v : b.touched) {
                d[v] = inf;
                b.color[v] = boost::white_color;
            }
        });
    }

    // Zone aggregates: origins belong to the zone holding the largest part of them (polygon
    // origins) or containing them (points).
    if (!options.zones_layer.empty()) {
        progress.report(0.95, "zone aggregates");
        const Layer& zones = require_layer(model, options.zones_layer, "zones");
        std::vector<std::optional<std::size_t>> zone_of(n);
        std::vector<double> weight(n, 1.0);
        parallel_for(n, threads, 64, lazy_geos, [&](LazyGeos& lazy, std::size_t i) {
            const auto& geos = lazy.get();
            const auto& g = origins.features[i].geometry;
            auto og = geos.from(g);
            const bool polygonal = std::holds_alternative<MultiPolygon>(g);
            if (polygonal) {
                weight[i] = area(std::get<MultiPolygon>(g));
            }
            double best = 0.0;
            for (const auto z : zones.query(envelope(g))) {
                auto zg = geos.from(zones.features[z].geometry);
                double share = 0.0;
                if (polygonal) {
                    share = geos.area(geos.intersection(zg.get(), og.get()).get());
                } else {
                    auto prepared = geos.prepare(zg.get());
                    share = geos.prepared_intersects(prepared.get(), og.get()) ? 1.0 : 0.0;
                }
                if (share > best) {
                    best = share;
                    zone_of[i] = z;
                }
            }
        });
        std::vector<std::vector<std::size_t>> members(zones.features.size());
        for (std::size_t i = 0; i < n; ++i) {
            if (zone_of[i]) {
                members[*zone_of[i]].push_back(i);
            }
        }
        // One task per zone, for all kinds; each thread converts the isochrones to GEOS once.
        struct ZoneState {
            detail::GeosContext geos;
            std::vector<detail::GeomPtr> bands;  // kind-major, as result.isochrones
        };
        const std::size_t zone_count = zones.features.size();
        result.zones.resize(kinds * zone_count);
        parallel_for(zone_count, threads, 1, [] { return ZoneState(); },
                     [&](ZoneState& st, std::size_t z) {
            const auto& geos = st.geos;
            if (st.bands.empty()) {
                for (const auto& iso : result.isochrones) {
                    st.bands.push_back(geos.from(iso.geometry));
                }
            }
            std::vector<detail::GeomPtr> origin_geoms(members[z].size());
            if (bands > 0) {
                for (std::size_t m = 0; m < members[z].size(); ++m) {
                    const auto& g = origins.features[members[z][m]].geometry;
                    if (std::holds_alternative<MultiPolygon>(g)) {
                        origin_geoms[m] = geos.from(g);
                    }
                }
            }
            for (std::size_t k = 0; k < kinds; ++k) {
                const KindAccess& ka = result.kinds[k];
                ZoneAccess& za = result.zones[k * zone_count + z];
                za.zone = z;
                za.kind = ka.kind;
                za.band_share.assign(bands, 0.0);
                double wsum = 0.0;
                double dsum = 0.0;
                double tsum = 0.0;
                double total_w = 0.0;
                for (std::size_t m = 0; m < members[z].size(); ++m) {
                    const std::size_t i = members[z][m];
                    ++za.origins;
                    total_w += weight[i];
                    if (origin_geoms[m]) {
                        for (std::size_t b = 0; b < bands; ++b) {
                            za.band_share[b] += geos.area(
                                geos.intersection(origin_geoms[m].get(), st.bands[k * bands + b].get()).get());
                        }
                    }
                    if (ka.dist_m[i]) {
                        ++za.reachable;
                        wsum += weight[i];
                        dsum += weight[i] * *ka.dist_m[i];
                        tsum += weight[i] * *ka.time_min[i];
                        if (!za.worst_dist_m || *ka.dist_m[i] > *za.worst_dist_m) {
                            za.worst_dist_m = ka.dist_m[i];
                            za.worst_origin = origins.features[i].id;
                        }
                    }
                }
                if (wsum > 0) {
                    za.mean_dist_m = dsum / wsum;
                    za.mean_time_min = tsum / wsum;
                }
                for (auto& share : za.band_share) {
                    share = total_w > 0 ? share / total_w : 0.0;
                }
            }
        });
    }
    progress.report(1.0, "accessibility done");
    return result;
}

}  // namespace spaceuse
