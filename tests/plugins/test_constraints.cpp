#include "test_support.hpp"

#include "../../engine/src/metrics/occupancy_faults.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/metrics.hpp>

#include <catch2/catch.hpp>

// The plugin's registration function in its built-in linkage (see tests/CMakeLists.txt).
void spaceuse_builtin_plugin_constraints(spaceuse::MetricRegistry& registry);

using namespace spaceuse;
using namespace spaceuse::test;

namespace {

// Hand-computed fixture (EPSG:31370, metres), default profile (setback 5 m, free pieces of at
// least 500 m² and 15 m wide):
//   zone Z1 0..200 x 0..100
//   A 0..100 x 0..100, building 0..20 x 0..100  -> free land 25..100 x 0..100 = 7500 m²
//   B 100..200 x 0..100, no building            -> free land 10000 m²
//   C 300..350 x 0..50, outside the zone        -> free land 2500 m²
//   flood         50..150 x 0..50   A 2500, B 2500
//   nature        80..120 x 0..100  A 2000, B 2000 (overlaps flood by 1000 on each)
//   contamination  0..10 x 90..100  A 100 (under the building, not in the free land)
//   A: all constraints 2500 + 2000 - 1000 + 100 = 3600; developable 7500 - 3500 = 4000
//   B: 2500 + 2000 - 1000 = 3500; developable 10000 - 3500 = 6500
Model fixture(const std::string& tag, const std::string& odd_kind = "") {
    const std::string zones = feature_collection(31370,
                                                 feature(R"({"zid":"Z1"})", rect(0, 0, 200, 100)));
    const std::string parcels = feature_collection(
        31370, feature(R"({"pid":"A"})", rect(0, 0, 100, 100)) + "," +
                   feature(R"({"pid":"B"})", rect(100, 0, 200, 100)) + "," +
                   feature(R"({"pid":"C"})", rect(300, 0, 350, 50)));
    const std::string buildings = feature_collection(
        31370, feature(R"({"floors":1})", rect(0, 0, 20, 100)));
    std::string constraints = feature(R"({"kind":"flood"})", rect(50, 0, 150, 50)) + "," +
                              feature(R"({"kind":"nature"})", rect(80, 0, 120, 100)) + "," +
                              feature(R"({"kind":"contamination"})", rect(0, 90, 10, 100));
    if (!odd_kind.empty()) {
        constraints += "," + feature(R"({"kind":")" + odd_kind + R"("})", rect(300, 0, 310, 10));
    }
    LayerSource z = parse_layer_source(vsimem(tag + "_zones.geojson", zones));
    z.id_field = "zid";
    LayerSource p = parse_layer_source(vsimem(tag + "_parcels.geojson", parcels));
    p.id_field = "pid";
    return load_model(
        {{"zones", z, GeometryFamily::polygon},
         {"parcels", p, GeometryFamily::polygon},
         {"buildings", parse_layer_source(vsimem(tag + "_buildings.geojson", buildings)),
          GeometryFamily::polygon},
         {"constraints",
          parse_layer_source(
              vsimem(tag + "_constraints.geojson", feature_collection(31370, constraints))),
          GeometryFamily::polygon}},
        {});
}

double number(const OutputLayer& layer, std::size_t row, const std::string& field) {
    for (std::size_t i = 0; i < layer.fields.size(); ++i) {
        if (layer.fields[i].name == field) {
            const Value& v = layer.rows[row][i];
            if (const auto* d = std::get_if<double>(&v)) {
                return *d;
            }
            return static_cast<double>(std::get<std::int64_t>(v));
        }
    }
    throw std::runtime_error("no field " + field);
}

std::vector<OutputLayer> run(const Model& model,
                             const std::map<std::string, RawOption>& options = {},
                             const std::map<std::string, RawOption>& occupancy = {}) {
    MetricRegistry registry;
    register_builtin_metrics(registry);
    spaceuse_builtin_plugin_constraints(registry);
    REQUIRE(registry.find("constraints") != nullptr);
    // The model is borrowed (not owned) by the metric input.
    const std::shared_ptr<const Model> shared(&model, [](const Model*) {});
    return run_metric(registry, "constraints", shared, options, 0, {{"occupancy", occupancy}})
        .layers;
}

}  // namespace

