#pragma once

/// @file crs.hpp
/// Coordinate reference systems: description of a layer's CRS, choice of the analysis CRS and
/// the description of the coordinate operation PROJ uses between two CRSs.

#include <optional>
#include <string>

namespace spaceuse {

/// What the engine knows of one CRS.
struct CrsInfo {
    /// Human name, e.g. "BD72 / Belgian Lambert 72".
    std::string name;
    /// "EPSG:31370" style identifier when the CRS matches an authority code, else empty.
    std::string code;
    /// Definition as WKT2 (always set for a valid CRS).
    std::string wkt;
    /// True for a geographic (degrees) CRS.
    bool geographic = false;
    /// True for a projected CRS.
    bool projected = false;
    /// True when the CRS is projected with metre units and fit to measure area and distance
    /// (Web Mercator, EPSG:3857, is projected in metres but is not metric in this sense).
    bool metric = false;
};

/// The coordinate operation PROJ uses to transform between two CRSs.
struct OperationInfo {
    /// Operation name, e.g. "BD72 to ETRS89 (3) + Belgian Lambert 2008" or "Inverse of ...".
    std::string name;
    /// Stated accuracy in metres, or a negative value when PROJ does not know it
    /// (0 for exact conversions).
    double accuracy_m = -1.0;
    /// True when source and target are the same CRS (no operation).
    bool identity = false;
};

/// Builds the description of a CRS given as user text ("EPSG:31370", WKT, PROJ string).
/// @throws ConfigError when PROJ cannot interpret it.
CrsInfo describe_crs(const std::string& definition);

/// The UTM zone CRS ("EPSG:326zz" north or "EPSG:327zz" south) that contains a WGS84 lon/lat.
std::string utm_crs_for(double lon_deg, double lat_deg);

/// Describes the operation PROJ picks to transform a point near (lon, lat) from `source` to
/// `target` (both CRS definitions as accepted by describe_crs).
/// @throws InputError when no operation exists.
OperationInfo describe_operation(const std::string& source, const std::string& target,
                                 double lon_deg, double lat_deg);

}  // namespace spaceuse
