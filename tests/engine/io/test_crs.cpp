#include "test_support.hpp"

#include <spaceuse/crs.hpp>
#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>

#include <catch2/catch.hpp>

using namespace spaceuse;

TEST_CASE("describe_crs classifies CRSs", "[crs]") {
    const CrsInfo lambert = describe_crs("EPSG:31370");
    CHECK(lambert.name == "BD72 / Belgian Lambert 72");
    CHECK(lambert.code == "EPSG:31370");
    CHECK(lambert.projected);
    CHECK(lambert.metric);
    const CrsInfo wgs = describe_crs("EPSG:4326");
    CHECK(wgs.geographic);
    CHECK_FALSE(wgs.metric);
    const CrsInfo merc = describe_crs("EPSG:3857");
    CHECK(merc.projected);
    CHECK_FALSE(merc.metric);
    const CrsInfo feet = describe_crs("EPSG:2229");  // NAD83 / California zone 5 (US ft)
    CHECK(feet.projected);
    CHECK_FALSE(feet.metric);
    CHECK_THROWS_AS(describe_crs("EPSG:999999"), ConfigError);
}

TEST_CASE("Lambert 2008 to Lambert 72 uses PROJ's best operation and names it", "[crs]") {
    const OperationInfo op = describe_operation("EPSG:3812", "EPSG:31370", 4.70, 50.88);
    CHECK_THAT(op.name, Catch::Contains("BD72"));
    CHECK_THAT(op.name, Catch::Contains("Lambert 2008"));
    CHECK(op.accuracy_m >= 0.0);
    CHECK(op.accuracy_m <= 1.0);
    CHECK_FALSE(op.identity);
}

TEST_CASE("a real EPSG:3812 GML layer lands in Lambert 72 next to its neighbours", "[crs][real]") {
    const std::string gml = test::shared_data("flanders_grb/tests_testdata_be_cadastral.xml");
    if (gml.empty()) {
        WARN("skipped: ../shared/data/flanders_grb not found");
        return;
    }
    LoadOptions options;
    options.crs = "EPSG:31370";
    const Model m = load_model({{"p", parse_layer_source(gml), GeometryFamily::polygon}}, options);
    const Layer& layer = *m.find("p");
    CHECK(layer.features.size() == 13);
    CHECK(layer.source_crs.code == "EPSG:3812");
    CHECK_THAT(layer.operation.name, Catch::Contains("BD72"));
    const Box box = layer.extent();
    // Heverlee, in Lambert 72 metres (the file says 672796..672966 in Lambert 2008).
    CHECK(box.min_corner().x() == Approx(172800).margin(200));
    CHECK(box.min_corner().y() == Approx(171400).margin(300));
}
