// The follow-up between two surveys: both dates read into one CRS, parcels and zones matched,
// parcel changes by match group, the zone table at both dates, and the follow-up tables.

#include "../util/secrets.hpp"
#include "../io/gdal_util.hpp"
#include "../io/proj_util.hpp"
#include "../geos/geos.hpp"
#include "../study/output_folder.hpp"
#include "../study/plan.hpp"
#include "../study/snapshot.hpp"
#include "sides.hpp"

#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "0.0.0"
#endif

#include <spaceuse/diff.hpp>
#include <spaceuse/error.hpp>
#include <spaceuse/publish.hpp>
#include <spaceuse/study.hpp>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <limits>
#include <set>
#include <tuple>
#include <unordered_map>

namespace spaceuse {

namespace detail {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

const OutputLayer& layer_of(const StudyReport& r, const std::string& name, const char* side) {
    for (const auto& l : r.results) {
        if (l.name == name) {
            return l;
        }
    }
    throw InputError(std::string("the ") + side + " results have no '" + name +
                     "' layer (the follow-up needs occupancy's results)");
}

std::size_t column_of(const OutputLayer& l, const std::string& name) {
    for (std::size_t i = 0; i < l.fields.size(); ++i) {
        if (l.fields[i].name == name) {
            return i;
        }
    }
    throw InputError("layer '" + l.name + "' has no field '" + name + "'");
}

std::optional<double> number_of(const OutputLayer& l, std::size_t row, std::size_t col) {
    const Value& v = l.rows[row][col];
    if (const auto* d = std::get_if<double>(&v)) {
        return *d;
    }
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
        return static_cast<double>(*n);
    }
    return std::nullopt;
}

}  // namespace

std::optional<double> DiffSide::zone_number(std::size_t row, const std::string& field) const {
    return number_of(*zones, row, column_of(*zones, field));
}

void DiffSide::add_row(const std::vector<OutputField>& fields, const std::vector<Value>& row,
                       const MultiPolygon* geometry) {
    if (!columns) {
        auto find = [&fields](const char* name) {
            for (std::size_t i = 0; i < fields.size(); ++i) {
                if (fields[i].name == name) {
                    return i;
                }
            }
            throw InputError(std::string("the parcels layer has no field '") + name + "'");
        };
        columns = Columns{
            find("parcel_id"),
            find("zone_id"),
            find("zone_share"),
            find("area_m2"),
            find("status"),
            find("source_fid"),
            {find("built_m2"), find("floor_m2"), find("free_m2"), find("coverage"), find("far")}};
    }
    const Columns& c = *columns;
    constexpr double null = std::numeric_limits<double>::quiet_NaN();
    auto number = [&row](std::size_t col) -> std::optional<double> {
        if (const auto* d = std::get_if<double>(&row[col])) {
            return *d;
        }
        if (const auto* n = std::get_if<std::int64_t>(&row[col])) {
            return static_cast<double>(*n);
        }
        return std::nullopt;
    };
    ids.push_back(value_as_text(row[c.id]));
    geometries.push_back(geometry);  // null: the last of `owned` (set by finish)
    areas.push_back(number(c.area).value_or(null));
    std::vector<double>* figures[] = {&built, &floor, &free, &coverage, &far};
    for (std::size_t f = 0; f < 5; ++f) {
        figures[f]->push_back(number(c.figures[f]).value_or(null));
    }
    const auto* fid = std::get_if<std::int64_t>(&row[c.fid]);
    source_fid.push_back(fid ? *fid : -1);
    shares.push_back(number(c.share).value_or(0.0));
    std::string st = value_as_text(row[c.status]);
    const auto it = std::find(status_names.begin(), status_names.end(), st);
    if (it == status_names.end()) {
        if (status_names.size() == 255) {
            throw InputError("the parcels have more than 255 statuses");
        }
        status.push_back(static_cast<std::uint8_t>(status_names.size()));
        status_names.push_back(std::move(st));
    } else {
        status.push_back(static_cast<std::uint8_t>(it - status_names.begin()));
    }
    zone_text.push_back(value_as_text(row[c.zone]));
}

