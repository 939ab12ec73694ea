// One parcel never stops a run, and a layer that cannot be what its role needs stops it with
// one clear line: robust overlays, failed parcels, bad layers, duplicate ids, no parcel in any
// zone.
#include "test_support.hpp"

#include "../../../engine/src/geos/geos.hpp"
#include "../../../engine/src/metrics/occupancy_faults.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/occupancy.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <ogrsf_frmts.h>

#include <cmath>
#include <fstream>

using namespace spaceuse;
using namespace spaceuse::test;

namespace {

/// Z = 0..100², parcels A = 0..50 x 0..50 and B = 50..100 x 0..50 (id field pid), one building
/// 10..20² on A.
Model small_model(const std::string& tag, const std::string& parcels_text = {}) {
    const std::string zones = feature_collection(31370,
                                                 feature(R"({"zid":"Z"})", rect(0, 0, 100, 100)));
    const std::string parcels = !parcels_text.empty()
                                    ? parcels_text
                                    : feature_collection(
                                          31370,
                                          feature(R"({"pid":"A"})", rect(0, 0, 50, 50)) + "," +
                                              feature(R"({"pid":"B"})", rect(50, 0, 100, 50)));
    const std::string buildings = feature_collection(
        31370, feature(R"({"floors":1})", rect(10, 10, 20, 20)));
    LayerSource z = parse_layer_source(vsimem(tag + "_zones.geojson", zones));
    z.id_field = "zid";
    LayerSource p = parse_layer_source(vsimem(tag + "_parcels.geojson", parcels));
    p.id_field = "pid";
    LayerSource b = parse_layer_source(vsimem(tag + "_buildings.geojson", buildings));
    return load_model({{"zones", z, GeometryFamily::polygon},
                       {"parcels", p, GeometryFamily::polygon},
                       {"buildings", b, GeometryFamily::polygon}},
                      {});
}

/// Restores the fault hook whatever the test's outcome.
struct FaultGuard {
    explicit FaultGuard(std::int64_t fid) { detail::g_fail_free_space_fid = fid; }
    ~FaultGuard() { detail::g_fail_free_space_fid = detail::kNoFault; }
    FaultGuard(const FaultGuard&) = delete;
    FaultGuard& operator=(const FaultGuard&) = delete;
};

/// Runs `metric` (a built-in one) on `model` with the options of occupancy given.
MetricResult run_builtin(const Model& model, const std::string& metric,
                         const std::map<std::string, RawOption>& options,
                         const std::map<std::string, RawOption>& occupancy) {
    MetricRegistry registry;
    register_builtin_metrics(registry);
    // The model is borrowed (not owned) by the metric input.
    const std::shared_ptr<const Model> shared(&model, [](const Model*) {});
    return run_metric(registry, metric, shared, options, 0, {{"occupancy", occupancy}});
}

/// A text cell, or "" for null.
std::string text_cell(const Value& v) {
    const auto* t = std::get_if<std::string>(&v);
    return t != nullptr ? *t : std::string();
}

/// The manifest entries (run.json) of the definitions or scenarios metric.
const nlohmann::json& manifest_notes(const MetricResult& r) {
    return *std::any_cast<const std::shared_ptr<const nlohmann::json>&>(r.data);
}

}  // namespace

