#pragma once

// Fault injection for the tests of the failure path of occupancy: GEOS almost never fails once
// its inputs are repaired and snap-rounded, so the tests make a parcel fail on purpose.

#include <atomic>
#include <cstdint>

namespace spaceuse::detail {

/// No parcel fails (a value no FID takes).
inline constexpr std::int64_t kNoFault = INT64_MIN;

/// Source FID of the parcel whose free-space step fails as if GEOS had failed; kNoFault for none.
extern std::atomic<std::int64_t> g_fail_free_space_fid;

}  // namespace spaceuse::detail