DiffSide read_side(const StudyReport& report, const char* name, const StudyReport& after) {
    DiffSide s;
    const OutputLayer& p = layer_of(report, "parcels", name);
    for (std::size_t r = 0; r < p.rows.size(); ++r) {
        s.add_row(p.fields, p.rows[r], &std::get<MultiPolygon>(p.geometry(r)));
    }
    finish_side(s, report, name, after);
    return s;
}

void finish_side(DiffSide& s, const StudyReport& report, const char* name,
                 const StudyReport& after) {
    s.report = &report;
    s.zones = &layer_of(report, "zones", name);
    const OutputLayer& z = *s.zones;
    const std::size_t zid = column_of(z, "zone_id");
    const std::size_t zname = column_of(z, "name");
    // One CRS when both name the same authority code (two PROJ versions may write its WKT
    // differently), else when the WKT is the same.
    s.reprojected = !report.crs.code.empty() && !after.crs.code.empty()
                        ? report.crs.code != after.crs.code
                        : report.crs.wkt != after.crs.wkt;
    const std::size_t n = s.ids.size();
    // Geometries handed over row by row are in `owned`, in order.
    for (std::size_t r = 0, k = 0; r < n; ++r) {
        if (s.geometries[r] == nullptr) {
            s.geometries[r] = &s.owned.at(k++);
        }
    }
    std::optional<Transformer> transformer;
    if (s.reprojected) {
        transformer.emplace(crs_definition(report.crs), crs_definition(after.crs));
        auto transform = [&](MultiPolygon& g, const std::string& what) {
            if (!transform_geometry(g, *transformer)) {
                throw InputError(std::string("the ") + name + " " + what +
                                 " cannot be transformed to " + after.crs.name);
            }
        };
        if (s.owned.size() != n) {
            std::vector<MultiPolygon> copies;
            copies.reserve(n);
            for (std::size_t r = 0; r < n; ++r) {
                copies.push_back(*s.geometries[r]);
            }
            s.owned = std::move(copies);
        }
        for (std::size_t r = 0; r < n; ++r) {
            s.geometries[r] = &s.owned[r];
            transform(s.owned[r], "parcel " + s.ids[r]);
            s.areas[r] = std::abs(bg::area(s.owned[r]));
        }
    }
    for (std::size_t r = 0; r < n; ++r) {
        if (std::isnan(s.areas[r])) {
            s.areas[r] = std::abs(bg::area(*s.geometries[r]));
        }
    }
    std::unordered_map<std::string, std::size_t> zone_index;
    for (std::size_t r = 0; r < z.rows.size(); ++r) {
        s.zone_ids.push_back(value_as_text(z.rows[r][zid]));
        s.zone_names.push_back(value_as_text(z.rows[r][zname]));
        MultiPolygon g = std::get<MultiPolygon>(z.geometry(r));
        if (transformer && !transform_geometry(g, *transformer)) {
            throw InputError(std::string("the ") + name + " zone " + s.zone_ids.back() +
                             " cannot be transformed to " + after.crs.name);
        }
        s.zone_geometries.push_back(std::move(g));
        zone_index.emplace(s.zone_ids.back(), r);
    }
    s.zone_of.reserve(n);
    for (std::size_t r = 0; r < n; ++r) {
        const auto it = zone_index.find(s.zone_text[r]);
        s.zone_of.push_back(it == zone_index.end() ? no_index : it->second);
    }
    const std::vector<double>& shares = s.shares;

    // Zone-clipped parts, as occupancy cuts them: a parcel occupancy found wholly inside its
    // zone (share exactly 1) is one part of its whole area; the others are cut here.
    using Entry = std::pair<Box, std::size_t>;
    std::vector<Entry> entries;
    for (std::size_t k = 0; k < s.zone_geometries.size(); ++k) {
        entries.emplace_back(bg::return_envelope<Box>(s.zone_geometries[k]), k);
    }
    const bgi::rtree<Entry, bgi::rstar<16>> tree(entries.begin(), entries.end());
    const GeosContext geos;
    std::vector<GeomPtr> zone_geos(s.zone_geometries.size());
    std::vector<PreparedPtr> zone_prepared(s.zone_geometries.size());
    s.parts.reserve(n);
    s.part_begin.reserve(n + 1);
    std::vector<std::size_t> hits;
    for (std::size_t r = 0; r < n; ++r) {
        s.part_begin.push_back(s.parts.size());
        if (shares[r] == 1.0 && s.zone_of[r] != no_index) {
            s.parts.push_back({s.zone_of[r], s.areas[r]});
            continue;
        }
        hits.clear();
        const Box box = bg::return_envelope<Box>(*s.geometries[r]);
        for (auto it = tree.qbegin(bgi::intersects(box)); it != tree.qend(); ++it) {
            hits.push_back(it->second);
        }
        if (hits.empty()) {
            continue;
        }
        std::sort(hits.begin(), hits.end());
        const GeomPtr pg = geos.from(*s.geometries[r]);
        for (const std::size_t k : hits) {
            if (!zone_geos[k]) {
                zone_geos[k] = geos.from(s.zone_geometries[k]);
                zone_prepared[k] = geos.prepare(zone_geos[k].get());
            }
            double inside = 0.0;
            if (geos.prepared_covers(zone_prepared[k].get(), pg.get())) {
                inside = s.areas[r];
            } else if (geos.prepared_intersects(zone_prepared[k].get(), pg.get())) {
                inside = geos.area(geos.intersection(zone_geos[k].get(), pg.get()).get());
            }
            if (inside > 0.0) {
                s.parts.push_back({k, inside});
            }
        }
    }
    s.part_begin.push_back(s.parts.size());
    std::vector<double>().swap(s.shares);
}

