#pragma once

// The engine names options as a project file does (assume_crs, crs, overwrite); a user of the
// command line typed flags. This adds the flag to a message that names such an option.

#include <string>

namespace spaceuse::cli {

/// `message` with "(flag --X)" appended for each engine option it names that a flag sets.
std::string with_flag_hints(const std::string& message);

}  // namespace spaceuse::cli
