#include "../util/date.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#ifndef SPACEUSE_SOURCE_DATA_DIR
#define SPACEUSE_SOURCE_DATA_DIR ""
#endif
#ifndef SPACEUSE_INSTALL_DATA_DIR
#define SPACEUSE_INSTALL_DATA_DIR ""
#endif

namespace spaceuse {

namespace {

namespace fs = std::filesystem;

class TableReader {
public:
    TableReader(const toml::table& table, std::string file, std::string section)
        : m_table(table), m_file(std::move(file)), m_section(std::move(section)) {}

    std::string where(const std::string& key) const {
        return m_file + ": [" + m_section + "] key '" + key + "'";
    }

    void check_keys(const std::set<std::string>& known) const {
        for (const auto& [key, node] : m_table) {
            const std::string k(key.str());
            if (known.count(k) == 0) {
                std::string list;
                for (const auto& n : known) {
                    list += (list.empty() ? "" : ", ") + n;
                }
                throw ConfigError(where(k) + " is unknown (known: " + list + ")");
            }
        }
    }

    std::string text(const std::string& key, const std::string& fallback = {}) const {
        const auto* node = m_table.get(key);
        if (node == nullptr) {
            return fallback;
        }
        if (auto v = node->value<std::string>()) {
            return *v;
        }
        throw ConfigError(where(key) + " must be a string");
    }

    std::optional<double> number(const std::string& key) const {
        const auto* node = m_table.get(key);
        if (node == nullptr) {
            return std::nullopt;
        }
        if (auto v = node->value<double>()) {
            return *v;
        }
        throw ConfigError(where(key) + " must be a number");
    }

