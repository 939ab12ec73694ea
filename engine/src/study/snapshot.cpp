// The snapshot GeoPackage of a run and its reopening.
//
// Besides the result layers (with their QGIS styles) and tables, a snapshot holds the context
// layers the documents draw, in the analysis CRS, and two tables of its own:
//   spaceuse_snapshot (key, value): format_version, tool, manifest (the run.json text),
//     analysis_crs (JSON: name, code, wkt, geographic, projected, metric);
//   spaceuse_layers: one row per stored layer, in order: table_name, name, kind (result,
//     table or context), geometry (point, line, polygon or empty), fields (JSON: name,
//     column, type, decimals), source, source_layer, id_field.
// The parcels' context table holds their attributes only (no geometry: the parcels result layer
// has it, by source_fid = spaceuse_fid).
// Context layers keep the source feature id and identifier in spaceuse_fid and spaceuse_id, and
// their dates as text (so they come back as the model holds them); a field whose name the
// GeoPackage or those columns take is stored as field_<n>.

#include "snapshot.hpp"

#include "publish_detail.hpp"

#include "../export/gpkg.hpp"
#include "../io/gdal_util.hpp"
#include "../registry/builtin.hpp"
#include "../util/secrets.hpp"
#include "../util/text.hpp"

#include <spaceuse/error.hpp>

#include <gdal_priv.h>
#include <nlohmann/json.hpp>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>

namespace spaceuse {

namespace {

namespace fs = std::filesystem;

std::optional<GeometryFamily> family_from_text(const std::string& s) {
    if (s == "point") {
        return GeometryFamily::point;
    }
    if (s == "line") {
        return GeometryFamily::line;
    }
    if (s == "polygon") {
        return GeometryFamily::polygon;
    }
    return std::nullopt;
}

/// The geometry kind of a layer as it is written (nullopt: no geometry column).
std::optional<GeometryFamily> written_family(const OutputLayer& layer) {
    if (layer.geometry_source) {
        return layer.geometry_source->family;
    }
    if (!layer.has_geometry()) {
        return std::nullopt;
    }
    switch (layer.geometry(0).index()) {
    case 0:
        return GeometryFamily::point;
    case 1:
        return GeometryFamily::line;
    default:
        return GeometryFamily::polygon;
    }
}

FieldType field_type_from_text(const std::string& s, const std::string& where) {
    for (FieldType t : {FieldType::integer, FieldType::real, FieldType::string, FieldType::date}) {
        if (s == field_type_name(t)) {
            return t;
        }
    }
    throw InputError("unknown field type '" + s + "' in spaceuse_layers").set_source(where);
}

nlohmann::json layer_meta(const std::string& table, const OutputLayer& layer,
                          const std::string& kind) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : layer.fields) {
        fields.push_back({{"name", f.name},
                          {"column", f.name},
                          {"type", field_type_name(f.type)},
                          {"decimals", f.decimals}});
    }
    const auto family = written_family(layer);
    return {{"table", table},
            {"name", layer.name},
            {"kind", kind},
            {"geometry", family ? family_name(*family) : ""},
            {"fields", fields}};
}

