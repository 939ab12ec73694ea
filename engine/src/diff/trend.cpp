// Follow-up over several surveys: consecutive diffs and the series of each zone's figures.

#include "../util/secrets.hpp"
#include "../io/gdal_util.hpp"
#include "../study/output_folder.hpp"
#include "../util/parallel.hpp"
#include "../util/text.hpp"
#include "sides.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/study.hpp>
#include <spaceuse/publish.hpp>
#include <spaceuse/trend.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

namespace spaceuse {

namespace {

constexpr const char* all_zones = "ALL";

std::optional<std::size_t> find_column(const OutputLayer& l, const std::string& name) {
    for (std::size_t i = 0; i < l.fields.size(); ++i) {
        if (l.fields[i].name == name) {
            return i;
        }
    }
    return std::nullopt;
}

Value cell(const OutputLayer& l, std::size_t row, const std::string& field) {
    const auto c = find_column(l, field);
    return c ? l.rows[row][*c] : Value(std::monostate{});
}

std::string text_cell(const OutputLayer& l, std::size_t row, const std::string& field) {
    const Value v = cell(l, row, field);
    return std::holds_alternative<std::monostate>(v) ? std::string() : value_as_text(v);
}

/// The identity a survey is named by in messages: "2021-06-01 (Heverlee…)".
std::string survey_name(const StudyReport& r) {
    return (r.survey_date.empty() ? std::string("no date") : r.survey_date) + " ('" + r.name + "')";
}

/// The hash the surveys are compared by: the metrics' definitions when every survey records
/// them, else (results of older versions) the definitions with the CRS, as diff compares.
const std::string& metric_hash(const StudyReport& r, bool by_metrics) {
    return by_metrics ? r.metric_definitions_hash : r.definitions_hash;
}

/// Row of one zone (or all zones) at one date: its zone-table figures.
struct ZoneAtDate {
    const OutputLayer* table = nullptr;
    std::size_t row = 0;
};

/// Zones by id at one survey, and the all-zones row of its summary.
std::map<std::string, ZoneAtDate> zones_of(const StudyReport& r) {
    std::map<std::string, ZoneAtDate> out;
    for (const auto& l : r.results) {
        if (l.name != "zones") {
            continue;
        }
        for (std::size_t i = 0; i < l.rows.size(); ++i) {
            out[text_cell(l, i, "zone_id")] = {&l, i};
        }
    }
    if (const OutputLayer* s = r.table("summary"); s != nullptr && !s->rows.empty()) {
        out[all_zones] = {s, s->rows.size() - 1};
    }
    return out;
}

}  // namespace

TrendReport trend_results(const std::vector<const StudyReport*>& surveys,
                          const DiffOptions& options) {
    if (surveys.size() < 2) {
        throw ConfigError("a trend needs at least two surveys, got " +
                          std::to_string(surveys.size()));
    }
    std::vector<const StudyReport*> s = surveys;
    for (const StudyReport* r : s) {
        if (r->survey_date.empty()) {
            throw ConfigError("the survey '" + r->name +
                              "' has no survey date (set survey_date or data_date in the "
                              "project's [project] section)");
        }
    }
    std::stable_sort(s.begin(), s.end(), [](const StudyReport* a, const StudyReport* b) {
        return a->survey_date < b->survey_date;
    });
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        if (s[i]->survey_date == s[i + 1]->survey_date) {
            throw ConfigError("two surveys have the same date: " + survey_name(*s[i]) + " and " +
                              survey_name(*s[i + 1]));
        }
    }
    const StudyReport& newest = *s.back();
    const bool by_metrics = std::all_of(s.begin(), s.end(), [](const StudyReport* r) {
        return !r->metric_definitions_hash.empty();
    });
    for (const StudyReport* r : s) {
        if (metric_hash(*r, by_metrics) != metric_hash(newest, by_metrics)) {
            throw ConfigError(
                "the survey " + survey_name(*r) + " uses other definitions than the newest, " +
                survey_name(newest) + " (definitions hash " +
                metric_hash(*r, by_metrics).substr(0, 12) + "… against " +
                metric_hash(newest, by_metrics).substr(0, 12) +
                "…): run all with the same profile and options, or recompute the older ones with "
                "the newest's (--recompute of spaceuse diff and trend)");
        }
    }

