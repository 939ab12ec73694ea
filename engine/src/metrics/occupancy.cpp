#include "../geos/geos.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/occupancy.hpp>

#include <boost/geometry.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace bg = boost::geometry;

namespace spaceuse {

namespace {

using detail::GeomPtr;
using detail::GeosContext;
using detail::PreparedPtr;

const Layer& require_polygon_layer(const Model& model, const std::string& name) {
    const Layer* layer = model.find(name);
    if (layer == nullptr) {
        throw ConfigError("occupancy needs a layer '" + name + "'");
    }
    if (layer->family != GeometryFamily::polygon) {
        throw ConfigError("occupancy: layer '" + name + "' must hold polygons");
    }
    return *layer;
}

Box expanded(const Box& box, double d) {
    return Box(Point(box.min_corner().x() - d, box.min_corner().y() - d),
               Point(box.max_corner().x() + d, box.max_corner().y() + d));
}

/// Per-thread state: a GEOS context and the zones converted so far.
struct Worker {
    GeosContext geos;
    struct ZoneGeom {
        GeomPtr geometry;
        PreparedPtr prepared;
    };
    std::unordered_map<std::size_t, ZoneGeom> zones;

    const ZoneGeom& zone(const Layer& layer, std::size_t index) {
        auto it = zones.find(index);
        if (it == zones.end()) {
            ZoneGeom zg;
            zg.geometry = geos.from(std::get<MultiPolygon>(layer.features[index].geometry));
            zg.prepared = geos.prepare(zg.geometry.get());
            it = zones.emplace(index, std::move(zg)).first;
        }
        return it->second;
    }

    GeomPtr clone(const GEOSGeometry* g) const {
        return geos.own(GEOSGeom_clone_r(geos.handle(), g), "clone");
    }

    GeomPtr union_of(const std::vector<const GEOSGeometry*>& parts) const {
        std::vector<GeomPtr> clones;
        clones.reserve(parts.size());
        for (const auto* p : parts) {
            clones.push_back(clone(p));
        }
        auto collection = geos.collection(GEOS_GEOMETRYCOLLECTION, std::move(clones));
        return geos.unary_union(collection.get());
    }
};

struct ParcelWork {
    ParcelResult result;
    /// The parcel's figures inside one zone (all zones it meets, not only its own).
    struct ZonePart {
        std::size_t zone = 0;
        double area_m2 = 0.0;
        double built_m2 = 0.0;
        double free_m2 = 0.0;
        double floor_m2 = 0.0;
        bool partial = false;
    };
    std::vector<ZonePart> zone_parts;
    std::vector<FreePiece> free;
};

class OccupancyRun {
public:
    OccupancyRun(const Model& model, const OccupancyOptions& options)
        : m_options(options), m_profile(options.profile),
          m_zones(require_polygon_layer(model, options.zones_layer)),
          m_parcels(require_polygon_layer(model, options.parcels_layer)),
          m_buildings(require_polygon_layer(model, options.buildings_layer)) {
        m_zone_name = m_zones.require_field(options.zone_name_field);
        m_status = m_parcels.require_field(options.status_field);
        const auto floors = m_buildings.require_field(options.floors_field);
        const auto height = options.floors_field.empty()
                                ? m_buildings.require_field(options.height_field)
                                : std::nullopt;
        m_floors_known = floors.has_value() || height.has_value();
        m_floors.resize(m_buildings.features.size());
        for (std::size_t b = 0; b < m_buildings.features.size(); ++b) {
            const auto& attrs = m_buildings.features[b].attributes;
            if (floors) {
                const auto v = value_as_number(attrs[*floors]);
                if (v && *v > 0) {
                    m_floors[b] = *v;
                }
            } else if (height) {
                const auto v = value_as_number(attrs[*height]);
                if (v && *v > 0) {
                    m_floors[b] = std::max(1.0, std::round(*v / m_profile.storey_height_m));
                }
            }
            if (m_floors_known && !m_floors[b]) {
                ++m_unknown_floors;
            }
        }
    }

    OccupancyResult run(const ProgressFn& progress_fn) {
        Progress progress(progress_fn);
        progress.report(0.0, "occupancy");
        const std::size_t n = m_parcels.features.size();
        std::vector<ParcelWork> work(n);
        unsigned threads = m_options.threads != 0 ? m_options.threads
                                                  : std::max(1U, std::thread::hardware_concurrency());
        threads = static_cast<unsigned>(
            std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(1, n / 16)));
        constexpr std::size_t chunk = 64;
        std::atomic<std::size_t> next{0};
        std::atomic<std::size_t> done{0};
        std::exception_ptr failure;
        std::mutex failure_mutex;
        std::atomic<bool> stop{false};

