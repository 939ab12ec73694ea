#pragma once

/// @file access.hpp
/// Accessibility over a road network built from a line layer: nearest facility per kind by
/// network distance and travel time, isochrones, cumulative opportunities and zone aggregates.
/// All distances in metres in the analysis CRS, times in minutes.

#include <spaceuse/model.hpp>
#include <spaceuse/progress.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace spaceuse {

/// Travel profile. `walk` and `bike` use fixed speeds, ignore one-way rules and exclude
/// motorways; `car` uses the speed table and honours one-way rules.
enum class TravelProfile { car, walk, bike };

/// Parses "car", "walk" or "bike". @throws ConfigError.
TravelProfile parse_travel_profile(const std::string& text);

/// Where a polygon origin enters the network.
enum class AccessPoint { centroid, boundary };

/// One facility source: a point layer and how to get each feature's kind.
struct FacilitySource {
    /// Model layer name.
    std::string layer = "facilities";
    /// Field whose value is the kind (e.g. "kind", "highway"); empty to use `kind`.
    std::string kind_field;
    /// Kind of every feature when `kind_field` is empty.
    std::string kind;
};

/// Options of the accessibility analysis.
struct AccessOptions {
    std::string network_layer = "roads";
    std::string origins_layer = "parcels";
    std::vector<FacilitySource> facilities;
    /// Keep only facilities of these kinds (empty: all kinds).
    std::vector<std::string> kinds;
    TravelProfile profile = TravelProfile::car;
    AccessPoint access_point = AccessPoint::centroid;
    /// Line ends and vertices closer than this are joined (0: exact coordinates only).
    double snap_tolerance_m = 0.0;
    /// Points farther than this from the network get no result.
    double max_snap_m = 500.0;
    /// Road class field (OSM "highway").
    std::string class_field = "highway";
    /// One-way field (OSM "oneway": yes/true/1 forward, -1/reverse backward).
    std::string oneway_field = "oneway";
    /// Speed field (km/h); when empty or null the class table is used.
    std::string speed_field;
    /// Car speeds by road class (km/h); defaults for OSM highway values when empty.
    std::map<std::string, double> speeds_kmh;
    /// Isochrone bands (minutes), e.g. {5, 10, 15}.
    std::vector<double> isochrones_min;
    /// Half-width of the corridor drawn around reached road pieces for isochrones (m).
    double isochrone_buffer_m = 50.0;
    /// Optional cumulative opportunities: target layer, weight field, time limit.
    std::string opportunities_layer;
    std::string opportunities_weight;
    double opportunities_min = 15.0;
    /// Optional zones layer for zone aggregates.
    std::string zones_layer;
    /// Worker threads (0: hardware concurrency). Results do not depend on it.
    unsigned threads = 0;
};

/// Default car speeds (km/h) by OSM highway class.
std::map<std::string, double> default_car_speeds();

/// Reads a speed table: lines "class,kmh" (a header line is allowed). @throws ConfigError.
std::map<std::string, double> load_speed_table(const std::string& path);

/// Figures of the road graph.
struct NetworkStats {
    std::size_t lines = 0;
    std::size_t nodes = 0;
    std::size_t edges = 0;
    /// Edges left out by the profile (e.g. motorways for walk).
    std::size_t excluded_edges = 0;
    /// Connected components (strongly connected for one-way profiles).
    std::size_t components = 0;
    std::size_t largest_component_nodes = 0;
    double total_length_m = 0.0;
};

/// Results for one facility kind. Held per origin and kind, so compact: a million origins and
/// three kinds take about 110 MB (four reals and a facility index each); the texts few origins
/// have are held once per origin, in AccessResult.
struct KindAccess {
    /// No facility (unreachable or unattached origin).
    static constexpr std::uint32_t no_facility = 0xffffffffU;

