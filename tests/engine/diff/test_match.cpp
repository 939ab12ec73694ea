// Parcel matching between two surveys, on hand-drawn fixtures: one case per change class.

#include <spaceuse/diff.hpp>
#include <spaceuse/error.hpp>

#include <catch2/catch.hpp>

using namespace spaceuse;

namespace {

MultiPolygon rect(double x0, double y0, double x1, double y1) {
    Polygon p;
    p.outer() = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
    return MultiPolygon{p};
}

struct Side {
    std::vector<std::string> ids;
    std::vector<MultiPolygon> parcels;
    void add(const std::string& id, MultiPolygon g) {
        ids.push_back(id);
        parcels.push_back(std::move(g));
    }
};

/// The change of the group holding the before parcel `id`.
ParcelChange change_before(const ParcelMatch& m, const Side& s, const std::string& id) {
    const auto i = static_cast<std::size_t>(std::find(s.ids.begin(), s.ids.end(), id) -
                                            s.ids.begin());
    return m.groups.at(m.group_of_before.at(i)).change;
}
ParcelChange change_after(const ParcelMatch& m, const Side& s, const std::string& id) {
    const auto i = static_cast<std::size_t>(std::find(s.ids.begin(), s.ids.end(), id) -
                                            s.ids.begin());
    return m.groups.at(m.group_of_after.at(i)).change;
}

}  // namespace

TEST_CASE("parcels are matched by id, then by shared area, into one class each", "[diff]") {
    Side before;
    Side after;
    before.add("P1", rect(0, 0, 10, 10));  // unchanged
    after.add("P1", rect(0, 0, 10, 10));
    before.add("P11", rect(20, 40, 30, 50));  // 0.5 m² moved: below 1 m², unchanged
    after.add("P11", rect(20, 40, 30, 50.05));
    before.add("P2", rect(20, 0, 30, 10));  // 20 m² more: reshaped
    after.add("P2", rect(20, 0, 30, 12));
    before.add("P3", rect(40, 0, 50, 10));  // other id, same land: renumbered
    after.add("Q3", rect(40, 0, 50, 10));
    before.add("P4", rect(60, 0, 80, 10));  // split in two
    after.add("Q4a", rect(60, 0, 70, 10));
    after.add("Q4b", rect(70, 0, 80, 10));
    before.add("P5", rect(0, 20, 10, 30));  // two merged into one
    before.add("P6", rect(10, 20, 20, 30));
    after.add("Q5", rect(0, 20, 20, 30));
    // Two into two across each other: P8 shares 50 of its 100 m² with Q7 (exactly the share
    // of the smaller one, 0.5) and 50 with Q8 (all of Q8).
    before.add("P7", rect(30, 20, 40, 30));
    before.add("P8", rect(40, 20, 50, 30));
    after.add("Q7", rect(30, 20, 45, 30));
    after.add("Q8", rect(45, 20, 50, 30));
    before.add("P9", rect(60, 20, 70, 30));  // gone
    before.add("P10", rect(0, 40, 10, 50));  // overlaps Q10 by 10 % only: retired + new
    after.add("Q10", rect(9, 40, 19, 50));
    after.add("N1", rect(100, 100, 110, 110));  // new

    const ParcelMatch m = match_parcels(before.ids, before.parcels, after.ids, after.parcels);
    CHECK(change_before(m, before, "P1") == ParcelChange::unchanged);
    CHECK(change_before(m, before, "P11") == ParcelChange::unchanged);
    CHECK(change_before(m, before, "P2") == ParcelChange::reshaped);
    CHECK(change_before(m, before, "P3") == ParcelChange::renumbered);
    CHECK(change_after(m, after, "Q3") == ParcelChange::renumbered);
    CHECK(change_before(m, before, "P4") == ParcelChange::split);
    CHECK(change_after(m, after, "Q4a") == ParcelChange::split);
    CHECK(change_after(m, after, "Q4b") == ParcelChange::split);
    CHECK(change_before(m, before, "P5") == ParcelChange::merged);
    CHECK(change_before(m, before, "P6") == ParcelChange::merged);
    CHECK(change_after(m, after, "Q5") == ParcelChange::merged);
    CHECK(change_before(m, before, "P7") == ParcelChange::reparcelled);
    CHECK(change_before(m, before, "P8") == ParcelChange::reparcelled);
    CHECK(change_after(m, after, "Q7") == ParcelChange::reparcelled);
    CHECK(change_after(m, after, "Q8") == ParcelChange::reparcelled);
    CHECK(change_before(m, before, "P9") == ParcelChange::retired);
    CHECK(change_before(m, before, "P10") == ParcelChange::retired);
    CHECK(change_after(m, after, "Q10") == ParcelChange::added);
    CHECK(change_after(m, after, "N1") == ParcelChange::added);
    // The groups hold their parcels together: P4 with both halves, P7 and P8 with Q7 and Q8.
    const MatchGroup& split = m.groups[m.group_of_before[4]];
    CHECK(split.before == std::vector<std::size_t>{4});
    CHECK(split.after == std::vector<std::size_t>{4, 5});
    const MatchGroup& re = m.groups[m.group_of_before[7]];
    CHECK(re.before == std::vector<std::size_t>{7, 8});
    CHECK(re.after == std::vector<std::size_t>{7, 8});
    // Every parcel of both dates in exactly one class: the reconciliations.
    CHECK(match_reconciliation(m, true) ==
          "before 11 = unchanged 2 + reshaped 1 + renumbered 1 + split 1 + merged 2 + "
          "reparcelled 2 + retired 2");
    CHECK(match_reconciliation(m, false) ==
          "after 11 = unchanged 2 + reshaped 1 + renumbered 1 + split 2 + merged 1 + "
          "reparcelled 2 + new 2");

    // A stricter share: P8 no longer links with Q7 (50 of 100 m² < 0.6), so P7→Q7 is a
    // renumbering and P8→Q8 another.
    MatchOptions strict;
    strict.match_share = 0.6;
    const ParcelMatch s = match_parcels(before.ids, before.parcels, after.ids, after.parcels,
                                        strict);
    CHECK(change_before(s, before, "P7") == ParcelChange::renumbered);
    CHECK(change_before(s, before, "P8") == ParcelChange::renumbered);
}

