#pragma once

#include "command.hpp"
#include "document_run.hpp"
#include "follow_up_flags.hpp"

#include <spaceuse/render.hpp>

namespace spaceuse::cli {

/// `spaceuse report [PROJECT] -o FILE.pdf`: runs a project and writes the committee report.
class CommandReport : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    DocumentRun m_run;
    FollowUpFlags m_follow_up;
    ReportOptions m_options;
};

}  // namespace spaceuse::cli
