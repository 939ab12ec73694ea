#pragma once

#include "command.hpp"
#include "document_run.hpp"
#include "follow_up_flags.hpp"

#include <spaceuse/render.hpp>

namespace spaceuse::cli {

/// `spaceuse view [PROJECT] -o FILE.html`: runs a project (or reopens results) and writes the
/// HTML viewer, one file or a tiled folder.
class CommandView : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    DocumentRun m_run;
    FollowUpFlags m_follow_up;
    ViewOptions m_options;
    bool m_tiles = false;
    bool m_single = false;
};

}  // namespace spaceuse::cli
