#pragma once

/// @file definitions.hpp
/// Definitions of available land as rule sets, so that the conventions of several partners
/// (the Flemish inventory, IBIS, Oregon's buildable lands, Metro's RLIS...) classify the same
/// parcels side by side. A definition names its classes, maps each onto a common scale
/// (available, partly available, not available) and holds an ordered list of rules over
/// per-parcel facts; the first rule that holds gives the class. A fact the inputs lack makes a
/// parcel "not computable" under the rules that need it, never a guess.
///
/// A definition is read from a profile file (TOML) with `[[classes]]` and `[[rules]]`; an
/// occupancy profile (thresholds only, see profile.hpp) reads as the rule set its thresholds
/// imply, so `default` classifies every parcel as the occupancy status does.

#include <spaceuse/profile.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace spaceuse {

/// The common scale every definition's classes map onto.
enum class Level { available, partly_available, not_available };

/// "available", "partly available", "not available".
const char* level_name(Level level) noexcept;

/// Type of a fact.
enum class FactType { number, boolean, text };

/// A per-parcel fact rules can test.
struct FactInfo {
    std::string name;
    FactType type = FactType::number;
    std::string help;
    /// The mapped field it reads ("" when computed from the geometry); for facts derived from
    /// fields, the first field it needs.
    std::string field;
};

/// Every fact, in a fixed order (a fact's index is its position).
const std::vector<FactInfo>& definition_facts();

/// The names of the attribute fields a definition can map ([fields] in a profile): the facts
/// read from parcel fields, `issue_date` (gives `issued` when no issued flag is mapped) and
/// `own_address` (a field of the buildings).
const std::vector<std::string>& definition_field_keys();

/// A fact's value: unknown (std::monostate), a number, a boolean or a text.
using FactValue = std::variant<std::monostate, double, bool, std::string>;

/// One comparison "FACT OP VALUE".
struct Condition {
    enum class Op { lt, le, gt, ge, eq, ne };
    std::size_t fact = 0;
    Op op = Op::eq;
    FactValue value;
    /// As written in the file.
    std::string text;
};

/// One rule: the class it gives when every `when` condition holds and, when `any` is not
/// empty, at least one of `any` holds. A rule with neither always holds.
struct Rule {
    std::string name;
    std::size_t cls = 0;
    std::vector<Condition> when;
    std::vector<Condition> any;
    bool always() const noexcept { return when.empty() && any.empty(); }
};

/// A class of a definition.
struct DefinitionClass {
    std::string name;
    Level level = Level::available;
    std::string description;
};

/// A definition of available land.
struct Definition {
    std::string name;
    std::string description;
    /// The published source the rules follow.
    std::string source;
    /// Where it was read from (a file path, or "built-in").
    std::string origin = "built-in";
    std::vector<DefinitionClass> classes;
    std::vector<Rule> rules;
    /// Field key (definition_field_keys) → field name in the inputs.
    std::map<std::string, std::string> fields;
    /// A building part of at least this footprint inside a parcel is a main building (m²).
    double main_building_m2 = 0.0;
    /// Building parts smaller than this inside a parcel (slivers where building and parcel
    /// lines disagree) are not buildings of the parcel for the building facts (m²).
    double min_building_part_m2 = 0.0;
    /// Free-space parameters of the definition; unset: the run's.
    std::optional<double> setback_m;
    std::optional<double> min_free_area_m2;
    std::optional<double> min_free_width_m;
    /// Read from an occupancy profile's thresholds (not from rules).
    bool from_thresholds = false;

    /// Whether a rule tests a fact.
    bool uses_fact(const std::string& fact) const;
    /// The content as "key = value" lines, for the definitions hash and the manifest.
    std::vector<std::pair<std::string, std::string>> content() const;
};

/// Reads a profile file as a definition: a rule set (`[[classes]]`, `[[rules]]`) or an
/// occupancy profile's thresholds (see definition_from_profile).
/// @param status_field_mapped whether the run maps a status field (the thresholds' forced
///        statuses then become rules).
/// @throws ConfigError naming the file, the rule and what is wrong: an unknown fact, field key,
///         class or operator, a value of the wrong type, a class without a level, a rule after
///         one that always holds, a last rule that does not always hold.
Definition load_definition_file(const std::string& path, bool status_field_mapped);

/// The rule set an occupancy profile's thresholds imply: classes vacant (available),
/// underused (partly available) and occupied (not available); with a mapped status field, one
/// rule per status value first; then coverage below vacant_below, below underused_below,
/// otherwise occupied.
Definition definition_from_profile(const Profile& profile, bool status_field_mapped);

/// Finds a definition by name or .toml path, as find_profile does.
/// @throws ConfigError when there is none, or as load_definition_file.
Definition find_definition(const std::string& name, const std::vector<std::string>& search_dirs,
                           bool status_field_mapped);

/// The outcome of classifying one parcel.
struct Classification {
    /// Index of the class; nullopt: not computable.
    std::optional<std::size_t> cls;
    /// Index of the rule that gave the class, or of the rule that could not be decided.
    std::size_t rule = 0;
    /// When not computable: the fact that was missing.
    std::size_t missing_fact = 0;
};

/// Applies the rules in order to one parcel's facts (indexed as definition_facts()).
Classification classify(const Definition& definition, const std::vector<FactValue>& facts);

}  // namespace spaceuse
