// The reader's cheap validity test must never vouch for a polygon GEOS finds invalid.
#include "test_support.hpp"

#include "../../../engine/src/io/ogr_convert.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace spaceuse;
using spaceuse::test::ring_polygon;

namespace {

bool geos_valid(const detail::GeosContext& geos, const MultiPolygon& mp) {
    std::string reason;
    auto g = geos.from(mp);
    return geos.is_valid(g.get(), reason);
}

}  // namespace

TEST_CASE("cheap validity: hand-made cases", "[io][validity]") {
    // a square and a jittered quadrilateral: vouched for
    CHECK(detail::clearly_valid(ring_polygon({{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}})));
    CHECK(detail::clearly_valid(
        ring_polygon({{0, 0}, {10.3, 0.2}, {9.8, 10.1}, {0.1, 9.7}, {0, 0}})));
    // a triangle and a straight run along one side (collinear, same direction)
    CHECK(detail::clearly_valid(ring_polygon({{0, 0}, {10, 0}, {0, 10}, {0, 0}})));
    CHECK(
        detail::clearly_valid(ring_polygon({{0, 0}, {5, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}})));
    // bow-tie, spike, self-touching ring, repeated point, open ring, hole: left to GEOS
    CHECK_FALSE(detail::clearly_valid(ring_polygon({{0, 0}, {10, 10}, {10, 0}, {0, 10}, {0, 0}})));
    CHECK_FALSE(detail::clearly_valid(
        ring_polygon({{0, 0}, {10, 0}, {15, 0}, {10, 0.0}, {10, 10}, {0, 10}, {0, 0}})));
    CHECK_FALSE(detail::clearly_valid(
        ring_polygon({{0, 0}, {10, 0}, {10, 10}, {5, 10}, {5, 5}, {6, 10}, {0, 10}, {0, 0}})));
    CHECK_FALSE(
        detail::clearly_valid(ring_polygon({{0, 0}, {10, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}})));
    CHECK_FALSE(detail::clearly_valid(ring_polygon({{0, 0}, {10, 0}, {10, 10}, {0, 10}})));
    MultiPolygon holed = ring_polygon({{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}});
    holed.front().inners().push_back({{2, 2}, {2, 4}, {4, 4}, {4, 2}, {2, 2}});
    CHECK_FALSE(detail::clearly_valid(holed));
    // a collinear back-and-forth (zero area)
    CHECK_FALSE(detail::clearly_valid(ring_polygon({{0, 0}, {10, 0}, {20, 0}, {0, 0}})));
}

TEST_CASE("cheap validity never disagrees with GEOS on random rings", "[io][validity]") {
    // 20000 random rings of 3..9 points on a coarse grid (so touching, collinear and repeated
    // points are frequent): whenever the cheap test vouches for one, GEOS must agree.
    detail::GeosContext geos;
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> coord(0, 6);
    std::uniform_int_distribution<int> count(3, 9);
    int vouched = 0;
    int geos_valid_count = 0;
    for (int k = 0; k < 20000; ++k) {
        Polygon p;
        const int n = count(rng);
        for (int i = 0; i < n; ++i) {
            p.outer().emplace_back(coord(rng), coord(rng));
        }
        p.outer().push_back(p.outer().front());
        const MultiPolygon mp{p};
        const bool valid = geos_valid(geos, mp);
        geos_valid_count += valid ? 1 : 0;
        if (detail::clearly_valid(mp)) {
            ++vouched;
            INFO("ring " << k);
            REQUIRE(valid);
        }
    }
    // the test is not vacuous: many rings are vouched for, and many valid ones are left to GEOS
    CHECK(vouched > 500);
    CHECK(geos_valid_count > vouched);
}