/// A model layer as a table of the snapshot (its geometries shared, not copied). The parcels'
/// table holds their attributes only: their geometries are the parcels result layer's.
OutputLayer context_table(const std::shared_ptr<const Model>& model, const Layer& layer,
                          nlohmann::json& meta) {
    OutputLayer out;
    out.name = "context_" + layer.name;
    const bool geometry = layer.name != "parcels";
    if (geometry) {
        out.geometry_source = std::shared_ptr<const Layer>(model, &layer);
    }
    out.fields = {{"spaceuse_fid", FieldType::integer, -1}, {"spaceuse_id", FieldType::string, -1}};
    std::set<std::string> taken = {"fid", "geom", "spaceuse_fid", "spaceuse_id"};
    nlohmann::json fields = nlohmann::json::array();
    for (std::size_t i = 0; i < layer.fields.size(); ++i) {
        const Field& f = layer.fields[i];
        std::string column = f.name;
        for (int n = 1; column.empty() || taken.count(detail::lower(column)) > 0; ++n) {
            column = "field_" + std::to_string(i + 1) + (n > 1 ? "_" + std::to_string(n) : "");
        }
        taken.insert(detail::lower(column));
        // Dates as the model holds them (ISO 8601 text).
        out.fields.push_back({column, f.type == FieldType::date ? FieldType::string : f.type, -1});
        fields.push_back({{"name", f.name},
                          {"column", column},
                          {"type", field_type_name(f.type)},
                          {"decimals", -1}});
    }
    // The rows are a view of the model's features, which `model` keeps alive: a region's
    // parcels and buildings are not copied again as a table to be written.
    const Layer* source = &layer;
    out.rows.view(layer.features.size(), layer.fields.size() + 2,
                  [model, source](std::size_t i, std::vector<Value>& row) {
        const Feature& feature = source->features[i];
        row.reserve(feature.attributes.size() + 2);
        row.emplace_back(feature.fid);
        row.emplace_back(feature.id);
        row.insert(row.end(), feature.attributes.begin(), feature.attributes.end());
    });
    meta = {{"table", out.name},
            {"name", layer.name},
            {"kind", "context"},
            {"geometry", geometry ? family_name(layer.family) : ""},
            {"fields", fields},
            {"source", detail::without_secrets(layer.source)},
            {"source_layer", layer.source_layer},
            {"id_field", layer.id_field}};
    return out;
}

OutputLayer text_table(const std::string& name, const std::vector<std::string>& columns,
                       const std::vector<std::vector<std::string>>& rows) {
    OutputLayer t;
    t.name = name;
    for (const auto& c : columns) {
        t.fields.push_back({c, FieldType::string, -1});
    }
    for (const auto& r : rows) {
        std::vector<Value> row;
        for (const auto& v : r) {
            row.emplace_back(v);
        }
        t.rows.push_back(std::move(row));
    }
    return t;
}

nlohmann::json crs_json(const CrsInfo& crs) {
    return {{"name", crs.name},
            {"code", crs.code},
            {"wkt", crs.wkt},
            {"geographic", crs.geographic},
            {"projected", crs.projected},
            {"metric", crs.metric}};
}

// --- reading ---------------------------------------------------------------------------------

[[noreturn]] void bad(const std::string& what, const std::string& path) {
    throw InputError(what).set_source(path);
}

template <typename Line>
void read_points(const OGRSimpleCurve& curve, Line& out) {
    out.reserve(static_cast<std::size_t>(curve.getNumPoints()));
    for (int i = 0; i < curve.getNumPoints(); ++i) {
        out.emplace_back(curve.getX(i), curve.getY(i));
    }
}

Polygon read_polygon(const OGRPolygon& p) {
    Polygon out;
    if (const OGRLinearRing* r = p.getExteriorRing()) {
        read_points(*r, out.outer());
    }
    for (int i = 0; i < p.getNumInteriorRings(); ++i) {
        out.inners().emplace_back();
        read_points(*p.getInteriorRing(i), out.inners().back());
    }
    return out;
}

/// The geometry exactly as stored (no repair, no transformation): the inverse of the writer.
Geometry read_geometry(const OGRGeometry* g, GeometryFamily family) {
    switch (family) {
    case GeometryFamily::point: {
        MultiPoint out;
        if (g != nullptr) {
            if (const auto* p = dynamic_cast<const OGRPoint*>(g)) {
                if (!p->IsEmpty()) {
                    out.emplace_back(p->getX(), p->getY());
                }
            } else if (const auto* mp = dynamic_cast<const OGRMultiPoint*>(g)) {
                for (const OGRPoint* part : *mp) {
                    out.emplace_back(part->getX(), part->getY());
                }
            }
        }
        return out;
    }
    case GeometryFamily::line: {
        MultiLineString out;
        if (g != nullptr) {
            if (const auto* l = dynamic_cast<const OGRLineString*>(g)) {
                out.emplace_back();
                read_points(*l, out.back());
            } else if (const auto* ml = dynamic_cast<const OGRMultiLineString*>(g)) {
                for (const OGRLineString* part : *ml) {
                    out.emplace_back();
                    read_points(*part, out.back());
                }
            }
        }
        return out;
    }
    default: {
        MultiPolygon out;
        if (g != nullptr) {
            if (const auto* p = dynamic_cast<const OGRPolygon*>(g)) {
                out.push_back(read_polygon(*p));
            } else if (const auto* mp = dynamic_cast<const OGRMultiPolygon*>(g)) {
                for (const OGRPolygon* part : *mp) {
                    out.push_back(read_polygon(*part));
                }
            }
        }
        return out;
    }
    }
}

