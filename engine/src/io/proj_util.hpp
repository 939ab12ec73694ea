#pragma once

// PROJ handles behind RAII, and a batch coordinate transformer from a layer's CRS to the
// analysis CRS. Each Transformer owns its own PROJ context, so one per thread is safe.

#include <spaceuse/crs.hpp>
#include <spaceuse/geometry.hpp>

#include <boost/geometry/algorithms/for_each.hpp>

#include <proj.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spaceuse::detail {

struct ProjContextDeleter {
    void operator()(PJ_CONTEXT* ctx) const noexcept { proj_context_destroy(ctx); }
};
using ProjContextPtr = std::unique_ptr<PJ_CONTEXT, ProjContextDeleter>;

struct PjDeleter {
    void operator()(PJ* pj) const noexcept { proj_destroy(pj); }
};
using PjPtr = std::unique_ptr<PJ, PjDeleter>;

/// A fresh PROJ context whose log output is captured (PROJ would print to stderr otherwise).
ProjContextPtr make_proj_context();

/// Definition to hand to PROJ for a CRS: its authority code when known, else its WKT.
std::string crs_definition(const CrsInfo& crs);

/// Transforms coordinates from one CRS to another with PROJ's best available operation, in
/// traditional GIS order (x = easting/longitude).
class Transformer {
public:
    /// @param swap_xy the source data has northing/latitude first (authority axis order).
    Transformer(const std::string& source, const std::string& target, bool swap_xy = false);

    /// Transforms in place `n` points of interleaved x,y. Returns false when any point could
    /// not be transformed (its coordinates then are HUGE_VAL).
    bool transform(double* xy, std::size_t n);

    /// The operation PROJ used for the last transformed point (or the one it would use for
    /// a point near the source area's centre when none was transformed).
    OperationInfo last_operation() const;

    bool identity() const noexcept { return m_identity; }

private:
    ProjContextPtr m_ctx;
    PjPtr m_pj;
    bool m_identity = false;
    bool m_swap = false;
};

/// Transforms every point of a Boost.Geometry geometry in place (one batch call to PROJ).
/// Returns false when a point could not be transformed.
template <typename G>
bool transform_geometry(G& geometry, Transformer& transformer) {
    std::vector<double> xy;
    boost::geometry::for_each_point(geometry, [&xy](const Point& p) {
        xy.push_back(p.x());
        xy.push_back(p.y());
    });
    if (!transformer.transform(xy.data(), xy.size() / 2)) {
        return false;
    }
    std::size_t i = 0;
    boost::geometry::for_each_point(geometry, [&xy, &i](Point& p) {
        p.x(xy[i]);
        p.y(xy[i + 1]);
        i += 2;
    });
    return true;
}

/// Transforms geometries like transform_geometry, remembering the result of recently seen
/// points: adjacent parcels share most of their vertices and every ring repeats its first
/// point, so a layer of parcels has three to four times as many vertices as distinct points,
/// and a lookup costs a few nanoseconds where PROJ takes most of a microsecond per point
/// (EPSG:31370 to WGS84: inverse Lambert, geocentric Helmert shift). PROJ maps a point to the
/// same result every time, so the results do not depend on what the memo holds: the output
/// is the same as transform_geometry's, bit for bit, whatever order the features come in.
/// The memo is direct-mapped (a point evicts the one in its slot), so its memory is fixed.
/// One per thread, like the Transformer.
class PointMemo {
public:
    /// @param bits the memo holds 2^bits points (48 bytes each), 1 to 24; allocated on the first
    /// transformation.
    explicit PointMemo(unsigned bits = 16)
        : m_bits(std::clamp(bits, 1U, 24U)), m_shift(64 - m_bits) {}

    /// Transforms every point of `geometry` in place. Returns false when a point could not be
    /// transformed (as transform_geometry).
    template <typename G>
    bool transform(G& geometry, Transformer& transformer) {
        if (m_slots.empty()) {
            m_slots.resize(std::size_t{1} << m_bits);
        }
        m_xy.clear();
        m_pending.clear();
        m_copies.clear();
        boost::geometry::for_each_point(geometry, [this](Point& p) {
            Slot& slot = m_slots[slot_of(p.x(), p.y())];
            if (slot.state != State::empty && same(slot.x, p.x()) && same(slot.y, p.y())) {
                if (slot.state == State::done) {
                    p.x(slot.tx);
                    p.y(slot.ty);
                } else {  // met earlier in this geometry: copy its result once transformed
                    m_copies.emplace_back(&p, slot.pending);
                }
                return;
            }
            // The buffers grow first, so a failed allocation leaves no slot pointing past them.
            m_pending.push_back(&p);
            m_xy.push_back(p.x());
            m_xy.push_back(p.y());
            slot.x = p.x();
            slot.y = p.y();
            slot.state = State::pending;
            slot.pending = m_pending.size() - 1;
        });
        const bool ok = transformer.transform(m_xy.data(), m_pending.size());
        for (std::size_t k = 0; k < m_pending.size(); ++k) {
            Point& p = *m_pending[k];
            Slot& slot = m_slots[slot_of(p.x(), p.y())];
            // A later point of this geometry may have taken the slot; and a point PROJ could not
            // transform is not remembered.
            if (slot.state == State::pending && slot.pending == k) {
                const bool finite = std::isfinite(m_xy[2 * k]) && std::isfinite(m_xy[2 * k + 1]);
                slot.state = finite ? State::done : State::empty;
                slot.tx = m_xy[2 * k];
                slot.ty = m_xy[2 * k + 1];
            }
            p.x(m_xy[2 * k]);
            p.y(m_xy[2 * k + 1]);
        }
        for (const auto& [p, k] : m_copies) {
            p->x(m_xy[2 * k]);
            p->y(m_xy[2 * k + 1]);
        }
        return ok;
    }

private:
    enum class State : unsigned char { empty, pending, done };
    struct Slot {
        double x = 0.0;
        double y = 0.0;
        double tx = 0.0;
        double ty = 0.0;
        std::size_t pending = 0;  ///< index into m_pending while State::pending
        State state = State::empty;
    };

    static std::uint64_t bits_of(double v) {
        std::uint64_t b = 0;
        std::memcpy(&b, &v, sizeof b);
        return b;
    }
    /// Bitwise equality: PROJ's result is a function of the exact input bits (0.0 and -0.0
    /// are different keys, a NaN matches itself).
    static bool same(double a, double b) { return bits_of(a) == bits_of(b); }
    std::size_t slot_of(double x, double y) const {
        const std::uint64_t h = (bits_of(x) * 0x9E3779B97F4A7C15ULL) ^
                                (bits_of(y) * 0xC2B2AE3D27D4EB4FULL);
        return static_cast<std::size_t>((h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ULL >> m_shift);
    }

    unsigned m_bits;
    unsigned m_shift;
    std::vector<Slot> m_slots;
    std::vector<double> m_xy;
    std::vector<Point*> m_pending;
    std::vector<std::pair<Point*, std::size_t>> m_copies;
};

}  // namespace spaceuse::detail
