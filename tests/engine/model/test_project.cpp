#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/profile.hpp>
#include <spaceuse/study.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

using namespace spaceuse;

namespace {

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
}

}  // namespace

TEST_CASE("project files: inputs relative to the file, unknown keys are errors", "[project]") {
    const std::string dir = test::temp_dir("project");
    const std::string ok = write_file(dir, "p.toml", R"(
[project]
name = "t"
output = "out"
crs = "EPSG:31370"
[layers.parcels]
source = "parcels.gpkg:parcels"
id_field = "capakey"
[occupancy]
profile = "default"
setback_m = 3
)");
    const Study s = load_project(ok);
    CHECK(s.name == "t");
    CHECK(s.output_dir == "out");
    CHECK(s.load.crs == "EPSG:31370");
    REQUIRE(s.layers.size() == 1);
    CHECK(s.layers[0].role == "parcels");
    CHECK(s.layers[0].source.path == dir + "/parcels.gpkg:parcels");  // file absent: no split
    CHECK(s.layers[0].source.id_field == "capakey");
    const MetricRun* occ = s.find_metric("occupancy");
    REQUIRE(occ != nullptr);
    CHECK(std::get<std::int64_t>(occ->options.at("setback_m")) == 3);
    CHECK(occ->where == ok + ": [occupancy]");

    const std::string bad_key = write_file(dir, "bad.toml",
                                           "[project]\noutput = \"o\"\ncolour = 1\n");
    CHECK_THROWS_WITH(load_project(bad_key), Catch::Contains("key 'colour' is unknown"));
    const std::string bad_section = write_file(dir, "bad2.toml",
                                               "[project]\noutput = \"o\"\n[stuff]\n");
    CHECK_THROWS_WITH(load_project(bad_section), Catch::Contains("section [stuff] is unknown"));
    // Any role is accepted; its geometry is checked when planned (see test_registry.cpp).
    const std::string role = write_file(
        dir, "role.toml",
        "[project]\noutput = \"o\"\n[layers.lakes]\nsource = \"x\"\ngeometry = \"polygon\"\n");
    CHECK(load_project(role).layers[0].geometry == GeometryFamily::polygon);
    const std::string bad_geometry = write_file(
        dir, "bad3.toml",
        "[project]\noutput = \"o\"\n[layers.lakes]\nsource = \"x\"\ngeometry = \"blob\"\n");
    CHECK_THROWS_WITH(load_project(bad_geometry), Catch::Contains("key 'geometry' must be"));
    // Several sources of one role: a list of tables, or the old `<role>_2` spelling.
    const std::string many = write_file(dir, "many.toml", R"(
[project]
output = "o"
[layers.facilities_2]
source = "b.gpkg"
[layers.facilities]
source = "a.gpkg"
[[layers.stops]]
source = "s1.gpkg"
[[layers.stops]]
source = "s2.gpkg"
)");
    const Study m = load_project(many);
    REQUIRE(m.layers.size() == 4);
    CHECK(m.layers[0].role == "facilities");
    CHECK(m.layers[0].source.path == dir + "/a.gpkg");
    CHECK(m.layers[1].role == "facilities");
    CHECK(m.layers[1].source.path == dir + "/b.gpkg");
    CHECK(m.layers[2].role == "stops");
    CHECK(m.layers[3].source.path == dir + "/s2.gpkg");
    CHECK_THROWS_AS(load_project(dir + "/missing.toml"), InputError);
}

TEST_CASE("profiles are data: files, overrides and validation", "[project][profile]") {
    const std::string dir = test::temp_dir("profiles");
    write_file(
        dir, "strict.toml",
        "vacant_below = 0.1\nunderused_below = 0.5\n[status_values]\nreserved = \"occupied\"\n");
    const Profile p = find_profile("strict", {dir});
    CHECK(p.vacant_below == 0.1);
    CHECK(p.underused_below == 0.5);
    CHECK(p.setback_m == 5.0);
    CHECK(p.status_values.at("reserved") == ParcelStatus::occupied);
    write_file(dir, "typo.toml", "vacant_bellow = 0.1\n");
    CHECK_THROWS_WITH(find_profile("typo", {dir}), Catch::Contains("vacant_bellow"));
    write_file(dir, "inverted.toml", "vacant_below = 0.5\nunderused_below = 0.1\n");
    CHECK_THROWS_AS(find_profile("inverted", {dir}), ConfigError);
    CHECK_THROWS_AS(find_profile("nope", {dir}), ConfigError);
    CHECK(find_profile("default", {}).vacant_below == 0.05);
    // The bundled profiles load.
    CHECK(find_profile("default", default_profile_dirs()).min_free_area_m2 == 500.0);
    CHECK(parse_status_map("a=vacant,b=occupied").size() == 2);
    CHECK_THROWS_AS(parse_status_map("a=empty"), ConfigError);
}

TEST_CASE("project files: [metrics.<name>] sections and plugins", "[project][plugins]") {
    const std::string dir = test::temp_dir("project_metrics");
    const std::string fix = std::string(SPACEUSE_SOURCE_DIR) + "/tests/fixtures/occupancy/";
    const std::string head = "[project]\noutput = \"" + dir +
                             "/out\"\n"
                             "plugins = [\"mods/spaceuse_metric_x.so\"]\n"
                             "[layers.parcels]\nsource = \"" +
                             fix + "parcels.geojson\"\n";
    const std::string path = write_file(dir, "m.toml", head + R"(
[metrics.frontage]
tolerance_m = 12.5
min_side_m = 4
ignore_classes = ["footway", "path"]
class_field = "highway"
)");
    const Study s = load_project(path);
    REQUIRE(s.plugins.size() == 1);
    CHECK(s.plugins[0] == dir + "/mods/spaceuse_metric_x.so");
    REQUIRE(s.metrics.size() == 1);
    const MetricRun& run = s.metrics[0];
    CHECK(run.name == "frontage");
    CHECK(run.where == path + ": [metrics.frontage]");
    CHECK(std::get<double>(run.options.at("tolerance_m")) == 12.5);
    CHECK(std::get<std::int64_t>(run.options.at("min_side_m")) == 4);
    CHECK(std::get<std::vector<std::string>>(run.options.at("ignore_classes")) ==
          std::vector<std::string>{"footway", "path"});
    CHECK(std::get<std::string>(run.options.at("class_field")) == "highway");

    // Checked when the study runs: the explicit plugin must exist...
    CHECK_THROWS_WITH(run_study(s), Catch::Contains("spaceuse_metric_x.so: plugin not found"));
    // ...the metric must exist, take the option, and find its layers.
    Study t = s;
    t.plugins.clear();
    t.metrics[0].name = "nope";
    CHECK_THROWS_WITH(run_study(t),
                      Catch::Contains(": [metrics.frontage]: no metric named 'nope'"));
    t.metrics[0] = {
        "occupancy", {{"setbak_m", std::string("3")}}, "p.toml: [metrics.occupancy]", ""};
    CHECK_THROWS_WITH(run_study(t), Catch::StartsWith("p.toml: [metrics.occupancy] key 'setbak_m' "
                                                      "is not an option of metric 'occupancy'"));
    t.metrics[0] = {
        "occupancy", {{"setback_m", std::string("3")}}, "p.toml: [metrics.occupancy]", ""};
    CHECK_THROWS_WITH(run_study(t), Catch::Contains("metric 'occupancy' needs a 'zones' layer"));

    const std::string bad = write_file(dir, "b.toml", head + "[metrics.frontage]\nx = { a = 1 }\n");
    CHECK_THROWS_AS(load_project(bad), ConfigError);
}
