#!/usr/bin/python3
"""Deterministic synthetic region of irregular business parks in EPSG:31370 (Belgian Lambert 72).

    gen_irregular.py PARCELS OUTDIR [--seed N] [--formats gpkg,shp]

The irregular sibling of gen_region.py: the same output (OUTDIR/region.gpkg with the layers
zones, parcels, buildings, roads, facilities, OUTDIR/shp/<layer>.shp, OUTDIR/region.done
written last), the same fields and the same summary line, with the shapes of real cadastres.
PARCELS is aimed at within a few parcels (not rounded to whole parks); about PARCELS / 100
parks. The same arguments always give the same features.

What the region holds:
- parks (zones), about one per 100 parcels as in gen_region.py, with lobed, star-shaped
  outlines (a radius per angle: a few broad lobes times finer bulges, each from random control
  radii, smoothed; 3-7 narrow V-shaped inlets; vertices at most 18 m apart), of varied size
  (mostly 45 to 220 parcels), each in its own slot of a grid of arterials;
- parcels: a jittered grid of 50 m x 60 m cells laid over the park's bounding box; cells near
  the outline are clipped by it (GEOS through OGR), so about half the parcels have an
  irregular edge, some are slivers and a clip in two pieces stays one multipart parcel; grid
  edges wiggled with 16-190 extra vertices (up to 3 %, at most one per cell, shared by both
  neighbours, so 20-200 vertices a parcel); in the cells the outline leaves whole, enclaves (a
  parcel with a hole holding another parcel, 1.5 %), self-touching parcels (a valid polygon
  whose hole touches the shell at a corner, 1.5 %), thin sliver strips split off as parcels
  of their own (1.5 %), multipart parcels either side of a strip (1 %);
- buildings placed on their own, not from the parcel lines: 0-4 per cell (slightly rotated;
  fewer where the outline cuts the cell, about 1.2 per parcel overall as in gen_region.py),
  some centred on a parcel line (straddling two parcels), rows of terraced houses sharing
  their walls exactly and running across parcel lines, a few stacked exact duplicates, a few
  outside every parcel (just beyond the park's outline); `floors` as in gen_region.py;
- roads and facilities as gen_region.py makes them (its code): internal streets on every other
  grid line of a park, joined to the arterials around its slot, one connected graph; a bus stop
  per park, motorway exits, rail stations.
"""

import argparse
import bisect
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gen_region as gr  # noqa: E402
from osgeo import ogr  # noqa: E402

CELL_W = gr.CELL_W
CELL_H = gr.CELL_H
JITTER = gr.JITTER
TAU = 2.0 * math.pi
MAX_EDGE = 18.0  # longest outline edge (m); the near-cell marking below relies on it
SLOT_MX = CELL_W + 40.0  # slot margin around a park's bounding box (the grid overhangs it)
SLOT_MY = CELL_H + 40.0
MIN_PIECE = 0.5  # m2: smaller pieces of a clipped cell are dropped
SPECIAL_RATE = 0.015  # extra parcels per clear cell (enclaves, slivers)
M0 = 512  # outline samples of the plan


def r3(p):
    return (round(p[0], 3), round(p[1], 3))


def catmull_rom(ctrl, t):
    """Periodic Catmull-Rom interpolation of the control radii at t in [0, 1)."""
    k = len(ctrl)
    s = t * k
    i = int(s) % k
    f = s - int(s)
    p0, p1, p2, p3 = ctrl[i - 1], ctrl[i], ctrl[(i + 1) % k], ctrl[(i + 2) % k]
    return 0.5 * (2 * p1 + (-p0 + p2) * f + (2 * p0 - 5 * p1 + 4 * p2 - p3) * f * f +
                  (-p0 + 3 * p1 - 3 * p2 + p3) * f * f * f)


