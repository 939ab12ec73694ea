// Parcel matching between two surveys: ids, then shared area, then groups by connectivity.

#include "../geos/geos.hpp"
#include "../util/ids.hpp"
#include "../util/parallel.hpp"
#include "sides.hpp"

#include <spaceuse/diff.hpp>
#include <spaceuse/error.hpp>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include <algorithm>
#include <numeric>
#include <string_view>
#include <unordered_map>

namespace spaceuse {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

/// Union-find over the unmatched parcels of both dates.
struct Components {
    std::vector<std::size_t> parent;
    explicit Components(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
    std::size_t find(std::size_t i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }
    void join(std::size_t a, std::size_t b) {
        a = find(a);
        b = find(b);
        if (a != b) {
            parent[std::max(a, b)] = std::min(a, b);
        }
    }
};

}  // namespace

namespace detail {

bool same_coordinates(const MultiPolygon& a, const MultiPolygon& b) {
    if (a.size() != b.size()) {
        return false;
    }
    auto same_ring = [](const Ring& x, const Ring& y) {
        if (x.size() != y.size()) {
            return false;
        }
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (x[i].x() != y[i].x() || x[i].y() != y[i].y()) {
                return false;
            }
        }
        return true;
    };
    for (std::size_t p = 0; p < a.size(); ++p) {
        if (!same_ring(a[p].outer(), b[p].outer()) ||
            a[p].inners().size() != b[p].inners().size()) {
            return false;
        }
        for (std::size_t h = 0; h < a[p].inners().size(); ++h) {
            if (!same_ring(a[p].inners()[h], b[p].inners()[h])) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace detail

const char* parcel_change_name(ParcelChange change) noexcept {
    switch (change) {
    case ParcelChange::unchanged:
        return "unchanged";
    case ParcelChange::reshaped:
        return "reshaped";
    case ParcelChange::renumbered:
        return "renumbered";
    case ParcelChange::split:
        return "split";
    case ParcelChange::merged:
        return "merged";
    case ParcelChange::reparcelled:
        return "reparcelled";
    case ParcelChange::added:
        return "new";
    case ParcelChange::retired:
        return "retired";
    }
    return "?";
}

const char* change_category_name(ChangeCategory category) noexcept {
    switch (category) {
    case ChangeCategory::added:
        return "new";
    case ChangeCategory::split:
        return "split";
    case ChangeCategory::merged:
        return "merged";
    case ChangeCategory::built:
        return "built";
    case ChangeCategory::vacated:
        return "vacated";
    case ChangeCategory::other:
        return "other";
    case ChangeCategory::unchanged:
        return "unchanged";
    case ChangeCategory::retired:
        return "retired";
    }
    return "?";
}

namespace {

/// Rank of a status by use (vacant 0, underused 1, occupied 2); -1 for anything else.
int use_rank(const std::string& status) {
    if (status == "vacant") {
        return 0;
    }
    if (status == "underused") {
        return 1;
    }
    return status == "occupied" ? 2 : -1;
}

}  // namespace

ChangeCategory change_category(ParcelChange change, const std::string& status_before,
                               const std::string& status_after) noexcept {
    switch (change) {
    case ParcelChange::added:
        return ChangeCategory::added;
    case ParcelChange::retired:
        return ChangeCategory::retired;
    case ParcelChange::split:
        return ChangeCategory::split;
    case ParcelChange::merged:
    case ParcelChange::reparcelled:
        return ChangeCategory::merged;
    case ParcelChange::unchanged:
    case ParcelChange::reshaped:
    case ParcelChange::renumbered:
        break;
    }
    const int before = use_rank(status_before);
    const int after = use_rank(status_after);
    if (before >= 0 && after > before) {
        return ChangeCategory::built;
    }
    if (after == 0 && before > 0) {
        return ChangeCategory::vacated;
    }
    if (change == ParcelChange::unchanged && status_before == status_after) {
        return ChangeCategory::unchanged;
    }
    return ChangeCategory::other;
}

ParcelMatch match_parcels(const std::vector<std::string>& before_ids,
                          const std::vector<MultiPolygon>& before,
                          const std::vector<std::string>& after_ids,
                          const std::vector<MultiPolygon>& after, const MatchOptions& options) {
    std::vector<const MultiPolygon*> b;
    std::vector<const MultiPolygon*> a;
    for (const auto& g : before) {
        b.push_back(&g);
    }
    for (const auto& g : after) {
        a.push_back(&g);
    }
    return detail::match_geometries(before_ids, b, after_ids, a, options);
}

ParcelMatch detail::match_geometries(const std::vector<std::string>& before_ids,
                                     const std::vector<const MultiPolygon*>& before,
                                     const std::vector<std::string>& after_ids,
                                     const std::vector<const MultiPolygon*>& after,
                                     const MatchOptions& options) {
    if (!(options.match_share > 0.0 && options.match_share <= 1.0)) {
        throw ConfigError("the match share must be in (0, 1], not " +
                          std::to_string(options.match_share));
    }
    if (before_ids.size() != before.size() || after_ids.size() != after.size()) {
        throw Error("match_parcels: ids and geometries differ in number");
    }
    // One table of every id: where it is before and after (and duplicates found on the way).
    constexpr std::size_t unset = static_cast<std::size_t>(-1);
    std::unordered_map<std::string_view, std::pair<std::size_t, std::size_t>> by_id;
    by_id.reserve(std::max(before_ids.size(), after_ids.size()));
    bool repeated[2] = {false, false};
    for (std::size_t b = 0; b < before_ids.size(); ++b) {
        const auto [it, fresh] = by_id.try_emplace(before_ids[b], b, unset);
        repeated[0] = repeated[0] || !fresh;
    }
    for (std::size_t a = 0; a < after_ids.size(); ++a) {
        auto& slot = by_id.try_emplace(after_ids[a], unset, unset).first->second;
        repeated[1] = repeated[1] || slot.second != unset;
        slot.second = a;
    }
    for (int side = 0; side < 2; ++side) {
        if (repeated[side]) {
            const auto& ids = side == 0 ? before_ids : after_ids;
            throw InputError(
                "duplicate " + options.noun + " ids " + (side == 0 ? "before" : "after") + ": " +
                detail::describe_duplicates(
                    ids.size(), [&ids](std::size_t i) -> std::string_view { return ids[i]; }));
        }
    }
    const detail::GeosContext geos;
    auto area_of = [](const MultiPolygon& g) { return std::abs(bg::area(g)); };
    auto shared_area = [&geos](const MultiPolygon& a, const MultiPolygon& b) {
        const auto ga = geos.from(a);
        const auto gb = geos.from(b);
        return geos.area(geos.intersection(ga.get(), gb.get()).get());
    };

    ParcelMatch m;
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    m.group_of_before.assign(before.size(), none);
    m.group_of_after.assign(after.size(), none);

    // 1. By id, in before order.
    std::vector<std::size_t> partner(before_ids.size(), unset);
    for (const auto& [id, where] : by_id) {
        if (where.first != unset) {
            partner[where.first] = where.second;
        }
    }
    by_id = {};
    for (std::size_t b = 0; b < before_ids.size(); ++b) {
        const std::size_t a = partner[b];
        if (a == unset) {
            continue;
        }
        if (detail::same_coordinates(*before[b], *after[a])) {
            m.group_of_before[b] = m.group_of_after[a] = m.groups.size();
            m.groups.push_back({ParcelChange::unchanged, {b}, {a}, true});
            continue;
        }
        const double ab = area_of(*before[b]);
        const double aa = area_of(*after[a]);
        const double sym = std::max(0.0, ab + aa - 2.0 * shared_area(*before[b], *after[a]));
        const bool reshaped = sym > options.reshape_min_m2 &&
                              sym > options.reshape_min_share * std::max(ab, aa);
        m.group_of_before[b] = m.group_of_after[a] = m.groups.size();
        m.groups.push_back({reshaped ? ParcelChange::reshaped : ParcelChange::unchanged, {b}, {a}});
    }

    // 2. The rest, by shared area: an R-tree over the unmatched after parcels.
    std::vector<std::size_t> rest_before;
    std::vector<std::size_t> rest_after;
    for (std::size_t b = 0; b < before.size(); ++b) {
        if (m.group_of_before[b] == none) {
            rest_before.push_back(b);
        }
    }
    for (std::size_t a = 0; a < after.size(); ++a) {
        if (m.group_of_after[a] == none) {
            rest_after.push_back(a);
        }
    }
    using Entry = std::pair<Box, std::size_t>;
    std::vector<Entry> entries;
    entries.reserve(rest_after.size());
    for (std::size_t i = 0; i < rest_after.size(); ++i) {
        entries.emplace_back(bg::return_envelope<Box>(*after[rest_after[i]]), i);
    }
    const bgi::rtree<Entry, bgi::rstar<16>> tree(entries.begin(), entries.end());
    // Nodes: rest_before[0..nb), then rest_after.
    const std::size_t nb = rest_before.size();
    Components comp(nb + rest_after.size());
    std::vector<bool> linked(nb + rest_after.size(), false);
    // The after parcels each before parcel links to, found on `threads` threads; joined in
    // order below, so the groups do not depend on the thread count.
    std::vector<std::vector<std::size_t>> links(nb);
    struct Worker {
        detail::GeosContext geos;
        std::vector<std::size_t> hits;
    };
    detail::parallel_for(
        nb, detail::worker_count(options.threads), 64, [] { return Worker(); },
        [&](Worker& w, std::size_t i) {
        const MultiPolygon& g = *before[rest_before[i]];
        const Box box = bg::return_envelope<Box>(g);
        w.hits.clear();
        for (auto it = tree.qbegin(bgi::intersects(box)); it != tree.qend(); ++it) {
            w.hits.push_back(it->second);
        }
        std::sort(w.hits.begin(), w.hits.end());
        const double ab = area_of(g);
        detail::GeomPtr gg;
        detail::PreparedPtr prepared;
        for (const std::size_t j : w.hits) {
            const MultiPolygon& h = *after[rest_after[j]];
            const double ah = area_of(h);
            const double smaller = std::min(ab, ah);
            if (smaller <= 0.0) {
                continue;
            }
            // The boxes' common area bounds the shared area: neighbours that only touch or
            // overlap a little need no overlay.
            const Box& hb = entries[j].first;
            const double overlap_x = std::min(box.max_corner().x(), hb.max_corner().x()) -
                                     std::max(box.min_corner().x(), hb.min_corner().x());
            const double overlap_y = std::min(box.max_corner().y(), hb.max_corner().y()) -
                                     std::max(box.min_corner().y(), hb.min_corner().y());
            const double threshold = options.match_share * smaller;
            if (overlap_x <= 0.0 || overlap_y <= 0.0 || overlap_x * overlap_y < threshold) {
                continue;
            }
            if (!gg) {
                gg = w.geos.from(g);
                prepared = w.geos.prepare(gg.get());
            }
            const auto gh = w.geos.from(h);
            // A part of a split lies inside its parcel: no overlay either.
            const double shared = w.geos.prepared_covers(prepared.get(), gh.get())
                                      ? ah
                                      : w.geos.area(w.geos.intersection(gg.get(), gh.get()).get());
            if (shared >= threshold) {
                links[i].push_back(j);
            }
        }
        });
    for (std::size_t i = 0; i < nb; ++i) {
        for (const std::size_t j : links[i]) {
            comp.join(i, nb + j);
            linked[i] = linked[nb + j] = true;
        }
    }

    // 3. Groups by connectivity, in the order of their first before parcel.
    const std::size_t first_linked = m.groups.size();
    std::map<std::size_t, std::size_t> group_of_root;
    for (std::size_t i = 0; i < nb; ++i) {
        if (!linked[i]) {
            continue;
        }
        const std::size_t root = comp.find(i);
        auto [it, fresh] = group_of_root.emplace(root, m.groups.size());
        if (fresh) {
            m.groups.emplace_back();
        }
        m.groups[it->second].before.push_back(rest_before[i]);
        m.group_of_before[rest_before[i]] = it->second;
    }
    for (std::size_t j = 0; j < rest_after.size(); ++j) {
        if (!linked[nb + j]) {
            continue;
        }
        const std::size_t g = group_of_root.at(comp.find(nb + j));
        m.groups[g].after.push_back(rest_after[j]);
        m.group_of_after[rest_after[j]] = g;
    }
    for (std::size_t g = first_linked; g < m.groups.size(); ++g) {
        MatchGroup& group = m.groups[g];
        const bool one_before = group.before.size() == 1;
        const bool one_after = group.after.size() == 1;
        group.change = one_before ? (one_after ? ParcelChange::renumbered : ParcelChange::split)
                                  : (one_after ? ParcelChange::merged : ParcelChange::reparcelled);
    }
    for (std::size_t i = 0; i < nb; ++i) {
        if (!linked[i]) {
            m.group_of_before[rest_before[i]] = m.groups.size();
            m.groups.push_back({ParcelChange::retired, {rest_before[i]}, {}});
        }
    }
    for (std::size_t j = 0; j < rest_after.size(); ++j) {
        if (!linked[nb + j]) {
            m.group_of_after[rest_after[j]] = m.groups.size();
            m.groups.push_back({ParcelChange::added, {}, {rest_after[j]}});
        }
    }
    for (const auto& g : m.groups) {
        if (g.change != ParcelChange::added) {
            m.before_counts[g.change] += g.before.size();
        }
        if (g.change != ParcelChange::retired) {
            m.after_counts[g.change] += g.after.size();
        }
    }
    return m;
}

std::string match_reconciliation(const ParcelMatch& match, bool before) {
    const auto& counts = before ? match.before_counts : match.after_counts;
    std::size_t total = 0;
    std::string parts;
    for (int c = 0; c <= static_cast<int>(ParcelChange::retired); ++c) {
        const auto change = static_cast<ParcelChange>(c);
        if (change == (before ? ParcelChange::added : ParcelChange::retired)) {
            continue;
        }
        const auto it = counts.find(change);
        const std::size_t n = it == counts.end() ? 0 : it->second;
        total += n;
        if (n > 0) {
            parts += std::string(parts.empty() ? "" : " + ") + parcel_change_name(change) + " " +
                     std::to_string(n);
        }
    }
    return std::string(before ? "before " : "after ") + std::to_string(total) + " = " +
           (parts.empty() ? "0" : parts);
}

}  // namespace spaceuse
