#include "test_support.hpp"

#include <spaceuse/access.hpp>
#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <queue>
#include <fstream>
#include <boost/geometry.hpp>

using namespace spaceuse;
using namespace spaceuse::test;

namespace {

std::string line(const std::string& props, const std::string& coords) {
    return feature(props, R"({"type":"LineString","coordinates":)" + coords + "}");
}
std::string point(const std::string& props, double x, double y) {
    return feature(props, R"({"type":"Point","coordinates":[)" + std::to_string(x) + "," +
                              std::to_string(y) + "]}");
}
std::string square(const std::string& props, double cx, double cy) {
    return feature(props, rect(cx - 5, cy - 5, cx + 5, cy + 5));
}

// A square loop of roads, 1000 m a side, with the north side one-way westwards, and a 10 m
// island road north of it.
//   A (0,0)-(1000,0)  B (1000,0)-(1000,1000)  C (1000,1000)->(0,1000) one-way  E (0,1000)-(0,0)
//   island D (500,1100)-(510,1100)
// Facility "station" at (1050,600): attaches to B at (1000,600), connector 50.
// Origins (10 m squares, centroid access):
//   O1 (200,50): attaches to A at (200,0), connector 50
//   O2 (500,1050): attaches to C at (500,1000), connector 50
//   O3 (505,1090): nearest road is the island (10 m); attaches to C at (505,1000), 90 m
//   O4 (3000,3000): farther than max-snap from every road
Model loop_model() {
    const std::string roads = feature_collection(
        31370,
        line(R"({"highway":"residential","oneway":null})", "[[0,0],[1000,0]]") + "," +
            line(R"({"highway":"residential","oneway":null})", "[[1000,0],[1000,1000]]") + "," +
            line(R"({"highway":"residential","oneway":"yes"})", "[[1000,1000],[0,1000]]") + "," +
            line(R"({"highway":"residential","oneway":"no"})", "[[0,1000],[0,0]]") + "," +
            line(R"({"highway":"residential","oneway":null})", "[[500,1100],[510,1100]]"));
    const std::string facilities = feature_collection(
        31370, point(R"({"kind":"station","name":"S"})", 1050, 600));
    const std::string origins = feature_collection(
        31370, square(R"({"pid":"O1"})", 200, 50) + "," + square(R"({"pid":"O2"})", 500, 1050) +
                   "," + square(R"({"pid":"O3"})", 505, 1090) + "," +
                   square(R"({"pid":"O4"})", 3000, 3000));
    LayerSource o = parse_layer_source(vsimem("acc_origins.geojson", origins));
    o.id_field = "pid";
    LayerSource f = parse_layer_source(vsimem("acc_fac.geojson", facilities));
    f.id_field = "name";
    return load_model(
        {{"parcels", o, GeometryFamily::polygon},
         {"roads", parse_layer_source(vsimem("acc_roads.geojson", roads)), GeometryFamily::line},
         {"facilities", f, GeometryFamily::point}},
        {});
}

AccessOptions loop_options(TravelProfile profile) {
    AccessOptions o;
    o.profile = profile;
    o.facilities = {{"facilities", "kind", ""}};
    return o;
}

}  // namespace

