#pragma once

// GDAL/OGR helpers: one-time registration, scoped error capture, dataset opening with
// context-rich errors, and conversion of a layer's spatial reference to CrsInfo.

#include <spaceuse/crs.hpp>
#include <spaceuse/io.hpp>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <string>

namespace spaceuse::detail {

/// Registers GDAL's drivers once (thread-safe).
void ensure_gdal_registered();

/// While alive, GDAL errors go to this object instead of stderr; the last one is kept.
class GdalErrorCapture {
public:
    GdalErrorCapture();
    ~GdalErrorCapture();
    GdalErrorCapture(const GdalErrorCapture&) = delete;
    GdalErrorCapture& operator=(const GdalErrorCapture&) = delete;

    /// Last error (CE_Failure or worse) message, empty when none.
    const std::string& last_error() const noexcept { return m_last_error; }
    /// Last warning message.
    const std::string& last_warning() const noexcept { return m_last_warning; }
    void clear() noexcept {
        m_last_error.clear();
        m_last_warning.clear();
    }

private:
    static void CPL_STDCALL handler(CPLErr level, CPLErrorNum number, const char* message);
    std::string m_last_error;
    std::string m_last_warning;
};

/// Opens a vector source read-only. @throws InputError naming the source.
GDALDatasetUniquePtr open_vector(const std::string& path);

/// The layer named in `source` (or the only layer). @throws InputError.
OGRLayer* select_layer(GDALDataset& dataset, const LayerSource& source);

/// CRS of a layer, or an empty CrsInfo (wkt empty) when the layer has none.
CrsInfo layer_crs(OGRLayer& layer);

/// The WGS84 lon/lat bounding box of `env` (in `crs`), from its corners and edge midpoints
/// (enough for study areas). Returns false when it cannot be transformed.
bool wgs84_extent(const CrsInfo& crs, const OGREnvelope& env, double out[4]);

/// True when the data's first coordinate is northing/latitude (authority axis order kept).
bool layer_data_is_north_first(OGRLayer& layer);

}  // namespace spaceuse::detail
