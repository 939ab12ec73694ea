#include "phase_timer.hpp"

#include "console.hpp"

#include <sys/resource.h>

#include <string_view>

namespace spaceuse::cli {

namespace {

constexpr std::array<const char*, 5> phase_names = {"read", "index", "overlay", "network", "write"};

double seconds(const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
}

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

PhaseTimer::PhaseTimer() : m_start(now()), m_phase_start(m_start) {}

PhaseTimer::Sample PhaseTimer::now() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);  // all threads of the process
    return {std::chrono::steady_clock::now(), seconds(u.ru_utime) + seconds(u.ru_stime)};
}

PhaseTimer::Phase PhaseTimer::classify(std::string_view m, Phase current) {
    if (starts_with(m, "opening layers") || starts_with(m, "reading ")) {
        return Phase::read;
    }
    if (starts_with(m, "indexing ")) {
        return Phase::index;
    }
    if (starts_with(m, "occupancy done") || starts_with(m, "writing") ||
        starts_with(m, "accessibility done")) {
        return Phase::write;
    }
    if (starts_with(m, "occupancy")) {
        return Phase::overlay;
    }
    if (starts_with(m, "building the road graph") || starts_with(m, "attaching") ||
        starts_with(m, "nearest ") || starts_with(m, "cumulative") ||
        starts_with(m, "zone aggregates") || starts_with(m, "isochrones")) {
        return Phase::network;
    }
    return current;
}

const char* PhaseTimer::name(Phase phase) {
    return phase_names.at(static_cast<std::size_t>(phase));
}

void PhaseTimer::switch_to(Phase next) {
    const Sample s = now();
    auto& t = m_totals[static_cast<std::size_t>(m_phase)];
    t.wall_s += std::chrono::duration<double>(s.wall - m_phase_start.wall).count();
    t.cpu_s += s.cpu_s - m_phase_start.cpu_s;
    t.peak_rss_mb = peak_rss_mb();
    t.ran = true;
    m_phase = next;
    m_phase_start = s;
}

ProgressFn PhaseTimer::wrap(ProgressFn inner) {
    return [this, inner = std::move(inner)](double fraction, std::string_view message) {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            const Phase next = classify(message, m_phase);
            if (next != m_phase) {
                switch_to(next);
            }
        }
        return inner ? inner(fraction, message) : true;
    };
}

void PhaseTimer::print(std::FILE* out) {
    const std::lock_guard<std::mutex> lock(m_mutex);
    switch_to(m_phase);
    const Sample end = now();
    const double total_wall = std::chrono::duration<double>(end.wall - m_start.wall).count();
    if (message_format() == MessageFormat::jsonl) {
        nlohmann::ordered_json phases = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < phase_names.size(); ++i) {
            const auto& t = m_totals[i];
            if (t.ran) {
                phases.push_back({{"phase", phase_names[i]},
                                  {"wall_s", t.wall_s},
                                  {"cpu_s", t.cpu_s},
                                  {"peak_rss_mb", t.peak_rss_mb}});
            }
        }
        say_event({{"type", "timings"},
                   {"phases", phases},
                   {"total",
                    {{"wall_s", total_wall},
                     {"cpu_s", end.cpu_s - m_start.cpu_s},
                     {"peak_rss_mb", peak_rss_mb()}}}});
        return;
    }
    std::fprintf(out, "%-8s %9s %9s %12s\n", "phase", "wall_s", "cpu_s", "peak_rss_mb");
    for (std::size_t i = 0; i < phase_names.size(); ++i) {
        const auto& t = m_totals[i];
        if (t.ran) {
            std::fprintf(out, "%-8s %9.3f %9.3f %12.1f\n", phase_names[i], t.wall_s, t.cpu_s,
                         t.peak_rss_mb);
        }
    }
    std::fprintf(out, "%-8s %9.3f %9.3f %12.1f\n", "total", total_wall, end.cpu_s - m_start.cpu_s,
                 peak_rss_mb());
}

}  // namespace spaceuse::cli