TEST_CASE("access on a hand-built loop: distances, one-way, islands, unsnapped",
          "[metrics][access]") {
    const Model m = loop_model();
    SECTION("car honours the one-way side") {
        const AccessResult r = compute_access(m, loop_options(TravelProfile::car));
        CHECK(r.network.nodes == 6);
        CHECK(r.network.edges == 5);
        CHECK(r.network.components == 2);  // the loop, and the island (two-way: one component)
        CHECK(r.network.largest_component_nodes == 4);
        REQUIRE(r.kinds.size() == 1);
        const KindAccess& k = r.kinds[0];
        CHECK(k.field_prefix == "station");
        // O1: 800 east + 600 north + two 50 m connectors.
        CHECK(k.dist_m[0] == Approx(1500));
        CHECK(k.time_min[0] == Approx(1500.0 / (30000.0 / 60.0)));  // residential 30 km/h
        CHECK(k.facility_id(0) == "S");
        CHECK(k.facility_ids.size() == 1);
        CHECK(k.facility_snap_m[0] == Approx(50));
        CHECK(*r.snap_m[0] == Approx(50));
        CHECK(k.eucl_m[0] == Approx(std::hypot(850.0, 550.0)));
        // O2 must drive west: 500 + 1000 + 1000 + 600 + 100.
        CHECK(k.dist_m[1] == Approx(3200));
        CHECK(r.reason(0, 1).empty());
        CHECK(r.snap_notes.at(1).empty());
        // O3: the island is nearer but ignored, with a note.
        CHECK(*r.snap_m[2] == Approx(90));
        CHECK_THAT(r.snap_notes.at(2), Catch::Contains("small component"));
        CHECK(r.snap_notes.size() == 1);
        CHECK(k.dist_m[2] == Approx(505 + 1000 + 1000 + 600 + 90 + 50));
        // O4: no fake zero.
        CHECK(std::isnan(k.dist_m[3]));
        CHECK(std::isnan(k.time_min[3]));
        CHECK_FALSE(k.reached(3));
        CHECK(k.facility_id(3).empty());
        CHECK_FALSE(r.snap_m[3]);
        CHECK_THAT(r.reason(0, 3), Catch::Contains("within 500 m"));
        CHECK(r.unattached.size() == 1);
    }
    SECTION("walking ignores one-way rules") {
        const AccessResult r = compute_access(m, loop_options(TravelProfile::walk));
        const KindAccess& k = r.kinds[0];
        CHECK(k.dist_m[0] == Approx(1500));
        CHECK(k.time_min[0] == Approx(1500.0 / (5000.0 / 60.0)));
        CHECK(k.dist_m[1] == Approx(500 + 400 + 100));  // east along C, down B
    }
    SECTION("isochrones grow with time and zone-free runs have no aggregates") {
        AccessOptions o = loop_options(TravelProfile::walk);
        o.isochrones_min = {5, 10};
        const AccessResult r = compute_access(m, o);
        REQUIRE(r.isochrones.size() == 2);
        const double a5 = area(r.isochrones[0].geometry);
        const double a10 = area(r.isochrones[1].geometry);
        CHECK(a5 > 0);
        CHECK(a10 > a5);
        // 5 min walking = 416.7 m of road minus the 50 m connector: 366.7 m each way along B
        // from (1000,600), buffered by 50 m: about 733 x 100 plus round ends.
        CHECK(a5 == Approx(733.3 * 100 + 3.14159 * 50 * 50).epsilon(0.02));
        CHECK(r.zones.empty());
    }
}

TEST_CASE("texts few origins have: found by origin, in origin order", "[metrics][access]") {
    OriginTexts t;
    CHECK(t.at(0).empty());
    t.add(2, "two");
    t.add(7, "seven");
    CHECK(t.size() == 2);
    CHECK(t.at(2) == "two");
    CHECK(t.at(7) == "seven");
    CHECK(t.at(0).empty());
    CHECK(t.at(3).empty());
    CHECK(t.at(8).empty());
    CHECK_THROWS_AS(t.add(7, "again"), std::logic_error);
}

TEST_CASE("same-edge facility and origin use the direct stretch", "[metrics][access]") {
    const std::string roads = feature_collection(
        31370, line(R"({"highway":"residential"})", "[[0,0],[1000,0]]"));
    const std::string facilities = feature_collection(31370,
                                                      point(R"({"kind":"bus stop"})", 700, -20));
    const std::string origins = feature_collection(31370, square("{}", 100, 30));
    const Model m = load_model(
        {{"parcels", parse_layer_source(vsimem("se_o.geojson", origins)), GeometryFamily::polygon},
         {"roads", parse_layer_source(vsimem("se_r.geojson", roads)), GeometryFamily::line},
         {"facilities", parse_layer_source(vsimem("se_f.geojson", facilities)),
          GeometryFamily::point}},
        {});
    AccessOptions o;
    o.facilities = {{"facilities", "kind", ""}};
    const AccessResult r = compute_access(m, o);
    CHECK(r.kinds[0].field_prefix == "bus_stop");
    CHECK(r.kinds[0].dist_m[0] == Approx(600 + 30 + 20));
}

