#pragma once

#include "command.hpp"

#include <string>

namespace spaceuse::cli {

/// `spaceuse publish RESULTS PG:...`: publishes a run's results to a PostGIS database.
class CommandPublish : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::string m_results;
    std::string m_target;
    std::string m_schema;
    std::string m_study;
};

/// `spaceuse unpublish PG:... --survey DATE [--study NAME]`: removes one published survey.
class CommandUnpublish : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::string m_target;
    std::string m_schema;
    std::string m_study;
    std::string m_survey;
};

/// `spaceuse surveys PG:...`: lists the surveys published in a database schema.
class CommandSurveys : public Command {
public:
    using Command::Command;
    CLI::App* setup(CLI::App& app) override;
    int run() override;

private:
    std::string m_target;
    std::string m_schema;
    std::string m_study;
};

}  // namespace spaceuse::cli
