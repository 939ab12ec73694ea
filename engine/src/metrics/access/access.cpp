// Accessibility: the public entry points; compute_access runs the steps of access_steps.hpp.

#include "../../util/parallel.hpp"
#include "access_steps.hpp"

#include <spaceuse/access.hpp>
#include <spaceuse/error.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <stdexcept>

namespace spaceuse {

TravelProfile parse_travel_profile(const std::string& text) {
    if (text == "car") {
        return TravelProfile::car;
    }
    if (text == "walk") {
        return TravelProfile::walk;
    }
    if (text == "bike") {
        return TravelProfile::bike;
    }
    throw ConfigError("travel profile '" + text + "' is not car, walk or bike");
}

std::map<std::string, double> default_car_speeds() {
    return {{"motorway", 120},     {"motorway_link", 60},  {"trunk", 90},
            {"trunk_link", 50},    {"primary", 70},        {"primary_link", 50},
            {"secondary", 50},     {"secondary_link", 40}, {"tertiary", 50},
            {"tertiary_link", 40}, {"unclassified", 40},   {"residential", 30},
            {"living_street", 10}, {"service", 20},        {"track", 15},
            {"road", 30},          {"default", 30}};
}

std::map<std::string, double> load_speed_table(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw ConfigError("speed table not found: " + path);
    }
    std::map<std::string, double> table;
    std::string line;
    int number = 0;
    bool first = true;  // the first line that is not a comment may be a header
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const bool header_allowed = first;
        first = false;
        const auto comma = line.find(',');
        if (comma == std::string::npos) {
            throw ConfigError(path + ":" + std::to_string(number) + ": expected CLASS,KMH");
        }
        const std::string cls = line.substr(0, comma);
        char* end = nullptr;
        const std::string v = line.substr(comma + 1);
        const double kmh = std::strtod(v.c_str(), &end);
        if (end == v.c_str()) {
            if (header_allowed) {
                continue;  // header
            }
            throw ConfigError(path + ":" + std::to_string(number) + ": speed '" + v +
                              "' is not a number");
        }
        while (*end == ' ' || *end == '\t') {
            ++end;
        }
        if (*end != '\0') {
            throw ConfigError(path + ":" + std::to_string(number) + ": speed '" + v +
                              "' is not a number");
        }
        // strtod reads "inf", "nan" and overflows to infinity: none is a speed.
        if (!std::isfinite(kmh) || !(kmh > 0)) {
            throw ConfigError(path + ":" + std::to_string(number) + ": speed '" + v +
                              "' must be a finite number > 0 (km/h)");
        }
        table[cls] = kmh;
    }
    return table;
}

namespace {
const std::string no_text;
}  // namespace

const std::string& KindAccess::facility_id(std::size_t i) const {
    return reached(i) ? facility_ids[facility[i]] : no_text;
}

const std::string& OriginTexts::at(std::size_t origin) const {
    const auto it = std::lower_bound(
        m_texts.begin(), m_texts.end(), origin,
        [](const std::pair<std::size_t, std::string>& t, std::size_t o) { return t.first < o; });
    return it != m_texts.end() && it->first == origin ? it->second : no_text;
}

void OriginTexts::add(std::size_t origin, std::string text) {
    if (!m_texts.empty() && m_texts.back().first >= origin) {
        throw std::logic_error("OriginTexts::add: origins out of order");
    }
    m_texts.emplace_back(origin, std::move(text));
}

std::string AccessResult::reason(std::size_t k, std::size_t i) const {
    if (!snap_m[i]) {
        return unattached.at(i);
    }
    if (!kinds[k].reached(i)) {
        return "no '" + kinds[k].kind + "' reachable over the network";
    }
    return {};
}

std::string safe_field_name(const std::string& kind) {
    std::string out;
    for (unsigned char c : kind) {
        if (std::isalnum(c)) {
            out += static_cast<char>(std::tolower(c));
        } else if (!out.empty() && out.back() != '_') {
            out += '_';
        }
    }
    while (!out.empty() && out.back() == '_') {
        out.pop_back();
    }
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) {
        out = "k_" + out;
    }
    return out;
}

AccessResult compute_access(const Model& model, const AccessOptions& options,
                            const ProgressFn& progress_fn) {
    namespace steps = detail::access;
    Progress progress(progress_fn);
    progress.report(0.0, "building the road graph");
    const Layer& roads = steps::require_layer(model, options.network_layer, "network");
    if (roads.family != GeometryFamily::line) {
        throw ConfigError("accessibility: layer '" + roads.name + "' must hold lines");
    }
    const Layer& origins = steps::require_layer(model, options.origins_layer, "origins");
    if (options.facilities.empty()) {
        throw ConfigError("accessibility needs at least one facility layer");
    }
    const unsigned threads = detail::worker_count(options.threads);

    steps::Network net(roads, options, threads);
    const steps::Csr towards = steps::prepare_network(net, threads);
    AccessResult result;
    result.network = net.stats();
    progress.report(0.2, "attaching origins");
    const auto origin_at = steps::attach_origins(net, origins, options, threads, result);
    const auto facilities = steps::attach_facilities(model, options, net, threads);

    progress.report(0.25, "nearest facilities: searching the network");
    std::vector<KindAccess> kinds;
    const auto search = steps::search_kinds(net, towards, facilities, threads, kinds,
                                            result.warnings);
    progress.report(0.5, "nearest facilities: origins");
    steps::nearest_facilities(net, search, origin_at, result.access_points, threads, kinds);

    if (!options.isochrones_min.empty()) {
        progress.report(0.6, "isochrones");
    }
    result.isochrones = steps::isochrones(net, search, facilities.names, options, threads);
    result.kinds = std::move(kinds);

    if (!options.opportunities_layer.empty()) {
        progress.report(0.85, "cumulative opportunities");
        result.opportunities = steps::opportunities(model, net, origin_at, options, threads);
    }
    if (!options.zones_layer.empty()) {
        progress.report(0.95, "zone aggregates");
        result.zones = steps::zone_aggregates(model, origins, result, options, threads);
    }
    progress.report(1.0, "accessibility done");
    return result;
}

}  // namespace spaceuse