struct StoredField {
    std::string name;
    std::string column;
    FieldType type = FieldType::string;
    int decimals = -1;
};

/// An integer of the snapshot's metadata: `j[key]`, `fallback` when absent. nlohmann's get<int>
/// casts a floating-point value, which is undefined beyond the integer's range: a damaged or
/// hand-edited value is refused instead (a json exception, reported as a damaged snapshot).
std::int64_t stored_int(const nlohmann::json& j, const char* key, std::int64_t fallback) {
    if (!j.is_object() || !j.contains(key)) {
        return fallback;
    }
    const nlohmann::json& v = j.at(key);
    if (!v.is_number_integer()) {
        throw nlohmann::json::other_error::create(
            501, std::string("'") + key + "' is not an integer", &v);
    }
    return v.get<std::int64_t>();
}

std::vector<StoredField> stored_fields(const nlohmann::json& meta, const std::string& path) {
    std::vector<StoredField> out;
    for (const auto& f : meta.at("fields")) {
        out.push_back(
            {f.at("name").get<std::string>(), f.at("column").get<std::string>(),
             field_type_from_text(f.at("type").get<std::string>(), path),
             static_cast<int>(std::clamp<std::int64_t>(stored_int(f, "decimals", -1), -1, 17))});
    }
    return out;
}

/// Reads the table `meta` describes: each row's values typed by the stored field types, and its
/// geometry. `on_row(values, geometry, feature)`.
/// Where the stored tables are read from: a GeoPackage's layers, or a published survey's rows
/// in a database (one query per table, released after reading).
struct TableSource {
    std::function<OGRLayer*(const std::string& table)> open;
    std::function<void(OGRLayer*)> close;
};

template <typename OnRow>
void read_table(const TableSource& source, const nlohmann::json& meta,
                const std::vector<StoredField>& fields, bool context, const std::string& path,
                OnRow on_row) {
    const std::string table = meta.at("table").get<std::string>();
    OGRLayer* layer = source.open(table);
    if (layer == nullptr) {
        bad("the snapshot lists the table '" + table + "', which it does not hold", path);
    }
    const std::unique_ptr<OGRLayer, std::function<void(OGRLayer*)>> release(layer, source.close);
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    std::vector<int> index;
    for (const auto& f : fields) {
        // Case-sensitive: a database table may hold "Name" and "name".
        const int i = defn->GetFieldIndexCaseSensitive(f.column.c_str());
        if (i < 0) {
            bad("table '" + table + "' has no column '" + f.column + "'", path);
        }
        index.push_back(i);
    }
    int fid_col = -1;
    int id_col = -1;
    if (context) {
        fid_col = defn->GetFieldIndex("spaceuse_fid");
        id_col = defn->GetFieldIndex("spaceuse_id");
        if (fid_col < 0 || id_col < 0) {
            bad("context table '" + table + "' lacks spaceuse_fid or spaceuse_id", path);
        }
    }
    const auto family = family_from_text(meta.at("geometry").get<std::string>());
    layer->ResetReading();
    for (OGRFeatureUniquePtr feature(layer->GetNextFeature()); feature;
         feature.reset(layer->GetNextFeature())) {
        std::vector<Value> values;
        values.reserve(fields.size());
        for (std::size_t f = 0; f < fields.size(); ++f) {
            const int i = index[f];
            if (!feature->IsFieldSetAndNotNull(i)) {
                values.emplace_back(std::monostate{});
                continue;
            }
            switch (fields[f].type) {
            case FieldType::integer:
                values.emplace_back(static_cast<std::int64_t>(feature->GetFieldAsInteger64(i)));
                break;
            case FieldType::real:
                values.emplace_back(feature->GetFieldAsDouble(i));
                break;
            case FieldType::date:
                if (defn->GetFieldDefn(i)->GetType() == OFTDate) {
                    int y = 0, m = 0, d = 0, h = 0, mi = 0, tz = 0;
                    float s = 0;
                    feature->GetFieldAsDateTime(i, &y, &m, &d, &h, &mi, &s, &tz);
                    char buf[16];
                    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
                    values.emplace_back(std::string(buf));
                    break;
                }
                values.emplace_back(std::string(feature->GetFieldAsString(i)));
                break;
            case FieldType::string:
                values.emplace_back(std::string(feature->GetFieldAsString(i)));
                break;
            }
        }
        std::optional<Geometry> geometry;
        if (family) {
            geometry = read_geometry(feature->GetGeometryRef(), *family);
        }
        Feature f;
        if (context) {
            f.fid = feature->GetFieldAsInteger64(fid_col);
            f.id = feature->GetFieldAsString(id_col);
        }
        on_row(std::move(values), std::move(geometry), std::move(f));
    }
}