ParcelMatch match_zones(const DiffSide& before, const DiffSide& after, const MatchOptions& m) {
    MatchOptions zm = m;
    zm.noun = "zone";
    return match_parcels(before.zone_ids, before.zone_geometries, after.zone_ids,
                         after.zone_geometries, zm);
}

ZoneKey zone_key(const DiffSide& before, const DiffSide& after, const MatchGroup& group) {
    ZoneKey k;
    for (const auto z : group.before) {
        k.ids_before += (k.ids_before.empty() ? "" : ",") + before.zone_ids[z];
    }
    for (const auto z : group.after) {
        k.ids_after += (k.ids_after.empty() ? "" : ",") + after.zone_ids[z];
    }
    k.id = group.after.empty() ? k.ids_before : k.ids_after;
    k.name = group.after.empty() ? before.zone_names[group.before.front()]
                                 : after.zone_names[group.after.front()];
    return k;
}

}  // namespace detail

namespace {

using detail::DiffSide;

Value opt(const std::optional<double>& v) { return v ? Value(*v) : Value(std::monostate{}); }

std::optional<double> minus(const std::optional<double>& a, const std::optional<double>& b) {
    if (!a || !b) {
        return std::nullopt;
    }
    return *a - *b;
}

/// Sum of a column over rows; nullopt when any row lacks it (NaN).
std::optional<double> sum(const std::vector<double>& column, const std::vector<std::size_t>& rows) {
    double total = 0;
    for (const auto r : rows) {
        if (std::isnan(column[r])) {
            return std::nullopt;
        }
        total += column[r];
    }
    return total;
}

/// The statuses of rows, distinct, in row order, comma-separated.
std::string statuses(const DiffSide& s, const std::vector<std::size_t>& rows) {
    if (rows.size() == 1) {
        return s.status_of(rows[0]);
    }
    std::string out;
    std::vector<std::uint8_t> seen;
    for (const auto r : rows) {
        if (std::find(seen.begin(), seen.end(), s.status[r]) == seen.end()) {
            seen.push_back(s.status[r]);
            out += (out.empty() ? "" : ",") + s.status_of(r);
        }
    }
    return out;
}

std::string joined_ids(const DiffSide& s, const std::vector<std::size_t>& rows) {
    if (rows.size() == 1) {
        return s.ids[rows[0]];
    }
    std::string out;
    for (const auto r : rows) {
        out += (out.empty() ? "" : ",") + s.ids[r];
    }
    return out;
}

OutputLayer parcel_changes(const DiffSide& b, const DiffSide& a, const ParcelMatch& match) {
    OutputLayer pc;
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
                 {"category", FT::string, -1},
                 {"area_before_m2", FT::real, 2},
                 {"area_after_m2", FT::real, 2},
                 {"d_built_m2", FT::real, 2},
                 {"d_coverage", FT::real, 4},
                 {"d_floor_m2", FT::real, 2},
                 {"d_free_m2", FT::real, 2}};
    pc.rows.reserve(match.groups.size());
    pc.geometries.reserve(match.groups.size());
    for (std::size_t g = 0; g < match.groups.size(); ++g) {
        const MatchGroup& group = match.groups[g];
        const auto area_b = sum(b.areas, group.before);
        const auto area_a = sum(a.areas, group.after);
        const auto built_b = sum(b.built, group.before);
        const auto built_a = sum(a.built, group.after);
        auto coverage = [](const std::optional<double>& built,
                           const std::optional<double>& area) -> std::optional<double> {
            if (!built || !area || *area <= 0) {
                return std::nullopt;
            }
            return *built / *area;
        };
        std::string sb = statuses(b, group.before);
        std::string sa = statuses(a, group.after);
        const bool both = !group.before.empty() && !group.after.empty();
        std::string transition = both && sb != sa ? sb + "→" + sa : std::string();
        const ChangeCategory category = change_category(group.change, sb, sa);
        std::vector<Value> row;
        row.reserve(pc.fields.size());
        row.emplace_back(static_cast<std::int64_t>(g + 1));
        row.emplace_back(std::string(parcel_change_name(group.change)));
        row.emplace_back(joined_ids(b, group.before));
        row.emplace_back(joined_ids(a, group.after));
        row.emplace_back(group.after.empty() ? b.zone_text[group.before.front()]
                                             : a.zone_text[group.after.front()]);
        row.emplace_back(std::move(sb));
        row.emplace_back(std::move(sa));
        row.emplace_back(std::move(transition));
        row.emplace_back(std::string(change_category_name(category)));
        row.push_back(opt(area_b));
        row.push_back(opt(area_a));
        row.push_back(opt(both ? minus(built_a, built_b) : std::nullopt));
        row.push_back(
            opt(both ? minus(coverage(built_a, area_a), coverage(built_b, area_b)) : std::nullopt));
        row.push_back(opt(both ? minus(sum(a.floor, group.after), sum(b.floor, group.before))
                               : std::nullopt));
        row.push_back(
            opt(both ? minus(sum(a.free, group.after), sum(b.free, group.before)) : std::nullopt));
        pc.rows.push_back(std::move(row));
        const DiffSide& side = group.after.empty() ? b : a;
        const auto& members = group.after.empty() ? group.before : group.after;
        if (members.size() == 1) {
            pc.geometries.emplace_back(*side.geometries[members[0]]);
            continue;
        }
        MultiPolygon shape;
        for (const auto r : members) {
            for (const auto& poly : *side.geometries[r]) {
                shape.push_back(poly);
            }
        }
        pc.geometries.emplace_back(std::move(shape));
    }
    return pc;
}

