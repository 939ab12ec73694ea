#!/usr/bin/python3
"""Deterministic synthetic region of business parks in EPSG:31370 (Belgian Lambert 72).

    gen_region.py PARCELS OUTDIR [--seed N] [--formats gpkg,shp]

Writes OUTDIR/region.gpkg (layers zones, parcels, buildings, roads, facilities) and
OUTDIR/shp/<layer>.shp with the same features. PARCELS is rounded up to whole zones of 100
parcels. The same arguments always give the same features.

What the region holds, per zone (a business park of 10 x 10 parcels, 500 m x 600 m):
- parcels tessellating the park on a jittered grid (shared vertices), with the defects of real
  cadastre: holes (2 %), multipart parcels (2 %), self-touching shells (an inverted hole,
  invalid in OGC terms; 1 %), slight overlaps with the right-hand neighbour (2 %); one park in
  four has its zone polygon cut 20 m short so its top row of parcels crosses the zone edge;
- 0-4 buildings per parcel (mean 1.2; about 4 % reach across the parcel's right edge), with a
  `floors` field (1 % unknown);
- roads: arterials on the grid between parks (every fifth one a motorway), internal streets on
  every other parcel line (tertiary / residential / service, 10 % one-way), all split into
  edges at shared vertices, so the network is one connected graph; `highway`, `oneway`,
  `maxspeed` (km/h);
- facilities (`kind`): a bus stop per park, motorway exits where motorways cross arterials,
  a few rail stations.
"""

import argparse
import math
import os
import random
import struct
import sys

from osgeo import ogr, osr

ogr.UseExceptions()

PARCELS_PER_ZONE_X = 10
PARCELS_PER_ZONE_Y = 10
CELL_W = 50.0
CELL_H = 60.0
MARGIN = 10.0  # zone polygon reaches this far beyond the parcel grid
GAP = 60.0  # between the parcel grids of neighbouring parks; the arterial runs in the middle
ORIGIN_X = 150000.0
ORIGIN_Y = 160000.0
JITTER = 8.0

SPEEDS = {"motorway": 120, "primary": 70, "secondary": 50, "tertiary": 50,
          "residential": 30, "service": 20}


def ring_wkb(points):
    return struct.pack("<I", len(points)) + b"".join(struct.pack("<dd", x, y) for x, y in points)


def polygon_wkb(rings):
    return struct.pack("<BII", 1, 3, len(rings)) + b"".join(ring_wkb(r) for r in rings)


def multipolygon_wkb(polygons):
    return struct.pack("<BII", 1, 6, len(polygons)) + b"".join(polygon_wkb(p) for p in polygons)


def line_wkb(points):
    return struct.pack("<BII", 1, 2, len(points)) + b"".join(
        struct.pack("<dd", x, y) for x, y in points)


def point_wkb(x, y):
    return struct.pack("<BIdd", 1, 1, x, y)


def closed(points):
    return list(points) + [points[0]]


def bilinear(quad, u, v):
    """Point at (u, v) in [0,1]^2 of the quad a(bottom-left) b(bottom-right) c(top-right) d."""
    a, b, c, d = quad
    x = (1 - u) * (1 - v) * a[0] + u * (1 - v) * b[0] + u * v * c[0] + (1 - u) * v * d[0]
    y = (1 - u) * (1 - v) * a[1] + u * (1 - v) * b[1] + u * v * c[1] + (1 - u) * v * d[1]
    return (x, y)


class Sink:
    """One output dataset (GeoPackage or a folder of shapefiles) with the five layers."""

    def __init__(self, driver, path):
        self.driver_name = driver
        drv = ogr.GetDriverByName(driver)
        if driver == "ESRI Shapefile":
            os.makedirs(path, exist_ok=True)
        self.ds = drv.CreateDataSource(path)
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(31370)
        self.layers = {}
        opts = ["SPATIAL_INDEX=YES"] if driver == "GPKG" else ["ENCODING=UTF-8"]
        spec = {
            "zones": (ogr.wkbMultiPolygon, [("zone_id", ogr.OFTString), ("name", ogr.OFTString)]),
            "parcels": (ogr.wkbMultiPolygon, [("parcel_id", ogr.OFTString),
                                              ("status", ogr.OFTString)]),
            "buildings": (ogr.wkbPolygon, [("floors", ogr.OFTInteger)]),
            "roads": (ogr.wkbLineString, [("highway", ogr.OFTString), ("oneway", ogr.OFTString),
                                          ("maxspeed", ogr.OFTInteger)]),
            "facilities": (ogr.wkbPoint, [("kind", ogr.OFTString), ("name", ogr.OFTString)]),
        }
        for name, (gtype, fields) in spec.items():
            layer = self.ds.CreateLayer(name, srs, gtype, options=opts)
            for fname, ftype in fields:
                layer.CreateField(ogr.FieldDefn(fname, ftype))
            self.layers[name] = layer
        if driver == "GPKG":
            self.ds.StartTransaction()

    def add(self, layer_name, wkb, attrs):
        layer = self.layers[layer_name]
        f = ogr.Feature(layer.GetLayerDefn())
        for k, v in attrs.items():
            if v is not None:
                f.SetField(k, v)
        f.SetGeometryDirectly(ogr.CreateGeometryFromWkb(wkb))
        layer.CreateFeature(f)

    def close(self):
        if self.driver_name == "GPKG":
            self.ds.CommitTransaction()
        self.ds = None


