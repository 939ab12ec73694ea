// Export of result layers: GeoJSON through the engine's own writer, GeoPackage, Shapefile and
// FlatGeobuf through GDAL/OGR, style sidecars and the GeoPackage layer_styles table.
//
// Every OGR dataset is created under a hidden temporary name in the output folder (keeping the
// driver's extension) and renamed into place once GDAL has closed it; a Shapefile's component
// files are renamed together after all of them are complete.

#include "../io/gdal_util.hpp"
#include "../io/proj_util.hpp"
#include "gpkg.hpp"
#include "style.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/export.hpp>

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <unistd.h>

namespace spaceuse {

namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

std::string temp_name(const fs::path& target) {
    // Hidden, unique per process, same extension (drivers pick the format from it).
    return (target.parent_path() / ("." + target.stem().string() + ".tmp" +
                                    std::to_string(::getpid()) + target.extension().string()))
        .string();
}

void check_target(const std::string& path, const WriteOptions& write) {
    if (!write.overwrite && fs::exists(path)) {
        throw OutputError("output exists and overwrite is off").set_source(path);
    }
}

void rename_into_place(const std::string& from, const std::string& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) {
        throw OutputError("cannot rename the finished file into place: " + ec.message())
            .set_source(to);
    }
}

/// Removes the temporary files of a dataset unless released.
class TempFiles {
public:
    void add(std::string path) { m_paths.push_back(std::move(path)); }
    void release() { m_paths.clear(); }
    ~TempFiles() {
        for (const auto& p : m_paths) {
            std::error_code ec;
            fs::remove(p, ec);
        }
    }

private:
    std::vector<std::string> m_paths;
};

OGRwkbGeometryType layer_type(const OutputLayer& layer) {
    if (!layer.has_geometry()) {
        return wkbNone;
    }
    if (layer.geometry_source) {
        switch (layer.geometry_source->family) {
        case GeometryFamily::point:
            return wkbMultiPoint;
        case GeometryFamily::line:
            return wkbMultiLineString;
        default:
            return wkbMultiPolygon;
        }
    }
    switch (layer.geometry(0).index()) {
    case 0:
        return wkbMultiPoint;
    case 1:
        return wkbMultiLineString;
    default:
        return wkbMultiPolygon;
    }
}

std::unique_ptr<OGRGeometry> to_ogr(const Geometry& g) {
    auto ring_of = [](const auto& pts, OGRLineString& out) {
        out.setNumPoints(static_cast<int>(pts.size()), FALSE);
        int i = 0;
        for (const auto& p : pts) {
            out.setPoint(i++, p.x(), p.y());
        }
    };
    if (const auto* mp = std::get_if<MultiPolygon>(&g)) {
        auto out = std::make_unique<OGRMultiPolygon>();
        for (const auto& poly : *mp) {
            auto p = std::make_unique<OGRPolygon>();
            auto outer = std::make_unique<OGRLinearRing>();
            ring_of(poly.outer(), *outer);
            p->addRingDirectly(outer.release());
            for (const auto& inner : poly.inners()) {
                auto r = std::make_unique<OGRLinearRing>();
                ring_of(inner, *r);
                p->addRingDirectly(r.release());
            }
            out->addGeometryDirectly(p.release());
        }
        return out;
    }
    if (const auto* ml = std::get_if<MultiLineString>(&g)) {
        auto out = std::make_unique<OGRMultiLineString>();
        for (const auto& line : *ml) {
            auto l = std::make_unique<OGRLineString>();
            ring_of(line, *l);
            out->addGeometryDirectly(l.release());
        }
        return out;
    }
    auto out = std::make_unique<OGRMultiPoint>();
    for (const auto& p : std::get<MultiPoint>(g)) {
        out->addGeometryDirectly(new OGRPoint(p.x(), p.y()));
    }
    return out;
}

OGRFieldType ogr_type(FieldType t) {
    switch (t) {
    case FieldType::integer:
        return OFTInteger64;
    case FieldType::real:
        return OFTReal;
    case FieldType::date:
        return OFTDate;
    case FieldType::string:
        break;
    }
    return OFTString;
}

