#pragma once

/// @file occupancy.hpp
/// Occupancy and available space per parcel and per zone. All areas are planar, in m², in the
/// model's analysis CRS.

#include <spaceuse/model.hpp>
#include <spaceuse/profile.hpp>
#include <spaceuse/progress.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse {

/// Options of the occupancy metric (layer roles and attribute mapping).
struct OccupancyOptions {
    std::string zones_layer = "zones";
    std::string parcels_layer = "parcels";
    std::string buildings_layer = "buildings";
    /// Zone name field; empty for none.
    std::string zone_name_field;
    /// Building floors field (integer count); empty for none.
    std::string floors_field;
    /// Building height field (m); used when floors_field is empty.
    std::string height_field;
    /// Parcel status field whose values (profile.status_values) override the computed status.
    std::string status_field;
    Profile profile;
    /// Worker threads (0: hardware concurrency). Results do not depend on it.
    unsigned threads = 0;
    /// Compute usable free space (setback, minimum width and area). Off: free_m2 and
    /// largest_free_m2 stay 0 and there are no free pieces; everything else is unchanged.
    bool free_space = true;
};

/// The step of a parcel's computation that GEOS could not do, even after repairing the inputs
/// and snap-rounding the overlay to 1 mm (see OccupancyResult::failures).
enum class ParcelFailure : std::uint8_t {
    none,        ///< computed
    free_space,  ///< usable free land unknown (free_m2, largest_free_m2 null); the rest computed
    all,         ///< nothing computed but the parcel's area; it counts in no zone
    overlap      ///< only its overlap with a neighbour was not measured; its figures stand
};

/// Figures of one parcel.
struct ParcelResult {
    /// Index of the parcel in the parcels layer.
    std::size_t parcel = 0;
    /// Index of the zone holding the largest part of the parcel, or nullopt.
    std::optional<std::size_t> zone;
    double zone_share = 0.0;
    double area_m2 = 0.0;
    double built_m2 = 0.0;
    double coverage = 0.0;
    /// Floor area, when the floors of every building on the parcel are known.
    std::optional<double> floor_m2;
    std::optional<double> far;
    ParcelStatus status = ParcelStatus::vacant;
    /// True when the status came from the status field.
    bool status_from_attribute = false;
    double free_m2 = 0.0;
    double largest_free_m2 = 0.0;
    /// Number of buildings touching the parcel.
    int n_buildings = 0;
    /// What could not be computed (figures of that step are unknown, null in the outputs).
    ParcelFailure failed = ParcelFailure::none;
};

/// The part of one building inside one parcel.
struct BuildingPart {
    /// Index of the building in the buildings layer.
    std::size_t building = 0;
    /// Area of the footprint inside the parcel (m²).
    double area_m2 = 0.0;
};

/// One usable free piece of land.
struct FreePiece {
    std::size_t parcel = 0;
    /// A MultiPolygon (polygon()), held as a Geometry so that the free_space layer borrows it.
    Geometry geometry = MultiPolygon{};
    /// The piece's polygons.
    const MultiPolygon& polygon() const { return std::get<MultiPolygon>(geometry); }
    double area_m2 = 0.0;
};

/// Figures of one zone.
struct ZoneResult {
    std::size_t zone = 0;
    std::string name;
    double gross_m2 = 0.0;
    /// Σ area of all parcels' parts inside the zone.
    double net_m2 = 0.0;
    double infra_m2 = 0.0;
    /// Σ over the parcels assigned to the zone.
    double built_m2 = 0.0;
    double coverage = 0.0;
    double occupancy = 0.0;
    double vacant_m2 = 0.0;
    double underused_m2 = 0.0;
    double occupied_m2 = 0.0;
    double free_m2 = 0.0;
    int n_parcels = 0;
    int n_occupied = 0;
    int n_underused = 0;
    int n_vacant = 0;
    std::optional<double> floor_m2;
    std::optional<double> far;
    /// Σ area shared by two parcels (each pair once, counted in the zone of the first parcel
    /// of the pair): net_m2 counts it twice, so infra_m2 is that much too low.
    double overlap_m2 = 0.0;
};

/// Two parcels whose interiors overlap (stacked parcel levels, duplicates, digitising errors).
struct ParcelOverlap {
    std::size_t a = 0;  ///< parcel index, a < b
    std::size_t b = 0;
    /// Zone the overlap counts in (the zone of a, else of b), or nullopt outside every zone.
    std::optional<std::size_t> zone;
    double area_m2 = 0.0;
    std::string id_a;  ///< the parcels' ids
    std::string id_b;
};

/// Share of a zone's net area beyond which overlapping parcels distort its figures enough for
/// a loud warning (1 %).
inline constexpr double kOverlapWarnShare = 0.01;

/// Everything the occupancy metric computes.
struct OccupancyResult {
    std::vector<ParcelResult> parcels;   ///< one per parcel, in layer order
    std::vector<ZoneResult> zones;       ///< one per zone, in layer order
    std::vector<FreePiece> free_pieces;  ///< ordered by parcel, then by area descending
    /// The buildings' parts inside each parcel: those of parcels[i] are building_parts
    /// [part_offsets[i], part_offsets[i + 1]), in the order of the buildings' spatial index.
    std::vector<BuildingPart> building_parts;
    std::vector<std::size_t> part_offsets;
    /// The parts inside zones of the parcels that do not lie wholly inside one zone (by parcel
    /// index); every other parcel lies wholly inside its `zone`, or outside
    /// every zone. The zone figures are sums of these parts.
    struct ZonePart {
        std::size_t parcel = 0;
        std::size_t zone = 0;
        double area_m2 = 0.0;
    };
    std::vector<ZonePart> split_parcels;
    /// Totals over all zones (zone = layer size; name "TOTAL").
    ZoneResult total;
    /// Parcels outside every zone (failed parcels, ParcelFailure::all, are not counted here).
    int n_outside = 0;
    /// Parcels GEOS could not compute (ParcelResult::failed), in parcel order: one parcel never
    /// stops a run; its figures are null and the reason is kept here.
    struct Failure {
        std::size_t parcel = 0;
        std::string parcel_id;
        std::int64_t fid = 0;
        ParcelFailure step = ParcelFailure::all;
        std::string reason;
    };
    std::vector<Failure> failures;
    /// Overlapping parcel pairs (shared area of at least 0.01 m²; slivers thinner than 1 mm
    /// along a shared edge are not overlaps), ordered by a, then b.
    std::vector<ParcelOverlap> overlaps;
    /// Buildings whose floors were unknown (floors/height field empty or null).
    int n_buildings_floors_unknown = 0;
    /// Whether usable free space was computed (OccupancyOptions::free_space).
    bool free_space = false;
    /// The profile the figures were computed with (OccupancyOptions::profile).
    Profile profile;
};

/// Number of occupancy overlays computed by this process (calls of compute_occupancy): lets
/// tests check that a study computes the overlay once however many metrics use it.
std::uint64_t occupancy_overlay_count() noexcept;

/// Name of a failed step: "free space", "overlay".
const char* parcel_failure_name(ParcelFailure failure) noexcept;

/// Computes occupancy and free space.
/// @throws ConfigError when a layer or field named in the options is missing.
OccupancyResult compute_occupancy(const Model& model, const OccupancyOptions& options,
                                  const ProgressFn& progress = {});

}  // namespace spaceuse
