// The follow-up tables: status transitions in m² and parcels, the stock bridge, take-up and
// years of supply, and the parcels developed between the surveys.

#include "../geos/geos.hpp"
#include "../io/gdal_util.hpp"
#include "../util/parallel.hpp"
#include "sides.hpp"

#include <spaceuse/error.hpp>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <boost/geometry.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

namespace spaceuse::detail {

namespace {

namespace bg = boost::geometry;

const std::string row_new = "new";
const std::string col_retired = "retired";
const std::string label_total = "total";
constexpr const char* all_zones = "ALL";

/// One zone's status × status matrix.
struct Matrix {
    std::map<std::string, std::map<std::string, double>> m2;
    std::map<std::string, std::map<std::string, std::int64_t>> n;

    double area(const std::string& r, const std::string& c) const {
        const auto i = m2.find(r);
        if (i == m2.end()) {
            return 0.0;
        }
        const auto j = i->second.find(c);
        return j == i->second.end() ? 0.0 : j->second;
    }
    std::int64_t count(const std::string& r, const std::string& c) const {
        const auto i = n.find(r);
        if (i == n.end()) {
            return 0;
        }
        const auto j = i->second.find(c);
        return j == i->second.end() ? 0 : j->second;
    }
};

/// An area for output: float noise of sums that cancel (|v| < 1 µm²) is 0.
double clean(double v) { return std::abs(v) < 1e-6 ? 0.0 : v; }

/// occupied, underused, vacant, then any other status either date has, sorted.
std::vector<std::string> status_order(const DiffSide& b, const DiffSide& a) {
    std::vector<std::string> out = {"occupied", "underused", "vacant"};
    std::set<std::string> extra;
    for (const DiffSide* s : {&b, &a}) {
        for (const auto& st : s->status_names) {
            if (std::find(out.begin(), out.end(), st) == out.end()) {
                extra.insert(st);
            }
        }
    }
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
}

/// One contribution of a match group to a zone's matrix.
struct Cell {
    std::size_t zone_group;
    const std::string* row;
    const std::string* col;
    double m2;
    std::int64_t parcels;
};

/// A thread's GEOS context and the zones it has converted.
struct CellWorker {
    GeosContext geos;
    std::unordered_map<std::size_t, GeomPtr> before_zones;
    std::unordered_map<std::size_t, GeomPtr> after_zones;
    const GEOSGeometry* zone(const DiffSide& s, bool before, std::size_t z) {
        auto& cache = before ? before_zones : after_zones;
        auto it = cache.find(z);
        if (it == cache.end()) {
            it = cache.emplace(z, geos.from(s.zone_geometries[z])).first;
        }
        return it->second.get();
    }
};

/// Whether two boxes overlap with a positive area (parcels that only touch share none).
bool boxes_overlap(const Box& x, const Box& y) {
    return x.min_corner().x() < y.max_corner().x() && y.min_corner().x() < x.max_corner().x() &&
           x.min_corner().y() < y.max_corner().y() && y.min_corner().y() < x.max_corner().y();
}

/// The cells of one match group: the land each before and after parcel share inside a zone at
/// both dates, the rest of each parcel's land as retired or new, and the parcels paired one to
/// one by largest shared area.
void group_cells(CellWorker& w, const DiffSide& b, const DiffSide& a, const ParcelMatch& zones,
                 const MatchGroup& group, std::vector<Cell>& out) {
    const auto& B = group.before;
    const auto& A = group.after;
    auto group_b = [&zones](std::size_t zone) { return zones.group_of_before[zone]; };
    auto group_a = [&zones](std::size_t zone) { return zones.group_of_after[zone]; };
    auto count_group = [](const DiffSide& s, const std::vector<std::size_t>& of,
                          std::size_t p) -> std::size_t {
        return s.zone_of[p] == no_index ? no_index : of[s.zone_of[p]];
    };
    const GeosContext& geos = w.geos;
    // All zones taken as one: land counts when it lies in some zone at both dates, a pair of
    // parcels when both lie in some zone (whether or not in the same one).
    const std::size_t all = zones.groups.size();
    // Area each parcel shares with the other date, per zone match group (and `all`).
    std::map<std::pair<std::size_t, std::size_t>, double> used_b;
    std::map<std::pair<std::size_t, std::size_t>, double> used_a;
    struct Pair {
        std::size_t i, j;
        double area;
    };
    std::vector<Pair> pairs;
    if (!B.empty() && !A.empty()) {
        const bool identical = B.size() == 1 && A.size() == 1 &&
                               same_coordinates(*b.geometries[B[0]], *a.geometries[A[0]]);
        std::vector<GeomPtr> gb(B.size());
        std::vector<GeomPtr> ga(A.size());
        std::vector<Box> bb;
        std::vector<Box> ab;
        for (const auto p : B) {
            bb.push_back(bg::return_envelope<Box>(*b.geometries[p]));
        }
        for (const auto p : A) {
            ab.push_back(bg::return_envelope<Box>(*a.geometries[p]));
        }
        for (std::size_t i = 0; i < B.size(); ++i) {
            for (std::size_t j = 0; j < A.size(); ++j) {
                const std::size_t pb = B[i];
                const std::size_t pa = A[j];
                if (!identical && !boxes_overlap(bb[i], ab[j])) {
                    continue;
                }
                GeomPtr shared;
                double area = 0.0;
                if (identical) {
                    area = std::min(b.areas[pb], a.areas[pa]);
                } else {
                    if (!gb[i]) {
                        gb[i] = geos.from(*b.geometries[pb]);
                    }
                    if (!ga[j]) {
                        ga[j] = geos.from(*a.geometries[pa]);
                    }
                    shared = geos.intersection(gb[i].get(), ga[j].get());
                    area = geos.area(shared.get());
                }
                if (!(area > 0.0)) {
                    continue;
                }
                pairs.push_back({i, j, area});
                const std::string* sb = &b.status_of(pb);
                const std::string* sa = &a.status_of(pa);
                if (b.inside_one_zone(pb) && a.inside_one_zone(pa)) {
                    const std::size_t g = group_b(b.parts_begin(pb)->zone);
                    if (g == group_a(a.parts_begin(pa)->zone)) {
                        out.push_back({g, sb, sa, area, 0});
                        used_b[{i, g}] += area;
                        used_a[{j, g}] += area;
                    }
                    out.push_back({all, sb, sa, area, 0});
                    used_b[{i, all}] += area;
                    used_a[{j, all}] += area;
                    continue;
                }
                // A parcel on a zone's edge: the shared land inside the zone at both dates.
                if (!shared) {
                    shared = geos.from(*b.geometries[pb]);
                }
                for (const auto& part_b : b.parts_of(pb)) {
                    for (const auto& part_a : a.parts_of(pa)) {
                        GeomPtr piece = geos.intersection(shared.get(),
                                                          w.zone(b, true, part_b.zone));
                        piece = geos.intersection(piece.get(), w.zone(a, false, part_a.zone));
                        const double inside = geos.area(piece.get());
                        const std::size_t g = group_b(part_b.zone);
                        if (g == group_a(part_a.zone)) {
                            out.push_back({g, sb, sa, inside, 0});
                            used_b[{i, g}] += inside;
                            used_a[{j, g}] += inside;
                        }
                        // The zones of one date do not overlap: the pieces add up to the shared
                        // land inside some zone at both dates.
                        out.push_back({all, sb, sa, inside, 0});
                        used_b[{i, all}] += inside;
                        used_a[{j, all}] += inside;
                    }
                }
            }
        }
    }
    // The rest of each parcel's land in a zone left it (before) or joined it (after).
    for (std::size_t i = 0; i < B.size(); ++i) {
        std::map<std::size_t, double> in_group;
        for (const auto& part : b.parts_of(B[i])) {
            in_group[group_b(part.zone)] += part.area_m2;
            in_group[all] += part.area_m2;
        }
        for (const auto& [g, total] : in_group) {
            const auto it = used_b.find({i, g});
            out.push_back({g, &b.status_of(B[i]), &col_retired,
                           total - (it == used_b.end() ? 0.0 : it->second), 0});
        }
    }
    for (std::size_t j = 0; j < A.size(); ++j) {
        std::map<std::size_t, double> in_group;
        for (const auto& part : a.parts_of(A[j])) {
            in_group[group_a(part.zone)] += part.area_m2;
            in_group[all] += part.area_m2;
        }
        for (const auto& [g, total] : in_group) {
            const auto it = used_a.find({j, g});
            out.push_back({g, &row_new, &a.status_of(A[j]),
                           total - (it == used_a.end() ? 0.0 : it->second), 0});
        }
    }
    // Parcels: paired one to one by largest shared area.
    std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) {
        if (x.area != y.area) {
            return x.area > y.area;
        }
        return x.i != y.i ? x.i < y.i : x.j < y.j;
    });
    std::vector<bool> paired_b(B.size(), false);
    std::vector<bool> paired_a(A.size(), false);
    for (const auto& p : pairs) {
        if (paired_b[p.i] || paired_a[p.j]) {
            continue;
        }
        paired_b[p.i] = paired_a[p.j] = true;
        const std::size_t gb = count_group(b, zones.group_of_before, B[p.i]);
        const std::size_t ga = count_group(a, zones.group_of_after, A[p.j]);
        const std::string* sb = &b.status_of(B[p.i]);
        const std::string* sa = &a.status_of(A[p.j]);
        if (gb != no_index && ga != no_index) {
            out.push_back({all, sb, sa, 0.0, 1});
        } else if (gb != no_index) {
            out.push_back({all, sb, &col_retired, 0.0, 1});
        } else if (ga != no_index) {
            out.push_back({all, &row_new, sa, 0.0, 1});
        }
        if (gb != no_index && gb == ga) {
            out.push_back({gb, sb, sa, 0.0, 1});
            continue;
        }
        if (gb != no_index) {
            out.push_back({gb, sb, &col_retired, 0.0, 1});
        }
        if (ga != no_index) {
            out.push_back({ga, &row_new, sa, 0.0, 1});
        }
    }
    for (std::size_t i = 0; i < B.size(); ++i) {
        const std::size_t g = count_group(b, zones.group_of_before, B[i]);
        if (!paired_b[i] && g != no_index) {
            out.push_back({g, &b.status_of(B[i]), &col_retired, 0.0, 1});
            out.push_back({all, &b.status_of(B[i]), &col_retired, 0.0, 1});
        }
    }
    for (std::size_t j = 0; j < A.size(); ++j) {
        const std::size_t g = count_group(a, zones.group_of_after, A[j]);
        if (!paired_a[j] && g != no_index) {
            out.push_back({g, &row_new, &a.status_of(A[j]), 0.0, 1});
            out.push_back({all, &row_new, &a.status_of(A[j]), 0.0, 1});
        }
    }
}

