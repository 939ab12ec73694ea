// The tiled viewer folder: vector tiles written by GDAL's MVT driver, drawn by MapLibre GL JS.
//
//   index.html       the page (title, legend, layer toggles, colouring switch, search box)
//   viewer.js        its script
//   style.json       the MapLibre style: the colours and classes of the QGIS styles
//   maplibre/        MapLibre GL JS (script, CSS, licence)
//   tiles/           metadata.json and z/x/y.pbf (uncompressed: any static server sends them)
//   search/          zones.json and parcels-XX.json (parcels by a hash of their id)
//   viewer.json      the files written and the tile check (the folder's manifest)

#include "export/gpkg.hpp"
#include "export/style.hpp"
#include "io/gdal_util.hpp"
#include "io/proj_util.hpp"
#include "render/viewer_content.hpp"
#include "study/output_folder.hpp"
#include "util/markup.hpp"
#include "util/parallel.hpp"

#include <spaceuse/error.hpp>

#include <boost/geometry.hpp>
#include <nlohmann/json.hpp>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <unistd.h>

#ifndef SPACEUSE_BUILD_MAPLIBRE_DIR
#define SPACEUSE_BUILD_MAPLIBRE_DIR ""
#endif
#ifndef SPACEUSE_INSTALL_MAPLIBRE_DIR
#define SPACEUSE_INSTALL_MAPLIBRE_DIR ""
#endif
#ifndef SPACEUSE_VERSION
#define SPACEUSE_VERSION "unknown"
#endif

namespace spaceuse::detail {

namespace {

namespace fs = std::filesystem;
namespace bg = boost::geometry;

/// Zoom range of each tiled layer: zones (with their figures) from a region's view, the
/// network and facilities from a town's, parcels, buildings and free space from a zone's.
struct TileLayerSpec {
    const char* name;
    int min_zoom;
};
constexpr TileLayerSpec tile_layers[] = {
    {"zones", 8},    {"isochrones", 10}, {"facilities", 10}, {"roads", 12},
    {"parcels", 13}, {"changes", 13},    {"free_space", 13}, {"buildings", 13},
};
constexpr int max_zoom = 16;
/// Memory GDAL's temporary tile database may take (see write_tiles): a quarter of the
/// machine's memory, at most 4 GiB.
std::size_t memory_budget() {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page = ::sysconf(_SC_PAGE_SIZE);
    const std::size_t total = pages > 0 && page > 0
                                  ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page)
                                  : std::size_t{4} << 30;
    return std::min(total / 4, std::size_t{4} << 30);
}
/// Tiles are drawn 512 pixels wide; the MVT grid has 4096 units a tile.
constexpr double tile_pixels = 512.0;

std::string css_colour(const Rgba& c) {
    if (c.a >= 255) {
        char b[8];
        std::snprintf(b, sizeof b, "#%02x%02x%02x", c.r, c.g, c.b);
        return b;
    }
    char b[48];
    std::snprintf(b, sizeof b, "rgba(%d,%d,%d,%.3g)", c.r, c.g, c.b, c.a / 255.0);
    return b;
}

/// MapLibre's fill colour for a QGIS style description: a match on the categories, a step over
/// the ranges (grey where the value is missing), or one colour.
nlohmann::json fill_colour(const LayerStyle& style) {
    using nlohmann::json;
    if (style.kind == RendererKind::categorized && !style.categories.empty()) {
        json e = json::array(
            {"match", json::array({"to-string", json::array({"get", style.field})})});
        std::set<std::string> seen;
        for (const auto& c : style.categories) {
            if (seen.insert(c.value).second) {
                e.push_back(c.value);
                e.push_back(css_colour(c.symbol.fill));
            }
        }
        e.push_back("#dddddd");
        return e;
    }
    if (style.kind == RendererKind::graduated && !style.ranges.empty()) {
        json step = json::array({"step", json::array({"get", style.field}),
                                 css_colour(style.ranges.front().symbol.fill)});
        for (std::size_t i = 1; i < style.ranges.size(); ++i) {
            step.push_back(style.ranges[i].lower);
            step.push_back(css_colour(style.ranges[i].symbol.fill));
        }
        return json::array(
            {"case",
             json::array(
                 {"==", json::array({"typeof", json::array({"get", style.field})}), "number"}),
             step, "#dddddd"});
    }
    return css_colour(style.single.fill);
}

/// The parcels with the attributes the popups and the colouring switch join to them (access,
/// definitions, scenarios), as one flat layer: the fields of each table but its key.
OutputLayer joined_parcels(const ViewerContent& content) {
    const OutputLayer& parcels = *content.find("parcels")->layer;
    OutputLayer out;
    out.name = "parcels";
    out.fields = parcels.fields;
    out.rows = parcels.rows;
    out.geometries = parcels.geometries;
    const std::size_t pid = *column(parcels, "parcel_id");
    std::map<std::string, std::size_t> row_of;
    for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
        row_of.emplace(text_at(parcels, r, pid), r);
    }
    for (const char* table : {"access", "definitions", "scenarios"}) {
        const ViewerLayer* l = content.find(table);
        if (l == nullptr) {
            continue;
        }
        const OutputLayer& t = *l->layer;
        const std::string key = std::string(table) == "access" ? "origin_id" : "parcel_id";
        const auto k = column(t, key);
        if (!k) {
            continue;
        }
        std::vector<std::size_t> cols;
        for (std::size_t f = 0; f < t.fields.size(); ++f) {
            if (f != *k && !column(out, t.fields[f].name)) {
                cols.push_back(f);
                out.fields.push_back(t.fields[f]);
            }
        }
        out.rows.widen_rows(out.fields.size());
        const std::size_t first = out.fields.size() - cols.size();
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
            const auto it = row_of.find(text_at(t, r, *k));
            if (it == row_of.end()) {
                continue;
            }
            for (std::size_t c = 0; c < cols.size(); ++c) {
                out.rows.set(it->second, first + c, t.rows[r][cols[c]]);
            }
        }
    }
    return out;
}

/// One layer as it goes into the tiles.
struct TileLayer {
    std::string name;
    int min_zoom = 0;
    const OutputLayer* layer = nullptr;
    std::shared_ptr<const OutputLayer> owned;
};

std::vector<TileLayer> tile_layers_of(const ViewerContent& content) {
    std::vector<TileLayer> out;
    for (const auto& spec : tile_layers) {
        const ViewerLayer* l = content.find(spec.name);
        if (l == nullptr || l->layer->rows.empty()) {
            continue;
        }
        TileLayer t{spec.name, spec.min_zoom, l->layer, nullptr};
        if (t.name == "parcels") {
            t.owned = std::make_shared<const OutputLayer>(joined_parcels(content));
        } else if (t.name == "isochrones") {
            t.owned = std::make_shared<const OutputLayer>(
                simplified_for_display(*l->layer, isochrone_display_tolerance_m));
        }
        if (t.owned) {
            t.layer = t.owned.get();
        }
        out.push_back(std::move(t));
    }
    return out;
}

