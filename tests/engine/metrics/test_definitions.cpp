#include "test_support.hpp"

#include <spaceuse/definitions.hpp>
#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/metrics.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <initializer_list>

using namespace spaceuse;
using namespace spaceuse::test;

namespace {

Definition shipped(const std::string& name, bool status_field = false) {
    return find_definition(name, default_profile_dirs(), status_field);
}

/// Facts by name; every other fact unknown.
std::vector<FactValue> facts(std::initializer_list<std::pair<const char*, FactValue>> given) {
    const auto& all = definition_facts();
    std::vector<FactValue> out(all.size());
    for (const auto& [name, value] : given) {
        bool found = false;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (all[i].name == name) {
                out[i] = value;
                found = true;
            }
        }
        REQUIRE(found);
    }
    return out;
}

/// The class a definition gives, or "needs FACT".
std::string class_of(const Definition& d, const std::vector<FactValue>& f) {
    const Classification c = classify(d, f);
    if (!c.cls) {
        return "needs " + definition_facts()[c.missing_fact].name;
    }
    return d.classes[*c.cls].name;
}

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
}

}  // namespace

TEST_CASE("definitions: Oregon OAR 660-038 at its thresholds", "[definitions]") {
    const Definition d = shipped("oar660-038");
    auto value = [&](double iv, double lv, double area = 1000, double free = 0) {
        return class_of(d, facts({{"values_mapped", true},
                                  {"improvement_value", iv},
                                  {"land_value", lv},
                                  {"improvement_ratio", iv / lv},
                                  {"area_m2", area},
                                  {"free_m2", free},
                                  {"coverage", 0.5}}));
    };
    // IV below $5,000: vacant whatever the ratio.
    CHECK(value(4999.99, 10000) == "vacant");
    CHECK(value(5000, 10000) == "developed");  // ratio 0.5
    // IV/LV <= 5 % vacant, < 40 % partially vacant, >= 40 % developed.
    CHECK(value(5000, 100000) == "vacant");  // 0.05 exactly
    CHECK(value(5000, 100001) == "vacant");  // just below 5 %
    CHECK(value(5001, 100000) == "partially_vacant");
    CHECK(value(39999, 100000) == "partially_vacant");
    CHECK(value(40000, 100000) == "developed");  // 0.40 exactly
    CHECK(value(40001, 100000) == "developed");
    // A lot over 1 acre with 1/2 acre unimproved: partially vacant even when developed by value.
    CHECK(value(90000, 100000, 4046.86, 3000) == "developed");  // 1 acre, not over
    CHECK(value(90000, 100000, 4046.87, 2023.43) == "partially_vacant");
    CHECK(value(90000, 100000, 4046.87, 2023.42) == "developed");
    // Values mapped but missing on the parcel: never a guess.
    CHECK(class_of(d, facts({{"values_mapped", true}, {"improvement_value", 6000.0}})) ==
          "needs improvement_ratio");
    // Without value fields: spaceuse's own lot-coverage variant.
    auto cover = [&](double coverage) {
        return class_of(d, facts({{"values_mapped", false},
                                  {"coverage", coverage},
                                  {"area_m2", 1000.0},
                                  {"free_m2", 0.0}}));
    };
    CHECK(cover(0.0499) == "vacant");
    CHECK(cover(0.05) == "partially_vacant");
    CHECK(cover(0.2499) == "partially_vacant");
    CHECK(cover(0.25) == "developed");
    CHECK(d.classes[0].level == Level::available);
    CHECK(d.classes[1].level == Level::partly_available);
    CHECK(d.classes[2].level == Level::not_available);
}