/// The matrices of every zone match group, then (last) of all zones taken as one. The groups
/// that need overlays are worked out on
/// `threads` threads; every contribution is then added in group order, so the sums do not
/// depend on the thread count.
std::vector<Matrix> transition_matrices(const DiffSide& b, const DiffSide& a,
                                        const ParcelMatch& match, const ParcelMatch& zones,
                                        unsigned threads) {
    // Every cell is summed in a dense table (zone group × row × column, statuses by index),
    // in group order, and turned into the matrices at the end.
    const std::size_t n_zones = zones.groups.size() + 1;  // the last: all zones as one
    std::vector<const std::string*> labels;
    std::unordered_map<std::string, std::size_t> label_index;
    auto index_of = [&](const std::string& label) {
        const auto [it, fresh] = label_index.emplace(label, labels.size());
        if (fresh) {
            labels.push_back(&label);
        }
        return it->second;
    };
    std::vector<std::size_t> b_status;
    std::vector<std::size_t> a_status;
    for (const auto& name : b.status_names) {
        b_status.push_back(index_of(name));
    }
    for (const auto& name : a.status_names) {
        a_status.push_back(index_of(name));
    }
    const std::size_t i_new = index_of(row_new);
    const std::size_t i_retired = index_of(col_retired);
    // Labels of the slow groups' cells (their statuses are among these already).
    const std::size_t L = labels.size();
    std::vector<double> m2(n_zones * L * L, 0.0);
    std::vector<std::int64_t> counts(n_zones * L * L, 0);
    auto at = [L](std::size_t g, std::size_t r, std::size_t c) { return (g * L + r) * L + c; };

    // Most parcels of a region: one to one, the same shape, inside one zone.
    auto fast = [&](const MatchGroup& group) -> std::size_t {
        if (!group.identical) {
            return no_index;
        }
        const auto pb = group.before[0];
        const auto pa = group.after[0];
        if (b.inside_one_zone(pb) && a.inside_one_zone(pa)) {
            const std::size_t g = zones.group_of_before[b.parts_begin(pb)->zone];
            if (g == zones.group_of_after[a.parts_begin(pa)->zone]) {
                return g;
            }
        }
        return no_index;
    };
    std::vector<std::size_t> fast_zone(match.groups.size());
    std::vector<std::size_t> slow;
    for (std::size_t k = 0; k < match.groups.size(); ++k) {
        fast_zone[k] = fast(match.groups[k]);
        if (fast_zone[k] == no_index) {
            slow.push_back(k);
        }
    }
    std::vector<std::vector<Cell>> cells(slow.size());
    parallel_for(
        slow.size(), worker_count(threads), 64, [] { return CellWorker(); },
        [&](CellWorker& w, std::size_t i) {
        group_cells(w, b, a, zones, match.groups[slow[i]], cells[i]);
        });
    const std::size_t all = n_zones - 1;
    std::size_t next_slow = 0;
    for (std::size_t k = 0; k < match.groups.size(); ++k) {
        const MatchGroup& group = match.groups[k];
        if (fast_zone[k] != no_index) {
            const auto pb = group.before[0];
            const auto pa = group.after[0];
            const std::size_t sb = b_status[b.status[pb]];
            const std::size_t sa = a_status[a.status[pa]];
            const double area = std::min(b.areas[pb], a.areas[pa]);
            for (const std::size_t g : {fast_zone[k], all}) {
                m2[at(g, sb, sa)] += area;
                m2[at(g, sb, i_retired)] += b.areas[pb] - area;
                m2[at(g, i_new, sa)] += a.areas[pa] - area;
                ++counts[at(g, sb, sa)];
            }
            continue;
        }
        for (const Cell& c : cells[next_slow++]) {
            const std::size_t i = at(c.zone_group, label_index.at(*c.row), label_index.at(*c.col));
            if (c.parcels != 0) {
                counts[i] += c.parcels;
            } else {
                m2[i] += c.m2;
            }
        }
    }
    std::vector<Matrix> mats(n_zones);
    for (std::size_t g = 0; g < n_zones; ++g) {
        for (std::size_t r = 0; r < L; ++r) {
            for (std::size_t c = 0; c < L; ++c) {
                const std::size_t i = at(g, r, c);
                if (m2[i] != 0.0) {
                    mats[g].m2[*labels[r]][*labels[c]] = m2[i];
                }
                if (counts[i] != 0) {
                    mats[g].n[*labels[r]][*labels[c]] = counts[i];
                }
            }
        }
    }
    return mats;
}