[[noreturn]] void fail(const std::string& what, const std::string& path,
                       const GdalErrorCapture& gdal) {
    throw OutputError(what + (gdal.last_error().empty() ? "" : ": " + gdal.last_error()))
        .set_source(path);
}

/// Writes the layers into `dir` with GDAL's MVT driver; feature ids are row + 1.
void write_tiles(const std::vector<TileLayer>& layers, const CrsInfo& crs, const std::string& title,
                 const std::string& dir, bool in_memory) {
    ensure_gdal_registered();
    GdalErrorCapture gdal;
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("MVT");
    if (driver == nullptr) {
        throw OutputError("GDAL has no MVT driver (vector tiles)").set_source(dir);
    }
    nlohmann::json conf = nlohmann::json::object();
    for (const auto& l : layers) {
        conf[l.name] = {{"minzoom", l.min_zoom}, {"maxzoom", max_zoom}};
    }
    // MAX_SIZE and MAX_FEATURES are far above what a tile of a zone holds: GDAL would leave
    // features out of a fuller tile without a word (the tile check below would then fail).
    const std::string conf_text = conf.dump();
    const std::string name_option = "NAME=" + title;
    // GDAL sorts the features into tiles in a temporary SQLite database: in memory (three
    // times faster; about four times the data's size, 420 MB for 100,000 parcels) up to
    // memory_budget(), else a file in the staging folder. The tiles are the same either way.
    const std::string temp_path =
        in_memory
            ? "/vsimem/spaceuse-tiles-" + std::to_string(::getpid()) + ".db"
            : (fs::path(dir).parent_path() / (fs::path(dir).filename().string() + ".db")).string();
    const std::string temp_db = "TEMPORARY_DB=" + temp_path;
    const std::string min_zoom = "MINZOOM=" +
                                 std::to_string(std::min_element(layers.begin(), layers.end(),
                                                                 [](const auto& a, const auto& b) {
        return a.min_zoom < b.min_zoom;
                                                })->min_zoom);
    const std::string max_zoom_option = "MAXZOOM=" + std::to_string(max_zoom);
    const std::string conf_option = "CONF=" + conf_text;
    // Test hook: SPACEUSE_TEST_TILE_MAX_SIZE makes GDAL drop features, for the check to fail.
    const char* test_max = std::getenv("SPACEUSE_TEST_TILE_MAX_SIZE");
    const std::string max_size = std::string("MAX_SIZE=") + (test_max ? test_max : "20000000");
    const char* options[] = {"FORMAT=DIRECTORY",      "COMPRESS=NO",    max_size.c_str(),
                             "MAX_FEATURES=10000000", "TYPE=overlay",   name_option.c_str(),
                             temp_db.c_str(),         min_zoom.c_str(), max_zoom_option.c_str(),
                             conf_option.c_str(),     nullptr};
    GDALDatasetUniquePtr ds(
        driver->Create(dir.c_str(), 0, 0, 0, GDT_Unknown, const_cast<char**>(options)));
    if (!ds) {
        fail("cannot create the vector tiles", dir, gdal);
    }
    OGRSpatialReference srs;
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    if (srs.importFromWkt(crs.wkt.c_str()) != OGRERR_NONE) {
        throw OutputError("the analysis CRS cannot be given to GDAL").set_source(dir);
    }
    for (const auto& l : layers) {
        const OutputLayer& layer = *l.layer;
        const OGRwkbGeometryType type = layer.rows.empty() ? wkbUnknown
                                        : std::holds_alternative<MultiPolygon>(layer.geometry(0))
                                            ? wkbMultiPolygon
                                        : std::holds_alternative<MultiLineString>(layer.geometry(0))
                                            ? wkbMultiLineString
                                            : wkbMultiPoint;
        OGRLayer* out = ds->CreateLayer(l.name.c_str(), &srs, type, nullptr);
        if (out == nullptr) {
            fail("cannot create tile layer " + l.name, dir, gdal);
        }
        for (const auto& f : layer.fields) {
            OGRFieldDefn defn(f.name.c_str(), ogr_field_type(f.type));
            if (out->CreateField(&defn) != OGRERR_NONE) {
                fail("cannot create field " + f.name + " of tile layer " + l.name, dir, gdal);
            }
        }
        OGRFeatureDefn* defn = out->GetLayerDefn();
        for (std::size_t row = 0; row < layer.rows.size(); ++row) {
            OGRFeature feature(defn);
            feature.SetFID(static_cast<GIntBig>(row + 1));
            set_ogr_fields(feature, layer.rows[row]);
            feature.SetGeometryDirectly(to_ogr_geometry(layer.geometry(row)).release());
            if (out->CreateFeature(&feature) != OGRERR_NONE) {
                fail("cannot write feature " + std::to_string(row + 1) + " of tile layer " + l.name,
                     dir, gdal);
            }
        }
    }
    gdal.clear();
    ds.reset();  // writes the tiles
    if (!gdal.last_error().empty()) {
        fail("cannot finish the vector tiles", dir, gdal);
    }
    if (in_memory) {
        VSIUnlink(temp_path.c_str());
    } else {
        std::error_code ec;
        fs::remove(temp_path, ec);
    }
}

