#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/occupancy.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <set>

using namespace spaceuse;
using namespace spaceuse::test;

namespace {

// Hand-checkable fixture in EPSG:31370 (metres). Z1 = 0..100 x 0..100, Z2 = 200..300 x 0..100.
//   A  0..50 x 0..50     two overlapping buildings 10..30² (2 floors) and 20..40² (3 floors)
//   B  50..100 x 0..50   half of building S 60..80 x 40..60 (1 floor)
//   C  50..100 x 50..100 other half of S
//   D  0..50 x 50..100 with a hole 10..20 x 60..70; building 30..40 x 80..90 (floors unknown)
//   E  multipart 200..220 x 50..70 + 230..250 x 50..70; building 205..215 x 55..65 (1 floor)
//   F  250..350 x 0..20, half outside Z2, no building
//   G  400..450 x 0..50, outside every zone, status "not_issued"
//   H  bow-tie 0,110 / 20,130 / 20,110 / 0,130: invalid, repaired into two triangles (200 m²)
Model fixture() {
    const std::string zones = feature_collection(
        31370, feature(R"({"zid":"Z1","name":"Craft zone"})", rect(0, 0, 100, 100)) + "," +
                   feature(R"({"zid":"Z2","name":"Mixed zone"})", rect(200, 0, 300, 100)));
    const std::string parcels = feature_collection(
        31370,
        feature(R"({"pid":"A","st":null})", rect(0, 0, 50, 50)) + "," +
            feature(R"({"pid":"B","st":null})", rect(50, 0, 100, 50)) + "," +
            feature(R"({"pid":"C","st":null})", rect(50, 50, 100, 100)) + "," +
            feature(
                R"({"pid":"D","st":null})",
                R"({"type":"Polygon","coordinates":[[[0,50],[50,50],[50,100],[0,100],[0,50]],[[10,60],[10,70],[20,70],[20,60],[10,60]]]})") +
            "," +
            feature(
                R"({"pid":"E","st":null})",
                R"({"type":"MultiPolygon","coordinates":[[[[200,50],[220,50],[220,70],[200,70],[200,50]]],[[[230,50],[250,50],[250,70],[230,70],[230,50]]]]})") +
            "," + feature(R"({"pid":"F","st":null})", rect(250, 0, 350, 20)) + "," +
            feature(R"({"pid":"G","st":"not_issued"})", rect(400, 0, 450, 50)) + "," +
            feature(
                R"({"pid":"H","st":null})",
                R"({"type":"Polygon","coordinates":[[[0,110],[20,130],[20,110],[0,130],[0,110]]]})"));
    const std::string buildings = feature_collection(
        31370, feature(R"({"floors":2})", rect(10, 10, 30, 30)) + "," +
                   feature(R"({"floors":3})", rect(20, 20, 40, 40)) + "," +
                   feature(R"({"floors":1})", rect(60, 40, 80, 60)) + "," +
                   feature(R"({"floors":null})", rect(30, 80, 40, 90)) + "," +
                   feature(R"({"floors":1})", rect(205, 55, 215, 65)));
    LayerSource z = parse_layer_source(vsimem("occ_zones.geojson", zones));
    z.id_field = "zid";
    LayerSource p = parse_layer_source(vsimem("occ_parcels.geojson", parcels));
    p.id_field = "pid";
    LayerSource b = parse_layer_source(vsimem("occ_buildings.geojson", buildings));
    return load_model({{"zones", z, GeometryFamily::polygon},
                       {"parcels", p, GeometryFamily::polygon},
                       {"buildings", b, GeometryFamily::polygon}},
                      {});
}

OccupancyOptions simple_options() {
    OccupancyOptions o;
    o.zone_name_field = "name";
    o.floors_field = "floors";
    o.status_field = "st";
    o.profile.status_values["not_issued"] = ParcelStatus::vacant;
    return o;
}

const ParcelResult& parcel(const Model& m, const OccupancyResult& r, const std::string& id) {
    const Layer& layer = *m.find("parcels");
    for (const auto& p : r.parcels) {
        if (layer.features[p.parcel].id == id) {
            return p;
        }
    }
    throw std::runtime_error("no parcel " + id);
}

}  // namespace

