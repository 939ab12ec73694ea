#include "study_output.hpp"

#include "console.hpp"
#include "describe.hpp"
#include "phase_timer.hpp"
#include "progress_bar.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <memory>

namespace spaceuse::cli {

void print_load_summary(const StudyReport& report) {
    sayf("analysis CRS: %s%s%s (%s)\n", report.crs.name.c_str(),
         report.crs.code.empty() ? "" : ", ", report.crs.code.c_str(), report.crs_reason.c_str());
    for (const auto& l : report.layers) {
        const auto& r = l.report;
        sayf("%-10s %s: read %lld = kept %lld + rejected %lld; repaired %lld\n", l.role.c_str(),
             l.source.c_str(), static_cast<long long>(r.read), static_cast<long long>(r.kept),
             static_cast<long long>(r.rejected), static_cast<long long>(r.repaired));
        if (!l.operation.identity) {
            char accuracy[32] = "unknown";
            if (l.operation.accuracy_m >= 0) {
                std::snprintf(accuracy, sizeof accuracy, "%g m", l.operation.accuracy_m);
            }
            sayf("           transformed with: %s (accuracy %s)\n", l.operation.name.c_str(),
                 accuracy);
        }
        std::size_t shown = 0;
        for (const auto& issue : r.issues) {
            if (shown++ == 10) {
                sayf("           ... %zu more (see run.json)\n", r.issues.size() - 10);
                break;
            }
            sayf("           fid %lld %s: %s\n", static_cast<long long>(issue.fid),
                 issue_kind_name(issue.kind), issue.detail.c_str());
        }
    }
}

void print_zone_table(const StudyReport& report) {
    const OutputLayer* table = report.table("summary");
    if (table == nullptr) {
        return;
    }
    const auto& t = *table;
    std::printf("%-8s %-34s %12s %12s %11s %11s %6s %6s %11s %11s %5s %4s %4s %4s\n", "zone",
                "name", "gross_m2", "net_m2", "infra_m2", "built_m2", "cover", "occup", "vacant_m2",
                "free_m2", "parc", "occ", "und", "vac");
    for (const std::vector<Value> row : t.rows) {
        auto s = [&row](std::size_t i) {
            const auto* v = std::get_if<std::string>(&row[i]);
            return v ? *v : std::string();
        };
        auto d = [&row](std::size_t i) {
            const auto* v = std::get_if<double>(&row[i]);
            return v ? *v : 0.0;
        };
        auto n = [&row](std::size_t i) {
            const auto* v = std::get_if<std::int64_t>(&row[i]);
            return v ? static_cast<long long>(*v) : 0LL;
        };
        // Free area is null when free space was not computed.
        char free[32] = "-";
        if (const auto* v = std::get_if<double>(&row[10])) {
            std::snprintf(free, sizeof free, "%.1f", *v);
        }
        std::printf("%-8s %-34.34s %12.1f %12.1f %11.1f %11.1f %6.3f %6.3f %11.1f %11s %5lld "
                    "%4lld %4lld %4lld\n",
                    s(0).c_str(), s(1).c_str(), d(2), d(3), d(4), d(5), d(6), d(7), d(8), free,
                    n(11), n(12), n(13), n(14));
    }
    const auto occupancy = report.result<OccupancyResult>("occupancy");
    if (occupancy && occupancy->n_outside > 0) {
        std::printf("parcels outside every zone: %d\n", occupancy->n_outside);
    }
    if (occupancy && !occupancy->overlaps.empty()) {
        const auto& all = occupancy->total;
        std::printf("overlapping parcels: %zu pairs share %.1f m2 (%.2f %% of the zones' net "
                    "area, counted twice in net_m2; run.json: occupancy.overlaps)\n",
                    occupancy->overlaps.size(), all.overlap_m2,
                    all.net_m2 > 0 ? 100.0 * all.overlap_m2 / all.net_m2 : 0.0);
        std::size_t warned = 0;
        for (const auto& z : occupancy->zones) {
            if (z.net_m2 > 0 && z.overlap_m2 > kOverlapWarnShare * z.net_m2 && ++warned > 10) {
                continue;
            }
            if (z.net_m2 > 0 && z.overlap_m2 > kOverlapWarnShare * z.net_m2) {
                std::printf("WARNING: zone %s: parcels overlap on %.1f m2, %.1f %% of its net "
                            "area: stacked parcel levels or duplicated parcels? its net_m2 is "
                            "too high and infra_m2 too low by that much\n",
                            z.name.c_str(), z.overlap_m2, 100.0 * z.overlap_m2 / z.net_m2);
            }
        }
        if (warned > 10) {
            std::printf("WARNING: ... and %zu more zones where parcels overlap on more than 1 %% "
                        "of the net area\n",
                        warned - 10);
        }
    }
    if (occupancy && !occupancy->failures.empty()) {
        std::printf("warning: GEOS could not compute %zu parcel step(s) (overlays are retried "
                    "after repair and 1 mm snap rounding); those figures are null (run.json: "
                    "occupancy.failed_parcels)\n",
                    occupancy->failures.size());
        std::size_t shown = 0;
        for (const auto& f : occupancy->failures) {
            if (shown++ == 10) {
                std::printf("  ... %zu more\n", occupancy->failures.size() - 10);
                break;
            }
            std::printf("  parcel %s (fid %lld), %s: %s\n", f.parcel_id.c_str(),
                        static_cast<long long>(f.fid), parcel_failure_name(f.step),
                        f.reason.c_str());
        }
    }
}

void print_access_table(const StudyReport& report) {
    const auto access = report.result<AccessResult>("access");
    const OutputLayer* table = report.table("access_summary");
    if (!access || table == nullptr) {
        return;
    }
    const auto& n = access->network;
    std::printf("network: %zu lines, %zu nodes, %zu edges (%zu excluded by the profile), %zu "
                "components, largest %zu nodes, %.1f km\n",
                n.lines, n.nodes, n.edges, n.excluded_edges, n.components,
                n.largest_component_nodes, n.total_length_m / 1000.0);
    for (const auto& w : access->warnings) {
        std::printf("warning: %s\n", w.c_str());
    }
    const auto& t = *table;
    std::printf("%-8s %-16s %7s %9s %12s %10s %-22s %12s\n", "zone", "kind", "origins", "reachable",
                "mean_dist_m", "mean_min", "worst_origin", "worst_dist_m");
    for (const std::vector<Value> row : t.rows) {
        auto s = [&row](std::size_t i) {
            const auto* v = std::get_if<std::string>(&row[i]);
            return v ? *v : std::string("-");
        };
        auto d = [&row](std::size_t i) {
            const auto* v = std::get_if<double>(&row[i]);
            char buf[32];
            if (v == nullptr) {
                return std::string("-");
            }
            std::snprintf(buf, sizeof buf, "%.1f", *v);
            return std::string(buf);
        };
        auto n2 = [&row](std::size_t i) {
            const auto* v = std::get_if<std::int64_t>(&row[i]);
            return v ? static_cast<long long>(*v) : 0LL;
        };
        std::printf("%-8s %-16.16s %7lld %9lld %12s %10s %-22.22s %12s\n", s(0).c_str(),
                    s(1).c_str(), n2(2), n2(3), d(4).c_str(), d(5).c_str(), s(6).c_str(),
                    d(7).c_str());
    }
}

void print_outputs(const StudyReport& report) {
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const auto& o : report.outputs) {
        nlohmann::ordered_json f = {{"path", o.path}, {"layer", o.layer}};
        if (o.data) {
            f["features"] = o.features;
        }
        files.push_back(f);
    }
    say_event({{"type", "outputs"}, {"manifest", report.manifest_path}, {"files", files}});
    for (const auto& o : report.outputs) {
        if (o.data) {
            const bool table = o.path.size() > 4 &&
                               o.path.compare(o.path.size() - 4, 4, ".csv") == 0;
            sayf("wrote %s: %s, %zu %s\n", o.path.c_str(), o.layer.c_str(), o.features,
                 table ? "rows" : "features");
        } else {
            sayf("wrote %s: %s\n", o.path.c_str(), o.layer.c_str());
        }
    }
    sayf("wrote %s\n", report.manifest_path.c_str());
}