/// Per zone match group, the zone table's figures summed over its zones at both dates.
OutputLayer zone_changes(const DiffSide& b, const DiffSide& a, const ParcelMatch& zones) {
    const std::vector<std::string> figures = {"net_m2",       "built_m2",    "vacant_m2",
                                              "underused_m2", "free_m2",     "n_parcels",
                                              "n_occupied",   "n_underused", "n_vacant"};
    using FT = FieldType;
    OutputLayer zc;
    zc.name = "zone_changes";
    zc.fields = {{"zone_id", FT::string, -1},
                 {"name", FT::string, -1},
                 {"change", FT::string, -1},
                 {"zone_ids_before", FT::string, -1},
                 {"zone_ids_after", FT::string, -1}};
    for (const auto& f : figures) {
        const bool count = f.rfind("n_", 0) == 0;
        const FT t = count ? FT::integer : FT::real;
        const int dec = count ? -1 : 2;
        zc.fields.push_back({f + "_before", t, dec});
        zc.fields.push_back({f + "_after", t, dec});
        zc.fields.push_back({"d_" + f, t, dec});
    }
    auto total = [](const DiffSide& s, const std::vector<std::size_t>& rows,
                    const std::string& f) -> std::optional<double> {
        if (rows.empty()) {
            return std::nullopt;
        }
        double t = 0.0;
        for (const auto r : rows) {
            const auto v = s.zone_number(r, f);
            if (!v) {
                return std::nullopt;
            }
            t += *v;
        }
        return t;
    };
    for (const auto& group : zones.groups) {
        const detail::ZoneKey key = detail::zone_key(b, a, group);
        std::vector<Value> row = {key.id, key.name, std::string(parcel_change_name(group.change)),
                                  key.ids_before, key.ids_after};
        for (const auto& f : figures) {
            const bool count = f.rfind("n_", 0) == 0;
            const auto vb = total(b, group.before, f);
            const auto va = total(a, group.after, f);
            for (const auto& v : {vb, va, minus(va, vb)}) {
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
        MultiPolygon shape;
        const DiffSide& side = group.after.empty() ? b : a;
        for (const auto z : group.after.empty() ? group.before : group.after) {
            for (const auto& poly : side.zone_geometries[z]) {
                shape.push_back(poly);
            }
        }
        zc.geometries.emplace_back(std::move(shape));
    }
    return zc;
}

}  // namespace

namespace {

/// Refuses two results the follow-up cannot compare.
void check_comparable(const StudyReport& before, const StudyReport& after) {
    // The metrics' definitions, whatever the analysis CRS (results of older versions have only
    // the hash with the CRS).
    const bool by_metrics = !before.metric_definitions_hash.empty() &&
                            !after.metric_definitions_hash.empty();
    const std::string& hb = by_metrics ? before.metric_definitions_hash : before.definitions_hash;
    const std::string& ha = by_metrics ? after.metric_definitions_hash : after.definitions_hash;
    if (hb != ha) {
        throw ConfigError("the two results use different definitions (definitions hash " +
                          hb.substr(0, 12) + "… before, " + ha.substr(0, 12) +
                          "… after): run both with the same profile and options, or pass "
                          "--recompute to rerun the before inputs with the after definitions");
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
    if (!after.crs.metric) {
        throw ConfigError("the after results' analysis CRS (" + after.crs.name + ") is not metric");
    }
}

DiffReport diff_sides(const DiffSide& b, const DiffSide& a, const StudyReport& before,
                      const StudyReport& after, const DiffOptions& options,
                      const Progress& progress = Progress()) {
    DiffReport d;
    d.before_date = before.survey_date;
    d.after_date = after.survey_date;
    d.crs = after.crs;
    d.reprojected = b.reprojected;
    d.match = detail::match_geometries(b.ids, b.geometries, a.ids, a.geometries, options.match);
    d.before_reconciliation = match_reconciliation(d.match, true);
    d.after_reconciliation = match_reconciliation(d.match, false);
    d.zone_match = detail::match_zones(b, a, options.match);
    progress.report(0.84, "transitions, stock and take-up");
    detail::follow_up_tables(b, a, options, d);
    progress.report(0.87, "parcel and zone changes");
    d.parcel_changes = parcel_changes(b, a, d.match);
    d.zone_changes = zone_changes(b, a, d.zone_match);
    return d;
}

}  // namespace

DiffReport diff_results(const StudyReport& before, const StudyReport& after,
                        const DiffOptions& options) {
    check_comparable(before, after);
    const DiffSide b = detail::read_side(before, "before", after);
    const DiffSide a = detail::read_side(after, "after", after);
    return diff_sides(b, a, before, after, options);
}

namespace {

bool is_project(const std::string& path) {
    return std::filesystem::path(path).extension() == ".toml";
}

/// One side of a diff: reopened results (only the layers the follow-up reads; the parcels go
/// row by row into `side`), or a project run first (its parcels then stay in the report).
StudyReport open_side(const std::string& path, bool attributes, DiffSide& side,
                      const ProgressFn& progress) {
    if (is_project(path)) {
        return run_study(load_project(path), progress);
    }
    detail::SnapshotSelection only;
    only.all = false;
    only.results = {"parcels", "zones"};
    if (attributes) {
        only.context = {"parcels"};
    }
    only.streamed["parcels"] = [&side](const std::vector<OutputField>& fields,
                                       std::vector<Value>& values, std::optional<Geometry>& g) {
        if (!g || !std::holds_alternative<MultiPolygon>(*g)) {
            throw InputError("a parcel of the results has no polygon geometry");
        }
        side.owned.push_back(std::move(std::get<MultiPolygon>(*g)));
        side.add_row(fields, values, nullptr);
    };
    return detail::open_results(path, only);
}

}  // namespace

namespace detail {

Study recomputed_before(const std::string& before_path, const Study& after,
                        const std::string& output_dir) {
    namespace fs = std::filesystem;
    if (is_project(before_path)) {
        throw ConfigError("--recompute reruns BEFORE's recorded inputs: give BEFORE as a results "
                          "folder or snapshot, not a project file");
    }
    if (is_database_ref(before_path)) {
        throw ConfigError("--recompute reruns BEFORE's recorded inputs, found from its results "
                          "folder: give BEFORE as a results folder, not a survey in a database");
    }
    const StudyReport before = spaceuse::open_results(before_path);
    nlohmann::json m;
    try {
        m = nlohmann::json::parse(before.manifest);
    } catch (const nlohmann::json::exception&) {
        throw InputError(before_path + ": the results' manifest cannot be read");
    }
    const fs::path given_folder = fs::is_directory(before_path)
                                      ? fs::path(before_path)
                                      : fs::path(before_path).parent_path();
    // Resolved as the manifest's project_dir was written: from the real folder.
    std::error_code ec;
    fs::path folder = fs::weakly_canonical(fs::absolute(given_folder), ec);
    if (ec) {
        folder = given_folder;
    }
    if (!m.contains("project_dir") || !m["project_dir"].is_string()) {
        throw InputError(before_path +
                         ": the manifest does not record where its inputs are (results of an "
                         "older version); rerun that survey with this version");
    }
    const fs::path base = folder / m["project_dir"].get<std::string>();
    Study s = after;
    s.name = before.name;
    s.survey_date = before.survey_date;
    s.output_dir = output_dir;
    s.base_dir = base.string();
    s.documents = {};
    s.write.overwrite = true;
    s.invoked_as = "spaceuse diff --recompute";
    std::map<std::string, std::size_t> seen;
    const auto inputs = m.value("inputs", nlohmann::json::array());
    for (auto& layer : s.layers) {
        std::size_t k = seen[layer.role]++;
        const nlohmann::json* found = nullptr;
        for (const auto& in : inputs) {
            if (in.value("role", std::string()) == layer.role && k-- == 0) {
                found = &in;
                break;
            }
        }
        if (found == nullptr) {
            throw InputError(before_path + ": the before survey has no input for the role '" +
                             layer.role + "' that the after project reads");
        }
        const std::string given = found->value("source", std::string());
        if (given.rfind("PG:", 0) == 0) {
            throw InputError(before_path + ": input '" + layer.role + "' is a database (" + given +
                             "), whose content cannot be checked against the manifest");
        }
        LayerSource src = parse_layer_source(
            fs::path(given).is_absolute() ? given : (base / given).lexically_normal().string());
        const auto recorded = found->contains("sha256") && (*found)["sha256"].is_string()
                                  ? std::optional<std::string>((*found)["sha256"])
                                  : std::nullopt;
        const auto now = detail::content_sha256(src.path);
        if (!now) {
            throw InputError(src.path + ": before input '" + layer.role +
                             "' cannot be read (the manifest of " + before_path +
                             " records it there)");
        }
        if (!recorded || *recorded != *now) {
            throw InputError(src.path + ": before input '" + layer.role +
                             "' changed since that survey was run (SHA-256 " + now->substr(0, 12) +
                             "…, the manifest records " +
                             (recorded ? recorded->substr(0, 12) + "…" : std::string("none")) +
                             ")");
        }
        src.where = layer.source.where;
        src.id_field = layer.source.id_field;
        layer.source = std::move(src);
        layer.given = given;
    }
    return s;
}

void add_files_below(const std::string& dir, const std::string& sub,
                     std::vector<WrittenFile>& written) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(dir) / sub)) {
        if (e.is_regular_file()) {
            files.push_back(e.path().lexically_relative(dir).generic_string());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        written.push_back({(fs::path(dir) / f).string(), sub, 0, false});
    }
}

nlohmann::json outputs_manifest(const std::vector<WrittenFile>& written, const std::string& dir,
                                const char* count_key) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& o : written) {
        nlohmann::json j = {
            {"file", std::filesystem::path(o.path).lexically_relative(dir).generic_string()},
            {"layer", o.layer}};
        if (o.data) {
            j[count_key] = o.features;
        }
        out.push_back(j);
    }
    return out;
}

}  // namespace detail

