#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/output.hpp>

#include <catch2/catch.hpp>
#include <gdal_priv.h>
#include <nlohmann/json.hpp>
#include <ogrsf_frmts.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

using namespace spaceuse;

namespace {

OutputLayer sample_layer() {
    OutputLayer layer;
    layer.name = "things";
    layer.fields = {{"id", FieldType::string}, {"n", FieldType::integer}, {"v", FieldType::real}};
    Polygon sq;
    // Counter-clockwise square in Lambert 72 with a clockwise hole.
    sq.outer() = {
        {173000, 174000}, {173100, 174000}, {173100, 174100}, {173000, 174100}, {173000, 174000}};
    sq.inners().push_back(
        {{173040, 174040}, {173040, 174060}, {173060, 174060}, {173060, 174040}, {173040, 174040}});
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
    CHECK(outer.front() == outer.back());  // closed
    CHECK(signed_ring_area(outer) > 0);    // exterior counter-clockwise
    CHECK(signed_ring_area(poly[1]) < 0);  // hole clockwise
    for (const auto& c : outer) {
        CHECK(c[0].get<double>() >= -180.0);
        CHECK(c[0].get<double>() <= 180.0);
        CHECK(c[1].get<double>() == Approx(50.88).margin(0.05));
        const std::string text = c[0].dump();
        CHECK(text.size() - text.find('.') - 1 <= 7);  // at most 7 decimals
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

TEST_CASE("outputs are never overwritten without overwrite, and no temp file is left",
          "[io][writer]") {
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
    p.outer() = {{173000, 174000},
                 {173100, 174000},
                 {173100, 174000.001},
                 {173000, 174000.0012},
                 {173000, 174000}};
    layer.geometries.emplace_back(MultiPolygon{p});
    layer.rows.push_back({std::int64_t{1}});
    const std::string dir = test::temp_dir("sliver");
    const auto stats = write_geojson(layer, describe_crs("EPSG:31370"), dir + "/s.geojson", {});
    CHECK(stats.full_precision == 1);
}

namespace {

/// Rows of every kind the GeoJSON writer handles, in Lambert 72: polygons with holes,
/// multipolygons, points, lines, multipoints, slivers that rounding to 7 decimals in WGS84 breaks
/// (row i with i % 7 == 4, all at the spot of the sliver test above) and bow-ties that are
/// invalid to begin with; attributes with nulls, quotes, control characters and invalid UTF-8.
OutputLayer mixed_layer(std::size_t n) {
    OutputLayer layer;
    layer.name = "mixed \"layer\"";
    layer.fields = {{"id", FieldType::integer},
                    {"name", FieldType::string},
                    {"v", FieldType::real},
                    {"é \"f\"", FieldType::string}};
    const std::string names[] = {"plain", "a \"quoted\" é", "tab\tand\x01", "bad \xff byte", ""};
    for (std::size_t i = 0; i < n; ++i) {
        const double x = 173000 + static_cast<double>(i % 100) * 50;
        const double y = 174000 + static_cast<double>(i / 100) * 50;
        Polygon sq;
        sq.outer() = {{x, y}, {x + 40, y}, {x + 40, y + 40}, {x, y + 40}, {x, y}};
        switch (i % 7) {
        case 0:
            sq.inners().push_back({{x + 10, y + 10},
                                   {x + 10, y + 20},
                                   {x + 20, y + 20},
                                   {x + 20, y + 10},
                                   {x + 10, y + 10}});
            layer.geometries.emplace_back(MultiPolygon{sq});
            break;
        case 1: {
            Polygon other;
            other.outer() = {
                {x + 42, y}, {x + 48, y}, {x + 48, y + 6}, {x + 42, y + 6}, {x + 42, y}};
            layer.geometries.emplace_back(MultiPolygon{sq, other});
            break;
        }
        case 2:
            layer.geometries.emplace_back(MultiPoint{Point(x, y)});
            break;
        case 3:
            layer.geometries.emplace_back(
                MultiLineString{LineString{{x, y}, {x + 30, y + 10}, {x + 40, y + 40}}});
            break;
        case 4: {
            Polygon sliver;
            sliver.outer() = {{173000, 174000},
                              {173100, 174000},
                              {173100, 174000.001},
                              {173000, 174000.0012},
                              {173000, 174000}};
            layer.geometries.emplace_back(MultiPolygon{sliver});
            break;
        }
        case 5:
            layer.geometries.emplace_back(MultiPoint{Point(x, y), Point(x + 1.5, y + 2.25)});
            break;
        default: {
            Polygon bowtie;
            bowtie.outer() = {{x, y}, {x + 40, y + 40}, {x + 40, y}, {x, y + 40}, {x, y}};
            layer.geometries.emplace_back(MultiPolygon{bowtie});
            break;
        }
        }
        layer.rows.push_back({static_cast<std::int64_t>(i),
                              i % 9 == 0 ? Value{} : Value{names[i % 5]},
                              i % 3 == 0 ? Value{} : Value{static_cast<double>(i) / 4},
                              i % 11 == 0 ? Value{std::string("x\ny")} : Value{std::string("ok")}});
    }
    return layer;
}

WriteOptions with_threads(unsigned threads) {
    WriteOptions o;
    o.threads = threads;
    return o;
}

}  // namespace

TEST_CASE("GeoJSON bytes are the same for every thread count", "[io][writer]") {
    // 12000 rows are 6 blocks of 2048: with 2 threads at most 4 are in flight, so the workers
    // wait for the writer as well as the other way round.
    const std::size_t n = 12000;
    const OutputLayer layer = mixed_layer(n);
    const CrsInfo crs = describe_crs("EPSG:31370");
    const std::string one = geojson_text(layer, crs, with_threads(1));
    CHECK(geojson_text(layer, crs, with_threads(2)) == one);
    CHECK(geojson_text(layer, crs, with_threads(8)) == one);

    const std::string dir = test::temp_dir("writer_threads");
    const auto s1 = write_geojson(layer, crs, dir + "/t1.geojson", with_threads(1));
    const auto s2 = write_geojson(layer, crs, dir + "/t2.geojson", with_threads(2));
    const auto s8 = write_geojson(layer, crs, dir + "/t8.geojson", with_threads(8));
    // Rows 4, 11, ..., 11995: (11995 - 4) / 7 + 1 slivers.
    for (const auto& s : {s1, s2, s8}) {
        CHECK(s.features == n);
        CHECK(s.full_precision == 1714);
    }
    auto slurp = [](const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    CHECK(slurp(dir + "/t1.geojson") == one);
    CHECK(slurp(dir + "/t2.geojson") == one);
    CHECK(slurp(dir + "/t8.geojson") == one);

    // Escaping is nlohmann's, byte for byte: control characters as \t and \u0001, an invalid
    // byte replaced by U+FFFD, the field names escaped too.
    CHECK(
        one.find(
            R"({"type":"Feature","properties":{"id":2,"name":"tab\tand\u0001","v":0.5,"é \"f\"":"ok"})") !=
        std::string::npos);
    CHECK(one.find("\"id\":3,\"name\":\"bad \xef\xbf\xbd byte\",\"v\":null,") != std::string::npos);
    CHECK(one.find(R"("id":11,"name":"a \"quoted\" é","v":2.75,"é \"f\"":"x\ny"})") !=
          std::string::npos);
    CHECK(one.find(R"("id":24,"name":"","v":null,)") != std::string::npos);
    CHECK(one.find(R"("id":16,"name":"a \"quoted\" é","v":4.0,)") != std::string::npos);
    CHECK(one.find(R"({"id":0,"name":null,"v":null,"é \"f\"":"x\ny"})") != std::string::npos);

    const auto doc = nlohmann::json::parse(one);
    REQUIRE(doc["features"].size() == n);
    for (std::size_t i = 0; i < n; i += 997) {
        CHECK(doc["features"][i]["properties"]["id"] == i);
    }
    CHECK(doc["features"][0]["geometry"]["coordinates"][0].size() == 2);  // exterior and hole
    CHECK(doc["features"][1]["geometry"]["coordinates"].size() == 2);     // two polygons
    CHECK(doc["features"][2]["geometry"]["type"] == "Point");
    CHECK(doc["features"][3]["geometry"]["type"] == "MultiLineString");
    CHECK(doc["features"][5]["geometry"]["type"] == "MultiPoint");
    // The sliver keeps full precision (more than 7 decimals somewhere); the bow-tie, invalid
    // before rounding, is rounded.
    auto max_decimals = [](const nlohmann::json& ring) {
        std::size_t most = 0;
        for (const auto& c : ring) {
            for (const auto& v : c) {
                const std::string t = v.dump();
                const auto dot = t.find('.');
                most = std::max(most, dot == std::string::npos ? 0 : t.size() - dot - 1);
            }
        }
        return most;
    };
    CHECK(max_decimals(doc["features"][4]["geometry"]["coordinates"][0][0]) > 7);
    CHECK(max_decimals(doc["features"][6]["geometry"]["coordinates"][0][0]) <= 7);
}

TEST_CASE("an error in a writer thread surfaces with its row and leaves no file", "[io][writer]") {
    OutputLayer layer = mixed_layer(9000);
    // PROJ gives no coordinates for an infinite input point.
    const double inf = std::numeric_limits<double>::infinity();
    layer.geometries[7000] = MultiPoint{Point(inf, inf)};
    layer.geometries[8000] = MultiPoint{Point(inf, inf)};
    const CrsInfo crs = describe_crs("EPSG:31370");
    const std::string dir = test::temp_dir("writer_error");
    std::string first;
    for (unsigned threads : {1U, 2U, 8U}) {
        try {
            write_geojson(layer, crs, dir + "/e.geojson", with_threads(threads));
            FAIL("no error with " << threads << " threads");
        } catch (const Error& e) {
            const std::string what = e.what();
            CHECK(what.find("cannot be transformed to WGS84 (row 7001)") != std::string::npos);
            if (first.empty()) {
                first = what;
            }
            CHECK(what == first);
        }
        CHECK(std::filesystem::is_empty(dir));
    }
}

TEST_CASE("native GeoJSON rounds to 1 mm and keeps full precision only where rounding breaks",
          "[io][writer]") {
    // Full precision is the shortest text that reads back as the same double ("4e-04").
    // Row 0: a bow-tie on the millimetre grid: rounding moves nothing, so it is written as is,
    // without consulting GEOS (it is invalid before and after). Row 1: the same bow-tie off the
    // grid: invalid before rounding, so written rounded. Row 2: a sliver 0.4 mm thin whose long
    // edges rounding to 1 mm collapses: full precision. Row 3: a square on the grid.
    OutputLayer layer;
    layer.name = "native";
    layer.fields = {{"id", FieldType::integer}};
    auto poly = [](std::vector<Point> outer) {
        Polygon p;
        p.outer().assign(outer.begin(), outer.end());
        return Geometry{MultiPolygon{p}};
    };
    layer.geometries = {
        poly({{0, 0}, {40, 40}, {40, 0}, {0, 40}, {0, 0}}),
        poly({{0.0001, 0}, {40, 40}, {40, 0}, {0, 40}, {0.0001, 0}}),
        poly({{0, 0}, {100, 0}, {100, 0.0004}, {0, 0.0004}, {0, 0}}),
        poly({{1.5, 2.25}, {3.5, 2.25}, {3.5, 4.125}, {1.5, 4.125}, {1.5, 2.25}}),
    };
    layer.rows = {{std::int64_t{0}}, {std::int64_t{1}}, {std::int64_t{2}}, {std::int64_t{3}}};
    const std::string dir = test::temp_dir("writer_native");
    const auto stats = write_geojson_native(layer, describe_crs("EPSG:31370"), dir + "/n.geojson",
                                            {});
    CHECK(stats.features == 4);
    CHECK(stats.full_precision == 1);
    std::ifstream in(dir + "/n.geojson");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find(R"("coordinates":[[[[0,0],[40,40],[40,0],[0,40],[0,0]]]]})") !=
          std::string::npos);
    CHECK(
        text.find(
            R"({"id":1},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[40,40],[40,0],[0,40],[0,0]]]]})") !=
        std::string::npos);
    CHECK(text.find(R"([[[[0,0],[100,0],[100,4e-04],[0,4e-04],[0,0]]]])") != std::string::npos);
    CHECK(text.find(R"([[[[1.5,2.25],[3.5,2.25],[3.5,4.125],[1.5,4.125],[1.5,2.25]]]])") !=
          std::string::npos);
}

TEST_CASE("string attributes are escaped byte for byte as nlohmann escapes them", "[io][writer]") {
    // Pseudo-random strings: even rows printable ASCII with quotes, backslashes and DEL; odd rows
    // any byte (control characters, valid and invalid UTF-8).
    OutputLayer layer;
    layer.name = "strings";
    layer.fields = {{"s", FieldType::string}};
    std::uint32_t state = 12345;
    auto next = [&state] {
        state = state * 1664525U + 1013904223U;
        return state >> 24;
    };
    std::string expected =
        "{\"type\":\"FeatureCollection\",\"name\":\"strings\",\n\"features\":[\n";
    for (int i = 0; i < 3000; ++i) {
        std::string s;
        const auto length = next() % 12;
        for (std::uint32_t k = 0; k < length; ++k) {
            const auto b = next();
            s += static_cast<char>(i % 2 ? b : 0x20 + b % 0x60);
        }
        layer.rows.push_back({s});
        expected += (i ? ",\n" : "");
        expected += R"({"type":"Feature","properties":{"s":)";
        expected += nlohmann::json(s).dump(-1, ' ', false,
                                           nlohmann::json::error_handler_t::replace);
        expected += R"(},"geometry":null})";
    }
    expected += "\n]}\n";
    CHECK(geojson_text(layer, describe_crs("EPSG:31370"), {}) == expected);
}

TEST_CASE("result rows held by column read back every value with its type", "[writer][rows]") {
    Rows rows;
    const std::vector<Value> a{std::string("P1"), std::int64_t{7}, 2.5, std::monostate{}};
    // The second row puts an integer in the real column and a real in the text column: kept
    // exactly as given, not converted to the column's type.
    const std::vector<Value> b{std::string("P2"), std::int64_t{-3}, std::int64_t{4}, 1.25};
    const std::vector<Value> c{std::monostate{}, std::monostate{}, 0.0, std::string("x")};
    rows.push_back(a);
    rows.push_back(b);
    rows.push_back(c);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].values() == a);
    CHECK(rows[1].values() == b);
    CHECK(rows[2].values() == c);
    CHECK(std::holds_alternative<std::int64_t>(rows[1][2]));
    CHECK(std::get<std::int64_t>(rows[1][2]) == 4);
    CHECK(std::get<double>(rows[1][3]) == 1.25);
    CHECK(std::holds_alternative<std::monostate>(rows[2][0]));
    // Setting a cell back to the column's type replaces the value kept aside.
    rows.set(1, 2, 4.5);
    CHECK(std::get<double>(rows[1][2]) == 4.5);
    rows.set(1, 3, std::monostate{});
    CHECK(std::holds_alternative<std::monostate>(rows[1][3]));

