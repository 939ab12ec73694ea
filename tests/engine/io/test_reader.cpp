#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>

#include <catch2/catch.hpp>

#include <gdal_utils.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <thread>

using namespace spaceuse;
using namespace spaceuse::test;

namespace {

const MultiPolygon& polygons(const Model& model, const std::string& layer, std::size_t i = 0) {
    return std::get<MultiPolygon>(model.find(layer)->features.at(i).geometry);
}

/// Corners of a 100 m x 100 m square at (x0, y0) in EPSG:31370, transformed by OGR (a code
/// path independent of the engine's PROJ use) into `epsg`, as a GeoJSON polygon. The edges
/// are densified so the square's straight sides stay straight in the target CRS.
std::string square_in(int epsg, double x0, double y0, double size) {
    OGRSpatialReference src;
    OGRSpatialReference dst;
    src.importFromEPSG(31370);
    dst.importFromEPSG(epsg);
    src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    dst.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    auto ct = std::unique_ptr<OGRCoordinateTransformation>(
        OGRCreateCoordinateTransformation(&src, &dst));
    std::vector<std::pair<double, double>> pts;
    const int steps = 10;
    const double corners[5][2] = {
        {x0, y0}, {x0 + size, y0}, {x0 + size, y0 + size}, {x0, y0 + size}, {x0, y0}};
    for (int c = 0; c < 4; ++c) {
        for (int s = 0; s < steps; ++s) {
            const double t = static_cast<double>(s) / steps;
            pts.emplace_back(corners[c][0] + t * (corners[c + 1][0] - corners[c][0]),
                             corners[c][1] + t * (corners[c + 1][1] - corners[c][1]));
        }
    }
    pts.push_back(pts.front());
    std::string ring;
    for (auto& [x, y] : pts) {
        double tx = x;
        double ty = y;
        ct->Transform(1, &tx, &ty);
        char buf[96];
        std::snprintf(buf, sizeof buf, "[%.12f,%.12f]", tx, ty);
        ring += (ring.empty() ? "" : ",") + std::string(buf);
    }
    return R"({"type":"Polygon","coordinates":[[)" + ring + "]]}";
}

}  // namespace

TEST_CASE("parse_layer_source splits path:layer only when the path exists", "[io]") {
    const std::string path = vsimem("src.geojson", feature_collection(31370, ""));
    CHECK(parse_layer_source(path).path == path);
    CHECK(parse_layer_source(path).layer.empty());
    const auto s = parse_layer_source(path + ":parcels");
    CHECK(s.path == path);
    CHECK(s.layer == "parcels");
    CHECK(parse_layer_source("PG:dbname=gis host=localhost").path ==
          "PG:dbname=gis host=localhost");
    CHECK(parse_layer_source("missing.zip").path == "/vsizip/missing.zip");
}

TEST_CASE("a 100 m square has the same area from EPSG:31370, 4326 and 3857", "[io][crs]") {
    const double x0 = 173500.0;
    const double y0 = 174000.0;
    const auto sq31370 = vsimem(
        "sq31370.geojson", feature_collection(31370, feature("{}", square_in(31370, x0, y0, 100))));
    const auto sq4326 = vsimem(
        "sq4326.geojson", feature_collection(4326, feature("{}", square_in(4326, x0, y0, 100))));
    const auto sq3857 = vsimem(
        "sq3857.geojson", feature_collection(3857, feature("{}", square_in(3857, x0, y0, 100))));
    LoadOptions options;
    options.crs = "EPSG:31370";
    const Model model = load_model({{"a", parse_layer_source(sq31370), GeometryFamily::polygon},
                                    {"b", parse_layer_source(sq4326), GeometryFamily::polygon},
                                    {"c", parse_layer_source(sq3857), GeometryFamily::polygon}},
                                   options);
    const double a = area(polygons(model, "a"));
    CHECK(a == Approx(10000.0).epsilon(1e-9));
    CHECK(area(polygons(model, "b")) == Approx(a).epsilon(1e-6));
    CHECK(area(polygons(model, "c")) == Approx(a).epsilon(1e-6));
    CHECK(model.find("b")->source_crs.geographic);
    CHECK_FALSE(model.find("c")->source_crs.metric);  // Web Mercator is not for areas
}

