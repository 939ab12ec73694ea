#include "test_support.hpp"

#include <spaceuse/crs.hpp>
#include <spaceuse/error.hpp>
#include <spaceuse/export.hpp>

#include <catch2/catch.hpp>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace spaceuse;

namespace {

namespace fs = std::filesystem;

/// Two parcels in Lambert 72: a 100 m square with a 20 m hole (vacant), a 50 x 20 m strip.
OutputLayer parcels_layer() {
    OutputLayer layer;
    layer.name = "parcels";
    layer.fields = {{"parcel_id", FieldType::string},
                    {"status", FieldType::string},
                    {"coverage", FieldType::real},
                    {"n_buildings", FieldType::integer},
                    {"motorway_exit_time_min", FieldType::real},
                    {"motorway_exit_dist_m", FieldType::real}};
    Polygon sq;
    sq.outer() = {
        {173000, 174000}, {173100, 174000}, {173100, 174100}, {173000, 174100}, {173000, 174000}};
    sq.inners().push_back(
        {{173040, 174040}, {173040, 174060}, {173060, 174060}, {173060, 174040}, {173040, 174040}});
    Polygon strip;
    strip.outer() = {
        {173200, 174000}, {173250, 174000}, {173250, 174020}, {173200, 174020}, {173200, 174000}};
    layer.geometries = {MultiPolygon{sq}, MultiPolygon{strip}};
    layer.rows.push_back(
        {std::string("P1"), std::string("vacant"), 0.0, std::int64_t{0}, 4.5, 3210.0});
    layer.rows.push_back({std::string("P2 é"), std::string("occupied"), 0.6, std::int64_t{2},
                          std::monostate{}, std::monostate{}});
    return layer;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

GDALDatasetUniquePtr open(const std::string& path) {
    return GDALDatasetUniquePtr(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                                  nullptr, nullptr, nullptr));
}

}  // namespace

TEST_CASE("Shapefile field names fit 10 characters by a fixed, collision-free rule", "[export]") {
    const auto names = shapefile_field_names({"parcel_id", "status_source", "largest_free_m2",
                                              "motorway_exit_dist_m", "motorway_exit_time_min",
                                              "n_buildings", "Status_Source", "abcdefghijklmn",
                                              "abcdefghijklmnop"});
    REQUIRE(names.size() == 9);
    CHECK(names[0] == "parcel_id");   // short names are kept
    CHECK(names[1] == "status_src");  // vowels dropped from the right: source -> src
    CHECK(names[2] == "lrgs_fr_m2");  // largest -> lrgst -> lrgs (longest word cut)
    CHECK(names[3] == "mt_ex_ds_m");
    CHECK(names[4] == "mt_ex_tm_m");
    CHECK(names[5] == "n_bldngs");
    CHECK(names[6] == "Stts_Src_2");  // dBase names are case-insensitive: a collision
    CHECK(names[7] == "abcdfghjkl");  // one word: inner vowels dropped, then cut
    CHECK(names[8] == "abcdfghj_2");  // same result: numbered
    for (const auto& n : names) {
        CHECK(n.size() <= 10);
    }
    // The same list always gives the same names.
    CHECK(shapefile_field_names({"motorway_exit_dist_m"}) ==
          std::vector<std::string>{"mt_ex_ds_m"});
}

TEST_CASE("export formats parse by name and alias", "[export]") {
    CHECK(parse_export_format("GPKG") == ExportFormat::gpkg);
    CHECK(parse_export_format("geopackage") == ExportFormat::gpkg);
    CHECK(parse_export_format("shp") == ExportFormat::shapefile);
    CHECK(parse_export_format("fgb") == ExportFormat::flatgeobuf);
    CHECK_THROWS_WITH(parse_export_format("kml"), Catch::Contains("unknown export format 'kml'"));
}