DiffReport run_diff(const DiffStudy& study, const ProgressFn& progress_fn) {
    namespace fs = std::filesystem;
    const Progress progress(progress_fn);
    if (study.output_dir.empty()) {
        throw ConfigError("no output folder given");
    }
    detail::OutputFolder folder(study.output_dir, study.write.overwrite);
    auto before = std::make_shared<StudyReport>();
    auto after = std::make_shared<StudyReport>();
    const bool attributes = !study.options.issue_date_field.empty();
    DiffSide a;
    DiffSide b;
    if (study.recompute) {
        if (!is_project(study.after)) {
            throw ConfigError("--recompute needs AFTER as a project file (.toml): its definitions "
                              "are applied to BEFORE's inputs");
        }
        const Study after_study = load_project(study.after);
        progress.report(0.0, "recomputing the before survey with the after definitions");
        const Study bs = detail::recomputed_before(
            study.before, after_study, (fs::path(folder.staging()) / "before").string());
        *before = run_study(bs, scaled_progress(progress_fn, 0.0, 0.4));
        progress.report(0.4, "running the after survey");
        *after = run_study(after_study, scaled_progress(progress_fn, 0.4, 0.7));
    } else if (is_project(study.before) || is_project(study.after)) {
        progress.report(0.0, "opening the before results");
        *before = open_side(study.before, false, b, scaled_progress(progress_fn, 0.0, 0.35));
        progress.report(0.35, "opening the after results");
        *after = open_side(study.after, attributes, a, scaled_progress(progress_fn, 0.35, 0.7));
    } else {
        // Two snapshots: read at once, one thread each (two SQLite files). The parcels go row
        // by row into each side's columns, so a region's tables are never held twice.
        progress.report(0.0, "opening both results");
        detail::ensure_gdal_registered();
        auto pending = std::async(std::launch::async,
                                  [&] { return open_side(study.before, false, b, {}); });
        StudyReport opened_after;
        std::exception_ptr failed;
        try {
            opened_after = open_side(study.after, attributes, a, {});
        } catch (...) {
            failed = std::current_exception();
        }
        *before = pending.get();  // waits; its error first (BEFORE is named first)
        if (failed) {
            std::rethrow_exception(failed);
        }
        *after = std::move(opened_after);
    }
    check_comparable(*before, *after);
    progress.report(0.7, "reading the parcels");
    // A side run or recomputed here holds its parcels in its report.
    if (b.ids.empty()) {
        b = detail::read_side(*before, "before", *after);
    } else {
        detail::finish_side(b, *before, "before", *after);
    }
    if (a.ids.empty()) {
        a = detail::read_side(*after, "after", *after);
    } else {
        detail::finish_side(a, *after, "after", *after);
    }
    progress.report(0.8, "matching parcels");
    DiffReport d = diff_sides(b, a, *before, *after, study.options, progress);
    progress.report(0.9, "writing the changes");
    const std::string& dir = folder.staging();
    std::vector<WrittenFile> written;
    for (const OutputLayer* l :
         {&d.parcel_changes, &d.zone_changes, &d.transitions, &d.stock, &d.takeup, &d.achieved}) {
        const std::string csv = (fs::path(dir) / (l->name + ".csv")).string();
        write_csv(*l, csv, study.write);
        written.push_back({csv, l->name, l->rows.size()});
    }
    {
        // Moved in and out, not copied: parcel_changes has a row per parcel of a region.
        std::vector<OutputLayer> layers;
        layers.push_back(std::move(d.parcel_changes));
        layers.push_back(std::move(d.zone_changes));
        layers.push_back(std::move(d.achieved));
        for (auto& f : export_layers(layers, d.crs, dir, study.exports, study.write)) {
            written.push_back(std::move(f));
        }
        d.parcel_changes = std::move(layers[0]);
        d.zone_changes = std::move(layers[1]);
        d.achieved = std::move(layers[2]);
    }
    if (study.recompute) {
        detail::add_files_below(dir, "before", written);
    }
    nlohmann::json m;
    m["tool"] = std::string("spaceuse ") + SPACEUSE_VERSION;
    m["command"] = "diff";
    m["recomputed"] = study.recompute;
    auto side = [](const std::string& path, const StudyReport& r) {
        return nlohmann::json{{"results", detail::without_secrets(path)},
                              {"study", r.name},
                              {"survey_date", r.survey_date},
                              {"definitions_hash", r.definitions_hash},
                              {"metric_definitions_hash", r.metric_definitions_hash}};
    };
    m["before"] = side(study.before, *before);
    m["after"] = side(study.after, *after);
    m["analysis_crs"] = {{"name", d.crs.name}, {"code", d.crs.code}};
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
    m["zones"] = {
        {"reconciliation",
         {match_reconciliation(d.zone_match, true), match_reconciliation(d.zone_match, false)}}};
    m["reprojected"] = d.reprojected;
    nlohmann::json takeup = {{"source", d.takeup_source},
                             {"supply_years", study.options.supply_years}};
    if (d.takeup_source == "issue_date") {
        takeup["issue_date_field"] = study.options.issue_date_field;
        takeup["issue_date_where"] = study.options.issue_date_where;
        takeup["parcels_dated"] = d.issue_dated;
        takeup["parcels_undated"] = d.issue_undated;
        takeup["parcels_filtered_out"] = d.issue_filtered_out;
        takeup["issued_between_surveys_but_vacant"] = d.issued_but_vacant;
        takeup["issued_between_surveys_but_vacant_m2"] = d.issued_but_vacant_m2;
        takeup["issued_after_the_after_survey"] = d.issued_after_survey;
    }
    m["takeup"] = takeup;
    m["outputs"] = detail::outputs_manifest(written, dir, "features");
    write_text_file((fs::path(dir) / "run.json").string(), m.dump(2) + "\n", study.write);
    folder.commit();
    progress.report(1.0, "done");
    // The compared results go with the report, so that the caller decides when (and whether)
    // their millions of small allocations are released.
    d.keep_alive = std::make_shared<
        std::tuple<std::shared_ptr<StudyReport>, std::shared_ptr<StudyReport>, DiffSide, DiffSide>>(
        std::move(before), std::move(after), std::move(b), std::move(a));
    return d;
}

}  // namespace spaceuse
