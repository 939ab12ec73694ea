#pragma once

// SIGINT (Ctrl-C) and SIGTERM (a tool such as QGIS stopping its child) ask a running command to
// stop: the engine sees it at its next progress report and throws CancelledError, so output
// folders roll back (no staging folder or lock left, the earlier results intact) and the
// command says "cancelled". A second signal ends the program at once, as without a handler.

namespace spaceuse::cli {

/// Installs the handlers (once, from main).
void install_interrupt_handlers();
/// Whether a stop was asked for.
bool interrupted();
/// The signal that asked (0 when none).
int interrupt_signal();

}  // namespace spaceuse::cli