OutputLayer transitions_table(const std::vector<std::string>& statuses,
                              const std::vector<ZoneKey>& keys, const std::vector<Matrix>& mats,
                              const Matrix& all) {
    OutputLayer t;
    t.name = "transitions";
    using FT = FieldType;
    t.fields = {{"zone_id", FT::string, -1},
                {"name", FT::string, -1},
                {"unit", FT::string, -1},
                {"status_before", FT::string, -1}};
    std::vector<std::string> cols = statuses;
    cols.push_back(col_retired);
    std::vector<std::string> rows = statuses;
    rows.push_back(row_new);
    for (const auto& c : cols) {
        t.fields.push_back({c, FT::real, 2});
    }
    t.fields.push_back({label_total, FT::real, 2});
    auto emit = [&](const std::string& id, const std::string& name, const Matrix& m) {
        // m² then parcels: one row per before status, "new" and the column totals.
        std::map<std::string, double> col_m2;
        std::map<std::string, std::int64_t> col_n;
        for (const auto& r : rows) {
            std::vector<Value> row = {id, name, std::string("m2"), r};
            double total = 0.0;
            for (const auto& c : cols) {
                const double v = m.area(r, c);
                row.emplace_back(clean(v));
                total += v;
                col_m2[c] += v;
            }
            row.emplace_back(clean(total));
            t.rows.push_back(std::move(row));
        }
        std::vector<Value> tot = {id, name, std::string("m2"), label_total};
        double grand = 0.0;
        for (const auto& c : cols) {
            tot.emplace_back(clean(col_m2[c]));
            grand += col_m2[c];
        }
        tot.emplace_back(clean(grand));
        t.rows.push_back(std::move(tot));
        for (const auto& r : rows) {
            std::vector<Value> row = {id, name, std::string("parcels"), r};
            std::int64_t total = 0;
            for (const auto& c : cols) {
                const std::int64_t v = m.count(r, c);
                row.emplace_back(v);
                total += v;
                col_n[c] += v;
            }
            row.emplace_back(total);
            t.rows.push_back(std::move(row));
        }
        std::vector<Value> ntot = {id, name, std::string("parcels"), label_total};
        std::int64_t ngrand = 0;
        for (const auto& c : cols) {
            ntot.emplace_back(col_n[c]);
            ngrand += col_n[c];
        }
        ntot.emplace_back(ngrand);
        t.rows.push_back(std::move(ntot));
    };
    for (std::size_t g = 0; g < keys.size(); ++g) {
        emit(keys[g].id, keys[g].name, mats[g]);
    }
    emit(all_zones, "All zones", all);
    return t;
}