TEST_CASE("every format reads back in GDAL with the same features, fields, CRS and styles",
          "[export]") {
    const std::string dir = test::temp_dir("export_all");
    const CrsInfo crs = describe_crs("EPSG:31370");
    ExportOptions options;
    options.formats = {ExportFormat::geojson, ExportFormat::gpkg, ExportFormat::shapefile,
                       ExportFormat::flatgeobuf};
    const auto written = export_layers({parcels_layer()}, crs, dir, options, WriteOptions{});

    std::size_t data_files = 0;
    for (const auto& w : written) {
        data_files += w.data ? 1 : 0;
        if (w.data) {
            CHECK(w.features == 2);
        }
    }
    CHECK(data_files == 4);
    for (const char* f :
         {"parcels.geojson", "parcels.qml", "parcels.sld", "spaceuse.gpkg", "shapefile/parcels.shp",
          "shapefile/parcels.dbf", "shapefile/parcels.cpg", "shapefile/parcels.prj",
          "shapefile/parcels.fields.csv", "shapefile/parcels.qml", "flatgeobuf/parcels.fgb",
          "flatgeobuf/parcels.qml"}) {
        INFO(f);
        CHECK(fs::exists(fs::path(dir) / f));
    }
    // No temporary file is left behind.
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        CHECK(e.path().filename().string().rfind(".", 0) != 0);
    }

    for (const std::string& path : {dir + "/spaceuse.gpkg", dir + "/shapefile/parcels.shp",
                                    dir + "/flatgeobuf/parcels.fgb"}) {
        INFO(path);
        auto ds = open(path);
        REQUIRE(ds);
        OGRLayer* layer = ds->GetLayerByName("parcels");
        REQUIRE(layer != nullptr);
        CHECK(layer->GetFeatureCount() == 2);
        const char* code = layer->GetSpatialRef()->GetAuthorityCode(nullptr);
        REQUIRE(code != nullptr);
        CHECK(std::string(code) == "31370");
        // FlatGeobuf's spatial index orders features along a Hilbert curve: find them by id.
        layer->SetAttributeFilter("parcel_id = 'P1'");
        layer->ResetReading();
        OGRFeatureUniquePtr f(layer->GetNextFeature());
        REQUIRE(f);
        // P1: 100 x 100 m minus the 20 x 20 m hole.
        const auto* poly = f->GetGeometryRef();
        REQUIRE(poly != nullptr);  // a Shapefile reads single parts back as polygons
        CHECK(OGR_G_Area(OGRGeometry::ToHandle(const_cast<OGRGeometry*>(poly))) ==
              Approx(9600.0).epsilon(1e-12));
        const bool shp = path.find(".shp") != std::string::npos;
        CHECK(f->GetFieldAsDouble(shp ? "mt_ex_ds_m" : "motorway_exit_dist_m") == 3210.0);
        CHECK(f->GetFieldAsInteger64(shp ? "n_bldngs" : "n_buildings") == 0);
        CHECK(std::string(f->GetFieldAsString("status")) == "vacant");
        layer->SetAttributeFilter("parcel_id <> 'P1'");
        layer->ResetReading();
        OGRFeatureUniquePtr g(layer->GetNextFeature());
        REQUIRE(g);
        CHECK(std::string(g->GetFieldAsString("parcel_id")) == "P2 é");
        CHECK_FALSE(g->IsFieldSetAndNotNull(
            layer->GetLayerDefn()->GetFieldIndex(shp ? "mt_ex_ds_m" : "motorway_exit_dist_m")));
        CHECK(OGR_G_Area(OGRGeometry::ToHandle(g->GetGeometryRef())) ==
              Approx(1000.0).epsilon(1e-12));
    }
    CHECK(slurp(dir + "/shapefile/parcels.cpg") == "UTF-8");
    CHECK(
        slurp(dir + "/shapefile/parcels.fields.csv").find("mt_ex_tm_m,motorway_exit_time_min\n") !=
        std::string::npos);
    // The Shapefile's QML classifies on the short name and gives the full names as aliases.
    const std::string qml = slurp(dir + "/shapefile/parcels.qml");
    CHECK(qml.find(R"(attr="status")") != std::string::npos);
    CHECK(qml.find(R"(<alias field="mt_ex_ds_m" index="5" name="motorway_exit_dist_m"/>)") !=
          std::string::npos);

    // The GeoPackage's layer_styles: two styles for parcels (status by default, coverage).
    auto gpkg = open(dir + "/spaceuse.gpkg");
    OGRLayer* styles = gpkg->GetLayerByName("layer_styles");
    REQUIRE(styles != nullptr);
    CHECK(styles->GetFeatureCount() == 2);
    styles->ResetReading();
    OGRFeatureUniquePtr s1(styles->GetNextFeature());
    CHECK(std::string(s1->GetFieldAsString("f_table_name")) == "parcels");
    CHECK(std::string(s1->GetFieldAsString("f_geometry_column")) == "geom");
    CHECK(s1->GetFieldAsInteger("useAsDefault") == 1);
    const std::string status_qml = s1->GetFieldAsString("styleQML");
    CHECK(status_qml.find(R"(type="categorizedSymbol" attr="status")") != std::string::npos);
    CHECK(status_qml.find(R"(value="vacant")") != std::string::npos);
    OGRFeatureUniquePtr s2(styles->GetNextFeature());
    CHECK(s2->GetFieldAsInteger("useAsDefault") == 0);
    CHECK(std::string(s2->GetFieldAsString("styleQML")).find(R"(attr="coverage")") !=
          std::string::npos);
}

