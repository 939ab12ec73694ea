// compactness: Polsby-Popper compactness of each parcel, 4·π·area / perimeter² (1 for a
// circle, π/4 ≈ 0.785 for a square, near 0 for a sliver). Long thin plots are hard to build on.
#include <spaceuse/plugin.hpp>

#include <boost/geometry.hpp>

#include <numbers>

namespace {

class Compactness : public spaceuse::Metric {
public:
    spaceuse::MetricResult compute(const spaceuse::MetricInput& in) const override {
        const double below = in.options().number("sliver_below");
        const spaceuse::Layer* parcels = in.model().find("parcels");
        spaceuse::OutputLayer out;
        out.name = "compactness_parcels";
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
        spaceuse::MetricResult result;
        result.layers.push_back(std::move(out));
        return result;
    }
};

void register_compactness(spaceuse::MetricRegistry& registry) {
    spaceuse::MetricInfo m;
    m.name = "compactness";
    m.description = "Polsby-Popper compactness of each parcel, 4*pi*area/perimeter^2";
    m.layers = {{"parcels", spaceuse::GeometryFamily::polygon, true, false, "Parcels", ""}};
    m.options = {{.name = "sliver_below",
                  .type = spaceuse::OptionType::number,
                  .help = "Flag parcels less compact than this",
                  .default_value = 0.2,
                  .unit = "ratio",
                  .min = 0.0,
                  .max = 1.0}};
    m.outputs = {{"compactness_parcels",
                  "Compactness per parcel",
                  true,
                  true,
                  {{"parcel_id", spaceuse::FieldType::string, "", "parcel id"},
                   {"compactness", spaceuse::FieldType::real, "ratio", "4*pi*A/P^2"},
                   {"sliver", spaceuse::FieldType::integer, "0/1", "compactness < sliver_below"}}}};
    m.factory = [] { return std::make_unique<Compactness>(); };
    registry.add(std::move(m));
}

}  // namespace

SPACEUSE_METRIC_PLUGIN(compactness, register_compactness)
