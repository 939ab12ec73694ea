#pragma once

#include "command.hpp"
#include "follow_up_flags.hpp"

#include <string>
#include <vector>

namespace spaceuse::cli {

/// `spaceuse trend SURVEY... -o DIR`: each zone's figures over several surveys.
class CommandTrend : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::vector<std::string> m_surveys;
    std::string m_output;
    bool m_overwrite = false;
    bool m_recompute = false;
    bool m_no_charts = false;
    FollowUpFlags m_follow_up;
};

}  // namespace spaceuse::cli