TEST_CASE("definitions: Metro RLIS at its thresholds", "[definitions]") {
    const Definition d = shipped("metro-rlis");
    auto c = [&](double buildings, FactValue in_use, double largest_free) {
        return class_of(d, facts({{"n_buildings", buildings},
                                  {"in_use", std::move(in_use)},
                                  {"largest_free_m2", largest_free}}));
    };
    CHECK(c(0, false, 0) == "vacant");
    CHECK(c(0, true, 2023.43) == "partially_vacant");  // in use (a yard) with a free 1/2 acre
    CHECK(c(0, true, 2023.42) == "developed");
    CHECK(c(1, false, 2023.44) == "partially_vacant");
    CHECK(c(1, false, 2023.42) == "developed");
    CHECK(c(1, FactValue(), 10) == "developed");  // a building: no need to know the use
    CHECK(c(0, FactValue(), 10) == "needs in_use");
}

TEST_CASE("definitions: VLAIO inventory, built binary and in use", "[definitions]") {
    const Definition d = shipped("vlaio");
    CHECK(d.main_building_m2 == 50.0);
    auto c = [&](double main, FactValue addressed, FactValue in_use, FactValue offer) {
        return class_of(d, facts({{"n_main_buildings", main},
                                  {"n_addressed_buildings", std::move(addressed)},
                                  {"in_use", std::move(in_use)},
                                  {"offer", std::move(offer)}}));
    };
    CHECK(c(1, 0.0, true, FactValue()) == "built_in_use");
    CHECK(c(1, FactValue(), false, FactValue()) == "built_not_in_use");
    CHECK(c(0, 1.0, true, FactValue()) == "built_in_use");  // an annex with its own address
    CHECK(c(0, 1.0, false, FactValue()) == "built_not_in_use");
    CHECK(c(0, 0.0, true, FactValue()) == "unbuilt_in_use");  // storage, parking
    CHECK(c(0, 0.0, false, std::string("option")) == "unbuilt_option");
    CHECK(c(0, 0.0, false, std::string("offered")) == "unbuilt_not_in_use");
    CHECK(c(0, 0.0, false, std::string("not offered")) == "unbuilt_not_in_use");
    CHECK(c(0, FactValue(), true, FactValue()) == "needs n_addressed_buildings");
    CHECK(c(1, 0.0, FactValue(), FactValue()) == "needs in_use");
}

TEST_CASE("definitions: IBIS issuance by owner", "[definitions]") {
    const Definition d = shipped("ibis");
    auto c = [&](FactValue issued, FactValue now, FactValue owner) {
        return class_of(d, facts({{"issued", std::move(issued)},
                                  {"issuable_now", std::move(now)},
                                  {"owner", std::move(owner)}}));
    };
    CHECK(c(true, FactValue(), FactValue()) == "issued");
    CHECK(c(false, true, std::string("public")) == "issuable_now_public");
    CHECK(c(false, true, std::string("private")) == "issuable_now_private");
    CHECK(c(false, false, std::string("public")) == "issuable_later_public");
    CHECK(c(false, false, std::string("private")) == "issuable_later_private");
    CHECK(c(FactValue(), true, std::string("public")) == "needs issued");
    CHECK(c(false, true, FactValue()) == "needs owner");
}

TEST_CASE("definitions: Flemish vacancy decree of 1995 at its thresholds", "[definitions]") {
    const Definition d = shipped("leegstand1995");
    auto c = [&](double buildings, double area, FactValue share) {
        return class_of(d, facts({{"n_buildings", buildings},
                                  {"area_m2", area},
                                  {"vacant_floor_share", std::move(share)}}));
    };
    CHECK(c(0, 5000, FactValue()) == "no_premises");
    CHECK(c(1, 499.99, 0.9) == "below_500m2");
    CHECK(c(1, 500, 0.5) == "vacant_premises");
    CHECK(c(1, 500, 0.4999) == "used_premises");
    CHECK(c(1, 500.01, 0.5001) == "vacant_premises");
    CHECK(c(1, 800, FactValue()) == "needs vacant_floor_share");
}