TEST_CASE("an overlay on an invalid input is retried on the repaired input", "[robust]") {
    const detail::GeosContext geos;
    // A bow-tie: OverlayNG refuses it; MakeValid makes two triangles of 25 m² each.
    auto bowtie = geos.from(ring_polygon({{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}}));
    auto square = geos.from(ring_polygon({{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}));
    REQUIRE(GEOSIntersection_r(geos.handle(), bowtie.get(), square.get()) == nullptr);
    auto r = geos.intersection(bowtie.get(), square.get());
    CHECK(geos.area(r.get()) == Approx(50.0).margin(1e-9));
    CHECK(geos.overlay_retries() == 1);
    auto d = geos.difference(square.get(), bowtie.get());
    CHECK(geos.area(d.get()) == Approx(50.0).margin(1e-9));
    // A valid input costs no retry.
    auto half = geos.from(ring_polygon({{0, 0}, {5, 0}, {5, 10}, {0, 10}, {0, 0}}));
    CHECK(geos.area(geos.intersection(square.get(), half.get()).get()) == Approx(50.0));
    CHECK(geos.overlay_retries() == 2);
}

TEST_CASE("a parcel GEOS cannot compute gets null figures and a reason; the run goes on",
          "[robust]") {
    const Model m = small_model("fail");
    OccupancyOptions o;
    const OccupancyResult before = compute_occupancy(m, o);
    REQUIRE(before.failures.empty());
    OccupancyResult after;
    {
        const FaultGuard fault(0);  // parcel A
        after = compute_occupancy(m, o);
    }
    REQUIRE(after.failures.size() == 1);
    CHECK(after.failures[0].parcel_id == "A");
    CHECK(after.failures[0].step == ParcelFailure::free_space);
    CHECK_THAT(after.failures[0].reason, Catch::Contains("injected"));
    CHECK(after.parcels[0].failed == ParcelFailure::free_space);
    // The rest of A's figures and all of B's stand.
    CHECK(after.parcels[0].built_m2 == Approx(100.0));
    CHECK(after.parcels[1].failed == ParcelFailure::none);
    CHECK(after.parcels[1].free_m2 == before.parcels[1].free_m2);
    CHECK(after.total.net_m2 == before.total.net_m2);
    CHECK(after.total.built_m2 == before.total.built_m2);
    // The zone's free land lacks A's only.
    CHECK(after.total.free_m2 == Approx(before.total.free_m2 - before.parcels[0].free_m2));
}

TEST_CASE("the shared free-space TopologyException case completes", "[robust][shared]") {
    const std::string dir = shared_data("bad_inputs/free_space_topology");
    if (dir.empty()) {
        WARN("SKIP: ../shared/data/bad_inputs/free_space_topology is absent");
        return;
    }
    LayerSource z = parse_layer_source(dir + "/zones.geojson");
    LayerSource p = parse_layer_source(dir + "/parcels.geojson");
    p.id_field = "capakey";
    LayerSource b = parse_layer_source(dir + "/buildings.geojson");
    LoadOptions lo;
    lo.crs = "EPSG:31370";
    const Model m = load_model({{"zones", z, GeometryFamily::polygon},
                                {"parcels", p, GeometryFamily::polygon},
                                {"buildings", b, GeometryFamily::polygon}},
                               lo);
    const OccupancyResult r = compute_occupancy(m, OccupancyOptions{});
    CHECK(r.failures.empty());
    REQUIRE(r.parcels.size() == 19);
    const Layer& parcels = *m.find("parcels");
    bool seen = false;
    for (const auto& pr : r.parcels) {
        if (parcels.features[pr.parcel].id == "24086H1847/00A000") {
            seen = true;
            // Parcel 3,425.81 m², one building of 38.44 m²: the free land left by the 5 m
            // setback is one piece (the same figure on every thread count, see below).
            CHECK(pr.area_m2 == Approx(3425.814).margin(0.01));
            CHECK(pr.free_m2 == Approx(3117.022).margin(0.01));
            CHECK(pr.largest_free_m2 == pr.free_m2);
        }
    }
    CHECK(seen);
    OccupancyOptions one;
    one.threads = 1;
    const OccupancyResult r1 = compute_occupancy(m, one);
    for (std::size_t i = 0; i < r.parcels.size(); ++i) {
        CHECK(r1.parcels[i].free_m2 == r.parcels[i].free_m2);
    }
}

TEST_CASE("a layer whose features are all rejected stops the load with the dominant reason",
          "[robust][bad_layers]") {
    const std::string lines = feature_collection(
        31370,
        feature(R"({"pid":"L1"})", R"({"type":"LineString","coordinates":[[0,0],[10,10]]})") + "," +
            feature(R"({"pid":"L2"})", R"({"type":"LineString","coordinates":[[0,5],[10,15]]})") +
            "," + feature(R"({"pid":"L3"})", "null"));
    CHECK_THROWS_MATCHES(small_model("lines", lines), InputError,
                         Catch::Matchers::Predicate<InputError>([](const InputError& e) {
                             const std::string w = e.what();
                             return w.find("all 3 features rejected, 2 of them as wrong_type") !=
                                        std::string::npos &&
                                    w.find("wrong layer?") != std::string::npos &&
                                    w.find("lines_parcels.geojson") != std::string::npos;
                         }));
    // A partial rejection stays a reported warning.
    const std::string mixed = feature_collection(
        31370,
        feature(R"({"pid":"A"})", rect(0, 0, 50, 50)) + "," +
            feature(R"({"pid":"L"})", R"({"type":"LineString","coordinates":[[0,0],[1,1]]})"));
    const Model m = small_model("mixed", mixed);
    CHECK(m.find("parcels")->report.rejected == 1);
    CHECK(m.find("parcels")->report.kept == 1);
}

TEST_CASE("a table without a geometry column is named as such, not as a missing CRS",
          "[robust][bad_layers]") {
    const std::string dir = temp_dir("robust_table");
    const std::string path = dir + "/table.gpkg";
    {
        GDALAllRegister();
        GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
        REQUIRE(driver != nullptr);
        GDALDataset* ds = driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
        REQUIRE(ds != nullptr);
        OGRLayer* layer = ds->CreateLayer("owners", nullptr, wkbNone, nullptr);
        OGRFieldDefn name("owner", OFTString);
        layer->CreateField(&name);
        OGRFeature* f = OGRFeature::CreateFeature(layer->GetLayerDefn());
        f->SetField("owner", "city");
        REQUIRE(layer->CreateFeature(f) == OGRERR_NONE);
        OGRFeature::DestroyFeature(f);
        GDALClose(ds);
    }
    const std::string zones = feature_collection(31370,
                                                 feature(R"({"zid":"Z"})", rect(0, 0, 100, 100)));
    LayerSource z = parse_layer_source(vsimem("table_zones.geojson", zones));
    LayerSource p = parse_layer_source(path);
    CHECK_THROWS_WITH(
        load_model({{"zones", z, GeometryFamily::polygon}, {"parcels", p, GeometryFamily::polygon}},
                   {}),
        Catch::Contains("layer has no geometry column (a table of 1 rows, fields: "
                        "owner); wrong layer?") &&
            !Catch::Contains("CRS"));
}

TEST_CASE("parcels outside every zone and duplicate parcel ids stop the run",
          "[robust][bad_layers]") {
    const std::string far = feature_collection(
        31370, feature(R"({"pid":"A"})", rect(5000, 0, 5050, 50)) + "," +
                   feature(R"({"pid":"B"})", rect(5050, 0, 5100, 50)));
    const Model outside = small_model("outside", far);
    CHECK_THROWS_WITH(compute_occupancy(outside, OccupancyOptions{}),
                      Catch::Contains("all 2 parcels lie outside every zone of 'zones' "
                                      "(parcels' extent 5000 0 5100 50, zones' 0 0 100 100); "
                                      "wrong layer? wrong CRS"));
    const std::string twice = feature_collection(
        31370, feature(R"({"pid":"A"})", rect(0, 0, 50, 50)) + "," +
                   feature(R"({"pid":"B"})", rect(50, 0, 100, 50)) + "," +
                   feature(R"({"pid":"A"})", rect(0, 50, 50, 100)) + "," +
                   feature(R"({"pid":"B"})", rect(50, 50, 100, 100)) + "," +
                   feature(R"({"pid":"A"})", rect(0, 0, 10, 10)));
    const Model dup = small_model("dup", twice);
    CHECK_THROWS_WITH(compute_occupancy(dup, OccupancyOptions{}),
                      Catch::Contains("duplicate parcel ids in field 'pid': A (3×), B (2×)"));
}

TEST_CASE("overlapping parcels are measured per pair and per zone; touching ones are not",
          "[robust][overlap]") {
    // A 0..50 x 0..50 and B 25..75 x 0..50 share 25 x 50 = 1,250 m². C 75..100 x 0..50 touches B
    // along x = 75. L1 and L2, two interlocking L-shapes (neither convex: GEOS decides), touch
    // along three edges. E is a stacked copy of D = 50..100 x 50..100 (2,500 m²). N, with a
    // notch, touches C and D. L1, L2 and N lie outside the zone.
    const std::string parcels = feature_collection(
        31370,
        feature(R"({"pid":"A"})", rect(0, 0, 50, 50)) + "," +
            feature(R"({"pid":"B"})", rect(25, 0, 75, 50)) + "," +
            feature(R"({"pid":"C"})", rect(75, 0, 100, 50)) + "," +
            feature(
                R"({"pid":"L1"})",
                R"({"type":"Polygon","coordinates":[[[200,0],[220,0],[220,10],[210,10],[210,20],[200,20],[200,0]]]})") +
            "," +
            feature(
                R"({"pid":"L2"})",
                R"({"type":"Polygon","coordinates":[[[220,0],[230,0],[230,20],[210,20],[210,10],[220,10],[220,0]]]})") +
            "," + feature(R"({"pid":"D"})", rect(50, 50, 100, 100)) + "," +
            feature(R"({"pid":"E"})", rect(50, 50, 100, 100)) + "," +
            feature(
                R"({"pid":"N"})",
                R"({"type":"Polygon","coordinates":[[[100,0],[130,0],[130,100],[100,100],[100,60],[120,60],[120,40],[100,40],[100,0]]]})"));
    const Model m = small_model("overlap", parcels);
    const OccupancyResult r = compute_occupancy(m, OccupancyOptions{});
    REQUIRE(r.overlaps.size() == 2);
    CHECK(r.overlaps[0].id_a == "A");
    CHECK(r.overlaps[0].id_b == "B");
    CHECK(r.overlaps[0].area_m2 == Approx(1250.0));
    CHECK(r.overlaps[1].id_a == "D");
    CHECK(r.overlaps[1].id_b == "E");
    CHECK(r.overlaps[1].area_m2 == Approx(2500.0));
    CHECK(r.zones[0].overlap_m2 == Approx(3750.0));
    CHECK(r.total.overlap_m2 == Approx(3750.0));
    // The parcels cover 7,500 m² of the zone; net counts the shared 3,750 m² twice.
    CHECK(r.total.net_m2 == Approx(11250.0));
}

TEST_CASE("concave parcels: a hull side separates neighbours, an overlap across it is measured",
          "[robust][overlap]") {
    // U, a U-shape 0..30 x 0..30 open to the north (notch 10..20 x 10..30), is concave: its hull
    // is the square. V = 30..50 x 0..30 touches U along x = 30, a side of U's hull: apart
    // without GEOS. X = 12..18 x 15..30 sits in the notch, 2 m from U on both sides: inside
    // U's hull, so GEOS decides (no overlap). W = 25..35 x 20..40 overlaps U's east arm
    // (25..30 x 20..30 = 50 m²) and V (30..35 x 20..30 = 50 m²).
    const std::string parcels = feature_collection(
        31370,
        feature(
            R"({"pid":"U"})",
            R"({"type":"Polygon","coordinates":[[[0,0],[30,0],[30,30],[20,30],[20,10],[10,10],[10,30],[0,30],[0,0]]]})") +
            "," + feature(R"({"pid":"V"})", rect(30, 0, 50, 30)) + "," +
            feature(R"({"pid":"W"})", rect(25, 20, 35, 40)) + "," +
            feature(R"({"pid":"X"})", rect(12, 15, 18, 30)));
    const OccupancyResult r = compute_occupancy(small_model("hull", parcels), OccupancyOptions{});
    REQUIRE(r.overlaps.size() == 2);
    CHECK(r.overlaps[0].id_a == "U");
    CHECK(r.overlaps[0].id_b == "W");
    CHECK(r.overlaps[0].area_m2 == Approx(50.0));
    CHECK(r.overlaps[1].id_a == "V");
    CHECK(r.overlaps[1].id_b == "W");
    CHECK(r.overlaps[1].area_m2 == Approx(50.0));
}

TEST_CASE("overlaps thinner than 1 mm are not overlaps, whichever test decides",
          "[robust][overlap]") {
    // Two interlocking L-shapes (neither convex, so GEOS measures them), the second shifted left
    // by `shift`: two strips shift x 100 m where they meet, at x = 400 and at x = 350.
    auto pair = [](double shift) {
        auto ring = [](std::initializer_list<std::pair<double, double>> pts, double dx) {
            std::string s = R"({"type":"Polygon","coordinates":[[)";
            bool first = true;
            for (const auto& [x, y] : pts) {
                s += (first ? "" : ",") + std::string("[") + std::to_string(x + dx) + "," +
                     std::to_string(y) + "]";
                first = false;
            }
            return s + "]]}";
        };
        return feature_collection(31370, feature(R"({"pid":"A"})", rect(0, 0, 100, 100)) + "," +
                                             feature(R"({"pid":"L3"})", ring({{300, 0},
                                                                              {400, 0},
                                                                              {400, 100},
                                                                              {350, 100},
                                                                              {350, 200},
                                                                              {300, 200},
                                                                              {300, 0}},
                                                                             0.0)) +
                                             "," +
                                             feature(R"({"pid":"L4"})", ring({{400, 0},
                                                                              {450, 0},
                                                                              {450, 200},
                                                                              {350, 200},
                                                                              {350, 100},
                                                                              {400, 100},
                                                                              {400, 0}},
                                                                             -shift)));
    };
    // 0.5 mm: 0.05 m² per strip, above the area floor but thinner than 1 mm.
    CHECK(
        compute_occupancy(small_model("thin", pair(0.0005)), OccupancyOptions{}).overlaps.empty());
    // 5 mm: two strips of 0.5 m².
    const OccupancyResult r = compute_occupancy(small_model("thick", pair(0.005)),
                                                OccupancyOptions{});
    REQUIRE(r.overlaps.size() == 1);
    CHECK(r.overlaps[0].area_m2 == Approx(1.0).epsilon(1e-3));
    CHECK_FALSE(r.overlaps[0].zone.has_value());
    CHECK(r.total.overlap_m2 == 0.0);  // outside every zone
}

TEST_CASE("occupancy past 65,536 parcels: figures summed over blocks as over one, any threads",
          "[robust][blocks]") {
    // 80 x 1,000 parcels of 0.25 x 0.1 m on x 0..20, y 0..100, column by column (parcel
    // i = col * 1000 + row): the parcels go through in blocks of 65,536, and the building
    // 10..20² (columns 40..79, rows 100..199) lies on parcels of both blocks. Parcel 80,000 is a
    // copy of parcel 65,536 (the first of the second block: an overlap across the blocks);
    // parcel 80,001 = 95..105 x 0..10 lies half in the zone.
    std::string features;
    for (int i = 0; i < 80000; ++i) {
        const double x = 0.25 * (i / 1000);
        const double y = 0.1 * (i % 1000);
        features += feature(R"({"pid":"P)" + std::to_string(i) + R"("})",
                            rect(x, y, x + 0.25, y + 0.1)) +
                    ",";
    }
    features += feature(R"({"pid":"COPY"})", rect(16.25, 53.6, 16.5, 53.7)) + "," +
                feature(R"({"pid":"EDGE"})", rect(95, 0, 105, 10));
    const Model m = small_model("blocks", feature_collection(31370, features));
    OccupancyOptions one;
    one.threads = 1;
    OccupancyOptions two;
    two.threads = 2;
    const OccupancyResult r = compute_occupancy(m, two);
    REQUIRE(r.parcels.size() == 80002);
    REQUIRE(r.part_offsets.size() == 80003);
    CHECK(r.zones[0].n_parcels == 80002);
    CHECK(r.zones[0].net_m2 == Approx(2000.0 + 0.025 + 50.0));
    CHECK(r.zones[0].built_m2 == Approx(100.0));
    double parts = 0.0;
    for (const auto& part : r.building_parts) {
        parts += part.area_m2;
    }
    CHECK(parts == Approx(100.0));
    // Under the building in the first block (45,150) and in the second (70,150); beside it.
    for (const std::size_t i : {std::size_t{45150}, std::size_t{70150}}) {
        INFO("parcel " << i);
        REQUIRE(r.part_offsets[i + 1] - r.part_offsets[i] == 1);
        CHECK(r.building_parts[r.part_offsets[i]].building == 0);
        CHECK(r.building_parts[r.part_offsets[i]].area_m2 == Approx(0.025));
        CHECK(r.parcels[i].n_buildings == 1);
        CHECK(r.parcels[i].built_m2 == Approx(0.025));
    }
    CHECK(r.part_offsets[65536] == r.part_offsets[65535]);
    REQUIRE(r.overlaps.size() == 1);
    CHECK(r.overlaps[0].a == 65536);
    CHECK(r.overlaps[0].b == 80000);
    CHECK(r.overlaps[0].area_m2 == Approx(0.025));
    CHECK(r.overlaps[0].zone == std::optional<std::size_t>{0});
    CHECK(r.zones[0].overlap_m2 == Approx(0.025));
    bool edge = false;
    for (const auto& part : r.split_parcels) {
        if (part.parcel == 80001) {
            edge = true;
            CHECK(part.zone == 0);
            CHECK(part.area_m2 == Approx(50.0));
        }
    }
    CHECK(edge);
    // One thread: the same figures, to the bit.
    const OccupancyResult r1 = compute_occupancy(m, one);
    CHECK(r1.zones[0].net_m2 == r.zones[0].net_m2);
    CHECK(r1.zones[0].built_m2 == r.zones[0].built_m2);
    CHECK(r1.total.overlap_m2 == r.total.overlap_m2);
    CHECK(r1.part_offsets == r.part_offsets);
    CHECK(r1.split_parcels.size() == r.split_parcels.size());
}

TEST_CASE("a scenario's own free space GEOS cannot compute gives the parcel no capacity, noted",
          "[robust][scenarios]") {
    // The run computes no free space, so the scenario computes its own: only there does A's
    // free space fail (the run's occupancy, without free space, never reaches the hook).
    const Model m = small_model("sc_own");
    const std::string dir = temp_dir("robust_sc_own");
    std::ofstream(dir + "/s.toml") << "[targets]\nmax_far = 1\n";
    MetricResult r;
    {
        const FaultGuard fault(0);  // parcel A
        r = run_builtin(m, "scenarios", {{"files", std::vector<std::string>{dir + "/s.toml"}}},
                        {{"floors_field", std::string("floors")}, {"free_space", false}});
    }
    const OutputLayer& pl = r.layers[0];
    REQUIRE(pl.name == "scenario_parcels");
    REQUIRE(pl.rows.size() == 2);
    // A: unknown land, not the capacity of no land; B computed.
    for (const char* f : {"s_land_m2", "s_footprint_m2", "s_floor_m2"}) {
        CHECK(std::holds_alternative<std::monostate>(pl.rows[0][col(pl, f)]));
    }
    CHECK(text_cell(pl.rows[0][col(pl, "s_note")]) == "not computed (GEOS failed on the parcel)");
    CHECK(std::get<double>(pl.rows[1][col(pl, "s_land_m2")]) > 0.0);
    CHECK(std::get<double>(pl.rows[1][col(pl, "s_footprint_m2")]) > 0.0);
    // The zone counts A as a parcel without capacity.
    const OutputLayer& zt = r.layers[2];
    REQUIRE(zt.name == "scenario_zones");
    bool seen = false;
    for (const auto& row : zt.rows) {
        if (text_cell(row[0]) == "ALL" && text_cell(row[2]) == "s") {
            seen = true;
            CHECK(std::get<std::int64_t>(row[col(zt, "n_parcels")]) == 2);
            CHECK(std::get<std::int64_t>(row[col(zt, "n_with_capacity")]) == 1);
        }
    }
    CHECK(seen);
    // The manifest counts and lists it with GEOS's reason.
    const nlohmann::json& notes = manifest_notes(r);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0]["own_free_space"] == true);
    CHECK(notes[0]["n_not_computed"] == 1);
    CHECK(notes[0]["n_failed"] == 1);
    REQUIRE(notes[0]["failed_parcels"].size() == 1);
    CHECK(notes[0]["failed_parcels"][0]["parcel_id"] == "A");
    CHECK(notes[0]["failed_parcels"][0]["step"] == "own free space");
    CHECK_THAT(notes[0]["failed_parcels"][0]["reason"].get<std::string>(),
               Catch::Contains("injected"));
}