TEST_CASE("speed tables and field names", "[metrics][access]") {
    CHECK(safe_field_name("Motorway Exit") == "motorway_exit");
    CHECK(safe_field_name("railway=station") == "railway_station");
    CHECK(safe_field_name("18") == "k_18");
    CHECK(default_car_speeds().at("motorway") == 120);
    CHECK(parse_travel_profile("bike") == TravelProfile::bike);
    CHECK_THROWS_AS(parse_travel_profile("boat"), ConfigError);
    const std::string dir = temp_dir("speeds");
    {
        std::ofstream(dir + "/s.csv") << "class,kmh\nprimary,80\nresidential,25\n";
        std::ofstream(dir + "/bad.csv") << "class,kmh\nprimary,fast\n";
    }
    const auto t = load_speed_table(dir + "/s.csv");
    CHECK(t.at("primary") == 80);
    CHECK(t.at("residential") == 25);
    CHECK_THROWS_AS(load_speed_table(dir + "/bad.csv"), ConfigError);
    // A comment before the header, Windows line ends and blanks after the number are fine.
    std::ofstream(dir + "/crlf.csv") << "# speeds\r\nclass,kmh\r\nprimary,80 \r\n";
    CHECK(load_speed_table(dir + "/crlf.csv").at("primary") == 80);
    // strtod reads (the start of) each of these as a number; none is a speed.
    for (const char* v : {"inf", "nan", "1e999", "-0", "80km/h", "0x"}) {
        std::ofstream(dir + "/v.csv") << "class,kmh\nprimary," << v << "\n";
        CHECK_THROWS_WITH(load_speed_table(dir + "/v.csv"), Catch::Contains(":2: speed '"));
    }
}

