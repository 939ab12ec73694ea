#include "test_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/render.hpp>
#include <spaceuse/study.hpp>
#include <spaceuse/diff.hpp>

#include <boost/geometry.hpp>
#include <cairo.h>
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

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

/// Renders the map of each sample zone with `options` (its zone set per map) into `dir`, and
/// calls check(parcel row, colour) with the colour drawn at the clear centre of each parcel of
/// the zone that has one (see clear_point).
template <typename Check>
void at_parcel_centres(const Sample& s, MapOptions options, const std::string& dir,
                       const Check& check) {
    const OutputLayer& parcels = result(s.report, "parcels");
    const Layer& buildings = *s.report.model->find("buildings");
    for (const std::string zone : {"Z1", "Z2", "Z3"}) {
        options.zone = zone;
        const std::string path = dir + "/" + zone + ".png";
        render_map(s.report, options, path, {});
        const MapFrame frame = map_frame(s.report, options);
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
            INFO("zone " << zone << " parcel " << value_as_text(parcels.rows[r][0]) << " at pixel "
                         << px.x() << "," << px.y());
            check(r, mode_colour(img.get(), static_cast<int>(px.x()), static_cast<int>(px.y()), 3));
        }
    }
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
    int checked = 0;
    std::map<std::string, int> by_status;
    MapOptions o;
    o.labels = false;
    at_parcel_centres(s, o, test::temp_dir("render_zones"), [&](std::size_t r, unsigned colour) {
        const std::string status = value_as_text(parcels.rows[r][test::col(parcels, "status")]);
        INFO(status);
        CHECK(colour == status_colour(status));
        ++checked;
        ++by_status[status];
    });
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

namespace {

/// The sample's results with other zones: copies of zone Z2 (329 × 134 m) moved by each
/// offset (metres), named Z1, Z2... in that order.
StudyReport with_zones(const StudyReport& sample_report, const std::vector<Point>& offsets) {
    StudyReport r = sample_report;
    OutputLayer& zones = *std::find_if(r.results.begin(), r.results.end(),
                                       [](const OutputLayer& l) { return l.name == "zones"; });
    const auto z2 = std::get<MultiPolygon>(zones.geometry(1));
    const std::vector<Value> row = zones.rows[1];
    zones.geometry_source.reset();
    zones.geometries.clear();
    zones.rows.clear();
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        MultiPolygon moved;
        boost::geometry::transform(
            z2, moved,
            boost::geometry::strategy::transform::translate_transformer<double, 2, 2>(
                offsets[i].x(), offsets[i].y()));
        zones.geometries.emplace_back(moved);
        zones.rows.push_back(row);
        zones.rows.set(i, test::col(zones, "zone_id"), "Z" + std::to_string(i + 1));
        zones.rows.set(i, test::col(zones, "name"), "Zone " + std::to_string(i + 1));
    }
    return r;
}

bool covered_by(const Box& inner, const Box& outer) {
    return boost::geometry::covered_by(inner, outer);
}

/// Checks the pixel at the clear centre of each parcel of the zones in `frames` (zone id → the
/// frame it is drawn in) against the parcel's status colour; returns how many were checked.
int check_status_colours(cairo_surface_t* img, const StudyReport& r,
                         const std::map<std::string, const MapFrame*>& frames) {
    const OutputLayer& parcels = result(r, "parcels");
    const Layer& buildings = *r.model->find("buildings");
    int checked = 0;
    for (std::size_t row = 0; row < parcels.rows.size(); ++row) {
        const auto it = frames.find(
            value_as_text(parcels.rows[row][test::col(parcels, "zone_id")]));
        if (it == frames.end()) {
            continue;
        }
        const auto p = clear_point(std::get<MultiPolygon>(parcels.geometry(row)), buildings);
        if (!p) {
            continue;
        }
        const Point px = it->second->to_pixel(*p);
        const std::string status = value_as_text(parcels.rows[row][test::col(parcels, "status")]);
        INFO("parcel " << value_as_text(parcels.rows[row][0]) << " " << status << " at pixel "
                       << px.x() << "," << px.y());
        CHECK(mode_colour(img, static_cast<int>(px.x()), static_cast<int>(px.y()), 3) ==
              status_colour(status));
        ++checked;
    }
    return checked;
}