TEST_CASE("occupancy per parcel on the hand-computed fixture", "[metrics][occupancy]") {
    const Model m = fixture();
    REQUIRE(m.find("parcels")->report.repaired == 1);
    const OccupancyResult r = compute_occupancy(m, simple_options());
    REQUIRE(r.parcels.size() == 8);  // the invalid parcel is repaired, not dropped

    SECTION("two overlapping buildings are not counted twice") {
        const auto& a = parcel(m, r, "A");
        CHECK(a.area_m2 == Approx(2500));
        CHECK(a.built_m2 == Approx(700));  // 400 + 400 - 100 overlap
        CHECK(a.coverage == Approx(0.28));
        CHECK(a.status == ParcelStatus::underused);
        REQUIRE(a.floor_m2);
        CHECK(*a.floor_m2 == Approx(400 * 2 + 400 * 3));
        CHECK(*a.far == Approx(0.8));
        CHECK(a.zone == std::optional<std::size_t>(0));
        CHECK(a.zone_share == Approx(1.0));
        CHECK(a.n_buildings == 2);
    }
    SECTION("a building across two parcels is split by the boundary") {
        const auto& b = parcel(m, r, "B");
        const auto& c = parcel(m, r, "C");
        CHECK(b.built_m2 == Approx(200));
        CHECK(c.built_m2 == Approx(200));
        CHECK(*b.floor_m2 == Approx(200));
        CHECK(b.coverage == Approx(0.08));
    }
    SECTION("a parcel with a hole: the hole is not parcel area") {
        const auto& d = parcel(m, r, "D");
        CHECK(d.area_m2 == Approx(2400));
        CHECK(d.built_m2 == Approx(100));
        CHECK_FALSE(d.floor_m2);  // one building without floors: unknown, never guessed
        CHECK_FALSE(d.far);
    }
    SECTION("a multipart parcel") {
        const auto& e = parcel(m, r, "E");
        CHECK(e.area_m2 == Approx(800));
        CHECK(e.built_m2 == Approx(100));
        CHECK(e.coverage == Approx(0.125));
        CHECK(e.zone == std::optional<std::size_t>(1));
    }
    SECTION("a parcel half outside its zone") {
        const auto& f = parcel(m, r, "F");
        CHECK(f.zone == std::optional<std::size_t>(1));
        CHECK(f.zone_share == Approx(0.5));
        CHECK(f.status == ParcelStatus::vacant);
        CHECK(f.status_from_attribute == false);
        // 100 x 20, no building: all free (20 m wide >= 15 m, 2000 m² >= 500 m²).
        CHECK(f.free_m2 == Approx(2000));
        CHECK(f.largest_free_m2 == Approx(2000));
    }
    SECTION("a parcel outside every zone is reported with no zone; the status field wins") {
        const auto& g = parcel(m, r, "G");
        CHECK_FALSE(g.zone);
        CHECK(g.status == ParcelStatus::vacant);
        CHECK(g.status_from_attribute);
        CHECK(r.n_outside == 2);  // G and the repaired bow-tie H
    }
    SECTION("the repaired invalid parcel keeps its area") {
        CHECK(parcel(m, r, "H").area_m2 == Approx(200));
    }
    SECTION("coverage stays within [0, 1]") {
        for (const auto& p : r.parcels) {
            CHECK(p.coverage >= 0.0);
            CHECK(p.coverage <= 1.0);
        }
    }
}

TEST_CASE("occupancy per zone reconciles gross = net + infra", "[metrics][occupancy]") {
    const Model m = fixture();
    const OccupancyResult r = compute_occupancy(m, simple_options());
    REQUIRE(r.zones.size() == 2);
    const auto& z1 = r.zones[0];
    CHECK(z1.name == "Craft zone");
    CHECK(z1.gross_m2 == Approx(10000));
    CHECK(z1.net_m2 == Approx(2500 * 3 + 2400));
    CHECK(z1.infra_m2 == Approx(100));  // the hole of D
    CHECK(z1.built_m2 == Approx(700 + 200 + 200 + 100));
    CHECK(z1.coverage == Approx(1200.0 / 9900.0));
    CHECK(z1.n_parcels == 4);
    CHECK(z1.n_underused == 3);  // A, B, C
    CHECK(z1.n_vacant == 1);     // D: 100 / 2400 < 5 %
    CHECK(z1.occupancy == Approx(0.0));
    CHECK_FALSE(z1.far);  // D's floors unknown
    const auto& z2 = r.zones[1];
    CHECK(z2.net_m2 == Approx(800 + 1000));
    CHECK(z2.infra_m2 == Approx(10000 - 1800));
    CHECK(z2.n_parcels == 2);
    CHECK(z2.vacant_m2 == Approx(1000));    // F's part inside Z2
    CHECK(z2.free_m2 == Approx(1000));      // F's free land inside Z2 only
    CHECK(z2.underused_m2 == Approx(800));  // E: 12.5 %
    REQUIRE(z2.far);
    CHECK(*z2.far == Approx(100.0 / 1800.0));
    for (const auto& z : r.zones) {
        CHECK(z.net_m2 + z.infra_m2 == Approx(z.gross_m2));
        // Every zone area figure counts what lies inside the zone only.
        CHECK(z.vacant_m2 + z.underused_m2 + z.occupied_m2 == Approx(z.net_m2));
        CHECK(z.coverage <= 1.0);
        CHECK(z.occupancy <= 1.0);
    }
    CHECK(r.total.gross_m2 == Approx(20000));
    CHECK(r.total.n_parcels == 6);
}

