// The follow-up tables on a hand-made pair of surveys, every figure computed by hand.
//
// Zones: Z1 = [0,200]×[0,100] (20,000 m²), Z2 = [300,400]×[0,100] (10,000 m²). Profile: vacant
// below 5 % coverage, underused below 30 %.
//
//   2023-01-01                               2024-01-01
//   Z1 P1 [0,50]×[0,50]    900 built occ.    P1 unchanged, occupied
//      P2 [50,100]×[0,50]  vacant            P2 600 built: underused
//      P3 [0,100]×[50,100] vacant            split: P3a [0,50]×[50,100] 900 built occupied,
//                                                   P3b [50,100]×[50,100] vacant
//      P4 [100,150]×[0,100] 1800 built occ.  merged with P5 into P45 [100,200]×[0,100]:
//      P5 [150,200]×[0,100] vacant             1800 built on 10,000 m² (18 %): underused
//   Z2 Q1 [300,350]×[0,100] vacant           renumbered Q9, vacant
//      Q2 [350,400]×[0,50] vacant            retired
//                                            new Q3 [350,400]×[50,100] 1000 built: occupied
//
// Z1 in m²: occupied → occupied 2500 (P1), → underused 5000 (P4 → P45); vacant → occupied 2500
// (P3 → P3a), → underused 2500 (P2) + 5000 (P5 → P45), → vacant 2500 (P3 → P3b).
// Z1 in parcels (pairs by largest shared area, ties in list order): P1 occ→occ, P4-P45
// occ→und, P2 vac→und, P3-P3a vac→occ, P5 vac→retired, P3b new→vac.
// Stock, vacant: Z1 12,500 − 10,000 taken up = 2,500; Z2 7,500 − 2,500 removed = 5,000.
// Stock, vacant + underused: Z1 12,500 − 2,500 taken up + 5,000 released = 15,000;
// Z2 7,500 − 2,500 removed = 5,000.

#include "test_support.hpp"

#include <spaceuse/diff.hpp>
#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>
#include <spaceuse/trend.hpp>

#include <catch2/catch.hpp>
#include <gdal_priv.h>

#include <filesystem>
#include <map>

using namespace spaceuse;

namespace {

std::string parcel(const std::string& id, const std::string& issued, const std::string& kind,
                   double x0, double y0, double x1, double y1) {
    const std::string date = issued.empty() ? "null" : "\"" + issued + "\"";
    return test::feature(R"({"pid":")" + id + R"(","issued":)" + date + R"(,"kind":")" + kind +
                             R"("})",
                         test::rect(x0, y0, x1, y1));
}

Study followup_survey(const std::string& dir, bool later, const std::string& issued_p2 = "",
                      const std::string& zone2 = "Z2", const std::string& issued_p3b = "") {
    Study s;
    s.name = later ? "after" : "before";
    s.output_dir = dir;
    s.survey_date = later ? "2024-01-01" : "2023-01-01";
    s.exports.formats = {};
    const std::string zones = test::feature(R"({"zid":"Z1","name":"West"})",
                                            test::rect(0, 0, 200, 100)) +
                              "," +
                              test::feature(R"({"zid":")" + zone2 + R"(","name":"East"})",
                                            test::rect(300, 0, 400, 100));
    std::string parcels;
    std::string buildings = test::feature(R"({"b":1})", test::rect(10, 10, 40, 40));  // P1
    if (!later) {
        parcels = parcel("P1", "2010-05-01", "sale", 0, 0, 50, 50) + "," +
                  parcel("P2", "", "sale", 50, 0, 100, 50) + "," +
                  parcel("P3", "", "sale", 0, 50, 100, 100) + "," +
                  parcel("P4", "2019-03-01", "lease", 100, 0, 150, 100) + "," +
                  parcel("P5", "", "sale", 150, 0, 200, 100) + "," +
                  parcel("Q1", "", "sale", 300, 0, 350, 100) + "," +
                  parcel("Q2", "", "sale", 350, 0, 400, 50);
        buildings += "," + test::feature(R"({"b":4})", test::rect(110, 10, 140, 70));  // 1800
    } else {
        parcels = parcel("P1", "2010-05-01", "sale", 0, 0, 50, 50) + "," +
                  parcel("P2", issued_p2.empty() ? "2023-06-15" : issued_p2, "sale", 50, 0, 100,
                         50) +
                  "," + parcel("P3a", "2023-09-01", "sale", 0, 50, 50, 100) + "," +
                  parcel("P3b", issued_p3b, "sale", 50, 50, 100, 100) + "," +
                  parcel("P45", "2019-03-01", "lease", 100, 0, 200, 100) + "," +
                  parcel("Q9", "", "sale", 300, 0, 350, 100) + "," +
                  parcel("Q3", "2023-02-01", "sale", 350, 50, 400, 100);
        buildings += "," + test::feature(R"({"b":2})", test::rect(60, 10, 80, 40)) +    // 600
                     "," + test::feature(R"({"b":3})", test::rect(10, 60, 40, 90)) +    // 900
                     "," + test::feature(R"({"b":4})", test::rect(110, 10, 140, 70)) +  // 1800
                     "," + test::feature(R"({"b":5})", test::rect(355, 55, 380, 95));   // 1000
    }
    const std::string tag = std::string(later ? "after" : "before") + issued_p2 + issued_p3b;
    s.add_layer("zones", {test::vsimem("fu_zones_" + zone2 + ".geojson",
                                       test::feature_collection(31370, zones)),
                          "", "", "zid"});
    s.add_layer("parcels", {test::vsimem("fu_parcels_" + tag + ".geojson",
                                         test::feature_collection(31370, parcels)),
                            "", "", "pid"});
    s.add_layer("buildings", {test::vsimem("fu_buildings_" + tag + ".geojson",
                                           test::feature_collection(31370, buildings)),
                              "", "", ""});
    s.metric("occupancy").options["free_space"] = false;
    s.metric("occupancy").options["zone_name_field"] = std::string("name");
    return s;
}