class Plan:
    """A park's size and normalised outline (radius about 1), drawn before the layout."""

    def __init__(self, seed, zi):
        rng = random.Random("irregular-plan-%d-%d" % (seed, zi))
        self.size = math.exp(rng.gauss(0.0, 0.4))  # relative, normalised over the parks later
        # Radius per angle: a few broad lobes times finer bulges, each from random control
        # radii, smoothed (the finer ones also averaged with their neighbours).
        k = rng.randint(3, 8)
        amp = rng.uniform(0.4, 0.8)
        self.ctrl = [[1.0 + amp * rng.uniform(-1.0, 1.0) for _ in range(k)]]
        k = rng.randint(10, 22)
        amp = rng.uniform(0.15, 0.4)
        raw = [1.0 + amp * rng.uniform(-1.0, 1.0) for _ in range(k)]
        self.ctrl.append([(raw[i - 1] + 4.0 * raw[i] + raw[(i + 1) % k]) / 6.0 for i in range(k)])
        self.phase = rng.uniform(0.0, TAU)
        # Inlets (a stream, a rail spur, land left out): narrow V-shaped notches, angle of the
        # tip (from the phase), half-width (radians) and depth (share of the radius).
        self.inlets = sorted((rng.uniform(0.0, TAU), rng.uniform(0.03, 0.07),
                              rng.uniform(0.12, 0.4)) for _ in range(rng.randint(3, 7)))
        pts = [self.point(a, 1.0) for a in self.angles(M0)]
        # Area, perimeter and bounding box of the normalised outline.
        ring = list(zip(pts, pts[1:] + pts[:1]))
        self.area = 0.5 * sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in ring)
        self.perimeter = sum(math.hypot(x2 - x1, y2 - y1) for (x1, y1), (x2, y2) in ring)
        self.bbox = (min(p[0] for p in pts), min(p[1] for p in pts),
                     max(p[0] for p in pts), max(p[1] for p in pts))

    def radius(self, a):
        """Normalised radius at angle a (from the phase, in [0, 2 pi))."""
        r = max(0.3, catmull_rom(self.ctrl[0], a / TAU) * catmull_rom(self.ctrl[1], a / TAU))
        for c, w, d in self.inlets:
            off = abs((a - c + math.pi) % TAU - math.pi)
            if off < w:
                r *= 1.0 - d * (1.0 - off / w)
        return r

    def angles(self, n):
        """n even angles plus the flanks and tips of the inlets, increasing in [0, 2 pi)."""
        out = [TAU * m / n for m in range(n)]
        for c, w, _ in self.inlets:
            out += [(c + f * w) % TAU for f in (-1.0, -0.5, 0.0, 0.5, 1.0)]
        out.sort()
        return [a for i, a in enumerate(out) if i == 0 or a - out[i - 1] > 1e-6]

    def point(self, a, scale):
        r = scale * self.radius(a)
        return (r * math.cos(a + self.phase), r * math.sin(a + self.phase))

    def scale_for(self, cells):
        """Radius (m) whose outline meets about `cells` grid cells: area plus the band the
        perimeter crosses (a convex shape's expected count of cells hit)."""
        a = self.area / (CELL_W * CELL_H)
        b = self.perimeter * (CELL_W + CELL_H) / (math.pi * CELL_W * CELL_H)
        c = max(2.0, cells) - 1.0
        return (-b + math.sqrt(b * b + 4.0 * a * c)) / (2.0 * a)


class Outline:
    """A star-shaped ring around (cx, cy): vertices at increasing angles, no edge longer than
    MAX_EDGE."""

    def __init__(self, plan, scale, cx, cy):
        self.cx, self.cy = cx, cy
        self.phase = plan.phase
        angles = plan.angles(max(64, int(math.ceil(plan.perimeter * scale / MAX_EDGE))))
        while True:
            pts = [plan.point(a, scale) for a in angles]
            finer = []
            for m, a in enumerate(angles):
                finer.append(a)
                b = angles[m + 1] if m + 1 < len(angles) else TAU
                p, q = pts[m], pts[(m + 1) % len(pts)]
                k = int(math.ceil(math.hypot(q[0] - p[0], q[1] - p[1]) / (0.9 * MAX_EDGE)))
                finer += [a + (b - a) * s / k for s in range(1, k)]
            if len(finer) == len(angles):
                break
            angles = finer
        self.angles = angles
        self.n = len(angles)
        self.pts = [r3((cx + x, cy + y)) for x, y in pts]
        ring = self.pts + [self.pts[0]]
        self.geom = ogr.CreateGeometryFromWkb(gr.polygon_wkb([ring]))
        self.wkb = gr.multipolygon_wkb([[ring]])

    def contains(self, p):
        x, y = p
        ang = (math.atan2(y - self.cy, x - self.cx) - self.phase) % TAU
        m = bisect.bisect_right(self.angles, ang) - 1
        x1, y1 = self.pts[m]
        x2, y2 = self.pts[(m + 1) % self.n]
        return (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) > 0.0


