#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/scenario.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

using namespace spaceuse;
using namespace spaceuse::test;

namespace {

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
}

double num(const Value& v) { return std::get<double>(v); }

}  // namespace

TEST_CASE("scenario: capacity under each cap, never negative", "[scenarios]") {
    ScenarioTargets t;
    t.max_coverage = 0.5;
    t.max_far = 1.0;
    t.min_plot_m2 = 500;
    t.floor_m2_per_job = 50;

    // Coverage caps the footprint (room 1000 * 0.5 - 200 = 300 < 500 m² of land); the FAR cap
    // the floor area (1000 - 400 built).
    ParcelCapacity c = parcel_capacity(t, 1000, 200, 400.0, 500);
    CHECK(c.footprint_m2 == Approx(300));
    REQUIRE(c.floor_m2);
    CHECK(*c.floor_m2 == Approx(600));
    REQUIRE(c.jobs);
    CHECK(*c.jobs == Approx(12));
    CHECK(c.note.empty());

    // The land caps the footprint (100 < room 300).
    c = parcel_capacity(t, 1000, 200, 400.0, 100);
    CHECK(c.footprint_m2 == Approx(100));

    // The floor limit on the whole footprint: 2 floors * (200 + 100) = 600 < FAR 2.0 * 1000.
    ScenarioTargets f = t;
    f.max_far = 2.0;
    f.max_floors = 2;
    f.max_coverage = 0.6;
    c = parcel_capacity(f, 1000, 200, 200.0, 100);
    CHECK(c.footprint_m2 == Approx(100));
    CHECK(*c.floor_m2 == Approx(400));

    // A height limit: floor(10 / 3) = 3 floors * (200 + 100) = 900 - 200 built.
    ScenarioTargets h;
    h.max_height_m = 10;
    h.floor_height_m = 3;
    REQUIRE(h.floors());
    CHECK(*h.floors() == 3);
    c = parcel_capacity(h, 1000, 200, 200.0, 100);
    CHECK(c.footprint_m2 == Approx(100));
    CHECK(*c.floor_m2 == Approx(700));
    // Floors and a height both set (a zone's height limit over the floors for all): the lower.
    h.max_floors = 3;
    h.max_height_m = 7;
    CHECK(*h.floors() == 2);

    // Above both targets: zero, never negative.
    c = parcel_capacity(t, 1000, 600, 1500.0, 300);
    CHECK(c.footprint_m2 == 0.0);
    CHECK(*c.floor_m2 == 0.0);
    CHECK(*c.jobs == 0.0);
    CHECK(c.note == "at or above the coverage cap");

    // Below the minimum plot size: nothing.
    c = parcel_capacity(t, 400, 0, 0.0, 400);
    CHECK(c.footprint_m2 == 0.0);
    CHECK(*c.floor_m2 == 0.0);
    CHECK(c.note == "below the minimum plot size");

    // The floor area built unknown: no added floor area, never a guess; the footprint stays.
    c = parcel_capacity(t, 1000, 200, std::nullopt, 500);
    CHECK(c.footprint_m2 == Approx(300));
    CHECK_FALSE(c.floor_m2);
    CHECK_FALSE(c.jobs);
    CHECK(c.note == "floor area built unknown");
}

