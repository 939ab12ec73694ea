#include "follow_up_flags.hpp"

#include "describe.hpp"

namespace spaceuse::cli {

void FollowUpFlags::add(CLI::App& sub, bool with_threads) {
    range_param(sub.add_option("--match-share", match_share,
                               "Parcels of other ids link when they share at least this share of "
                               "the smaller one (default 0.5)"),
                0.0, 1.0, false, "fraction");
    default_param(sub.get_option("--match-share"), std::to_string(match_share));
    sub.add_option("--issue-date-field", issue_date_field,
                   "Field of the later survey's parcel inputs holding the date each parcel was "
                   "issued (take-up per year from it; default: the diff's take-up over the "
                   "interval)");
    advanced(
        sub.add_option("--issue-date-where", issue_date_where,
                       "OGR SQL filter on the later parcels' attributes: only parcels it selects "
                       "count as issued (e.g. \"status = 'issued'\")"));
    range_param(sub.add_option("--supply-years", supply_years,
                               "Years of supply use the mean annual take-up of the last N years "
                               "(issue dates; default 5)"),
                1, 100, true, "years");
    default_param(sub.get_option("--supply-years"), std::to_string(supply_years));
    if (with_threads) {
        advanced(range_param(sub.add_option("--threads", threads,
                                            "Threads for the overlays (default: one per core)"),
                             1, 1024, true));
    }
}

void FollowUpFlags::apply(DiffOptions& options) const {
    options.match.match_share = match_share;
    options.issue_date_field = issue_date_field;
    options.issue_date_where = issue_date_where;
    options.supply_years = supply_years;
    if (threads > 0) {
        options.threads = static_cast<unsigned>(threads);
        options.match.threads = options.threads;
    }
}

}  // namespace spaceuse::cli