TEST_CASE("analysis CRS: first metric input, else UTM from the data centre", "[io][crs]") {
    const auto geo = vsimem(
        "geo.geojson",
        feature_collection(4326, feature("{}", square_in(4326, 173500, 174000, 100))));
    const auto merc = vsimem(
        "merc.geojson",
        feature_collection(3857, feature("{}", square_in(3857, 173500, 174000, 100))));
    const auto lambert = vsimem(
        "lam.geojson",
        feature_collection(3812,
                           feature("{}", R"({"type":"Point","coordinates":[673000,671500]})")));
    LoadOptions options;
    // Only geographic / Web Mercator inputs: UTM 31N for Leuven (4.7 E).
    Model m1 = load_model({{"g", parse_layer_source(geo), GeometryFamily::polygon},
                           {"m", parse_layer_source(merc), GeometryFamily::polygon}},
                          options);
    CHECK(m1.crs.code == "EPSG:32631");
    CHECK(area(polygons(m1, "g")) == Approx(area(polygons(m1, "m"))).epsilon(1e-6));
    // The square is 100 m x 100 m in Lambert 72; UTM's scale error there is < 0.1 %.
    CHECK(area(polygons(m1, "g")) == Approx(10000.0).epsilon(2e-3));
    // A metric input wins, whatever its position.
    Model m2 = load_model({{"g", parse_layer_source(geo), GeometryFamily::polygon},
                           {"l", parse_layer_source(lambert), GeometryFamily::point}},
                          options);
    CHECK(m2.crs.code == "EPSG:3812");
    CHECK(utm_crs_for(-70.0, -33.0) == "EPSG:32719");
    CHECK(utm_crs_for(4.7, 50.9) == "EPSG:32631");
}

TEST_CASE("a layer without CRS is an error unless a CRS to assume is given", "[io][crs]") {
    const auto csv = vsimem("nocrs.csv", "WKT,name\n\"POLYGON((0 0,10 0,10 10,0 10,0 0))\",a\n");
    LoadOptions options;
    try {
        load_model({{"p", parse_layer_source(csv), GeometryFamily::polygon}}, options);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("has no CRS; give the CRS to assume (assume_crs"));
        CHECK_THAT(e.what(), Catch::Contains("nocrs.csv"));
    }
    options.assume_crs = "EPSG:31370";
    const Model m = load_model({{"p", parse_layer_source(csv), GeometryFamily::polygon}}, options);
    CHECK(area(polygons(m, "p")) == Approx(100.0));
    CHECK(m.crs.code == "EPSG:31370");
}

TEST_CASE("projected coordinates declared as WGS84 are detected", "[io][crs]") {
    // GeoJSON without a crs member is WGS84 by definition; these are Lambert 72 numbers.
    const auto path = vsimem("lambert_as_wgs.geojson",
                             R"({"type":"FeatureCollection","features":[)" +
                                 feature("{}", rect(174000, 179000, 174010, 179010)) + "]}");
    LoadOptions options;
    try {
        load_model({{"p", parse_layer_source(path), GeometryFamily::polygon}}, options);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Catch::Contains("projected coordinates declared as lon/lat"));
    }
    options.assume_crs = "EPSG:31370";
    const Model m = load_model({{"p", parse_layer_source(path), GeometryFamily::polygon}}, options);
    CHECK(area(polygons(m, "p")) == Approx(100.0));
}

TEST_CASE("invalid polygons are repaired, null and empty geometries rejected and counted",
          "[io][repair]") {
    const std::string features =
        feature(R"({"id":1})",
                R"({"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]})") +
        "," + feature(R"({"id":2})", "null") + "," +
        feature(R"({"id":3})", R"({"type":"GeometryCollection","geometries":[]})") + "," +
        feature(R"({"id":4})", rect(10, 10, 20, 20)) + "," +
        feature(R"({"id":5})", R"({"type":"Point","coordinates":[1,1]})") + "," +
        feature(
            R"({"id":6})",
            R"({"type":"Polygon","coordinates":[[[30,30,5],[40,30,5],[40,40,5],[30,40,5],[30,30,5]]]})");
    const auto path = vsimem("repair.geojson", feature_collection(31370, features));
    const Model m = load_model({{"p", parse_layer_source(path), GeometryFamily::polygon}}, {});
    const Layer& layer = *m.find("p");
    const LoadReport& r = layer.report;
    CHECK(r.read == 6);
    CHECK(r.kept == 3);
    CHECK(r.rejected == 3);
    CHECK(r.read == r.kept + r.rejected);
    CHECK(r.repaired == 1);
    CHECK(r.dimension_dropped == 1);
    // The bow-tie becomes its two triangles of 1 m² each.
    CHECK(area(std::get<MultiPolygon>(layer.features[0].geometry)) == Approx(2.0));
    CHECK(std::get<MultiPolygon>(layer.features[0].geometry).size() == 2);
    CHECK(area(std::get<MultiPolygon>(layer.features[2].geometry)) == Approx(100.0));
    std::vector<std::string> kinds;
    for (const auto& issue : r.issues) {
        kinds.push_back(std::string(issue_kind_name(issue.kind)));
    }
    CHECK(kinds ==
          std::vector<std::string>{"repaired", "null_geometry", "empty_geometry", "wrong_type"});
    CHECK_THAT(r.issues[0].detail, Catch::Contains("Self-intersection"));
}

