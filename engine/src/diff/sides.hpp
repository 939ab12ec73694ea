#pragma once

// The two dates of a follow-up as the diff's tables read them: parcels and zones in the
// comparison CRS (AFTER's), each parcel cut into its zone-clipped parts the way occupancy cuts
// them for the zone table, and the zones matched like parcels.

#include "../util/date.hpp"

#include <spaceuse/diff.hpp>
#include <spaceuse/study.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace spaceuse::detail {

constexpr std::size_t no_index = static_cast<std::size_t>(-1);

/// The part of a parcel inside one zone of its date.
struct ZonePart {
    std::size_t zone = 0;  ///< zone index of the side
    double area_m2 = 0.0;
};

/// One date as the diff reads it: the parcels layer's rows turned into columns (so the layer's
/// rows can be released at region scale), geometries shared with the layer unless reprojected,
/// and the zones layer.
struct DiffSide {
    const StudyReport* report = nullptr;
    const OutputLayer* zones = nullptr;
    bool reprojected = false;
    // Parcels, by row of the parcels layer.
    std::vector<std::string> ids;
    std::vector<const MultiPolygon*> geometries;  ///< into the layer, or into `owned`
    std::vector<MultiPolygon> owned;              ///< the reprojected geometries
    /// The figures the tables use (NaN: null); `areas` as the layer states them, re-measured
    /// when reprojected.
    std::vector<double> areas, built, floor, free, coverage, far;
    std::vector<std::int64_t> source_fid;  ///< -1 when null
    /// Status of each parcel, an index into `status_names`.
    std::vector<std::uint8_t> status;
    std::vector<std::string> status_names;
    std::vector<std::string> zone_text;  ///< the parcel's zone_id as stated (empty: none)
    std::vector<std::size_t> zone_of;    ///< index of the zone named by zone_id, or no_index
    /// Zone-clipped parts of parcel p: parts[part_begin[p] .. part_begin[p + 1]).
    std::vector<ZonePart> parts;
    std::vector<std::size_t> part_begin;
    // Zones, by row of the zones layer.
    std::vector<std::string> zone_ids;
    std::vector<std::string> zone_names;
    std::vector<MultiPolygon> zone_geometries;

    std::size_t size() const noexcept { return ids.size(); }

    /// Adds a row of a parcels layer (its fields); `geometry` points at its geometry kept
    /// elsewhere, or is null when the caller has appended it to `owned`.
    void add_row(const std::vector<OutputField>& fields, const std::vector<Value>& row,
                 const MultiPolygon* geometry);
    /// The columns of the parcels layer the rows come from.
    struct Columns {
        std::size_t id, zone, share, area, status, fid;
        std::size_t figures[5];  ///< built, floor, free, coverage, far
    };
    std::optional<Columns> columns;
    std::vector<double> shares;  ///< zone_share, until finish_side
    const std::string& status_of(std::size_t p) const { return status_names[status[p]]; }
    const ZonePart* parts_begin(std::size_t p) const { return parts.data() + part_begin[p]; }
    std::span<const ZonePart> parts_of(std::size_t p) const {
        return {parts.data() + part_begin[p], part_begin[p + 1] - part_begin[p]};
    }
    /// Whether the parcel lies wholly inside one zone (one part, its whole area).
    bool inside_one_zone(std::size_t p) const {
        return part_begin[p + 1] - part_begin[p] == 1 && parts[part_begin[p]].area_m2 == areas[p];
    }
    /// A zone table figure of a zones row, or nullopt when null.
    std::optional<double> zone_number(std::size_t row, const std::string& field) const;
};

/// Reads one date; `after` gives the comparison CRS (the side is reprojected when its own
/// differs). Computes the zone-clipped parts.
/// @throws InputError when a layer or field is missing; GeometryError from GEOS.
DiffSide read_side(const StudyReport& report, const char* name, const StudyReport& after);

/// Completes a side whose rows were added with add_row: the report's zones, reprojection into
/// AFTER's CRS, each parcel's zone and its zone-clipped parts.
void finish_side(DiffSide& side, const StudyReport& report, const char* name,
                 const StudyReport& after);

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

/// match_parcels on geometries held elsewhere.
ParcelMatch match_geometries(const std::vector<std::string>& before_ids,
                             const std::vector<const MultiPolygon*>& before,
                             const std::vector<std::string>& after_ids,
                             const std::vector<const MultiPolygon*>& after,
                             const MatchOptions& options);

/// Whether two geometries have the very same coordinates, ring by ring.
bool same_coordinates(const MultiPolygon& a, const MultiPolygon& b);

/// BEFORE's inputs with AFTER's definitions: `after` (a loaded project) with each layer's source
/// replaced by the one BEFORE's manifest records for that role (relative to the project folder
/// it records, its content hash checked), written to `output_dir`.
/// @throws ConfigError when BEFORE is a project file; InputError when its manifest lacks the
///         inputs or an input changed since.
Study recomputed_before(const std::string& before_path, const Study& after,
                        const std::string& output_dir);

/// Adds every file below `dir`/`sub` (sorted; layer `sub`, not data) to `written`, so that the
/// folder's manifest lists the files of a recomputed survey.
void add_files_below(const std::string& dir, const std::string& sub,
                     std::vector<WrittenFile>& written);

/// run.json's "outputs": each written file relative to `dir`, its layer and, for data files,
/// the count under `count_key`.
nlohmann::json outputs_manifest(const std::vector<WrittenFile>& written, const std::string& dir,
                                const char* count_key);

}  // namespace spaceuse::detail