/// Whether two frames' page rectangles do not overlap.
bool apart(const MapFrame& a, const MapFrame& b) {
    return a.left >= b.left + b.width || b.left >= a.left + a.width || a.top >= b.top + b.height ||
           b.top >= a.top + a.height;
}

}  // namespace

TEST_CASE("overview map of the sample: a locator and one legible inset per zone", "[render]") {
    const Sample& s = sample();
    const OutputLayer& zones = result(s.report, "zones");
    MapOptions o;
    o.labels = false;
    const std::string path = test::temp_dir("render_overview") + "/overview.png";
    render_map(s.report, o, path, {});
    const MapFrame frame = map_frame(s.report, o);
    Image img = read_png(path);

    // The zones, 0.3 to 0.8 km across, lie 1.9 and 2.4 km apart in a row 5.6 km long: framed
    // together, Z2 and Z3 would be 55 to 70 pixels across. Each gets an inset, in zone order,
    // where each is 360 to 570 pixels across.
    REQUIRE(frame.insets.size() == 3);
    std::map<std::string, const MapFrame*> inset_of;
    for (std::size_t z = 0; z < zones.rows.size(); ++z) {
        const Box zb = envelope(zones.geometry(z));
        const MapFrame& inset = frame.insets[z];
        INFO("zone row " << z);
        CHECK(covered_by(zb, frame.world));
        CHECK(covered_by(zb, inset.world));
        const double across = std::max(zb.max_corner().x() - zb.min_corner().x(),
                                       zb.max_corner().y() - zb.min_corner().y()) *
                              inset.px_per_m;
        CHECK(across >= 300);
        inset_of[value_as_text(zones.rows[z][test::col(zones, "zone_id")])] = &inset;
        // On the page, apart from the locator and from each other.
        CHECK(inset.left + inset.width <= o.width_px);
        CHECK(inset.top + inset.height <= o.height_px);
        CHECK(apart(inset, frame));
        for (std::size_t w = 0; w < z; ++w) {
            CHECK(apart(inset, frame.insets[w]));
        }
    }

    CHECK(check_status_colours(img.get(), s.report, inset_of) >= 15);
}

TEST_CASE("overview map of zones close together: one map framed on them", "[render]") {
    const Sample& s = sample();
    // Z2 and a copy of it 150 m further east: 0.8 km across together.
    const StudyReport r = with_zones(s.report, {Point(0, 0), Point(329.0 + 150.0, 0)});
    MapOptions o;
    o.labels = false;
    const std::string path = test::temp_dir("render_close") + "/close.png";
    render_map(r, o, path, {});
    const MapFrame frame = map_frame(r, o);
    CHECK(frame.insets.empty());
    // The first zone is Z2 where it is, over the parcels of Z2 (4 with a clear centre).
    Image img = read_png(path);
    CHECK(check_status_colours(img.get(), r, {{"Z2", &frame}}) == 4);
    const OutputLayer& zones = result(r, "zones");
    Box both = envelope(zones.geometry(0));
    boost::geometry::expand(both, envelope(zones.geometry(1)));
    CHECK(covered_by(both, frame.world));
    // Framed on the zones with a margin, not on the roads around them: they span most of the
    // frame's width (the body is wider than their extent is tall).
    const double span = (both.max_corner().x() - both.min_corner().x()) * frame.px_per_m;
    CHECK(span >= 0.8 * frame.width);
    CHECK(span < frame.width);
    // One zone alone is framed the same way.
    const MapFrame one = map_frame(with_zones(s.report, {Point(0, 0)}), o);
    CHECK(one.insets.empty());
    const Box z = envelope(zones.geometry(0));
    CHECK((z.max_corner().x() - z.min_corner().x()) * one.px_per_m >= 0.8 * one.width);
}

