#pragma once

// The two dates of a follow-up as the diff's tables read them: parcels and zones in the
// comparison CRS (AFTER's), each parcel cut into its zone-clipped parts the way occupancy cuts
// them for the zone table, and the zones matched like parcels.

#include <spaceuse/diff.hpp>
#include <spaceuse/study.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse::detail {

constexpr std::size_t no_index = static_cast<std::size_t>(-1);

/// The part of a parcel inside one zone of its date.
struct ZonePart {
    std::size_t zone = 0;  ///< zone index of the side
    double area_m2 = 0.0;
};

/// One date: its parcels (result layer rows) and zones (zone table rows).
struct DiffSide {
    const StudyReport* report = nullptr;
    const OutputLayer* parcels = nullptr;
    const OutputLayer* zones = nullptr;
    bool reprojected = false;
    // Parcels, by row of the parcels layer.
    std::vector<std::string> ids;
    std::vector<MultiPolygon> geometries;
    std::vector<double> areas;  ///< as the layer states them, re-measured when reprojected
    std::vector<std::string> statuses;
    std::vector<std::size_t> zone_of;  ///< index of the zone named by zone_id, or no_index
    std::vector<std::vector<ZonePart>> parts;
    // Zones, by row of the zones layer.
    std::vector<std::string> zone_ids;
    std::vector<std::string> zone_names;
    std::vector<MultiPolygon> zone_geometries;

    /// Column index of a field of the parcels (or zones) layer; InputError when missing.
    std::size_t parcel_column(const std::string& name) const;
    std::size_t zone_column(const std::string& name) const;
    /// A number of a parcels (zones) row, or nullopt when null.
    std::optional<double> parcel_number(std::size_t row, const std::string& field) const;
    std::optional<double> zone_number(std::size_t row, const std::string& field) const;
    /// Whether the parcel lies wholly inside one zone (one part, its whole area).
    bool inside_one_zone(std::size_t p) const {
        return parts[p].size() == 1 && parts[p][0].area_m2 == areas[p];
    }
};

/// Reads one date; `after` gives the comparison CRS (the side is reprojected when its own
/// differs). Computes the zone-clipped parts.
/// @throws InputError when a layer or field is missing; GeometryError from GEOS.
DiffSide read_side(const StudyReport& report, const char* name, const StudyReport& after);

/// The zones matched like parcels: by zone id, then by shared area.
ParcelMatch match_zones(const DiffSide& before, const DiffSide& after, const MatchOptions& m);

/// The key, name and ids of a zone match group.
struct ZoneKey {
    std::string id;  ///< the after zone ids (the before ones for a retired zone), joined by ","
    std::string name;
    std::string ids_before;
    std::string ids_after;
};
ZoneKey zone_key(const DiffSide& before, const DiffSide& after, const MatchGroup& group);

/// The transitions, stock, take-up and achieved tables of a report whose match, zone match and
/// parcel_changes are set.
void follow_up_tables(const DiffSide& before, const DiffSide& after, const DiffOptions& options,
                      DiffReport& d);

/// Whether two geometries have the very same coordinates, ring by ring.
bool same_coordinates(const MultiPolygon& a, const MultiPolygon& b);

/// Days from 1970-01-01 of an ISO date (YYYY-MM-DD or YYYY/MM/DD, optionally followed by a
/// time), or nullopt when it is no calendar date.
std::optional<std::int64_t> iso_days(const std::string& text);

}  // namespace spaceuse::detail
