#pragma once

#include "command.hpp"
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
    double m_match_share = 0.5;
    std::string m_issue_date_field;
    std::string m_issue_date_where;
    int m_supply_years = 5;
    bool m_recompute = false;
    int m_threads = 0;
    ExportFlags m_export;
};

}  // namespace spaceuse::cli