    bool boolean(const std::string& key, bool fallback) const {
        const auto* node = m_table.get(key);
        if (node == nullptr) {
            return fallback;
        }
        if (auto v = node->value<bool>()) {
            return *v;
        }
        throw ConfigError(where(key) + " must be true or false");
    }

private:
    const toml::table& m_table;
    std::string m_file;
    std::string m_section;
};

const toml::table& section(const toml::table& root, const std::string& name,
                           const std::string& file) {
    static const toml::table empty;
    const auto* node = root.get(name);
    if (node == nullptr) {
        return empty;
    }
    const auto* table = node->as_table();
    if (table == nullptr) {
        throw ConfigError(file + ": '" + name + "' must be a table ([" + name + "])");
    }
    return *table;
}

std::string resolve_input(const std::string& spec, const fs::path& base) {
    if (spec.empty() || spec.rfind("PG:", 0) == 0 || spec.rfind("/vsi", 0) == 0 ||
        fs::path(spec).is_absolute()) {
        return spec;
    }
    return (base / spec).lexically_normal().string();
}

/// An option value from a TOML value: a string, integer, real, boolean, or a list of strings or
/// of numbers.
RawOption raw_option(const toml::node& value, const std::string& where) {
    if (auto sv = value.value_exact<std::string>()) {
        return *sv;
    }
    if (auto iv = value.value_exact<std::int64_t>()) {
        return *iv;
    }
    if (auto dv = value.value_exact<double>()) {
        return *dv;
    }
    if (auto bv = value.value_exact<bool>()) {
        return *bv;
    }
    if (const auto* arr = value.as_array()) {
        std::vector<std::string> texts;
        std::vector<double> numbers;
        for (const auto& item : *arr) {
            if (auto s = item.value_exact<std::string>()) {
                texts.push_back(*s);
            } else if (auto n = item.value<double>()) {
                numbers.push_back(*n);
            } else {
                throw ConfigError(where + " must hold strings or numbers");
            }
        }
        if (!texts.empty() && !numbers.empty()) {
            throw ConfigError(where + " mixes strings and numbers");
        }
        if (!numbers.empty()) {
            return numbers;
        }
        return texts;
    }
    throw ConfigError(where + " must be a string, number, boolean or list");
}

MetricRun metric_run(const toml::table& table, const std::string& name, const std::string& where,
                     const std::string& base_dir) {
    MetricRun run;
    run.name = name;
    run.where = where;
    run.base_dir = base_dir;
    for (const auto& [okey, value] : table) {
        const std::string option(okey.str());
        run.options[option] = raw_option(value, where + " key '" + option + "'");
    }
    return run;
}

/// Output file name of a document section: a plain file name with one of the extensions.
std::string document_file(const TableReader& t, const std::string& fallback,
                          const std::set<std::string>& extensions) {
    const std::string file = t.text("file", fallback);
    const fs::path p(file);
    if (file.empty() || p.has_parent_path() || extensions.count(p.extension().string()) == 0) {
        std::string list;
        for (const auto& e : extensions) {
            list += (list.empty() ? "" : ", ") + e;
        }
        throw ConfigError(t.where("file") +
                          " must be a file name (written in the output folder) "
                          "ending in " +
                          list);
    }
    return file;
}

/// `since` (one path or a list, relative to the project file's folder) and the comparison's
/// options of a [report] or [view] section.
FollowUpOptions follow_up_options(const toml::table& table, const TableReader& t,
                                  const std::string& path) {
    FollowUpOptions f;
    const auto* since = table.get("since");
    if (since == nullptr) {
        return f;
    }
    auto add = [&](const toml::node& n) {
        const auto v = n.value<std::string>();
        if (!v || v->empty()) {
            throw ConfigError(t.where("since") +
                              " must be a results folder (or spaceuse.gpkg) or a list of them");
        }
        const fs::path p(*v);
        f.since.push_back(
            p.is_absolute() ? *v : (fs::path(path).parent_path() / p).lexically_normal().string());
    };
    if (const auto* arr = since->as_array()) {
        for (const auto& item : *arr) {
            add(item);
        }
    } else {
        add(*since);
    }
    f.diff.issue_date_field = t.text("issue_date_field");
    f.diff.issue_date_where = t.text("issue_date_where");
    f.diff.match.match_share = t.number("match_share").value_or(f.diff.match.match_share);
    f.diff.supply_years = static_cast<int>(t.number("supply_years").value_or(5));
    if (!(f.diff.match.match_share > 0.0 && f.diff.match.match_share <= 1.0)) {
        throw ConfigError(t.where("match_share") + " must be in (0, 1]");
    }
    if (f.diff.supply_years < 1) {
        throw ConfigError(t.where("supply_years") + " must be at least 1");
    }
    return f;
}

void load_document_sections(const toml::table& root, const std::string& path, DocumentSettings& d) {
    if (root.get("map") != nullptr) {
        const toml::table& table = section(root, "map", path);
        TableReader t(table, path, "map");
        t.check_keys({"file", "zone", "field", "classification", "classes", "breaks", "width",
                      "height", "dpi", "title", "since", "issue_date_field", "issue_date_where",
                      "match_share", "supply_years"});
        MapOptions o;
        o.zone = t.text("zone");
        o.field = t.text("field");
        o.classification = t.text("classification", o.classification);
        o.classes = static_cast<int>(t.number("classes").value_or(o.classes));
        if (const auto* b = table.get("breaks")) {
            const auto* arr = b->as_array();
            if (arr == nullptr) {
                throw ConfigError(t.where("breaks") + " must be a list of numbers");
            }
            for (const auto& item : *arr) {
                auto v = item.value<double>();
                if (!v) {
                    throw ConfigError(t.where("breaks") + " must hold numbers");
                }
                o.breaks.push_back(*v);
            }
        }
        o.width_px = static_cast<int>(t.number("width").value_or(o.width_px));
        o.height_px = static_cast<int>(t.number("height").value_or(o.height_px));
        o.dpi = t.number("dpi").value_or(o.dpi);
        o.title = t.text("title");
        o.follow_up = follow_up_options(table, t, path);
        d.map.emplace(document_file(t, "map.png", {".png", ".svg", ".pdf"}), o);
    }
    if (root.get("report") != nullptr) {
        const toml::table& table = section(root, "report", path);
        TableReader t(table, path, "report");
        t.check_keys({"file", "paper", "landscape", "title", "since", "issue_date_field",
                      "issue_date_where", "match_share", "supply_years"});
        ReportOptions o;
        o.paper = t.text("paper", o.paper);
        if (o.paper != "A4" && o.paper != "A3") {
            throw ConfigError(t.where("paper") + " must be \"A4\" or \"A3\"");
        }
        o.landscape = t.boolean("landscape", false);
        o.title = t.text("title");
        o.follow_up = follow_up_options(table, t, path);
        d.report.emplace(document_file(t, "report.pdf", {".pdf"}), o);
    }
    if (root.get("view") != nullptr) {
        const toml::table& table = section(root, "view", path);
        TableReader t(table, path, "view");
        t.check_keys({"file", "title", "since", "issue_date_field", "issue_date_where",
                      "match_share", "supply_years"});
        ViewOptions o;
        o.title = t.text("title");
        o.follow_up = follow_up_options(table, t, path);
        d.view.emplace(document_file(t, "viewer.html", {".html"}), o);
    }
}

}  // namespace

std::string default_project_path() {
    for (const char* dir : {SPACEUSE_SOURCE_DATA_DIR, SPACEUSE_INSTALL_DATA_DIR}) {
        if (*dir != '\0') {
            const fs::path p = fs::path(dir) / "heverlee.toml";
            if (fs::exists(p)) {
                return p.string();
            }
        }
    }
    throw ConfigError("no project file given and the bundled sample project (heverlee.toml) "
                      "was not found");
}

Study load_project(const std::string& path) {
    if (!fs::exists(path)) {
        throw InputError("project file not found").set_source(path);
    }
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        std::ostringstream os;
        os << path << ":" << e.source().begin.line << ": " << e.description();
        throw ConfigError(os.str());
    }
    for (const auto& [key, node] : root) {
        const std::string k(key.str());
        static const std::set<std::string> known = {
            "project", "layers",  "occupancy", "access", "definitions", "scenarios",
            "export",  "metrics", "map",       "report", "view",        "publish"};
        if (known.count(k) == 0) {
            throw ConfigError(
                path + ": section [" + k +
                "] is unknown (known: project, layers, occupancy, access, definitions, "
                "scenarios, export, metrics, map, report, view, publish)");
        }
    }
    const fs::path base = fs::path(path).parent_path();
    Study study;
    study.invoked_as = "spaceuse run " + path;
    study.base_dir = base.string();

