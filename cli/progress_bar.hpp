#pragma once

// Terminal progress bar on stderr: drawn only when stderr is a terminal (or forced with
// --progress), silent with --quiet / --no-progress. With --progress-format jsonl, the same
// reports become JSON lines (console.hpp) with the run's stage (PhaseTimer's phases).

#include "phase_timer.hpp"

#include <spaceuse/progress.hpp>

#include <chrono>
#include <string>

namespace spaceuse::cli {

class ProgressBar {
public:
    /// @param enabled draw at all
    explicit ProgressBar(bool enabled) : m_enabled(enabled) {}
    ~ProgressBar() { finish(); }
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    /// Callback for engine calls.
    ProgressFn callback();
    /// Clears the bar line.
    void finish();

    /// Whether a bar should be drawn by default (stderr is a TTY).
    static bool stderr_is_terminal();

private:
    void draw(double fraction, std::string_view message);
    bool m_enabled;
    bool m_drawn = false;
    int m_last_permille = -1;
    std::string m_last_message;
    std::chrono::steady_clock::time_point m_last_draw{};
    PhaseTimer::Phase m_stage = PhaseTimer::Phase::read;
};

}  // namespace spaceuse::cli
