#pragma once
// The engine's parallel loops, on oneTBB: a task arena of the requested size per loop,
// tbb::parallel_for over the indices and per-thread state in tbb::enumerable_thread_specific.
// Results go into pre-sized slots, so they do not depend on the thread count.
//
// Errors: when calls throw, the loop reports the exception of the lowest failing index, whatever
// the thread count: once an index has failed, indices above it are skipped and indices below it
// still run, so every index below the reported one ran without error. Only a CancelledError (the
// progress callback asked to stop) ends the loop at once: nothing starts after it.

#include <spaceuse/error.hpp>

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

namespace spaceuse::detail {

/// Threads to use for a requested count (0: one per core).
inline unsigned worker_count(unsigned requested) {
    return requested != 0 ? requested : std::max(1U, std::thread::hardware_concurrency());
}

/// Runs f() in a task arena of `threads` threads, the caller's included. TBB keeps one worker
/// less than the cores unless told otherwise: a larger request raises that limit while f runs,
/// so the arena gets the threads asked for (as many as the caller wants, like std::thread).
template <typename F>
void run_in_arena(unsigned threads, const F& f) {
    const int wanted = static_cast<int>(
        std::clamp<unsigned>(threads, 1, static_cast<unsigned>(std::numeric_limits<int>::max())));
    std::optional<tbb::global_control> allow;
    if (wanted > tbb::info::default_concurrency()) {
        allow.emplace(tbb::global_control::max_allowed_parallelism,
                      static_cast<std::size_t>(wanted));
    }
    tbb::task_arena arena(wanted);
    arena.execute(f);
}

/// The lowest failing index of a parallel loop and its exception (see the file comment).
class FirstFailure {
public:
    static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

    /// Whether index i still has to run.
    bool wanted(std::size_t i) const noexcept {
        return i < m_index.load(std::memory_order_relaxed);
    }

    /// Records the exception being handled as the failure of index i; `cancelled` (a
    /// CancelledError) skips every index not started yet.
    void fail(std::size_t i, bool cancelled) {
        const std::lock_guard lock(m_mutex);
        if (i < m_failed) {
            m_failed = i;
            m_error = std::current_exception();
        }
        m_index = cancelled ? 0 : std::min(m_index.load(), i);
    }

    /// Rethrows the recorded exception, if any.
    void rethrow() const {
        if (m_error) {
            std::rethrow_exception(m_error);
        }
    }

private:
    std::atomic<std::size_t> m_index{none};  // indices from here on are skipped
    std::size_t m_failed = none;
    std::exception_ptr m_error;
    std::mutex m_mutex;
};

/// Runs body(state, i) for every i in [0, n) on up to `threads` threads (the caller's included),
/// in ranges of at most `chunk` consecutive indices. Each thread makes its own state with
/// make_state() on first use (a GEOS context, search buffers...). Every index is processed by
/// exactly one call, so results written into pre-sized slots are the same for any thread count.
/// When calls throw, the exception of the lowest failing index is rethrown once every call has
/// returned (see the file comment).
template <typename MakeState, typename Body>
void parallel_for(std::size_t n, unsigned threads, std::size_t chunk, const MakeState& make_state,
                  const Body& body) {
    if (n == 0) {
        return;
    }
    threads = std::max(1U, threads);
    // Ranges small enough for every thread to get several.
    chunk = std::clamp<std::size_t>(n / (16 * threads), 1, chunk);
    using State = std::decay_t<std::invoke_result_t<const MakeState&>>;
    tbb::enumerable_thread_specific<State> states([&make_state] { return make_state(); });
    FirstFailure failure;
    run_in_arena(threads, [&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, chunk),
                          [&](const tbb::blocked_range<std::size_t>& range) {
            std::size_t i = range.begin();
            if (!failure.wanted(i)) {
                return;
            }
            try {
                State& state = states.local();
                for (; i < range.end() && failure.wanted(i); ++i) {
                    body(state, i);
                }
            } catch (const CancelledError&) {
                failure.fail(i, true);
            } catch (...) {
                failure.fail(i, false);
            }
        });
    });
    failure.rethrow();
}

/// No per-thread state.
struct Stateless {};
inline constexpr auto stateless = [] { return Stateless{}; };

}  // namespace spaceuse::detail
