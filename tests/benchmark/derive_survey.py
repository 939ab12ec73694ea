#!/usr/bin/python3
"""A later survey of a generated region (gen_region.py), for the benchmark of `spaceuse diff`.

    derive_survey.py REGION.gpkg OUT.gpkg [--seed N] [--split F] [--merge F] [--renumber F]
                     [--retire F] [--new F] [--build F]

OUT.gpkg is REGION.gpkg copied byte for byte, then edited in one transaction; every layer but
parcels and buildings stays as it was. The parcels a change takes are drawn at random (seeded),
each parcel takes part in at most one change, and new ids continue the region's numbering
(P1000001, ... after P1000000). Fractions are of the region's parcel count:
- split (2 %): a parcel cut in two through its centroid, across its longer side; both pieces
  get new ids;
- merge (1 %, pairs; about 1 % of the adjacent pairs, 2 % of the parcels): a parcel and the
  neighbour in its zone with which it shares the longest edge (no overlap), replaced by their
  union under a new id;
- renumber (0.5 %): same geometry, new id;
- retire (0.3 %): the parcel is dropped;
- new (0.3 %): a new parcel on land no parcel held: a strip of the zone's margin below one of
  its bottom-row parcels (at most one a zone);
- build (3 %): of a 3 % sample of the other parcels, each vacant one (no building meets it)
  gets a building: a rectangle about its centroid covering 30-60 % of it (drawn at random,
  shrunk until it lies inside), floors 1-6. So about 3 % of the vacant parcels are built on.
Split, merged and renumbered parcels keep their status field (merged: the first one's).
Parcels a change makes do not overlap each other or any parcel (the generator's own slight
overlaps stay as they were). Split and merge take only valid parcels.

The same REGION, seed and fractions give the same bytes (the GeoPackage's timestamps are set
with OGR_CURRENT_DATE). Prints the counts of each change and the reconciliation of parcels
`spaceuse diff` should print for the two surveys ("expected before ... / expected after ...").
"""

import argparse
import math
import os
import random
import re
import shutil
import sqlite3
import sys
import time

from osgeo import gdal, ogr

ogr.UseExceptions()

# Fixed timestamps in the GeoPackage (gpkg_contents.last_change), so the bytes are repeatable.
CURRENT_DATE = "2024-01-01T00:00:00.000Z"


def box(minx, miny, maxx, maxy):
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy), (minx, miny)):
        ring.AddPoint_2D(x, y)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def multipolygon(g):
    """g as a MultiPolygon of its polygonal parts, or None when it has none."""
    t = ogr.GT_Flatten(g.GetGeometryType())
    parts = []
    if t == ogr.wkbPolygon:
        parts = [g]
    elif t in (ogr.wkbMultiPolygon, ogr.wkbGeometryCollection):
        for i in range(g.GetGeometryCount()):
            p = g.GetGeometryRef(i)
            if ogr.GT_Flatten(p.GetGeometryType()) == ogr.wkbPolygon and p.GetArea() > 0:
                parts.append(p)
    if not parts:
        return None
    mp = ogr.Geometry(ogr.wkbMultiPolygon)
    for p in parts:
        mp.AddGeometry(p)
    return mp


def area(g):
    """Area of g's polygonal parts (0 for points and lines, without OGR's warning)."""
    return g.GetArea() if g.GetDimension() == 2 else 0.0


def length(g):
    """Length of g's linear parts (0 for points)."""
    return g.Length() if g.GetDimension() == 1 else 0.0


def split_in_two(g):
    """The two halves of g cut through its centroid across its longer side, or None."""
    minx, maxx, miny, maxy = g.GetEnvelope()
    c = g.Centroid()
    cx, cy = c.GetX(), c.GetY()
    if maxy - miny >= maxx - minx:
        halves = (box(minx - 1, miny - 1, maxx + 1, cy), box(minx - 1, cy, maxx + 1, maxy + 1))
    else:
        halves = (box(minx - 1, miny - 1, cx, maxy + 1), box(cx, miny - 1, maxx + 1, maxy + 1))
    area = g.GetArea()
    pieces = []
    for h in halves:
        p = multipolygon(g.Intersection(h))
        if p is None or p.GetArea() < 0.2 * area:
            return None
        pieces.append(p)
    return pieces