/// The transition table's cells of one zone and unit: row label → column → value.
std::map<std::string, std::map<std::string, double>> matrix(const OutputLayer& t,
                                                            const std::string& zone,
                                                            const std::string& unit) {
    std::map<std::string, std::map<std::string, double>> m;
    for (const auto& row : t.rows) {
        if (value_as_text(row[0]) != zone || value_as_text(row[2]) != unit) {
            continue;
        }
        for (std::size_t c = 4; c < t.fields.size(); ++c) {
            m[value_as_text(row[3])][t.fields[c].name] = *value_as_number(row[c]);
        }
    }
    return m;
}

/// The stock row of one zone and definition.
std::map<std::string, Value> stock_row(const OutputLayer& s, const std::string& zone,
                                       const std::string& definition) {
    for (const auto& row : s.rows) {
        if (value_as_text(row[0]) == zone && value_as_text(row[2]) == definition) {
            std::map<std::string, Value> out;
            for (std::size_t c = 0; c < s.fields.size(); ++c) {
                out[s.fields[c].name] = row[c];
            }
            return out;
        }
    }
    FAIL("no stock row " << zone << " " << definition);
    return {};
}

double num(const std::map<std::string, Value>& row, const std::string& f) {
    return *value_as_number(row.at(f));
}

}  // namespace