TEST_CASE("free space: setback and minimum width", "[metrics][free_space]") {
    const std::string zones = feature_collection(31370, feature("{}", rect(-10, -10, 400, 100)));
    const std::string parcels = feature_collection(
        31370, feature(R"({"pid":"wide"})", rect(0, 0, 100, 40)) + "," +
                   feature(R"({"pid":"strips"})", rect(200, 0, 300, 40)));
    const std::string buildings = feature_collection(
        31370, feature("{}", rect(0, 0, 20, 40)) + "," + feature("{}", rect(210, 0, 290, 30)));
    LayerSource p = parse_layer_source(vsimem("fs_parcels.geojson", parcels));
    p.id_field = "pid";
    const Model m = load_model(
        {{"zones", parse_layer_source(vsimem("fs_zones.geojson", zones)), GeometryFamily::polygon},
         {"parcels", p, GeometryFamily::polygon},
         {"buildings", parse_layer_source(vsimem("fs_buildings.geojson", buildings)),
          GeometryFamily::polygon}},
        {});
    OccupancyOptions o;  // default profile: setback 5 m, 500 m², 15 m
    const OccupancyResult r = compute_occupancy(m, o);
    // Building fills x 0..20; 5 m setback leaves 25..100 x 0..40 = 3000 m², 40 m wide.
    CHECK(parcel(m, r, "wide").free_m2 == Approx(3000).margin(0.01));
    REQUIRE(r.free_pieces.size() == 1);
    CHECK(r.free_pieces[0].area_m2 == Approx(3000).margin(0.01));
    // Building 210..290 x 0..30: only 5 m strips remain around it; none is 15 m wide.
    CHECK(parcel(m, r, "strips").free_m2 == 0.0);
    o.profile.min_free_width_m = 0;
    o.profile.min_free_area_m2 = 0;
    const OccupancyResult loose = compute_occupancy(m, o);
    CHECK(parcel(m, loose, "strips").free_m2 > 0.0);
}