namespace {

/// The parcels a definition's or scenario's own steps could not compute, from its manifest
/// entry (`n_failed`, `failed_parcels`): the count, then the first ten.
void print_failed_parcels(const std::string& who, const char* what, const nlohmann::json& entry,
                          const char* section) {
    const auto n = entry.value("n_failed", 0LL);
    if (n == 0 || !entry.contains("failed_parcels")) {
        return;
    }
    std::printf("warning: %s: %s could not be computed on %lld parcels (a geometry operation "
                "failed, also after repair and 1 mm snap rounding); those figures are null "
                "(run.json: %s[].failed_parcels)\n",
                who.c_str(), what, n, section);
    std::size_t shown = 0;
    for (const auto& f : entry["failed_parcels"]) {
        if (shown++ == 10) {
            std::printf("  ... %lld more\n", n - 10);
            break;
        }
        std::printf("  parcel %s (fid %lld), %s: %s\n", f["parcel_id"].get<std::string>().c_str(),
                    f["source_fid"].get<long long>(), f["step"].get<std::string>().c_str(),
                    f["reason"].get<std::string>().c_str());
    }
}

}  // namespace

/// The definitions side by side for all zones: area per level, parcels not computable and why.
void print_definitions_table(const StudyReport& report) {
    const OutputLayer* table = report.table("definition_levels");
    if (table == nullptr) {
        return;
    }
    std::printf("definitions, all zones  %14s %18s %15s %22s\n", "available m²", "partly avail. m²",
                "not avail. m²", "not computable m² (n)");
    for (const std::vector<Value> row : table->rows) {
        const auto* zone = std::get_if<std::string>(&row[0]);
        if (zone == nullptr || *zone != "ALL") {
            continue;
        }
        auto d = [&row](std::size_t i) {
            const auto* v = std::get_if<double>(&row[i]);
            return v != nullptr ? *v : 0.0;
        };
        const auto* n = std::get_if<std::int64_t>(&row[12]);
        char nc[64];
        std::snprintf(nc, sizeof nc, "%.0f (%lld)", d(8),
                      n != nullptr ? static_cast<long long>(*n) : 0LL);
        std::printf("  %-21s %14.0f %17.0f %14.0f %22s\n", std::get<std::string>(row[2]).c_str(),
                    d(5), d(6), d(7), nc);
    }
    const auto manifest = nlohmann::json::parse(report.manifest, nullptr, false);
    if (manifest.is_object() && manifest.contains("definitions")) {
        for (const auto& d : manifest["definitions"]) {
            for (const auto& [fact, count] : d["not_computable"].items()) {
                std::printf("warning: definition %s: %lld parcels in the zones not computable: "
                            "needs %s\n",
                            d["name"].get<std::string>().c_str(), count.get<long long>(),
                            fact.c_str());
            }
            if (d["own_free_space"].get<bool>()) {
                std::printf("note: %s computes its own usable free space (its free-space "
                            "parameters differ from the run's, or the run has none)\n",
                            d["name"].get<std::string>().c_str());
            }
            print_failed_parcels("definition " + d["name"].get<std::string>(),
                                 "its own usable free space", d, "definitions");
        }
    }
}

