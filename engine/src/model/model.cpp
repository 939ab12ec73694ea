#include <spaceuse/error.hpp>
#include <spaceuse/model.hpp>
#include <spaceuse/progress.hpp>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace spaceuse {

class SpatialIndex {
public:
    using value_type = std::pair<Box, std::size_t>;
    // rstar parameters only matter for later insertions; the range constructor packs the tree.
    bgi::rtree<value_type, bgi::rstar<16>> tree;
    /// Set (release) once `tree` holds the layer's features; `mutex` serialises the building.
    std::atomic<bool> built{false};
    std::mutex mutex;

    void build(const std::vector<Feature>& features) {
        std::vector<value_type> values;
        values.reserve(features.size());
        for (std::size_t i = 0; i < features.size(); ++i) {
            values.emplace_back(envelope(features[i].geometry), i);
        }
        tree = decltype(tree)(values.begin(), values.end());
        built.store(true, std::memory_order_release);
    }
};

const char* family_name(GeometryFamily family) noexcept {
    switch (family) {
    case GeometryFamily::point:
        return "point";
    case GeometryFamily::line:
        return "line";
    case GeometryFamily::polygon:
        return "polygon";
    }
    return "?";
}

double area(const MultiPolygon& geometry) { return bg::area(geometry); }

Box envelope(const Geometry& geometry) {
    return std::visit([](const auto& g) { return bg::return_envelope<Box>(g); }, geometry);
}

const char* field_type_name(FieldType type) noexcept {
    switch (type) {
    case FieldType::integer:
        return "integer";
    case FieldType::real:
        return "real";
    case FieldType::string:
        return "string";
    case FieldType::date:
        return "date";
    }
    return "?";
}

const char* issue_kind_name(IssueKind kind) noexcept {
    switch (kind) {
    case IssueKind::null_geometry:
        return "null_geometry";
    case IssueKind::empty_geometry:
        return "empty_geometry";
    case IssueKind::wrong_type:
        return "wrong_type";
    case IssueKind::not_transformable:
        return "not_transformable";
    case IssueKind::unrepairable:
        return "unrepairable";
    case IssueKind::repaired:
        return "repaired";
    case IssueKind::curve_linearised:
        return "curve_linearised";
    case IssueKind::dimension_dropped:
        return "dimension_dropped";
    }
    return "?";
}

bool issue_rejects(IssueKind kind) noexcept {
    switch (kind) {
    case IssueKind::null_geometry:
    case IssueKind::empty_geometry:
    case IssueKind::wrong_type:
    case IssueKind::not_transformable:
    case IssueKind::unrepairable:
        return true;
    default:
        return false;
    }
}

Layer::Layer() : m_index(std::make_unique<SpatialIndex>()) {}
Layer::~Layer() = default;
Layer::Layer(Layer&&) noexcept = default;
Layer& Layer::operator=(Layer&&) noexcept = default;

std::optional<std::size_t> Layer::field_index(const std::string& field_name) const {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == field_name) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<std::size_t> Layer::require_field(const std::string& field_name) const {
    if (field_name.empty()) {
        return std::nullopt;
    }
    auto index = field_index(field_name);
    if (!index) {
        std::string names;
        for (const auto& f : fields) {
            names += (names.empty() ? "" : ", ") + f.name;
        }
        throw ConfigError("layer '" + name + "' has no field '" + field_name +
                          "' (fields: " + names + ")");
    }
    return index;
}

std::optional<double> value_as_number(const Value& value) {
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
        return static_cast<double>(*i);
    }
    if (const auto* d = std::get_if<double>(&value)) {
        return *d;
    }
    if (const auto* s = std::get_if<std::string>(&value)) {
        char* end = nullptr;
        const double v = std::strtod(s->c_str(), &end);
        if (end != s->c_str() && std::isfinite(v)) {
            return v;
        }
    }
    return std::nullopt;
}

std::string value_as_text(const Value& value) {
    if (const auto* s = std::get_if<std::string>(&value)) {
        return *s;
    }
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
        return std::to_string(*i);
    }
    if (const auto* d = std::get_if<double>(&value)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        return buf;
    }
    return {};
}

void Layer::build_index() {
    if (!m_index) {  // moved from
        m_index = std::make_unique<SpatialIndex>();
    }
    const std::lock_guard lock(m_index->mutex);
    m_index->build(features);
}

void Layer::ensure_index() const {
    if (!m_index) {
        throw Error("layer '" + name + "' has no spatial index (the layer was moved from)");
    }
    if (m_index->built.load(std::memory_order_acquire)) {
        return;
    }
    const std::lock_guard lock(m_index->mutex);
    if (!m_index->built.load(std::memory_order_relaxed)) {
        m_index->build(features);
    }
}

std::vector<std::size_t> Layer::query(const Box& box) const {
    ensure_index();
    std::vector<std::size_t> result;
    m_index->tree.query(bgi::intersects(box), boost::make_function_output_iterator(
                                                  [&result](const SpatialIndex::value_type& v) {
        result.push_back(v.second);
    }));
    std::sort(result.begin(), result.end());
    return result;
}

Box Layer::extent() const {
    Box box;
    bg::assign_inverse(box);
    for (const auto& f : features) {
        bg::expand(box, envelope(f.geometry));
    }
    return box;
}

const Layer* Model::find(const std::string& layer_name) const {
    for (const auto& layer : layers) {
        if (layer.name == layer_name) {
            return &layer;
        }
    }
    return nullptr;
}

Layer* Model::find(const std::string& layer_name) {
    for (auto& layer : layers) {
        if (layer.name == layer_name) {
            return &layer;
        }
    }
    return nullptr;
}

void Progress::report(double fraction, std::string_view message) const {
    if (!m_fn) {
        return;
    }
    const double f = std::clamp(fraction, 0.0, 1.0);
    if (!m_fn(m_begin + (m_end - m_begin) * f, message)) {
        throw CancelledError();
    }
}

ZoneMatch zone_of_largest_part(const Layer& zones, const Box& box,
                               const std::function<double(std::size_t zone)>& share) {
    ZoneMatch match;
    for (const std::size_t z : zones.query(box)) {
        const double part = share(z);
        if (part > match.share) {
            match.share = part;
            match.zone = z;
        }
    }
    return match;
}

}  // namespace spaceuse
