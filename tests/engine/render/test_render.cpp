#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/render.hpp>
#include <spaceuse/study.hpp>

#include <boost/geometry.hpp>
#include <cairo.h>
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

using namespace spaceuse;

namespace {

/// The bundled sample, run once for all render tests (documents off).
struct Sample {
    Study study;
    StudyReport report;
};

const Sample& sample() {
    static const Sample s = [] {
        Sample x;
        x.study = load_project(std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee.toml");
        // One folder per process: ctest runs the test cases in parallel processes.
        x.study.output_dir = test::temp_dir("render_sample_" + std::to_string(::getpid()));
        x.study.documents.map.reset();
        x.study.documents.report.reset();
        x.study.documents.view.reset();
        x.study.threads = 1;
        x.report = run_study(x.study);
        return x;
    }();
    return s;
}

struct SurfaceDeleter {
    void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using Image = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;

Image read_png(const std::string& path) {
    Image img(cairo_image_surface_create_from_png(path.c_str()));
    REQUIRE(cairo_surface_status(img.get()) == CAIRO_STATUS_SUCCESS);
    return img;
}

unsigned pixel(cairo_surface_t* img, int x, int y) {
    const unsigned char* data = cairo_image_surface_get_data(img);
    const int stride = cairo_image_surface_get_stride(img);
    const auto* p = reinterpret_cast<const std::uint32_t*>(data + y * stride) + x;
    return *p & 0xFFFFFF;
}

/// Most frequent colour in the (2r+1)² window around (x, y): hatching lines and outlines are
/// thin, so the fill wins.
unsigned mode_colour(cairo_surface_t* img, int x, int y, int r) {
    std::map<unsigned, int> n;
    for (int dy = -r; dy <= r; ++dy) {
        for (int dx = -r; dx <= r; ++dx) {
            ++n[pixel(img, x + dx, y + dy)];
        }
    }
    return std::max_element(n.begin(), n.end(),
                            [](auto& a, auto& b) { return a.second < b.second; })
        ->first;
}

const OutputLayer& result(const StudyReport& r, const std::string& name) {
    for (const auto& l : r.results) {
        if (l.name == name) {
            return l;
        }
    }
    FAIL("no result layer " << name);
    return r.results.front();
}

/// A point well inside the parcel and off every building (its centroid), if there is one.
std::optional<Point> clear_point(const MultiPolygon& parcel, const Layer& buildings) {
    Point c;
    boost::geometry::centroid(parcel, c);
    if (!boost::geometry::within(c, parcel)) {
        return std::nullopt;
    }
    for (const auto& b : buildings.features) {
        const auto& mp = std::get<MultiPolygon>(b.geometry);
        if (boost::geometry::distance(c, mp) < 4.0) {
            return std::nullopt;
        }
    }
    const auto& ring = parcel.front().outer();
    if (boost::geometry::distance(c, LineString(ring.begin(), ring.end())) < 4.0) {
        return std::nullopt;
    }
    return c;
}

unsigned status_colour(const std::string& s) {
    return s == "occupied"    ? StatusColours::occupied
           : s == "underused" ? StatusColours::underused
                              : StatusColours::vacant;
}

}  // namespace

TEST_CASE("map PNG of the sample: requested size, not blank, every status drawn", "[render]") {
    const Sample& s = sample();
    const std::string path = test::temp_dir("render_png") + "/map.png";
    MapOptions o;
    o.width_px = 1200;
    o.height_px = 850;
    o.dpi = 100;
    render_map(s.report, o, path, {});
    Image img = read_png(path);
    CHECK(cairo_image_surface_get_width(img.get()) == 1200);
    CHECK(cairo_image_surface_get_height(img.get()) == 850);
    std::map<unsigned, int> colours;
    std::size_t non_white = 0;
    for (int y = 0; y < 850; ++y) {
        for (int x = 0; x < 1200; ++x) {
            const unsigned c = pixel(img.get(), x, y);
            ++colours[c];
            non_white += c != 0xFFFFFF;
        }
    }
    CHECK(non_white > 1200 * 850 / 20);
    CHECK(colours.size() > 50);
    CHECK(colours[StatusColours::occupied] > 0);
    CHECK(colours[StatusColours::underused] > 0);
    CHECK(colours[StatusColours::vacant] > 0);
}

TEST_CASE("zone maps: the pixel at each parcel's centre has its status colour", "[render]") {
    const Sample& s = sample();
    const OutputLayer& parcels = result(s.report, "parcels");
    const Layer& buildings = *s.report.model->find("buildings");
    const std::string dir = test::temp_dir("render_zones");
    int checked = 0;
    std::map<std::string, int> by_status;
    for (const std::string zone : {"Z1", "Z2", "Z3"}) {
        MapOptions o;
        o.zone = zone;
        o.labels = false;
        const std::string path = dir + "/" + zone + ".png";
        render_map(s.report, o, path, {});
        const MapFrame frame = map_frame(s.report, o);
        Image img = read_png(path);
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            if (value_as_text(parcels.rows[r][test::col(parcels, "zone_id")]) != zone) {
                continue;
            }
            const auto p = clear_point(std::get<MultiPolygon>(parcels.geometry(r)), buildings);
            if (!p) {
                continue;
            }
            const Point px = frame.to_pixel(*p);
            const std::string status = value_as_text(parcels.rows[r][test::col(parcels, "status")]);
            INFO("zone " << zone << " parcel " << value_as_text(parcels.rows[r][0]) << " " << status
                         << " at pixel " << px.x() << "," << px.y());
            CHECK(mode_colour(img.get(), static_cast<int>(px.x()), static_cast<int>(px.y()), 3) ==
                  status_colour(status));
            ++checked;
            ++by_status[status];
        }
    }
    // 18 of the 40 parcels in zones have a centroid inside them and 4 m clear of buildings and
    // of their boundary; every status is among them.
    CHECK(checked >= 15);
    CHECK(by_status["occupied"] > 0);
    CHECK(by_status["underused"] > 0);
    CHECK(by_status["vacant"] > 0);
}

TEST_CASE("graduated colours: fixed breaks on coverage", "[render]") {
    const Sample& s = sample();
    const OutputLayer& parcels = result(s.report, "parcels");
    const Layer& buildings = *s.report.model->find("buildings");
    MapOptions o;
    o.zone = "Z1";
    o.labels = false;
    o.field = "coverage";
    o.classification = "breaks";
    o.breaks = {0.05, 0.30};
    const std::string path = test::temp_dir("render_breaks") + "/coverage.png";
    render_map(s.report, o, path, {});
    const MapFrame frame = map_frame(s.report, o);
    Image img = read_png(path);
    // Three classes use ColorBrewer YlGnBu-3: ≤ 0.05, 0.05–0.30, > 0.30.
    int checked = 0;
    for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
        if (value_as_text(parcels.rows[r][test::col(parcels, "zone_id")]) != "Z1") {
            continue;
        }
        const auto p = clear_point(std::get<MultiPolygon>(parcels.geometry(r)), buildings);
        if (!p) {
            continue;
        }
        const double cov = *value_as_number(parcels.rows[r][test::col(parcels, "coverage")]);
        const unsigned expected = cov <= 0.05 ? 0xEDF8B1u : cov <= 0.30 ? 0x7FCDBBu : 0x2C7FB8u;
        const Point px = frame.to_pixel(*p);
        INFO("parcel " << value_as_text(parcels.rows[r][0]) << " coverage " << cov);
        CHECK(mode_colour(img.get(), static_cast<int>(px.x()), static_cast<int>(px.y()), 3) ==
              expected);
        ++checked;
    }
    CHECK(checked >= 10);
}

