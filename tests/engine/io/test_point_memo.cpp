// The writer's point memo must give the same coordinates as transforming every point with PROJ.
#include "../../../engine/src/io/proj_util.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>

using namespace spaceuse;

namespace {

/// A grid of w x h square parcels in Belgian Lambert 72 (neighbours share their corners), each
/// corner jittered by a fixed amount per corner so shared points stay shared, plus a hole in
/// every fifth parcel.
std::vector<MultiPolygon> parcel_grid(int w, int h) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> jitter(-0.3, 0.3);
    std::vector<std::vector<Point>> corners(static_cast<std::size_t>(w + 1));
    for (int i = 0; i <= w; ++i) {
        for (int j = 0; j <= h; ++j) {
            corners[static_cast<std::size_t>(i)].emplace_back(170000.0 + 25.0 * i + jitter(rng),
                                                              172000.0 + 25.0 * j + jitter(rng));
        }
    }
    auto c = [&corners](int i, int j) {
        return corners[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    };
    std::vector<MultiPolygon> out;
    for (int i = 0; i < w; ++i) {
        for (int j = 0; j < h; ++j) {
            Polygon p;
            p.outer() = {c(i, j), c(i, j + 1), c(i + 1, j + 1), c(i + 1, j), c(i, j)};
            if ((i * h + j) % 5 == 0) {
                const double x = c(i, j).x() + 10.0;
                const double y = c(i, j).y() + 10.0;
                p.inners().push_back({{x, y}, {x + 3, y}, {x + 3, y + 3}, {x, y + 3}, {x, y}});
            }
            out.push_back(MultiPolygon{p});
        }
    }
    return out;
}

bool same_bits(const MultiPolygon& a, const MultiPolygon& b) {
    std::vector<double> xa;
    std::vector<double> xb;
    boost::geometry::for_each_point(a, [&xa](const Point& p) {
        xa.push_back(p.x());
        xa.push_back(p.y());
    });
    boost::geometry::for_each_point(b, [&xb](const Point& p) {
        xb.push_back(p.x());
        xb.push_back(p.y());
    });
    return xa.size() == xb.size() &&
           std::memcmp(xa.data(), xb.data(), xa.size() * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("point memo: the same bits as PROJ point by point", "[io][crs]") {
    const auto parcels = parcel_grid(40, 30);
    detail::Transformer plain("EPSG:31370", "EPSG:4326");
    detail::Transformer memo_tr("EPSG:31370", "EPSG:4326");
    detail::Transformer tiny_tr("EPSG:31370", "EPSG:4326");
    detail::PointMemo memo;
    detail::PointMemo tiny(2);  // four slots: evictions and collisions within one ring
    std::size_t checked = 0;
    // Twice over the layer, the second time in reverse, so the memo answers from earlier
    // features and from a warm state.
    for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t k = 0; k < parcels.size(); ++k) {
            const auto& src = parcels[pass == 0 ? k : parcels.size() - 1 - k];
            MultiPolygon a = src;
            MultiPolygon b = src;
            MultiPolygon c = src;
            REQUIRE(detail::transform_geometry(a, plain));
            REQUIRE(memo.transform(b, memo_tr));
            REQUIRE(tiny.transform(c, tiny_tr));
            CHECK(same_bits(a, b));
            CHECK(same_bits(a, c));
            ++checked;
        }
    }
    CHECK(checked == 2400);
    // A WGS84 position near Leuven (sanity: the transformation did happen).
    MultiPolygon one = parcels.front();
    REQUIRE(memo.transform(one, memo_tr));
    CHECK(one.front().outer().front().x() == Approx(4.7).margin(0.2));
    CHECK(one.front().outer().front().y() == Approx(50.85).margin(0.2));
}

TEST_CASE("point memo: a point PROJ cannot transform fails every time", "[io][crs]") {
    detail::Transformer tr("EPSG:4326", "EPSG:3857");
    detail::PointMemo memo;
    MultiPoint bad{{4.7, 50.88}, {4.7, 95.0}};
    MultiPoint good{{4.7, 50.88}};
    for (int i = 0; i < 2; ++i) {
        MultiPoint g = bad;
        CHECK_FALSE(memo.transform(g, tr));
    }
    MultiPoint g = good;
    REQUIRE(memo.transform(g, tr));
    // Pseudo-Mercator x = 6378137 m * 4.7 degrees in radians
    CHECK(g.front().x() == Approx(523201.607).epsilon(0).margin(0.01));
}