TEST_CASE("follow-up: transitions in m² and parcels, stock bridge and take-up by hand",
          "[diff][followup]") {
    const std::string dir = test::temp_dir("followup_tables");
    const StudyReport before = run_study(followup_survey(dir + "/2023", false));
    const StudyReport after = run_study(followup_survey(dir + "/2024", true));
    const DiffReport d = diff_results(before, after);
    CHECK(d.before_reconciliation ==
          "before 7 = unchanged 2 + renumbered 1 + split 1 + merged 2 + retired 1");
    CHECK(d.after_reconciliation ==
          "after 7 = unchanged 2 + renumbered 1 + split 2 + merged 1 + new 1");
    CHECK(match_reconciliation(d.zone_match, true) == "before 2 = unchanged 2");

    const auto z1 = matrix(d.transitions, "Z1", "m2");
    CHECK(z1.at("occupied").at("occupied") == Approx(2500));
    CHECK(z1.at("occupied").at("underused") == Approx(5000));
    CHECK(z1.at("occupied").at("total") == Approx(7500));
    CHECK(z1.at("vacant").at("occupied") == Approx(2500));
    CHECK(z1.at("vacant").at("underused") == Approx(7500));
    CHECK(z1.at("vacant").at("vacant") == Approx(2500));
    CHECK(z1.at("vacant").at("retired") == Approx(0).margin(1e-9));
    CHECK(z1.at("new").at("total") == Approx(0).margin(1e-9));
    // Columns sum to the after totals of the zone table: occupied 5000, underused 12,500,
    // vacant 2500.
    CHECK(z1.at("total").at("occupied") == Approx(5000));
    CHECK(z1.at("total").at("underused") == Approx(12500));
    CHECK(z1.at("total").at("vacant") == Approx(2500));
    CHECK(z1.at("total").at("total") == Approx(20000));

    const auto n1 = matrix(d.transitions, "Z1", "parcels");
    CHECK(n1.at("occupied").at("occupied") == 1);
    CHECK(n1.at("occupied").at("underused") == 1);
    CHECK(n1.at("vacant").at("underused") == 1);
    CHECK(n1.at("vacant").at("occupied") == 1);
    CHECK(n1.at("vacant").at("retired") == 1);
    CHECK(n1.at("new").at("vacant") == 1);
    CHECK(n1.at("occupied").at("total") == 2);  // rows: the before counts
    CHECK(n1.at("vacant").at("total") == 3);
    CHECK(n1.at("total").at("occupied") == 2);  // columns: the after counts
    CHECK(n1.at("total").at("underused") == 2);
    CHECK(n1.at("total").at("vacant") == 1);

    const auto z2 = matrix(d.transitions, "Z2", "m2");
    CHECK(z2.at("vacant").at("vacant") == Approx(5000));
    CHECK(z2.at("vacant").at("retired") == Approx(2500));
    CHECK(z2.at("new").at("occupied") == Approx(2500));
    const auto n2 = matrix(d.transitions, "Z2", "parcels");
    CHECK(n2.at("vacant").at("vacant") == 1);
    CHECK(n2.at("vacant").at("retired") == 1);
    CHECK(n2.at("new").at("occupied") == 1);
    const auto all = matrix(d.transitions, "ALL", "m2");
    CHECK(all.at("total").at("total") == Approx(30000));

    // The stock bridge, both definitions, residual 0.
    auto s = stock_row(d.stock, "Z1", "vacant");
    CHECK(num(s, "available_before_m2") == Approx(12500));
    CHECK(num(s, "taken_up_m2") == Approx(10000));
    CHECK(num(s, "released_m2") == Approx(0).margin(1e-9));
    CHECK(num(s, "available_after_m2") == Approx(2500));
    CHECK(std::abs(num(s, "residual_m2")) < 0.01);
    // Take-up from the diff: 10,000 m² over 365 days.
    const double years = 365.0 / 365.2425;
    CHECK(num(s, "mean_annual_takeup_m2") == Approx(10000 / years));
    CHECK(value_as_text(s.at("years_of_supply")) == "0.2");  // 2500 / 10,006.6
    s = stock_row(d.stock, "Z1", "vacant+underused");
    CHECK(num(s, "available_before_m2") == Approx(12500));
    CHECK(num(s, "taken_up_m2") == Approx(2500));
    CHECK(num(s, "released_m2") == Approx(5000));
    CHECK(num(s, "available_after_m2") == Approx(15000));
    CHECK(std::abs(num(s, "residual_m2")) < 0.01);
    s = stock_row(d.stock, "Z2", "vacant");
    CHECK(num(s, "available_before_m2") == Approx(7500));
    CHECK(num(s, "removed_m2") == Approx(2500));
    CHECK(num(s, "added_m2") == Approx(0).margin(1e-9));
    CHECK(num(s, "available_after_m2") == Approx(5000));
    CHECK(value_as_text(s.at("years_of_supply")) == "n.a.");  // nothing taken up
    s = stock_row(d.stock, "ALL", "vacant");
    CHECK(num(s, "available_before_m2") == Approx(20000));
    CHECK(num(s, "available_after_m2") == Approx(7500));
    CHECK(d.max_stock_residual_m2 < 0.01);

    CHECK(d.takeup_source == "diff");
    REQUIRE(d.takeup.rows.size() == 3);  // Z1, Z2, ALL
    CHECK(value_as_text(d.takeup.rows[0][test::col(d.takeup, "source")]) == "diff");
    CHECK(*value_as_number(d.takeup.rows[0][test::col(d.takeup, "takeup_m2")]) == Approx(10000));
    CHECK(*value_as_number(d.takeup.rows[0][test::col(d.takeup, "n_parcels")]) == 2);

    // Developed between the surveys: P3a (vacant → occupied); P45 is underused, P2 too.
    REQUIRE(d.achieved.rows.size() == 1);
    CHECK(value_as_text(d.achieved.rows[0][test::col(d.achieved, "parcel_id")]) == "P3a");
    CHECK(*value_as_number(d.achieved.rows[0][test::col(d.achieved, "coverage")]) == Approx(0.36));
}