def building_in(g, share):
    """An axis-parallel rectangle about g's centroid covering `share` of g, shrunk until it lies
    inside g (corners on the millimetre like the generator's); None below 30 %."""
    minx, maxx, miny, maxy = g.GetEnvelope()
    c = g.Centroid()
    cx, cy = c.GetX(), c.GetY()
    area = g.GetArea()
    aspect = (maxx - minx) / max(1e-9, maxy - miny)
    w = math.sqrt(share * area * aspect)
    h = share * area / w
    for _ in range(30):
        r = box(round(cx - w / 2, 3), round(cy - h / 2, 3), round(cx + w / 2, 3),
                round(cy + h / 2, 3))
        if g.Contains(r):
            return r if r.GetArea() >= 0.3 * area else None
        w *= 0.97
        h *= 0.97
    return None


class Region:
    """Read access to the source region: parcels by fid, neighbours, zones, buildings."""

    def __init__(self, path):
        self.ds = ogr.Open(path)
        self.parcels = self.ds.GetLayerByName("parcels")
        self.buildings = self.ds.GetLayerByName("buildings")
        self.zones = self.ds.GetLayerByName("zones")
        self.zone_geoms = {}

    def parcel(self, fid):
        return self.parcels.GetFeature(fid)

    def near(self, layer, geom):
        """(fid, feature) of the features of `layer` whose boxes meet geom's box."""
        layer.SetSpatialFilter(geom)
        out = [(f.GetFID(), f) for f in layer]
        layer.SetSpatialFilter(None)
        return out

    def zone_of(self, geom):
        """fid of the zone holding geom's centroid, or None."""
        c = geom.Centroid()
        for fid, z in self.near(self.zones, c):
            if z.GetGeometryRef().Contains(c):
                return fid
        return None

    def vacant(self, geom):
        return not any(b.GetGeometryRef().Intersects(geom)
                       for _, b in self.near(self.buildings, geom))


def valid(geom):
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # IsValid() warns about invalid parcels
    try:
        return geom.IsValid()
    finally:
        gdal.PopErrorHandler()


def read_ids(path, fid_column):
    """[(fid, parcel_id)] of the parcels in fid order, straight from the GeoPackage's table."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        sql = 'SELECT "%s", parcel_id FROM parcels ORDER BY 1' % fid_column
        return con.execute(sql).fetchall()
    finally:
        con.close()


class Ids:
    """New parcel ids after the region's highest: its prefix and digits, continued."""

    def __init__(self, ids):
        best = None
        for pid in ids:
            m = re.fullmatch(r"(\D*)(\d+)", pid or "")
            if m and (best is None or int(m.group(2)) > best[1]):
                best = (m.group(1), int(m.group(2)), len(m.group(2)))
        self.prefix, self.last, self.width = best if best else ("N", 0, 7)

    def next(self):
        self.last += 1
        return "%s%0*d" % (self.prefix, self.width, self.last)


