#include "command_diff.hpp"

#include "progress_bar.hpp"

#include <spaceuse/diff.hpp>

#include <cstdio>

namespace spaceuse::cli {

CLI::App* CommandDiff::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "diff", "Follow-up between two surveys: parcels matched by id and shared area (unchanged, "
                "reshaped, renumbered, split, merged, reparcelled, new, retired) and the zone "
                "table at both dates");
    sub->add_option("before", m_before,
                    "Earlier survey: a results folder, its spaceuse.gpkg, or a project file")
        ->required();
    sub->add_option("after", m_after, "Later survey, as BEFORE")->required();
    sub->add_option("-o,--output", m_output, "Output folder")->required();
    sub->add_flag("--overwrite", m_overwrite, "Replace earlier results");
    sub->add_option("--match-share", m_match_share,
                    "Parcels of other ids link when they share at least this share of the "
                    "smaller one (default 0.5)")
        ->check(CLI::Range(0.0, 1.0));
    add_export_flags(*sub, m_export, false);
    return sub;
}

int CommandDiff::run() {
    DiffStudy study;
    study.before = m_before;
    study.after = m_after;
    study.output_dir = m_output;
    study.write.overwrite = m_overwrite;
    study.options.match.match_share = m_match_share;
    apply_export_flags(m_export, study.exports);
    ProgressBar bar(m_global.show_progress());
    const DiffReport d = run_diff(study, bar.callback());
    bar.finish();
    if (!m_global.quiet) {
        std::printf("surveys %s → %s\n%s\n%s\n", d.before_date.c_str(), d.after_date.c_str(),
                    d.before_reconciliation.c_str(), d.after_reconciliation.c_str());
        std::fprintf(stderr, "wrote %s\n", m_output.c_str());
    }
    return exit_ok;
}

}  // namespace spaceuse::cli
