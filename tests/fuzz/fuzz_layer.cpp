// libFuzzer harness: reading one layer from bytes through GDAL's /vsimem/ into the model, as
// `spaceuse` reads parcels, roads or points. Compiled once per format (SPACEUSE_FUZZ_FORMAT):
//   1 GeoJSON: the input is the file;
//   2 Shapefile: the input is the set .shp, .shx, .dbf, .prj, .cpg joined by kPartSeparator
//     (missing parts are missing files);
//   3 GeoPackage: the input is the file.
// The geometry family asked for and whether the "id" field names the features follow from the
// input's length, so each input is read one way, always the same.

#include "fuzz_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>

#include <cmath>
#include <cstdlib>
#include <string_view>

namespace {

#if SPACEUSE_FUZZ_FORMAT == 2
constexpr std::string_view kPartSeparator = "\n--8<--spaceuse--\n";
constexpr const char* kParts[] = {"in.shp", "in.shx", "in.dbf", "in.prj", "in.cpg"};
#endif

std::string put_input(const std::uint8_t* data, std::size_t size) {
    using spaceuse::fuzz::write_vsimem;
#if SPACEUSE_FUZZ_FORMAT == 1
    return write_vsimem("in.geojson", data, size);
#elif SPACEUSE_FUZZ_FORMAT == 2
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    std::size_t start = 0;
    for (const char* part : kParts) {
        const std::string path = std::string("/vsimem/spaceuse_fuzz/") + part;
        VSIUnlink(path.c_str());
        if (start == std::string_view::npos) {
            continue;
        }
        const std::size_t end = all.find(kPartSeparator, start);
        const std::string_view bytes = all.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        write_vsimem(part, bytes.data(), bytes.size());
        start = end == std::string_view::npos ? end : end + kPartSeparator.size();
    }
    return "/vsimem/spaceuse_fuzz/in.shp";
#elif SPACEUSE_FUZZ_FORMAT == 3
    return write_vsimem("in.gpkg", data, size);
#else
#error "SPACEUSE_FUZZ_FORMAT must be 1 (GeoJSON), 2 (Shapefile) or 3 (GeoPackage)"
#endif
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spaceuse::fuzz::quiet_gdal();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace spaceuse;
    LayerRequest request;
    request.name = "parcels";
    request.source.path = put_input(data, size);
    const GeometryFamily families[] = {GeometryFamily::polygon, GeometryFamily::line,
                                       GeometryFamily::point};
    request.family = families[size % 3];
    if ((size / 3) % 2 == 1) {
        request.source.id_field = "id";
    }
    LoadOptions options;
    options.assume_crs = "EPSG:31370";
    options.threads = 1;
    try {
        (void)probe_layer_crs(request.source, options);
        const Model model = load_model({request}, options);
        // Every feature read is kept or rejected, never lost; what is kept has the family
        // asked for and finite coordinates.
        const Layer* layer = model.find("parcels");
        if (layer == nullptr || layer->report.read != layer->report.kept + layer->report.rejected ||
            static_cast<std::int64_t>(layer->features.size()) != layer->report.kept) {
            std::abort();
        }
        for (const Feature& f : layer->features) {
            if (f.geometry.index() != static_cast<std::size_t>(request.family)) {
                std::abort();
            }
            const Box box = envelope(f.geometry);
            if (!std::isfinite(box.min_corner().x()) || !std::isfinite(box.min_corner().y()) ||
                !std::isfinite(box.max_corner().x()) || !std::isfinite(box.max_corner().y())) {
                std::abort();
            }
        }
    } catch (const Error&) {
    }
    return 0;
}