def derive(src_path, args, log):
    rng = random.Random(args.seed)
    region = Region(src_path)
    fid_column = region.parcels.GetFIDColumn() or "fid"
    rows = read_ids(src_path, fid_column)
    n = len(rows)
    ids = Ids(pid for _, pid in rows)
    order = [fid for fid, _ in rows]
    rng.shuffle(order)
    quota = {k: int(round(getattr(args, k) * n)) for k in
             ("split", "merge", "renumber", "retire", "new", "build")}
    used = set()
    pos = 0

    def take():
        """The next parcel in the drawn order that no change has taken yet (fid, feature)."""
        nonlocal pos
        while pos < len(order):
            fid = order[pos]
            pos += 1
            if fid not in used:
                return fid, region.parcel(fid)
        return None, None

    # Splits.
    splits = []  # (fid, feature, [piece, piece])
    while len(splits) < quota["split"]:
        fid, f = take()
        if fid is None:
            break
        g = f.GetGeometryRef()
        if not valid(g):
            continue
        pieces = split_in_two(g)
        if pieces is None:
            continue
        used.add(fid)
        splits.append((fid, f, pieces))
    log("  split: %d parcels chosen" % len(splits))

    # Merges: a parcel and its longest-edge neighbour in the same zone, no overlap.
    merges = []  # (fid, feature, fid of the neighbour, union)
    while len(merges) < quota["merge"]:
        fid, f = take()
        if fid is None:
            break
        g = f.GetGeometryRef()
        if not valid(g):
            continue
        zone = region.zone_of(g)
        if zone is None:
            continue
        gb = g.Boundary()
        best = None
        for nfid, h in region.near(region.parcels, g):
            if nfid == fid or nfid in used:
                continue
            hg = h.GetGeometryRef()
            if not valid(hg) or not g.Intersects(hg) or area(g.Intersection(hg)) > 1e-6:
                continue
            edge = length(gb.Intersection(hg.Boundary()))
            if edge < 1.0 or region.zone_of(hg) != zone:
                continue
            if best is None or edge > best[0]:
                best = (edge, nfid, h)
        if best is None:
            continue
        union = multipolygon(g.Union(best[2].GetGeometryRef()))
        if union is None or union.GetGeometryCount() != 1:
            continue
        used.add(fid)
        used.add(best[1])
        merges.append((fid, f, best[1], union))
    log("  merge: %d pairs chosen" % len(merges))

    renumbers = []
    while len(renumbers) < quota["renumber"]:
        fid, f = take()
        if fid is None:
            break
        used.add(fid)
        renumbers.append(fid)
    retires = []
    while len(retires) < quota["retire"]:
        fid, f = take()
        if fid is None:
            break
        used.add(fid)
        retires.append(fid)

    # New buildings on the vacant parcels of a sample of the others.
    buildings = []  # (parcel fid, rectangle, floors)
    sampled = vacant = 0
    while sampled < quota["build"]:
        fid, f = take()
        if fid is None:
            break
        sampled += 1
        used.add(fid)  # it stays unchanged; no other change takes it
        g = f.GetGeometryRef()
        share = rng.uniform(0.3, 0.6)
        floors = rng.randint(1, 6)
        if not valid(g) or not region.vacant(g):
            continue
        vacant += 1
        r = building_in(g, share)
        if r is not None:
            buildings.append((fid, r, floors))
    log("  build: %d sampled, %d vacant, %d built on" % (sampled, vacant, len(buildings)))

    # New parcels in the margins of zones, below a bottom-row parcel.
    news = []  # (zone fid, strip)
    zone_fids = sorted(z.GetFID() for z in region.zones)
    region.zones.ResetReading()
    rng.shuffle(zone_fids)
    for zfid in zone_fids:
        if len(news) >= quota["new"]:
            break
        zf = region.zones.GetFeature(zfid)
        zg = zf.GetGeometryRef()
        zminx, zmaxx, zminy, zmaxy = zg.GetEnvelope()
        band = box(zminx, zminy, zmaxx, zminy + 0.25 * (zmaxy - zminy))
        inside = [(pfid, p) for pfid, p in region.near(region.parcels, band)
                  if p.GetGeometryRef().Intersects(band)]
        if not inside:
            continue
        low = min(p.GetGeometryRef().GetEnvelope()[2] for _, p in inside)
        if low - zminy < 4.0:
            continue
        bottom = sorted(pfid for pfid, p in inside
                        if p.GetGeometryRef().GetEnvelope()[2] < low + 1.0)
        pfid = bottom[rng.randrange(len(bottom))]
        pf = region.parcel(pfid)
        pminx, pmaxx = pf.GetGeometryRef().GetEnvelope()[:2]
        strip = box(round(pminx, 3), round(zminy + 1.0, 3), round(pmaxx, 3), round(low, 3))
        if not zg.Contains(strip):
            continue
        if any(area(p.GetGeometryRef().Intersection(strip)) > 1e-6
               for _, p in region.near(region.parcels, strip)):
            continue
        news.append((zfid, strip))
    log("  new: %d parcels placed" % len(news))
    return {"n": n, "ids": ids, "splits": splits, "merges": merges,
            "renumbers": renumbers, "retires": retires, "buildings": buildings, "news": news,
            "sampled": sampled, "vacant": vacant, "region": region}


