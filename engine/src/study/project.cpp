#include <spaceuse/error.hpp>
#include <spaceuse/study.hpp>

#include <toml++/toml.h>

#include <filesystem>
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
        throw ConfigError(t.where("file") + " must be a file name (written in the output folder) "
                                            "ending in " + list);
    }
    return file;
}

void load_document_sections(const toml::table& root, const std::string& path, DocumentSettings& d) {
    if (root.get("map") != nullptr) {
        const toml::table& table = section(root, "map", path);
        TableReader t(table, path, "map");
        t.check_keys({"file", "zone", "field", "classification", "classes", "breaks", "width",
                      "height", "dpi", "title"});
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
        d.map.emplace(document_file(t, "map.png", {".png", ".svg", ".pdf"}), o);
    }
    if (root.get("report") != nullptr) {
        TableReader t(section(root, "report", path), path, "report");
        t.check_keys({"file", "paper", "landscape", "title"});
        ReportOptions o;
        o.paper = t.text("paper", o.paper);
        if (o.paper != "A4" && o.paper != "A3") {
            throw ConfigError(t.where("paper") + " must be \"A4\" or \"A3\"");
        }
        o.landscape = t.boolean("landscape", false);
        o.title = t.text("title");
        d.report.emplace(document_file(t, "report.pdf", {".pdf"}), o);
    }
    if (root.get("view") != nullptr) {
        TableReader t(section(root, "view", path), path, "view");
        t.check_keys({"file", "title"});
        ViewOptions o;
        o.title = t.text("title");
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
        static const std::set<std::string> known = {"project", "layers", "occupancy", "access",
                                                    "export", "metrics", "map", "report", "view"};
        if (known.count(k) == 0) {
            throw ConfigError(path + ": section [" + k +
                              "] is unknown (known: project, layers, occupancy, access, export, "
                              "metrics, map, report, view)");
        }
    }
    const fs::path base = fs::path(path).parent_path();
    Study study;
    study.invoked_as = "spaceuse run " + path;

    TableReader project(section(root, "project", path), path, "project");
    project.check_keys({"name", "output", "crs", "assume_crs", "overwrite", "threads", "precision",
                        "plugins", "sources", "data_date", "osm"});
    study.documents.sources = project.text("sources");
    study.documents.data_date = project.text("data_date");
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

    const toml::table& layers = section(root, "layers", path);
    const std::set<std::string> roles = {"zones",        "parcels",      "buildings",
                                         "roads",        "facilities",   "facilities_2",
                                         "facilities_3", "facilities_4", "opportunities",
                                         "constraints"};
    for (const auto& [key, node] : layers) {
        const std::string role(key.str());
        if (roles.count(role) == 0) {
            throw ConfigError(path + ": [layers." + role +
                              "] is unknown (known: zones, parcels, buildings, roads, facilities, "
                              "facilities_2..4, opportunities, constraints)");
        }
        const auto* table = node.as_table();
        if (table == nullptr) {
            throw ConfigError(path + ": layers." + role + " must be a table");
        }
        TableReader lr(*table, path, "layers." + role);
        lr.check_keys({"source", "layer", "id_field", "where"});
        const std::string source = lr.text("source");
        if (source.empty()) {
            throw ConfigError(lr.where("source") + " is required");
        }
        LayerSource ls = parse_layer_source(resolve_input(source, base));
        const std::string layer = lr.text("layer");
        if (!layer.empty()) {
            ls.layer = layer;
        }
        ls.id_field = lr.text("id_field");
        ls.where = lr.text("where");
        study.layers.emplace_back(role, ls);
    }

    if (root.get("occupancy") != nullptr) {
        TableReader occ(section(root, "occupancy", path), path, "occupancy");
        occ.check_keys({"profile", "zone_name_field", "floors_field", "height_field",
                        "status_field", "status_map", "storey_height_m", "setback_m",
                        "min_free_area_m2", "min_free_width_m", "vacant_below",
                        "underused_below", "free_space"});
        OccupancySettings s;
        s.profile = occ.text("profile", "default");
        if (s.profile.size() > 5 && s.profile.substr(s.profile.size() - 5) == ".toml") {
            s.profile = resolve_input(s.profile, base);
        }
        s.zone_name_field = occ.text("zone_name_field");
        s.floors_field = occ.text("floors_field");
        s.height_field = occ.text("height_field");
        s.status_field = occ.text("status_field");
        s.status_map = occ.text("status_map");
        s.storey_height_m = occ.number("storey_height_m");
        s.setback_m = occ.number("setback_m");
        s.min_free_area_m2 = occ.number("min_free_area_m2");
        s.min_free_width_m = occ.number("min_free_width_m");
        s.vacant_below = occ.number("vacant_below");
        s.underused_below = occ.number("underused_below");
        s.free_space = occ.boolean("free_space", true);
        study.occupancy = s;
    }
    if (root.get("export") != nullptr) {
        const toml::table& table = section(root, "export", path);
        TableReader exp(table, path, "export");
        exp.check_keys({"formats", "geojson_crs", "styles", "gpkg"});
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
        study.exports.gpkg_name = exp.text("gpkg", "spaceuse.gpkg");
        if (study.exports.gpkg_name.empty() ||
            fs::path(study.exports.gpkg_name).filename() != study.exports.gpkg_name) {
            throw ConfigError(exp.where("gpkg") + " must be a plain file name");
        }
    }
    if (root.get("access") != nullptr) {
        const toml::table& table = section(root, "access", path);
        TableReader acc(table, path, "access");
        acc.check_keys({"origins", "facility_field", "facility_kind", "kinds", "profile",
                        "access_point", "max_snap_m", "snap_tolerance_m", "speeds", "speed_field",
                        "class_field", "oneway_field", "isochrones", "isochrone_buffer_m",
                        "opportunities_weight", "opportunities_min"});
        AccessSettings a;
        a.origins = acc.text("origins", "parcels");
        auto list = [&](const std::string& key) {
            std::vector<std::string> out;
            const auto* node = table.get(key);
            if (node == nullptr) {
                return out;
            }
            if (auto v = node->value<std::string>()) {
                out.push_back(*v);
            } else if (const auto* arr = node->as_array()) {
                for (const auto& item : *arr) {
                    auto v2 = item.value<std::string>();
                    if (!v2) {
                        throw ConfigError(acc.where(key) + " must hold strings");
                    }
                    out.push_back(*v2);
                }
            } else {
                throw ConfigError(acc.where(key) + " must be a string or a list of strings");
            }
            return out;
        };
        a.facility_fields = list("facility_field");
        a.facility_kinds = list("facility_kind");
        a.kinds = list("kinds");
        a.profile = acc.text("profile", "car");
        a.access_point = acc.text("access_point", "centroid");
        a.max_snap_m = acc.number("max_snap_m").value_or(500.0);
        a.snap_tolerance_m = acc.number("snap_tolerance_m").value_or(0.0);
        const std::string speeds = acc.text("speeds");
        a.speeds_file = speeds.empty() ? speeds : resolve_input(speeds, base);
        a.speed_field = acc.text("speed_field");
        a.class_field = acc.text("class_field", "highway");
        a.oneway_field = acc.text("oneway_field", "oneway");
        if (const auto* node = table.get("isochrones")) {
            const auto* arr = node->as_array();
            if (arr == nullptr) {
                throw ConfigError(acc.where("isochrones") + " must be a list of minutes");
            }
            for (const auto& item : *arr) {
                auto v = item.value<double>();
                if (!v) {
                    throw ConfigError(acc.where("isochrones") + " must hold numbers");
                }
                a.isochrones_min.push_back(*v);
            }
        }
        a.isochrone_buffer_m = acc.number("isochrone_buffer_m").value_or(50.0);
        a.opportunities_weight = acc.text("opportunities_weight");
        a.opportunities_min = acc.number("opportunities_min").value_or(15.0);
        study.access = a;
    }
    // [metrics.<name>]: any registered metric with its options. Option names are checked
    // against the metric's declared options when the study runs (plugins are loaded then).
    for (const auto& [key, node] : section(root, "metrics", path)) {
        const std::string name(key.str());
        const auto* table = node.as_table();
        if (table == nullptr) {
            throw ConfigError(path + ": metrics." + name + " must be a table ([metrics." + name +
                              "])");
        }
        MetricRun run;
        run.name = name;
        run.where = path + ": [metrics." + name + "]";
        for (const auto& [okey, value] : *table) {
            const std::string option(okey.str());
            std::string text;
            if (auto sv = value.value_exact<std::string>()) {
                text = *sv;
            } else if (auto iv = value.value_exact<std::int64_t>()) {
                text = std::to_string(*iv);
            } else if (auto dv = value.value_exact<double>()) {
                std::ostringstream os;
                os.precision(17);
                os << *dv;
                text = os.str();
            } else if (auto bv = value.value_exact<bool>()) {
                text = *bv ? "true" : "false";
            } else if (const auto* arr = value.as_array()) {
                for (const auto& item : *arr) {
                    auto iv2 = item.value<std::string>();
                    if (!iv2) {
                        throw ConfigError(run.where + " key '" + option + "' must hold strings");
                    }
                    text += (text.empty() ? "" : ",") + *iv2;
                }
            } else {
                throw ConfigError(run.where + " key '" + option +
                                  "' must be a string, number, boolean or list of strings");
            }
            run.options[option] = text;
        }
        study.metrics.push_back(std::move(run));
    }
    load_document_sections(root, path, study.documents);
    return study;
}

}  // namespace spaceuse
