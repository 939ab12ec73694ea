#pragma once

#include "command.hpp"

#include <vector>

namespace spaceuse::cli {

/// `spaceuse info SOURCE[:LAYER]...`: describes layers, their CRS, fields and geometry issues.
class CommandInfo : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::vector<std::string> m_sources;
    std::string m_layer;
    std::string m_where;
    std::string m_crs;
    std::string m_assume_crs;
    bool m_json = false;
};

}  // namespace spaceuse::cli