TEST_CASE("the id field becomes the feature id, a missing id field is an error", "[io]") {
    const auto path = vsimem(
        "ids.geojson",
        feature_collection(31370, feature(R"({"code":"A-1"})", rect(0, 0, 1, 1)) + "," +
                                      feature(R"({"code":null})", rect(1, 0, 2, 1))));
    LayerSource s = parse_layer_source(path);
    s.id_field = "code";
    const Model m = load_model({{"p", s, GeometryFamily::polygon}}, {});
    CHECK(m.find("p")->features[0].id == "A-1");
    CHECK(m.find("p")->features[1].id == std::to_string(m.find("p")->features[1].fid));
    s.id_field = "nope";
    CHECK_THROWS_WITH(load_model({{"p", s, GeometryFamily::polygon}}, {}),
                      Catch::Contains("no id field 'nope'"));
}

TEST_CASE("spatial index returns the features whose boxes meet the query", "[model]") {
    std::string features;
    for (int i = 0; i < 100; ++i) {
        features += (i ? "," : "") + feature("{}", rect(i * 10, 0, i * 10 + 5, 5));
    }
    const auto path = vsimem("grid.geojson", feature_collection(31370, features));
    const Model m = load_model({{"p", parse_layer_source(path), GeometryFamily::polygon}}, {});
    const auto hits = m.find("p")->query(Box(Point(12, 1), Point(33, 2)));
    CHECK(hits == std::vector<std::size_t>{1, 2, 3});  // boxes 10..15, 20..25, 30..35
}

TEST_CASE("spatial index: built once on first use by threads querying at once", "[model]") {
    Layer layer;
    for (int i = 0; i < 5000; ++i) {
        Feature f;
        f.fid = i;
        const double x = 10.0 * (i % 100);
        const double y = 10.0 * (i / 100);
        f.geometry = MultiPolygon{
            Polygon{{{x, y}, {x, y + 5}, {x + 5, y + 5}, {x + 5, y}, {x, y}}}};
        layer.features.push_back(std::move(f));
    }
    // No build_index(): eight threads ask at once; each query must see the whole index.
    std::vector<std::vector<std::size_t>> hits(8);
    {
        std::vector<std::jthread> pool;
        for (std::size_t t = 0; t < hits.size(); ++t) {
            pool.emplace_back(
                [&layer, &hits, t] { hits[t] = layer.query(Box(Point(12, 1), Point(33, 12))); });
        }
    }
    for (const auto& h : hits) {
        CHECK(h == std::vector<std::size_t>{1, 2, 3, 101, 102, 103});
    }
    // After a change to the features, build_index() rebuilds it.
    layer.features.resize(2);
    layer.build_index();
    CHECK(layer.query(Box(Point(12, 1), Point(33, 12))) == std::vector<std::size_t>{1});
}

TEST_CASE("GRB parcels: computed area matches the official OPPERVL within 0.01 m2", "[io][real]") {
    const std::string path = shared_data("flanders_grb/examples_input_topo_parcels.geojson");
    if (path.empty()) {
        WARN("skipped: ../shared/data/flanders_grb not found");
        return;
    }
    LoadOptions options;
    options.assume_crs = "EPSG:31370";  // the file has Lambert 72 numbers and no crs member
    const Model m = load_model({{"p", parse_layer_source(path), GeometryFamily::polygon}}, options);
    const Layer& layer = *m.find("p");
    const auto oppervl = layer.field_index("OPPERVL");
    REQUIRE(oppervl);
    REQUIRE(layer.features.size() == 10);
    for (const auto& f : layer.features) {
        const double official = std::get<double>(f.attributes[*oppervl]);
        INFO("fid " << f.fid);
        CHECK(std::fabs(area(std::get<MultiPolygon>(f.geometry)) - official) <= 0.01);
    }
}