TEST_CASE("follow-up: take-up per year from issue dates, filtered, and years of supply",
          "[diff][followup]") {
    const std::string dir = test::temp_dir("followup_issue");
    const StudyReport before = run_study(followup_survey(dir + "/2023", false));
    const StudyReport after = run_study(followup_survey(dir + "/2024", true));
    DiffOptions o;
    o.issue_date_field = "issued";
    DiffReport d = diff_results(before, after, o);
    CHECK(d.takeup_source == "issue_date");
    CHECK(d.issue_dated == 5);  // P1, P2, P3a, P45, Q3
    CHECK(d.issued_but_vacant == 0);
    CHECK(d.issue_undated == 2);
    // Years 2010 (first issue) to 2024 (the after survey), empty years as zero rows: 15 rows per
    // zone and for all zones.
    REQUIRE(d.takeup.rows.size() == 45);
    std::map<std::string, std::pair<double, double>> z1;  // year → m², parcels
    for (const auto& row : d.takeup.rows) {
        if (value_as_text(row[0]) == "Z1") {
            z1[value_as_text(row[2]).substr(0, 4)] = {*value_as_number(row[6]),
                                                      *value_as_number(row[7])};
        }
    }
    CHECK(z1.size() == 15);
    CHECK(z1["2010"].first == Approx(2500));
    CHECK(z1["2011"].first == 0.0);
    CHECK(z1["2019"].first == Approx(10000));
    CHECK(z1["2023"].first == Approx(5000));
    CHECK(z1["2023"].second == 2);
    // Last 5 years (2019-01-01, 2024-01-01]: Z1 15,000 m² → 3000 a year; vacant after 2500 →
    // 0.8 years; vacant + underused 15,000 → 5.0 years. Z2: 2500 → 500 a year; 5000 → 10.0.
    auto s = stock_row(d.stock, "Z1", "vacant");
    CHECK(num(s, "mean_annual_takeup_m2") == Approx(3000));
    CHECK(value_as_text(s.at("years_of_supply")) == "0.8");
    CHECK(value_as_text(s.at("takeup_basis")) == "issue_date, last 5 years");
    s = stock_row(d.stock, "Z1", "vacant+underused");
    CHECK(value_as_text(s.at("years_of_supply")) == "5.0");
    s = stock_row(d.stock, "Z2", "vacant");
    CHECK(value_as_text(s.at("years_of_supply")) == "10.0");

    // Only sales count: P45 (lease, 2019) is left out.
    o.issue_date_where = "kind = 'sale'";
    d = diff_results(before, after, o);
    CHECK(d.issue_filtered_out == 1);
    CHECK(d.issue_dated == 4);
    s = stock_row(d.stock, "Z1", "vacant");
    CHECK(num(s, "mean_annual_takeup_m2") == Approx(1000));
    CHECK(value_as_text(s.at("years_of_supply")) == "2.5");

    o.issue_date_where = "kind = = 'sale'";
    CHECK_THROWS_WITH(diff_results(before, after, o),
                      Catch::Contains("issue_date_where \"kind = = 'sale'\" is not a valid"));
    o.issue_date_where.clear();
    o.issue_date_field = "issue";
    CHECK_THROWS_WITH(diff_results(before, after, o),
                      Catch::Contains("the after parcels have no field 'issue' "
                                      "(issue_date_field); their fields: pid, issued, kind"));
}

TEST_CASE("follow-up: issue dates that are no dates are listed, never guessed",
          "[diff][followup]") {
    const std::string dir = test::temp_dir("followup_baddate");
    const StudyReport before = run_study(followup_survey(dir + "/2023", false));
    const StudyReport after = run_study(followup_survey(dir + "/2024", true, "2023-13-01"));
    DiffOptions o;
    o.issue_date_field = "issued";
    CHECK_THROWS_WITH(diff_results(before, after, o),
                      Catch::Contains("issue_date_field 'issued': 1 value is not a date "
                                      "(YYYY-MM-DD): P2 '2023-13-01'"));
}