// Independent check on the bundled sample's real roads: a plain textbook Dijkstra (binary heap,
// one edge per segment, brute-force attachment) must give the engine's walking distances from
// every parcel to the rail station and the nearest bus stop within 1e-6 relative.
TEST_CASE("bundled sample: network distances agree with a textbook Dijkstra",
          "[metrics][access][sample]") {
    const std::string gpkg = std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.gpkg";
    LayerSource p = parse_layer_source(gpkg + ":parcels");
    p.id_field = "parcel_id";
    const Model m = load_model(
        {{"parcels", p, GeometryFamily::polygon},
         {"roads", parse_layer_source(gpkg + ":roads"), GeometryFamily::line},
         {"facilities", parse_layer_source(gpkg + ":pois"), GeometryFamily::point}},
        {});
    AccessOptions o;
    o.profile = TravelProfile::walk;
    o.facilities = {{"facilities", "kind", ""}};
    o.kinds = {"rail_station", "bus_stop"};
    const AccessResult r = compute_access(m, o);
    REQUIRE(r.kinds.size() == 2);

    // --- the textbook version ---
    const Layer& roads = *m.find("roads");
    const auto cls = *roads.field_index("highway");
    std::map<std::pair<double, double>, int> id;
    std::vector<Point> nodes;
    auto node = [&](const Point& q) {
        auto [it, added] = id.emplace(std::make_pair(q.x(), q.y()), static_cast<int>(nodes.size()));
        if (added) {
            nodes.push_back(q);
        }
        return it->second;
    };
    struct Seg {
        int a, b;
        Point pa, pb;
        double len;
    };
    std::vector<Seg> segs;
    for (const auto& f : roads.features) {
        const auto* c = std::get_if<std::string>(&f.attributes[cls]);
        if (c && (*c == "motorway" || *c == "motorway_link")) {
            continue;  // walk profile
        }
        for (const auto& l : std::get<MultiLineString>(f.geometry)) {
            for (std::size_t i = 0; i + 1 < l.size(); ++i) {
                const double len = std::hypot(l[i + 1].x() - l[i].x(), l[i + 1].y() - l[i].y());
                if (len > 0) {
                    segs.push_back({node(l[i]), node(l[i + 1]), l[i], l[i + 1], len});
                }
            }
        }
    }
    std::vector<std::vector<std::pair<int, double>>> adj(nodes.size());
    for (const auto& s : segs) {
        adj[s.a].emplace_back(s.b, s.len);
        adj[s.b].emplace_back(s.a, s.len);
    }
    // Largest component by BFS.
    std::vector<int> comp(nodes.size(), -1);
    std::vector<int> size;
    for (std::size_t s = 0; s < nodes.size(); ++s) {
        if (comp[s] >= 0) {
            continue;
        }
        const int c = static_cast<int>(size.size());
        size.push_back(0);
        std::vector<int> stack{static_cast<int>(s)};
        comp[s] = c;
        while (!stack.empty()) {
            const int v = stack.back();
            stack.pop_back();
            ++size[c];
            for (auto [w, len] : adj[v]) {
                if (comp[w] < 0) {
                    comp[w] = c;
                    stack.push_back(w);
                }
            }
        }
    }
    const int main = static_cast<int>(std::max_element(size.begin(), size.end()) - size.begin());
    struct Attach {
        int seg;
        double along, conn;
    };
    auto attach = [&](const Point& q) {
        Attach best{-1, 0, 1e300};
        for (int i = 0; i < static_cast<int>(segs.size()); ++i) {
            const auto& s = segs[i];
            if (comp[s.a] != main) {
                continue;
            }
            const double dx = s.pb.x() - s.pa.x();
            const double dy = s.pb.y() - s.pa.y();
            double t = ((q.x() - s.pa.x()) * dx + (q.y() - s.pa.y()) * dy) / (s.len * s.len);
            t = std::clamp(t, 0.0, 1.0);
            const double d = std::hypot(q.x() - (s.pa.x() + t * dx), q.y() - (s.pa.y() + t * dy));
            if (d < best.conn) {
                best = {i, t * s.len, d};
            }
        }
        return best;
    };
    const Layer& pois = *m.find("facilities");
    const auto kind_field = *pois.field_index("kind");
    for (const auto& ka : r.kinds) {
        std::vector<double> dist(nodes.size(), 1e300);
        using Item = std::pair<double, int>;
        std::priority_queue<Item, std::vector<Item>, std::greater<Item>> q;
        for (const auto& f : pois.features) {
            if (std::get<std::string>(f.attributes[kind_field]) != ka.kind) {
                continue;
            }
            const Attach a = attach(std::get<MultiPoint>(f.geometry).front());
            const auto& s = segs[a.seg];
            for (auto [n, d] : {std::make_pair(s.a, a.along + a.conn),
                                std::make_pair(s.b, s.len - a.along + a.conn)}) {
                if (d < dist[n]) {
                    dist[n] = d;
                    q.push({d, n});
                }
            }
        }
        while (!q.empty()) {
            auto [d, v] = q.top();
            q.pop();
            if (d > dist[v]) {
                continue;
            }
            for (auto [w, len] : adj[v]) {
                if (d + len < dist[w]) {
                    dist[w] = d + len;
                    q.push({dist[w], w});
                }
            }
        }
        const Layer& parcels = *m.find("parcels");
        for (std::size_t i = 0; i < parcels.features.size(); ++i) {
            Point c;
            boost::geometry::centroid(std::get<MultiPolygon>(parcels.features[i].geometry), c);
            const Attach a = attach(c);
            const auto& s = segs[a.seg];
            const double expected = a.conn +
                                    std::min(a.along + dist[s.a], s.len - a.along + dist[s.b]);
            INFO(ka.kind << " parcel " << parcels.features[i].id);
            REQUIRE(ka.reached(i));
            CHECK(ka.dist_m[i] == Approx(expected).epsilon(1e-6));
        }
    }
}