TEST_CASE("the model is the same for any reading thread count", "[io]") {
    // 3000 features (several read batches): squares, every 7th a bow-tie (repaired), every
    // 11th without geometry (rejected), in EPSG:4326 so every feature is transformed.
    std::string features;
    for (int i = 0; i < 3000; ++i) {
        const double x = 4.70 + 0.001 * (i % 60);
        const double y = 50.85 + 0.001 * (i / 60);
        std::string geometry;
        if (i % 11 == 5) {
            geometry = "null";
        } else if (i % 7 == 3) {
            geometry = "{\"type\":\"Polygon\",\"coordinates\":[[[" + std::to_string(x) + "," +
                       std::to_string(y) + "],[" + std::to_string(x + 0.0005) + "," +
                       std::to_string(y + 0.0005) + "],[" + std::to_string(x + 0.0005) + "," +
                       std::to_string(y) + "],[" + std::to_string(x) + "," +
                       std::to_string(y + 0.0005) + "],[" + std::to_string(x) + "," +
                       std::to_string(y) + "]]]}";
        } else {
            geometry = "{\"type\":\"Polygon\",\"coordinates\":[[[" + std::to_string(x) + "," +
                       std::to_string(y) + "],[" + std::to_string(x + 0.0005) + "," +
                       std::to_string(y) + "],[" + std::to_string(x + 0.0005) + "," +
                       std::to_string(y + 0.0005) + "],[" + std::to_string(x) + "," +
                       std::to_string(y + 0.0005) + "],[" + std::to_string(x) + "," +
                       std::to_string(y) + "]]]}";
        }
        features += (i ? "," : "") + feature("{\"n\":" + std::to_string(i) + "}", geometry);
    }
    const LayerSource source = parse_layer_source(
        vsimem("many.geojson", feature_collection(4326, features)));
    auto load = [&source](unsigned threads) {
        LoadOptions options;
        options.crs = "EPSG:31370";
        options.threads = threads;
        return load_model({{"parcels", source, GeometryFamily::polygon}}, options);
    };
    const Model one = load(1);
    const Model three = load(3);
    const Layer& a = *one.find("parcels");
    const Layer& b = *three.find("parcels");
    // 3000 read; 273 without geometry (i % 11 == 5); bow-ties at i % 7 == 3 that have one.
    int bowties = 0;
    for (int i = 0; i < 3000; ++i) {
        bowties += (i % 7 == 3 && i % 11 != 5) ? 1 : 0;
    }
    CHECK(a.report.read == 3000);
    CHECK(a.report.rejected == 273);
    CHECK(a.report.repaired == bowties);
    CHECK(a.report.kept == 3000 - 273);
    REQUIRE(a.features.size() == b.features.size());
    CHECK(b.report.rejected == a.report.rejected);
    CHECK(b.report.repaired == a.report.repaired);
    REQUIRE(a.report.issues.size() == b.report.issues.size());
    for (std::size_t k = 0; k < a.report.issues.size(); ++k) {
        CHECK(a.report.issues[k].fid == b.report.issues[k].fid);
        CHECK(a.report.issues[k].kind == b.report.issues[k].kind);
    }
    for (std::size_t k = 0; k < a.features.size(); ++k) {
        REQUIRE(a.features[k].id == b.features[k].id);
        const auto& ga = std::get<MultiPolygon>(a.features[k].geometry);
        const auto& gb = std::get<MultiPolygon>(b.features[k].geometry);
        auto coordinates = [](const MultiPolygon& g) {
            std::vector<double> xy;
            for (const auto& poly : g) {
                for (const auto& p : poly.outer()) {
                    xy.push_back(p.x());
                    xy.push_back(p.y());
                }
                for (const auto& inner : poly.inners()) {
                    xy.push_back(std::nan(""));  // ring separator
                    for (const auto& p : inner) {
                        xy.push_back(p.x());
                        xy.push_back(p.y());
                    }
                }
            }
            return xy;
        };
        REQUIRE(ga.size() == gb.size());
        const auto ca = coordinates(ga);
        const auto cb = coordinates(gb);
        REQUIRE(ca.size() == cb.size());
        for (std::size_t c = 0; c < ca.size(); ++c) {
            REQUIRE((ca[c] == cb[c] || (std::isnan(ca[c]) && std::isnan(cb[c]))));
        }
    }
}

