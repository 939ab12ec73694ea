// The follow-up between two surveys: parcel changes by match group and the zone table at both
// dates.

#include "../study/output_folder.hpp"

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

#include <spaceuse/diff.hpp>
#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

namespace spaceuse {

namespace {

const OutputLayer& layer_of(const StudyReport& r, const std::string& name, const char* side) {
    for (const auto& l : r.results) {
        if (l.name == name) {
            return l;
        }
    }
    throw InputError(std::string("the ") + side + " results have no '" + name +
                     "' layer (the follow-up needs occupancy's results)");
}

std::size_t column(const OutputLayer& l, const std::string& name) {
    for (std::size_t i = 0; i < l.fields.size(); ++i) {
        if (l.fields[i].name == name) {
            return i;
        }
    }
    throw InputError("layer '" + l.name + "' has no field '" + name + "'");
}

std::optional<double> number(const OutputLayer& l, std::size_t row, std::size_t col) {
    const Value& v = l.rows[row][col];
    if (const auto* d = std::get_if<double>(&v)) {
        return *d;
    }
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
        return static_cast<double>(*n);
    }
    return std::nullopt;
}

std::string text(const OutputLayer& l, std::size_t row, std::size_t col) {
    return value_as_text(l.rows[row][col]);
}

/// The parcels of one date: ids, geometries and the figures the changes compare.
struct Parcels {
    const OutputLayer* layer = nullptr;
    std::vector<std::string> ids;
    std::vector<MultiPolygon> geometries;
    std::size_t zone = 0, area = 0, built = 0, floor = 0, free = 0, status = 0;

    Parcels(const OutputLayer& l) : layer(&l) {
        const std::size_t id = column(l, "parcel_id");
        zone = column(l, "zone_id");
        area = column(l, "area_m2");
        built = column(l, "built_m2");
        floor = column(l, "floor_m2");
        free = column(l, "free_m2");
        status = column(l, "status");
        ids.reserve(l.rows.size());
        geometries.reserve(l.rows.size());
        for (std::size_t r = 0; r < l.rows.size(); ++r) {
            ids.push_back(text(l, r, id));
            geometries.push_back(std::get<MultiPolygon>(l.geometry(r)));
        }
    }
    /// Sum of a field over rows; nullopt when any row lacks it.
    std::optional<double> sum(const std::vector<std::size_t>& rows, std::size_t col) const {
        double s = 0;
        for (const auto r : rows) {
            const auto v = number(*layer, r, col);
            if (!v) {
                return std::nullopt;
            }
            s += *v;
        }
        return s;
    }
    /// The statuses of rows, distinct, in row order, comma-separated.
    std::string statuses(const std::vector<std::size_t>& rows) const {
        std::string out;
        std::set<std::string> seen;
        for (const auto r : rows) {
            const std::string s = text(*layer, r, status);
            if (seen.insert(s).second) {
                out += (out.empty() ? "" : ",") + s;
            }
        }
        return out;
    }
    std::string joined_ids(const std::vector<std::size_t>& rows) const {
        std::string out;
        for (const auto r : rows) {
            out += (out.empty() ? "" : ",") + ids[r];
        }
        return out;
    }
};

Value opt(const std::optional<double>& v) { return v ? Value(*v) : Value(std::monostate{}); }

std::optional<double> minus(const std::optional<double>& a, const std::optional<double>& b) {
    if (!a || !b) {
        return std::nullopt;
    }
    return *a - *b;
}

}  // namespace