TEST_CASE("a parcel whose free space failed in the run counts in its zone without capacity",
          "[robust][scenarios]") {
    const Model m = small_model("sc_run");
    const std::string dir = temp_dir("robust_sc_run");
    std::ofstream(dir + "/s.toml") << "[targets]\nmax_far = 1\n";
    MetricResult r;
    {
        const FaultGuard fault(0);  // parcel A, in the run's occupancy
        r = run_builtin(m, "scenarios", {{"files", std::vector<std::string>{dir + "/s.toml"}}},
                        {{"floors_field", std::string("floors")}});
    }
    const OutputLayer& pl = r.layers[0];
    CHECK(std::holds_alternative<std::monostate>(pl.rows[0][col(pl, "s_footprint_m2")]));
    CHECK(text_cell(pl.rows[0][col(pl, "s_note")]) == "not computed (GEOS failed on the parcel)");
    const OutputLayer& zt = r.layers[2];
    for (const auto& row : zt.rows) {
        if (text_cell(row[0]) == "ALL" && text_cell(row[2]) == "s") {
            CHECK(std::get<std::int64_t>(row[col(zt, "n_parcels")]) == 2);
            CHECK(std::get<std::int64_t>(row[col(zt, "n_with_capacity")]) == 1);
        }
    }
    const nlohmann::json& notes = manifest_notes(r);
    CHECK(notes[0]["n_not_computed"] == 1);
    CHECK(notes[0]["n_failed"] == 0);  // the run's failure is listed by occupancy
}

