#pragma once

/// @file geometry.hpp
/// Planar geometry types of the engine model (Boost.Geometry models). All coordinates are in
/// the model's analysis CRS (projected, metres) unless a function says otherwise. Polygons have
/// counter-clockwise exterior rings and clockwise holes, rings are closed.

#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/linestring.hpp>
#include <boost/geometry/geometries/multi_linestring.hpp>
#include <boost/geometry/geometries/multi_point.hpp>
#include <boost/geometry/geometries/multi_polygon.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#include <boost/geometry/geometries/ring.hpp>

#include <variant>

namespace spaceuse {

/// A 2D point (x = easting, y = northing in the analysis CRS).
using Point = boost::geometry::model::d2::point_xy<double>;
/// An axis-aligned rectangle.
using Box = boost::geometry::model::box<Point>;
/// A line string.
using LineString = boost::geometry::model::linestring<Point>;
/// Several line strings.
using MultiLineString = boost::geometry::model::multi_linestring<LineString>;
/// Several points.
using MultiPoint = boost::geometry::model::multi_point<Point>;
/// A closed ring, counter-clockwise.
using Ring = boost::geometry::model::ring<Point, false, true>;
/// A polygon: counter-clockwise exterior, clockwise holes, closed rings.
using Polygon = boost::geometry::model::polygon<Point, false, true>;
/// Several polygons.
using MultiPolygon = boost::geometry::model::multi_polygon<Polygon>;

/// The geometry family a layer holds. Single geometries are stored as one-part multis.
enum class GeometryFamily { point, line, polygon };

/// The geometry of one feature: one of the three families, always as a multi-geometry.
using Geometry = std::variant<MultiPoint, MultiLineString, MultiPolygon>;

/// Name of a family: "point", "line" or "polygon".
const char* family_name(GeometryFamily family) noexcept;

/// Planar area of a polygonal geometry in square CRS units (m² in the analysis CRS).
double area(const MultiPolygon& geometry);

/// Bounding box of a geometry.
Box envelope(const Geometry& geometry);

}  // namespace spaceuse