    // Equality compares types too: the integer 1 is not the real 1.0.
    Rows x{{std::int64_t{1}}}, y{{1.0}}, z{{std::int64_t{1}}};
    CHECK_FALSE(x == y);
    CHECK(x == z);
    CHECK_THROWS_AS(rows.set(3, 0, 1.0), std::out_of_range);
}

TEST_CASE("result rows of different widths keep their widths", "[writer][rows]") {
    Rows rows{{std::int64_t{1}, std::int64_t{2}, std::int64_t{3}},
              {std::string("only")},
              {1.0, 2.0, 3.0, 4.0}};
    CHECK(rows[0].size() == 3);
    CHECK(rows[1].size() == 1);
    CHECK(rows[2].size() == 4);
    CHECK(rows[1].values() == std::vector<Value>{std::string("only")});
    CHECK(std::holds_alternative<std::monostate>(rows.value(1, 2)));
    CHECK(std::get<double>(rows[2][3]) == 4.0);
    const Rows copy = rows;
    CHECK(copy == rows);
    rows.widen_rows(5);
    for (const auto& row : rows) {
        CHECK(row.size() == 5);
    }
    CHECK(std::holds_alternative<std::monostate>(rows[1][4]));
    CHECK(std::get<std::int64_t>(rows[0][2]) == 3);
    CHECK_FALSE(copy == rows);
    Rows all = copy;
    all.append(copy);
    REQUIRE(all.size() == 6);
    CHECK(all[4].values() == copy[1].values());
}