TEST_CASE("a survey matched with itself is unchanged throughout", "[diff]") {
    Side s;
    for (int i = 0; i < 20; ++i) {
        s.add("P" + std::to_string(i), rect(i * 10.0, 0, i * 10.0 + 9, 9));
    }
    const ParcelMatch m = match_parcels(s.ids, s.parcels, s.ids, s.parcels);
    CHECK(m.groups.size() == 20);
    CHECK(m.before_counts == std::map<ParcelChange, std::size_t>{{ParcelChange::unchanged, 20}});
    CHECK(m.after_counts == m.before_counts);
    CHECK(match_reconciliation(m, true) == "before 20 = unchanged 20");
}

TEST_CASE("duplicate parcel ids within one date are an error listing them", "[diff]") {
    Side before;
    before.add("P1", rect(0, 0, 1, 1));
    before.add("P2", rect(1, 0, 2, 1));
    Side after;
    after.add("A", rect(0, 0, 1, 1));
    after.add("B", rect(1, 0, 2, 1));
    after.add("A", rect(2, 0, 3, 1));
    after.add("B", rect(3, 0, 4, 1));
    after.add("B", rect(4, 0, 5, 1));
    CHECK_THROWS_WITH(match_parcels(before.ids, before.parcels, after.ids, after.parcels),
                      "duplicate parcel ids after: A (2×), B (3×)");
    CHECK_THROWS_AS(match_parcels(before.ids, before.parcels, after.ids, after.parcels),
                    InputError);
    MatchOptions bad;
    bad.match_share = 0.0;
    CHECK_THROWS_AS(match_parcels(before.ids, before.parcels, before.ids, before.parcels, bad),
                    ConfigError);
}