class Region:
    def __init__(self, n_parcels, seed, sinks):
        per_zone = PARCELS_PER_ZONE_X * PARCELS_PER_ZONE_Y
        self.n_zones = max(1, -(-n_parcels // per_zone))
        self.cols = max(1, int(math.ceil(math.sqrt(self.n_zones))))
        self.rows = -(-self.n_zones // self.cols)
        self.seed = seed
        self.sinks = sinks
        self.pitch_x = PARCELS_PER_ZONE_X * CELL_W + GAP
        self.pitch_y = PARCELS_PER_ZONE_Y * CELL_H + GAP
        self.parcel_no = 0
        self.counts = {k: 0 for k in ("zones", "parcels", "buildings", "roads", "facilities")}
        # Points where zone streets meet an arterial, per arterial: (horizontal?, index) -> set
        self.arterial_stops = {}

    def emit(self, layer, wkb, attrs):
        for s in self.sinks:
            s.add(layer, wkb, attrs)
        self.counts[layer] += 1

    def arterial_x(self, i):
        """x of vertical arterial i (0..cols): left of zone column i."""
        return ORIGIN_X - GAP / 2 + i * self.pitch_x

    def arterial_y(self, j):
        return ORIGIN_Y - GAP / 2 + j * self.pitch_y

    def stop(self, horizontal, index, coord):
        self.arterial_stops.setdefault((horizontal, index), set()).add(round(coord, 6))

    def zone(self, zi, zc, zr):
        rng = random.Random(self.seed * 1000003 + zi)
        x0 = ORIGIN_X + zc * self.pitch_x
        y0 = ORIGIN_Y + zr * self.pitch_y
        nx, ny = PARCELS_PER_ZONE_X, PARCELS_PER_ZONE_Y
        # Jittered grid nodes; the outline stays a rectangle so parks tessellate exactly.
        nodes = [[None] * (ny + 1) for _ in range(nx + 1)]
        for i in range(nx + 1):
            for j in range(ny + 1):
                x = x0 + i * CELL_W
                y = y0 + j * CELL_H
                if 0 < i < nx and 0 < j < ny:
                    x += rng.uniform(-JITTER, JITTER)
                    y += rng.uniform(-JITTER, JITTER)
                nodes[i][j] = (round(x, 3), round(y, 3))
        x1 = x0 + nx * CELL_W
        y1 = y0 + ny * CELL_H
        top = y1 + MARGIN
        if zi % 4 == 3:
            top = y1 - 20.0  # the top row of parcels crosses the zone edge
        zone_ring = closed([(x0 - MARGIN, y0 - MARGIN), (x1 + MARGIN, y0 - MARGIN),
                            (x1 + MARGIN, top), (x0 - MARGIN, top)])
        zone_id = "Z%06d" % (zi + 1)
        self.emit("zones", multipolygon_wkb([[zone_ring]]),
                  {"zone_id": zone_id, "name": "Business park %d" % (zi + 1)})

        for j in range(ny):
            for i in range(nx):
                self.parcel(rng, nodes, i, j)

        # Internal streets on every other grid line, split at every node, joined to the
        # arterials around the park.
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
            topp = (pts[-1][0], self.arterial_y(zr + 1))
            self.stop(True, zr, bottom[0])
            self.stop(True, zr + 1, topp[0])
            chain = [bottom] + pts + [topp]
            for a, b in zip(chain, chain[1:]):
                self.road(a, b, cls, oneway)
        # A bus stop on the arterial below the park.
        self.emit("facilities", point_wkb(round(x0 + 0.5 * nx * CELL_W + 7.0, 3),
                                          self.arterial_y(zr)),
                  {"kind": "bus_stop", "name": "Bus %d" % (zi + 1)})

    def parcel(self, rng, nodes, i, j):
        a, b, c, d = nodes[i][j], nodes[i + 1][j], nodes[i + 1][j + 1], nodes[i][j + 1]
        quad = [a, b, c, d]
        self.parcel_no += 1
        pid = "P%07d" % self.parcel_no
        r = rng.random()
        polygons = None
        if r < 0.02:  # hole: a courtyard of another owner
            cx, cy = bilinear(quad, 0.5, 0.5)
            hole = closed([(cx - 4, cy - 4), (cx - 4, cy + 4), (cx + 4, cy + 4), (cx + 4, cy - 4)])
            polygons = [[closed(quad), hole]]
        elif r < 0.04:  # multipart: two pieces either side of a 2 % strip
            p = [bilinear(quad, u, v) for u, v in ((0.49, 0), (0.49, 1), (0.51, 0), (0.51, 1))]
            polygons = [[closed([a, p[0], p[1], d])], [closed([p[2], b, c, p[3]])]]
        elif r < 0.05:  # self-touching shell: an inverted hole hanging from the top edge
            m = bilinear(quad, 0.5, 1.0)
            q = (m[0] + 5.0, m[1] - 12.0)
            s = (m[0] - 5.0, m[1] - 12.0)
            polygons = [[closed([a, b, c, m, q, s, m, d])]]
        elif r < 0.07:  # slight overlap: right edge pushed 0.5 m into the neighbour
            polygons = [[closed([a, (b[0] + 0.5, b[1]), (c[0] + 0.5, c[1]), d])]]
        else:
            polygons = [[closed(quad)]]
        status = "reserved" if rng.random() < 0.03 else None
        self.emit("parcels", multipolygon_wkb(polygons), {"parcel_id": pid, "status": status})

        k = rng.choices((0, 1, 2, 3, 4), weights=(30, 40, 15, 10, 5))[0]
        for s in range(k):
            u0 = s / k + 0.12 / k
            u1 = (s + 1) / k - 0.12 / k
            v0 = rng.uniform(0.1, 0.4)
            v1 = rng.uniform(0.55, 0.85)
            if s == k - 1 and rng.random() < 0.04:
                u1 = 1.2  # reaches across the parcel line into the neighbour
            corners = [bilinear(quad, u, v) for u, v in ((u0, v0), (u1, v0), (u1, v1), (u0, v1))]
            corners = [(round(x, 3), round(y, 3)) for x, y in corners]
            floors = None if rng.random() < 0.01 else rng.randint(1, 6)
            self.emit("buildings", polygon_wkb([closed(corners)]), {"floors": floors})

    def road(self, a, b, cls, oneway):
        self.emit("roads", line_wkb([a, b]),
                  {"highway": cls, "oneway": oneway, "maxspeed": SPEEDS[cls]})

    def arterials(self):
        """Arterial grid between the parks, split at every street that joins it."""
        def cls(index):
            if index % 5 == 0:
                return "motorway"
            return "primary" if index % 2 == 1 else "secondary"

        for j in range(self.rows + 1):
            y = self.arterial_y(j)
            xs = {round(self.arterial_x(i), 6) for i in range(self.cols + 1)}
            xs |= self.arterial_stops.get((True, j), set())
            xs = sorted(xs)
            for x_a, x_b in zip(xs, xs[1:]):
                self.emit("roads", line_wkb([(x_a, y), (x_b, y)]),
                          {"highway": cls(j), "oneway": "no" if cls(j) == "motorway" else None,
                           "maxspeed": SPEEDS[cls(j)]})
        for i in range(self.cols + 1):
            x = self.arterial_x(i)
            ys = {round(self.arterial_y(j), 6) for j in range(self.rows + 1)}
            ys |= self.arterial_stops.get((False, i), set())
            ys = sorted(ys)
            for y_a, y_b in zip(ys, ys[1:]):
                self.emit("roads", line_wkb([(x, y_a), (x, y_b)]),
                          {"highway": cls(i), "oneway": "no" if cls(i) == "motorway" else None,
                           "maxspeed": SPEEDS[cls(i)]})
        # Motorway exits where a horizontal motorway crosses an odd arterial; rail stations
        # on a sparse pattern of crossings (at least one of each).
        exits = [(i, j) for j in range(0, self.rows + 1, 5) for i in range(1, self.cols + 1, 2)]
        for n, (i, j) in enumerate(exits or [(0, 0)]):
            self.emit("facilities", point_wkb(self.arterial_x(i), self.arterial_y(j)),
                      {"kind": "motorway_exit", "name": "Exit %d" % (n + 1)})
        stations = [(i, j) for j in range(self.rows + 1) for i in range(self.cols + 1)
                    if (i * 7 + j * 3) % 23 == 11]
        if not stations:
            stations = [(self.cols, self.rows)]
        for n, (i, j) in enumerate(stations):
            self.emit("facilities", point_wkb(self.arterial_x(i), self.arterial_y(j)),
                      {"kind": "rail_station", "name": "Station %d" % (n + 1)})

    def generate(self):
        for zi in range(self.n_zones):
            self.zone(zi, zi % self.cols, zi // self.cols)
        self.arterials()


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
        sinks.append(Sink("GPKG", gpkg))
    if "shp" in formats:
        for f in os.listdir(shp) if os.path.isdir(shp) else []:
            os.remove(os.path.join(shp, f))
        sinks.append(Sink("ESRI Shapefile", shp))
    region = Region(args.parcels, args.seed, sinks)
    region.generate()
    for s in sinks:
        s.close()
    summary = " ".join("%s=%d" % kv for kv in region.counts.items())
    # Written last: a folder without it holds an interrupted run.
    with open(os.path.join(args.outdir, "region.done"), "w", encoding="utf-8") as f:
        f.write("parcels=%d seed=%d formats=%s %s\n" % (args.parcels, args.seed, args.formats,
                                                       summary))
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
