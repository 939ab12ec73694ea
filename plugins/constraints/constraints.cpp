// constraints: how much of each parcel lies under planning constraints (flood-prone areas,
// protected nature, soil contamination, reserve land) and how much usable free land is left
// outside them. See README.md beside this file. Uses only the engine's public headers.

#include <spaceuse/error.hpp>
#include <spaceuse/metrics.hpp>
#include <spaceuse/occupancy.hpp>
#include <spaceuse/plugin.hpp>

#include <boost/geometry.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse::plugins::constraints {

namespace {

namespace bg = boost::geometry;

const MultiPolygon& polygons(const Feature& f) {
    static const MultiPolygon empty;
    const auto* p = std::get_if<MultiPolygon>(&f.geometry);
    return p == nullptr ? empty : *p;
}

// Boost.Geometry overlays: the model's polygons are valid (the reader repairs them) and already
// Boost.Geometry models, so no conversion to GEOS is needed for these few operations.
MultiPolygon intersection(const MultiPolygon& a, const MultiPolygon& b) {
    MultiPolygon out;
    bg::intersection(a, b, out);
    return out;
}

MultiPolygon unite(const MultiPolygon& a, const MultiPolygon& b) {
    MultiPolygon out;
    bg::union_(a, b, out);
    return out;
}

MultiPolygon difference(const MultiPolygon& a, const MultiPolygon& b) {
    MultiPolygon out;
    bg::difference(a, b, out);
    return out;
}

// Figures of one parcel. A figure that could not be computed is unknown (null in the layers),
// never zero: `note` says why.
struct ParcelFigures {
    std::optional<double> constrained_m2;
    std::vector<std::optional<double>> by_kind_m2;
    std::optional<double> free_m2;
    std::optional<double> developable_m2;
    std::string note;
};

Value figure(const std::optional<double>& v) { return v ? Value(*v) : Value(std::monostate{}); }

class ConstraintsMetric : public Metric {
public:
    void configure(const MetricOptions& options, const MetricPlan& plan) override {
        const MetricOptions* occupancy = plan.used_options("occupancy");
        if (occupancy == nullptr) {
            return;
        }
        if (!occupancy->flag("free_space")) {
            throw ConfigError("constraints: needs occupancy's usable free space (occupancy "
                              "option free_space = true)");
        }
        // The free land is occupancy's: these options of plugin API 2 are accepted only when
        // they say what occupancy's say.
        for (const char* name : {"profile", "setback_m", "min_free_area_m2", "min_free_width_m"}) {
            if (options.has(name) &&
                option_text(options.value(name)) != option_text(occupancy->value(name))) {
                throw ConfigError(std::string("constraints: option '") + name +
                                  "' is occupancy's: the free land constraints reads is "
                                  "occupancy's; set it in [occupancy]");
            }
        }
    }

