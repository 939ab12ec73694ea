#include "command_diff.hpp"

#include "console.hpp"
#include "describe.hpp"
#include "progress_bar.hpp"

#include <spaceuse/diff.hpp>

#include <cstdio>

namespace spaceuse::cli {

namespace {

/// The stock bridge of all zones, one line per definition.
void print_stock(const OutputLayer& stock) {
    for (const auto& row : stock.rows) {
        if (value_as_text(row[0]) != "ALL") {
            continue;
        }
        auto num = [&row](std::size_t i) { return std::get<double>(row[i]); };
        std::printf("stock (%s), all zones: %.0f − %.0f taken up + %.0f released + %.0f added − "
                    "%.0f removed = %.0f m² (residual %.2f); years of supply %s\n",
                    value_as_text(row[2]).c_str(), num(3), num(4), num(5), num(6), num(7), num(8),
                    num(9), value_as_text(row[12]).c_str());
    }
}

}  // namespace

CLI::App* CommandDiff::setup(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "diff", "Follow-up between two surveys: parcels matched by id and shared area (unchanged, "
                "reshaped, renumbered, split, merged, reparcelled, new, retired), the zone "
                "table at both dates, status transitions, the stock bridge, take-up and years "
                "of supply");
    describe_command(sub, {});
    source_param(
        sub->add_option("before", m_before,
                        "Earlier survey: a results folder, its spaceuse.gpkg, or a project file"))
        ->required();
    source_param(sub->add_option("after", m_after, "Later survey, as BEFORE"))->required();
    output_folder_param(sub->add_option("-o,--output", m_output, "Output folder"))->required();
    sub->add_flag("--overwrite", m_overwrite, "Replace earlier results");
    m_follow_up.add(*sub);
    sub->add_flag("--recompute", m_recompute,
                  "Rerun BEFORE's inputs (found through its manifest, content hashes checked) "
                  "with AFTER's definitions; AFTER must be a project file");
    add_export_flags(*sub, m_export, false);
    return sub;
}

int CommandDiff::run() {
    DiffStudy study;
    study.before = m_before;
    study.after = m_after;
    study.output_dir = m_output;
    study.write.overwrite = m_overwrite;
    m_follow_up.apply(study.options);
    study.recompute = m_recompute;
    apply_export_flags(m_export, study.exports);
    ProgressBar bar(m_global.show_progress());
    auto owned = std::make_unique<const DiffReport>(run_diff(study, bar.callback()));
    const DiffReport& d = *owned;
    bar.finish();
    if (!m_global.quiet) {
        const std::string crs = d.reprojected ? " (before reprojected to " + d.crs.name + ")" : "";
        std::printf("surveys %s → %s%s\n%s\n%s\n", d.before_date.c_str(), d.after_date.c_str(),
                    crs.c_str(), d.before_reconciliation.c_str(), d.after_reconciliation.c_str());
        std::printf("zones: %s; %s\n", match_reconciliation(d.zone_match, true).c_str(),
                    match_reconciliation(d.zone_match, false).c_str());
        if (d.takeup_source == "issue_date") {
            std::printf("take-up from issue dates: %zu parcels dated, %zu undated, %zu left out "
                        "by the filter\n",
                        d.issue_dated, d.issue_undated, d.issue_filtered_out);
            if (d.issued_after_survey > 0) {
                std::printf("note: %zu parcel%s dated after the after survey (left out of the "
                            "years)\n",
                            d.issued_after_survey, d.issued_after_survey == 1 ? "" : "s");
            }
            if (d.issued_but_vacant > 0) {
                std::printf("note: %zu parcel%s (%.0f m²) issued between the surveys %s vacant in "
                            "the after survey: check that the field holds issue dates, not "
                            "record or version dates\n",
                            d.issued_but_vacant, d.issued_but_vacant == 1 ? "" : "s",
                            d.issued_but_vacant_m2, d.issued_but_vacant == 1 ? "is" : "are");
            }
        } else {
            std::printf("take-up from the diff over the interval (no issue dates)\n");
        }
        print_stock(d.stock);
        say_event({{"type", "outputs"}, {"manifest", m_output + "/run.json"}});
        sayf("wrote %s\n", m_output.c_str());
    }
    release_at_exit(std::move(owned));
    return exit_ok;
}

}  // namespace spaceuse::cli
