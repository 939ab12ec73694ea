#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/metrics.hpp>

#include <catch2/catch.hpp>

// The plugin's registration function in its built-in linkage (see tests/CMakeLists.txt).
void spaceuse_builtin_plugin_frontage(spaceuse::MetricRegistry& registry);

using namespace spaceuse;
using namespace spaceuse::test;

namespace {

std::string line(const std::string& highway, double x0, double y0, double x1, double y1) {
    return feature(R"({"highway":")" + highway + R"("})",
                   R"({"type":"LineString","coordinates":[[)" + std::to_string(x0) + "," +
                       std::to_string(y0) + "],[" + std::to_string(x1) + "," + std::to_string(y1) +
                       "]]}");
}

// Hand-computed fixture (EPSG:31370, metres), tolerance 10 m, sides of at least 5 m, corners
// sharper than 60° split sides:
//   A 0..100 x 0..50 between a primary road at y = -8 (x -50..150) and a residential road at
//     x = 108 (y -50..100). Within 10 m: the bottom edge (100), the right edge (50), and 2 m at
//     each end of the left and top edges (y <= 2 on the left, x >= 98 on the top):
//     frontage 154, sides 2 (bottom, right). On the primary road alone: 100 + 2 + 2 = 104.
//   B 200..260 x 0..40 beside a footway only: land-locked.
//   C 300..340 x 0..40, residential road at y = -6 from x = 320 to 390 (round end): the bottom edge
//     from x = 320 - sqrt(10² - 6²) = 312 to 340 (28), the right edge up to y = 4 (4):
//     frontage 32, 1 side (the 4 m piece is shorter than 5 m).
//   D 400..500 x 0..50 whose ring starts mid-way along the bottom edge, residential road at
//     y = -8: frontage 104, still 1 side (the ring start does not split the bottom side).
Model fixture() {
    const std::string parcels = feature_collection(
        31370,
        feature(R"({"pid":"A"})", rect(0, 0, 100, 50)) + "," +
            feature(R"({"pid":"B"})", rect(200, 0, 260, 40)) + "," +
            feature(R"({"pid":"C"})", rect(300, 0, 340, 40)) + "," +
            feature(
                R"({"pid":"D"})",
                R"({"type":"Polygon","coordinates":[[[450,0],[500,0],[500,50],[400,50],[400,0],[450,0]]]})"));
    const std::string roads = feature_collection(
        31370, line("primary", -50, -8, 150, -8) + "," + line("residential", 108, -50, 108, 100) +
                   "," + line("footway", 190, -5, 270, -5) + "," +
                   line("residential", 320, -6, 390, -6) + "," +
                   line("residential", 380, -8, 520, -8));
    LayerSource p = parse_layer_source(vsimem("fr_parcels.geojson", parcels));
    p.id_field = "pid";
    return load_model(
        {{"parcels", p, GeometryFamily::polygon},
         {"roads", parse_layer_source(vsimem("fr_roads.geojson", roads)), GeometryFamily::line}},
        {});
}

struct Row {
    double frontage_m;
    std::int64_t sides;
    double hgv_m;
    std::int64_t hgv;
    std::int64_t landlocked;
};

Row row(const OutputLayer& l, std::size_t i) {
    return {std::get<double>(l.rows[i][1]), std::get<std::int64_t>(l.rows[i][2]),
            std::get<double>(l.rows[i][3]), std::get<std::int64_t>(l.rows[i][4]),
            std::get<std::int64_t>(l.rows[i][5])};
}

OutputLayer run(const Model& model, const std::map<std::string, RawOption>& options = {}) {
    MetricRegistry registry;
    spaceuse_builtin_plugin_frontage(registry);
    REQUIRE(registry.find("frontage") != nullptr);
    const std::shared_ptr<const Model> shared(&model, [](const Model*) {});
    auto layers = run_metric(registry, "frontage", shared, options).layers;
    REQUIRE(layers.size() == 1);
    return layers[0];
}

}  // namespace

TEST_CASE("frontage: length, sides, heavy goods access, land-locked", "[plugins][frontage]") {
    const Model model = fixture();
    const OutputLayer l = run(model);
    REQUIRE(l.rows.size() == 4);
    CHECK(l.fields[1].name == "frontage_m");

    const Row a = row(l, 0);
    CHECK(a.frontage_m == Approx(154).margin(1e-6));
    CHECK(a.sides == 2);
    CHECK(a.hgv_m == Approx(104).margin(1e-6));
    CHECK(a.hgv == 1);
    CHECK(a.landlocked == 0);

    const Row b = row(l, 1);
    CHECK(b.frontage_m == 0.0);
    CHECK(b.sides == 0);
    CHECK(b.hgv == 0);
    CHECK(b.landlocked == 1);

    const Row c = row(l, 2);
    CHECK(c.frontage_m == Approx(32).margin(1e-6));
    CHECK(c.sides == 1);
    CHECK(c.hgv == 0);
    CHECK(c.landlocked == 0);

    const Row d = row(l, 3);
    CHECK(d.frontage_m == Approx(104).margin(1e-6));
    CHECK(d.sides == 1);
}

TEST_CASE("frontage: options", "[plugins][frontage]") {
    const Model model = fixture();
    // Every access road is at least 6 m away: no frontage.
    OutputLayer l = run(model, {{"tolerance_m", 5.0}});
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(row(l, i).frontage_m == 0.0);
        CHECK(row(l, i).landlocked == 1);
    }
    std::map<std::string, RawOption> o2 = {
        {"ignore_classes", std::string()},         // the footway now gives access to B
        {"corner_angle_deg", std::string("100")},  // right-angle corners no longer split sides
        {"hgv_classes", std::string("residential")}};
    l = run(model, o2);
    CHECK(row(l, 0).sides == 1);  // A: one stretch left 2 + bottom 100 + right 50 + top 2
    CHECK(row(l, 0).hgv_m == Approx(54).margin(1e-6));  // x = 108 road: right 50 + 2 + 2
    // B: footway at y = -5: bottom 60 and 5 m up each side.
    CHECK(row(l, 1).frontage_m == Approx(70).margin(1e-6));
    CHECK(row(l, 1).landlocked == 0);
    o2["tolerance_m"] = -1.0;
    CHECK_THROWS_WITH(run(model, o2), Catch::Contains("option 'tolerance_m' must be > 0 m"));
}