def wiggle(rng, p, q):
    """16-190 points between p and q, off the straight line by up to ~1.5 m, tapering to 0 at
    the ends: a graph over the segment, so the edge stays simple."""
    n = rng.randint(16, 190)
    dx, dy = q[0] - p[0], q[1] - p[1]
    length = math.hypot(dx, dy)
    nx, ny = -dy / length, dx / length
    amp = rng.uniform(0.3, 1.2)
    f1, ph1 = rng.randint(1, 5), rng.uniform(0.0, TAU)
    f2, ph2 = rng.randint(8, 30), rng.uniform(0.0, TAU)
    out = []
    for k in range(1, n + 1):
        t = k / (n + 1)
        env = math.sin(math.pi * t)
        off = env * (amp * (0.75 * math.sin(f1 * math.pi * t + ph1) +
                            0.25 * math.sin(f2 * math.pi * t + ph2)) + rng.uniform(-0.05, 0.05))
        out.append(r3((p[0] + t * dx + off * nx, p[1] + t * dy + off * ny)))
    return out


def polygon_parts(g, out):
    t = ogr.GT_Flatten(g.GetGeometryType())
    if t == ogr.wkbPolygon:
        if g.GetArea() >= MIN_PIECE:
            out.append(g.ExportToWkb(ogr.wkbNDR))
    elif t in (ogr.wkbMultiPolygon, ogr.wkbGeometryCollection):
        for i in range(g.GetGeometryCount()):
            polygon_parts(g.GetGeometryRef(i), out)
    return out


def rotated(corners, angle):
    cx = sum(p[0] for p in corners) / len(corners)
    cy = sum(p[1] for p in corners) / len(corners)
    c, s = math.cos(angle), math.sin(angle)
    return [r3((cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c))
            for x, y in corners]