void print_scenarios_table(const StudyReport& report) {
    const OutputLayer* zones = report.table("scenario_zones");
    if (zones == nullptr) {
        return;
    }
    auto d = [](const Value& v) {
        const auto* x = std::get_if<double>(&v);
        return x != nullptr ? *x : 0.0;
    };
    auto i64 = [](const Value& v) {
        const auto* x = std::get_if<std::int64_t>(&v);
        return x != nullptr ? static_cast<long long>(*x) : 0LL;
    };
    std::printf("scenarios, all zones   %16s %16s %16s %10s %14s\n", "gross floor m²",
                "net floor m²", "net footprint m²", "net jobs", "with capacity");
    for (const std::vector<Value> row : zones->rows) {
        const auto* zone = std::get_if<std::string>(&row[0]);
        if (zone == nullptr || *zone != "ALL") {
            continue;
        }
        char jobs[32] = "-";
        if (std::holds_alternative<double>(row[11])) {
            std::snprintf(jobs, sizeof jobs, "%.0f", d(row[11]));
        }
        std::printf("  %-20s %16.0f %15.0f %17.0f %10s %14lld\n",
                    std::get<std::string>(row[2]).c_str(), d(row[7]), d(row[10]), d(row[9]), jobs,
                    i64(row[4]));
    }
    const OutputLayer* ranking = report.table("scenario_ranking");
    if (ranking != nullptr && !ranking->rows.empty()) {
        std::printf("activation ranking, first parcels (scenario_ranking.csv: every criterion's "
                    "points)\n");
        std::string scenario;
        int shown = 0;
        for (const std::vector<Value> row : ranking->rows) {
            const std::string& s = std::get<std::string>(row[0]);
            if (s != scenario) {
                scenario = s;
                shown = 0;
            }
            if (shown++ < 5) {
                std::printf("  %-20s %3lld  %-12s %-8s %6.1f points\n", s.c_str(), i64(row[1]),
                            std::get<std::string>(row[2]).c_str(),
                            std::get<std::string>(row[3]).c_str(), d(row[4]));
            }
        }
    }
    const auto manifest = nlohmann::json::parse(report.manifest, nullptr, false);
    if (manifest.is_object() && manifest.contains("scenarios")) {
        for (const auto& s : manifest["scenarios"]) {
            const auto unknown = s["n_floor_unknown"].get<long long>();
            if (unknown > 0) {
                std::printf("warning: scenario %s: %lld parcels in the zones have no floor-area "
                            "figure (floors unknown): their added floor area is null\n",
                            s["name"].get<std::string>().c_str(), unknown);
            }
            for (const auto& [c, count] : s["criteria_without_value"].items()) {
                if (count.get<long long>() > 0) {
                    std::printf("note: scenario %s: criterion %s has no value on %lld parcels "
                                "(given its worst score)\n",
                                s["name"].get<std::string>().c_str(), c.c_str(),
                                count.get<long long>());
                }
            }
            if (s["own_free_space"].get<bool>()) {
                std::printf("note: scenario %s computes its own usable free space (its "
                            "free-space parameters differ from the run's)\n",
                            s["name"].get<std::string>().c_str());
            }
            const auto not_computed = s.value("n_not_computed", 0LL);
            if (not_computed > 0) {
                std::printf("warning: scenario %s: %lld parcels in the zones not computed (a "
                            "geometry step failed on them): no capacity, note \"not computed\"\n",
                            s["name"].get<std::string>().c_str(), not_computed);
            }
            print_failed_parcels("scenario " + s["name"].get<std::string>(), "its land", s,
                                 "scenarios");
        }
    }
}

