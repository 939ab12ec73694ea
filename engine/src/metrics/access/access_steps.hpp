#pragma once
// The steps of compute_access (access.cpp) and what they share: the road graph (network.cpp),
// attachment of points to it (attach.cpp), the network searches (search.cpp), isochrones
// (isochrones.cpp), cumulative opportunities (opportunities.cpp) and zone aggregates
// (zones.cpp). Every parallel step writes into pre-sized slots and only the calling thread
// reports progress, so the results are the same for any thread count.
//
// Graph semantics: every line end and every vertex shared by two or more lines (same
// coordinates in the analysis CRS, or the same cell of the snapping grid when a tolerance is
// set) is a node; an edge is the piece of a line between two consecutive nodes, with its planar
// length. Points (origins, facilities, targets) attach to the nearest point of the nearest edge
// of the largest connected component (strongly connected for car), by projection onto the
// segment. Distances are from origin to facility: one multi-source Dijkstra per facility kind
// (Boost.Graph, on a compressed sparse row graph with reversed edges), seeded at both ends of
// each facility's edge with the partial edge length plus the facility's connector.

#include "../../geos/geos.hpp"

#include <spaceuse/access.hpp>

#include <boost/container/static_vector.hpp>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace spaceuse::detail::access {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

inline constexpr double inf = std::numeric_limits<double>::infinity();
inline constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

/// A piece of road between two nodes.
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

/// Where a point enters the network.
struct Attachment {
    bool ok = false;
    std::uint32_t edge = 0;
    double offset = 0.0;     // along the edge from u
    double connector = 0.0;  // straight line from the point to the edge
    Point at;
    // No texts here (one Attachment per origin): attach() gives them apart.
};

/// A GEOS context made on first use (one per thread).
struct LazyGeos {
    std::optional<GeosContext> context;
    const GeosContext& get() {
        if (!context) {
            context.emplace();
        }
        return *context;
    }
};
inline constexpr auto lazy_geos = [] { return LazyGeos{}; };

/// The layer `name` of the model. @throws ConfigError naming `what` when there is none.
const Layer& require_layer(const Model& model, const std::string& name, const char* what);

/// A representative point of a feature: centroid for polygons, the first point otherwise.
Point representative_point(const Geometry& g);

/// The road graph of a line layer, its connected components and the segment indexes points
/// attach through.
class Network {
public:
    /// Builds the nodes and edges (network.cpp); find_components() and both build_tree()
    /// calls must follow before attach().
    Network(const Layer& roads, const AccessOptions& options, unsigned threads);

    const NetworkStats& stats() const noexcept { return m_stats; }
    const std::vector<Edge>& edges() const noexcept { return m_edges; }
    std::size_t node_count() const noexcept { return m_nodes.size(); }

    /// Connected components (strongly connected for car); attach() and the main-component
    /// index need them.
    void find_components();

    /// Builds the segment index of all edges (`main_only` false) or of the edges of the largest
    /// component; attach() needs both. The two builds touch different members and may run
    /// at the same time.
    void build_tree(bool main_only);

    /// Attaches a point to the largest component (attach.cpp).
    /// `text`, when given, receives the note when a nearer road of a small component was
    /// passed over, or why the point could not be attached; it is left as is otherwise.
    Attachment attach(const Point& p, std::string* text = nullptr) const;

    std::uint32_t largest() const noexcept { return m_largest; }
    bool in_largest(std::uint32_t node) const { return m_component[node] == m_largest; }

private:
    using Segment = bg::model::segment<Point>;
    using SegmentValue = std::pair<Segment, std::pair<std::uint32_t, std::uint32_t>>;
    using SegmentTree = bgi::rtree<SegmentValue, bgi::rstar<16>>;
    using Hits = boost::container::static_vector<SegmentValue, 4>;
    using Key = std::pair<std::uint64_t, std::uint64_t>;

    /// How one road is travelled.
    struct Travel {
        bool excluded = false;
        double speed = 0.0;
        bool forward = true;
        bool backward = true;
    };
    /// One line of a road feature with its travel.
    struct Line {
        const LineString* line;
        const Travel* travel;
    };
    struct Nearest {
        std::uint32_t edge = 0;
        double offset = 0.0;
        double distance = inf;
        Point at;
    };

