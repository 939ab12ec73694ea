#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>

#include <catch2/catch.hpp>

using namespace spaceuse;

TEST_CASE("real bad inputs give a clear InputError or a usable report, never a crash",
          "[io][real]") {
    if (test::shared_data("bad_inputs").empty()) {
        WARN("skipped: ../shared/data/bad_inputs not found");
        return;
    }
    struct Case {
        const char* path;
        bool readable;
        const char* message;  // expected part of the error, when unreadable
    };
    const Case cases[] = {
        {"bad_inputs/flanders_road_registry/point.shp", false, ".shx"},
        {"bad_inputs/flanders_road_registry/dbf-more-than-shp/eWegknoop.shp", false, ".shx"},
        {"bad_inputs/shapefile-js_testdata/bad.shp", false, "cannot open"},
        {"bad_inputs/pyshp_shapefiles/blockgroups.shp", true, ""},
        {"bad_inputs/mbostock_shapefile_test/null.shp", true, ""},
        {"bad_inputs/fiona_testdata/test_tin.shp", true, ""},
        {"bad_inputs/shapefile-js_testdata/codepage.shp", true, ""},
        {"bad_inputs/flanders_road_registry/valid-before/iWegsegment.shp", true, ""},
    };
    for (const auto& c : cases) {
        const std::string path = test::shared_data(c.path);
        INFO(c.path);
        REQUIRE_FALSE(path.empty());
        if (c.readable) {
            const auto layers = inspect_source(parse_layer_source(path));
            CHECK(layers.size() == 1);
        } else {
            try {
                inspect_source(parse_layer_source(path));
                FAIL("no error");
            } catch (const InputError& e) {
                CHECK_THAT(e.what(), Catch::Contains(c.message));
                CHECK_THAT(e.what(), Catch::Contains(path));
            }
        }
    }
    // Null shapes are counted, and mbostock's null.shp has some.
    const auto nulls = inspect_source(
        parse_layer_source(test::shared_data("bad_inputs/mbostock_shapefile_test/null.shp")));
    CHECK(nulls[0].null_geometries > 0);
}

TEST_CASE("Swellendam farms: 16 invalid polygons are counted and repaired, none dropped",
          "[io][real]") {
    const std::string path = test::shared_data("swellendam/projected_data/farms_33S.shp");
    if (path.empty()) {
        WARN("skipped: ../shared/data/swellendam not found");
        return;
    }
    const auto info = inspect_source(parse_layer_source(path));
    CHECK(info[0].feature_count == 2008);
    CHECK(info[0].invalid_geometries == 16);
    const Model m = load_model({{"farms", parse_layer_source(path), GeometryFamily::polygon}}, {});
    const auto& r = m.find("farms")->report;
    CHECK(r.read == 2008);
    CHECK(r.repaired == 16);
    CHECK(r.read == r.kept + r.rejected);
}