    TableReader project(section(root, "project", path), path, "project");
    project.check_keys({"name", "output", "crs", "assume_crs", "overwrite", "threads", "precision",
                        "plugins", "sources", "data_date", "osm", "survey_date"});
    study.documents.sources = project.text("sources");
    study.documents.data_date = project.text("data_date");
    study.survey_date = project.text("survey_date");
    if (!study.survey_date.empty() && !detail::is_iso_date(study.survey_date)) {
        throw ConfigError(path + ": [project] survey_date must be a date YYYY-MM-DD, not '" +
                          study.survey_date + "'");
    }
    study.documents.osm = project.boolean("osm", false);
    study.name = project.text("name", fs::path(path).stem().string());
    study.output_dir = project.text("output");
    if (study.output_dir.empty()) {
        throw ConfigError(path + ": [project] key 'output' (the output folder) is required");
    }
    study.load.crs = project.text("crs");
    study.load.assume_crs = project.text("assume_crs");
    study.write.overwrite = project.boolean("overwrite", false);
    if (auto t = project.number("threads")) {
        if (*t < 0) {
            throw ConfigError(project.where("threads") + " must be >= 0");
        }
        study.threads = static_cast<unsigned>(*t);
    }
    if (auto p = project.number("precision")) {
        if (*p < 0 || *p > 15) {
            throw ConfigError(project.where("precision") + " must be 0..15");
        }
        study.write.precision = static_cast<int>(*p);
    }

    if (const auto* plugins = section(root, "project", path).get("plugins")) {
        const auto* arr = plugins->as_array();
        if (arr == nullptr) {
            throw ConfigError(project.where("plugins") + " must be a list of plugin paths");
        }
        for (const auto& item : *arr) {
            auto v = item.value<std::string>();
            if (!v) {
                throw ConfigError(project.where("plugins") + " must hold strings");
            }
            study.plugins.push_back(resolve_input(*v, base));
        }
    }