int run_and_print(const Study& study, const GlobalOptions& global) {
    ProgressBar bar(global.show_progress());
    PhaseTimer timer;
    auto owned = std::make_unique<const StudyReport>(
        run_study(study, global.timings ? timer.wrap(bar.callback()) : bar.callback()));
    const StudyReport& report = *owned;
    bar.finish();
    if (global.timings) {
        timer.print(stderr);
    }
    if (!global.quiet) {
        print_load_summary(report);
    }
    print_zone_table(report);
    print_access_table(report);
    print_definitions_table(report);
    print_scenarios_table(report);
    if (!global.quiet) {
        print_outputs(report);
        if (report.published) {
            const PublishReport& p = *report.published;
            std::int64_t rows = 0;
            for (const auto& t : p.tables) {
                rows += t.rows;
            }
            sayf("published survey %s (run %s) to %s, schema %s: %zu tables, "
                 "%lld rows%s\n",
                 p.survey_date.c_str(), p.run_id.c_str(), p.target.c_str(), p.schema.c_str(),
                 p.tables.size(), static_cast<long long>(rows),
                 p.replaced ? ", replacing its earlier publication" : "");
        }
    }
    release_at_exit(std::move(owned));
    return exit_ok;
}

void add_export_flags(CLI::App& sub, ExportFlags& flags, bool snapshot_flag) {
    choice_param(sub.add_option("--format", flags.formats,
                                "Output format, repeatable: geojson, gpkg, shapefile, flatgeobuf "
                                "(default: the project's, else geojson)"),
                 {"geojson", "gpkg", "geopackage", "shapefile", "shp", "flatgeobuf", "fgb"}, true);
    advanced(choice_param(
        sub.add_option("--geojson-crs", flags.geojson_crs,
                       "wgs84: RFC 7946 (default); native: the analysis CRS with a crs member"),
        {"wgs84", "native"}));
    advanced(sub.add_flag("--no-styles", flags.no_styles,
                          "No .qml/.sld sidecars and no GeoPackage styles"));
    if (snapshot_flag) {
        advanced(sub.add_flag(
            "--no-snapshot", flags.no_snapshot,
            "No spaceuse.gpkg snapshot (documents then cannot be drawn from the results)"));
    }
}