TEST_CASE("free space: the same land gives the same figure whatever its vertex order",
          "[metrics][free_space]") {
    // Parcel P0000713 of the 20,000-parcel irregular benchmark region (gen_irregular.py), cut
    // by its park's outline, with no building near: its usable free land is the parcel opened
    // by 7.5 m. Without normalising the buffers' inputs, GEOS gave 1466.01 m2 or 1470.47 m2
    // depending on where the ring starts (the input simplification of the buffer walks from
    // the first vertex). PostGIS 3.3 / GEOS 3.11, ST_Area(ST_Intersection(ST_Buffer(
    // ST_Normalize(ST_Buffer(ST_Normalize(g), -7.5, mitre)), 7.5, mitre), g)) = 1466.0073204 m2
    // (ring as stored; 1470.4655851 without ST_Normalize).
    const std::vector<std::pair<double, double>> ring = {{157570.572, 160618.638},
                                                         {157574.92053222138, 160675.40315779857},
                                                         {157577.234, 160676.167},
                                                         {157583.8797533898, 160678.21502769334},
                                                         {157589.32553201044, 160677.88781352728},
                                                         {157589.69, 160670.843},
                                                         {157591.695, 160662.286},
                                                         {157594.882, 160654.355},
                                                         {157598.971, 160646.751},
                                                         {157603.671, 160639.234},
                                                         {157608.676, 160631.617},
                                                         {157610.528, 160628.764},
                                                         {157601.859, 160624.468},
                                                         {157593.07, 160620.326},
                                                         {157587.177, 160617.667},
                                                         {157585.90088852486, 160617.1214414306}};
    auto polygon = [&](std::size_t start, bool reversed) {
        std::string text = R"({"type":"Polygon","coordinates":[[)";
        char point[64];
        for (std::size_t k = 0; k <= ring.size(); ++k) {
            const std::size_t at = (start + k) % ring.size();
            const auto& v = ring[reversed ? ring.size() - 1 - at : at];
            std::snprintf(point, sizeof point, "%s[%.17g,%.17g]", k ? "," : "", v.first, v.second);
            text += point;
        }
        return text + "]]}";
    };
    const std::string zones = feature_collection(
        31370, feature("{}", rect(157500, 160500, 157700, 160700)));
    const std::string no_buildings = feature_collection(31370, "");
    std::set<double> figures;
    for (const bool reversed : {false, true}) {
        for (std::size_t start = 0; start < ring.size(); ++start) {
            INFO("ring from vertex " << start << (reversed ? ", reversed" : ""));
            const std::string name = "fs_order_" + std::to_string(start) + (reversed ? "r" : "") +
                                     "_";
            LayerSource p = parse_layer_source(
                vsimem(name + "parcels.geojson",
                       feature_collection(
                           31370, feature(R"({"pid":"P0000713"})", polygon(start, reversed)))));
            p.id_field = "pid";
            const Model m = load_model(
                {{"zones", parse_layer_source(vsimem(name + "zones.geojson", zones)),
                  GeometryFamily::polygon},
                 {"parcels", p, GeometryFamily::polygon},
                 {"buildings", parse_layer_source(vsimem(name + "buildings.geojson", no_buildings)),
                  GeometryFamily::polygon}},
                {});
            const double free_m2 = parcel(m, compute_occupancy(m, {}), "P0000713").free_m2;
            CHECK(free_m2 == Approx(1466.0073204).margin(1e-6));
            figures.insert(free_m2);
        }
    }
    CHECK(figures.size() == 1);  // the very same double
}

TEST_CASE("results do not depend on the thread count", "[metrics][occupancy]") {
    const Model m = fixture();
    OccupancyOptions one = simple_options();
    one.threads = 1;
    OccupancyOptions four = simple_options();
    four.threads = 4;
    const auto a = compute_occupancy(m, one);
    const auto b = compute_occupancy(m, four);
    REQUIRE(a.parcels.size() == b.parcels.size());
    for (std::size_t i = 0; i < a.parcels.size(); ++i) {
        CHECK(a.parcels[i].built_m2 == b.parcels[i].built_m2);
        CHECK(a.parcels[i].free_m2 == b.parcels[i].free_m2);
        CHECK(a.parcels[i].zone == b.parcels[i].zone);
    }
    CHECK(a.total.net_m2 == b.total.net_m2);
}

TEST_CASE("a missing field or layer is a clear configuration error", "[metrics][occupancy]") {
    const Model m = fixture();
    OccupancyOptions o = simple_options();
    o.floors_field = "levels";
    CHECK_THROWS_WITH(compute_occupancy(m, o), Catch::Contains("has no field 'levels'"));
    o = simple_options();
    o.buildings_layer = "houses";
    CHECK_THROWS_AS(compute_occupancy(m, o), ConfigError);
}

TEST_CASE("bundled sample: the zone figures of data/README.md (independent SpatiaLite SQL)",
          "[metrics][sample]") {
    const std::string gpkg = std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.gpkg";
    LayerSource z = parse_layer_source(gpkg + ":zones");
    z.id_field = "zone_id";
    LayerSource p = parse_layer_source(gpkg + ":parcels");
    p.id_field = "parcel_id";
    const Model m = load_model(
        {{"zones", z, GeometryFamily::polygon},
         {"parcels", p, GeometryFamily::polygon},
         {"buildings", parse_layer_source(gpkg + ":buildings"), GeometryFamily::polygon}},
        {});
    CHECK(m.find("parcels")->report.read == 43);
    CHECK(m.find("parcels")->report.repaired == 1);
    const OccupancyResult r = compute_occupancy(m, {});
    struct Expected {
        double gross, net, built;
        int parcels;
    };
    const Expected expected[] = {{113373.25, 82620.54, 11959.68, 20},
                                 {21383.18, 13632.11, 3184.91, 12},
                                 {22717.00, 20405.22, 7123.06, 8}};
    REQUIRE(r.zones.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        INFO("zone " << i + 1);
        CHECK(r.zones[i].gross_m2 == Approx(expected[i].gross).margin(0.01));
        CHECK(r.zones[i].net_m2 == Approx(expected[i].net).margin(0.01));
        CHECK(r.zones[i].built_m2 == Approx(expected[i].built).margin(0.01));
        CHECK(r.zones[i].n_parcels == expected[i].parcels);
    }
    CHECK(r.n_outside == 3);
}

