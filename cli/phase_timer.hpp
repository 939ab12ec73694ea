#pragma once

// Wall time, CPU time and peak RSS per phase of a run (read, index, overlay, network, write),
// told apart by the engine's progress messages; printed by `--timings` for benchmarks.

#include <spaceuse/progress.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace spaceuse::cli {

class PhaseTimer {
public:
    enum class Phase { read, index, overlay, network, write, count };

    /// Starts timing now, in the read phase.
    PhaseTimer();

    /// A progress callback that records phase changes and forwards to `inner` (may be empty).
    ProgressFn wrap(ProgressFn inner);

    /// Closes the current phase and prints one line per phase that ran, plus the total (one
    /// "timings" event with --progress-format jsonl).
    void print(std::FILE* out);

    /// The phase a progress message belongs to; `current` when the message does not say.
    static Phase classify(std::string_view message, Phase current);
    /// "read", "index", "overlay", "network", "write".
    static const char* name(Phase phase);

private:
    struct Sample {
        std::chrono::steady_clock::time_point wall;
        double cpu_s = 0.0;
    };
    struct Totals {
        double wall_s = 0.0;
        double cpu_s = 0.0;
        double peak_rss_mb = 0.0;
        bool ran = false;
    };
    static Sample now();
    void switch_to(Phase next);

    std::mutex m_mutex;
    Phase m_phase = Phase::read;
    Sample m_start;
    Sample m_phase_start;
    std::array<Totals, static_cast<std::size_t>(Phase::count)> m_totals{};
};

}  // namespace spaceuse::cli
