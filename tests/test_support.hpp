#pragma once

// Helpers shared by the tests: in-memory GDAL files, shared-data lookup, model building.

#include <spaceuse/io.hpp>
#include <spaceuse/output.hpp>

#include <catch2/catch.hpp>

#include <cpl_vsi.h>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <utility>

namespace spaceuse::test {

/// Writes `text` to a /vsimem/ file and returns its path.
inline std::string vsimem(const std::string& name, const std::string& text) {
    const std::string path = "/vsimem/spaceuse_tests/" + name;
    VSILFILE* f = VSIFOpenL(path.c_str(), "wb");
    VSIFWriteL(text.data(), 1, text.size(), f);
    VSIFCloseL(f);
    return path;
}

/// Path of a file in the shared real test data, or empty when the data is absent.
inline std::string shared_data(const std::string& relative) {
    const std::filesystem::path p = std::filesystem::path(SPACEUSE_SHARED_DATA) / relative;
    return std::filesystem::exists(p) ? p.string() : std::string();
}

/// A fresh temporary folder for one test.
inline std::string temp_dir(const std::string& name) {
    const std::filesystem::path p = std::filesystem::path(SPACEUSE_TEST_TMP) / name;
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p.string();
}

/// GeoJSON FeatureCollection text with a crs member for `epsg` and the given features
/// (each a complete {"type":"Feature",...} object).
inline std::string feature_collection(int epsg, const std::string& features) {
    return R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::)" +
           std::to_string(epsg) + R"("}},"features":[)" + features + "]}";
}

/// One GeoJSON feature with a WKT-like polygon given as a GeoJSON geometry text.
inline std::string feature(const std::string& properties, const std::string& geometry) {
    return R"({"type":"Feature","properties":)" + properties + R"(,"geometry":)" + geometry + "}";
}

/// A one-ring polygon (as given: neither closed nor oriented for you) as a MultiPolygon.
inline MultiPolygon ring_polygon(std::initializer_list<std::pair<double, double>> points) {
    Polygon p;
    for (const auto& [x, y] : points) {
        p.outer().emplace_back(x, y);
    }
    return MultiPolygon{p};
}

/// GeoJSON polygon of an axis-aligned rectangle.
inline std::string rect(double x0, double y0, double x1, double y1) {
    auto p = [](double x, double y) {
        return "[" + std::to_string(x) + "," + std::to_string(y) + "]";
    };
    return R"({"type":"Polygon","coordinates":[[)" + p(x0, y0) + "," + p(x1, y0) + "," + p(x1, y1) +
           "," + p(x0, y1) + "," + p(x0, y0) + "]]}";
}

/// The index of field `name` of a result layer; fails the test when it has none.
inline std::size_t col(const OutputLayer& l, const std::string& name) {
    for (std::size_t i = 0; i < l.fields.size(); ++i) {
        if (l.fields[i].name == name) {
            return i;
        }
    }
    FAIL("no field " << name);
    return 0;
}

}  // namespace spaceuse::test