        // Keeps the first failure of any worker and stops the others.
        auto fail = [&] {
            std::lock_guard lock(failure_mutex);
            if (!failure) {
                failure = std::current_exception();
            }
            stop = true;
        };
        auto body = [&](bool report) {
            Worker worker;
            while (!stop.load()) {
                const std::size_t begin = next.fetch_add(chunk);
                if (begin >= n) {
                    break;
                }
                const std::size_t end = std::min(n, begin + chunk);
                try {
                    for (std::size_t i = begin; i < end; ++i) {
                        try {
                            work[i] = process(worker, i);
                        } catch (Error& e) {
                            e.set_layer(m_parcels.name).set_feature(m_parcels.features[i].fid);
                            throw;
                        }
                    }
                    done += end - begin;
                    if (report) {
                        progress.report(0.95 * static_cast<double>(done) / static_cast<double>(n),
                                        "occupancy: parcels");
                    }
                } catch (...) {
                    fail();
                    return;
                }
            }
        };
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < threads; ++t) {
            pool.emplace_back(body, false);
        }
        body(true);
        for (auto& t : pool) {
            t.join();
        }
        if (failure) {
            std::rethrow_exception(failure);
        }
        OccupancyResult result = aggregate(work);
        progress.report(1.0, "occupancy done");
        return result;
    }

private:
    ParcelWork process(Worker& w, std::size_t i) const {
        const auto& geos = w.geos;
        const auto& geometry = std::get<MultiPolygon>(m_parcels.features[i].geometry);
        ParcelWork out;
        ParcelResult& r = out.result;
        r.parcel = i;
        r.area_m2 = bg::area(geometry);
        const Box box = bg::return_envelope<Box>(geometry);
        GeomPtr parcel = geos.from(geometry);
        PreparedPtr prepared = geos.prepare(parcel.get());

        // Zone: the one holding the largest part; every zone gets the part inside it.
        double best = 0.0;
        for (const std::size_t z : m_zones.query(box)) {
            const auto& zg = w.zone(m_zones, z);
            double inside = 0.0;
            if (geos.prepared_covers(zg.prepared.get(), parcel.get())) {
                inside = r.area_m2;
            } else if (geos.prepared_intersects(zg.prepared.get(), parcel.get())) {
                inside = geos.area(geos.intersection(zg.geometry.get(), parcel.get()).get());
            }
            if (inside > 0.0) {
                ParcelWork::ZonePart part;
                part.zone = z;
                part.area_m2 = inside;
                part.partial = inside < r.area_m2;
                out.zone_parts.push_back(part);
                if (inside > best) {
                    best = inside;
                    r.zone = z;
                }
            }
        }
        r.zone_share = r.area_m2 > 0 ? std::min(1.0, best / r.area_m2) : 0.0;

        // Buildings: footprint parts inside the parcel, unioned before measuring.
        std::vector<GeomPtr> owned;
        std::vector<const GEOSGeometry*> pieces;
        std::vector<double> piece_floors;  // floors per piece, NaN when unknown
        std::vector<const GEOSGeometry*> nearby;
        double floor_sum = 0.0;
        bool floors_complete = true;
        const double setback = m_profile.setback_m;
        for (const std::size_t b : m_buildings.query(expanded(box, setback))) {
            const auto& bgeom = std::get<MultiPolygon>(m_buildings.features[b].geometry);
            owned.push_back(geos.from(bgeom));
            const GEOSGeometry* building = owned.back().get();
            nearby.push_back(building);
            if (!geos.prepared_intersects(prepared.get(), building)) {
                continue;
            }
            double piece_area = 0.0;
            if (geos.prepared_covers(prepared.get(), building)) {
                piece_area = bg::area(bgeom);
                pieces.push_back(building);
            } else {
                owned.push_back(geos.intersection(parcel.get(), building));
                piece_area = geos.area(owned.back().get());
                if (piece_area <= 0.0) {
                    continue;  // touches the boundary only
                }
                pieces.push_back(owned.back().get());
            }
            ++r.n_buildings;
            piece_floors.push_back(m_floors[b] ? *m_floors[b] : std::nan(""));
            if (m_floors[b]) {
                floor_sum += piece_area * *m_floors[b];
            } else {
                floors_complete = false;
            }
        }
        GeomPtr built_union;
        if (pieces.size() == 1) {
            r.built_m2 = geos.area(pieces.front());
        } else if (pieces.size() > 1) {
            built_union = w.union_of(pieces);
            r.built_m2 = geos.area(built_union.get());
        }
        r.coverage = r.area_m2 > 0 ? std::min(1.0, r.built_m2 / r.area_m2) : 0.0;
        if (m_floors_known && floors_complete) {
            r.floor_m2 = floor_sum;
            r.far = r.area_m2 > 0 ? floor_sum / r.area_m2 : 0.0;
        }

        r.status = r.coverage < m_profile.vacant_below      ? ParcelStatus::vacant
                   : r.coverage < m_profile.underused_below ? ParcelStatus::underused
                                                            : ParcelStatus::occupied;
        if (m_status) {
            const std::string value = value_as_text(m_parcels.features[i].attributes[*m_status]);
            const auto it = m_profile.status_values.find(value);
            if (it != m_profile.status_values.end()) {
                r.status = it->second;
                r.status_from_attribute = true;
            }
        }

        // Usable free land: parcel minus buildings grown by the setback (round buffer: a
        // distance), opened by the minimum width (erode then dilate with mitred joins, so
        // strips narrower than the width drop out while square corners stay square; the
        // result is clipped back to the free land), keeping pieces of at least the minimum
        // area.
        GeomPtr free;
        if (!nearby.empty()) {
            GeomPtr blocked = w.union_of(nearby);
            if (setback > 0) {
                blocked = geos.buffer(blocked.get(), setback);
            }
            free = geos.difference(parcel.get(), blocked.get());
        } else {
            free = w.clone(parcel.get());
        }
        const double half_width = m_profile.min_free_width_m / 2.0;
        if (half_width > 0 && !geos.is_empty(free.get()) && !could_hold_piece(w, free.get())) {
            // Every piece the opening could keep lies inside one part of the free land, so
            // when no part reaches the minimum area there is nothing to keep; skipping the
            // two buffers and the clip leaves the result unchanged.
            free = geos.own(GEOSGeom_createEmptyPolygon_r(geos.handle()), "empty");
        } else if (half_width > 0 && !geos.is_empty(free.get())) {
            GeomPtr eroded = geos.buffer_mitre(free.get(), -half_width);
            if (geos.is_empty(eroded.get())) {
                free = geos.own(GEOSGeom_createEmptyPolygon_r(geos.handle()), "empty");
            } else {
                GeomPtr opened = geos.buffer_mitre(eroded.get(), half_width);
                free = geos.intersection(opened.get(), free.get());
            }
        }
        MultiPolygon usable = geos.to_multipolygon(free.get());
        for (auto& poly : usable) {
            const double a = bg::area(poly);
            if (a >= m_profile.min_free_area_m2 && a > 0) {
                FreePiece piece;
                piece.parcel = i;
                piece.area_m2 = a;
                piece.geometry.push_back(std::move(poly));
                out.free.push_back(std::move(piece));
            }
        }
        std::stable_sort(out.free.begin(), out.free.end(),
                         [](const FreePiece& a, const FreePiece& b) { return a.area_m2 > b.area_m2; });
        for (const auto& piece : out.free) {
            r.free_m2 += piece.area_m2;
            r.largest_free_m2 = std::max(r.largest_free_m2, piece.area_m2);
        }

        // Zone figures count only what lies inside each zone. A parcel inside its zone gives its
        // own figures; a parcel across a zone edge is clipped (rare, so the extra overlays are
        // cheap).
        for (auto& part : out.zone_parts) {
            if (!part.partial) {
                part.built_m2 = r.built_m2;
                part.free_m2 = r.free_m2;
                part.floor_m2 = r.floor_m2.value_or(0.0);
                continue;
            }
            const auto& zg = w.zone(m_zones, part.zone);
            if (!pieces.empty()) {
                const GEOSGeometry* built = built_union ? built_union.get() : pieces.front();
                part.built_m2 = geos.area(geos.intersection(built, zg.geometry.get()).get());
            }
            for (std::size_t k = 0; k < pieces.size(); ++k) {
                if (!std::isnan(piece_floors[k])) {
                    part.floor_m2 += piece_floors[k] *
                                     geos.area(geos.intersection(pieces[k], zg.geometry.get()).get());
                }
            }
            for (const auto& piece : out.free) {
                auto g = geos.from(piece.geometry);
                part.free_m2 += geos.area(geos.intersection(g.get(), zg.geometry.get()).get());
            }
        }
        return out;
    }

