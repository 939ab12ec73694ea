// compactness: Polsby-Popper compactness of each parcel, 4·π·area / perimeter² (1 for a
// circle, π/4 ≈ 0.785 for a square, near 0 for a sliver). Long thin plots are hard to build on.
#include <spaceuse/plugin.hpp>

#include <boost/geometry.hpp>

#include <numbers>

namespace {

class Compactness : public spaceuse::Metric {
public:
    std::vector<spaceuse::OutputLayer> compute(const spaceuse::Model& model,
                                               const spaceuse::MetricOptions& options,
                                               const spaceuse::ProgressFn&) const override {
        const double below = options.number("sliver_below", 0.2);
        const spaceuse::Layer* parcels = model.find("parcels");
        spaceuse::OutputLayer out;
        out.name = "parcels";
        out.fields = {{"parcel_id", spaceuse::FieldType::string},
                      {"compactness", spaceuse::FieldType::real},
                      {"sliver", spaceuse::FieldType::integer}};
        for (const auto& f : parcels->features) {
            const auto& shape = std::get<spaceuse::MultiPolygon>(f.geometry);
            const double p = boost::geometry::perimeter(shape);
            const double c = p > 0 ? 4 * std::numbers::pi * spaceuse::area(shape) / (p * p) : 0.0;
            out.rows.push_back({f.id, c, std::int64_t{c < below ? 1 : 0}});
            out.geometries.push_back(f.geometry);
        }
        return {out};
    }
};

void register_compactness(spaceuse::MetricRegistry& registry) {
    spaceuse::MetricInfo m;
    m.name = "compactness";
    m.description = "Polsby-Popper compactness of each parcel, 4*pi*area/perimeter^2";
    m.layers = {"parcels"};
    m.options = {{"sliver_below", "Flag parcels less compact than this", "0.2", "ratio"}};
    m.outputs = {{"parcels", "compactness", spaceuse::FieldType::real, "ratio", "4*pi*A/P^2"},
                 {"parcels", "sliver", spaceuse::FieldType::integer, "0/1", "compactness < sliver_below"}};
    m.factory = [] { return std::make_unique<Compactness>(); };
    registry.add(std::move(m));
}

}  // namespace

SPACEUSE_METRIC_PLUGIN(compactness, register_compactness)