[[noreturn]] void fail(const std::string& what, const std::string& path,
                       const detail::GdalErrorCapture& gdal) {
    throw OutputError(what + (gdal.last_error().empty() ? "" : ": " + gdal.last_error()))
        .set_source(path);
}

/// Writes `layer` into an open dataset as a new OGR layer with the given field names.
void write_ogr_layer(GDALDataset& ds, const OutputLayer& layer, const std::string& layer_name,
                     const std::vector<std::string>& names, OGRSpatialReference& srs,
                     char** layer_options, const std::string& path,
                     const detail::GdalErrorCapture& gdal, bool dbf_strings = false) {
    OGRLayer* out = ds.CreateLayer(layer_name.c_str(), layer.has_geometry() ? &srs : nullptr,
                                   layer_type(layer), layer_options);
    if (out == nullptr) {
        fail("cannot create layer '" + layer_name + "'", path, gdal);
    }
    for (std::size_t f = 0; f < layer.fields.size(); ++f) {
        OGRFieldDefn defn(names[f].c_str(), ogr_type(layer.fields[f].type));
        if (dbf_strings && layer.fields[f].type == FieldType::string) {
            // dBase text fields hold at most 254 bytes; size each to its longest value so
            // nothing is cut (GDAL's default width of 80 would truncate longer notes).
            std::size_t longest = 1;
            for (std::size_t row = 0; row < layer.rows.size(); ++row) {
                const Value cell = layer.rows[row][f];
                if (const auto* s = std::get_if<std::string>(&cell)) {
                    if (s->size() > 254) {
                        throw OutputError(
                            "layer '" + layer.name + "' row " + std::to_string(row + 1) +
                            " field '" + layer.fields[f].name + "': text of " +
                            std::to_string(s->size()) +
                            " bytes does not fit a Shapefile field (254); use GeoPackage")
                            .set_source(path);
                    }
                    longest = std::max(longest, s->size());
                }
            }
            defn.SetWidth(static_cast<int>(longest));
        }
        if (out->CreateField(&defn) != OGRERR_NONE) {
            fail("cannot create field '" + names[f] + "'", path, gdal);
        }
    }
    if (out->StartTransaction() != OGRERR_NONE) {
        fail("cannot start a transaction", path, gdal);
    }
    OGRFeatureDefn* defn = out->GetLayerDefn();
    for (std::size_t row = 0; row < layer.rows.size(); ++row) {
        OGRFeature feature(defn);
        detail::set_ogr_fields(feature, layer.rows[row]);
        if (layer.has_geometry()) {
            feature.SetGeometryDirectly(to_ogr(layer.geometry(row)).release());
        }
        if (out->CreateFeature(&feature) != OGRERR_NONE) {
            fail("cannot write feature " + std::to_string(row + 1) + " of layer '" + layer_name +
                     "'",
                 path, gdal);
        }
    }
    if (out->CommitTransaction() != OGRERR_NONE) {
        fail("cannot commit layer '" + layer_name + "'", path, gdal);
    }
}

GDALDatasetUniquePtr create_dataset(const char* driver_name, const std::string& path,
                                    const detail::GdalErrorCapture& gdal) {
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(driver_name);
    if (driver == nullptr) {
        throw OutputError(std::string("GDAL has no ") + driver_name + " driver").set_source(path);
    }
    GDALDatasetUniquePtr ds(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) {
        fail("cannot create the file", path, gdal);
    }
    return ds;
}

/// Closes a dataset (GDAL flushes it then) and fails when GDAL reported an error doing so.
void close_dataset(GDALDatasetUniquePtr& ds, const char* what, const std::string& path,
                   detail::GdalErrorCapture& gdal) {
    gdal.clear();
    ds.reset();
    if (!gdal.last_error().empty()) {
        fail(what, path, gdal);
    }
}