TEST_CASE("follow-up: a snapshot reopened and compared with a later copy of itself",
          "[diff][followup]") {
    const std::string dir = test::temp_dir("followup_same");
    Study a = followup_survey(dir + "/a", true);
    a.survey_date = "2023-01-01";
    run_study(a);
    const StudyReport before = open_results(dir + "/a");
    const StudyReport after = run_study(followup_survey(dir + "/b", true));
    const DiffReport d = diff_results(before, after);
    CHECK(d.before_reconciliation == "before 7 = unchanged 7");
    for (const auto& zone : {"Z1", "Z2", "ALL"}) {
        for (const auto& [r, cols] : matrix(d.transitions, zone, "m2")) {
            for (const auto& [c, v] : cols) {
                if (r != c && c != "total" && r != "total") {
                    INFO(zone << " " << r << " → " << c);
                    CHECK(v == 0.0);
                }
            }
        }
    }
    for (const auto& row : d.stock.rows) {
        for (const char* f :
             {"taken_up_m2", "released_m2", "added_m2", "removed_m2", "residual_m2"}) {
            CHECK(*value_as_number(row[test::col(d.stock, f)]) == 0.0);
        }
    }
    CHECK(d.achieved.rows.empty());
}

TEST_CASE("follow-up: results in another analysis CRS are compared in the after one",
          "[diff][followup]") {
    const std::string dir = test::temp_dir("followup_crs");
    const StudyReport before = run_study(followup_survey(dir + "/2023", false));
    Study later = followup_survey(dir + "/2024", true);
    later.load.crs = "EPSG:3812";  // Belgian Lambert 2008
    const StudyReport after = run_study(later);
    const DiffReport d = diff_results(before, after);
    CHECK(d.reprojected);
    CHECK(d.before_reconciliation ==
          "before 7 = unchanged 2 + renumbered 1 + split 1 + merged 2 + retired 1");
    // Both dates measured in EPSG:3812 (its scale differs from EPSG:31370's by ~1e-4): the
    // bridge still closes.
    CHECK(d.max_stock_residual_m2 < 0.01);
    const auto s = stock_row(d.stock, "Z1", "vacant");
    CHECK(num(s, "taken_up_m2") == Approx(10000).epsilon(1e-3));
}

TEST_CASE("follow-up: a renamed zone is matched by its shape and reported", "[diff][followup]") {
    const std::string dir = test::temp_dir("followup_zone_renamed");
    const StudyReport before = run_study(followup_survey(dir + "/2023", false));
    const StudyReport after = run_study(followup_survey(dir + "/2024", true, "", "Z7"));
    const DiffReport d = diff_results(before, after);
    CHECK(match_reconciliation(d.zone_match, true) == "before 2 = unchanged 1 + renumbered 1");
    REQUIRE(d.zone_changes.rows.size() == 2);
    const auto& row = d.zone_changes.rows[1];
    CHECK(value_as_text(row[test::col(d.zone_changes, "zone_id")]) == "Z7");
    CHECK(value_as_text(row[test::col(d.zone_changes, "change")]) == "renumbered");
    CHECK(value_as_text(row[test::col(d.zone_changes, "zone_ids_before")]) == "Z2");
    CHECK(*value_as_number(row[test::col(d.zone_changes, "vacant_m2_before")]) == Approx(7500));
    CHECK(*value_as_number(row[test::col(d.zone_changes, "vacant_m2_after")]) == Approx(5000));
    // Its land stays its own: the same matrix as under its old id.
    const auto z = matrix(d.transitions, "Z7", "m2");
    CHECK(z.at("vacant").at("vacant") == Approx(5000));
    CHECK(z.at("vacant").at("retired") == Approx(2500));
    CHECK(z.at("new").at("occupied") == Approx(2500));
    CHECK(d.max_stock_residual_m2 < 0.01);
}

TEST_CASE("follow-up: duplicate parcel ids of one date are listed", "[diff][followup]") {
    std::vector<MultiPolygon> g(3);
    CHECK_THROWS_WITH(match_parcels({"A", "B", "A"}, g, {"A"}, {MultiPolygon{}}),
                      Catch::Contains("duplicate parcel ids before: A (2×)"));
    MatchOptions zones;
    zones.noun = "zone";
    CHECK_THROWS_WITH(match_parcels({"A"}, {MultiPolygon{}}, {"Z", "Z"}, {g[0], g[1]}, zones),
                      Catch::Contains("duplicate zone ids after: Z (2×)"));
}

