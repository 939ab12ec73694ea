// The road graph: nodes, edges, connected components and segment indexes.

#include "../../util/parallel.hpp"
#include "access_steps.hpp"

#include <spaceuse/error.hpp>

#include <boost/graph/strong_components.hpp>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <numeric>
#include <set>
#include <thread>

namespace spaceuse::detail::access {

namespace {

struct KeyHash {
    std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& k) const noexcept {
        return std::hash<std::uint64_t>()(k.first * 0x9E3779B97F4A7C15ULL ^ k.second);
    }
};

}  // namespace

Network::Network(const Layer& roads, const AccessOptions& options, unsigned threads)
    : m_options(options) {
    const std::vector<Travel> travel = classify(roads, threads);
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

    std::vector<std::size_t> first_vertex(lines.size() + 1, 0);
    for (std::size_t l = 0; l < lines.size(); ++l) {
        first_vertex[l + 1] = first_vertex[l] + lines[l].line->size();
    }
    const std::vector<std::uint32_t> vertex_node = number_nodes(lines, first_vertex, threads);
    cut_edges(lines, first_vertex, vertex_node, threads);
    m_stats.nodes = m_nodes.size();
    m_stats.edges = m_edges.size();
}

std::vector<Network::Travel> Network::classify(const Layer& roads, unsigned threads) const {
    const AccessOptions& options = m_options;
    // Class and one-way fields are used when the layer has them (OSM names by default).
    const auto cls = roads.field_index(options.class_field);
    const auto oneway = roads.field_index(options.oneway_field);
    const auto speed = roads.require_field(options.speed_field);
    const auto table = options.speeds_kmh.empty() ? default_car_speeds() : options.speeds_kmh;
    const double default_speed = table.count("default") ? table.at("default") : 30.0;
    static const std::set<std::string> no_cars = {
        "footway",      "path",      "pedestrian",  "steps",    "cycleway",
        "bridleway",    "corridor",  "platform",    "elevator", "proposed",
        "construction", "abandoned", "bus_guideway"};
    static const std::set<std::string> no_walk = {"motorway", "motorway_link", "proposed",
                                                  "construction", "abandoned"};

    // Features in parallel, into their own slots.
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
    return travel;
}

std::vector<std::uint32_t> Network::number_nodes(const std::vector<Line>& lines,
                                                 const std::vector<std::size_t>& first_vertex,
                                                 unsigned threads) {
    // Pass 1: how often each vertex occurs (line ends count twice: always nodes) and where
    // it occurs first. The distinct vertices are counted in shards by key, side by side, each
    // shard in occurrence order, so the figures do not depend on the thread count or the
    // sharding.
    const std::size_t total = first_vertex.back();
    if (total >= none) {
        throw InputError("the road network has more than 4 billion vertices");
    }
    // One shard per thread, at most one per core: which shard counts a vertex changes
    // nothing in the figures.
    const std::size_t shard_count = std::clamp<std::size_t>(
        std::min(threads, std::thread::hardware_concurrency()), 1, 255);
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
    parallel_for(total, threads, 4096, stateless,
                 [&](Stateless&, std::size_t j) { vertex_node[j] = rank[first_of[j]]; });
    return vertex_node;
}

void Network::cut_edges(const std::vector<Line>& lines,
                        const std::vector<std::size_t>& first_vertex,
                        const std::vector<std::uint32_t>& vertex_node, unsigned threads) {
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
}

Network::Key Network::key(const Point& p) const {
    if (m_options.snap_tolerance_m > 0) {
        const double t = m_options.snap_tolerance_m;
        return {static_cast<std::uint64_t>(std::llround(p.x() / t)),
                static_cast<std::uint64_t>(std::llround(p.y() / t))};
    }
    return {std::bit_cast<std::uint64_t>(p.x() + 0.0), std::bit_cast<std::uint64_t>(p.y() + 0.0)};
}

bool Network::finish_edge(Edge& e, double speed, bool fw, bool bw) {
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

void Network::find_components() {
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

void Network::build_tree(bool main_only) {
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

Csr prepare_network(Network& net, unsigned threads) {
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
    return towards;
}

}  // namespace spaceuse::detail::access