std::vector<std::string> own_names(const OutputLayer& layer) {
    std::vector<std::string> names;
    for (const auto& f : layer.fields) {
        names.push_back(f.name);
    }
    return names;
}

/// Writes the QML (and SLD) sidecars of a file: `<base>.qml`, `<base>.sld`.
void write_sidecars(const OutputLayer& layer, const fs::path& file,
                    const std::vector<std::string>& field_names, const WriteOptions& write,
                    std::vector<WrittenFile>& written) {
    const auto styles = detail::styles_for_layer(layer);
    if (styles.empty()) {
        return;
    }
    fs::path qml = file;
    qml.replace_extension(".qml");
    fs::path sld = file;
    sld.replace_extension(".sld");
    write_text_file(qml.string(), detail::to_qml(styles.front(), layer, field_names), write);
    write_text_file(sld.string(), detail::to_sld(styles.front(), layer, field_names), write);
    written.push_back({qml.string(), layer.name + " style (QGIS)", 0, false});
    written.push_back({sld.string(), layer.name + " style (SLD)", 0, false});
}

/// Writes `layers` (and their styles into layer_styles when `styles`), then `extra` (tables and
/// layers without styles) into a new GeoPackage.
void write_gpkg(const std::vector<const OutputLayer*>& layers,
                const std::vector<const OutputLayer*>& extra, OGRSpatialReference& srs,
                const std::string& path, bool styles, const WriteOptions& write,
                std::vector<WrittenFile>& written) {
    check_target(path, write);
    detail::GdalErrorCapture gdal;
    const std::string tmp = temp_name(path);
    TempFiles cleanup;
    cleanup.add(tmp);
    {
        // A fixed gpkg_contents.last_change keeps the bytes independent of the time of writing.
        CPLConfigOptionSetter fixed_date("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z", true);
        auto ds = create_dataset("GPKG", tmp, gdal);
        char** lco = nullptr;
        lco = CSLSetNameValue(lco, "SPATIAL_INDEX", "YES");
        for (const OutputLayer* layer : layers) {
            write_ogr_layer(*ds, *layer, layer->name, own_names(*layer), srs, lco, path, gdal);
        }
        CSLDestroy(lco);
        // The extra layers are read whole (context for documents): no spatial index to build.
        char** plain = CSLSetNameValue(nullptr, "SPATIAL_INDEX", "NO");
        for (const OutputLayer* layer : extra) {
            write_ogr_layer(*ds, *layer, layer->name, own_names(*layer), srs, plain, path, gdal);
        }
        CSLDestroy(plain);
        if (styles) {
            // The table QGIS reads styles from (QgsOgrProvider's saveStyle layout); QGIS applies
            // the row marked useAsDefault when the layer is opened.
            char** tco = CSLSetNameValue(nullptr, "ASPATIAL_VARIANT", "GPKG_ATTRIBUTES");
            OGRLayer* table = ds->CreateLayer("layer_styles", nullptr, wkbNone, tco);
            CSLDestroy(tco);
            if (table == nullptr) {
                fail("cannot create the layer_styles table", path, gdal);
            }
            const std::pair<const char*, OGRFieldType> columns[] = {
                {"f_table_catalog", OFTString},
                {"f_table_schema", OFTString},
                {"f_table_name", OFTString},
                {"f_geometry_column", OFTString},
                {"styleName", OFTString},
                {"styleQML", OFTString},
                {"styleSLD", OFTString},
                {"useAsDefault", OFTInteger},
                {"description", OFTString},
                {"owner", OFTString},
                {"ui", OFTString},
                {"update_time", OFTDateTime}};
            for (const auto& [name, type] : columns) {
                OGRFieldDefn defn(name, type);
                if (type == OFTInteger) {
                    defn.SetSubType(OFSTBoolean);
                }
                if (table->CreateField(&defn) != OGRERR_NONE) {
                    fail(std::string("cannot create layer_styles column ") + name, path, gdal);
                }
            }
            if (table->StartTransaction() != OGRERR_NONE) {
                fail("cannot start a transaction", path, gdal);
            }
            for (const OutputLayer* styled : layers) {
                const OutputLayer& layer = *styled;
                const auto layer_styles = detail::styles_for_layer(layer);
                for (std::size_t i = 0; i < layer_styles.size(); ++i) {
                    OGRFeature f(table->GetLayerDefn());
                    f.SetField("f_table_catalog", "");
                    f.SetField("f_table_schema", "");
                    f.SetField("f_table_name", layer.name.c_str());
                    f.SetField("f_geometry_column", "geom");
                    f.SetField("styleName", (layer.name + " — " + layer_styles[i].name).c_str());
                    f.SetField("styleQML", detail::to_qml(layer_styles[i], layer).c_str());
                    f.SetField("styleSLD", detail::to_sld(layer_styles[i], layer).c_str());
                    f.SetField("useAsDefault", i == 0 ? 1 : 0);
                    f.SetField("description", layer_styles[i].description.c_str());
                    f.SetField("owner", "spaceuse");
                    // A fixed time keeps the file's bytes independent of when it was written.
                    f.SetField("update_time", 2000, 1, 1, 0, 0, 0.0F, 100);
                    if (table->CreateFeature(&f) != OGRERR_NONE) {
                        fail("cannot write a style of layer '" + layer.name + "'", path, gdal);
                    }
                }
            }
            if (table->CommitTransaction() != OGRERR_NONE) {
                fail("cannot commit the layer_styles table", path, gdal);
            }
        }
        close_dataset(ds, "cannot finish the GeoPackage", path, gdal);
    }
    rename_into_place(tmp, path);
    cleanup.release();
    for (const OutputLayer* layer : layers) {
        written.push_back({path, layer->name, layer->rows.size()});
    }
}

