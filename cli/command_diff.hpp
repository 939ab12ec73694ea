#pragma once

#include "command.hpp"
#include "follow_up_flags.hpp"
#include "study_output.hpp"

namespace spaceuse::cli {

/// `spaceuse diff BEFORE AFTER -o DIR`: the follow-up between two surveys.
class CommandDiff : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::string m_before;
    std::string m_after;
    std::string m_output;
    bool m_overwrite = false;
    FollowUpFlags m_follow_up;
    bool m_recompute = false;
    ExportFlags m_export;
};

}  // namespace spaceuse::cli
