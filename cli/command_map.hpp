#pragma once

#include "command.hpp"
#include "document_run.hpp"
#include "follow_up_flags.hpp"

#include <spaceuse/render.hpp>

namespace spaceuse::cli {

/// `spaceuse map [PROJECT] -o FILE`: runs a project and renders a map (PNG, SVG or PDF).
class CommandMap : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    DocumentRun m_run;
    MapOptions m_options;
    std::string m_breaks;
    FollowUpFlags m_follow_up;
};

}  // namespace spaceuse::cli