/// A definition of available land: the statuses it counts.
struct Definition {
    const char* name;
    std::set<std::string> statuses;
};

const std::vector<Definition>& definitions() {
    static const std::vector<Definition> defs = {{"vacant", {"vacant"}},
                                                 {"vacant+underused", {"vacant", "underused"}}};
    return defs;
}

/// The flows of one definition through a matrix.
struct Flows {
    double taken_up = 0.0, released = 0.0, added = 0.0, removed = 0.0;
    double before_rows = 0.0;  ///< the available rows' total (the before stock, re-measured)
};

Flows flows(const Matrix& m, const Definition& def, const std::vector<std::string>& statuses) {
    Flows f;
    for (const auto& s : statuses) {
        const bool avail_s = def.statuses.count(s) > 0;
        for (const auto& t : statuses) {
            const bool avail_t = def.statuses.count(t) > 0;
            if (avail_s && !avail_t) {
                f.taken_up += m.area(s, t);
            } else if (!avail_s && avail_t) {
                f.released += m.area(s, t);
            }
            if (avail_s) {
                f.before_rows += m.area(s, t);
            }
        }
        if (avail_s) {
            f.removed += m.area(s, col_retired);
            f.before_rows += m.area(s, col_retired);
            f.added += m.area(row_new, s);
        }
    }
    return f;
}