TEST_CASE("prepared result rows filled from several threads equal rows appended in order",
          "[writer][rows]") {
    const std::vector<OutputField> fields{
        {"id", FieldType::string}, {"n", FieldType::integer}, {"v", FieldType::real}};
    constexpr std::size_t n = 20000;
    auto row_of = [](std::size_t i) {
        // Every 97th row has a value of another type than its column, every 13th a null.
        return std::vector<Value>{"R" + std::to_string(i), static_cast<std::int64_t>(i * 3),
                                  i % 97 == 0   ? Value(std::string("n/a"))
                                  : i % 13 == 0 ? Value(std::monostate{})
                                                : Value(static_cast<double>(i) / 8.0)};
    };
    Rows expected;
    for (std::size_t i = 0; i < n; ++i) {
        expected.push_back(row_of(i));
    }
    Rows rows;
    rows.prepare(fields, n);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 4; ++t) {
        threads.emplace_back([&rows, &row_of, t] {
            for (std::size_t i = t; i < n; i += 4) {
                rows.set_row(i, row_of(i));
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(rows == expected);
    CHECK(std::get<std::string>(rows[97][2]) == "n/a");
    CHECK(std::holds_alternative<std::monostate>(rows[13][2]));
    CHECK(std::get<double>(rows[12][2]) == 1.5);
}

TEST_CASE("result rows made on demand: one call a row read, equal to stored rows, copied on change",
          "[writer][rows]") {
    auto calls = std::make_shared<std::atomic<int>>(0);
    Rows rows;
    rows.view(3, 3, [calls](std::size_t i, std::vector<Value>& row) {
        ++*calls;
        row = {"P" + std::to_string(i), static_cast<std::int64_t>(i),
               i == 1 ? Value(std::monostate{}) : Value(0.5 * static_cast<double>(i))};
    });
    REQUIRE(rows.is_view());
    REQUIRE(rows.size() == 3);
    CHECK(rows[2].size() == 3);
    // A row's values read one after the other make the row once.
    CHECK(std::get<std::string>(rows[2][0]) == "P2");
    CHECK(std::get<std::int64_t>(rows[2][1]) == 2);
    CHECK(std::get<double>(rows[2][2]) == 1.0);
    CHECK(calls->load() == 1);
    CHECK(std::holds_alternative<std::monostate>(rows[1][2]));
    CHECK(std::holds_alternative<std::monostate>(rows[1][5]));  // beyond the width
    CHECK(calls->load() == 2);
    const Rows stored{{std::string("P0"), std::int64_t{0}, 0.0},
                      {std::string("P1"), std::int64_t{1}, std::monostate{}},
                      {std::string("P2"), std::int64_t{2}, 1.0}};
    CHECK(rows == stored);
    // A change turns a copy into stored rows; the view it was copied from stays as it was.
    Rows changed = rows;
    changed.set(0, 2, 9.5);
    CHECK_FALSE(changed.is_view());
    CHECK(rows.is_view());
    CHECK(std::get<double>(changed[0][2]) == 9.5);
    CHECK(std::get<double>(rows[0][2]) == 0.0);
    CHECK(changed[2].values() == stored[2].values());
    CHECK_FALSE(changed == stored);
}
