#pragma once

/// @file profile.hpp
/// Occupancy profiles: the thresholds and definitions of one planning convention, kept as
/// data (a small TOML file) so other conventions can be added without code.

#include <map>
#include <string>
#include <vector>

namespace spaceuse {

/// Parcel status.
enum class ParcelStatus { occupied, underused, vacant };

/// "occupied", "underused" or "vacant".
const char* status_name(ParcelStatus status) noexcept;

/// Thresholds and definitions used by the occupancy metric.
struct Profile {
    std::string name = "default";
    std::string description = "spaceuse default definitions";
    /// Parcel is vacant when coverage is below this (fraction 0..1).
    double vacant_below = 0.05;
    /// Parcel is underused when coverage is below this (fraction 0..1).
    double underused_below = 0.30;
    /// Distance kept free around buildings when measuring usable free land (m).
    double setback_m = 5.0;
    /// Smallest free piece that counts as usable (m²).
    double min_free_area_m2 = 500.0;
    /// Narrowest free piece that counts as usable (m), tested by a negative buffer.
    double min_free_width_m = 15.0;
    /// Storey height used to turn a building height into floors (m).
    double storey_height_m = 3.5;
    /// Values of the parcel status field and the status each one forces (exact match).
    std::map<std::string, ParcelStatus> status_values;
    /// Where the profile was read from ("built-in" or a file path).
    std::string origin = "built-in";
};

/// Checks 0 <= vacant_below <= underused_below <= 1, non-negative setback and free-land
/// limits, and a positive storey height. @throws ConfigError prefixed with `where`.
void validate_profile(const Profile& profile, const std::string& where);

/// Reads a profile file (TOML). Unknown keys and out-of-range values are errors.
/// @throws ConfigError naming the file and key.
Profile load_profile_file(const std::string& path);

/// Finds a profile by name: NAME may be a path to a .toml file, else NAME.toml is looked up in
/// `search_dirs` in order; "default" falls back to the built-in values when no file is found.
/// @throws ConfigError when no profile of that name exists.
Profile find_profile(const std::string& name, const std::vector<std::string>& search_dirs);

/// The folders profiles are looked up in: $SPACEUSE_PROFILE_PATH (':'-separated), the
/// installed share folder, and the source tree's data/profiles.
std::vector<std::string> default_profile_dirs();

/// Parses "value=status,value=status" into a status mapping.
/// @throws ConfigError on a bad entry.
std::map<std::string, ParcelStatus> parse_status_map(const std::string& text);

/// "occupied", "underused" or "vacant" as a status. @throws ConfigError naming `where`.
ParcelStatus parse_status(const std::string& text, const std::string& where);

}  // namespace spaceuse