    // [layers.<role>]: any role. A role with several sources is a list of tables
    // ([[layers.facilities]]); `<role>_2`, `<role>_3`... next to `<role>` are further sources of
    // it.
    const toml::table& layers = section(root, "layers", path);
    std::vector<std::pair<std::string, const toml::table*>> layer_tables;
    for (const auto& [key, node] : layers) {
        const std::string role(key.str());
        if (const auto* arr = node.as_array()) {
            for (const auto& item : *arr) {
                const auto* table = item.as_table();
                if (table == nullptr) {
                    throw ConfigError(path + ": layers." + role +
                                      " must be a table or a list of "
                                      "tables ([[layers." +
                                      role + "]])");
                }
                layer_tables.emplace_back(role, table);
            }
            continue;
        }
        const auto* table = node.as_table();
        if (table == nullptr) {
            throw ConfigError(path + ": layers." + role + " must be a table");
        }
        layer_tables.emplace_back(role, table);
    }
    // Sources of one role in order: `<role>`, then `<role>_2`, `<role>_3`...
    auto base_role = [&layers](const std::string& role) -> std::pair<std::string, int> {
        static const std::regex numbered(R"((.+)_([2-9]|[1-9][0-9]))");
        std::smatch m;
        if (std::regex_match(role, m, numbered) && layers.get(m.str(1)) != nullptr) {
            return {m.str(1), std::stoi(m.str(2))};
        }
        return {role, 1};
    };
    // Roles in the order the table gives them (TOML tables are ordered by key), each role's
    // sources in number order.
    std::map<std::string, std::size_t> first_seen;
    for (std::size_t i = 0; i < layer_tables.size(); ++i) {
        first_seen.emplace(base_role(layer_tables[i].first).first, i);
    }
    std::stable_sort(layer_tables.begin(), layer_tables.end(), [&](const auto& a, const auto& b) {
        const auto ra = base_role(a.first);
        const auto rb = base_role(b.first);
        return std::pair(first_seen[ra.first], ra.second) <
               std::pair(first_seen[rb.first], rb.second);
    });
    for (const auto& [key, table] : layer_tables) {
        const std::string role = base_role(key).first;
        TableReader lr(*table, path, "layers." + key);
        lr.check_keys({"source", "layer", "id_field", "where", "geometry"});
        const std::string source = lr.text("source");
        if (source.empty()) {
            throw ConfigError(lr.where("source") + " is required");
        }
        StudyLayer l;
        l.role = role;
        l.source = parse_layer_source(resolve_input(source, base));
        l.given = source;
        const std::string layer = lr.text("layer");
        if (!layer.empty()) {
            l.source.layer = layer;
            l.given += ":" + layer;
        }
        l.source.id_field = lr.text("id_field");
        l.source.where = lr.text("where");
        const std::string geometry = lr.text("geometry");
        if (geometry == "polygon") {
            l.geometry = GeometryFamily::polygon;
        } else if (geometry == "line") {
            l.geometry = GeometryFamily::line;
        } else if (geometry == "point") {
            l.geometry = GeometryFamily::point;
        } else if (!geometry.empty()) {
            throw ConfigError(lr.where("geometry") + " must be \"polygon\", \"line\" or \"point\"");
        }
        study.layers.push_back(std::move(l));
    }

    // [occupancy], [access], [definitions] and [scenarios] are the options of those metrics, as
    // [metrics.occupancy], [metrics.access]... would be.
    for (const char* name : {"occupancy", "access", "definitions", "scenarios"}) {
        if (root.get(name) != nullptr) {
            study.metrics.push_back(metric_run(section(root, name, path), name,
                                               path + ": [" + name + "]", base.string()));
        }
    }
    if (root.get("export") != nullptr) {
        const toml::table& table = section(root, "export", path);
        TableReader exp(table, path, "export");
        exp.check_keys({"formats", "geojson_crs", "styles", "gpkg", "snapshot"});
        if (const auto* node = table.get("formats")) {
            study.exports.formats.clear();
            auto add = [&](const toml::node& item) {
                auto v = item.value<std::string>();
                if (!v) {
                    throw ConfigError(exp.where("formats") + " must hold format names");
                }
                try {
                    study.exports.formats.push_back(parse_export_format(*v));
                } catch (const ConfigError& e) {
                    throw ConfigError(exp.where("formats") + ": " + e.what());
                }
            };
            if (const auto* arr = node->as_array()) {
                for (const auto& item : *arr) {
                    add(item);
                }
            } else {
                add(*node);
            }
            if (study.exports.formats.empty()) {
                throw ConfigError(exp.where("formats") + " must name at least one format");
            }
        }
        const std::string crs = exp.text("geojson_crs", "wgs84");
        if (crs != "wgs84" && crs != "native") {
            throw ConfigError(exp.where("geojson_crs") + " must be \"wgs84\" or \"native\"");
        }
        study.exports.geojson_native_crs = crs == "native";
        study.exports.styles = exp.boolean("styles", true);
        study.snapshot = exp.boolean("snapshot", true);
        study.exports.gpkg_name = exp.text("gpkg", "spaceuse.gpkg");
        if (study.exports.gpkg_name.empty() ||
            fs::path(study.exports.gpkg_name).filename() != study.exports.gpkg_name) {
            throw ConfigError(exp.where("gpkg") + " must be a plain file name");
        }
    }
    // [metrics.<name>]: any registered metric with its options, checked against the metric's
    // declarations when the study is planned (plugins are loaded then).
    for (const auto& [key, node] : section(root, "metrics", path)) {
        const std::string name(key.str());
        const auto* table = node.as_table();
        if (table == nullptr) {
            throw ConfigError(path + ": metrics." + name + " must be a table ([metrics." + name +
                              "])");
        }
        if (study.find_metric(name) != nullptr) {
            throw ConfigError(path + ": [metrics." + name + "] repeats [" + name + "]");
        }
        study.metrics.push_back(
            metric_run(*table, name, path + ": [metrics." + name + "]", base.string()));
    }
    load_document_sections(root, path, study.documents);
    return study;
}

}  // namespace spaceuse