TEST_CASE("scenario files: bad targets and weights are one-line errors naming file and key",
          "[scenarios]") {
    const std::string dir = temp_dir("scenario_bad");
    auto error = [&](const std::string& text) {
        const std::string path = write(dir, "s.toml", text);
        try {
            load_scenario_file(path);
        } catch (const ConfigError& e) {
            const std::string m = e.what();
            CHECK(m.find('\n') == std::string::npos);
            CHECK(m.rfind(path, 0) == 0);
            return m;
        }
        FAIL("no error for: " << text);
        return std::string();
    };
    CHECK_THAT(error("[targets]\nmax_coverage = 1.2\nmax_far = 1\n"),
               Catch::Contains("key 'targets.max_coverage' must be a number > 0 and <= 1 (it is "
                               "1.2)"));
    CHECK_THAT(error("[targets]\nmax_far = -1\n"),
               Catch::Contains("key 'targets.max_far' must be a number >= 0 (it is -1)"));
    CHECK_THAT(error("[targets]\nmax_coverage = 0.5\n"),
               Catch::Contains("[targets] sets no floor limit"));
    CHECK_THAT(error("[targets]\nmax_far = 1\nmax_cover = 0.5\n"),
               Catch::Contains("key 'targets.max_cover' is unknown"));
    CHECK_THAT(error("[targets]\nmax_far = 1\n[ranking]\n[[ranking.criteria]]\nsource = "
                     "\"added_floor_m2\"\nbetter = \"higher\"\nweight = 0\n"),
               Catch::Contains("key 'ranking.criteria': the weights sum to zero"));
    CHECK_THAT(error("[targets]\nmax_far = 1\n[ranking]\n[[ranking.criteria]]\nsource = "
                     "\"added_floor_m2\"\nbetter = \"more\"\n"),
               Catch::Contains("key 'ranking.criteria[1].better' must be \"higher\" or "
                               "\"lower\""));
    CHECK_THAT(error("[targets]\nmax_far = 1\n[[discounts]]\nstatus = \"empty\"\nshare = 0.1\n"),
               Catch::Contains("status 'empty' is not occupied, underused or vacant"));
    CHECK_THAT(error("[targets]\nmax_far = 1\n[[discounts]]\nstatus = \"vacant\"\nshare = 1.5\n"),
               Catch::Contains("key 'discounts[1].share' must be a number >= 0 and <= 1"));
    CHECK_THAT(error("[targets]\nmax_far = 1\n[zones.Z1]\nmax_far = -2\n"),
               Catch::Contains("key 'zones.Z1.max_far' must be a number >= 0"));

    // A zone's targets start from those for all zones.
    const Scenario s = load_scenario_file(
        write(dir, "ok.toml",
              "[targets]\nmax_coverage = 0.5\nmax_far = 1\n[zones.Z2]\nmax_far "
              "= 2\n"));
    CHECK(s.name == "ok");
    CHECK(*s.targets_of("Z2").max_far == 2.0);
    CHECK(*s.targets_of("Z2").max_coverage == 0.5);
    CHECK(*s.targets_of("Z1").max_far == 1.0);
}