TEST_CASE("map options are checked", "[render]") {
    const Sample& s = sample();
    const std::string dir = test::temp_dir("render_bad");
    MapOptions o;
    o.zone = "Z9";
    CHECK_THROWS_WITH(render_map(s.report, o, dir + "/a.png", {}),
                      Catch::Contains("no zone 'Z9' (zones: Z1, Z2, Z3)"));
    o = {};
    o.field = "nope";
    CHECK_THROWS_WITH(render_map(s.report, o, dir + "/a.png", {}),
                      Catch::Contains("no numeric parcel field 'nope'"));
    o = {};
    CHECK_THROWS_AS(render_map(s.report, o, dir + "/a.gif", {}), ConfigError);
    o.width_px = 10;
    CHECK_THROWS_AS(render_map(s.report, o, dir + "/a.png", {}), ConfigError);
    // An existing file is kept without overwrite.
    o = {};
    render_map(s.report, o, dir + "/b.svg", {});
    CHECK_THROWS_AS(render_map(s.report, o, dir + "/b.svg", {}), OutputError);
    WriteOptions w;
    w.overwrite = true;
    CHECK_NOTHROW(render_map(s.report, o, dir + "/b.svg", w));
}

TEST_CASE("report and map PDFs are the same bytes from run to run", "[render]") {
    const Sample& s = sample();
    const std::string dir = test::temp_dir("render_pdf");
    render_report(s.report, {}, dir + "/a.pdf", {});
    render_report(s.report, {}, dir + "/b.pdf", {});
    auto bytes = [](const std::string& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string a = bytes(dir + "/a.pdf");
    CHECK(a.size() > 10000);
    CHECK(a == bytes(dir + "/b.pdf"));
    CHECK(a.find("%PDF-") == 0);
}