TEST_CASE("GeoPackage through the Arrow stream reads as the same model as GeoJSON", "[io]") {
    // Polygons with a hole, a multipolygon, a bow-tie (repaired), a ring collapsing to 3
    // points (dropped, flagged), a null geometry (rejected), integer/real/string/null values
    // and an id field. The GeoPackage is read through GDAL's Arrow stream, the GeoJSON feature
    // by feature: the models must be the same.
    const std::string features =
        feature(
            R"({"pid":"A","n":1,"x":2.5,"s":"é"})",
            R"({"type":"Polygon","coordinates":[[[0,0],[50,0],[50,50],[0,50],[0,0]],[[10,10],[10,20],[20,20],[20,10],[10,10]]]})") +
        "," +
        feature(
            R"({"pid":"B","n":null,"x":null,"s":null})",
            R"({"type":"MultiPolygon","coordinates":[[[[100,0],[120,0],[120,20],[100,20],[100,0]]],[[[130,0],[150,0],[150,20],[130,20],[130,0]]]]})") +
        "," +
        feature(
            R"({"pid":"C","n":3,"x":-1.25,"s":"bow"})",
            R"({"type":"Polygon","coordinates":[[[0,110],[20,130],[20,110],[0,130],[0,110]]]})") +
        "," + feature(R"({"pid":null,"n":4,"x":0.5,"s":"nogeom"})", "null") + "," +
        feature(
            R"({"pid":"E","n":5,"x":1e6,"s":"hole collapses"})",
            R"({"type":"Polygon","coordinates":[[[200,0],[250,0],[250,50],[200,50],[200,0]],[[210,10],[220,10],[210,10]]]})");
    const std::string geojson = vsimem("arrow_src.geojson", feature_collection(31370, features));
    const std::string gpkg = "/vsimem/spaceuse_tests/arrow_src.gpkg";
    GDALAllRegister();
    {
        GDALDatasetH src = GDALOpenEx(geojson.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
        REQUIRE(src != nullptr);
        char* argv[] = {const_cast<char*>("-f"), const_cast<char*>("GPKG"),
                        const_cast<char*>("-nln"), const_cast<char*>("parcels"), nullptr};
        GDALVectorTranslateOptions* opts = GDALVectorTranslateOptionsNew(argv, nullptr);
        GDALDatasetH out = GDALVectorTranslate(gpkg.c_str(), nullptr, 1, &src, opts, nullptr);
        GDALVectorTranslateOptionsFree(opts);
        REQUIRE(out != nullptr);
        GDALClose(out);
        GDALClose(src);
    }
    auto load = [](const std::string& path) {
        LayerSource source = parse_layer_source(path);
        source.id_field = "pid";
        return load_model({{"parcels", source, GeometryFamily::polygon}}, {});
    };
    const Model a = load(geojson);
    const Model b = load(gpkg);
    const Layer& la = *a.find("parcels");
    const Layer& lb = *b.find("parcels");
    CHECK(la.report.read == 5);
    CHECK(la.report.rejected == 1);
    CHECK(la.report.repaired == 2);  // the bow-tie, and E whose collapsed hole was dropped
    REQUIRE(la.features.size() == 4);
    CHECK(lb.report.read == la.report.read);
    CHECK(lb.report.rejected == la.report.rejected);
    CHECK(lb.report.repaired == la.report.repaired);
    REQUIRE(lb.features.size() == la.features.size());
    REQUIRE(lb.report.issues.size() == la.report.issues.size());
    for (std::size_t k = 0; k < la.report.issues.size(); ++k) {
        CHECK(lb.report.issues[k].fid == la.report.issues[k].fid + 1);  // GPKG FIDs start at 1
        CHECK(lb.report.issues[k].kind == la.report.issues[k].kind);
    }
    for (std::size_t k = 0; k < la.features.size(); ++k) {
        const Feature& fa = la.features[k];
        const Feature& fb = lb.features[k];
        CHECK(fa.id == fb.id);
        CHECK(fb.fid == fa.fid + 1);
        // the GeoPackage has the FID column first, so attributes are compared by name
        for (std::size_t f = 0; f < la.fields.size(); ++f) {
            const auto fi = lb.field_index(la.fields[f].name);
            REQUIRE(fi);
            CHECK(fa.attributes[f] == fb.attributes[*fi]);
        }
        CHECK(area(std::get<MultiPolygon>(fa.geometry)) ==
              area(std::get<MultiPolygon>(fb.geometry)));
    }
    auto area_of = [&la](std::size_t k) {
        return area(std::get<MultiPolygon>(la.features[k].geometry));
    };
    CHECK(la.features[0].id == "A");
    CHECK(area_of(0) == Approx(2400));
    CHECK(area_of(1) == Approx(800));
    CHECK(area_of(2) == Approx(200));
    CHECK(area_of(3) == Approx(2500));
    VSIUnlink(gpkg.c_str());
}