    /// Per road feature: excluded by the profile, speed and directions.
    std::vector<Travel> classify(const Layer& roads, unsigned threads) const;
    /// Node number of every vertex occurrence (none for a vertex that is not a node), with
    /// occurrence j being vertex i of line l at j = first_vertex[l] + i; fills m_nodes.
    std::vector<std::uint32_t> number_nodes(const std::vector<Line>& lines,
                                            const std::vector<std::size_t>& first_vertex,
                                            unsigned threads);
    /// Cuts the lines at their nodes into m_edges.
    void cut_edges(const std::vector<Line>& lines, const std::vector<std::size_t>& first_vertex,
                   const std::vector<std::uint32_t>& vertex_node, unsigned threads);

    Key key(const Point& p) const;
    /// Lengths of a finished edge; false when it has none (dropped).
    static bool finish_edge(Edge& e, double speed, bool fw, bool bw);

    /// The nearest segments of an index. The tree orders candidates by the distance to the
    /// segment itself; ask a few so that exact ties resolve to the lowest edge index
    /// (deterministic whatever the tree shape).
    static Hits query(const SegmentTree& tree, const Point& p);
    bool main_edge(std::uint32_t edge) const;
    /// The nearest of `hits` (of the main component only when `main_only`), ties to the lowest
    /// edge index; `farthest` gets the largest distance of any hit.
    Nearest best_of(const Hits& hits, const Point& p, bool main_only, double& farthest) const;

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

/// Edge weights of the search graphs.
struct EdgeWeight {
    double length = 0.0;
    double minutes = 0.0;
};
using Csr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeWeight>;

/// Compressed sparse row graph in one direction (`reversed`: edges reversed, for distances to
/// facilities; else as travelled).
Csr make_graph(const Network& net, bool reversed);

/// Builds the components, both segment indexes and the reversed graph side by side; returns
/// the reversed graph.
Csr prepare_network(Network& net, unsigned threads);

/// Attaches every origin (attach.cpp): returns the attachments and fills the access points
/// and connector lengths of `result`.
std::vector<Attachment> attach_origins(const Network& net, const Layer& origins,
                                       const AccessOptions& options, unsigned threads,
                                       AccessResult& result);

/// A facility attached to the network.
struct Facility {
    std::size_t feature = 0;
    Point point;
    Attachment attachment;
};

/// The facilities of all sources by kind, kinds in first-seen order.
struct FacilitiesByKind {
    std::vector<std::string> names;
    std::map<std::string, std::vector<Facility>> by_kind;
    std::map<std::string, const Layer*> layer;
};

/// Reads the facilities of every source and attaches them (attach.cpp).
/// @throws ConfigError on a missing layer or field.
FacilitiesByKind attach_facilities(const Model& model, const AccessOptions& options,
                                   const Network& net, unsigned threads);

/// The searches of one facility kind: distance and time to the nearest facility per node, with
/// the facility reached (label).
struct KindSearch {
    using PointValue = std::pair<Point, std::uint32_t>;
    using PointTree = bgi::rtree<PointValue, bgi::rstar<16>>;

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

/// Per kind: seeds, then one search for distances and one for times, all searches at once
/// (search.cpp). Starts `kinds` (one per kind: name, field prefix, facility counts) and adds a
/// warning per kind with unattached facilities.
std::vector<KindSearch> search_kinds(const Network& net, const Csr& towards,
                                     const FacilitiesByKind& facilities, unsigned threads,
                                     std::vector<KindAccess>& kinds,
                                     std::vector<std::string>& warnings);

/// Per origin and kind: the nearest facility over the network and in a straight line
/// (search.cpp).
void nearest_facilities(const Network& net, const std::vector<KindSearch>& search,
                        const std::vector<Attachment>& origin_at,
                        const std::vector<Point>& access_points, unsigned threads,
                        std::vector<KindAccess>& kinds);

/// Isochrones, kind-major then band (isochrones.cpp).
std::vector<Isochrone> isochrones(const Network& net, const std::vector<KindSearch>& search,
                                  const std::vector<std::string>& kind_names,
                                  const AccessOptions& options, unsigned threads);

/// Per origin: Σ weight of the targets reachable within options.opportunities_min
/// (opportunities.cpp). @throws ConfigError on a missing layer or field.
std::vector<std::optional<double>> opportunities(const Model& model, const Network& net,
                                                 const std::vector<Attachment>& origin_at,
                                                 const AccessOptions& options, unsigned threads);

/// Zone aggregates, kind-major then zone (zones.cpp). @throws ConfigError on a missing layer.
std::vector<ZoneAccess> zone_aggregates(const Model& model, const Layer& origins,
                                        const AccessResult& result, const AccessOptions& options,
                                        unsigned threads);

}  // namespace spaceuse::detail::access
