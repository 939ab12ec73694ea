#include "interrupt.hpp"

#include <atomic>
#include <csignal>

#include <signal.h>

namespace spaceuse::cli {

namespace {

// Lock-free, hence safe to touch from a signal handler.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) {
    if (g_signal.exchange(sig) != 0) {
        // Second signal: the user insists; die as the default action would.
        std::signal(sig, SIG_DFL);
        std::raise(sig);
    }
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // reads and writes in progress carry on
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() { return g_signal.load() != 0; }

int interrupt_signal() { return g_signal.load(); }

}  // namespace spaceuse::cli