    /// Whether some polygonal part of `free` is large enough to give a piece of at least the
    /// minimum area (with a margin far above the rounding of the later area computations).
    bool could_hold_piece(const Worker& w, const GEOSGeometry* free) const {
        const double min_area = m_profile.min_free_area_m2;
        if (!(min_area > 0)) {
            return true;
        }
        const double threshold = min_area * (1.0 - 1e-9);
        const auto h = w.geos.handle();
        const int type = GEOSGeomTypeId_r(h, free);
        if (type != GEOS_MULTIPOLYGON && type != GEOS_GEOMETRYCOLLECTION) {
            return w.geos.area(free) >= threshold;
        }
        const int n = GEOSGetNumGeometries_r(h, free);
        for (int k = 0; k < n; ++k) {
            if (w.geos.area(GEOSGetGeometryN_r(h, free, k)) >= threshold) {
                return true;
            }
        }
        return false;
    }

    OccupancyResult aggregate(std::vector<ParcelWork>& work) const {
        OccupancyResult result;
        result.n_buildings_floors_unknown = m_unknown_floors;
        result.zones.resize(m_zones.features.size());
        std::vector<bool> floors_complete(m_zones.features.size(), true);
        for (std::size_t z = 0; z < m_zones.features.size(); ++z) {
            auto& zr = result.zones[z];
            zr.zone = z;
            zr.name = m_zone_name ? value_as_text(m_zones.features[z].attributes[*m_zone_name])
                                  : m_zones.features[z].id;
            zr.gross_m2 = bg::area(std::get<MultiPolygon>(m_zones.features[z].geometry));
        }
        for (auto& w : work) {
            const ParcelResult& p = w.result;
            for (const auto& part : w.zone_parts) {
                auto& zr = result.zones[part.zone];
                zr.net_m2 += part.area_m2;
                zr.built_m2 += part.built_m2;
                zr.free_m2 += part.free_m2;
                switch (p.status) {
                case ParcelStatus::occupied:
                    zr.occupied_m2 += part.area_m2;
                    break;
                case ParcelStatus::underused:
                    zr.underused_m2 += part.area_m2;
                    break;
                case ParcelStatus::vacant:
                    zr.vacant_m2 += part.area_m2;
                    break;
                }
                if (p.floor_m2) {
                    zr.floor_m2 = zr.floor_m2.value_or(0.0) + part.floor_m2;
                } else {
                    floors_complete[part.zone] = false;
                }
            }
            if (!p.zone) {
                ++result.n_outside;
            } else {
                auto& zr = result.zones[*p.zone];
                ++zr.n_parcels;
                switch (p.status) {
                case ParcelStatus::occupied:
                    ++zr.n_occupied;
                    break;
                case ParcelStatus::underused:
                    ++zr.n_underused;
                    break;
                case ParcelStatus::vacant:
                    ++zr.n_vacant;
                    break;
                }
            }
            result.parcels.push_back(p);
            for (auto& piece : w.free) {
                result.free_pieces.push_back(std::move(piece));
            }
        }
        ZoneResult& total = result.total;
        total.zone = m_zones.features.size();
        total.name = "All zones";
        bool total_floors = m_floors_known;
        double total_floor_sum = 0.0;
        for (std::size_t z = 0; z < result.zones.size(); ++z) {
            auto& zr = result.zones[z];
            finish_zone(zr, m_floors_known && floors_complete[z]);
            total.gross_m2 += zr.gross_m2;
            total.net_m2 += zr.net_m2;
            total.built_m2 += zr.built_m2;
            total.vacant_m2 += zr.vacant_m2;
            total.underused_m2 += zr.underused_m2;
            total.occupied_m2 += zr.occupied_m2;
            total.free_m2 += zr.free_m2;
            total.n_parcels += zr.n_parcels;
            total.n_occupied += zr.n_occupied;
            total.n_underused += zr.n_underused;
            total.n_vacant += zr.n_vacant;
            if (zr.floor_m2) {
                total_floor_sum += *zr.floor_m2;
            } else if (zr.net_m2 > 0) {
                total_floors = false;
            }
        }
        total.floor_m2 = total_floor_sum;
        finish_zone(total, total_floors);
        return result;
    }