OGRSpatialReference analysis_srs(const CrsInfo& crs, const std::string& where) {
    OGRSpatialReference srs;
    if (srs.SetFromUserInput(detail::crs_definition(crs).c_str()) != OGRERR_NONE) {
        throw OutputError("cannot express the analysis CRS for GDAL: " + crs.name)
            .set_source(where);
    }
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

void write_flatgeobuf(const OutputLayer& layer, OGRSpatialReference& srs, const std::string& path,
                      const ExportOptions& options, const WriteOptions& write,
                      std::vector<WrittenFile>& written) {
    check_target(path, write);
    detail::GdalErrorCapture gdal;
    const std::string tmp = temp_name(path);
    TempFiles cleanup;
    cleanup.add(tmp);
    {
        auto ds = create_dataset("FlatGeobuf", tmp, gdal);
        char** lco = CSLSetNameValue(nullptr, "SPATIAL_INDEX", "YES");
        write_ogr_layer(*ds, layer, layer.name, own_names(layer), srs, lco, path, gdal);
        CSLDestroy(lco);
        close_dataset(ds, "cannot finish the FlatGeobuf file", path, gdal);
    }
    rename_into_place(tmp, path);
    cleanup.release();
    written.push_back({path, layer.name, layer.rows.size()});
    if (options.styles) {
        write_sidecars(layer, path, own_names(layer), write, written);
    }
}

void write_shapefile(const OutputLayer& layer, OGRSpatialReference& srs, const std::string& path,
                     const ExportOptions& options, const WriteOptions& write,
                     std::vector<WrittenFile>& written) {
    static const char* const kParts[] = {".shp", ".shx", ".dbf", ".prj", ".cpg"};
    fs::path target(path);
    for (const char* ext : kParts) {
        fs::path part = target;
        part.replace_extension(ext);
        check_target(part.string(), write);
    }
    const auto names = shapefile_field_names(own_names(layer));
    detail::GdalErrorCapture gdal;
    const fs::path tmp(temp_name(path));
    TempFiles cleanup;
    for (const char* ext : kParts) {
        fs::path part = tmp;
        part.replace_extension(ext);
        cleanup.add(part.string());
    }
    {
        auto ds = create_dataset("ESRI Shapefile", tmp.string(), gdal);
        char** lco = CSLSetNameValue(nullptr, "ENCODING", "UTF-8");
        // A fixed DBF header date keeps the bytes independent of the day of writing.
        lco = CSLSetNameValue(lco, "DBF_DATE_LAST_UPDATE", "2000-01-01");
        write_ogr_layer(*ds, layer, tmp.stem().string(), names, srs, lco, path, gdal, true);
        CSLDestroy(lco);
        close_dataset(ds, "cannot finish the Shapefile", path, gdal);
    }
    for (const char* ext : kParts) {
        fs::path from = tmp;
        from.replace_extension(ext);
        fs::path to = target;
        to.replace_extension(ext);
        if (fs::exists(from)) {
            rename_into_place(from.string(), to.string());
        }
    }
    cleanup.release();
    written.push_back({path, layer.name, layer.rows.size()});

    // The field-name mapping, so nothing depends on guessing what a cut name meant.
    std::string csv = "shapefile_field,field\n";
    for (std::size_t i = 0; i < names.size(); ++i) {
        csv += names[i] + "," + layer.fields[i].name + "\n";
    }
    fs::path mapping = target;
    mapping.replace_extension(".fields.csv");
    write_text_file(mapping.string(), csv, write);
    written.push_back({mapping.string(), layer.name + " field names", 0, false});
    if (options.styles) {
        write_sidecars(layer, path, names, write, written);
    }
}

bool is_vowel(char c) {
    switch (std::tolower(static_cast<unsigned char>(c))) {
    case 'a':
    case 'e':
    case 'i':
    case 'o':
    case 'u':
        return true;
    default:
        return false;
    }
}

std::string join(const std::vector<std::string>& words) {
    std::string s;
    for (const auto& w : words) {
        if (w.empty()) {
            continue;
        }
        s += (s.empty() ? "" : "_") + w;
    }
    return s;
}

std::string shorten(const std::string& name, std::size_t limit) {
    if (name.size() <= limit) {
        return name;
    }
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start <= name.size()) {
        const auto end = name.find('_', start);
        words.push_back(
            name.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    // Drop inner vowels word by word, from the right, until it fits.
    for (auto w = words.rbegin(); w != words.rend() && join(words).size() > limit; ++w) {
        std::string kept;
        for (std::size_t i = 0; i < w->size(); ++i) {
            if (i == 0 || !is_vowel((*w)[i])) {
                kept += (*w)[i];
            }
        }
        *w = kept;
    }
    // Shorten the longest word (the rightmost of equals) one letter at a time.
    while (join(words).size() > limit) {
        std::size_t longest = 0;
        for (std::size_t i = 0; i < words.size(); ++i) {
            if (words[i].size() >= words[longest].size()) {
                longest = i;
            }
        }
        if (words[longest].size() <= 1) {
            // Only one-letter words left: drop the separators' worth from the right.
            std::string s = join(words);
            return s.substr(0, limit);
        }
        words[longest].pop_back();
    }
    return join(words);
}

}  // namespace

namespace detail {

std::unique_ptr<OGRGeometry> to_ogr_geometry(const Geometry& g) { return to_ogr(g); }

OGRFieldType ogr_field_type(FieldType t) { return ogr_type(t); }

void set_ogr_fields(OGRFeature& feature, const std::vector<Value>& values) {
    for (std::size_t f = 0; f < values.size(); ++f) {
        const int i = static_cast<int>(f);
        const Value& v = values[f];
        if (const auto* d = std::get_if<double>(&v)) {
            feature.SetField(i, *d);
        } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
            feature.SetField(i, static_cast<GIntBig>(*n));
        } else if (const auto* s = std::get_if<std::string>(&v)) {
            feature.SetField(i, s->c_str());
        } else {
            feature.SetFieldNull(i);
        }
    }
}

}  // namespace detail