TEST_CASE("definitions: an occupancy profile reads as its thresholds", "[definitions]") {
    const Definition d = shipped("default", true);
    CHECK(d.from_thresholds);
    auto c = [&](double coverage, const std::string& status) {
        return class_of(d, facts({{"coverage", coverage}, {"status_value", status}}));
    };
    CHECK(c(0.0499, "") == "vacant");
    CHECK(c(0.05, "") == "underused");
    CHECK(c(0.2999, "") == "underused");
    CHECK(c(0.30, "") == "occupied");
    CHECK(c(0.9, "not_issued") == "vacant");
    CHECK(c(0.0, "in_use") == "occupied");
    CHECK(c(0.0, "reserved") == "underused");
    // Without a status field there are no status rules.
    CHECK(class_of(shipped("default", false), facts({{"coverage", 0.9}})) == "occupied");
}

TEST_CASE("definitions: an unknown fact matters only when the class depends on it",
          "[definitions]") {
    const std::string dir = temp_dir("definitions_undecided");
    const Definition d = load_definition_file(
        write_file(dir, "two.toml",
                   "[[classes]]\nname = \"free\"\nlevel = \"available\"\n"
                   "[[classes]]\nname = \"used\"\nlevel = \"not available\"\n"
                   "[[rules]]\nname = \"unused\"\nclass = \"free\"\nwhen = [\"in_use == false\"]\n"
                   "[[rules]]\nname = \"empty\"\nclass = \"free\"\nwhen = [\"coverage < 0.5\"]\n"
                   "[[rules]]\nname = \"rest\"\nclass = \"used\"\n"),
        false);
    // Use unknown: free either way when coverage is low; undecided when it is high.
    CHECK(class_of(d, facts({{"coverage", 0.1}})) == "free");
    CHECK(class_of(d, facts({{"coverage", 0.9}})) == "needs in_use");
    CHECK(class_of(d, facts({{"coverage", 0.9}, {"in_use", false}})) == "free");
    CHECK(class_of(d, facts({{"coverage", 0.9}, {"in_use", true}})) == "used");
    const Classification c = classify(d, facts({{"coverage", 0.1}}));
    CHECK(c.rule == 1);  // the rule that certainly holds
}

TEST_CASE("definitions: bad rule sets are one-line errors naming file, rule and reason",
          "[definitions]") {
    const std::string dir = temp_dir("definitions_bad");
    const std::string head = "[[classes]]\nname = \"free\"\nlevel = \"available\"\n"
                             "[[classes]]\nname = \"used\"\nlevel = \"not available\"\n";
    auto error = [&](const std::string& name, const std::string& body) {
        const std::string path = write_file(dir, name + ".toml", body);
        try {
            (void)load_definition_file(path, false);
        } catch (const ConfigError& e) {
            const std::string what = e.what();
            CHECK(what.find(path) != std::string::npos);
            CHECK(what.find('\n') == std::string::npos);
            return what;
        }
        FAIL("no error for " << name);
        return std::string();
    };
    CHECK_THAT(error("fact", head + "[[rules]]\nname = \"r\"\nclass = \"free\"\n"
                                    "when = [\"covrage < 0.1\"]\n[[rules]]\nclass = \"used\"\n"),
               Catch::Contains("rule 1 (r): unknown fact 'covrage'"));
    CHECK_THAT(error("class", head + "[[rules]]\nclass = \"empty\"\n"),
               Catch::Contains("rule 1: unknown class 'empty' (declared: free, used)"));
    CHECK_THAT(
        error("after", head + "[[rules]]\nname = \"all\"\nclass = \"free\"\n[[rules]]\n"
                              "name = \"never\"\nclass = \"used\"\nwhen = [\"coverage > 0.5\"]\n"),
        Catch::Contains("rule 2 (never) follows rule 1 (all), which always holds"));
    CHECK_THAT(error("level", "[[classes]]\nname = \"free\"\n[[rules]]\nclass = \"free\"\n"),
               Catch::Contains("class 'free' has no level"));
    CHECK_THAT(error("badlevel", "[[classes]]\nname = \"free\"\nlevel = \"maybe\"\n"),
               Catch::Contains("level 'maybe'"));
    CHECK_THAT(error("type", head + "[[rules]]\nclass = \"free\"\nwhen = [\"in_use < 1\"]\n"
                                    "[[rules]]\nclass = \"used\"\n"),
               Catch::Contains("in_use is true or false"));
    CHECK_THAT(error("text", head + "[[rules]]\nclass = \"free\"\nwhen = [\"owner == public\"]\n"
                                    "[[rules]]\nclass = \"used\"\n"),
               Catch::Contains("quote the value"));
    CHECK_THAT(error("last", head + "[[rules]]\nname = \"cov\"\nclass = \"free\"\n"
                                    "when = [\"coverage < 0.1\"]\n"),
               Catch::Contains("the last rule (cov) must always hold"));
    CHECK_THAT(error("field", head + "[fields]\nimprovment_value = \"iv\"\n[[rules]]\n"
                                     "class = \"free\"\n"),
               Catch::Contains("[fields] improvment_value is unknown"));
    CHECK_THAT(error("key", "vacant_below = 0.1\n" + head + "[[rules]]\nclass = \"free\"\n"),
               Catch::Contains("key 'vacant_below' is unknown in a rule set"));
    // A rule set is not an occupancy profile.
    CHECK_THROWS_WITH(find_profile("vlaio", default_profile_dirs()),
                      Catch::Contains("is a definition (a rule set"));
}