    static void finish_zone(ZoneResult& zr, bool floors_complete) {
        zr.infra_m2 = zr.gross_m2 - zr.net_m2;
        zr.coverage = zr.net_m2 > 0 ? zr.built_m2 / zr.net_m2 : 0.0;
        zr.occupancy = zr.net_m2 > 0 ? zr.occupied_m2 / zr.net_m2 : 0.0;
        if (floors_complete && zr.net_m2 > 0) {
            zr.floor_m2 = zr.floor_m2.value_or(0.0);
            zr.far = zr.net_m2 > 0 ? *zr.floor_m2 / zr.net_m2 : 0.0;
        } else {
            zr.floor_m2.reset();
            zr.far.reset();
        }
    }

    const OccupancyOptions& m_options;
    const Profile& m_profile;
    const Layer& m_zones;
    const Layer& m_parcels;
    const Layer& m_buildings;
    std::optional<std::size_t> m_zone_name;
    std::optional<std::size_t> m_status;
    bool m_floors_known = false;
    std::vector<std::optional<double>> m_floors;
    int m_unknown_floors = 0;
};

}  // namespace

OccupancyResult compute_occupancy(const Model& model, const OccupancyOptions& options,
                                  const ProgressFn& progress) {
    OccupancyRun run(model, options);
    return run.run(progress);
}

}  // namespace spaceuse
