// libFuzzer harness: the GEOS-facing geometry path (repair while reading, overlay, usable free
// space) on zones, parcels and buildings decoded from the fuzz input.
//
// Input: one byte of scale, then features until the input ends (at most kMaxFeatures). Each
// feature is a header byte — bits 0-1 its role (0 zone, 1 parcel, 2 and 3 building), bit 2
// "a hole in the previous feature of that role", bits 3-7 the vertex count minus 3 — and its
// vertices as little-endian int16 pairs times the scale, around a Belgian Lambert 72 origin.
// Rings are closed but otherwise as decoded: self-intersecting, spiky, repeated or collapsed
// rings are what the reader's repair and the overlays must survive. Without a zone, one
// covering every coordinate is added so the parcels are measured.
//
// Checked on every parcel GEOS computed: built ≤ area, free ≤ area, largest ≤ free, no
// negative or non-finite figure; zone totals agree with their parcels' counts.

#include "fuzz_support.hpp"

#include <spaceuse/error.hpp>
#include <spaceuse/io.hpp>
#include <spaceuse/occupancy.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kMaxFeatures = 48;
constexpr double kOriginX = 173000.0;
constexpr double kOriginY = 174000.0;

struct Shape {
    std::vector<std::vector<std::pair<double, double>>> rings;  // outer, then holes
};

std::string number(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string polygon_json(const Shape& s) {
    std::string out = R"({"type":"Polygon","coordinates":[)";
    for (std::size_t r = 0; r < s.rings.size(); ++r) {
        out += r ? ",[" : "[";
        const auto& ring = s.rings[r];
        for (std::size_t i = 0; i <= ring.size(); ++i) {
            const auto& [x, y] = ring[i % ring.size()];  // closed: first point again
            out += (i ? ",[" : "[") + number(x) + "," + number(y) + "]";
        }
        out += "]";
    }
    return out + "]}";
}

std::string collection(const std::vector<Shape>& shapes, const char* prefix) {
    std::string out =
        R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::31370"}},"features":[)";
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        out += (i ? "," : "") + std::string(R"({"type":"Feature","properties":{"id":")") + prefix +
               std::to_string(i) + R"("},"geometry":)" + polygon_json(shapes[i]) + "}";
    }
    return out + "]}";
}

bool bad(double v) { return !std::isfinite(v) || v < 0; }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spaceuse::fuzz::quiet_gdal();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace spaceuse;
    fuzz::ByteReader in(data, size);
    // 1 cm, 1 m, 0.1 mm (rings near collapse) or 10 m per unit.
    const double scales[] = {0.01, 1.0, 1e-4, 10.0};
    const double scale = scales[in.u8() % 4];
    std::vector<Shape> roles[3];
    double lo_x = 0, lo_y = 0, hi_x = 0, hi_y = 0;
    std::size_t n = 0;
    while (!in.done() && n < kMaxFeatures) {
        const std::uint8_t h = in.u8();
        const int role = std::min(h & 3, 2);
        const bool hole = (h & 4) != 0 && !roles[role].empty();
        const std::size_t vertices = 3 + (h >> 3);
        std::vector<std::pair<double, double>> ring;
        for (std::size_t v = 0; v < vertices; ++v) {
            const double x = in.i16() * scale;
            const double y = in.i16() * scale;
            lo_x = std::min(lo_x, x);
            lo_y = std::min(lo_y, y);
            hi_x = std::max(hi_x, x);
            hi_y = std::max(hi_y, y);
            ring.emplace_back(kOriginX + x, kOriginY + y);
        }
        if (hole) {
            roles[role].back().rings.push_back(std::move(ring));
        } else {
            roles[role].push_back(Shape{{std::move(ring)}});
            ++n;
        }
    }
    if (roles[0].empty()) {
        roles[0].push_back(Shape{{{{kOriginX + lo_x - 1, kOriginY + lo_y - 1},
                                   {kOriginX + hi_x + 1, kOriginY + lo_y - 1},
                                   {kOriginX + hi_x + 1, kOriginY + hi_y + 1},
                                   {kOriginX + lo_x - 1, kOriginY + hi_y + 1}}}});
    }
    const char* names[] = {"zones", "parcels", "buildings"};
    const char* prefixes[] = {"Z", "P", "B"};
    std::vector<LayerRequest> requests;
    for (int r = 0; r < 3; ++r) {
        const std::string text = collection(roles[r], prefixes[r]);
        LayerRequest request;
        request.name = names[r];
        request.source.path = fuzz::write_vsimem(std::string(names[r]) + ".geojson", text.data(),
                                                 text.size());
        request.source.id_field = "id";
        requests.push_back(std::move(request));
    }
    LoadOptions load;
    load.threads = 1;
    OccupancyOptions options;
    options.threads = 1;
    try {
        const Model model = load_model(requests, load);
        const OccupancyResult result = compute_occupancy(model, options);
        int counted = 0;
        for (const ParcelResult& p : result.parcels) {
            if (p.failed == ParcelFailure::all) {
                continue;
            }
            // Overlays on a 1 mm snap-rounding grid may move an edge by half a millimetre.
            const double slack = 1e-3 * (1.0 + std::sqrt(std::max(p.area_m2, 0.0))) * 4;
            if (bad(p.area_m2) || bad(p.built_m2) || p.built_m2 > p.area_m2 + slack) {
                std::abort();
            }
            if (p.failed == ParcelFailure::none &&
                (bad(p.free_m2) || bad(p.largest_free_m2) || p.free_m2 > p.area_m2 + slack ||
                 p.largest_free_m2 > p.free_m2 + slack)) {
                std::abort();
            }
            counted += p.zone ? 1 : 0;
        }
        int in_zones = 0;
        for (const ZoneResult& z : result.zones) {
            in_zones += z.n_parcels;
        }
        if (in_zones != counted) {
            std::abort();
        }
    } catch (const Error&) {
    }
    return 0;
}