TEST_CASE("exports never replace a file without overwrite and are byte-stable", "[export]") {
    const std::string dir = test::temp_dir("export_overwrite");
    const CrsInfo crs = describe_crs("EPSG:31370");
    ExportOptions options;
    options.formats = {ExportFormat::gpkg, ExportFormat::shapefile};
    export_layers({parcels_layer()}, crs, dir, options, WriteOptions{});
    const std::string first = slurp(dir + "/spaceuse.gpkg");
    const std::string first_dbf = slurp(dir + "/shapefile/parcels.dbf");
    CHECK_THROWS_WITH(export_layers({parcels_layer()}, crs, dir, options, WriteOptions{}),
                      Catch::Contains("output exists"));
    WriteOptions overwrite;
    overwrite.overwrite = true;
    export_layers({parcels_layer()}, crs, dir, options, overwrite);
    CHECK(slurp(dir + "/spaceuse.gpkg") == first);
    CHECK(slurp(dir + "/shapefile/parcels.dbf") == first_dbf);
}

TEST_CASE("GeoJSON in the analysis CRS carries the crs member and metre coordinates", "[export]") {
    const std::string dir = test::temp_dir("export_native");
    ExportOptions options;
    options.geojson_native_crs = true;
    options.styles = false;
    export_layers({parcels_layer()}, describe_crs("EPSG:31370"), dir, options, WriteOptions{});
    const std::string text = slurp(dir + "/parcels.geojson");
    CHECK(
        text.find(R"("crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::31370"}})") !=
        std::string::npos);
    CHECK(text.find("[173000,174000]") != std::string::npos);
    CHECK_FALSE(fs::exists(dir + "/parcels.qml"));
    auto ds = open(dir + "/parcels.geojson");
    REQUIRE(ds);
    CHECK(std::string(ds->GetLayer(0)->GetSpatialRef()->GetAuthorityCode(nullptr)) == "31370");

    // A CRS without an authority code cannot be named in the crs member.
    const CrsInfo custom = describe_crs(
        "+proj=tmerc +lat_0=50 +lon_0=4.5 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +type=crs");
    REQUIRE(custom.code.empty());
    CHECK_THROWS_AS(export_layers({parcels_layer()}, custom, test::temp_dir("export_native2"),
                                  options, WriteOptions{}),
                    ConfigError);
}

TEST_CASE("a text too long for a dBase field is an error, not a silent cut", "[export]") {
    OutputLayer layer = parcels_layer();
    layer.rows.set(1, 0, std::string(300, 'x'));
    ExportOptions options;
    options.formats = {ExportFormat::shapefile};
    CHECK_THROWS_WITH(export_layers({layer}, describe_crs("EPSG:31370"),
                                    test::temp_dir("export_long"), options, WriteOptions{}),
                      Catch::Contains("row 2 field 'parcel_id': text of 300 bytes"));
    // Long but fitting texts keep every byte (GDAL's default width would cut at 80).
    layer.rows.set(1, 0, std::string(200, 'y'));
    const std::string dir = test::temp_dir("export_long_ok");
    export_layers({layer}, describe_crs("EPSG:31370"), dir, options, WriteOptions{});
    auto ds = open(dir + "/shapefile/parcels.shp");
    OGRLayer* l = ds->GetLayer(0);
    l->ResetReading();
    OGRFeatureUniquePtr a(l->GetNextFeature());
    OGRFeatureUniquePtr b(l->GetNextFeature());
    CHECK(std::string(b->GetFieldAsString("parcel_id")) == std::string(200, 'y'));
}