/// The tiles of a folder: (zoom, path), sorted.
std::vector<std::pair<int, fs::path>> tile_files(const fs::path& tiles) {
    std::vector<std::pair<int, fs::path>> out;
    for (const auto& z : fs::directory_iterator(tiles)) {
        if (!z.is_directory()) {
            continue;
        }
        const int zoom = std::stoi(z.path().filename().string());
        for (const auto& x : fs::directory_iterator(z.path())) {
            for (const auto& y : fs::directory_iterator(x.path())) {
                out.emplace_back(zoom, y.path());
            }
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// Reads the feature ids back from every tile and checks that nothing was lost (see
/// write_viewer). `latitude` is the data's, for the ground size of a pixel.
std::vector<TileLayerCheck> check_tiles(const std::vector<TileLayer>& layers, const fs::path& tiles,
                                        double latitude, std::size_t& tile_count,
                                        std::uint64_t& tile_bytes) {
    // seen[layer][zoom - min_zoom][row]
    std::vector<std::vector<std::vector<char>>> seen(layers.size());
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        index[layers[i].name] = i;
        seen[i].assign(static_cast<std::size_t>(max_zoom - layers[i].min_zoom + 1),
                       std::vector<char>(layers[i].layer->rows.size(), 0));
    }
    const std::string metadata = "METADATA_FILE=" + (tiles / "metadata.json").string();
    const auto files = tile_files(tiles);
    tile_count = files.size();
    tile_bytes = 0;
    // The ids of each tile, read in parallel into its own slot: (layer, ids) pairs.
    std::vector<std::vector<std::pair<std::size_t, std::vector<GIntBig>>>> found(files.size());
    parallel_for(files.size(), worker_count(0), 8, stateless, [&](Stateless&, std::size_t t) {
        const auto& [zoom, path] = files[t];
        const char* open_options[] = {metadata.c_str(), nullptr};
        const char* drivers[] = {"MVT", nullptr};
        GdalErrorCapture gdal;
        GDALDatasetUniquePtr ds(
            GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, drivers, open_options, nullptr));
        if (!ds) {
            fail("cannot read back the tile", path.string(), gdal);
        }
        for (OGRLayer* layer : ds->GetLayers()) {
            const auto it = index.find(layer->GetName());
            if (it == index.end() || zoom < layers[it->second].min_zoom) {
                continue;
            }
            OGRFeatureDefn* defn = layer->GetLayerDefn();
            const int id_field = defn->GetFieldIndex("mvt_id");
            if (id_field < 0) {
                fail("a tile has no feature ids in layer " + layers[it->second].name, path.string(),
                     gdal);
            }
            // Only the ids are decoded.
            std::vector<std::string> ignored{"OGR_GEOMETRY"};
            for (int f = 0; f < defn->GetFieldCount(); ++f) {
                if (f != id_field) {
                    ignored.emplace_back(defn->GetFieldDefn(f)->GetNameRef());
                }
            }
            std::vector<const char*> ignored_c;
            for (const auto& name : ignored) {
                ignored_c.push_back(name.c_str());
            }
            ignored_c.push_back(nullptr);
            layer->SetIgnoredFields(ignored_c.data());
            std::vector<GIntBig> ids;
            for (const auto& feature : *layer) {
                ids.push_back(feature->GetFieldAsInteger64(id_field));
            }
            found[t].emplace_back(it->second, std::move(ids));
        }
    });
    for (std::size_t t = 0; t < files.size(); ++t) {
        tile_bytes += fs::file_size(files[t].second);
        for (const auto& [l, ids] : found[t]) {
            auto& at_zoom = seen[l][static_cast<std::size_t>(files[t].first - layers[l].min_zoom)];
            for (const GIntBig id : ids) {
                if (id >= 1 && static_cast<std::size_t>(id) <= at_zoom.size()) {
                    at_zoom[static_cast<std::size_t>(id - 1)] = 1;
                }
            }
        }
    }
    const double ground_per_pixel_z0 = 2 * M_PI * 6378137.0 * std::cos(latitude * M_PI / 180.0) /
                                       tile_pixels;
    std::vector<TileLayerCheck> out;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const TileLayer& spec = layers[i];
        const OutputLayer& layer = *spec.layer;
        TileLayerCheck check{spec.name, spec.min_zoom, max_zoom, layer.rows.size(), 0};
        for (int zoom = spec.min_zoom; zoom <= max_zoom; ++zoom) {
            const auto& at_zoom = seen[i][static_cast<std::size_t>(zoom - spec.min_zoom)];
            const double pixel = ground_per_pixel_z0 / std::pow(2.0, zoom);
            for (std::size_t r = 0; r < at_zoom.size(); ++r) {
                if (at_zoom[r] != 0) {
                    continue;
                }
                const Box box = envelope(layer.geometry(r));
                const double w = box.max_corner().x() - box.min_corner().x();
                const double h = box.max_corner().y() - box.min_corner().y();
                if (zoom < max_zoom && std::min(w, h) < pixel) {
                    ++check.subpixel_omitted;
                    continue;
                }
                std::string id;
                if (!layer.fields.empty()) {
                    id = " (" + layer.fields.front().name + " " + text_at(layer, r, 0) + ")";
                }
                throw OutputError("tile check: feature " + std::to_string(r + 1) + id +
                                  " of layer " + spec.name + " is missing from the tiles of zoom " +
                                  std::to_string(zoom) + " though it is " +
                                  std::to_string(static_cast<long>(std::lround(w))) + " × " +
                                  std::to_string(static_cast<long>(std::lround(h))) +
                                  " m there (a pixel: " + std::to_string(pixel) + " m)")
                    .set_source(tiles.string());
            }
        }
        out.push_back(check);
    }
    return out;
}

