#pragma once

/// @file scenario.hpp
/// Build-out scenarios: how much more fits on each parcel under density targets (coverage B/T,
/// floor-area ratio V/T, floors or height, minimum plot size), the share of that capacity that
/// is assumed not to come to market (discounts in the order a file writes them), and a
/// transparent activation ranking from weighted criteria. A scenario is a TOML file (see
/// data/scenarios/ and the README); the `scenarios` metric computes them.

#include <spaceuse/profile.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spaceuse {

/// Density targets of a scenario, for all zones or for one zone. Unset: no such cap.
struct ScenarioTargets {
    /// Maximum coverage B/T: built footprint / parcel area, in (0, 1].
    std::optional<double> max_coverage;
    /// Maximum floor-area ratio V/T: floor area / parcel area, >= 0.
    std::optional<double> max_far;
    /// Maximum floors of the footprint (existing and added), >= 1.
    std::optional<double> max_floors;
    /// Maximum height (m); floors = floor(max_height_m / floor_height_m).
    std::optional<double> max_height_m;
    /// Storey height used with max_height_m (m).
    double floor_height_m = 3.5;
    /// Parcels smaller than this get no added capacity (m²).
    double min_plot_m2 = 0.0;
    /// Floor area per job (m²); unset: no jobs figure.
    std::optional<double> floor_m2_per_job;

    /// The floor limit: the lower of max_floors and floor(max_height_m / floor_height_m), of
    /// those set; nullopt when neither is.
    std::optional<double> floors() const;
};

/// One discount on the capacity that remains, applied in file order.
struct ScenarioDiscount {
    enum class Kind {
        not_developing,  ///< a share of the land of one status assumed not to develop
        infrastructure   ///< a share of vacant land taken by the roads it still needs
    };
    Kind kind = Kind::not_developing;
    /// The land it applies to (infrastructure: vacant).
    ParcelStatus status = ParcelStatus::vacant;
    /// Share of the remaining capacity taken off, in [0, 1].
    double share = 0.0;
    /// As written in the file, or made from kind, status and share.
    std::string name;
};

/// One weighted criterion of the activation ranking.
struct ScenarioCriterion {
    /// Name (also the prefix of its fields in the ranking table, letters, digits and '_').
    std::string name;
    /// What it reads: a figure of the scenario (added_floor_m2, added_footprint_m2, added_jobs,
    /// land_m2) or of occupancy (area_m2, built_m2, coverage, far, free_m2, largest_free_m2,
    /// status); `LAYER.FIELD`, a field of another metric's output layer (joined on its first
    /// field, the parcel id), such as `access.motorway_exit_time_min`; or
    /// `parcels.FIELD`, an attribute of the parcels layer.
    std::string source;
    /// true: a higher value is better; false: lower is better.
    bool higher_is_better = true;
    /// Weight (>= 0); the weights of a ranking sum to more than 0.
    double weight = 1.0;
    /// For a text value (status, a text field): its number; a text not listed has no value.
    std::map<std::string, double> values;
};

/// A scenario file.
struct Scenario {
    /// Name (the file's stem unless `[scenario] name` gives one; a field-name prefix).
    std::string name;
    std::string title;
    std::string description;
    /// The file it was read from.
    std::string origin;
    /// Targets for all zones.
    ScenarioTargets targets;
    /// Targets of single zones (by zone id), over `targets`.
    std::map<std::string, ScenarioTargets> zones;
    /// Usable free-space parameters of the scenario; unset: the run's profile's.
    std::optional<double> setback_m;
    std::optional<double> min_free_area_m2;
    std::optional<double> min_free_width_m;
    std::vector<ScenarioDiscount> discounts;
    /// The activation ranking; empty: none.
    std::vector<ScenarioCriterion> criteria;
    /// Parcels listed in the report's ranking.
    int top = 10;

    /// The targets of a zone: its own, else those for all zones.
    const ScenarioTargets& targets_of(const std::string& zone_id) const;
    /// The content as "key = value" lines, for the definitions hash and the manifest.
    std::vector<std::pair<std::string, std::string>> content() const;
};

/// Reads a scenario file.
/// @throws ConfigError naming the file and the key: a target out of its range (coverage above
///         1, a negative FAR...), an unknown key, status or direction, weights that sum to
///         zero, a scenario without a floor limit (max_far, max_floors or max_height_m).
Scenario load_scenario_file(const std::string& path);

/// What a scenario adds on one parcel.
struct ParcelCapacity {
    /// Added footprint that fits: inside the land, under the coverage cap (m²).
    double footprint_m2 = 0.0;
    /// Added floor area under the FAR cap and the floor limit, minus the floor area built;
    /// nullopt when the parcel's floor area is unknown.
    std::optional<double> floor_m2;
    /// Jobs in the added floor area, with a floor area per job.
    std::optional<double> jobs;
    /// Why there is no capacity ("below the minimum plot size", "above the coverage cap"...);
    /// empty when there is some.
    std::string note;
};

/// The capacity of one parcel under `targets`: `area_m2` its area, `built_m2` its footprint,
/// `floor_m2` its floor area (nullopt: unknown), `land_m2` the land that may be built (usable
/// free land, or developable land). Never negative.
ParcelCapacity parcel_capacity(const ScenarioTargets& targets, double area_m2, double built_m2,
                               std::optional<double> floor_m2, double land_m2);

}  // namespace spaceuse