TEST_CASE("overview map of many zones far apart: at most 12 insets", "[render]") {
    const Sample& s = sample();
    // Copies of Z2 (329 m across) at 12 sites 10 km apart; the first two sites have a second
    // zone 1 km away. Those pairs are the nearest clusters: they merge into one inset each.
    std::vector<Point> offsets;
    for (int i = 0; i < 12; ++i) {
        offsets.emplace_back((i % 4) * 10000.0, (i / 4) * 10000.0);
    }
    offsets.emplace_back(1000.0, 0.0);
    offsets.emplace_back(11000.0, 0.0);
    const StudyReport r = with_zones(s.report, offsets);
    const MapFrame frame = map_frame(r, {});
    REQUIRE(frame.insets.size() == 12);
    const OutputLayer& zones = result(r, "zones");
    std::vector<std::vector<std::size_t>> held(frame.insets.size());
    for (std::size_t z = 0; z < zones.rows.size(); ++z) {
        for (std::size_t i = 0; i < frame.insets.size(); ++i) {
            if (covered_by(envelope(zones.geometry(z)), frame.insets[i].world)) {
                held[i].push_back(z);
            }
        }
    }
    CHECK(held[0] == std::vector<std::size_t>{0, 12});
    CHECK(held[1] == std::vector<std::size_t>{1, 13});
    for (std::size_t i = 2; i < held.size(); ++i) {
        CHECK(held[i] == std::vector<std::size_t>{i});
    }
    const std::string path = test::temp_dir("render_many") + "/many.png";
    CHECK_NOTHROW(render_map(r, {}, path, {}));
}

TEST_CASE("change map of a zone: the pixel at each parcel's centre has its change colour",
          "[render][followup]") {
    const Sample& s = sample();
    // The sample's earlier survey, whose results the change maps are drawn against.
    Study earlier = load_project(std::string(SPACEUSE_SOURCE_DIR) + "/data/heverlee_2021.toml");
    earlier.output_dir = test::temp_dir("render_2021_" + std::to_string(::getpid()));
    earlier.documents = {};
    earlier.threads = 1;
    run_study(earlier);
    // The category of each current parcel, from the follow-up computed independently.
    const DiffReport d = diff_results(open_results(earlier.output_dir), s.report);
    std::map<std::string, ChangeCategory> category;
    const OutputLayer& pc = d.parcel_changes;
    for (const auto& row : pc.rows) {
        const std::string name = value_as_text(row[test::col(pc, "category")]);
        std::stringstream ids(value_as_text(row[test::col(pc, "parcel_ids_after")]));
        for (std::string id; std::getline(ids, id, ',');) {
            for (int c = 0; c < change_category_count; ++c) {
                if (name == change_category_name(static_cast<ChangeCategory>(c))) {
                    category[id] = static_cast<ChangeCategory>(c);
                }
            }
        }
    }
    const OutputLayer& parcels = result(s.report, "parcels");
    std::map<ChangeCategory, int> checked;
    MapOptions o;
    o.labels = false;
    o.follow_up.since = {earlier.output_dir};
    at_parcel_centres(s, o, test::temp_dir("render_changes"), [&](std::size_t r, unsigned colour) {
        const std::string id = value_as_text(parcels.rows[r][test::col(parcels, "parcel_id")]);
        REQUIRE(category.count(id) == 1);
        INFO(change_category_name(category.at(id)));
        CHECK(colour == change_colour(category.at(id)));
        ++checked[category.at(id)];
    });
    // The sample's changes (data/README.md, "Earlier survey"): newly built parcels, the new
    // parcel P0005 and unchanged ones have clear points.
    CHECK(checked[ChangeCategory::built] >= 2);
    CHECK(checked[ChangeCategory::added] == 1);
    CHECK(checked[ChangeCategory::unchanged] >= 10);
}