TEST_CASE("constraints: areas per kind, overlaps once, developable free land",
          "[plugins][constraints]") {
    const Model model = fixture("con");
    const auto layers = run(model);
    REQUIRE(layers.size() == 2);
    const OutputLayer& p = layers[0];
    REQUIRE(p.name == "constraints_parcels");
    REQUIRE(p.rows.size() == 3);
    CHECK(std::get<std::string>(p.rows[0][0]) == "A");
    CHECK(std::get<std::string>(p.rows[0][1]) == "Z1");
    CHECK(number(p, 0, "constrained_flood_m2") == Approx(2500).margin(1e-6));
    CHECK(number(p, 0, "constrained_nature_m2") == Approx(2000).margin(1e-6));
    CHECK(number(p, 0, "constrained_contamination_m2") == Approx(100).margin(1e-6));
    CHECK(number(p, 0, "constrained_reserve_m2") == 0.0);
    CHECK(number(p, 0, "constrained_m2") == Approx(3600).margin(1e-6));
    CHECK(number(p, 0, "constrained_share") == Approx(0.36).margin(1e-9));
    CHECK(number(p, 0, "free_m2") == Approx(7500).margin(0.01));
    CHECK(number(p, 0, "developable_m2") == Approx(4000).margin(0.01));

    CHECK(number(p, 1, "constrained_m2") == Approx(3500).margin(1e-6));
    CHECK(number(p, 1, "free_m2") == Approx(10000).margin(0.01));
    CHECK(number(p, 1, "developable_m2") == Approx(6500).margin(0.01));

    CHECK(std::holds_alternative<std::monostate>(p.rows[2][1]));  // C lies in no zone
    CHECK(number(p, 2, "constrained_m2") == 0.0);
    CHECK(number(p, 2, "developable_m2") == Approx(2500).margin(0.01));

    const OutputLayer& z = layers[1];
    REQUIRE(z.rows.size() == 1);
    CHECK(number(z, 0, "n_parcels") == 2);
    CHECK(number(z, 0, "area_m2") == Approx(20000).margin(1e-6));
    CHECK(number(z, 0, "constrained_m2") == Approx(7100).margin(1e-6));
    CHECK(number(z, 0, "constrained_flood_m2") == Approx(5000).margin(1e-6));
    CHECK(number(z, 0, "constrained_nature_m2") == Approx(4000).margin(1e-6));
    CHECK(number(z, 0, "free_m2") == Approx(17500).margin(0.01));
    CHECK(number(z, 0, "developable_m2") == Approx(10500).margin(0.01));
    CHECK(number(z, 0, "n_not_computed") == 0);
    CHECK(std::holds_alternative<std::monostate>(p.rows[0][col(p, "note")]));
}

TEST_CASE("constraints: a parcel whose free land GEOS could not compute gets null figures and a "
          "note; the run goes on",
          "[plugins][constraints][robust]") {
    const Model model = fixture("con_fail");
    std::vector<OutputLayer> layers;
    {
        // Occupancy's free space of A fails as if GEOS had failed (the hook of the robustness
        // tests), restored whatever the outcome.
        struct Guard {
            Guard() { detail::g_fail_free_space_fid = 0; }
            ~Guard() { detail::g_fail_free_space_fid = detail::kNoFault; }
        } guard;
        layers = run(model);
    }
    REQUIRE(layers.size() == 2);
    const OutputLayer& p = layers[0];
    REQUIRE(p.rows.size() == 3);
    // A: its free and developable land are unknown, never zero; the land under the constraints
    // does not depend on the free land and stands.
    CHECK(std::holds_alternative<std::monostate>(p.rows[0][col(p, "free_m2")]));
    CHECK(std::holds_alternative<std::monostate>(p.rows[0][col(p, "developable_m2")]));
    CHECK(number(p, 0, "constrained_m2") == Approx(3600).margin(1e-6));
    CHECK_THAT(std::get<std::string>(p.rows[0][col(p, "note")]),
               Catch::Contains("usable free land not computed"));
    // B as without the failure.
    CHECK(number(p, 1, "developable_m2") == Approx(6500).margin(0.01));
    CHECK(std::holds_alternative<std::monostate>(p.rows[1][col(p, "note")]));
    // The zone's sums leave A's unknown figures out and count it.
    const OutputLayer& z = layers[1];
    CHECK(number(z, 0, "n_parcels") == 2);
    CHECK(number(z, 0, "n_not_computed") == 1);
    CHECK(number(z, 0, "constrained_m2") == Approx(7100).margin(1e-6));
    CHECK(number(z, 0, "free_m2") == Approx(10000).margin(0.01));
    CHECK(number(z, 0, "developable_m2") == Approx(6500).margin(0.01));
}

TEST_CASE("constraints: options change the kinds and the free land", "[plugins][constraints]") {
    const Model model = fixture("con_opt");
    // The free land is occupancy's: its setback is an occupancy option.
    const auto layers = run(model, {{"kinds", std::string("flood,nature,contamination")}},
                            {{"setback_m", 0.0}});
    const OutputLayer& p = layers[0];
    // Three kinds: three per-kind fields between constrained_m2 and constrained_share.
    CHECK(p.fields.size() == 4 + 3 + 4);
    // No setback: A's free land is 20..100 x 0..100 = 8000; minus 3500 of constraints.
    CHECK(number(p, 0, "free_m2") == Approx(8000).margin(0.01));
    CHECK(number(p, 0, "developable_m2") == Approx(4500).margin(0.01));
}

TEST_CASE("constraints: an unknown kind names the layer and the feature",
          "[plugins][constraints]") {
    const Model model = fixture("con_bad", "landfill");
    try {
        run(model);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("layer 'constraints'") &&
                                 Catch::Contains("feature 3") && Catch::Contains("'landfill'"));
    }
}