TEST_CASE("a definition's own free space GEOS cannot compute is listed with the reason",
          "[robust][definitions]") {
    const Model m = small_model("def_own");
    const std::string dir = temp_dir("robust_def_own");
    std::ofstream(dir + "/strict.toml")
        << "[[classes]]\nname = \"big\"\nlevel = \"available\"\n"
           "[[classes]]\nname = \"small\"\nlevel = \"not available\"\n"
           "[[rules]]\nclass = \"big\"\nwhen = [\"largest_free_m2 >= 100\"]\n"
           "[[rules]]\nclass = \"small\"\n";
    MetricResult r;
    {
        const FaultGuard fault(0);  // parcel A, in the definition's own free space only
        r = run_builtin(m, "definitions",
                        {{"profiles", std::vector<std::string>{dir + "/strict.toml"}}},
                        {{"free_space", false}});
    }
    const OutputLayer& pl = r.layers[0];
    // A's free land is unknown: never "small" for want of free land.
    CHECK(text_cell(pl.rows[0][col(pl, "strict_class")]) != "small");
    CHECK(text_cell(pl.rows[1][col(pl, "strict_class")]) == "big");
    const nlohmann::json& notes = manifest_notes(r);
    CHECK(notes[0]["own_free_space"] == true);
    CHECK(notes[0]["n_failed"] == 1);
    REQUIRE(notes[0]["failed_parcels"].size() == 1);
    CHECK(notes[0]["failed_parcels"][0]["parcel_id"] == "A");
    CHECK_THAT(notes[0]["failed_parcels"][0]["reason"].get<std::string>(),
               Catch::Contains("injected"));
}