class IrregularRegion(gr.Region):
    def __init__(self, n_parcels, seed, sinks):
        super().__init__(n_parcels, seed, sinks)
        self.plans = [Plan(seed, zi) for zi in range(self.n_zones)]
        total = sum(p.size for p in self.plans)
        for p in self.plans:
            p.target = n_parcels * p.size / total
            # Room for the largest park the count correction may ask for (see zone()).
            p.max_scale = p.scale_for(1.25 * p.target / (1.0 + SPECIAL_RATE)) * 1.01
        colw = [0.0] * self.cols
        rowh = [0.0] * self.rows
        for zi, p in enumerate(self.plans):
            zc, zr = zi % self.cols, zi // self.cols
            colw[zc] = max(colw[zc], (p.bbox[2] - p.bbox[0]) * p.max_scale + 2 * SLOT_MX)
            rowh[zr] = max(rowh[zr], (p.bbox[3] - p.bbox[1]) * p.max_scale + 2 * SLOT_MY)
        self.ax = [gr.ORIGIN_X - gr.GAP / 2]
        for w in colw:
            self.ax.append(round(self.ax[-1] + w, 3))
        self.ay = [gr.ORIGIN_Y - gr.GAP / 2]
        for h in rowh:
            self.ay.append(round(self.ay[-1] + h, 3))
        self.planned = 0.0  # parcels planned for the parks made so far

    def arterial_x(self, i):
        return self.ax[i]

    def arterial_y(self, j):
        return self.ay[j]

    def generate(self):
        for zi in range(self.n_zones):
            self.zone(zi, zi % self.cols, zi // self.cols)
        self.arterials()

    def zone(self, zi, zc, zr):
        plan = self.plans[zi]
        rng = random.Random("irregular-%d-%d" % (self.seed, zi))
        # Aim at the plan plus what the parks so far fell short of (or minus their excess).
        want = plan.target + (self.planned - self.counts["parcels"])
        want = min(max(want, 0.75 * plan.target), 1.25 * plan.target)
        self.planned += plan.target
        scale = min(plan.scale_for(want / (1.0 + SPECIAL_RATE)), plan.max_scale)
        sx = 0.5 * (self.ax[zc] + self.ax[zc + 1])
        sy = 0.5 * (self.ay[zr] + self.ay[zr + 1])
        cx = sx - scale * 0.5 * (plan.bbox[0] + plan.bbox[2])
        cy = sy - scale * 0.5 * (plan.bbox[1] + plan.bbox[3])
        outline = Outline(plan, scale, cx, cy)
        self.emit("zones", outline.wkb,
                  {"zone_id": "Z%06d" % (zi + 1), "name": "Business park %d" % (zi + 1)})

        # The parcel grid over the outline's bounding box, at a random offset.
        bx0 = min(p[0] for p in outline.pts)
        by0 = min(p[1] for p in outline.pts)
        bx1 = max(p[0] for p in outline.pts)
        by1 = max(p[1] for p in outline.pts)
        gx0 = bx0 - rng.uniform(1.0, CELL_W - 1.0)
        gy0 = by0 - rng.uniform(1.0, CELL_H - 1.0)
        nx = max(1, int(math.ceil((bx1 - gx0) / CELL_W)))
        ny = max(1, int(math.ceil((by1 - gy0) / CELL_H)))
        nodes = [[None] * (ny + 1) for _ in range(nx + 1)]
        for i in range(nx + 1):
            col = nodes[i]
            for j in range(ny + 1):
                x = gx0 + i * CELL_W
                y = gy0 + j * CELL_H
                if 0 < i < nx and 0 < j < ny:
                    x += rng.uniform(-JITTER, JITTER)
                    y += rng.uniform(-JITTER, JITTER)
                col[j] = (round(x, 3), round(y, 3))
        # Cells the outline may cross: the 3 x 3 cells around each outline vertex (edges are
        # at most MAX_EDGE long, well under a cell less its jitter). Every other cell lies
        # wholly inside or wholly outside (one corner tells which); a near cell is clipped.
        near = set()
        for x, y in outline.pts:
            ci = int((x - gx0) // CELL_W)
            cj = int((y - gy0) // CELL_H)
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    near.add((ci + di) * (ny + 2) + cj + dj)
        # Wiggled grid edges (16-190 extra vertices), at most one per cell, shared by both
        # neighbours. Key (0, i, j): node (i, j) to (i + 1, j); (1, i, j): (i, j) to (i, j + 1).
        wig = {}
        wiggled = set()
        for i in range(nx):
            for j in range(1, ny):
                if rng.random() < 0.03 and (i, j) not in wiggled and (i, j - 1) not in wiggled:
                    wig[(0, i, j)] = wiggle(rng, nodes[i][j], nodes[i + 1][j])
                    wiggled.update(((i, j), (i, j - 1)))
        for i in range(1, nx):
            for j in range(ny):
                if rng.random() < 0.03 and (i, j) not in wiggled and (i - 1, j) not in wiggled:
                    wig[(1, i, j)] = wiggle(rng, nodes[i][j], nodes[i][j + 1])
                    wiggled.update(((i, j), (i - 1, j)))

        for j in range(ny):
            for i in range(nx):
                self.cell(rng, outline, nodes, wig, i, j, (i * (ny + 2) + j) in near,
                          (i, j) in wiggled)

        # Buildings outside every parcel: just beyond the outline.
        for _ in range(rng.choice((0, 0, 1, 2))):
            m = rng.randrange(outline.n)
            px, py = outline.pts[m]
            dx, dy = px - cx, py - cy
            d = math.hypot(dx, dy)
            off = rng.uniform(12.0, 35.0)
            ox, oy = px + dx / d * off, py + dy / d * off
            w, h = rng.uniform(8.0, 16.0), rng.uniform(8.0, 14.0)
            corners = [r3((ox - w / 2, oy - h / 2)), r3((ox + w / 2, oy - h / 2)),
                       r3((ox + w / 2, oy + h / 2)), r3((ox - w / 2, oy + h / 2))]
            if not any(outline.contains(p) for p in corners):
                self.building(rng, corners)

        # Internal streets on every other grid line, joined to the arterials of the slot.
        for j in range(2, ny, 2):
            cls = ("tertiary", "residential", "service")[(j // 2) % 3]
            oneway = "yes" if rng.random() < 0.1 else None
            pts = [nodes[i][j] for i in range(nx + 1)]
            left = (self.arterial_x(zc), pts[0][1])
            right = (self.arterial_x(zc + 1), pts[-1][1])
            self.stop(False, zc, left[1])
            self.stop(False, zc + 1, right[1])
            chain = [left] + pts + [right]
            for a, b in zip(chain, chain[1:]):
                self.road(a, b, cls, oneway)
        for i in range(2, nx, 2):
            cls = ("tertiary", "residential", "service")[(i // 2 + 1) % 3]
            oneway = "yes" if rng.random() < 0.1 else None
            pts = [nodes[i][j] for j in range(ny + 1)]
            bottom = (pts[0][0], self.arterial_y(zr))
            top = (pts[-1][0], self.arterial_y(zr + 1))
            self.stop(True, zr, bottom[0])
            self.stop(True, zr + 1, top[0])
            chain = [bottom] + pts + [top]
            for a, b in zip(chain, chain[1:]):
                self.road(a, b, cls, oneway)
        self.emit("facilities", gr.point_wkb(round(sx + 7.0, 3), self.arterial_y(zr)),
                  {"kind": "bus_stop", "name": "Bus %d" % (zi + 1)})

    def new_parcel(self, rng, wkb):
        self.parcel_no += 1
        status = "reserved" if rng.random() < 0.03 else None
        self.emit("parcels", wkb, {"parcel_id": "P%07d" % self.parcel_no, "status": status})

    def cell(self, rng, outline, nodes, wig, i, j, near, wiggly):
        a, b, c, d = nodes[i][j], nodes[i + 1][j], nodes[i + 1][j + 1], nodes[i][j + 1]
        quad = [a, b, c, d]
        if not near and not outline.contains(a):
            return  # wholly outside the park
        ring = [a]
        ring += wig.get((0, i, j), ())
        ring.append(b)
        ring += wig.get((1, i + 1, j), ())
        ring.append(c)
        ring += reversed(wig.get((0, i, j + 1), ()))
        ring.append(d)
        ring += reversed(wig.get((1, i, j), ()))
        ring.append(a)
        clear = True  # wholly inside the park
        if near:
            cell_g = ogr.CreateGeometryFromWkb(gr.polygon_wkb([ring]))
            full = cell_g.GetArea()
            piece = cell_g.Intersection(outline.geom)
            parts = polygon_parts(piece, [])
            if not parts:
                return
            if len(parts) > 1 or piece.GetArea() < full * (1.0 - 1e-9):
                clear = False
                self.new_parcel(rng, struct.pack("<BII", 1, 6, len(parts)) + b"".join(parts))
        if clear:
            r = rng.random() if not wiggly else 1.0
            if r < 0.015:  # enclave: a hole holding a parcel of another owner
                cx, cy = gr.bilinear(quad, 0.5, 0.5)
                k = rng.randint(5, 8)
                rad = [rng.uniform(5.0, 9.0) for _ in range(k)]
                inner = [r3((cx + rad[m] * math.cos(TAU * m / k),
                             cy + rad[m] * math.sin(TAU * m / k))) for m in range(k)]
                self.new_parcel(rng, gr.multipolygon_wkb([[ring, gr.closed(inner[::-1])]]))
                self.new_parcel(rng, gr.multipolygon_wkb([[gr.closed(inner)]]))
            elif r < 0.03:  # self-touching: a courtyard hole touching the shell at corner a
                p1 = r3(gr.bilinear(quad, 0.2, 0.35))
                p2 = r3(gr.bilinear(quad, 0.35, 0.2))
                self.new_parcel(rng, gr.multipolygon_wkb([[ring, [a, p1, p2, a]]]))
            elif r < 0.045:  # a sliver strip along the right edge, a parcel of its own
                u = 1.0 - rng.uniform(0.2, 1.2) / CELL_W
                # Not rounded: on the neighbours' straight edges to the last bit.
                p = gr.bilinear(quad, u, 0.0)
                q = gr.bilinear(quad, u, 1.0)
                self.new_parcel(rng, gr.multipolygon_wkb([[gr.closed([a, p, q, d])]]))
                self.new_parcel(rng, gr.multipolygon_wkb([[gr.closed([p, b, c, q])]]))
            elif r < 0.055:  # multipart: two pieces either side of a 2 % strip
                p = [gr.bilinear(quad, u, v) for u, v in
                     ((0.49, 0), (0.49, 1), (0.51, 0), (0.51, 1))]
                self.new_parcel(rng, gr.multipolygon_wkb(
                    [[gr.closed([a, p[0], p[1], d])], [gr.closed([p[2], b, c, p[3]])]]))
            else:
                self.new_parcel(rng, gr.multipolygon_wkb([[ring]]))
        self.buildings(rng, outline, quad, clear)

    def buildings(self, rng, outline, quad, clear):
        def inside(corners):
            return all(outline.contains(p) for p in corners)

        k = rng.choices((0, 1, 2, 3, 4), weights=(18, 38, 22, 14, 8))[0]
        for s in range(k):
            u0 = s / k + 0.12 / k
            u1 = (s + 1) / k - 0.12 / k
            v0 = rng.uniform(0.1, 0.4)
            v1 = rng.uniform(0.55, 0.85)
            corners = [gr.bilinear(quad, u, v) for u, v in ((u0, v0), (u1, v0), (u1, v1), (u0, v1))]
            corners = rotated(corners, rng.uniform(-0.12, 0.12))
            if clear or inside(corners):
                self.building(rng, corners)
        r = rng.random()
        if r < 0.06:  # centred on the parcel line to the right: straddles two parcels
            v0 = rng.uniform(0.15, 0.45)
            v1 = v0 + rng.uniform(0.2, 0.35)
            w = rng.uniform(0.12, 0.25)
            corners = [r3(gr.bilinear(quad, u, v)) for u, v in
                       ((1 - w, v0), (1 + w, v0), (1 + w, v1), (1 - w, v1))]
            if inside(corners):
                self.building(rng, corners)
        elif r < 0.06 + (0.12 if k == 0 else 0.0):
            # A row of terraced houses along the bottom of the cell, sharing walls exactly,
            # running on across the parcel lines.
            a, b = quad[0], quad[1]
            ex, ey = b[0] - a[0], b[1] - a[1]
            length = math.hypot(ex, ey)
            ex, ey = ex / length, ey / length
            px, py = -ey, ex  # into the cell
            ox, oy = gr.bilinear(quad, rng.uniform(0.05, 0.5), rng.uniform(0.1, 0.3))
            width = rng.uniform(5.5, 8.0)
            depth = rng.uniform(9.0, 13.0)
            units = rng.randint(4, 10)
            front = [r3((ox + m * width * ex, oy + m * width * ey)) for m in range(units + 1)]
            back = [r3((x + depth * px, y + depth * py)) for x, y in front]
            for m in range(units):
                corners = [front[m], front[m + 1], back[m + 1], back[m]]
                if not inside(corners):
                    break
                self.building(rng, corners)

    def building(self, rng, corners):
        floors = None if rng.random() < 0.01 else rng.randint(1, 6)
        wkb = gr.polygon_wkb([gr.closed(corners)])
        self.emit("buildings", wkb, {"floors": floors})
        if rng.random() < 0.004:  # stacked exact duplicate
            self.emit("buildings", wkb, {"floors": floors})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parcels", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--formats", default="gpkg,shp")
    args = ap.parse_args()
    if args.parcels < 1:
        ap.error("PARCELS must be >= 1")
    os.makedirs(args.outdir, exist_ok=True)
    done = os.path.join(args.outdir, "region.done")
    if os.path.exists(done):
        os.remove(done)
    formats = args.formats.split(",")
    sinks = []
    gpkg = os.path.join(args.outdir, "region.gpkg")
    shp = os.path.join(args.outdir, "shp")
    if "gpkg" in formats:
        if os.path.exists(gpkg):
            os.remove(gpkg)
        sinks.append(gr.Sink("GPKG", gpkg))
    if "shp" in formats:
        for f in os.listdir(shp) if os.path.isdir(shp) else []:
            os.remove(os.path.join(shp, f))
        sinks.append(gr.Sink("ESRI Shapefile", shp))
    region = IrregularRegion(args.parcels, args.seed, sinks)
    region.generate()
    for s in sinks:
        s.close()
    summary = " ".join("%s=%d" % kv for kv in region.counts.items())
    # Written last: a folder without it holds an interrupted run.
    with open(done, "w", encoding="utf-8") as f:
        f.write("parcels=%d seed=%d formats=%s kind=irregular %s\n" % (
            args.parcels, args.seed, args.formats, summary))
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