    MetricResult compute(const MetricInput& in) const override {
        Progress progress(in.progress());
        progress.report(0.0, "constraints");
        const MetricOptions& options = in.options();
        const Model& model = in.model();
        const Layer* constraints = model.find("constraints");
        const Layer* parcels = model.find("parcels");
        const Layer* zones = model.find("zones");
        if (constraints == nullptr || parcels == nullptr || zones == nullptr) {
            throw ConfigError("constraints: needs the layers 'constraints', 'parcels' and 'zones'");
        }
        const std::vector<std::string>& kinds = options.list("kinds");
        if (kinds.empty()) {
            throw ConfigError("constraints: option 'kinds' lists no kind");
        }
        const auto kind_field = constraints->require_field(options.text("kind_field"));
        if (!kind_field) {
            throw ConfigError("constraints: option 'kind_field' is empty");
        }
        // Kind of each constraint feature, as an index into `kinds`.
        std::vector<std::size_t> kind_of(constraints->features.size());
        for (std::size_t i = 0; i < constraints->features.size(); ++i) {
            const Feature& f = constraints->features[i];
            const std::string kind = value_as_text(f.attributes[*kind_field]);
            const auto it = std::find(kinds.begin(), kinds.end(), kind);
            if (it == kinds.end()) {
                throw InputError("constraint kind '" + kind +
                                 "' is not one of the option 'kinds' (" +
                                 option_text(options.value("kinds")) + ")")
                    .set_layer(constraints->name)
                    .set_feature(f.fid);
            }
            kind_of[i] = static_cast<std::size_t>(it - kinds.begin());
        }

        // Usable free land per parcel: the pieces the occupancy metric computed.
        const OccupancyResult& occupancy = in.result<OccupancyResult>("occupancy");
        if (!occupancy.free_space) {
            throw ConfigError("constraints: needs occupancy's usable free space (occupancy "
                              "option free_space = true)");
        }
        std::vector<MultiPolygon> free_land(parcels->features.size());
        for (const auto& piece : occupancy.free_pieces) {
            for (const auto& p : piece.polygon()) {
                free_land[piece.parcel].push_back(p);
            }
        }

        std::vector<ParcelFigures> figures(parcels->features.size());
        for (std::size_t i = 0; i < parcels->features.size(); ++i) {
            const Feature& parcel = parcels->features[i];
            ParcelFigures& fig = figures[i];
            fig.by_kind_m2.assign(kinds.size(), std::nullopt);
            // The usable free land is occupancy's: unknown where GEOS failed on the parcel
            // there (its reason is in the run's occupancy.failed_parcels).
            const bool free_known = occupancy.parcels[i].failed == ParcelFailure::none;
            if (free_known) {
                fig.free_m2 = occupancy.parcels[i].free_m2;
            } else {
                fig.note = "usable free land not computed (GEOS failed on the parcel in "
                           "occupancy)";
            }
            const MultiPolygon& shape = polygons(parcel);
            // Constraint land on the parcel, per kind and in all (overlaps counted once).
            std::vector<MultiPolygon> by_kind(kinds.size());
            MultiPolygon all;
            try {
                for (const std::size_t c : constraints->query(envelope(parcel.geometry))) {
                    const MultiPolygon part = intersection(shape,
                                                           polygons(constraints->features[c]));
                    if (part.empty()) {
                        continue;
                    }
                    by_kind[kind_of[c]] = unite(by_kind[kind_of[c]], part);
                    all = unite(all, part);
                }
                for (std::size_t k = 0; k < kinds.size(); ++k) {
                    fig.by_kind_m2[k] = area(by_kind[k]);
                }
                fig.constrained_m2 = area(all);
                if (free_known) {
                    fig.developable_m2 = all.empty() ? area(free_land[i])
                                                     : area(difference(free_land[i], all));
                }
            } catch (const bg::exception& e) {
                // One parcel never stops a run: its constraint figures are unknown (null), the
                // reason is in its note, the zone sums leave it out and count it.
                fig.by_kind_m2.assign(kinds.size(), std::nullopt);
                fig.constrained_m2.reset();
                fig.developable_m2.reset();
                fig.note += std::string(fig.note.empty() ? "" : "; ") +
                            "constraint overlay failed (Boost.Geometry: " + e.what() + ")";
            }
            progress.report(static_cast<double>(i + 1) /
                                static_cast<double>(parcels->features.size()),
                            "constraints");
        }

        MetricResult out;
        std::vector<OutputLayer>& layers = out.layers;
        OutputLayer p;
        p.name = "constraints_parcels";
        p.fields = {{"parcel_id", FieldType::string},
                    {"zone_id", FieldType::string},
                    {"area_m2", FieldType::real},
                    {"constrained_m2", FieldType::real}};
        for (const auto& k : kinds) {
            p.fields.push_back({"constrained_" + k + "_m2", FieldType::real});
        }
        p.fields.push_back({"constrained_share", FieldType::real});
        p.fields.push_back({"free_m2", FieldType::real});
        p.fields.push_back({"developable_m2", FieldType::real});
        p.fields.push_back({"note", FieldType::string});

        // Zone totals: sums over the parcels assigned to each zone (the zone holding the
        // largest part of the parcel, as in the occupancy metric); a figure that is unknown on
        // a parcel is left out of its sum, and the parcel counted in n_not_computed.
        struct ZoneTotals {
            std::int64_t n_parcels = 0;
            std::int64_t n_not_computed = 0;
            double area_m2 = 0.0;
            double constrained_m2 = 0.0;
            std::vector<double> by_kind_m2;
            double free_m2 = 0.0;
            double developable_m2 = 0.0;
        };
        std::vector<ZoneTotals> totals(zones->features.size());
        for (auto& t : totals) {
            t.by_kind_m2.assign(kinds.size(), 0.0);
        }
        for (std::size_t i = 0; i < parcels->features.size(); ++i) {
            const ParcelResult& r = occupancy.parcels[i];
            const ParcelFigures& fig = figures[i];
            std::vector<Value> row{parcels->features[i].id,
                                   r.zone ? Value(zones->features[*r.zone].id)
                                          : Value(std::monostate{}),
                                   r.area_m2, figure(fig.constrained_m2)};
            for (const auto& v : fig.by_kind_m2) {
                row.push_back(figure(v));
            }
            Value share = std::monostate{};
            if (fig.constrained_m2) {
                share = r.area_m2 > 0 ? *fig.constrained_m2 / r.area_m2 : 0.0;
            }
            row.push_back(share);
            row.push_back(figure(fig.free_m2));
            row.push_back(figure(fig.developable_m2));
            row.push_back(fig.note.empty() ? Value(std::monostate{}) : Value(fig.note));
            p.rows.push_back(std::move(row));
            if (r.zone) {
                ZoneTotals& t = totals[*r.zone];
                ++t.n_parcels;
                t.n_not_computed += fig.note.empty() ? 0 : 1;
                t.area_m2 += r.area_m2;
                t.constrained_m2 += fig.constrained_m2.value_or(0.0);
                for (std::size_t k = 0; k < kinds.size(); ++k) {
                    t.by_kind_m2[k] += fig.by_kind_m2[k].value_or(0.0);
                }
                t.free_m2 += fig.free_m2.value_or(0.0);
                t.developable_m2 += fig.developable_m2.value_or(0.0);
            }
        }
        // One row per parcel in layer order: the layer borrows the parcels' geometries (an empty
        // layer stays a table).
        if (!p.rows.empty()) {
            p.geometry_source = std::shared_ptr<const Layer>(in.shared_model(), parcels);
        }
        layers.push_back(std::move(p));

        OutputLayer z;
        z.name = "constraints_zones";
        z.fields = {{"zone_id", FieldType::string},
                    {"n_parcels", FieldType::integer},
                    {"area_m2", FieldType::real},
                    {"constrained_m2", FieldType::real}};
        for (const auto& k : kinds) {
            z.fields.push_back({"constrained_" + k + "_m2", FieldType::real});
        }
        z.fields.push_back({"free_m2", FieldType::real});
        z.fields.push_back({"developable_m2", FieldType::real});
        z.fields.push_back({"n_not_computed", FieldType::integer});
        for (std::size_t i = 0; i < zones->features.size(); ++i) {
            const ZoneTotals& t = totals[i];
            std::vector<Value> row{zones->features[i].id, t.n_parcels, t.area_m2, t.constrained_m2};
            for (const double v : t.by_kind_m2) {
                row.emplace_back(v);
            }
            row.emplace_back(t.free_m2);
            row.emplace_back(t.developable_m2);
            row.emplace_back(t.n_not_computed);
            z.rows.push_back(std::move(row));
        }
        if (!z.rows.empty()) {
            z.geometry_source = std::shared_ptr<const Layer>(in.shared_model(), zones);
        }
        layers.push_back(std::move(z));
        progress.report(1.0, "constraints");
        return out;
    }
};

}  // namespace

