// The snapshot (spaceuse.gpkg): reopened, it gives the run's result layers value for value and
// draws the same documents, byte for byte, without the inputs.

#include "../../../engine/src/study/plan.hpp"
#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/occupancy.hpp>
#include <spaceuse/render.hpp>
#include <spaceuse/study.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace spaceuse;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Coordinates of a geometry, flattened (x, y, x, y...), with a part marker between parts.
std::vector<double> coordinates(const Geometry& g) {
    std::vector<double> out;
    auto add = [&out](const auto& points) {
        for (const auto& p : points) {
            out.push_back(p.x());
            out.push_back(p.y());
        }
        out.push_back(1e300);
    };
    if (const auto* mp = std::get_if<MultiPolygon>(&g)) {
        for (const auto& poly : *mp) {
            add(poly.outer());
            for (const auto& r : poly.inners()) {
                add(r);
            }
        }
    } else if (const auto* ml = std::get_if<MultiLineString>(&g)) {
        for (const auto& l : *ml) {
            add(l);
        }
    } else {
        add(std::get<MultiPoint>(g));
    }
    return out;
}

void check_same_layer(const OutputLayer& run, const OutputLayer& reopened) {
    INFO("layer " << run.name);
    CHECK(reopened.name == run.name);
    REQUIRE(reopened.fields.size() == run.fields.size());
    for (std::size_t f = 0; f < run.fields.size(); ++f) {
        CHECK(reopened.fields[f].name == run.fields[f].name);
        CHECK(reopened.fields[f].type == run.fields[f].type);
        CHECK(reopened.fields[f].decimals == run.fields[f].decimals);
    }
    REQUIRE(reopened.rows.size() == run.rows.size());
    CHECK(reopened.rows == run.rows);
    CHECK(reopened.has_geometry() == run.has_geometry());
    if (run.has_geometry()) {
        for (std::size_t r = 0; r < run.rows.size(); ++r) {
            INFO("row " << r);
            CHECK(reopened.geometry(r).index() == run.geometry(r).index());
            CHECK(coordinates(reopened.geometry(r)) == coordinates(run.geometry(r)));
        }
    }
}

}  // namespace