std::vector<WrittenFile> detail::write_gpkg_file(const std::vector<const OutputLayer*>& layers,
                                                 const std::vector<const OutputLayer*>& extra,
                                                 const CrsInfo& crs, const std::string& path,
                                                 bool styles, const WriteOptions& write) {
    detail::ensure_gdal_registered();
    OGRSpatialReference srs = analysis_srs(crs, path);
    std::vector<WrittenFile> written;
    write_gpkg(layers, extra, srs, path, styles, write, written);
    return written;
}

std::vector<std::string> shapefile_field_names(const std::vector<std::string>& names) {
    constexpr std::size_t kLimit = 10;
    std::vector<std::string> out;
    std::set<std::string> used;
    for (const auto& name : names) {
        std::string candidate = shorten(name, kLimit);
        for (int n = 2; used.count(lower(candidate)) != 0; ++n) {
            const std::string suffix = "_" + std::to_string(n);
            candidate = shorten(name, kLimit - suffix.size()) + suffix;
        }
        used.insert(lower(candidate));
        out.push_back(candidate);
    }
    return out;
}

const char* export_format_name(ExportFormat format) noexcept {
    switch (format) {
    case ExportFormat::geojson:
        return "geojson";
    case ExportFormat::gpkg:
        return "gpkg";
    case ExportFormat::shapefile:
        return "shapefile";
    case ExportFormat::flatgeobuf:
        return "flatgeobuf";
    }
    return "?";
}