DiffReport diff_results(const StudyReport& before, const StudyReport& after,
                        const DiffOptions& options) {
    if (before.definitions_hash != after.definitions_hash) {
        throw ConfigError("the two results use different definitions (definitions hash " +
                          before.definitions_hash.substr(0, 12) + "… before, " +
                          after.definitions_hash.substr(0, 12) +
                          "… after): run both with the same profile and options");
    }
    if (before.survey_date.empty() || after.survey_date.empty()) {
        throw ConfigError(std::string("the ") + (before.survey_date.empty() ? "before" : "after") +
                          " results have no survey date (set survey_date or data_date in the "
                          "project's [project] section)");
    }
    if (!(before.survey_date < after.survey_date)) {
        throw ConfigError("the before survey (" + before.survey_date +
                          ") must be older than the after survey (" + after.survey_date + ")");
    }
    if (before.crs.wkt != after.crs.wkt) {
        throw ConfigError("the two results use different analysis CRSs (" + before.crs.name + ", " +
                          after.crs.name + "): run both in one CRS");
    }
    DiffReport d;
    d.before_date = before.survey_date;
    d.after_date = after.survey_date;
    const Parcels b(layer_of(before, "parcels", "before"));
    const Parcels a(layer_of(after, "parcels", "after"));
    d.match = match_parcels(b.ids, b.geometries, a.ids, a.geometries, options.match);
    d.before_reconciliation = match_reconciliation(d.match, true);
    d.after_reconciliation = match_reconciliation(d.match, false);

    OutputLayer& pc = d.parcel_changes;
    pc.name = "parcel_changes";
    using FT = FieldType;
    pc.fields = {{"group", FT::integer, -1},
                 {"change", FT::string, -1},
                 {"parcel_ids_before", FT::string, -1},
                 {"parcel_ids_after", FT::string, -1},
                 {"zone_id", FT::string, -1},
                 {"status_before", FT::string, -1},
                 {"status_after", FT::string, -1},
                 {"transition", FT::string, -1},
                 {"area_before_m2", FT::real, 2},
                 {"area_after_m2", FT::real, 2},
                 {"d_built_m2", FT::real, 2},
                 {"d_coverage", FT::real, 4},
                 {"d_floor_m2", FT::real, 2},
                 {"d_free_m2", FT::real, 2}};
    for (std::size_t g = 0; g < d.match.groups.size(); ++g) {
        const MatchGroup& group = d.match.groups[g];
        const auto area_b = b.sum(group.before, b.area);
        const auto area_a = a.sum(group.after, a.area);
        const auto built_b = b.sum(group.before, b.built);
        const auto built_a = a.sum(group.after, a.built);
        auto coverage = [](const std::optional<double>& built,
                           const std::optional<double>& area) -> std::optional<double> {
            if (!built || !area || *area <= 0) {
                return std::nullopt;
            }
            return *built / *area;
        };
        const std::string sb = b.statuses(group.before);
        const std::string sa = a.statuses(group.after);
        const bool both = !group.before.empty() && !group.after.empty();
        std::string zone;
        if (!group.after.empty()) {
            zone = text(*a.layer, group.after.front(), a.zone);
        } else {
            zone = text(*b.layer, group.before.front(), b.zone);
        }
        std::vector<Value> row = {
            static_cast<std::int64_t>(g + 1),
            std::string(parcel_change_name(group.change)),
            b.joined_ids(group.before),
            a.joined_ids(group.after),
            zone,
            sb,
            sa,
            both && sb != sa ? sb + "→" + sa : std::string(),
            opt(area_b),
            opt(area_a),
            opt(both ? minus(built_a, built_b) : std::nullopt),
            opt(both ? minus(coverage(built_a, area_a), coverage(built_b, area_b)) : std::nullopt),
            opt(both ? minus(a.sum(group.after, a.floor), b.sum(group.before, b.floor))
                     : std::nullopt),
            opt(both ? minus(a.sum(group.after, a.free), b.sum(group.before, b.free))
                     : std::nullopt)};
        pc.rows.push_back(std::move(row));
        MultiPolygon shape;
        const Parcels& side = group.after.empty() ? b : a;
        for (const auto r : group.after.empty() ? group.before : group.after) {
            for (const auto& poly : side.geometries[r]) {
                shape.push_back(poly);
            }
        }
        pc.geometries.emplace_back(std::move(shape));
    }

    // The zone table at both dates, by zone id.
    const OutputLayer& zb = layer_of(before, "zones", "before");
    const OutputLayer& za = layer_of(after, "zones", "after");
    const std::vector<std::string> figures = {"net_m2",       "built_m2",    "vacant_m2",
                                              "underused_m2", "free_m2",     "n_parcels",
                                              "n_occupied",   "n_underused", "n_vacant"};
    OutputLayer& zc = d.zone_changes;
    zc.name = "zone_changes";
    zc.fields = {{"zone_id", FT::string, -1}, {"name", FT::string, -1}, {"zone", FT::string, -1}};
    for (const auto& f : figures) {
        const bool count = f.rfind("n_", 0) == 0;
        const FT t = count ? FT::integer : FT::real;
        const int dec = count ? -1 : 2;
        zc.fields.push_back({f + "_before", t, dec});
        zc.fields.push_back({f + "_after", t, dec});
        zc.fields.push_back({"d_" + f, t, dec});
    }
    std::map<std::string, std::size_t> rows_b;
    const std::size_t idb = column(zb, "zone_id");
    for (std::size_t r = 0; r < zb.rows.size(); ++r) {
        rows_b.emplace(text(zb, r, idb), r);
    }
    const std::size_t ida = column(za, "zone_id");
    std::set<std::string> seen;
    auto add_zone = [&](const std::optional<std::size_t> rb, const std::optional<std::size_t> ra) {
        const OutputLayer& named = ra ? za : zb;
        const std::size_t r = ra ? *ra : *rb;
        std::vector<Value> row = {text(named, r, column(named, "zone_id")),
                                  text(named, r, column(named, "name")),
                                  std::string(rb && ra ? "both"
                                              : ra     ? "new"
                                                       : "removed")};
        for (const auto& f : figures) {
            const bool count = f.rfind("n_", 0) == 0;
            const auto vb = rb ? number(zb, *rb, column(zb, f)) : std::nullopt;
            const auto va = ra ? number(za, *ra, column(za, f)) : std::nullopt;
            const auto dv = minus(va, vb);
            for (const auto& v : {vb, va, dv}) {
                if (!v) {
                    row.emplace_back(std::monostate{});
                } else if (count) {
                    row.emplace_back(static_cast<std::int64_t>(*v));
                } else {
                    row.emplace_back(*v);
                }
            }
        }
        zc.rows.push_back(std::move(row));
        zc.geometries.push_back(named.geometry(r));
    };
    for (std::size_t r = 0; r < za.rows.size(); ++r) {
        const std::string id = text(za, r, ida);
        seen.insert(id);
        const auto it = rows_b.find(id);
        add_zone(it == rows_b.end() ? std::nullopt : std::optional<std::size_t>(it->second), r);
    }
    for (std::size_t r = 0; r < zb.rows.size(); ++r) {
        if (seen.count(text(zb, r, idb)) == 0) {
            add_zone(r, std::nullopt);
        }
    }
    return d;
}