TEST_CASE("follow-up: a side that is another program's GeoPackage, a newer snapshot or missing",
          "[diff][followup]") {
    namespace fs = std::filesystem;
    const std::string dir = test::temp_dir("followup_bad_sides");
    run_study(followup_survey(dir + "/2023", false));
    run_study(followup_survey(dir + "/2024", true));
    DiffStudy d;
    d.after = dir + "/2024";
    d.output_dir = dir + "/out";
    // A plain GeoPackage (the parcels exported by another program).
    const std::string plain = dir + "/plain.gpkg";
    {
        GDALAllRegister();
        GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GPKG")->Create(
            plain.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        REQUIRE(ds);
        REQUIRE(ds->CreateLayer("parcels", nullptr, wkbPolygon, nullptr) != nullptr);
    }
    d.before = plain;
    CHECK_THROWS_WITH(run_diff(d), Catch::Contains(plain + ": not a spaceuse snapshot"));
    // A snapshot of a newer format.
    const std::string newer = dir + "/newer.gpkg";
    fs::copy_file(dir + "/2023/spaceuse.gpkg", newer);
    {
        GDALDatasetUniquePtr ds(GDALDataset::Open(newer.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
        REQUIRE(ds);
        ds->ExecuteSQL("UPDATE spaceuse_snapshot SET value = '99' WHERE key = 'format_version'",
                       nullptr, nullptr);
    }
    d.before = newer;
    CHECK_THROWS_WITH(run_diff(d), Catch::Contains("snapshot format 99 is newer than this"));
    d.before = dir + "/missing";
    CHECK_THROWS_WITH(run_diff(d), Catch::Contains("no such results folder or snapshot"));
    CHECK_FALSE(fs::exists(d.output_dir));  // nothing written
}

TEST_CASE("follow-up: parcels issued between the surveys but vacant after are counted",
          "[diff][followup]") {
    const std::string dir = test::temp_dir("followup_issued_vacant");
    const StudyReport before = run_study(followup_survey(dir + "/2023", false));
    // P3b (vacant, 2500 m²) has a date inside the interval: a record date, not an issue.
    const StudyReport after = run_study(
        followup_survey(dir + "/2024", true, "", "Z2", "2023-04-01"));
    DiffOptions o;
    o.issue_date_field = "issued";
    const DiffReport d = diff_results(before, after, o);
    CHECK(d.issued_but_vacant == 1);
    CHECK(d.issued_but_vacant_m2 == Approx(2500));
}

TEST_CASE("follow-up: issue dates after the after survey are counted, in no year",
          "[diff][followup]") {
    const std::string dir = test::temp_dir("followup_placeholder_date");
    const StudyReport before = run_study(followup_survey(dir + "/2023", false));
    const StudyReport after = run_study(
        followup_survey(dir + "/2024", true, "", "Z2", "9999-12-31"));
    DiffOptions o;
    o.issue_date_field = "issued";
    const DiffReport d = diff_results(before, after, o);
    CHECK(d.issued_after_survey == 1);
    CHECK(d.issued_but_vacant == 0);
    CHECK(d.takeup.rows.size() == 45);  // 2010 to 2024, as without it
    const auto s = stock_row(d.stock, "Z1", "vacant");
    CHECK(num(s, "mean_annual_takeup_m2") == Approx(3000));
}

TEST_CASE("follow-up: land that moves to another zone is a transition for all zones",
          "[diff][followup]") {
    // Zones A | B meet at x = 100 before and at x = 50 after; parcel X = [50,100]×[0,100]
    // (vacant) lies in A before and in B after; Y = [0,50] stays in A, W = [100,200] in B.
    const std::string dir = test::temp_dir("followup_zone_move");
    auto survey = [&dir](bool later) {
        Study s;
        s.name = later ? "after" : "before";
        s.output_dir = dir + (later ? "/after" : "/before");
        s.survey_date = later ? "2024-01-01" : "2023-01-01";
        s.exports.formats = {};
        const double edge = later ? 50 : 100;
        const std::string zones = test::feature(R"({"zid":"A","name":"A"})",
                                                test::rect(0, 0, edge, 100)) +
                                  "," +
                                  test::feature(R"({"zid":"B","name":"B"})",
                                                test::rect(edge, 0, 200, 100));
        const std::string parcels = test::feature(R"({"pid":"Y"})", test::rect(0, 0, 50, 100)) +
                                    "," +
                                    test::feature(R"({"pid":"X"})", test::rect(50, 0, 100, 100)) +
                                    "," +
                                    test::feature(R"({"pid":"W"})", test::rect(100, 0, 200, 100));
        const std::string tag = later ? "after" : "before";
        s.add_layer("zones", {test::vsimem("move_zones_" + tag + ".geojson",
                                           test::feature_collection(31370, zones)),
                              "", "", "zid"});
        s.add_layer("parcels",
                    {test::vsimem("move_parcels.geojson", test::feature_collection(31370, parcels)),
                     "", "", "pid"});
        s.add_layer(
            "buildings",
            {test::vsimem("move_buildings.geojson",
                          test::feature_collection(
                              31370, test::feature(R"({"b":1})", test::rect(110, 10, 190, 90)))),
             "", "", ""});
        s.metric("occupancy").options["free_space"] = false;
        s.metric("occupancy").options["zone_name_field"] = std::string("name");
        return run_study(s);
    };
    const StudyReport before = survey(false);
    const StudyReport after = survey(true);
    const DiffReport d = diff_results(before, after);
    CHECK(match_reconciliation(d.zone_match, true) == "before 2 = reshaped 2");
    const auto a = matrix(d.transitions, "A", "m2");
    CHECK(a.at("vacant").at("vacant") == Approx(5000));
    CHECK(a.at("vacant").at("retired") == Approx(5000));  // X left A
    const auto b = matrix(d.transitions, "B", "m2");
    CHECK(b.at("new").at("vacant") == Approx(5000));  // X joined B
    const auto all = matrix(d.transitions, "ALL", "m2");
    CHECK(all.at("vacant").at("vacant") == Approx(10000));  // X and Y: no land left the zones
    CHECK(all.at("vacant").at("retired") == Approx(0).margin(1e-9));
    CHECK(all.at("new").at("total") == Approx(0).margin(1e-9));
    const auto n = matrix(d.transitions, "ALL", "parcels");
    CHECK(n.at("vacant").at("vacant") == 2);
    CHECK(n.at("vacant").at("retired") == 0);
    const auto s = stock_row(d.stock, "ALL", "vacant");
    CHECK(num(s, "removed_m2") == Approx(0).margin(1e-9));
    CHECK(num(s, "added_m2") == Approx(0).margin(1e-9));
    CHECK(d.max_stock_residual_m2 < 0.01);
}

namespace {

/// The trend row of a zone at a date: field → value.
std::map<std::string, Value> trend_row(const TrendReport& t, const std::string& zone,
                                       const std::string& date) {
    for (const auto& row : t.series.rows) {
        if (value_as_text(row[0]) == zone && value_as_text(row[2]) == date) {
            std::map<std::string, Value> out;
            for (std::size_t c = 0; c < t.series.fields.size(); ++c) {
                out[t.series.fields[c].name] = row[c];
            }
            return out;
        }
    }
    FAIL("no trend row " << zone << " " << date);
    return {};
}

}  // namespace

TEST_CASE("trend: each zone's series over the surveys by hand, bad sets of surveys refused",
          "[diff][trend]") {
    const std::string dir = test::temp_dir("followup_trend");
    const StudyReport before = run_study(followup_survey(dir + "/2023", false));
    const StudyReport after = run_study(followup_survey(dir + "/2024", true));
    // Given newest first: sorted by survey date.
    const TrendReport t = trend_results({&after, &before});
    CHECK(t.dates == std::vector<std::string>{"2023-01-01", "2024-01-01"});
    REQUIRE(t.steps.size() == 1);
    CHECK(t.series.rows.size() == 6);  // Z1, Z2 and all zones at two dates

    // Z1 before: P2 2500 + P3 5000 + P5 5000 vacant; P1 and P4 occupied.
    auto z1 = trend_row(t, "Z1", "2023-01-01");
    CHECK(num(z1, "net_m2") == Approx(20000));
    CHECK(num(z1, "vacant_m2") == Approx(12500));
    CHECK(num(z1, "n_parcels") == 5);
    CHECK(num(z1, "n_vacant") == 3);
    CHECK(std::holds_alternative<std::monostate>(z1.at("taken_up_m2")));
    CHECK(std::holds_alternative<std::monostate>(z1.at("years_of_supply")));
    // Z1 after: P3b 2500 vacant; P2 (2500) and P45 (10,000) underused; 10,000 m² taken up over
    // 365 days: 2500 m² of vacant land lasts 0.25 of that year's take-up. Vacant or underused
    // land taken up (now occupied) is P3 → P3a, 2500 m²: its 15,000 m² last 6 such years.
    const double years = 365.0 / 365.2425;
    z1 = trend_row(t, "Z1", "2024-01-01");
    CHECK(num(z1, "vacant_m2") == Approx(2500));
    CHECK(num(z1, "underused_m2") == Approx(12500));
    CHECK(num(z1, "n_parcels") == 5);
    CHECK(num(z1, "taken_up_m2") == Approx(10000));
    CHECK(num(z1, "released_m2") == Approx(0).margin(1e-9));
    CHECK(num(z1, "takeup_per_year_m2") == Approx(10000 / years));
    CHECK(num(z1, "years_of_supply") == Approx(0.25 * years));
    CHECK(num(z1, "years_of_supply_vacant_underused") == Approx(6.0 * years));
    // Z2: Q1 5000 + Q2 2500 vacant, then Q9 5000 vacant; nothing taken up, so no years.
    CHECK(num(trend_row(t, "Z2", "2023-01-01"), "vacant_m2") == Approx(7500));
    const auto z2 = trend_row(t, "Z2", "2024-01-01");
    CHECK(num(z2, "vacant_m2") == Approx(5000));
    CHECK(num(z2, "taken_up_m2") == Approx(0).margin(1e-9));
    CHECK(std::holds_alternative<std::monostate>(z2.at("years_of_supply")));
    const auto all = trend_row(t, "ALL", "2024-01-01");
    CHECK(num(all, "vacant_m2") == Approx(7500));
    CHECK(num(all, "taken_up_m2") == Approx(10000));
    // Take-up per interval (no issue dates): one row per zone and all zones.
    CHECK(t.takeup.rows.size() == 3);

    // The change category of each match group.
    std::map<std::string, std::string> category;
    const OutputLayer& pc = t.steps[0].parcel_changes;
    for (const auto& row : pc.rows) {
        const std::string ids = value_as_text(row[test::col(pc, "parcel_ids_after")]);
        category[ids.empty() ? value_as_text(row[test::col(pc, "parcel_ids_before")]) : ids] =
            value_as_text(row[test::col(pc, "category")]);
    }
    CHECK(category == std::map<std::string, std::string>{{"P1", "unchanged"},
                                                         {"P2", "built"},
                                                         {"P3a,P3b", "split"},
                                                         {"P45", "merged"},
                                                         {"Q9", "other"},
                                                         {"Q2", "retired"},
                                                         {"Q3", "new"}});

    using Catch::Matchers::Contains;
    CHECK_THROWS_WITH(trend_results({&after}), Contains("at least two surveys, got 1"));
    CHECK_THROWS_WITH(trend_results({&after, &before, &after}),
                      Contains("two surveys have the same date: 2024-01-01"));
    StudyReport other = before;
    other.survey_date = "2022-01-01";
    other.metric_definitions_hash = std::string(64, '0');
    CHECK_THROWS_WITH(trend_results({&before, &after, &other}),
                      Contains("the survey 2022-01-01 ('before') uses other definitions"));
}

TEST_CASE("change categories follow the match class, then the use", "[diff][trend]") {
    using PC = ParcelChange;
    using CC = ChangeCategory;
    CHECK(change_category(PC::added, "", "vacant") == CC::added);
    CHECK(change_category(PC::retired, "occupied", "") == CC::retired);
    CHECK(change_category(PC::split, "underused", "vacant,occupied") == CC::split);
    CHECK(change_category(PC::reparcelled, "vacant", "vacant") == CC::merged);
    CHECK(change_category(PC::unchanged, "vacant", "underused") == CC::built);
    CHECK(change_category(PC::reshaped, "underused", "occupied") == CC::built);
    CHECK(change_category(PC::renumbered, "occupied", "vacant") == CC::vacated);
    CHECK(change_category(PC::unchanged, "occupied", "underused") == CC::other);
    CHECK(change_category(PC::reshaped, "vacant", "vacant") == CC::other);
    CHECK(change_category(PC::unchanged, "vacant", "vacant") == CC::unchanged);
}