/// The MapLibre style: one vector source, the layers in the single-file viewer's order and
/// colours (parcels and zones in their QGIS styles' classes).
nlohmann::json style_json(const std::vector<TileLayer>& layers, const nlohmann::json& meta,
                          const std::string& title, const double bounds[4]) {
    using nlohmann::json;
    json style = {{"version", 8}, {"name", title}};
    style["sources"]["spaceuse"] = {
        {"type", "vector"},
        {"tiles", json::array({"tiles/{z}/{x}/{y}.pbf"})},
        {"minzoom", 0},
        {"maxzoom", max_zoom},
        {"bounds", json::array({bounds[0], bounds[1], bounds[2], bounds[3]})}};
    json out = json::array();
    out.push_back({{"id", "background"},
                   {"type", "background"},
                   {"paint", {{"background-color", "#f8f8f8"}}}});
    auto has = [&layers](const std::string& name) -> const TileLayer* {
        for (const auto& l : layers) {
            if (l.name == name) {
                return &l;
            }
        }
        return nullptr;
    };
    auto layer =
        [](const std::string& id, const std::string& type, const TileLayer& l, json paint) {
        return json{{"id", id},
                    {"type", type},
                    {"source", "spaceuse"},
                    {"source-layer", l.name},
                    {"minzoom", l.min_zoom},
                    {"paint", std::move(paint)}};
    };
    if (const TileLayer* l = has("zones")) {
        const auto styles = styles_for_layer(*l->layer);
        // The zones' figures in their QGIS classes from a region's view, faded under parcels.
        out.push_back(
            layer("zones-fill", "fill", *l,
                  {{"fill-color", fill_colour(styles.front())},
                   {"fill-opacity", json::array({"interpolate", json::array({"linear"}),
                                                 json::array({"zoom"}), 12, 0.8, 14, 0.25})}}));
        out.push_back(
            layer("zones-line", "line", *l, {{"line-color", "#222222"}, {"line-width", 2.5}}));
    }
    if (const TileLayer* l = has("roads")) {
        out.push_back(layer("roads", "line", *l, {{"line-color", "#9a9a9a"}, {"line-width", 2}}));
    }
    if (const TileLayer* l = has("isochrones")) {
        out.push_back(layer("isochrones-fill", "fill", *l,
                            {{"fill-color", "#332288"}, {"fill-opacity", 0.08}}));
        out.push_back(
            layer("isochrones-line", "line", *l, {{"line-color", "#332288"}, {"line-width", 1}}));
    }
    if (const TileLayer* l = has("parcels")) {
        out.push_back(
            layer("parcels-fill", "fill", *l, {{"fill-color", meta["parcel_colours"]["status"]}}));
        out.push_back(
            layer("parcels-line", "line", *l, {{"line-color", "#6e6e6e"}, {"line-width", 0.7}}));
    }
    if (const TileLayer* l = has("changes")) {
        const json retired = json::array({"==", json::array({"get", "category"}), "retired"});
        json fill = layer("changes-fill", "fill", *l,
                          {{"fill-color", fill_colour(styles_for_layer(*l->layer).front())}});
        fill["filter"] = json::array({"!", retired});
        out.push_back(fill);
        json line = layer("changes-retired", "line", *l,
                          {{"line-color", "#000000"},
                           {"line-width", 1.5},
                           {"line-dasharray", json::array({2.7, 2})}});
        line["filter"] = retired;
        out.push_back(line);
    }
    if (const TileLayer* l = has("free_space")) {
        out.push_back(layer("free_space-fill", "fill", *l,
                            {{"fill-color", "#117733"}, {"fill-opacity", 0.3}}));
        out.push_back(layer("free_space-line", "line", *l,
                            {{"line-color", "#117733"},
                             {"line-width", 1},
                             {"line-dasharray", json::array({3, 3})}}));
    }
    if (const TileLayer* l = has("buildings")) {
        out.push_back(
            layer("buildings", "fill", *l, {{"fill-color", "#5a5a5a"}, {"fill-opacity", 0.9}}));
    }
    if (const TileLayer* l = has("facilities")) {
        json colour = json::array({"match", json::array({"get", "kind"})});
        for (const auto& [kind, c] : meta["facility_colours"].items()) {
            colour.push_back(kind);
            colour.push_back(c);
        }
        colour.push_back("#999933");
        out.push_back(layer("facilities", "circle", *l,
                            {{"circle-radius", 4.5},
                             {"circle-color", colour},
                             {"circle-stroke-color", "#ffffff"},
                             {"circle-stroke-width", 1}}));
    }
    style["layers"] = out;
    return style;
}

/// Parcel colourings of the switch: by status (the QGIS style's categories), by each
/// definition's level, by each scenario's added floor area (the report's classes).
nlohmann::json parcel_colours(const OutputLayer& parcels, const nlohmann::json& meta) {
    using nlohmann::json;
    json out = json::object();
    out["status"] = fill_colour(styles_for_layer(parcels).front());
    for (const auto& d : meta["definitions"]) {
        const std::string col = d["column"].get<std::string>();
        json e = json::array(
            {"match",
             json::array({"coalesce", json::array({"get", col + "_level"}), "not computable"})});
        for (const auto& [level, c] : meta["level_colours"].items()) {
            e.push_back(level);
            e.push_back(c);
        }
        e.push_back("#dddddd");
        out[col] = e;
    }
    for (const auto& sc : meta["scenarios"]) {
        const std::string field = sc["name"].get<std::string>() + "_floor_m2";
        const auto& classes = meta["capacity_classes"];
        json step = json::array({"step", json::array({"get", field}), classes[0]["colour"]});
        for (std::size_t i = 1; i < classes.size(); ++i) {
            step.push_back(classes[i]["from"]);
            step.push_back(classes[i]["colour"]);
        }
        out["scenario:" + sc["name"].get<std::string>()] = json::array(
            {"case",
             json::array({"==", json::array({"typeof", json::array({"get", field})}), "number"}),
             step, "#dddddd"});
    }
    return out;
}

/// Parcels per class of each colouring (the single-file viewer counts them in the page).
nlohmann::json class_counts(const OutputLayer& parcels, const nlohmann::json& meta) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& d : meta["definitions"]) {
        const std::string col = d["column"].get<std::string>();
        std::map<std::string, int> n;
        const auto c = column(parcels, col + "_level");
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            const std::string l = c ? text_at(parcels, r, *c) : "";
            ++n[l.empty() ? "not computable" : l];
        }
        out[col] = n;
    }
    for (const auto& sc : meta["scenarios"]) {
        const std::string name = sc["name"].get<std::string>();
        const auto c = column(parcels, name + "_floor_m2");
        const auto& classes = meta["capacity_classes"];
        std::map<std::string, int> n;
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            const auto v = c ? number_at(parcels, r, *c) : std::nullopt;
            if (!v) {
                ++n["no value"];
                continue;
            }
            std::size_t k = 0;
            while (k + 1 < classes.size() && *v >= classes[k + 1]["from"].get<double>()) {
                ++k;
            }
            ++n[classes[k]["label"].get<std::string>()];
        }
        out["scenario:" + name] = n;
    }
    return out;
}

/// FNV-1a of a parcel id, the shard of the search index holding it (viewer.js hashes alike).
unsigned shard_of(const std::string& id) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : id) {
        h ^= c;
        h *= 16777619u;
    }
    return h & 0xFFu;
}

double round_to(double v, double step) { return std::round(v / step) * step; }

/// The search index: zones (id, name, bounds, label point) and parcels (id, bounds, a point
/// inside), lon/lat to 1e-6 degrees. Files: path → text.
std::map<std::string, std::string> search_index(const ViewerContent& content, const CrsInfo& crs) {
    Transformer to_wgs84(crs_definition(crs), "EPSG:4326");
    auto lonlat = [&to_wgs84](double x, double y) {
        double xy[2] = {x, y};
        to_wgs84.transform(xy, 1);
        return std::pair<double, double>(round_to(xy[0], 1e-6), round_to(xy[1], 1e-6));
    };
    auto entry = [&lonlat](const OutputLayer& layer, std::size_t r) {
        nlohmann::json e = nlohmann::json::array();
        const Box b = envelope(layer.geometry(r));
        const auto lo = lonlat(b.min_corner().x(), b.min_corner().y());
        const auto hi = lonlat(b.max_corner().x(), b.max_corner().y());
        e.push_back({lo.first, lo.second, hi.first, hi.second});
        const auto* mp = std::get_if<MultiPolygon>(&layer.geometry(r));
        const auto p = mp ? interior_point(*mp) : std::nullopt;
        if (p) {
            const auto q = lonlat(p->x(), p->y());
            e.push_back({q.first, q.second});
        } else {
            e.push_back(nullptr);
        }
        return e;
    };
    std::map<std::string, std::string> files;
    if (const ViewerLayer* z = content.find("zones")) {
        const OutputLayer& zones = *z->layer;
        const std::size_t id = *column(zones, "zone_id");
        const auto name = column(zones, "name");
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t r = 0; r < zones.rows.size(); ++r) {
            nlohmann::json e = entry(zones, r);
            list.push_back(
                {text_at(zones, r, id), name ? text_at(zones, r, *name) : "", e[0], e[1]});
        }
        files["search/zones.json"] = list.dump();
    }
    if (const ViewerLayer* p = content.find("parcels")) {
        const OutputLayer& parcels = *p->layer;
        const std::size_t id = *column(parcels, "parcel_id");
        std::map<unsigned, nlohmann::json> shards;
        for (std::size_t r = 0; r < parcels.rows.size(); ++r) {
            const std::string pid = text_at(parcels, r, id);
            auto& shard = shards[shard_of(pid)];
            if (shard.is_null()) {
                shard = nlohmann::json::object();
            }
            shard[pid] = entry(parcels, r);
        }
        for (const auto& [k, shard] : shards) {
            char name[32];
            std::snprintf(name, sizeof name, "search/parcels-%02x.json", k);
            files[name] = shard.dump();
        }
    }
    return files;
}