TEST_CASE("scenarios metric: capacity, discounts in order and a ranking recomputed by hand",
          "[scenarios]") {
    // Z1 0..100 x 0..100, Z2 100..200 x 0..100. Parcels (default profile: vacant below 5 %,
    // underused below 30 % coverage):
    //   A 0..50 x 0..50     no building: vacant, land 2500, floor 0
    //   B 50..100 x 0..50   building 55..75 x 5..25 (400 m², 2 floors): underused, floor 800
    //   C 0..100 x 50..100  building 10..90 x 60..90 (2400 m², 1 floor): occupied, no land
    //   E 100..115 x 0..20  300 m², below the minimum plot size (vacant)
    //   F 115..200 x 0..100 8500 m², no building: vacant
    // Scenario: B/T 0.5, V/T 1.0, plots >= 500 m², 100 m² a job; discounts vacant 10 %,
    // underused 30 %, infrastructure 20 % of vacant.
    //   A footprint min(2500, 1250) = 1250, floor 2500       (vacant)
    //   B footprint min(land, 1250 - 400) = 850, floor 2500 - 800 = 1700   (underused)
    //   C footprint 0 (no usable land), floor 5000 - 2400 = 2600 (occupied: raised)
    //   E nothing; F footprint 4250, floor 8500 (vacant)
    // Z1 floor: vacant 2500, underused 1700, occupied 2600 = 6800 gross;
    //   vacant -250 (10 %), underused -510 (30 %), infrastructure -450 (20 % of 2250);
    //   net 1800 + 1190 + 2600 = 5590.
    // Z2: 8500 gross, -850, -1530, net 6120. ALL: 15300 gross, 11710 net.
    const std::string zones = feature_collection(
        31370, feature(R"({"zid":"Z1"})", rect(0, 0, 100, 100)) + "," +
                   feature(R"({"zid":"Z2"})", rect(100, 0, 200, 100)));
    const std::string parcels = feature_collection(
        31370, feature(R"({"pid":"A","prio":3})", rect(0, 0, 50, 50)) + "," +
                   feature(R"({"pid":"B","prio":1})", rect(50, 0, 100, 50)) + "," +
                   feature(R"({"pid":"C","prio":2})", rect(0, 50, 100, 100)) + "," +
                   feature(R"({"pid":"E","prio":5})", rect(100, 0, 115, 20)) + "," +
                   feature(R"({"pid":"F","prio":null})", rect(115, 0, 200, 100)));
    const std::string buildings = feature_collection(
        31370, feature(R"({"floors":2})", rect(55, 5, 75, 25)) + "," +
                   feature(R"({"floors":1})", rect(10, 60, 90, 90)));
    LayerSource z = parse_layer_source(vsimem("sc_zones.geojson", zones));
    z.id_field = "zid";
    LayerSource p = parse_layer_source(vsimem("sc_parcels.geojson", parcels));
    p.id_field = "pid";
    LayerSource b = parse_layer_source(vsimem("sc_buildings.geojson", buildings));
    auto model = std::make_shared<const Model>(
        load_model({{"zones", z, GeometryFamily::polygon},
                    {"parcels", p, GeometryFamily::polygon},
                    {"buildings", b, GeometryFamily::polygon}},
                   {}));
    const std::string dir = temp_dir("scenario_metric");
    // Ranking: added floor area (higher, weight 2), status (vacant 1, underused 0.5, occupied
    // 0; weight 1), the parcels' prio field (lower, weight 1; F has none: worst score).
    const std::string file = write(dir, "hand.toml", R"(
[targets]
max_coverage = 0.5
max_far = 1.0
min_plot_m2 = 500
floor_m2_per_job = 100
[[discounts]]
status = "vacant"
share = 0.1
[[discounts]]
status = "underused"
share = 0.3
[[discounts]]
kind = "infrastructure"
share = 0.2
[ranking]
[[ranking.criteria]]
name = "capacity"
source = "added_floor_m2"
better = "higher"
weight = 2
[[ranking.criteria]]
source = "status"
better = "higher"
values = { vacant = 1, underused = 0.5, occupied = 0 }
[[ranking.criteria]]
name = "prio"
source = "parcels.prio"
better = "lower"
)");
    MetricRegistry registry;
    register_builtin_metrics(registry);
    const std::map<std::string, std::map<std::string, RawOption>> used = {
        {"occupancy", {{"floors_field", std::string("floors")}}}};
    const MetricResult r = run_metric(registry, "scenarios", model,
                                      {{"files", std::vector<std::string>{file}}}, 2, used);
    REQUIRE(r.layers.size() == 4);

    const OutputLayer& pl = r.layers[0];
    REQUIRE(pl.name == "scenario_parcels");
    REQUIRE(pl.rows.size() == 5);
    const std::size_t fp = col(pl, "hand_footprint_m2");
    const std::size_t fl = col(pl, "hand_floor_m2");
    const std::size_t jobs = col(pl, "hand_jobs");
    const std::size_t land = col(pl, "hand_land_m2");
    const std::size_t note = col(pl, "hand_note");
    const std::size_t rank = col(pl, "hand_rank");
    // A, B, C, E, F in layer order.
    CHECK(num(pl.rows[0][land]) == Approx(2500));
    CHECK(num(pl.rows[0][fp]) == Approx(1250));
    CHECK(num(pl.rows[0][fl]) == Approx(2500));
    CHECK(num(pl.rows[0][jobs]) == Approx(25));
    CHECK(num(pl.rows[1][land]) > 850);  // the L-shaped land around B's building
    CHECK(num(pl.rows[1][fp]) == Approx(850));
    CHECK(num(pl.rows[1][fl]) == Approx(1700));
    CHECK(num(pl.rows[2][land]) == 0.0);
    CHECK(num(pl.rows[2][fp]) == 0.0);
    CHECK(num(pl.rows[2][fl]) == Approx(2600));
    CHECK(num(pl.rows[3][fl]) == 0.0);
    CHECK(std::get<std::string>(pl.rows[3][note]) == "below the minimum plot size");
    CHECK(std::holds_alternative<std::monostate>(pl.rows[3][rank]));
    CHECK(num(pl.rows[4][fp]) == Approx(4250));
    CHECK(num(pl.rows[4][fl]) == Approx(8500));

    // Per zone: gross, the discounts in file order on what remains, net.
    const OutputLayer& ct = r.layers[3];
    REQUIRE(ct.name == "scenario_capacity");
    auto steps = [&](const std::string& zone) {
        std::vector<double> out;
        for (const auto& row : ct.rows) {
            if (std::get<std::string>(row[0]) == zone) {
                out.push_back(num(row[col(ct, "floor_m2")]));
            }
        }
        return out;
    };
    const std::vector<double> z1 = steps("Z1");
    REQUIRE(z1.size() == 5);
    CHECK(z1[0] == Approx(6800));
    CHECK(z1[1] == Approx(-250));
    CHECK(z1[2] == Approx(-510));
    CHECK(z1[3] == Approx(-450));
    CHECK(z1[4] == Approx(5590));
    const std::vector<double> z2 = steps("Z2");
    CHECK(z2[0] == Approx(8500));
    CHECK(z2[1] == Approx(-850));
    CHECK(z2[2] == Approx(0).margin(1e-9));
    CHECK(z2[3] == Approx(-1530));
    CHECK(z2[4] == Approx(6120));
    const std::vector<double> all = steps("ALL");
    CHECK(all[0] == Approx(15300));
    CHECK(all[4] == Approx(11710));

    // Side by side with a baseline of zero.
    const OutputLayer& zt = r.layers[2];
    REQUIRE(zt.name == "scenario_zones");
    bool baseline = false;
    for (const auto& row : zt.rows) {
        if (std::get<std::string>(row[0]) == "ALL" && std::get<std::string>(row[2]) == "hand") {
            CHECK(num(row[col(zt, "gross_floor_m2")]) == Approx(15300));
            CHECK(num(row[col(zt, "net_floor_m2")]) == Approx(11710));
            CHECK(num(row[col(zt, "net_footprint_m2")]) ==
                  Approx(1250 * 0.9 * 0.8 + 850 * 0.7 + 4250 * 0.9 * 0.8));
            CHECK(std::get<std::int64_t>(row[col(zt, "n_with_capacity")]) == 4);
        }
        if (std::get<std::string>(row[2]) == "baseline") {
            baseline = true;
            CHECK(num(row[col(zt, "net_floor_m2")]) == 0.0);
        }
    }
    CHECK(baseline);

    // The ranking, by hand. Normalised over the parcels in the zones (A B C E F):
    //   capacity 2500 1700 2600 0 8500 -> /8500; status 1 .5 0 1 1; prio (5 - v) / 4: .5 1 .75 0,
    //   F none (0, flagged). Points 100 * w / 4 * norm:
    //   A 50 * 2500/8500 + 25 + 12.5 = 52.206; B 10 + 12.5 + 25 = 47.5;
    //   C 50 * 2600/8500 + 0 + 18.75 = 34.044; F 50 + 25 + 0 = 75. E has no capacity: unranked.
    const OutputLayer& rt = r.layers[1];
    REQUIRE(rt.name == "scenario_ranking");
    REQUIRE(rt.rows.size() == 4);
    const std::vector<std::pair<std::string, double>> expected = {
        {"F", 75.0},
        {"A", 50.0 * 2500 / 8500 + 37.5},
        {"B", 47.5},
        {"C", 50.0 * 2600 / 8500 + 18.75}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& row = rt.rows[i];
        CHECK(std::get<std::int64_t>(row[col(rt, "rank")]) == static_cast<std::int64_t>(i + 1));
        CHECK(std::get<std::string>(row[col(rt, "parcel_id")]) == expected[i].first);
        CHECK(num(row[col(rt, "score")]) == Approx(expected[i].second));
        // The written contributions add up to the score, each = 100 * w / Σw * norm.
        const double sum = num(row[col(rt, "capacity_points")]) +
                           num(row[col(rt, "status_points")]) + num(row[col(rt, "prio_points")]);
        CHECK(sum == Approx(num(row[col(rt, "score")])));
        CHECK(num(row[col(rt, "capacity_points")]) ==
              Approx(50.0 * num(row[col(rt, "capacity_norm")])));
    }
    CHECK(std::get<std::string>(rt.rows[0][col(rt, "no_value")]) == "prio");
    CHECK(std::holds_alternative<std::monostate>(rt.rows[0][col(rt, "prio_value")]));
    CHECK(num(rt.rows[1][col(rt, "prio_norm")]) == Approx(0.5));

    // Bad input, one line naming the file and key.
    const std::string bad_zone = write(dir, "zone.toml",
                                       "[targets]\nmax_far = 1\n[zones.Z9]\n"
                                       "max_far = 2\n");
    CHECK_THROWS_WITH(run_metric(registry, "scenarios", model,
                                 {{"files", std::vector<std::string>{bad_zone}}}, 1, used),
                      Catch::Contains(bad_zone + ": key 'zones.Z9': no zone has the id 'Z9' "
                                                 "(zones: Z1, Z2)"));
    const std::string bad_field = write(dir, "field.toml",
                                        "[targets]\nmax_far = 1\n[ranking]\n[[ranking.criteria]]\n"
                                        "source = \"parcels.owner\"\nbetter = \"higher\"\n");
    CHECK_THROWS_WITH(run_metric(registry, "scenarios", model,
                                 {{"files", std::vector<std::string>{bad_field}}}, 1, used),
                      Catch::Contains(bad_field + ": key 'ranking.criteria[1].source': the "
                                                  "parcels layer has no field 'owner'"));
    const std::string bad_layer = write(dir, "layer.toml",
                                        "[targets]\nmax_far = 1\n[ranking]\n[[ranking.criteria]]\n"
                                        "source = \"nowhere.x\"\nbetter = \"higher\"\n");
    CHECK_THROWS_WITH(run_metric(registry, "scenarios", model,
                                 {{"files", std::vector<std::string>{bad_layer}}}, 1, used),
                      Catch::Contains(bad_layer + ": key 'ranking.criteria[1].source': no metric "
                                                  "writes a layer 'nowhere'"));

    const std::string bad_text = write(dir, "text.toml",
                                       "[targets]\nmax_far = 1\n[ranking]\n[[ranking.criteria]]\n"
                                       "source = \"parcels.pid\"\nbetter = \"higher\"\n");
    CHECK_THROWS_WITH(run_metric(registry, "scenarios", model,
                                 {{"files", std::vector<std::string>{bad_text}}}, 1, used),
                      Catch::Contains(bad_text + ": key 'ranking.criteria[1].source': the field "
                                                 "'pid' holds texts: give their numbers"));

    // The same figures whatever the thread count.
    const MetricResult r1 = run_metric(registry, "scenarios", model,
                                       {{"files", std::vector<std::string>{file}}}, 1, used);
    CHECK(r1.layers[0].rows == pl.rows);
    CHECK(r1.layers[1].rows == rt.rows);
}