TEST_CASE("cumulative opportunities and zone aggregates on the loop", "[metrics][access]") {
    // Targets on A: (300,-10) weight 5 and (900,-10) weight 7; on E: (-10,500) weight 100.
    // Walking from O1 (attached at (200,0), 50 m connector) within 2 min = 166.7 m: only the
    // first target (50 + 100 + 10 = 160 m). Within 15 min = 1250 m: the second too
    // (50 + 700 + 10 = 760 m) and the third (50 + 200 + 500 + 10 = 760 m).
    Model m = loop_model();
    const std::string targets = feature_collection(
        31370, point(R"({"jobs":5})", 300, -10) + "," + point(R"({"jobs":7})", 900, -10) + "," +
                   point(R"({"jobs":100})", -10, 500));
    const std::string zones = feature_collection(31370,
                                                 feature(R"({"zid":"Z"})", rect(0, 0, 1100, 1100)));
    Model extra = load_model(
        {{"opportunities", parse_layer_source(vsimem("op_t.geojson", targets)),
          GeometryFamily::point},
         {"zones", parse_layer_source(vsimem("op_z.geojson", zones)), GeometryFamily::polygon}},
        {});
    for (auto& l : extra.layers) {
        m.layers.push_back(std::move(l));
    }
    AccessOptions o = loop_options(TravelProfile::walk);
    o.opportunities_layer = "opportunities";
    o.opportunities_weight = "jobs";
    o.opportunities_min = 2.0;
    o.zones_layer = "zones";
    const AccessResult near = compute_access(m, o);
    CHECK(*near.opportunities[0] == Approx(5));
    CHECK_FALSE(near.opportunities[3]);  // unsnapped origin
    o.opportunities_min = 15.0;
    const AccessResult far = compute_access(m, o);
    CHECK(*far.opportunities[0] == Approx(112));
    // Zone aggregates: O1, O2, O3 lie in Z (equal areas), O4 outside.
    REQUIRE(far.zones.size() == 1);
    const ZoneAccess& z = far.zones[0];
    CHECK(z.origins == 3);
    CHECK(z.reachable == 3);
    const auto& k = far.kinds[0];
    CHECK(*z.mean_dist_m == Approx((k.dist_m[0] + k.dist_m[1] + k.dist_m[2]) / 3.0));
    CHECK(*z.worst_dist_m == Approx(std::max({k.dist_m[0], k.dist_m[1], k.dist_m[2]})));
}

namespace {

/// Whether two lists of figures are the same bit for bit (NaN, unknown, equal to NaN).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

/// Every coordinate of a multipolygon, in order (for exact comparisons).
std::vector<double> coordinates(const MultiPolygon& mp) {
    std::vector<double> out;
    boost::geometry::for_each_point(mp, [&out](const Point& q) {
        out.push_back(q.x());
        out.push_back(q.y());
    });
    return out;
}

void check_same(const AccessResult& a, const AccessResult& b) {
    CHECK(a.snap_m == b.snap_m);
    REQUIRE(a.access_points.size() == b.access_points.size());
    for (std::size_t i = 0; i < a.access_points.size(); ++i) {
        CHECK(a.access_points[i].x() == b.access_points[i].x());
        CHECK(a.access_points[i].y() == b.access_points[i].y());
    }
    REQUIRE(a.kinds.size() == b.kinds.size());
    for (std::size_t k = 0; k < a.kinds.size(); ++k) {
        const KindAccess& x = a.kinds[k];
        const KindAccess& y = b.kinds[k];
        INFO("kind " << x.kind);
        CHECK(x.kind == y.kind);
        CHECK(x.facilities == y.facilities);
        CHECK(x.facilities_unsnapped == y.facilities_unsnapped);
        CHECK(same_bits(x.dist_m, y.dist_m));
        CHECK(same_bits(x.time_min, y.time_min));
        CHECK(same_bits(x.eucl_m, y.eucl_m));
        CHECK(x.facility == y.facility);
        CHECK(x.facility_ids == y.facility_ids);
        CHECK(same_bits(x.facility_snap_m, y.facility_snap_m));
        for (std::size_t i = 0; i < x.facility.size(); ++i) {
            CHECK(a.reason(k, i) == b.reason(k, i));
            CHECK(a.snap_notes.at(i) == b.snap_notes.at(i));
        }
    }
    REQUIRE(a.isochrones.size() == b.isochrones.size());
    for (std::size_t i = 0; i < a.isochrones.size(); ++i) {
        CHECK(a.isochrones[i].kind == b.isochrones[i].kind);
        CHECK(a.isochrones[i].minutes == b.isochrones[i].minutes);
        CHECK(coordinates(a.isochrones[i].geometry) == coordinates(b.isochrones[i].geometry));
    }
    CHECK(a.opportunities == b.opportunities);
    REQUIRE(a.zones.size() == b.zones.size());
    for (std::size_t i = 0; i < a.zones.size(); ++i) {
        const ZoneAccess& x = a.zones[i];
        const ZoneAccess& y = b.zones[i];
        CHECK(x.zone == y.zone);
        CHECK(x.kind == y.kind);
        CHECK(x.origins == y.origins);
        CHECK(x.reachable == y.reachable);
        CHECK(x.mean_dist_m == y.mean_dist_m);
        CHECK(x.mean_time_min == y.mean_time_min);
        CHECK(x.worst_origin == y.worst_origin);
        CHECK(x.worst_dist_m == y.worst_dist_m);
        CHECK(x.band_share == y.band_share);
    }
    CHECK(a.warnings == b.warnings);
}

}  // namespace