namespace {

/// One side of a diff: reopened results, or a project run first.
StudyReport open_side(const std::string& path, const ProgressFn& progress) {
    namespace fs = std::filesystem;
    if (fs::path(path).extension() == ".toml") {
        return run_study(load_project(path), progress);
    }
    return open_results(path);
}

}  // namespace

DiffReport run_diff(const DiffStudy& study, const ProgressFn& progress_fn) {
    namespace fs = std::filesystem;
    const Progress progress(progress_fn);
    if (study.output_dir.empty()) {
        throw ConfigError("no output folder given");
    }
    detail::OutputFolder folder(study.output_dir, study.write.overwrite);
    progress.report(0.0, "opening the before results");
    const StudyReport before = open_side(study.before, scaled_progress(progress_fn, 0.0, 0.4));
    progress.report(0.4, "opening the after results");
    const StudyReport after = open_side(study.after, scaled_progress(progress_fn, 0.4, 0.8));
    progress.report(0.8, "matching parcels");
    DiffReport d = diff_results(before, after, study.options);
    progress.report(0.9, "writing the changes");
    const std::string& dir = folder.staging();
    std::vector<WrittenFile> written;
    for (const OutputLayer* l : {&d.parcel_changes, &d.zone_changes}) {
        const std::string csv = (fs::path(dir) / (l->name + ".csv")).string();
        write_csv(*l, csv, study.write);
        written.push_back({csv, l->name, l->rows.size()});
    }
    for (auto& f : export_layers({d.parcel_changes, d.zone_changes}, after.crs, dir, study.exports,
                                 study.write)) {
        written.push_back(std::move(f));
    }
    nlohmann::json m;
    m["tool"] = std::string("spaceuse ") + SPACEUSE_VERSION;
    m["command"] = "diff";
    auto side = [](const std::string& path, const StudyReport& r) {
        return nlohmann::json{{"results", path},
                              {"study", r.name},
                              {"survey_date", r.survey_date},
                              {"definitions_hash", r.definitions_hash}};
    };
    m["before"] = side(study.before, before);
    m["after"] = side(study.after, after);
    m["analysis_crs"] = {{"name", after.crs.name}, {"code", after.crs.code}};
    m["match"] = {{"match_share", study.options.match.match_share},
                  {"reshape_min_m2", study.options.match.reshape_min_m2},
                  {"reshape_min_share", study.options.match.reshape_min_share}};
    nlohmann::json counts;
    for (const auto& [side_name, map] :
         {std::pair{"before", &d.match.before_counts}, std::pair{"after", &d.match.after_counts}}) {
        nlohmann::json c = nlohmann::json::object();
        for (const auto& [change, n] : *map) {
            c[parcel_change_name(change)] = n;
        }
        counts[side_name] = c;
    }
    m["parcels"] = counts;
    m["reconciliation"] = {d.before_reconciliation, d.after_reconciliation};
    m["outputs"] = nlohmann::json::array();
    for (const auto& o : written) {
        nlohmann::json j = {{"file", fs::path(o.path).lexically_relative(dir).generic_string()},
                            {"layer", o.layer}};
        if (o.data) {
            j["features"] = o.features;
        }
        m["outputs"].push_back(j);
    }
    write_text_file((fs::path(dir) / "run.json").string(), m.dump(2) + "\n", study.write);
    folder.commit();
    progress.report(1.0, "done");
    return d;
}

}  // namespace spaceuse
