#pragma once

#include "command.hpp"

namespace spaceuse::cli {

/// `spaceuse metrics [NAME]`: lists the registered metrics, or shows one in full.
class CommandMetrics : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::string m_name;
};

}  // namespace spaceuse::cli