def write(plan, out_path):
    ds = ogr.Open(out_path, update=1)
    parcels = ds.GetLayerByName("parcels")
    buildings = ds.GetLayerByName("buildings")
    pdefn = parcels.GetLayerDefn()
    bdefn = buildings.GetLayerDefn()
    ids = plan["ids"]
    ds.StartTransaction()

    def add_parcel(geom, status):
        f = ogr.Feature(pdefn)
        f.SetField("parcel_id", ids.next())
        if status is not None:
            f.SetField("status", status)
        f.SetGeometry(geom)
        parcels.CreateFeature(f)

    for fid, f, pieces in plan["splits"]:
        parcels.DeleteFeature(fid)
        for p in pieces:
            add_parcel(p, f.GetField("status"))
    for fid, f, fid2, union in plan["merges"]:
        parcels.DeleteFeature(fid)
        parcels.DeleteFeature(fid2)
        add_parcel(union, f.GetField("status"))
    for fid in plan["renumbers"]:
        f = parcels.GetFeature(fid)
        f.SetField("parcel_id", ids.next())
        parcels.SetFeature(f)
    for fid in plan["retires"]:
        parcels.DeleteFeature(fid)
    for _, strip in plan["news"]:
        add_parcel(multipolygon(strip), None)
    for _, rect, floors in plan["buildings"]:
        f = ogr.Feature(bdefn)
        f.SetField("floors", floors)
        f.SetGeometry(rect)
        buildings.CreateFeature(f)
    ds.CommitTransaction()
    ds = None


def reconciliation(label, total, parts):
    """As `spaceuse diff` prints it: "before 412 = unchanged 380 + ...", changes with parcels."""
    return "%s %d = %s" % (label, total, " + ".join("%s %d" % kv for kv in parts if kv[1]) or "0")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("region", help="region.gpkg written by gen_region.py")
    ap.add_argument("out", help="the later survey (GeoPackage; replaced)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--split", type=float, default=0.02)
    ap.add_argument("--merge", type=float, default=0.01)
    ap.add_argument("--renumber", type=float, default=0.005)
    ap.add_argument("--retire", type=float, default=0.003)
    ap.add_argument("--new", type=float, default=0.003)
    ap.add_argument("--build", type=float, default=0.03)
    args = ap.parse_args()
    t0 = time.perf_counter()

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    gdal.SetConfigOption("OGR_CURRENT_DATE", CURRENT_DATE)
    plan = derive(args.region, args, log)
    plan["region"] = None
    # Written beside OUT and renamed at the end: OUT is either the old file or the whole new one.
    base, ext = os.path.splitext(args.out)
    tmp = base + ".part" + (ext or ".gpkg")
    for p in (tmp, tmp + "-journal", tmp + "-wal", tmp + "-shm"):
        if os.path.exists(p):
            os.remove(p)
    shutil.copyfile(args.region, tmp)
    write(plan, tmp)
    os.replace(tmp, args.out)

    n = plan["n"]
    s, m, r, t, w = (len(plan[k]) for k in ("splits", "merges", "renumbers", "retires", "news"))
    changed_before = s + 2 * m + r + t
    unchanged = n - changed_before
    after = unchanged + 2 * s + m + r + w
    print("parcels %d -> %d: split %d (into %d), merged %d pairs (into %d), renumbered %d, "
          "retired %d, new %d; new buildings %d (on vacant parcels: %d of a sample of %d); "
          "seed %d; %.1f s" % (n, after, s, 2 * s, m, m, r, t, w, len(plan["buildings"]),
                               plan["vacant"], plan["sampled"], args.seed,
                               time.perf_counter() - t0))
    print(reconciliation("expected before", n, [("unchanged", unchanged), ("renumbered", r),
                                                 ("split", s), ("merged", 2 * m),
                                                 ("retired", t)]))
    print(reconciliation("expected after", after, [("unchanged", unchanged), ("renumbered", r),
                                                  ("split", 2 * s), ("merged", m), ("new", w)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