TEST_CASE("a reopened snapshot gives the run's result layers value for value",
          "[study][snapshot][sample]") {
    const std::string dir = test::temp_dir("snapshot_sample");
    Study study = load_project(std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.toml");
    study.output_dir = dir + "/results";
    const StudyReport run = run_study(study);
    CHECK(run.snapshot_path == dir + "/results/spaceuse.gpkg");

    const StudyReport reopened = open_results(dir + "/results");
    CHECK(reopened.name == "Heverlee business zones (sample)");
    CHECK(reopened.definitions_hash == run.definitions_hash);
    CHECK(reopened.crs.code == "EPSG:31370");
    CHECK(reopened.crs.wkt == run.crs.wkt);
    CHECK(reopened.data_date == "2024-06-01");
    CHECK(reopened.sources == run.sources);
    CHECK(reopened.sources.find("© OpenStreetMap contributors") != std::string::npos);
    CHECK(reopened.manifest == read_bytes(dir + "/results/run.json"));
    CHECK(reopened.computed == run.computed);
    REQUIRE(reopened.results.size() == run.results.size());
    for (std::size_t i = 0; i < run.results.size(); ++i) {
        check_same_layer(run.results[i], reopened.results[i]);
        // The run's parcels and access rows are views of the metrics' results; the reopened
        // ones are stored: equal value for value above.
        const bool view = run.results[i].name == "parcels" || run.results[i].name == "access";
        CHECK(run.results[i].rows.is_view() == view);
        CHECK_FALSE(reopened.results[i].rows.is_view());
    }
    // The run's free_space layer borrows the pieces' geometries from occupancy's result (the
    // same objects, not copies); the reopened one holds them: equal coordinate for coordinate.
    const auto occupancy = run.result<OccupancyResult>("occupancy");
    REQUIRE(occupancy != nullptr);
    const auto fs = std::find_if(run.results.begin(), run.results.end(),
                                 [](const OutputLayer& l) { return l.name == "free_space"; });
    REQUIRE(fs != run.results.end());
    REQUIRE(fs->rows.size() == occupancy->free_pieces.size());
    REQUIRE(fs->rows.size() > 10);
    CHECK(fs->geometry_at);
    CHECK(fs->geometries.empty());
    for (std::size_t r = 0; r < fs->rows.size(); ++r) {
        CHECK(&fs->geometry(r) == &occupancy->free_pieces[r].geometry);
    }
    REQUIRE(reopened.tables.size() == run.tables.size());
    for (const auto& [name, table] : run.tables) {
        REQUIRE(reopened.table(name) != nullptr);
        check_same_layer(table, *reopened.table(name));
    }
    // The options, typed again from the manifest.
    REQUIRE(reopened.options.count("access") == 1);
    CHECK(reopened.options.at("access").values() == run.options.at("access").values());
    CHECK(reopened.options.at("occupancy").values() == run.options.at("occupancy").values());
    // The inputs as the run counted them.
    REQUIRE(reopened.layers.size() == run.layers.size());
    for (std::size_t i = 0; i < run.layers.size(); ++i) {
        CHECK(reopened.layers[i].role == run.layers[i].role);
        CHECK(reopened.layers[i].report.read == run.layers[i].report.read);
        CHECK(reopened.layers[i].report.kept == run.layers[i].report.kept);
    }
    // The context layers the documents draw, as loaded.
    for (const char* name : {"zones", "buildings", "roads", "facilities"}) {
        INFO(name);
        const Layer* a = run.model->find(name);
        const Layer* b = reopened.model->find(name);
        REQUIRE(a != nullptr);
        REQUIRE(b != nullptr);
        CHECK(b->family == a->family);
        REQUIRE(b->features.size() == a->features.size());
        REQUIRE(b->fields.size() == a->fields.size());
        for (std::size_t i = 0; i < a->features.size(); ++i) {
            CHECK(b->features[i].fid == a->features[i].fid);
            CHECK(b->features[i].id == a->features[i].id);
            CHECK(b->features[i].attributes == a->features[i].attributes);
            CHECK(coordinates(b->features[i].geometry) == coordinates(a->features[i].geometry));
        }
    }
    // The parcels' attributes, without geometries (the parcels result layer holds those).
    const Layer* pa = run.model->find("parcels");
    const Layer* pb = reopened.model->find("parcels");
    REQUIRE(pb != nullptr);
    REQUIRE(pb->features.size() == pa->features.size());
    REQUIRE(pb->fields.size() == pa->fields.size());
    for (std::size_t i = 0; i < pa->features.size(); ++i) {
        CHECK(pb->features[i].fid == pa->features[i].fid);
        CHECK(pb->features[i].id == pa->features[i].id);
        CHECK(pb->features[i].attributes == pa->features[i].attributes);
        CHECK(std::get<MultiPolygon>(pb->features[i].geometry).empty());
    }

    // The run's documents, drawn again from the snapshot: the same bytes.
    WriteOptions w;
    render_report(reopened, ReportOptions{}, dir + "/report.pdf", w);
    CHECK(read_bytes(dir + "/report.pdf") == read_bytes(dir + "/results/report.pdf"));
    MapOptions mo;
    render_map(reopened, mo, dir + "/map.png", w);
    CHECK(read_bytes(dir + "/map.png") == read_bytes(dir + "/results/map.png"));
    write_viewer(reopened, ViewOptions{}, dir + "/viewer.html", w);
    CHECK(read_bytes(dir + "/viewer.html") == read_bytes(dir + "/results/viewer.html"));
    // The GeoPackage itself opens the same.
    CHECK(open_results(dir + "/results/spaceuse.gpkg").results.size() == run.results.size());
}

TEST_CASE("open_results names what is wrong with a path that holds no snapshot",
          "[study][snapshot]") {
    const std::string dir = test::temp_dir("snapshot_errors");
    CHECK_THROWS_WITH(open_results(dir),
                      Catch::Contains("no spaceuse results here (spaceuse.gpkg not found"));
    CHECK_THROWS_AS(open_results(dir), InputError);
    // The sample's input GeoPackage is not a snapshot.
    CHECK_THROWS_WITH(open_results(std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.gpkg"),
                      Catch::Contains("not a spaceuse snapshot"));
}

TEST_CASE("the snapshot keeps context fields whose names the GeoPackage takes",
          "[study][snapshot]") {
    const std::string dir = test::temp_dir("snapshot_fields");
    // Zones with a "fid" and a "geom" attribute, and a date.
    const std::string zones = test::vsimem(
        "snapshot_zones.geojson",
        test::feature_collection(
            31370, test::feature(R"({"zone_id":"Z1","fid":"x7","geom":3,"surveyed":"2024-05-01"})",
                                 test::rect(0, 0, 100, 100))));
    const std::string parcels = test::vsimem(
        "snapshot_parcels.geojson",
        test::feature_collection(
            31370, test::feature(R"({"parcel_id":"P1"})", test::rect(10, 10, 50, 50))));
    const std::string buildings = test::vsimem(
        "snapshot_buildings.geojson",
        test::feature_collection(31370, test::feature(R"({"b":1})", test::rect(20, 20, 30, 30))));
    Study study;
    study.output_dir = dir + "/results";
    study.add_layer("zones", {zones, "", "", "zone_id"});
    study.add_layer("parcels", {parcels, "", "", "parcel_id"});
    study.add_layer("buildings", {buildings, "", "", ""});
    study.metric("occupancy");
    const StudyReport run = run_study(study);
    const StudyReport reopened = open_results(study.output_dir);
    const Layer* a = run.model->find("zones");
    const Layer* b = reopened.model->find("zones");
    REQUIRE(b != nullptr);
    REQUIRE(b->fields.size() == a->fields.size());
    for (std::size_t i = 0; i < a->fields.size(); ++i) {
        CHECK(b->fields[i].name == a->fields[i].name);
        CHECK(b->fields[i].type == a->fields[i].type);
    }
    CHECK(b->features.at(0).attributes == a->features.at(0).attributes);
    CHECK(b->features.at(0).id == "Z1");
    // The reader kept all four attributes, one of them a date.
    REQUIRE(a->fields.size() == 4);
    CHECK(a->field_index("fid").has_value());
    CHECK(a->field_index("geom").has_value());
    // Reopened layers and tables.
    CHECK(reopened.results.size() == run.results.size());
    CHECK(reopened.table("summary") != nullptr);
}

TEST_CASE("a result value of another type than its field is reported, not written",
          "[study][snapshot]") {
    OutputLayer l;
    l.name = "parcels";
    l.fields = {{"parcel_id", FieldType::string, -1}, {"area_m2", FieldType::real, -1}};
    l.rows = {{std::string("P1"), 12.5}, {std::string("P2"), std::monostate{}}};
    CHECK(detail::check_value_types(l).empty());
    l.rows.push_back({std::string("P3"), std::int64_t{12}});
    CHECK(detail::check_value_types(l) ==
          "layer 'parcels' row 3 field 'area_m2' (real) holds an integer");
}