/// Parcels of vacant land brought into use (vacant → another status) in a matrix.
std::int64_t vacant_parcels_taken_up(const Matrix& m, const std::vector<std::string>& statuses) {
    std::int64_t n = 0;
    for (const auto& t : statuses) {
        if (t != "vacant") {
            n += m.count("vacant", t);
        }
    }
    return n;
}

/// A zone table figure summed over zones (0 when none).
double zone_total(const DiffSide& s, const std::vector<std::size_t>& zones, const Definition& def) {
    double t = 0.0;
    for (const auto z : zones) {
        for (const auto& st : def.statuses) {
            t += s.zone_number(z, st + "_m2").value_or(0.0);
        }
    }
    return t;
}

std::string format_years(double available, double per_year) {
    if (!(per_year > 0.0)) {
        return "n.a.";
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", available / per_year);
    return buf;
}

/// The issue dates of the after parcels: per parcels row, its date as YYYY-MM-DD (empty: not
/// issued, or left out by the filter).
struct IssueDates {
    std::vector<std::string> text;
    std::size_t dated = 0, undated = 0, filtered_out = 0;
};

IssueDates read_issue_dates(const DiffSide& a, const DiffOptions& options) {
    const std::string& field = options.issue_date_field;
    const Layer* attrs = a.report->model ? a.report->model->find("parcels") : nullptr;
    if (attrs == nullptr || (attrs->features.empty() && a.size() > 0)) {
        throw InputError("the after results hold no parcel attributes, so issue_date_field '" +
                         field + "' cannot be read (rerun the after survey with this version)");
    }
    std::optional<std::size_t> col;
    std::string names;
    for (std::size_t f = 0; f < attrs->fields.size(); ++f) {
        if (attrs->fields[f].name == field) {
            col = f;
        }
        names += (names.empty() ? "" : ", ") + attrs->fields[f].name;
    }
    if (!col) {
        throw InputError("the after parcels have no field '" + field + "' (issue_date_field); " +
                         "their fields: " + (names.empty() ? "none" : names));
    }
    std::unordered_map<std::int64_t, std::size_t> by_fid;
    for (std::size_t i = 0; i < attrs->features.size(); ++i) {
        by_fid.emplace(attrs->features[i].fid, i);
    }
    // The filter, evaluated by OGR's SQL engine on an in-memory copy of the attributes.
    std::vector<bool> selected(attrs->features.size(), true);
    if (!options.issue_date_where.empty()) {
        ensure_gdal_registered();
        GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("Memory");
        if (mem == nullptr) {
            mem = GetGDALDriverManager()->GetDriverByName("MEM");
        }
        GDALDatasetUniquePtr ds(mem ? mem->Create("", 0, 0, 0, GDT_Unknown, nullptr) : nullptr);
        OGRLayer* layer = ds ? ds->CreateLayer("parcels", nullptr, wkbNone, nullptr) : nullptr;
        if (layer == nullptr) {
            throw Error("the parcels' attributes cannot be filtered (no in-memory GDAL layer)");
        }
        for (const auto& f : attrs->fields) {
            const OGRFieldType type = f.type == FieldType::integer ? OFTInteger64
                                      : f.type == FieldType::real  ? OFTReal
                                                                   : OFTString;
            OGRFieldDefn defn(f.name.c_str(), type);
            if (layer->CreateField(&defn) != OGRERR_NONE) {
                throw Error("the parcels' field '" + f.name + "' cannot be filtered on");
            }
        }
        for (std::size_t i = 0; i < attrs->features.size(); ++i) {
            OGRFeature feature(layer->GetLayerDefn());
            feature.SetFID(static_cast<GIntBig>(i));
            const auto& values = attrs->features[i].attributes;
            for (std::size_t f = 0; f < values.size(); ++f) {
                const Value& v = values[f];
                if (const auto* n = std::get_if<std::int64_t>(&v)) {
                    feature.SetField(static_cast<int>(f), static_cast<GIntBig>(*n));
                } else if (const auto* d = std::get_if<double>(&v)) {
                    feature.SetField(static_cast<int>(f), *d);
                } else if (const auto* s = std::get_if<std::string>(&v)) {
                    feature.SetField(static_cast<int>(f), s->c_str());
                } else {
                    feature.SetFieldNull(static_cast<int>(f));
                }
            }
            if (layer->CreateFeature(&feature) != OGRERR_NONE) {
                throw Error("the parcels' attributes cannot be filtered (in-memory layer)");
            }
        }
        GdalErrorCapture errors;
        if (layer->SetAttributeFilter(options.issue_date_where.c_str()) != OGRERR_NONE) {
            throw ConfigError("issue_date_where \"" + options.issue_date_where +
                              "\" is not a valid filter on the after parcels: " +
                              (errors.last_error().empty() ? "syntax error" : errors.last_error()));
        }
        std::fill(selected.begin(), selected.end(), false);
        layer->ResetReading();
        for (OGRFeatureUniquePtr f(layer->GetNextFeature()); f; f.reset(layer->GetNextFeature())) {
            selected[static_cast<std::size_t>(f->GetFID())] = true;
        }
    }
    IssueDates out;
    const std::size_t n = a.size();
    out.text.resize(n);
    std::vector<std::string> bad;
    std::size_t n_bad = 0;
    for (std::size_t r = 0; r < n; ++r) {
        const auto it = by_fid.find(a.source_fid[r]);
        if (it == by_fid.end()) {
            throw InputError("after parcel " + a.ids[r] +
                             " has no attributes in the results (source_fid not found)");
        }
        if (!selected[it->second]) {
            ++out.filtered_out;
            continue;
        }
        const Value& v = attrs->features[it->second].attributes[*col];
        const std::string text = value_as_text(v);
        if (std::holds_alternative<std::monostate>(v) || text.empty()) {
            ++out.undated;
            continue;
        }
        if (!iso_days(text)) {
            if (n_bad++ < 10) {
                bad.push_back(a.ids[r] + " '" + text + "'");
            }
            continue;
        }
        out.text[r] = text.substr(0, 4) + "-" + text.substr(5, 2) + "-" + text.substr(8, 2);
        ++out.dated;
    }
    if (n_bad > 0) {
        std::string list;
        for (const auto& s : bad) {
            list += (list.empty() ? "" : ", ") + s;
        }
        throw InputError(
            "issue_date_field '" + field + "': " + std::to_string(n_bad) + " value" +
            (n_bad == 1 ? " is" : "s are") + " not a date (YYYY-MM-DD): " + list +
            (n_bad > bad.size() ? " and " + std::to_string(n_bad - bad.size()) + " more" : ""));
    }
    return out;
}

int year_of(const std::string& iso) { return std::stoi(iso.substr(0, 4)); }

}  // namespace