TEST_CASE("scenarios metric: a scenario with its own setback recomputes usable free land",
          "[scenarios]") {
    // One parcel 0..60 x 0..40 with a building 0..10 x 0..40: with a 5 m setback the free land
    // is 15..60 (45 x 40 = 1800 m²); with a 20 m setback 30..60 (1200 m²).
    const std::string zones = feature_collection(31370,
                                                 feature(R"({"zid":"Z1"})", rect(0, 0, 100, 100)));
    const std::string parcels = feature_collection(31370,
                                                   feature(R"({"pid":"P"})", rect(0, 0, 60, 40)));
    const std::string buildings = feature_collection(
        31370, feature(R"({"floors":1})", rect(0, 0, 10, 40)));
    LayerSource z = parse_layer_source(vsimem("sc2_zones.geojson", zones));
    z.id_field = "zid";
    LayerSource p = parse_layer_source(vsimem("sc2_parcels.geojson", parcels));
    p.id_field = "pid";
    LayerSource b = parse_layer_source(vsimem("sc2_buildings.geojson", buildings));
    auto model = std::make_shared<const Model>(
        load_model({{"zones", z, GeometryFamily::polygon},
                    {"parcels", p, GeometryFamily::polygon},
                    {"buildings", b, GeometryFamily::polygon}},
                   {}));
    const std::string dir = temp_dir("scenario_own_free");
    const std::string run = write(dir, "run.toml", "[targets]\nmax_far = 1\n");
    const std::string own = write(dir, "own.toml",
                                  "[targets]\nmax_far = 1\n[free_space]\nsetback_m = 20\n");
    MetricRegistry registry;
    register_builtin_metrics(registry);
    const MetricResult r = run_metric(registry, "scenarios", model,
                                      {{"files", std::vector<std::string>{run, own}}}, 1,
                                      {{"occupancy", {{"floors_field", std::string("floors")}}}});
    const OutputLayer& pl = r.layers[0];
    CHECK(num(pl.rows[0][col(pl, "run_land_m2")]) == Approx(1800));
    CHECK(num(pl.rows[0][col(pl, "own_land_m2")]) == Approx(1200));
    // No coverage cap: the whole land; FAR 1: 2400 - 400 built.
    CHECK(num(pl.rows[0][col(pl, "own_footprint_m2")]) == Approx(1200));
    CHECK(num(pl.rows[0][col(pl, "run_floor_m2")]) == Approx(2000));
}