    TrendReport t;
    for (const StudyReport* r : s) {
        t.dates.push_back(r->survey_date);
        t.studies.push_back(r->name);
    }
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        t.steps.push_back(diff_results(*s[i], *s[i + 1], options));
    }

    // Zones: the newest survey's in its order, then those only in earlier ones, newest first.
    std::vector<std::map<std::string, ZoneAtDate>> at(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        at[i] = zones_of(*s[i]);
    }
    std::vector<std::pair<std::string, std::string>> keys;  // id, name
    std::set<std::string> seen{all_zones};
    for (std::size_t i = s.size(); i-- > 0;) {
        for (const auto& l : s[i]->results) {
            if (l.name != "zones") {
                continue;
            }
            for (std::size_t r = 0; r < l.rows.size(); ++r) {
                const std::string id = text_cell(l, r, "zone_id");
                if (seen.insert(id).second) {
                    keys.emplace_back(id, text_cell(l, r, "name"));
                }
            }
        }
    }
    keys.emplace_back(all_zones, "All zones");

    using FT = FieldType;
    OutputLayer& se = t.series;
    se.name = "trend";
    se.fields = {
        {"zone_id", FT::string, -1},         {"name", FT::string, -1},
        {"survey_date", FT::string, -1},     {"net_m2", FT::real, 2},
        {"built_m2", FT::real, 2},           {"vacant_m2", FT::real, 2},
        {"underused_m2", FT::real, 2},       {"free_m2", FT::real, 2},
        {"n_parcels", FT::integer, -1},      {"n_occupied", FT::integer, -1},
        {"n_underused", FT::integer, -1},    {"n_vacant", FT::integer, -1},
        {"taken_up_m2", FT::real, 2},        {"released_m2", FT::real, 2},
        {"takeup_per_year_m2", FT::real, 2}, {"takeup_basis", FT::string, -1},
        {"years_of_supply", FT::real, 1},    {"years_of_supply_vacant_underused", FT::real, 1}};
    const std::vector<std::string> figures = {"net_m2",       "built_m2",    "vacant_m2",
                                              "underused_m2", "free_m2",     "n_parcels",
                                              "n_occupied",   "n_underused", "n_vacant"};
    for (const auto& [id, name] : keys) {
        // Take-up of vacant (and of vacant or underused) land since the first interval, and
        // the years it spans (without issue dates).
        struct {
            double years = 0, vacant = 0, both = 0;
            std::string since;
        } span;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto z = at[i].find(id);
            if (z == at[i].end()) {
                continue;
            }
            std::vector<Value> row = {
                id, id == all_zones ? name : text_cell(*z->second.table, z->second.row, "name"),
                t.dates[i]};
            for (const auto& f : figures) {
                row.push_back(cell(*z->second.table, z->second.row, f));
            }
            // The stock bridge of the step ending at this date, for this zone.
            std::optional<std::size_t> vacant_row, both_row;
            if (i > 0) {
                const OutputLayer& st = t.steps[i - 1].stock;
                for (std::size_t r = 0; r < st.rows.size(); ++r) {
                    if (text_cell(st, r, "zone_id") != id) {
                        continue;
                    }
                    (text_cell(st, r, "definition") == "vacant" ? vacant_row : both_row) = r;
                }
            }
            if (!vacant_row || !both_row) {
                row.insert(row.end(), 6, Value(std::monostate{}));
                se.rows.push_back(std::move(row));
                continue;
            }
            const DiffReport& step = t.steps[i - 1];
            const OutputLayer& st = step.stock;
            auto number = [&st](std::size_t r, const char* f) {
                return value_as_number(cell(st, r, f)).value_or(0.0);
            };
            // With issue dates, the stock's rate (the last years' issues); else the mean rate of
            // every interval up to this date, so that one quiet interval does not make the
            // supply endless.
            double per_year_vacant = number(*vacant_row, "mean_annual_takeup_m2");
            double per_year_both = number(*both_row, "mean_annual_takeup_m2");
            std::string basis = text_cell(st, *vacant_row, "takeup_basis");
            if (step.takeup_source != "issue_date") {
                span.years += static_cast<double>(detail::iso_days(step.after_date).value_or(0) -
                                                  detail::iso_days(step.before_date).value_or(0)) /
                              365.2425;
                span.vacant += number(*vacant_row, "taken_up_m2");
                span.both += number(*both_row, "taken_up_m2");
                if (span.since.empty()) {
                    span.since = step.before_date;
                }
                per_year_vacant = span.years > 0 ? span.vacant / span.years : 0.0;
                per_year_both = span.years > 0 ? span.both / span.years : 0.0;
                basis = "diff " + span.since + "/" + step.after_date;
            }
            auto years = [&](std::size_t r, double per_year) -> Value {
                if (!(per_year > 0.0)) {
                    return std::monostate{};
                }
                return number(r, "available_after_m2") / per_year;
            };
            row.push_back(cell(st, *vacant_row, "taken_up_m2"));
            row.push_back(cell(st, *vacant_row, "released_m2"));
            row.push_back(per_year_vacant);
            row.push_back(basis);
            row.push_back(years(*vacant_row, per_year_vacant));
            row.push_back(years(*both_row, per_year_both));
            se.rows.push_back(std::move(row));
        }
    }

    // Take-up per period: the newest step's calendar years with issue dates (they go back to
    // the first issue), else every step's interval.
    OutputLayer& tu = t.takeup;
    tu.name = "takeup";
    tu.fields = t.steps.back().takeup.fields;
    const bool by_year = t.steps.back().takeup_source == "issue_date";
    std::map<std::string, std::size_t> order;
    for (std::size_t k = 0; k < keys.size(); ++k) {
        order[keys[k].first] = k;
    }
    std::vector<std::pair<std::size_t, Rows::Row>> rows;
    for (std::size_t i = by_year ? t.steps.size() - 1 : 0; i < t.steps.size(); ++i) {
        const OutputLayer& step = t.steps[i].takeup;
        for (std::size_t r = 0; r < step.rows.size(); ++r) {
            const auto o = order.find(text_cell(step, r, "zone_id"));
            rows.emplace_back(o == order.end() ? keys.size() : o->second, step.rows[r]);
        }
    }
    // Zone by zone, each zone's periods in time order (the steps are already in time order).
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [k, row] : rows) {
        tu.rows.push_back(row.values());
    }
    return t;
}

