// The follow-up between two surveys on a hand-made zone: one parcel unchanged, one built on,
// one split; a survey compared with the same data a year later; and what is refused.

#include "test_support.hpp"

#include <spaceuse/diff.hpp>
#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace spaceuse;

namespace {

std::string parcels_json(const std::string& name, bool split) {
    std::string f = test::feature(R"({"pid":"P1"})", test::rect(0, 0, 50, 50)) + "," +
                    test::feature(R"({"pid":"P2"})", test::rect(50, 0, 100, 50)) + ",";
    if (split) {
        f += test::feature(R"({"pid":"P3a"})", test::rect(0, 50, 50, 100)) + "," +
             test::feature(R"({"pid":"P3b"})", test::rect(50, 50, 100, 100));
    } else {
        f += test::feature(R"({"pid":"P3"})", test::rect(0, 50, 100, 100));
    }
    return test::vsimem(name, test::feature_collection(31370, f));
}

std::string buildings_json(const std::string& name, bool built_on) {
    std::string f = test::feature(R"({"b":1})", test::rect(10, 10, 40, 40));  // 900 m² on P1
    if (built_on) {
        f += "," + test::feature(R"({"b":2})", test::rect(60, 10, 80, 40));  // 600 m² on P2
    }
    return test::vsimem(name, test::feature_collection(31370, f));
}

Study survey(const std::string& dir, const std::string& date, bool later) {
    Study s;
    s.name = "follow-up fixture " + date;
    s.output_dir = dir;
    s.survey_date = date;
    s.exports.formats = {ExportFormat::geojson};
    const std::string tag = later ? "after" : "before";
    s.add_layer(
        "zones",
        {test::vsimem("diff_zones.geojson",
                      test::feature_collection(31370, test::feature(R"({"zid":"Z1","name":"Park"})",
                                                                    test::rect(0, 0, 100, 100)))),
         "", "", "zid"});
    s.add_layer("parcels",
                {parcels_json("diff_parcels_" + tag + ".geojson", later), "", "", "pid"});
    s.add_layer("buildings",
                {buildings_json("diff_buildings_" + tag + ".geojson", later), "", "", ""});
    s.metric("occupancy").options["free_space"] = false;
    s.metric("occupancy").options["zone_name_field"] = std::string("name");
    return s;
}

}  // namespace

TEST_CASE("diff: parcels built on, split and unchanged, and the zone table at both dates",
          "[diff]") {
    const std::string dir = test::temp_dir("diff_fixture");
    run_study(survey(dir + "/2023", "2023-01-01", false));
    run_study(survey(dir + "/2024", "2024-01-01", true));
    DiffStudy d;
    d.before = dir + "/2023";
    d.after = dir + "/2024/spaceuse.gpkg";
    d.output_dir = dir + "/diff";
    const DiffReport r = run_diff(d);
    CHECK(r.before_date == "2023-01-01");
    CHECK(r.after_date == "2024-01-01");
    CHECK(r.before_reconciliation == "before 3 = unchanged 2 + split 1");
    CHECK(r.after_reconciliation == "after 4 = unchanged 2 + split 2");

    const OutputLayer& pc = r.parcel_changes;
    REQUIRE(pc.rows.size() == 3);
    const auto change = test::col(pc, "change");
    const auto ids_a = test::col(pc, "parcel_ids_after");
    const auto transition = test::col(pc, "transition");
    const auto d_built = test::col(pc, "d_built_m2");
    const auto d_cov = test::col(pc, "d_coverage");
    // P1: nothing changed (900 m² built on 2500 m²: occupied at both dates).
    CHECK(value_as_text(pc.rows[0][change]) == "unchanged");
    CHECK(std::get<std::string>(pc.rows[0][transition]).empty());
    CHECK(std::get<double>(pc.rows[0][d_built]) == Approx(0.0).margin(1e-9));
    // P2: 600 m² built on 2500 m² (coverage 0.24): vacant → underused.
    CHECK(value_as_text(pc.rows[1][change]) == "unchanged");
    CHECK(std::get<std::string>(pc.rows[1][transition]) == "vacant→underused");
    CHECK(std::get<double>(pc.rows[1][d_built]) == Approx(600.0));
    CHECK(std::get<double>(pc.rows[1][d_cov]) == Approx(0.24));
    // P3: split in two halves, both vacant.
    CHECK(value_as_text(pc.rows[2][change]) == "split");
    CHECK(std::get<std::string>(pc.rows[2][ids_a]) == "P3a,P3b");
    CHECK(std::get<double>(pc.rows[2][d_built]) == Approx(0.0).margin(1e-9));
    CHECK(pc.geometries.size() == 3);

    const OutputLayer& zc = r.zone_changes;
    REQUIRE(zc.rows.size() == 1);
    CHECK(std::get<double>(zc.rows[0][test::col(zc, "built_m2_before")]) == Approx(900.0));
    CHECK(std::get<double>(zc.rows[0][test::col(zc, "built_m2_after")]) == Approx(1500.0));
    CHECK(std::get<double>(zc.rows[0][test::col(zc, "d_built_m2")]) == Approx(600.0));
    CHECK(std::get<std::int64_t>(zc.rows[0][test::col(zc, "n_parcels_before")]) == 3);
    CHECK(std::get<std::int64_t>(zc.rows[0][test::col(zc, "d_n_parcels")]) == 1);
    CHECK(std::get<std::int64_t>(zc.rows[0][test::col(zc, "d_n_vacant")]) == 0);  // 2 → 2
    CHECK(std::get<std::int64_t>(zc.rows[0][test::col(zc, "d_n_underused")]) == 1);

    // The folder: both layers as CSV and GeoJSON, and a manifest with the reconciliations.
    std::ifstream in(dir + "/diff/run.json");
    const auto m = nlohmann::json::parse(in);
    CHECK(m["command"] == "diff");
    CHECK(m["before"]["survey_date"] == "2023-01-01");
    CHECK(m["reconciliation"][0] == "before 3 = unchanged 2 + split 1");
    CHECK(m["parcels"]["after"]["split"] == 2);
    for (const char* f : {"parcel_changes.csv", "parcel_changes.geojson", "zone_changes.csv",
                          "zone_changes.geojson"}) {
        INFO(f);
        CHECK(std::ifstream(dir + "/diff/" + f).good());
    }
}

