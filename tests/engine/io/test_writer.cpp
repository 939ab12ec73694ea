#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/output.hpp>

#include <catch2/catch.hpp>
#include <gdal_priv.h>
#include <nlohmann/json.hpp>
#include <ogrsf_frmts.h>

#include <filesystem>
#include <fstream>

using namespace spaceuse;

namespace {

OutputLayer sample_layer() {
    OutputLayer layer;
    layer.name = "things";
    layer.fields = {{"id", FieldType::string}, {"n", FieldType::integer}, {"v", FieldType::real}};
    Polygon sq;
    // Counter-clockwise square in Lambert 72 with a clockwise hole.
    sq.outer() = {{173000, 174000}, {173100, 174000}, {173100, 174100}, {173000, 174100}, {173000, 174000}};
    sq.inners().push_back({{173040, 174040}, {173040, 174060}, {173060, 174060}, {173060, 174040}, {173040, 174040}});
    layer.geometries.emplace_back(MultiPolygon{sq});
    layer.rows.push_back({std::string("a \"quoted\" é"), std::int64_t{3}, 0.5});
    layer.geometries.emplace_back(MultiPoint{Point(173050, 174050)});
    layer.rows.push_back({std::monostate{}, std::monostate{}, std::monostate{}});
    return layer;
}

double signed_ring_area(const nlohmann::json& ring) {
    double s = 0;
    for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
        s += ring[i][0].get<double>() * ring[i + 1][1].get<double>() -
             ring[i + 1][0].get<double>() * ring[i][1].get<double>();
    }
    return s / 2;
}

}  // namespace

TEST_CASE("GeoJSON output follows RFC 7946 and GDAL reads it back", "[io][writer]") {
    const std::string dir = test::temp_dir("writer");
    const std::string path = dir + "/things.geojson";
    const auto stats = write_geojson(sample_layer(), describe_crs("EPSG:31370"), path, {});
    CHECK(stats.features == 2);
    CHECK(stats.full_precision == 0);

    std::ifstream in(path);
    const auto doc = nlohmann::json::parse(in);
    CHECK_FALSE(doc.contains("crs"));
    const auto& poly = doc["features"][0]["geometry"]["coordinates"][0];
    const auto& outer = poly[0];
    CHECK(outer.front() == outer.back());                 // closed
    CHECK(signed_ring_area(outer) > 0);                   // exterior counter-clockwise
    CHECK(signed_ring_area(poly[1]) < 0);                 // hole clockwise
    for (const auto& c : outer) {
        CHECK(c[0].get<double>() >= -180.0);
        CHECK(c[0].get<double>() <= 180.0);
        CHECK(c[1].get<double>() == Approx(50.88).margin(0.05));
        const std::string text = c[0].dump();
        CHECK(text.size() - text.find('.') - 1 <= 7);     // at most 7 decimals
    }
    CHECK(doc["features"][0]["properties"]["id"] == "a \"quoted\" é");
    CHECK(doc["features"][1]["properties"]["n"].is_null());
    CHECK(doc["features"][1]["geometry"]["type"] == "Point");

    GDALAllRegister();
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
    REQUIRE(ds);
    OGRLayer* layer = ds->GetLayer(0);
    CHECK(layer->GetFeatureCount() == 2);
    CHECK(layer->GetLayerDefn()->GetFieldDefn(1)->GetType() == OFTInteger);
}

TEST_CASE("outputs are never overwritten without overwrite, and no temp file is left", "[io][writer]") {
    const std::string dir = test::temp_dir("no_overwrite");
    const std::string path = dir + "/t.csv";
    write_csv(sample_layer(), path, {});
    CHECK_THROWS_AS(write_csv(sample_layer(), path, {}), OutputError);
    WriteOptions o;
    o.overwrite = true;
    write_csv(sample_layer(), path, o);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) {
        ++files;
    }
    CHECK(files == 1);
    std::ifstream in(path);
    std::string header;
    std::getline(in, header);
    CHECK(header == "id,n,v");
    std::string row;
    std::getline(in, row);
    CHECK(row == "\"a \"\"quoted\"\" é\",3,0.50");
}

TEST_CASE("a feature that rounding would make invalid keeps full precision", "[io][writer]") {
    // A sliver whose two long edges collapse onto each other at 7 decimals in WGS84.
    OutputLayer layer;
    layer.name = "sliver";
    layer.fields = {{"id", FieldType::integer}};
    Polygon p;
    p.outer() = {{173000, 174000}, {173100, 174000}, {173100, 174000.001}, {173000, 174000.0012}, {173000, 174000}};
    layer.geometries.emplace_back(MultiPolygon{p});
    layer.rows.push_back({std::int64_t{1}});
    const std::string dir = test::temp_dir("sliver");
    const auto stats = write_geojson(layer, describe_crs("EPSG:31370"), dir + "/s.geojson", {});
    CHECK(stats.full_precision == 1);
}