    std::string kind;
    /// Kind made safe for field names ("motorway_exit").
    std::string field_prefix;
    std::size_t facilities = 0;
    /// Facilities that could not be attached (farther than max_snap).
    std::size_t facilities_unsnapped = 0;
    /// Per origin: network distance (m), travel time (min) and straight line (m) to the nearest
    /// facility, and the connector on the facility's side (m); NaN when unknown (unreachable or
    /// unattached origin; no facility at all for the straight line).
    std::vector<double> dist_m;
    std::vector<double> time_min;
    std::vector<double> eucl_m;
    std::vector<double> facility_snap_m;
    /// Per origin: the nearest facility over the network, an index in facility_ids
    /// (no_facility when none).
    std::vector<std::uint32_t> facility;
    /// Ids of the kind's facilities.
    std::vector<std::string> facility_ids;

    /// Whether origin i reaches a facility over the network.
    bool reached(std::size_t i) const noexcept { return facility[i] != no_facility; }
    /// Id of the nearest facility of origin i ("" when none).
    const std::string& facility_id(std::size_t i) const;
};

/// Texts that few of many origins have, held for those alone: (origin, text) by origin.
class OriginTexts {
public:
    /// The text of `origin` ("" when it has none).
    const std::string& at(std::size_t origin) const;
    /// Adds the text of `origin`, which comes after every origin added before.
    void add(std::size_t origin, std::string text);
    /// Origins that have a text.
    std::size_t size() const noexcept { return m_texts.size(); }

private:
    std::vector<std::pair<std::size_t, std::string>> m_texts;
};

/// An isochrone polygon: the area within `minutes` of the nearest facility of `kind`.
struct Isochrone {
    std::string kind;
    double minutes = 0.0;
    MultiPolygon geometry;
    /// Why the polygon could not be drawn (GEOS's message, after repairing the inputs and
    /// snap-rounding); empty when drawn. A failed isochrone has no geometry: its area and the
    /// zones' shares within it are unknown (null), never zero.
    std::string failure;
};

/// Zone aggregate for one kind.
struct ZoneAccess {
    std::size_t zone = 0;
    std::string kind;
    std::size_t origins = 0;
    /// Origins with a result.
    std::size_t reachable = 0;
    /// Area-weighted means over the zone's reachable origins.
    std::optional<double> mean_dist_m;
    std::optional<double> mean_time_min;
    /// The origin with the largest distance, and that distance.
    std::string worst_origin;
    std::optional<double> worst_dist_m;
    /// Share of the zone's origin area within each isochrone band (same order as the bands),
    /// over the origins GEOS could measure; null when the band's isochrone could not be drawn.
    std::vector<std::optional<double>> band_share;
    /// What GEOS could not measure for this zone, one line each naming the origin (id and
    /// source FID) and GEOS's message, in origin order: an origin whose zone could not be found
    /// (on the first kind's entry of the zone where it failed; it then counts in no zone), or
    /// whose part within a band could not be measured (left out of that band's share).
    std::vector<std::string> failures;
};

/// Everything the accessibility analysis computes.
struct AccessResult {
    NetworkStats network;
    /// Per origin: length of the connector to the network (nullopt when unsnapped).
    std::vector<std::optional<double>> snap_m;
    /// Per origin: the access point used.
    std::vector<Point> access_points;
    /// Per origin: the note when a nearer road of a small component was passed over.
    OriginTexts snap_notes;
    /// Per origin without an access to the network (snap_m null): why.
    OriginTexts unattached;
    std::vector<KindAccess> kinds;
    std::vector<Isochrone> isochrones;
    /// Per origin: Σ weight of targets reachable within opportunities_min (when configured).
    std::vector<std::optional<double>> opportunities;
    std::vector<ZoneAccess> zones;
    /// Warnings (points attached to a small component, unsnapped facilities, origins whose
    /// access point GEOS could not compute...). The access metric adds those of
    /// Isochrone::failure and ZoneAccess::failures.
    std::vector<std::string> warnings;

    /// Why origin i has no result for kind k ("" when it has one).
    std::string reason(std::size_t k, std::size_t i) const;
};

/// Computes accessibility. @throws ConfigError on missing layers or fields.
AccessResult compute_access(const Model& model, const AccessOptions& options,
                            const ProgressFn& progress = {});

/// A field-name-safe form of a kind: lower case, [a-z0-9_], not starting with a digit.
std::string safe_field_name(const std::string& kind);

}  // namespace spaceuse