namespace {

bool is_project(const std::string& path) {
    return std::filesystem::path(path).extension() == ".toml";
}

/// A file name for a zone id: letters, digits, '-' and '_' kept, anything else '_'.
std::string file_stem(const std::string& id) {
    std::string out;
    for (const unsigned char c : id) {
        out += std::isalnum(c) || c == '-' || c == '_' ? static_cast<char>(c) : '_';
    }
    return out.empty() ? "_" : out;
}

}  // namespace

TrendReport run_trend(const TrendStudy& given, const ProgressFn& progress_fn) {
    namespace fs = std::filesystem;
    const Progress progress(progress_fn);
    if (given.output_dir.empty()) {
        throw ConfigError("no output folder given");
    }
    // A database without a survey key stands for every survey of its study.
    TrendStudy study = given;
    study.surveys.clear();
    for (const auto& s : given.surveys) {
        if (!is_database_ref(s) || !parse_database_ref(s).survey_date.empty()) {
            study.surveys.push_back(s);
            continue;
        }
        const auto published = list_published(s);
        std::set<std::string> studies;
        for (const auto& p : published) {
            studies.insert(p.study);
        }
        if (studies.size() > 1) {
            throw ConfigError(parse_database_ref(s).label() +
                              ": the schema holds several studies: add study=NAME");
        }
        for (const auto& p : published) {
            study.surveys.push_back(database_ref_with(s, "", p.study, p.survey_date));
        }
    }
    if (study.surveys.size() < 2) {
        throw ConfigError("a trend needs at least two surveys, got " +
                          std::to_string(study.surveys.size()));
    }
    detail::OutputFolder folder(study.output_dir, study.write.overwrite);
    const std::string& dir = folder.staging();
    std::vector<StudyReport> reports(study.surveys.size());
    const std::size_t n = study.surveys.size();
    if (study.recompute) {
        // The project file gives the definitions; every other survey is rerun from its inputs.
        std::size_t project = n;
        for (std::size_t i = 0; i < n; ++i) {
            if (is_project(study.surveys[i])) {
                if (project != n) {
                    throw ConfigError("--recompute takes one project file (.toml), whose "
                                      "definitions apply to the other surveys; got " +
                                      study.surveys[project] + " and " + study.surveys[i]);
                }
                project = i;
            }
        }
        if (project == n) {
            throw ConfigError("--recompute needs one survey as a project file (.toml): its "
                              "definitions are applied to the other surveys' inputs");
        }
        const Study definitions = load_project(study.surveys[project]);
        for (std::size_t i = 0; i < n; ++i) {
            const double from = static_cast<double>(i) / static_cast<double>(n) * 0.7;
            const double to = static_cast<double>(i + 1) / static_cast<double>(n) * 0.7;
            progress.report(from, "recomputing " + study.surveys[i]);
            const Study s = i == project ? definitions
                                         : detail::recomputed_before(study.surveys[i], definitions,
                                                                     (fs::path(dir) / "recomputed" /
                                                                      std::to_string(i + 1))
                                                                         .string());
            reports[i] = run_study(s, scaled_progress(progress_fn, from, to));
        }
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            if (is_project(study.surveys[i])) {
                throw ConfigError(study.surveys[i] +
                                  ": a trend compares results (folders or spaceuse.gpkg); run "
                                  "the project first, or pass --recompute to rerun the others "
                                  "with its definitions");
            }
            progress.report(0.7 * static_cast<double>(i) / static_cast<double>(n),
                            "opening " + detail::without_secrets(study.surveys[i]));
            reports[i] = open_results(study.surveys[i]);
        }
    }
    // Name the folders in the messages a user acts on.
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            if (!reports[i].survey_date.empty() &&
                reports[i].survey_date == reports[j].survey_date) {
                throw ConfigError(detail::without_secrets(study.surveys[i]) + " and " +
                                  detail::without_secrets(study.surveys[j]) +
                                  " have the same survey date (" + reports[i].survey_date + ")");
            }
        }
    }
    std::vector<const StudyReport*> ptrs;
    for (const auto& r : reports) {
        ptrs.push_back(&r);
    }
    progress.report(0.7, "comparing the surveys");
    TrendReport t = trend_results(ptrs, study.options);

    progress.report(0.9, "writing the series and charts");
    std::vector<WrittenFile> written;
    for (const OutputLayer* l : {&t.series, &t.takeup}) {
        const std::string csv = (fs::path(dir) / (l->name + ".csv")).string();
        write_csv(*l, csv, study.write);
        written.push_back({csv, l->name, l->rows.size()});
    }
    if (study.charts) {
        fs::create_directories(fs::path(dir) / "charts");
        std::set<std::string> zones;
        std::vector<std::string> ordered;
        for (std::size_t r = 0; r < t.series.rows.size(); ++r) {
            const std::string id = value_as_text(t.series.rows[r][0]);
            if (zones.insert(id).second) {
                ordered.push_back(id);
            }
        }
        // File names first (one per zone, made unique in zone order), then the charts drawn
        // on every core: each is its own file, so the bytes do not depend on the threads.
        std::set<std::string> stems;
        std::vector<std::string> paths;
        for (const auto& id : ordered) {
            std::string stem = file_stem(id);
            while (!stems.insert(stem).second) {
                stem += "_";
            }
            for (const char* ext : {".png", ".svg"}) {
                paths.push_back((fs::path(dir) / "charts" / (stem + ext)).string());
                written.push_back({paths.back(), "chart " + id, 0, false});
            }
        }
        const unsigned threads = study.options.threads > 0
                                     ? study.options.threads
                                     : std::max(1U, std::thread::hardware_concurrency());
        detail::parallel_for(paths.size(), threads, 4, detail::stateless,
                             [&](detail::Stateless&, std::size_t i) {
            render_trend_chart(t, ordered[i / 2], paths[i], study.write);
        });
    }
    if (study.recompute) {
        detail::add_files_below(dir, "recomputed", written);
    }

    nlohmann::json m;
    m["tool"] = std::string("spaceuse ") + SPACEUSE_VERSION;
    m["command"] = "trend";
    m["recomputed"] = study.recompute;
    m["surveys"] = nlohmann::json::array();
    for (std::size_t i = 0; i < n; ++i) {
        m["surveys"].push_back({{"results", detail::without_secrets(study.surveys[i])},
                                {"study", reports[i].name},
                                {"survey_date", reports[i].survey_date},
                                {"metric_definitions_hash", reports[i].metric_definitions_hash}});
    }
    m["dates"] = t.dates;
    m["steps"] = nlohmann::json::array();
    for (const auto& d : t.steps) {
        m["steps"].push_back({{"from", d.before_date},
                              {"to", d.after_date},
                              {"reconciliation", {d.before_reconciliation, d.after_reconciliation}},
                              {"takeup_source", d.takeup_source},
                              {"max_stock_residual_m2", d.max_stock_residual_m2}});
    }
    m["match"] = {{"match_share", study.options.match.match_share},
                  {"reshape_min_m2", study.options.match.reshape_min_m2},
                  {"reshape_min_share", study.options.match.reshape_min_share}};
    m["takeup"] = {{"issue_date_field", study.options.issue_date_field},
                   {"issue_date_where", study.options.issue_date_where},
                   {"supply_years", study.options.supply_years}};
    m["outputs"] = detail::outputs_manifest(written, dir, "rows");
    write_text_file((fs::path(dir) / "run.json").string(), m.dump(2) + "\n", study.write);
    folder.commit();
    progress.report(1.0, "done");
    return t;
}

}  // namespace spaceuse