ExportFormat parse_export_format(const std::string& text) {
    const std::string t = lower(text);
    if (t == "geojson" || t == "json") {
        return ExportFormat::geojson;
    }
    if (t == "gpkg" || t == "geopackage") {
        return ExportFormat::gpkg;
    }
    if (t == "shapefile" || t == "shp") {
        return ExportFormat::shapefile;
    }
    if (t == "flatgeobuf" || t == "fgb") {
        return ExportFormat::flatgeobuf;
    }
    throw ConfigError("unknown export format '" + text +
                      "' (known: geojson, gpkg, shapefile, flatgeobuf)");
}

std::vector<WrittenFile> export_layers(const std::vector<OutputLayer>& layers, const CrsInfo& crs,
                                       const std::string& dir, const ExportOptions& options,
                                       const WriteOptions& write) {
    detail::ensure_gdal_registered();
    ensure_directory(dir);
    std::vector<WrittenFile> written;
    std::vector<ExportFormat> formats;
    for (auto f : options.formats) {
        if (std::find(formats.begin(), formats.end(), f) == formats.end()) {
            formats.push_back(f);
        }
    }
    OGRSpatialReference srs = analysis_srs(crs, dir);
    auto file = [&dir](const std::string& name) { return (fs::path(dir) / name).string(); };

    for (const auto format : formats) {
        switch (format) {
        case ExportFormat::geojson:
            for (const auto& layer : layers) {
                const std::string path = file(layer.name + ".geojson");
                const auto stats = options.geojson_native_crs
                                       ? write_geojson_native(layer, crs, path, write)
                                       : write_geojson(layer, crs, path, write);
                written.push_back({path, layer.name, stats.features});
                if (options.styles) {
                    write_sidecars(layer, path, {}, write, written);
                }
            }
            break;
        case ExportFormat::gpkg: {
            std::vector<const OutputLayer*> all;
            for (const auto& layer : layers) {
                all.push_back(&layer);
            }
            write_gpkg(all, {}, srs, file(options.gpkg_name), options.styles, write, written);
        } break;
        case ExportFormat::shapefile:
            ensure_directory(file("shapefile"));
            for (const auto& layer : layers) {
                write_shapefile(layer, srs, file("shapefile/" + layer.name + ".shp"), options,
                                write, written);
            }
            break;
        case ExportFormat::flatgeobuf:
            ensure_directory(file("flatgeobuf"));
            for (const auto& layer : layers) {
                write_flatgeobuf(layer, srs, file("flatgeobuf/" + layer.name + ".fgb"), options,
                                 write, written);
            }
            break;
        }
    }
    return written;
}

}  // namespace spaceuse