void apply_export_flags(const ExportFlags& flags, ExportOptions& options) {
    if (!flags.formats.empty()) {
        options.formats.clear();
        for (const auto& f : flags.formats) {
            options.formats.push_back(parse_export_format(f));
        }
    }
    if (!flags.geojson_crs.empty()) {
        options.geojson_native_crs = flags.geojson_crs == "native";
    }
    if (flags.no_styles) {
        options.styles = false;
    }
}

void add_output_flags(CLI::App& sub, OutputFlags& flags) {
    advanced(sub.add_option("--threads", flags.threads, "Worker threads (0: all cores)")
                 ->default_val(0));
    advanced(
        range_param(sub.add_option("--precision", flags.precision, "GeoJSON coordinate decimals")
                        ->default_val(7),
                    0, 15, true));
    output_folder_param(sub.add_option("-o,--output", flags.output, "Output folder"))->required();
    sub.add_flag("--overwrite", flags.overwrite, "Replace existing output files");
    add_export_flags(sub, flags.exports);
}

void apply_output_flags(const OutputFlags& flags, Study& study) {
    study.output_dir = flags.output;
    if (flags.exports.no_snapshot) {
        study.snapshot = false;
    }
    study.write.overwrite = flags.overwrite;
    study.write.precision = flags.precision;
    study.threads = flags.threads;
    apply_export_flags(flags.exports, study.exports);
}

void add_project_flags(CLI::App& sub, ProjectFlags& flags) {
    sub.add_flag("--overwrite", flags.overwrite, "Replace existing output files");
    advanced(sub.add_option("--threads", flags.threads, "Worker threads (0: all cores)"));
    advanced(database_param(
        sub.add_option("--publish", flags.publish,
                       "Publish the results to a PostGIS database once written (PG:...; "
                       "overrides [publish] target)")));
    advanced(sub.add_option("--publish-schema", flags.publish_schema,
                            "Schema to publish to (default: [publish] schema, else spaceuse)"));
    add_export_flags(sub, flags.exports);
}

void apply_project_flags(const ProjectFlags& flags, Study& study) {
    if (flags.overwrite) {
        study.write.overwrite = true;
    }
    apply_export_flags(flags.exports, study.exports);
    if (flags.exports.no_snapshot) {
        study.snapshot = false;
    }
    if (flags.threads >= 0) {
        study.threads = static_cast<unsigned>(flags.threads);
    }
    if (!flags.publish.empty()) {
        study.publish.target = flags.publish;
    }
    if (!flags.publish_schema.empty()) {
        study.publish.schema = flags.publish_schema;
    }
}

LayerSource make_layer_source(const std::string& spec, const std::string& layer,
                              const std::string& where, const std::string& id_field) {
    LayerSource s = parse_layer_source(spec);
    if (!layer.empty()) {
        s.layer = layer;
    }
    s.where = where;
    s.id_field = id_field;
    return s;
}

}  // namespace spaceuse::cli