TEST_CASE("diff: a survey compared with the same data a year later is unchanged throughout",
          "[diff]") {
    const std::string dir = test::temp_dir("diff_same");
    const StudyReport a = run_study(survey(dir + "/a", "2023-01-01", false));
    const StudyReport b = run_study(survey(dir + "/b", "2024-01-01", false));
    const DiffReport r = diff_results(a, b);
    CHECK(r.before_reconciliation == "before 3 = unchanged 3");
    CHECK(r.after_reconciliation == "after 3 = unchanged 3");
    const auto d_built = test::col(r.parcel_changes, "d_built_m2");
    for (const auto& row : r.parcel_changes.rows) {
        CHECK(std::get<double>(row[d_built]) == 0.0);
    }
    for (std::size_t f = 0; f < r.zone_changes.fields.size(); ++f) {
        const std::string& name = r.zone_changes.fields[f].name;
        INFO(name);
        if (name == "d_free_m2") {
            // Usable free area was not computed (free_space = false): unknown, not zero.
            CHECK(std::holds_alternative<std::monostate>(r.zone_changes.rows[0][f]));
        } else if (name.rfind("d_", 0) == 0) {
            CHECK(value_as_number(r.zone_changes.rows[0][f]).value_or(1.0) == 0.0);
        }
    }
}

TEST_CASE("diff: other definitions, missing, equal or reversed dates are refused", "[diff]") {
    const std::string dir = test::temp_dir("diff_refused");
    const StudyReport a = run_study(survey(dir + "/a", "2023-01-01", false));
    const StudyReport b = run_study(survey(dir + "/b", "2024-01-01", true));
    CHECK_THROWS_WITH(diff_results(b, a),
                      Catch::Contains("the before survey (2024-01-01) must be "
                                      "older than the after survey (2023-01-01)"));
    CHECK_THROWS_WITH(diff_results(a, a), Catch::Contains("must be older"));
    Study other = survey(dir + "/c", "2024-01-01", true);
    other.metric("occupancy").options["vacant_below"] = 0.1;
    const StudyReport c = run_study(other);
    CHECK_THROWS_WITH(diff_results(a, c), Catch::Contains("use different definitions"));
    StudyReport undated = b;
    undated.survey_date.clear();
    CHECK_THROWS_WITH(diff_results(a, undated),
                      Catch::Contains("the after results have no survey date"));
    // A project's survey_date must be a date.
    const std::string toml = dir + "/bad.toml";
    std::ofstream(toml)
        << "[project]\nname = \"x\"\noutput = \"o\"\nsurvey_date = \"2024-02-30\"\n";
    CHECK_THROWS_WITH(load_project(toml),
                      Catch::Contains("[project] survey_date must be a date YYYY-MM-DD, not "
                                      "'2024-02-30'"));
}