void write_file(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) {
        throw OutputError("cannot write the file").set_source(path.string());
    }
}

const char* const tiled_viewer_css = R"(
html, body { margin: 0; height: 100%; font-family: "DejaVu Sans", Arial, sans-serif; }
#map { position: absolute; top: 48px; bottom: 0; left: 0; right: 0; background: #f8f8f8; }
#top { height: 48px; padding: 6px 12px; box-sizing: border-box; border-bottom: 1px solid #ccc; position: relative; }
#top h1 { font-size: 17px; margin: 0; }
#top div { font-size: 12px; color: #555; }
#su-search { position: absolute; right: 12px; top: 10px; z-index: 5; }
#su-search input { width: 240px; font-size: 13px; padding: 4px 6px; }
#su-search ul { list-style: none; margin: 0; padding: 0; background: white; box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-height: 300px; overflow-y: auto; }
#su-search li { padding: 3px 8px; font-size: 12px; cursor: pointer; }
#su-search li:hover { background: #eef; }
.su-panel { position: absolute; z-index: 2; background: white; padding: 8px 10px; font-size: 12px; line-height: 18px;
            border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
.su-panel i { display: inline-block; width: 18px; height: 12px; margin-right: 6px;
              vertical-align: middle; border: 1px solid #6e6e6e; }
.su-panel b { display: block; margin-top: 4px; }
.su-panel label { display: block; }
.su-label { font-size: 12px; font-weight: bold; background: rgba(255,255,255,0.8); padding: 0 3px; pointer-events: none; }
.su-popup table { border-collapse: collapse; font-size: 12px; }
.su-popup td { padding: 1px 6px; }
.su-popup td:last-child { text-align: right; font-weight: bold; }
)";

const char* const tiled_viewer_js = R"(
(function () {
  'use strict';
  const M = SPACEUSE_META;
  const status = document.getElementById('spaceuse-status');
  const base = location.href.replace(/[#?].*$/, '').replace(/[^/]*$/, '');
  const shown = { loaded: false, colour_by: 'status', errors: [] };
  function report() {
    status.textContent = JSON.stringify(shown);
    if (shown.loaded) status.setAttribute('data-loaded', 'yes');
  }
  const fmt = (v, d) => (v === null || v === undefined) ? '–' :
    (typeof v === 'number' ? v.toLocaleString('en-GB', { maximumFractionDigits: d === undefined ? 1 : d }) : String(v));
  const esc = t => String(t).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const pct = v => (v === null || v === undefined) ? '–' : (100 * v).toFixed(1) + ' %';
  const rows = list => '<table>' + list.map(r => '<tr><td>' + r[0] + '</td><td>' + r[1] + '</td></tr>').join('') + '</table>';
  const scenarioOf = c => c.startsWith('scenario:') ? c.slice(9) : null;
  let colourBy = 'status';
  // Popups: the figures of the clicked feature; access, definitions and scenarios are joined
  // to the parcels in the tiles.
  function parcelPopup(p) {
    const list = [['Parcel', esc(p.parcel_id)], ['Zone', esc(fmt(p.zone_id))], ['Status', esc(p.status + ' (' + p.status_source + ')')],
      ['Area', fmt(p.area_m2, 0) + ' m²'], ['Built', fmt(p.built_m2, 0) + ' m²'], ['Coverage', pct(p.coverage)],
      ['Floor area ratio', fmt(p.far, 2)], ['Usable free area', fmt(p.free_m2, 0) + ' m²'],
      ['Largest free piece', fmt(p.largest_free_m2, 0) + ' m²'], ['Buildings', fmt(p.n_buildings)]];
    for (const k of M.access_kinds) {
      const d = p[k.prefix + '_dist_m'], t = p[k.prefix + '_time_min'];
      if (d !== undefined || t !== undefined)
        list.push([k.label, d === undefined || d === null ? 'not reached' : fmt(d / 1000, 1) + ' km, ' + fmt(t, 0) + ' min']);
    }
    for (const def of M.definitions) {
      const c = p[def.column + '_class'];
      list.push(['Definition ' + esc(def.name), esc(c === null || c === undefined ? fmt(p[def.column + '_rule']) : c + ' (' + p[def.column + '_level'] + ')')]);
    }
    for (const sc of M.scenarios) {
      const k = sc.name, note = p[k + '_note'], rank = p[k + '_rank'];
      list.push(['Scenario ' + esc(k), '+' + fmt(p[k + '_floor_m2'], 0) + ' m² floor, +' + fmt(p[k + '_footprint_m2'], 0) + ' m² footprint' +
        (p[k + '_jobs'] === null || p[k + '_jobs'] === undefined ? '' : ', ' + fmt(p[k + '_jobs'], 0) + ' jobs') +
        (rank === null || rank === undefined ? '' : '; rank ' + rank + ' (' + fmt(p[k + '_score'], 1) + ' points)') +
        (note ? '; ' + esc(note) : '')]);
    }
    return '<div class="su-popup">' + rows(list) + '</div>';
  }
  function zonePopup(p) {
    return '<div class="su-popup"><b>' + esc(p.name || p.zone_id) + '</b>' + rows([
      ['Gross area', fmt(p.gross_m2, 0) + ' m²'], ['Net parcel area', fmt(p.net_m2, 0) + ' m²'],
      ['Built', fmt(p.built_m2, 0) + ' m²'], ['Coverage', pct(p.coverage)], ['Occupancy', pct(p.occupancy)],
      ['Vacant', fmt(p.vacant_m2, 0) + ' m²'], ['Underused', fmt(p.underused_m2, 0) + ' m²'],
      ['Usable free area', fmt(p.free_m2, 0) + ' m²'],
      ['Parcels occ/und/vac', p.n_occupied + ' / ' + p.n_underused + ' / ' + p.n_vacant]]) + '</div>';
  }
  const sign = (v, d) => (v === null || v === undefined) ? '–' : (v > 0 ? '+' : '') + fmt(v, d);
  function changePopup(p) {
    return '<div class="su-popup"><b>' + M.change_labels[p.category] + '</b>' + rows([
      ['Change', esc(p.change)], ['Parcels ' + M.change_since, esc(fmt(p.parcel_ids_before))],
      ['Parcels now', esc(fmt(p.parcel_ids_after))], ['Zone', esc(fmt(p.zone_id))],
      ['Status ' + M.change_since, esc(fmt(p.status_before))], ['Status now', esc(fmt(p.status_after))],
      ['Area then / now', fmt(p.area_before_m2, 0) + ' / ' + fmt(p.area_after_m2, 0) + ' m²'],
      ['Built', sign(p.d_built_m2, 0) + ' m²'], ['Coverage', p.d_coverage === null || p.d_coverage === undefined ? '–' : sign(100 * p.d_coverage, 1) + ' pt'],
      ['Floor area', sign(p.d_floor_m2, 0) + ' m²'], ['Usable free area', sign(p.d_free_m2, 0) + ' m²']]) + '</div>';
  }
  function legendHtml() {
    let h = '';
    if (colourBy === 'status') {
      h += '<b>Parcels by status</b>';
      for (const s of ['occupied', 'underused', 'vacant'])
        h += '<div><i style="background:' + M.status_colours[s] + '"></i>' + s + ' (' + (M.status_counts[s] || 0) + ')</div>';
    } else if (scenarioOf(colourBy)) {
      const n = M.class_counts[colourBy] || {};
      h += '<b>Added floor area, m², ' + esc(scenarioOf(colourBy)) + '</b>';
      for (const c of M.capacity_classes)
        h += '<div><i style="background:' + c.colour + '"></i>' + c.label + ' (' + (n[c.label] || 0) + ')</div>';
      if (n['no value']) h += '<div><i style="background:#dddddd"></i>no value (' + n['no value'] + ')</div>';
    } else {
      const def = M.definitions.find(d => d.column === colourBy);
      const n = M.class_counts[colourBy] || {};
      h += '<b>Parcels under ' + esc(def.name) + '</b>';
      for (const l of ['available', 'partly available', 'not available', 'not computable'])
        if (l !== 'not computable' || n[l]) h += '<div><i style="background:' + M.level_colours[l] + '"></i>' + l + ' (' + (n[l] || 0) + ')</div>';
    }
    h += '<b>Other layers</b><div><i style="background:#117733;opacity:0.5"></i>usable free space</div>' +
      '<div><i style="background:#5a5a5a"></i>building</div>';
    if (M.zone_legend && M.zone_legend.classes.length) {
      h += '<b>Zones by ' + esc(M.zone_legend.field) + '</b>';
      for (const c of M.zone_legend.classes) h += '<div><i style="background:' + c.colour + ';border:2px solid #222"></i>' + esc(c.label) + '</div>';
    } else h += '<div><i style="background:#f0f0f0;border:2px solid #222"></i>zone</div>';
    if (M.change_order) {
      h += '<b>Changes since ' + M.change_since + '</b>';
      for (const c of M.change_order)
        h += '<div><i style="' + (c === 'retired' ? 'background:none;border:1.5px dashed #000' : 'background:' + M.change_colours[c]) +
          '"></i>' + M.change_labels[c] + ' (' + (M.change_counts[c] || 0) + ')</div>';
    }
    for (const k of Object.keys(M.facility_colours))
      h += '<div><i style="background:' + M.facility_colours[k] + ';border-radius:50%"></i>' + esc(k.replace(/_/g, ' ')) + '</div>';
    return h;
  }
  window.addEventListener('error', e => { shown.errors.push(String(e.message)); report(); });
  fetch('style.json').then(r => r.json()).then(style => {
    // Tile URLs must be absolute for MapLibre's workers.
    style.sources.spaceuse.tiles = [base + 'tiles/{z}/{x}/{y}.pbf'];
    const probe = (location.hash.match(/probe=([^&]+)/) || [])[1];
    const map = new maplibregl.Map({ container: 'map', style: style, bounds: M.bounds,
      fitBoundsOptions: { padding: 20 }, maxZoom: 20, preserveDrawingBuffer: !!probe,
      attributionControl: { compact: false, customAttribution: M.sources } });
    window.spaceuseMap = map;
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    const has = id => !!map.getLayer(id);
    // Layer toggles, as the single-file viewer's.
    const toggles = [['Zones', ['zones-fill', 'zones-line'], true], ['Roads', ['roads'], true],
      ['Isochrones', ['isochrones-fill', 'isochrones-line'], false], ['Parcels', ['parcels-fill', 'parcels-line'], true],
      ['Changes since ' + M.change_since, ['changes-fill', 'changes-retired'], false],
      ['Usable free space', ['free_space-fill', 'free_space-line'], true], ['Buildings', ['buildings'], true],
      ['Facilities', ['facilities'], true]];
    const legend = document.createElement('div');
    legend.className = 'su-panel';
    legend.style.right = '10px'; legend.style.bottom = '30px';
    legend.innerHTML = legendHtml();
    document.getElementById('map').appendChild(legend);
    function setVisible(t, on) {
      for (const id of toggles[t][1]) if (has(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }
    // The toggles and the colouring switch, once the style's layers exist.
    function buildPanel() {
      const panel = document.createElement('div');
      panel.className = 'su-panel';
      panel.style.left = '10px'; panel.style.top = '10px';
      let h = '';
      toggles.forEach((t, i) => {
        if (!t[1].some(has)) return;
        h += '<label><input type="checkbox" data-t="' + i + '"' + (t[2] ? ' checked' : '') + '> ' + esc(t[0]) + '</label>';
      });
      if (M.definitions.length || M.scenarios.length) {
        h += '<b>Colour parcels by</b><select id="su-colour-by"><option value="status">status (' + esc(M.profile) + ')</option>';
        for (const d of M.definitions) h += '<option value="' + esc(d.column) + '">definition: ' + esc(d.name) + '</option>';
        for (const sc of M.scenarios) h += '<option value="scenario:' + esc(sc.name) + '">scenario: ' + esc(sc.name) + ' (added floor area)</option>';
        h += '</select>';
      }
      panel.innerHTML = h;
      document.getElementById('map').appendChild(panel);
      panel.querySelectorAll('input[type=checkbox]').forEach(c => c.addEventListener('change', e => setVisible(+e.target.dataset.t, e.target.checked)));
      const select = document.getElementById('su-colour-by');
      if (select) select.addEventListener('change', e => colour(e.target.value));
    }
    function colour(by) {
      if (!M.parcel_colours[by]) return;
      colourBy = by;
      if (has('parcels-fill')) map.setPaintProperty('parcels-fill', 'fill-color', M.parcel_colours[by]);
      legend.innerHTML = legendHtml();
      shown.colour_by = by;
      if (by !== 'status') shown.levels = M.class_counts[by]; else delete shown.levels;
      const select = document.getElementById('su-colour-by');
      if (select) select.value = by;
      report();
    }
    // Popups: the top clickable feature under the pointer.
    const clickable = ['changes-fill', 'parcels-fill', 'zones-fill'];
    let popup = null;
    function openPopup(f, lngLat) {
      const l = f.layer.id;
      const html = l === 'parcels-fill' ? parcelPopup(f.properties) : l === 'zones-fill' ? zonePopup(f.properties) : changePopup(f.properties);
      if (popup) popup.remove();
      popup = new maplibregl.Popup({ maxWidth: '380px' }).setLngLat(lngLat).setHTML(html).addTo(map);
      return popup;
    }
    function featureAt(point) {
      const layers = clickable.filter(id => has(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
      return map.queryRenderedFeatures(point, { layers: layers })[0];
    }
    map.on('click', e => { const f = featureAt(e.point); if (f) openPopup(f, e.lngLat); });
    map.on('mousemove', e => { map.getCanvas().style.cursor = featureAt(e.point) ? 'pointer' : ''; });
    // Zone labels (HTML, so no glyph server is needed), from a town's view on; a label that
    // would overlap one placed before it is left out.
    const labels = [];
    let zones = [];
    function placeLabels() {
      const taken = [], b = map.getBounds(), z = map.getZoom();
      zones.forEach((zone, i) => {
        const m = labels[i];
        if (!m) return;
        let on = false;
        if (z >= 10 && b.contains(zone[3])) {
          const p = map.project(zone[3]), w = 7.5 * (zone[1] || zone[0]).length + 8;
          const r = [p.x - w / 2, p.y - 10, p.x + w / 2, p.y + 10];
          on = !taken.some(t => r[0] < t[2] && t[0] < r[2] && r[1] < t[3] && t[1] < r[3]);
          if (on) taken.push(r);
        }
        if (on !== m.on) { if (on) m.addTo(map); else m.remove(); m.on = on; }
      });
    }
    fetch('search/zones.json').then(r => r.ok ? r.json() : []).then(list => {
      zones = list;
      for (const z of list) {
        let m = null;
        if (z[3]) {
          const el = document.createElement('div');
          el.className = 'su-label';
          el.textContent = z[1] || z[0];
          m = new maplibregl.Marker({ element: el }).setLngLat(z[3]);
          m.on = false;
        }
        labels.push(m);
      }
      map.on('moveend', placeLabels);
      placeLabels();
    });
    // Search: a parcel by its id (exact), zones by id or name (any part).
    function shardOf(id) {
      let h = 2166136261;
      for (const b of new TextEncoder().encode(id)) { h ^= b; h = Math.imul(h, 16777619) >>> 0; }
      return ('0' + (h & 255).toString(16)).slice(-2);
    }
    function findParcel(id) {
      return fetch('search/parcels-' + shardOf(id) + '.json').then(r => r.ok ? r.json() : {}).then(s => s[id] || null);
    }
    function goTo(b) { map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom: 18, duration: 0 }); }
    // Opens the popup of the parcel once its tile is drawn (the search and the test probe).
    function showParcel(id, entry, open) {
      return new Promise(resolve => {
        goTo(entry[0]);
        map.once('idle', () => {
          const pt = map.project(entry[1] || [(entry[0][0] + entry[0][2]) / 2, (entry[0][1] + entry[0][3]) / 2]);
          const f = map.queryRenderedFeatures(pt, { layers: ['parcels-fill'] }).find(x => x.properties.parcel_id === id);
          if (f && open !== false) openPopup(f, map.unproject(pt));
          const r = map.getCanvas().getBoundingClientRect();
          resolve(f ? { feature: f, point: [r.left + pt.x, r.top + pt.y] } : null);
        });
      });
    }
    const results = document.getElementById('su-search-results');
    const text = document.getElementById('su-search-text');
    function search(q) {
      results.innerHTML = '';
      q = q.trim();
      if (!q) return;
      const lower = q.toLowerCase();
      const hits = zones.filter(z => z[0].toLowerCase().includes(lower) || (z[1] || '').toLowerCase().includes(lower)).slice(0, 10);
      findParcel(q).then(p => {
        const items = [];
        if (p) items.push(['Parcel ' + q, () => showParcel(q, p)]);
        for (const z of hits) items.push(['Zone ' + z[0] + (z[1] ? ' – ' + z[1] : ''), () => goTo(z[2])]);
        if (!items.length) items.push(['Nothing found for "' + q + '"', () => {}]);
        for (const [label, go] of items) {
          const li = document.createElement('li');
          li.textContent = label;
          li.addEventListener('click', () => { results.innerHTML = ''; go(); });
          results.appendChild(li);
        }
      });
    }
    document.getElementById('su-search').addEventListener('submit', e => {
      e.preventDefault();
      search(text.value);
      const first = results.querySelector('li');
      if (first) setTimeout(() => { const li = results.querySelector('li'); if (li) li.click(); }, 300);
    });
    text.addEventListener('input', () => search(text.value));
    map.on('load', () => {
      const t0 = performance.now();
      buildPanel();
      toggles.forEach((t, i) => setVisible(i, t[2]));
      const wanted = (location.hash.match(/colour=([A-Za-z0-9_:]+)/) || [])[1];
      if (wanted) colour(wanted);
      map.once('idle', () => {
        shown.first_render_ms = Math.round(performance.now() - t0 + (performance.timing ? t0 : 0));
        shown.zoom = Math.round(map.getZoom() * 100) / 100;
        shown.rendered = {};
        for (const l of map.getStyle().layers)
          if (l.source) shown.rendered[l.id] = map.queryRenderedFeatures({ layers: [l.id] }).length;
        if (!probe) { shown.loaded = true; report(); return; }
        // Test hook (index.html#probe=<parcel id>): zoom to the parcel and report where on the
        // page it is drawn, for the test to click there.
        const id = decodeURIComponent(probe);
        findParcel(id).then(entry => entry ? showParcel(id, entry, false) : null).then(r => {
          shown.probe = r ? { parcel_id: id, point: r.point } : { parcel_id: id, found: false };
          shown.probe_zoom = Math.round(map.getZoom() * 100) / 100;
          shown.probe_rendered = map.queryRenderedFeatures({ layers: ['parcels-fill'] }).length;
          shown.loaded = true;
          report();
        });
      });
    });
    report();
  }).catch(e => { shown.errors.push(String(e)); shown.loaded = true; report(); });
})();
)";

}  // namespace

void write_tiled_viewer(const ViewerContent& content, const StudyReport& report,
                        const std::string& dir, const WriteOptions& write, ViewerWritten& written) {
    const fs::path lib = library_dir(
        "SPACEUSE_MAPLIBRE_DIR", SPACEUSE_BUILD_MAPLIBRE_DIR, SPACEUSE_INSTALL_MAPLIBRE_DIR,
        {"maplibre-gl.js", "maplibre-gl.css", "LICENSE.txt"}, "MapLibre GL JS");
    const std::vector<TileLayer> layers = tile_layers_of(content);
    if (layers.empty()) {
        throw OutputError("nothing to draw: the results hold no layer with features")
            .set_source(dir);
    }
    OutputFolder folder(dir, write.overwrite, "viewer.json");
    const fs::path root(folder.staging());

    // Bounds (lon/lat) and latitude of the zones, or of everything.
    Box box;
    bg::assign_inverse(box);
    const TileLayer* frame = &layers.front();
    for (const auto& l : layers) {
        if (l.name == "zones") {
            frame = &l;
        }
    }
    for (std::size_t r = 0; r < frame->layer->rows.size(); ++r) {
        bg::expand(box, envelope(frame->layer->geometry(r)));
    }
    Transformer to_wgs84(crs_definition(report.crs), "EPSG:4326");
    double corners[4] = {box.min_corner().x(), box.min_corner().y(), box.max_corner().x(),
                         box.max_corner().y()};
    to_wgs84.transform(corners, 2);
    const double bounds[4] = {round_to(corners[0], 1e-6), round_to(corners[1], 1e-6),
                              round_to(corners[2], 1e-6), round_to(corners[3], 1e-6)};

    write_tiles(layers, report.crs, content.title, (root / "tiles").string(),
                4 * content.estimated_bytes() <= memory_budget());
    written.layers = check_tiles(layers, root / "tiles", (bounds[1] + bounds[3]) / 2, written.tiles,
                                 written.tile_bytes);

    nlohmann::json meta = content.meta;
    const OutputLayer* parcels = nullptr;
    for (const auto& l : layers) {
        if (l.name == "parcels") {
            parcels = l.layer;
        }
    }
    meta["parcel_colours"] = parcels ? parcel_colours(*parcels, meta) : nlohmann::json::object();
    meta["class_counts"] = parcels ? class_counts(*parcels, meta) : nlohmann::json::object();
    meta["bounds"] = {{bounds[0], bounds[1]}, {bounds[2], bounds[3]}};
    // The zones' classes for the legend, as their QGIS style has them.
    for (const auto& l : layers) {
        if (l.name != "zones") {
            continue;
        }
        const LayerStyle style = styles_for_layer(*l.layer).front();
        nlohmann::json classes = nlohmann::json::array();
        for (const auto& r : style.ranges) {
            classes.push_back({{"label", r.label}, {"colour", css_colour(r.symbol.fill)}});
        }
        for (const auto& c : style.categories) {
            classes.push_back({{"label", c.label}, {"colour", css_colour(c.symbol.fill)}});
        }
        meta["zone_legend"] = {{"field", style.field}, {"classes", classes}};
    }
    nlohmann::json drawn = nlohmann::json::object();
    for (const auto& l : layers) {
        drawn[l.name] = {{"features", l.layer->rows.size()}, {"minzoom", l.min_zoom}};
    }
    meta["layers"] = drawn;
    meta["max_zoom"] = max_zoom;

    std::map<std::string, std::string> files = search_index(content, report.crs);
    files["style.json"] = style_json(layers, meta, content.title, bounds).dump(1) + "\n";
    files["viewer.js"] = tiled_viewer_js;
    const std::string& title = content.title;
    files["index.html"] =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
        escape_markup(title) +
        "</title>\n<link rel=\"stylesheet\" href=\"maplibre/maplibre-gl.css\">\n<style>" +
        tiled_viewer_css +
        "</style>\n<script src=\"maplibre/maplibre-gl.js\"></script>\n</head>\n<body>\n"
        "<div id=\"top\"><h1>" +
        escape_markup(title) + "</h1><div>" + content.subtitle_html +
        "</div><form id=\"su-search\" autocomplete=\"off\"><input id=\"su-search-text\" "
        "type=\"search\" placeholder=\"Parcel id, zone id or name\" aria-label=\"Find a parcel "
        "or zone\"><ul id=\"su-search-results\"></ul></form></div>\n"
        "<div id=\"map\"></div>\n<div id=\"spaceuse-status\" hidden></div>\n"
        "<script>const SPACEUSE_META = " +
        nlohmann::json(meta).dump() +
        ";</script>\n<script src=\"viewer.js\"></script>\n</body>\n</html>\n";
    files["maplibre/maplibre-gl.js"] = read_whole_file(lib / "maplibre-gl.js");
    files["maplibre/maplibre-gl.css"] = read_whole_file(lib / "maplibre-gl.css");
    files["maplibre/LICENSE.txt"] = read_whole_file(lib / "LICENSE.txt");
    for (const auto& [name, text] : files) {
        write_file(root / name, text);
    }

    // The manifest: every file (the folder is spaceuse's to replace) and the tile check.
    nlohmann::json manifest;
    manifest["tool"] = std::string("spaceuse ") + SPACEUSE_VERSION;
    manifest["format"] = "spaceuse-viewer";
    manifest["title"] = title;
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : written.layers) {
        checks.push_back({{"layer", c.layer},
                          {"minzoom", c.min_zoom},
                          {"maxzoom", c.max_zoom},
                          {"features", c.features},
                          {"subpixel_omitted", c.subpixel_omitted}});
    }
    manifest["tiles"] = {
        {"count", written.tiles}, {"bytes", written.tile_bytes}, {"layers", checks}};
    std::vector<std::string> listed;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        if (it->is_regular_file()) {
            listed.push_back(fs::relative(it->path(), root).generic_string());
        }
    }
    std::sort(listed.begin(), listed.end());
    manifest["outputs"] = nlohmann::json::array();
    for (const auto& f : listed) {
        manifest["outputs"].push_back({{"file", f}});
    }
    write_file(root / "viewer.json", manifest.dump(1) + "\n");
    folder.commit();
}

}  // namespace spaceuse::detail