void register_metrics(MetricRegistry& registry) {
    MetricInfo m;
    m.name = "constraints";
    m.description = "Parcel land under planning constraints (flood, nature, contamination, "
                    "reserve) and usable free land outside them; zone totals";
    m.layers = {{"zones", GeometryFamily::polygon, true, false, "Zones", ""},
                {"parcels", GeometryFamily::polygon, true, false, "Parcels", ""},
                {"constraints", GeometryFamily::polygon, true, false,
                 "Planning constraints (flood-prone areas, protected nature...)", ""}};
    m.uses = {"occupancy"};
    m.options = {
        {.name = "kind_field",
         .type = OptionType::field,
         .help = "Field of the constraints layer holding the kind",
         .default_value = std::string("kind"),
         .layer = "constraints"},
        {.name = "kinds",
         .type = OptionType::list,
         .help = "Constraint kinds (one output field each)",
         .default_value = std::vector<std::string>{"flood", "nature", "contamination", "reserve"}},
        // Options of plugin API 2, when constraints computed free land itself: now occupancy's.
        {.name = "profile",
         .type = OptionType::text,
         .help = "Deprecated: occupancy's profile (an error when it differs)",
         .affects_results = false},
        {.name = "setback_m",
         .type = OptionType::number,
         .help = "Deprecated: occupancy's setback_m (an error when it differs)",
         .unit = "m",
         .affects_results = false},
        {.name = "min_free_area_m2",
         .type = OptionType::number,
         .help = "Deprecated: occupancy's min_free_area_m2 (an error when it differs)",
         .unit = "m2",
         .affects_results = false},
        {.name = "min_free_width_m",
         .type = OptionType::number,
         .help = "Deprecated: occupancy's min_free_width_m (an error when it differs)",
         .unit = "m",
         .affects_results = false},
    };
    const std::vector<FieldSpec> shared = {
        {"constrained_m2", FieldType::real, "m2", "area(parcel ∩ union of all constraints)"},
        {"constrained_{K}_m2", FieldType::real, "m2",
         "area(parcel ∩ union of constraints of kind K)"}};
    m.outputs = {
        {"constraints_parcels",
         "Constraints per parcel",
         true,
         true,
         {{"parcel_id", FieldType::string, "", "parcel id"},
          {"zone_id", FieldType::string, "", "zone holding the largest part"},
          {"area_m2", FieldType::real, "m2", "parcel area"},
          shared[0],
          shared[1],
          {"constrained_share", FieldType::real, "fraction", "constrained_m2 / area_m2"},
          {"free_m2", FieldType::real, "m2",
           "usable free land (occupancy metric); null when GEOS failed on the parcel there"},
          {"developable_m2", FieldType::real, "m2",
           "area(usable free land − union of all constraints)"},
          {"note", FieldType::string, "",
           "why figures of the parcel are null (a geometry operation failed)"}}},
        {"constraints_zones",
         "Constraints per zone: sums over its parcels",
         true,
         true,
         {{"zone_id", FieldType::string, "", "zone id"},
          {"n_parcels", FieldType::integer, "", "parcels assigned to the zone"},
          {"area_m2", FieldType::real, "m2", "Σ area of those parcels"},
          {"constrained_m2", FieldType::real, "m2", "Σ constrained_m2"},
          {"constrained_{K}_m2", FieldType::real, "m2", "Σ constrained_K_m2"},
          {"free_m2", FieldType::real, "m2", "Σ free_m2"},
          {"developable_m2", FieldType::real, "m2", "Σ developable_m2"},
          {"n_not_computed", FieldType::integer, "",
           "parcels with a null figure (see their note), left out of that figure's sum"}}},
    };
    m.factory = [] { return std::make_unique<ConstraintsMetric>(); };
    registry.add(std::move(m));
}

}  // namespace spaceuse::plugins::constraints

SPACEUSE_METRIC_PLUGIN(constraints, spaceuse::plugins::constraints::register_metrics)