IssueKind issue_kind_from_name(const std::string& name) {
    for (int k = 0; k <= static_cast<int>(IssueKind::dimension_dropped); ++k) {
        if (name == issue_kind_name(static_cast<IssueKind>(k))) {
            return static_cast<IssueKind>(k);
        }
    }
    return IssueKind::repaired;
}

CrsInfo crs_from_json(const nlohmann::json& j) {
    CrsInfo crs;
    crs.name = j.value("name", std::string());
    crs.code = j.value("code", std::string());
    crs.wkt = j.value("wkt", std::string());
    crs.geographic = j.value("geographic", false);
    crs.projected = j.value("projected", false);
    crs.metric = j.value("metric", false);
    return crs;
}

/// The inputs of a manifest as the run reported them.
std::vector<StudyReport::LayerSummary> inputs_from_manifest(const nlohmann::json& m) {
    std::vector<StudyReport::LayerSummary> out;
    for (const auto& j : m.value("inputs", nlohmann::json::array())) {
        StudyReport::LayerSummary l;
        l.role = j.value("role", std::string());
        l.source = j.value("source", std::string());
        if (j.contains("source_crs")) {
            l.source_crs = crs_from_json(j.at("source_crs"));
        }
        if (j.contains("operation")) {
            const nlohmann::json& op = j.at("operation");
            l.operation.name = op.value("name", std::string());
            l.operation.accuracy_m = op.is_object() && op.contains("accuracy_m") &&
                                             op.at("accuracy_m").is_number()
                                         ? op.at("accuracy_m").get<double>()
                                         : -1.0;
        }
        l.report.read = stored_int(j, "read", 0);
        l.report.kept = stored_int(j, "kept", 0);
        l.report.rejected = stored_int(j, "rejected", 0);
        l.report.repaired = stored_int(j, "repaired", 0);
        for (const auto& issue : j.value("issues", nlohmann::json::array())) {
            l.report.issues.push_back({stored_int(issue, "fid", 0),
                                       issue_kind_from_name(issue.value("kind", std::string())),
                                       issue.value("detail", std::string())});
        }
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace

namespace detail {

std::string snapshot_file(const std::string& path) {
    fs::path gpkg(path);
    if (!fs::exists(gpkg)) {
        bad("no such results folder or snapshot (give the output folder of a run or its "
            "spaceuse.gpkg)",
            path);
    }
    if (fs::is_directory(gpkg)) {
        std::string name = "spaceuse.gpkg";
        std::ifstream in(gpkg / "run.json");
        if (in) {
            try {
                const auto m = nlohmann::json::parse(in);
                if (m.contains("snapshot") && m["snapshot"].is_object()) {
                    name = m["snapshot"].value("file", name);
                } else if (m.contains("snapshot") && m["snapshot"].is_null()) {
                    bad("this run wrote no snapshot (--no-snapshot or [export] snapshot = "
                        "false): run it again with one",
                        path);
                }
            } catch (const nlohmann::json::exception&) {
                // An unreadable manifest: look for the default name.
            }
        }
        gpkg /= name;
    }
    if (!fs::is_regular_file(gpkg)) {
        bad("no spaceuse results here (" + gpkg.filename().string() +
                " not found; give a results folder or its spaceuse.gpkg)",
            path);
    }
    return gpkg.string();
}

std::vector<nlohmann::json> read_layer_list(OGRLayer& list, const std::string& file) {
    std::vector<nlohmann::json> metas;
    list.ResetReading();
    for (OGRFeatureUniquePtr f(list.GetNextFeature()); f; f.reset(list.GetNextFeature())) {
        nlohmann::json meta = {{"table", f->GetFieldAsString("table_name")},
                               {"name", f->GetFieldAsString("name")},
                               {"kind", f->GetFieldAsString("kind")},
                               {"geometry", f->GetFieldAsString("geometry")},
                               {"source", f->GetFieldAsString("source")},
                               {"source_layer", f->GetFieldAsString("source_layer")},
                               {"id_field", f->GetFieldAsString("id_field")}};
        try {
            meta["fields"] = nlohmann::json::parse(f->GetFieldAsString("fields"));
        } catch (const nlohmann::json::exception&) {
            bad("the fields of layer '" + meta["name"].get<std::string>() + "' cannot be read",
                file);
        }
        metas.push_back(std::move(meta));
    }
    return metas;
}

bool is_context_layer(const std::string& name) {
    return name == "zones" || name == "parcels" || name == "buildings" || name == "roads" ||
           name.rfind("facilities", 0) == 0;
}

std::vector<WrittenFile> snapshot_outputs(const StudyReport& report, const std::string& path) {
    std::vector<WrittenFile> out;
    for (const auto& layer : report.results) {
        out.push_back({path, layer.name, layer.rows.size()});
    }
    for (const auto& [name, table] : report.tables) {
        out.push_back({path, name, table.rows.size()});
    }
    if (out.empty()) {
        out.push_back({path, "snapshot", 0, false});  // listed so the folder stays spaceuse's
    }
    return out;
}

void write_snapshot(const std::string& path, const StudyReport& report, bool styles,
                    const WriteOptions& write) {
    nlohmann::json layers = nlohmann::json::array();
    std::vector<const OutputLayer*> styled;
    for (const auto& layer : report.results) {
        styled.push_back(&layer);
        layers.push_back(layer_meta(layer.name, layer, "result"));
    }
    for (const auto& [name, table] : report.tables) {
        styled.push_back(&table);
        layers.push_back(layer_meta(name, table, "table"));
    }
    std::vector<OutputLayer> context;
    if (report.model) {
        for (const auto& layer : report.model->layers) {
            if (is_context_layer(layer.name)) {
                nlohmann::json meta;
                context.push_back(context_table(report.model, layer, meta));
                layers.push_back(meta);
            }
        }
    }
    std::vector<std::vector<std::string>> layer_rows;
    for (const auto& l : layers) {
        layer_rows.push_back({l["table"].get<std::string>(), l["name"].get<std::string>(),
                              l["kind"].get<std::string>(), l["geometry"].get<std::string>(),
                              l["fields"].dump(), l.value("source", std::string()),
                              l.value("source_layer", std::string()),
                              l.value("id_field", std::string())});
    }
    const OutputLayer layer_table = text_table(
        "spaceuse_layers",
        {"table_name", "name", "kind", "geometry", "fields", "source", "source_layer", "id_field"},
        layer_rows);
    const nlohmann::json m = nlohmann::json::parse(report.manifest);
    const OutputLayer snapshot_table = text_table(
        "spaceuse_snapshot", {"key", "value"},
        {{"format_version", std::to_string(snapshot_format_version)},
         {"tool", m.value("tool", std::string())},
         {"manifest", report.manifest},
         {"analysis_crs", crs_json(report.crs).dump()}});
    std::vector<const OutputLayer*> extra;
    for (const auto& c : context) {
        extra.push_back(&c);
    }
    extra.push_back(&layer_table);
    extra.push_back(&snapshot_table);
    write_gpkg_file(styled, extra, report.crs, path, styles, write);
}

}  // namespace detail

StudyReport open_results(const std::string& path) {
    return detail::open_results(path, detail::SnapshotSelection{});
}

namespace {

StudyReport open_snapshot(const std::string& path, const detail::SnapshotSelection& selection);

struct TableSource;
StudyReport build_report(std::map<std::string, std::string>& keys,
                         std::vector<nlohmann::json> metas, const TableSource& source,
                         const std::string& file, const std::string& manifest_path,
                         const detail::SnapshotSelection& selection);

}  // namespace

StudyReport detail::open_results(const std::string& path, const SnapshotSelection& selection) {
    // A snapshot spaceuse wrote holds well-formed metadata; one damaged or edited by hand may
    // lack a key or hold a value of another type anywhere, which nlohmann::json reports with
    // its own exceptions: each is one "damaged snapshot" error, not a crash.
    try {
        if (is_database_ref(path)) {
            PublishedSnapshot published = read_published(parse_database_ref(path));
            TableSource source;
            source.open = [&published](const std::string& table) {
                return published.open_table(table);
            };
            source.close = [&published](OGRLayer* layer) { published.close_table(layer); };
            StudyReport report = build_report(published.keys, std::move(published.metas), source,
                                              published.label, std::string(), selection);
            published.check_still_published();
            return report;
        }
        return open_snapshot(path, selection);
    } catch (const nlohmann::json::exception& e) {
        bad(std::string("the snapshot is damaged: its metadata cannot be read (") + e.what() + ")",
            path);
    }
}

namespace {

StudyReport open_snapshot(const std::string& path, const detail::SnapshotSelection& selection) {
    const std::string file = detail::snapshot_file(path);
    const fs::path gpkg(file);
    detail::ensure_gdal_registered();
    detail::GdalErrorCapture gdal;
    const char* const drivers[] = {"GPKG", nullptr};
    GDALDatasetUniquePtr ds(GDALDataset::Open(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                              drivers, nullptr, nullptr));
    if (!ds) {
        bad("cannot open as a GeoPackage" +
                (gdal.last_error().empty() ? std::string() : ": " + gdal.last_error()),
            file);
    }
    OGRLayer* snap = ds->GetLayerByName("spaceuse_snapshot");
    if (snap == nullptr) {
        bad("not a spaceuse snapshot (no spaceuse_snapshot table; it was written by an older "
            "spaceuse or another program: run the study again)",
            file);
    }
    std::map<std::string, std::string> keys;
    snap->ResetReading();
    for (OGRFeatureUniquePtr f(snap->GetNextFeature()); f; f.reset(snap->GetNextFeature())) {
        keys[f->GetFieldAsString("key")] = f->GetFieldAsString("value");
    }
    OGRLayer* list = ds->GetLayerByName("spaceuse_layers");
    if (list == nullptr) {
        bad("the snapshot has no spaceuse_layers table", file);
    }
    std::vector<nlohmann::json> metas = detail::read_layer_list(*list, file);
    TableSource source;
    source.open = [&ds](const std::string& table) { return ds->GetLayerByName(table.c_str()); };
    source.close = [](OGRLayer*) {};
    const std::string manifest_path = fs::exists(gpkg.parent_path() / "run.json")
                                          ? (gpkg.parent_path() / "run.json").string()
                                          : std::string();
    return build_report(keys, metas, source, file, manifest_path, selection);
}

StudyReport build_report(std::map<std::string, std::string>& keys,
                         std::vector<nlohmann::json> metas, const TableSource& source,
                         const std::string& file, const std::string& manifest_path,
                         const detail::SnapshotSelection& selection) {
    // Every key the reading below looks up, present (a layer list from a database may have been
    // edited by hand).
    for (auto& meta : metas) {
        if (!meta.is_object()) {
            bad("the layer list is damaged (an entry is not an object)", file);
        }
        for (const char* key :
             {"table", "name", "kind", "geometry", "source", "source_layer", "id_field"}) {
            if (!meta.contains(key) || !meta[key].is_string()) {
                meta[key] = "";
            }
        }
        if (!meta.contains("fields") || !meta["fields"].is_array()) {
            meta["fields"] = nlohmann::json::array();
        }
    }
    int version = 0;
    try {
        version = std::stoi(keys["format_version"]);
    } catch (const std::exception&) {
        bad("the snapshot has no format_version", file);
    }
    if (version > snapshot_format_version) {
        bad("snapshot format " + std::to_string(version) + " is newer than this spaceuse reads (" +
                std::to_string(snapshot_format_version) + "); update spaceuse",
            file);
    }
    StudyReport report;
    nlohmann::json m;
    try {
        m = nlohmann::json::parse(keys["manifest"]);
        report.crs = crs_from_json(nlohmann::json::parse(keys["analysis_crs"]));
    } catch (const nlohmann::json::exception& e) {
        bad(std::string("the snapshot's manifest cannot be read: ") + e.what(), file);
    }
    report.manifest = keys["manifest"];
    report.snapshot_path = file;
    report.manifest_path = manifest_path;
    report.name = m.value("study", std::string());
    report.crs_reason = m.value("analysis_crs_reason", std::string());
    report.definitions_hash = m.value("definitions_hash", std::string());
    report.metric_definitions_hash = m.value("metric_definitions_hash", std::string());
    if (m.contains("attribution")) {
        report.sources = m["attribution"].value("sources", std::string());
        const auto& date = m["attribution"]["data_date"];
        report.data_date = date.is_string() ? date.get<std::string>() : std::string();
        const auto& survey = m["attribution"]["survey_date"];
        report.survey_date = survey.is_string() ? survey.get<std::string>() : std::string();
    }
    report.layers = inputs_from_manifest(m);
    MetricRegistry registry;
    register_builtin_metrics(registry);
    for (const auto& j : m.value("metrics", nlohmann::json::array())) {
        const std::string name = j.value("metric", std::string());
        report.computed.push_back(name);
        if (j.value("written", false)) {
            report.options.emplace(name,
                                   detail::options_from_json(registry.find(name),
                                                             j.value("options", nlohmann::json())));
        }
    }

    auto model = std::make_shared<Model>();
    model->crs = report.crs;
    model->crs_reason = report.crs_reason;
    for (const auto& meta : metas) {
        const std::string kind = meta["kind"].get<std::string>();
        const std::string name = meta["name"].get<std::string>();
        if (!selection.all &&
            (kind == "context" ? selection.context : selection.results).count(name) == 0) {
            continue;
        }
        const auto fields = stored_fields(meta, file);
        if (kind == "context") {
            Layer layer;
            layer.name = meta["name"].get<std::string>();
            layer.source = meta["source"].get<std::string>();
            layer.source_layer = meta["source_layer"].get<std::string>();
            layer.id_field = meta["id_field"].get<std::string>();
            const auto family = family_from_text(meta["geometry"].get<std::string>());
            layer.family = family.value_or(GeometryFamily::polygon);
            for (const auto& f : fields) {
                layer.fields.push_back({f.name, f.type});
            }
            read_table(source, meta, fields, true, file,
                       [&layer](std::vector<Value> values, std::optional<Geometry> g, Feature f) {
                f.attributes = std::move(values);
                if (g) {
                    f.geometry = std::move(*g);
                } else {
                    f.geometry = MultiPolygon{};  // attributes only (the parcels' table)
                }
                layer.features.push_back(std::move(f));
            });
            model->layers.push_back(std::move(layer));
            continue;
        }
        OutputLayer out;
        out.name = meta["name"].get<std::string>();
        for (const auto& f : fields) {
            out.fields.push_back({f.name, f.type, f.decimals});
        }
        if (const auto sink = selection.streamed.find(out.name); sink != selection.streamed.end()) {
            read_table(source, meta, fields, false, file,
                       [&](std::vector<Value> values, std::optional<Geometry> g, Feature) {
                sink->second(out.fields, values, g);
            });
        } else {
            read_table(source, meta, fields, false, file,
                       [&out](std::vector<Value> values, std::optional<Geometry> g, Feature) {
                out.rows.push_back(std::move(values));
                if (g) {
                    out.geometries.push_back(std::move(*g));
                }
            });
        }
        if (kind == "table") {
            report.tables.emplace(out.name, std::move(out));
        } else {
            report.results.push_back(std::move(out));
        }
    }
    report.model = std::move(model);
    return report;
}

}  // namespace

}  // namespace spaceuse