TEST_CASE("buildings in holes, notches and across box corners", "[metrics][occupancy]") {
    // Parcel L: the L-shape 0..60 x 0..60 without the notch 30..60 x 30..60, with a hole
    // 5..15 x 5..15. Buildings: one inside the hole (not on the parcel), one in the notch
    // 40..50 x 40..50 (inside the parcel's box, outside the parcel), one L-shaped building
    // 20..50 x 20..30 + 20..30 x 30..50 hugging the notch (its box covers the notch corner, the
    // building lies inside: 300 + 200 = 500 m²) and one square 35..45 x 5..15 (box well inside:
    // 100 m²). Built = 600 m²; parcel area = 3600 - 900 - 100 = 2600 m².
    const std::string zones = feature_collection(
        31370, feature(R"({"zid":"Z","name":"Zone"})", rect(-10, -10, 100, 100)));
    const std::string parcels = feature_collection(
        31370,
        feature(
            R"({"pid":"L"})",
            R"({"type":"Polygon","coordinates":[[[0,0],[60,0],[60,30],[30,30],[30,60],[0,60],[0,0]],[[5,5],[5,15],[15,15],[15,5],[5,5]]]})"));
    const std::string buildings = feature_collection(
        31370,
        feature(R"({"floors":1})", rect(7, 7, 13, 13)) + "," +
            feature(R"({"floors":1})", rect(40, 40, 50, 50)) + "," +
            feature(
                R"({"floors":2})",
                R"({"type":"Polygon","coordinates":[[[20,20],[50,20],[50,30],[30,30],[30,50],[20,50],[20,20]]]})") +
            "," + feature(R"({"floors":1})", rect(35, 5, 45, 15)));
    LayerSource z = parse_layer_source(vsimem("notch_zones.geojson", zones));
    z.id_field = "zid";
    LayerSource p = parse_layer_source(vsimem("notch_parcels.geojson", parcels));
    p.id_field = "pid";
    LayerSource b = parse_layer_source(vsimem("notch_buildings.geojson", buildings));
    const Model m = load_model({{"zones", z, GeometryFamily::polygon},
                                {"parcels", p, GeometryFamily::polygon},
                                {"buildings", b, GeometryFamily::polygon}},
                               {});
    OccupancyOptions o;
    o.floors_field = "floors";
    const OccupancyResult r = compute_occupancy(m, o);
    const auto& l = parcel(m, r, "L");
    CHECK(l.area_m2 == Approx(2600));
    CHECK(l.built_m2 == Approx(600));
    CHECK(l.n_buildings == 2);
    REQUIRE(l.floor_m2);
    CHECK(*l.floor_m2 == Approx(500 * 2 + 100));
    CHECK(l.zone == std::optional<std::size_t>(0));
    CHECK(l.zone_share == Approx(1.0));
}

TEST_CASE("occupancy without free space: same built figures, free figures left out",
          "[metrics][occupancy]") {
    const Model m = fixture();
    OccupancyOptions with = simple_options();
    OccupancyOptions without = simple_options();
    without.free_space = false;
    const auto a = compute_occupancy(m, with);
    const auto b = compute_occupancy(m, without);
    REQUIRE(a.parcels.size() == b.parcels.size());
    CHECK_FALSE(a.free_pieces.empty());
    CHECK(b.free_pieces.empty());
    for (std::size_t i = 0; i < a.parcels.size(); ++i) {
        CHECK(a.parcels[i].built_m2 == b.parcels[i].built_m2);
        CHECK(a.parcels[i].status == b.parcels[i].status);
        CHECK(a.parcels[i].zone == b.parcels[i].zone);
        CHECK(b.parcels[i].free_m2 == 0.0);
    }
    CHECK(a.total.built_m2 == b.total.built_m2);
    CHECK(a.total.net_m2 == b.total.net_m2);
    CHECK(a.total.free_m2 > 0.0);
    CHECK(b.total.free_m2 == 0.0);
}