TEST_CASE("definitions metric: facts, tables and the disagreement matrix on a hand fixture",
          "[definitions]") {
    // Zone 0..100 x 0..100. Parcels:
    //   A 0..50 x 0..50   building 10..20 x 10..15 (50 m²: a main building at 50), in use
    //   B 50..100 x 0..50 building 60..70 x 10..14.9 (49 m²: an annex, no address), in use
    //   C 0..100 x 50..100 no building (a 0.5 m² sliver of one), not in use, offered
    // default (thresholds): A 2 %, B 1.96 %, C 0 % coverage: all vacant (available).
    // vlaio: A built_in_use (not available), B unbuilt_in_use (partly), C unbuilt_not_in_use.
    const std::string zones = feature_collection(31370,
                                                 feature(R"({"zid":"Z1"})", rect(0, 0, 100, 100)));
    const std::string parcels = feature_collection(
        31370,
        feature(R"({"pid":"A","use":1,"offer":"not offered","lv":1.5})", rect(0, 0, 50, 50)) + "," +
            feature(R"({"pid":"B","use":1,"offer":"not offered","lv":2.5})", rect(50, 0, 100, 50)) +
            "," +
            feature(R"({"pid":"C","use":0,"offer":"offered","lv":3.5})", rect(0, 50, 100, 100)));
    const std::string buildings = feature_collection(
        31370, feature(R"({"addr":0})", rect(10, 10, 20, 15)) + "," +
                   feature(R"({"addr":0})", rect(60, 10, 70, 14.9)) + "," +
                   // A sliver of an addressed building across C's edge: 0.5 m² inside C, under
                   // vlaio's min_building_part_m2 (1 m²), so not a building of C.
                   feature(R"({"addr":1})", rect(99.5, 60, 100.5, 61)));
    LayerSource z = parse_layer_source(vsimem("def_zones.geojson", zones));
    z.id_field = "zid";
    LayerSource p = parse_layer_source(vsimem("def_parcels.geojson", parcels));
    p.id_field = "pid";
    LayerSource b = parse_layer_source(vsimem("def_buildings.geojson", buildings));
    auto model = std::make_shared<const Model>(
        load_model({{"zones", z, GeometryFamily::polygon},
                    {"parcels", p, GeometryFamily::polygon},
                    {"buildings", b, GeometryFamily::polygon}},
                   {}));
    MetricRegistry registry;
    register_builtin_metrics(registry);
    const std::vector<std::string> fields = {"in_use=use", "offer=offer", "own_address=addr"};
    const MetricResult r = run_metric(
        registry, "definitions", model,
        {{"profiles", std::vector<std::string>{"default", "vlaio"}}, {"fields", fields}});
    REQUIRE(r.layers.size() == 4);
    const OutputLayer& pl = r.layers[0];
    REQUIRE(pl.name == "parcel_definitions");
    REQUIRE(pl.rows.size() == 3);
    auto text = [](const Value& v) { return std::get<std::string>(v); };
    const std::size_t vc = col(pl, "vlaio_class");
    const std::size_t dc = col(pl, "default_class");
    CHECK(text(pl.rows[0][vc]) == "built_in_use");
    CHECK(text(pl.rows[1][vc]) == "unbuilt_in_use");
    CHECK(text(pl.rows[2][vc]) == "unbuilt_not_in_use");
    CHECK(text(pl.rows[0][col(pl, "vlaio_rule")]) == "built_in_use");
    CHECK(text(pl.rows[0][col(pl, "vlaio_level")]) == "not available");
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(text(pl.rows[i][dc]) == "vacant");
    }
    CHECK(std::get<std::int64_t>(pl.rows[0][col(pl, "n_levels")]) == 2);
    CHECK(std::get<std::int64_t>(pl.rows[2][col(pl, "n_levels")]) == 1);

    // The matrix: A and B (2,500 m² each) on different levels; symmetric, zero diagonal.
    const OutputLayer& mt = r.layers[3];
    REQUIRE(mt.name == "definition_matrix");
    REQUIRE(mt.rows.size() == 4);
    CHECK(std::get<double>(mt.rows[0][2]) == 0.0);
    CHECK(std::get<double>(mt.rows[1][2]) == Approx(5000.0));
    CHECK(std::get<std::int64_t>(mt.rows[1][3]) == 2);
    CHECK(std::get<double>(mt.rows[2][2]) == Approx(5000.0));
    CHECK(std::get<double>(mt.rows[3][2]) == 0.0);

    // Levels for the zone and ALL: vlaio 5,000 available, 2,500 partly, 2,500 not available.
    const OutputLayer& lt = r.layers[2];
    REQUIRE(lt.name == "definition_levels");
    REQUIRE(lt.rows.size() == 4);  // Z1 x 2, ALL x 2
    const auto& vlaio_all = lt.rows[3];
    CHECK(text(vlaio_all[0]) == "ALL");
    CHECK(text(vlaio_all[2]) == "vlaio");
    CHECK(std::get<double>(vlaio_all[3]) == Approx(10000.0));  // gross
    CHECK(std::get<double>(vlaio_all[5]) == Approx(5000.0));
    CHECK(std::get<double>(vlaio_all[6]) == Approx(2500.0));
    CHECK(std::get<double>(vlaio_all[7]) == Approx(2500.0));
    CHECK(std::get<double>(vlaio_all[8]) == 0.0);
    const auto& default_all = lt.rows[2];
    CHECK(std::get<double>(default_all[5]) == Approx(10000.0));

    // The disagreements: A and B, on two levels each.
    CHECK(std::get<std::int64_t>(pl.rows[1][col(pl, "n_levels")]) == 2);

    // Without the address field the annex cannot be decided: B is not computable under vlaio.
    const MetricResult r2 = run_metric(
        registry, "definitions", model,
        {{"profiles", std::vector<std::string>{"vlaio"}},
         {"fields", std::vector<std::string>{"in_use=use", "offer=offer"}}});
    CHECK(text(r2.layers[0].rows[0][col(r2.layers[0], "vlaio_class")]) == "built_in_use");
    CHECK(std::holds_alternative<std::monostate>(
        r2.layers[0].rows[1][col(r2.layers[0], "vlaio_class")]));
    CHECK(text(r2.layers[0].rows[1][col(r2.layers[0], "vlaio_rule")]) ==
          "not computable: needs n_addressed_buildings");
    CHECK(std::get<std::int64_t>(r2.layers[2].rows[1][12]) == 2);  // ALL: B and C not computable

    // A mapped field the layer lacks.
    CHECK_THROWS_WITH(run_metric(registry, "definitions", model,
                                 {{"profiles", std::vector<std::string>{"vlaio"}},
                                  {"fields", std::vector<std::string>{"in_use=nope"}}}),
                      Catch::Contains("fields: in_use=nope (profile vlaio): the parcels layer has "
                                      "no such field (fields: pid, use, offer, lv)"));

    // Free-space parameters of its own: the definition computes its own usable free space and
    // says so. A with no setback keeps 2,450 m² in one piece (>= 2,400); with the run's 5 m
    // setback and 15 m width the strips beside the building drop out (< 2,400).
    const std::string dir = temp_dir("definitions_own_free");
    const std::string own = write_file(
        dir, "roomy.toml",
        "setback_m = 0.0\nmin_free_area_m2 = 100.0\nmin_free_width_m = 5.0\n"
        "[[classes]]\nname = \"big\"\nlevel = \"available\"\n"
        "[[classes]]\nname = \"small\"\nlevel = \"not available\"\n"
        "[[rules]]\nclass = \"big\"\nwhen = [\"largest_free_m2 >= 2400\"]\n"
        "[[rules]]\nclass = \"small\"\n");
    const std::string same = write_file(
        dir, "strict.toml",
        "[[classes]]\nname = \"big\"\nlevel = \"available\"\n"
        "[[classes]]\nname = \"small\"\nlevel = \"not available\"\n"
        "[[rules]]\nclass = \"big\"\nwhen = [\"largest_free_m2 >= 2400\"]\n"
        "[[rules]]\nclass = \"small\"\n");
    const MetricResult r3 = run_metric(registry, "definitions", model,
                                       {{"profiles", std::vector<std::string>{own, same}}});
    const OutputLayer& p3 = r3.layers[0];
    CHECK(text(p3.rows[0][col(p3, "roomy_class")]) == "big");
    CHECK(text(p3.rows[0][col(p3, "strict_class")]) == "small");
    const auto& notes = *std::any_cast<std::shared_ptr<const nlohmann::json>>(r3.data);
    CHECK(notes[0]["own_free_space"] == true);
    CHECK(notes[1]["own_free_space"] == false);

    // A mapped field of the wrong type: one line naming the profile file and the field.
    CHECK_THROWS_WITH(run_metric(registry, "definitions", model,
                                 {{"profiles", std::vector<std::string>{"vlaio"}},
                                  {"fields", std::vector<std::string>{"in_use=lv"}}}),
                      Catch::Contains("fields: in_use=lv (profile vlaio): the field is real, "
                                      "in_use needs a flag"));
    // Mapped in the profile file itself: the error names the file.
    const std::string typed = write_file(
        dir, "typed.toml",
        "[fields]\nin_use = \"lv\"\n[[classes]]\nname = \"used\"\nlevel = \"not available\"\n"
        "[[rules]]\nclass = \"used\"\n");
    CHECK_THROWS_WITH(
        run_metric(registry, "definitions", model, {{"profiles", std::vector<std::string>{typed}}}),
        Catch::Contains("typed.toml: [fields] in_use = \"lv\": the field is real"));

    // The occupancy profile read as rules takes the run's overrides: with vacant_below 0.01, A
    // (2 % built) is underused under `default`, as its status is.
    const MetricResult r4 = run_metric(registry, "definitions", model,
                                       {{"profiles", std::vector<std::string>{"default"}}}, 0,
                                       {{"occupancy", {{"vacant_below", 0.01}}}});
    CHECK(text(r4.layers[0].rows[0][col(r4.layers[0], "default_class")]) == "underused");
    CHECK(text(r4.layers[0].rows[2][col(r4.layers[0], "default_class")]) == "vacant");
}
