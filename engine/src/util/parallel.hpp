#pragma once
// Worker threads for the engine's parallel loops: results go into pre-sized slots, so they do
// not depend on the thread count.

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace spaceuse::detail {

/// Threads to use for a requested count (0: one per core).
inline unsigned worker_count(unsigned requested) {
    return requested != 0 ? requested : std::max(1U, std::thread::hardware_concurrency());
}

/// Runs body(state, i) for every i in [0, n) on up to `threads` threads (the caller's included),
/// handing out chunks of at most `chunk` consecutive indices in increasing order. Each thread makes its
/// own state with make_state() (a GEOS context, search buffers...). Every index is processed by
/// exactly one call, so results written into pre-sized slots are the same for any thread count.
/// When calls throw, the exception of the lowest failing chunk is rethrown after all threads have
/// stopped: chunks after it are skipped and chunks before it still run, so the error reported
/// does not depend on the thread count either.
// A small loop over std::thread: the project has no task library, and this one pattern
// (independent slots, ordered chunks) is all the engine needs.
template <typename MakeState, typename Body>
void parallel_for(std::size_t n, unsigned threads, std::size_t chunk, const MakeState& make_state,
                  const Body& body) {
    if (n == 0) {
        return;
    }
    // Chunks small enough for every thread to get several (any chunking gives the same result).
    chunk = std::clamp<std::size_t>(n / (16 * std::max(1U, threads)), 1, chunk);
    const std::size_t chunks = (n + chunk - 1) / chunk;
    threads = static_cast<unsigned>(std::clamp<std::size_t>(threads, 1, chunks));
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> failed{chunks};  // lowest failing chunk (chunks: none)
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto fail = [&](std::size_t c) {
        const std::lock_guard lock(failure_mutex);
        if (c < failed.load()) {
            failed = c;
            failure = std::current_exception();
        }
    };
    auto run = [&] {
        std::size_t c = 0;
        try {
            auto state = make_state();
            while ((c = next.fetch_add(1)) < chunks && c < failed.load()) {
                const std::size_t end = std::min(n, (c + 1) * chunk);
                for (std::size_t i = c * chunk; i < end; ++i) {
                    body(state, i);
                }
            }
        } catch (...) {
            fail(c);
        }
    };
    {
        std::vector<std::jthread> pool;
        try {
            for (unsigned t = 1; t < threads; ++t) {
                pool.emplace_back(run);
            }
        } catch (...) {
            fail(0);  // no thread: stop the ones started (joined when the pool goes)
        }
        run();
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
}

/// No per-thread state.
struct Stateless {};
inline constexpr auto stateless = [] { return Stateless{}; };

}  // namespace spaceuse::detail
