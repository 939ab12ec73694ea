#pragma once

// Helpers the built-in metrics share to shape their output layers.

#include <spaceuse/occupancy.hpp>
#include <spaceuse/output.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace spaceuse::detail {

/// The parcels GEOS could not compute in an occupancy result (the first 1,000), with the step
/// and GEOS's reason, for a run's manifest; `with_overlaps`: also the pairs whose overlap was not
/// measured (their parcels' figures stand).
nlohmann::json failed_parcels_json(const OccupancyResult& r, bool with_overlaps);

/// A figure, or null when unknown.
inline Value opt(const std::optional<double>& v) { return v ? Value(*v) : Value(std::monostate{}); }

/// A figure, or null when NaN (unknown).
inline Value nan_null(double v) { return std::isnan(v) ? Value(std::monostate{}) : Value(v); }

/// A text, or null when empty.
inline Value text_or_null(const std::string& t) {
    return t.empty() ? Value(std::monostate{}) : Value(t);
}

/// Gives each of the `rows` rows of `out` the geometry of feature index_of(row) of `layer` (a
/// layer of the model `owner` holds, or null): borrowed when the rows are the layer's features
/// in order and `owner` is set, else copied.
template <typename IndexOf>
void attach_geometries(OutputLayer& out, const Layer& layer,
                       const std::shared_ptr<const Model>& owner, std::size_t rows,
                       const IndexOf& index_of) {
    // An empty result stays a table without geometry, as with copied geometries.
    bool in_order = rows > 0 && rows == layer.features.size();
    for (std::size_t i = 0; i < rows && in_order; ++i) {
        in_order = index_of(i) == i;
    }
    if (owner && in_order) {
        out.geometry_source = std::shared_ptr<const Layer>(owner, &layer);
        return;
    }
    out.geometries.reserve(rows);
    for (std::size_t i = 0; i < rows; ++i) {
        out.geometries.push_back(layer.features[index_of(i)].geometry);
    }
}

}  // namespace spaceuse::detail
