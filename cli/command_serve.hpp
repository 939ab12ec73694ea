#pragma once

#include "command.hpp"

#include <spaceuse/serve.hpp>

namespace spaceuse::cli {

/// `spaceuse serve DIR [--port N] [--bind ADDR]`: serves a viewer folder over HTTP until
/// Ctrl-C.
class CommandServe : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    ServeOptions m_options;
};

}  // namespace spaceuse::cli
