#pragma once

/// @file model.hpp
/// The in-memory model: layers of features in one analysis CRS, each with a spatial index.
/// The model holds no GDAL objects; readers fill it, metrics read it.

#include <spaceuse/crs.hpp>
#include <spaceuse/geometry.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace spaceuse {

/// Attribute value: null, integer, real or string (dates are kept as ISO 8601 strings).
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

/// A value as a number: integers and reals as they are, strings parsed; nullopt otherwise.
std::optional<double> value_as_number(const Value& value);

/// A value as text: strings as they are, numbers formatted; empty for null.
std::string value_as_text(const Value& value);

/// Attribute type of a field.
enum class FieldType { integer, real, string, date };

/// Name of a field type: "integer", "real", "string", "date".
const char* field_type_name(FieldType type) noexcept;

/// One attribute column of a layer.
struct Field {
    std::string name;
    FieldType type = FieldType::string;
};

/// What was wrong with one feature and what the reader did about it.
enum class IssueKind {
    null_geometry,      ///< rejected: no geometry
    empty_geometry,     ///< rejected: empty geometry
    wrong_type,         ///< rejected: geometry of another family than the layer's
    not_transformable,  ///< rejected: coordinates outside the CRS's domain
    unrepairable,       ///< rejected: invalid and nothing polygonal left after repair
    repaired,           ///< kept: invalid polygon repaired with GEOS MakeValid
    curve_linearised,   ///< kept: curve geometry turned into line segments
    dimension_dropped   ///< kept: Z or M dropped
};

/// Short name of an issue kind ("null_geometry", "repaired"...).
const char* issue_kind_name(IssueKind kind) noexcept;

/// True for the issue kinds that reject the feature.
bool issue_rejects(IssueKind kind) noexcept;

/// One finding about a feature.
struct FeatureIssue {
    std::int64_t fid = 0;
    IssueKind kind = IssueKind::repaired;
    /// Detail, e.g. GEOS's validity reason "Self-intersection[1 1]".
    std::string detail;
};

/// Counts of one layer load. Invariant: read == kept + rejected.
struct LoadReport {
    std::int64_t read = 0;
    std::int64_t kept = 0;
    std::int64_t rejected = 0;
    std::int64_t repaired = 0;
    std::int64_t linearised = 0;
    std::int64_t dimension_dropped = 0;
    /// Every rejected and repaired feature, in read order.
    std::vector<FeatureIssue> issues;
};

/// One feature in the analysis CRS.
struct Feature {
    /// Source feature id (OGR FID).
    std::int64_t fid = 0;
    /// Identifier: the value of the chosen id field as text, else the FID as text.
    std::string id;
    Geometry geometry;
    /// Attribute values, parallel to Layer::fields.
    std::vector<Value> attributes;
};

/// Packed R-tree over the features' bounding boxes (opaque).
class SpatialIndex;

/// A loaded layer: features, their fields, where they came from, and a spatial index.
class Layer {
public:
    Layer();
    ~Layer();
    Layer(Layer&&) noexcept;
    Layer& operator=(Layer&&) noexcept;
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;

    /// Role or name the layer is known by in the model ("parcels", "roads"...).
    std::string name;
    /// Data source as given (path or connection string).
    std::string source;
    /// Layer name inside the source.
    std::string source_layer;
    /// Name of the field used as feature id, empty for the FID.
    std::string id_field;
    GeometryFamily family = GeometryFamily::polygon;
    /// CRS of the source layer.
    CrsInfo source_crs;
    /// Operation used to transform the source into the analysis CRS.
    OperationInfo operation;
    std::vector<Field> fields;
    std::vector<Feature> features;
    LoadReport report;

    /// Index of the field named `name`, or nullopt.
    std::optional<std::size_t> field_index(const std::string& field_name) const;

    /// Index of the field named `name`; nullopt when `name` is empty.
    /// @throws ConfigError listing the layer's fields when there is no such field.
    std::optional<std::size_t> require_field(const std::string& field_name) const;

    /// (Re)builds the spatial index with the packing (STR-like) algorithm. O(n log n). The
    /// first query builds it otherwise, so a layer nobody queries costs no index; call this
    /// after changing `features` of a layer that was queried before.
    void build_index();

    /// Builds the spatial index unless it is built (safe from several threads at once): for
    /// analyses that want the indexes of their layers built side by side before they start.
    void ensure_index() const;

    /// Indices of features whose bounding box intersects `box`, in ascending order. The first
    /// call builds the index (safe from several threads at once).
    std::vector<std::size_t> query(const Box& box) const;

    /// Bounding box of all features (empty layer: an inverted box).
    Box extent() const;

private:
    std::unique_ptr<SpatialIndex> m_index;
};

/// All layers of one study in one analysis CRS.
struct Model {
    /// The analysis CRS (projected, metres).
    CrsInfo crs;
    /// Why this CRS was chosen (given, first metric input, automatic UTM...).
    std::string crs_reason;
    std::vector<Layer> layers;

    /// The layer with this name, or nullptr.
    const Layer* find(const std::string& layer_name) const;
    Layer* find(const std::string& layer_name);
};

/// The zone holding the largest part of a feature (see zone_of_largest_part).
struct ZoneMatch {
    /// Index of the zone in its layer; nullopt when no zone holds a part.
    std::optional<std::size_t> zone;
    /// That zone's part (0 without a zone).
    double share = 0.0;
};

/// The zone holding the largest part of a feature whose bounding box is `box`: `share(z)`
/// measures the feature's part in zone z (an area in m², or 1 when a zone contains a point) and
/// is called for each zone whose box meets `box`, in ascending index order; the largest positive
/// part wins, ties going to the lowest zone index. Parcels (occupancy) and origins
/// (accessibility) are assigned to zones by this rule. Exceptions of `share` propagate.
ZoneMatch zone_of_largest_part(const Layer& zones, const Box& box,
                               const std::function<double(std::size_t zone)>& share);

}  // namespace spaceuse
