#include "progress_bar.hpp"

#include "console.hpp"
#include "interrupt.hpp"

#include <unistd.h>

#include <cstdio>

namespace spaceuse::cli {

bool ProgressBar::stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressFn ProgressBar::callback() {
    // Always a callback, drawn or not: returning false is how a SIGINT/SIGTERM reaches the
    // engine (interrupt.hpp).
    if (!m_enabled) {
        return [](double, std::string_view) { return !interrupted(); };
    }
    return [this](double fraction, std::string_view message) {
        draw(fraction, message);
        return !interrupted();
    };
}

void ProgressBar::draw(double fraction, std::string_view message) {
    const int permille = static_cast<int>(fraction * 1000.0);
    const auto now = std::chrono::steady_clock::now();
    // Redraw at most ten times a second unless the step changed.
    if (permille == m_last_permille && message == m_last_message) {
        return;
    }
    if (message == m_last_message && now - m_last_draw < std::chrono::milliseconds(100) &&
        permille < 1000) {
        return;
    }
    m_last_permille = permille;
    m_last_message = std::string(message);
    m_last_draw = now;
    if (message_format() == MessageFormat::jsonl) {
        m_stage = PhaseTimer::classify(message, m_stage);
        say_event({{"type", "progress"},
                   {"percent", permille / 10.0},
                   {"stage", PhaseTimer::name(m_stage)},
                   {"message", m_last_message}});
        return;
    }
    constexpr int width = 30;
    const int filled = permille * width / 1000;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), ' ');
    std::fprintf(stderr, "\r[%s] %3d%% %-40.40s", bar.c_str(), permille / 10,
                 m_last_message.c_str());
    std::fflush(stderr);
    m_drawn = true;
}

void ProgressBar::finish() {
    if (m_drawn) {
        std::fprintf(stderr, "\r%*s\r", 80, "");
        std::fflush(stderr);
        m_drawn = false;
    }
}

}  // namespace spaceuse::cli