void follow_up_tables(const DiffSide& b, const DiffSide& a, const DiffOptions& options,
                      DiffReport& d) {
    const std::vector<std::string> statuses = status_order(b, a);
    const ParcelMatch& zm = d.zone_match;
    std::vector<ZoneKey> keys;
    for (const auto& g : zm.groups) {
        keys.push_back(zone_key(b, a, g));
    }
    std::vector<Matrix> mats = transition_matrices(b, a, d.match, zm, options.threads);
    const Matrix all = std::move(mats.back());
    mats.pop_back();
    d.transitions = transitions_table(statuses, keys, mats, all);

    // Take-up: from issue dates, or the diff's over the interval.
    const auto day_before = iso_days(d.before_date);
    const auto day_after = iso_days(d.after_date);
    if (!day_before || !day_after) {
        throw ConfigError("the survey dates " + d.before_date + " and " + d.after_date +
                          " are not both ISO dates");
    }
    const double interval_years = static_cast<double>(*day_after - *day_before) / 365.2425;
    const int k = options.supply_years;
    if (k < 1) {
        throw ConfigError("supply_years must be at least 1, not " + std::to_string(k));
    }
    if (!options.issue_date_where.empty() && options.issue_date_field.empty()) {
        throw ConfigError("issue_date_where needs issue_date_field");
    }
    using FT = FieldType;
    OutputLayer& tu = d.takeup;
    tu.name = "takeup";
    tu.fields = {{"zone_id", FT::string, -1},     {"name", FT::string, -1},
                 {"period_from", FT::string, -1}, {"period_to", FT::string, -1},
                 {"years", FT::real, 4},          {"source", FT::string, -1},
                 {"takeup_m2", FT::real, 2},      {"n_parcels", FT::integer, -1}};
    // Mean annual take-up per zone group (index keys.size(): all zones); nullopt: per
    // definition, from the diff.
    std::vector<std::optional<double>> issued_per_year(keys.size() + 1);
    if (!options.issue_date_field.empty()) {
        d.takeup_source = "issue_date";
        const IssueDates dates = read_issue_dates(a, options);
        d.issue_dated = dates.dated;
        d.issue_undated = dates.undated;
        d.issue_filtered_out = dates.filtered_out;
        // Years from the first issue (or the before survey) to the after survey's; dates after
        // the after survey (placeholders such as 9999-12-31, or errors) are counted, not shown.
        int first = year_of(d.before_date);
        const int last = year_of(d.after_date);
        for (const auto& t : dates.text) {
            if (!t.empty() && t <= d.after_date) {
                first = std::min(first, year_of(t));
            }
        }
        // Window of the mean: issue dates in (after − k years, after].
        char window_start[16];
        std::snprintf(window_start, sizeof window_start, "%04d%s", year_of(d.after_date) - k,
                      d.after_date.substr(4, 6).c_str());
        const std::size_t years = static_cast<std::size_t>(last - first + 1);
        std::vector<std::vector<double>> m2(keys.size() + 1, std::vector<double>(years, 0.0));
        std::vector<std::vector<std::int64_t>> n(keys.size() + 1,
                                                 std::vector<std::int64_t>(years, 0));
        std::vector<double> window(keys.size() + 1, 0.0);
        for (std::size_t r = 0; r < dates.text.size(); ++r) {
            if (dates.text[r].empty()) {
                continue;
            }
            if (dates.text[r] > d.after_date) {
                ++d.issued_after_survey;
                continue;
            }
            const std::size_t y = static_cast<std::size_t>(year_of(dates.text[r]) - first);
            const bool in_window = dates.text[r] > std::string(window_start) &&
                                   dates.text[r] <= d.after_date;
            // Issued between the surveys yet vacant after: a record date, not an issue?
            if (dates.text[r] > d.before_date && dates.text[r] <= d.after_date &&
                a.status_of(r) == "vacant") {
                ++d.issued_but_vacant;
                d.issued_but_vacant_m2 += a.areas[r];
            }
            for (const auto& part : a.parts_of(r)) {
                const std::size_t g = zm.group_of_after[part.zone];
                m2[g][y] += part.area_m2;
                m2[keys.size()][y] += part.area_m2;
                if (in_window) {
                    window[g] += part.area_m2;
                    window[keys.size()] += part.area_m2;
                }
            }
            if (a.zone_of[r] != no_index) {
                ++n[zm.group_of_after[a.zone_of[r]]][y];
                ++n[keys.size()][y];
            }
        }
        for (std::size_t g = 0; g <= keys.size(); ++g) {
            const std::string id = g < keys.size() ? keys[g].id : all_zones;
            const std::string name = g < keys.size() ? keys[g].name : "All zones";
            for (std::size_t y = 0; y < years; ++y) {
                const int year = first + static_cast<int>(y);
                tu.rows.push_back({id, name, std::to_string(year) + "-01-01",
                                   std::to_string(year) + "-12-31", 1.0, std::string("issue_date"),
                                   clean(m2[g][y]), n[g][y]});
            }
            issued_per_year[g] = window[g] / k;
        }
    } else {
        d.takeup_source = "diff";
        for (std::size_t g = 0; g <= keys.size(); ++g) {
            const Matrix& m = g < keys.size() ? mats[g] : all;
            const Flows f = flows(m, definitions()[0], statuses);
            tu.rows.push_back({g < keys.size() ? keys[g].id : std::string(all_zones),
                               g < keys.size() ? keys[g].name : std::string("All zones"),
                               d.before_date, d.after_date, interval_years, std::string("diff"),
                               clean(f.taken_up), vacant_parcels_taken_up(m, statuses)});
        }
    }

    // The stock bridge and years of supply.
    OutputLayer& st = d.stock;
    st.name = "stock";
    st.fields = {{"zone_id", FT::string, -1},         {"name", FT::string, -1},
                 {"definition", FT::string, -1},      {"available_before_m2", FT::real, 2},
                 {"taken_up_m2", FT::real, 2},        {"released_m2", FT::real, 2},
                 {"added_m2", FT::real, 2},           {"removed_m2", FT::real, 2},
                 {"available_after_m2", FT::real, 2}, {"residual_m2", FT::real, 2},
                 {"takeup_basis", FT::string, -1},    {"mean_annual_takeup_m2", FT::real, 2},
                 {"years_of_supply", FT::string, -1}};
    const bool same_crs = !d.reprojected;
    const std::string diff_basis = "diff " + d.before_date + "/" + d.after_date;
    const std::string issue_basis = "issue_date, last " + std::to_string(k) + " years";
    d.max_stock_residual_m2 = 0.0;
    for (const Definition& def : definitions()) {
        double all_before = 0.0, all_after = 0.0;
        for (std::size_t g = 0; g <= keys.size(); ++g) {
            const bool total = g == keys.size();
            const Matrix& m = total ? all : mats[g];
            const Flows f = flows(m, def, statuses);
            double before = 0.0;
            double after = 0.0;
            if (total) {
                before = all_before;
                after = all_after;
            } else {
                // The before stock from its zone table; re-measured in the comparison CRS when
                // the before results are in another.
                before = same_crs ? zone_total(b, zm.groups[g].before, def) : f.before_rows;
                after = zone_total(a, zm.groups[g].after, def);
                all_before += before;
                all_after += after;
            }
            const double residual = after -
                                    (before - f.taken_up + f.released + f.added - f.removed);
            d.max_stock_residual_m2 = std::max(d.max_stock_residual_m2, std::abs(residual));
            const double per_year = issued_per_year[g]   ? *issued_per_year[g]
                                    : interval_years > 0 ? f.taken_up / interval_years
                                                         : 0.0;
            st.rows.push_back({total ? std::string(all_zones) : keys[g].id,
                               total ? std::string("All zones") : keys[g].name,
                               std::string(def.name), clean(before), clean(f.taken_up),
                               clean(f.released), clean(f.added), clean(f.removed), clean(after),
                               clean(residual), issued_per_year[g] ? issue_basis : diff_basis,
                               clean(per_year), format_years(after, per_year)});
        }
    }

    // Parcels developed between the surveys.
    OutputLayer& ac = d.achieved;
    ac.name = "achieved";
    ac.fields = {{"parcel_id", FT::string, -1},
                 {"parcel_ids_before", FT::string, -1},
                 {"change", FT::string, -1},
                 {"zone_id", FT::string, -1},
                 {"status_before", FT::string, -1},
                 {"status_after", FT::string, -1},
                 {"area_m2", FT::real, 2},
                 {"built_m2", FT::real, 2},
                 {"coverage", FT::real, 4},
                 {"floor_m2", FT::real, 2},
                 {"far", FT::real, 4}};
    auto value = [](double v) { return std::isnan(v) ? Value(std::monostate{}) : Value(v); };
    for (const MatchGroup& group : d.match.groups) {
        if (group.before.empty() || group.after.empty()) {
            continue;
        }
        const bool available = std::all_of(group.before.begin(), group.before.end(), [&b](auto p) {
            return b.status_of(p) == "vacant" || b.status_of(p) == "underused";
        });
        if (!available) {
            continue;
        }
        std::string before_ids;
        std::string before_statuses;
        std::set<std::string> seen;
        for (const auto p : group.before) {
            before_ids += (before_ids.empty() ? "" : ",") + b.ids[p];
            if (seen.insert(b.status_of(p)).second) {
                before_statuses += (before_statuses.empty() ? "" : ",") + b.status_of(p);
            }
        }
        for (const auto p : group.after) {
            if (a.status_of(p) != "occupied") {
                continue;
            }
            ac.rows.push_back({a.ids[p], before_ids, std::string(parcel_change_name(group.change)),
                               a.zone_text[p], before_statuses, a.status_of(p), value(a.areas[p]),
                               value(a.built[p]), value(a.coverage[p]), value(a.floor[p]),
                               value(a.far[p])});
            ac.geometries.emplace_back(*a.geometries[p]);
        }
    }
}

}  // namespace spaceuse::detail
