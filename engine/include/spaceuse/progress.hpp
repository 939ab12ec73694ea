#pragma once

/// @file progress.hpp
/// Progress reporting for long engine calls.

#include <functional>
#include <string_view>

namespace spaceuse {

/// Called with a fraction in [0, 1] and a short message. Returning false cancels the
/// operation, which then throws CancelledError. An empty function means "no progress".
using ProgressFn = std::function<bool(double fraction, std::string_view message)>;

/// A callback that maps [0, 1] onto [begin, end] of `parent` (empty when parent is empty).
inline ProgressFn scaled_progress(const ProgressFn& parent, double begin, double end) {
    if (!parent) {
        return {};
    }
    return [parent, begin, end](double f, std::string_view m) {
        return parent(begin + (end - begin) * f, m);
    };
}

/// Helper that maps a sub-step onto a range [begin, end] of a parent progress callback and
/// turns a "stop" answer into CancelledError.
class Progress {
public:
    Progress() = default;
    explicit Progress(ProgressFn fn, double begin = 0.0, double end = 1.0)
        : m_fn(std::move(fn)), m_begin(begin), m_end(end) {}

    /// Reports `fraction` (0..1) of this step; throws CancelledError when asked to stop.
    void report(double fraction, std::string_view message) const;

    /// A progress object for the sub-range [from, to] (fractions of this step).
    Progress sub(double from, double to) const {
        return Progress(m_fn, m_begin + (m_end - m_begin) * from, m_begin + (m_end - m_begin) * to);
    }

    explicit operator bool() const noexcept { return static_cast<bool>(m_fn); }

private:
    ProgressFn m_fn;
    double m_begin = 0.0;
    double m_end = 1.0;
};

}  // namespace spaceuse