TEST_CASE("access results are identical for 1, 2 and 8 threads", "[metrics][access][sample]") {
    // The bundled sample: 43 parcels, three facility kinds (215 bus stops, 5 motorway exits,
    // 1 rail station), two isochrone bands, opportunities and zone aggregates: every parallel
    // step of the analysis runs with more than one chunk per thread.
    const std::string gpkg = std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.gpkg";
    LayerSource p = parse_layer_source(gpkg + ":parcels");
    p.id_field = "parcel_id";
    LayerSource z = parse_layer_source(gpkg + ":zones");
    z.id_field = "zone_id";
    const Model m = load_model(
        {{"parcels", p, GeometryFamily::polygon},
         {"roads", parse_layer_source(gpkg + ":roads"), GeometryFamily::line},
         {"facilities", parse_layer_source(gpkg + ":pois"), GeometryFamily::point},
         {"opportunities", parse_layer_source(gpkg + ":pois"), GeometryFamily::point},
         {"zones", z, GeometryFamily::polygon}},
        {});
    for (const AccessPoint access_point : {AccessPoint::centroid, AccessPoint::boundary}) {
        AccessOptions o;
        o.profile = TravelProfile::car;
        o.access_point = access_point;
        o.facilities = {{"facilities", "kind", ""}};
        o.isochrones_min = {1.0, 3.0};
        o.opportunities_layer = "opportunities";
        o.opportunities_min = 3.0;
        o.zones_layer = "zones";
        o.threads = 1;
        const AccessResult one = compute_access(m, o);
        // The reference run computes something in every part.
        REQUIRE(one.kinds.size() == 3);
        CHECK(one.kinds[0].facilities + one.kinds[1].facilities + one.kinds[2].facilities == 221);
        for (const auto& ka : one.kinds) {
            INFO("kind " << ka.kind);
            CHECK(std::count_if(ka.dist_m.begin(), ka.dist_m.end(),
                                [](double d) { return !std::isnan(d); }) == 43);
        }
        REQUIRE(one.isochrones.size() == 6);
        CHECK(area(one.isochrones[1].geometry) > area(one.isochrones[0].geometry));
        CHECK(std::count_if(one.opportunities.begin(), one.opportunities.end(),
                            [](const auto& w) { return w && *w > 0; }) > 0);
        REQUIRE(one.zones.size() == 9);
        for (const unsigned threads : {2U, 8U}) {
            INFO(threads << " threads, "
                         << (access_point == AccessPoint::boundary ? "boundary" : "centroid"));
            o.threads = threads;
            check_same(one, compute_access(m, o));
        }
    }
}
