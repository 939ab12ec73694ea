#!/usr/bin/env python3
"""Checks GeoJSON files against the rules of RFC 7946 that viewers rely on.

usage: check_rfc7946.py MAX_DECIMALS FILE.geojson...

Per file: a FeatureCollection without a `crs` member; every feature has a geometry of a known type
(or null) and a properties object; positions are [lon, lat] within [-180, 180] x [-90, 90]; every
polygon ring is closed with at least 4 positions; exterior rings are counter-clockwise and holes
clockwise (right-hand rule, section 3.1.6); at most MAX_DECIMALS decimals, except in features the
writer kept at full precision because rounding would have made them invalid (at most 1 in 50).
Exits 1 on any violation, printing each.
"""

import json
import sys

errors = []


def fail(where, message):
    errors.append(f"{where}: {message}")


def decimals(value):
    text = repr(value)
    if "e" in text or "E" in text:
        return 99
    return len(text.split(".")[1]) if "." in text else 0


def signed_area(ring):
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:])) / 2.0


def check_position(where, pos):
    if not (isinstance(pos, list) and len(pos) in (2, 3) and all(isinstance(c, (int, float)) for c in pos)):
        fail(where, f"bad position {pos!r}")
        return 0
    lon, lat = pos[0], pos[1]
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        fail(where, f"position {pos} outside lon/lat ranges")
    return max(decimals(lon), decimals(lat))


def check_polygon(where, rings):
    most = 0
    for i, ring in enumerate(rings):
        for pos in ring:
            most = max(most, check_position(where, pos))
        if len(ring) < 4:
            fail(where, f"ring {i} has {len(ring)} positions (< 4)")
            continue
        if ring[0] != ring[-1]:
            fail(where, f"ring {i} is not closed")
        area = signed_area(ring)
        if i == 0 and area <= 0:
            fail(where, "exterior ring is not counter-clockwise")
        if i > 0 and area >= 0:
            fail(where, f"hole {i} is not clockwise")
    return most


def check_geometry(where, geom):
    if geom is None:
        return 0
    kind, coords = geom.get("type"), geom.get("coordinates")
    if kind == "Point":
        return check_position(where, coords)
    if kind in ("MultiPoint", "LineString"):
        return max([check_position(where, p) for p in coords] or [0])
    if kind == "MultiLineString":
        return max([check_position(where, p) for line in coords for p in line] or [0])
    if kind == "Polygon":
        return check_polygon(where, coords)
    if kind == "MultiPolygon":
        return max([check_polygon(f"{where} part {i}", p) for i, p in enumerate(coords)] or [0])
    fail(where, f"unknown geometry type {kind!r}")
    return 0


def main():
    max_decimals = int(sys.argv[1])
    files = sys.argv[2:]
    if not files:
        print("no files given", file=sys.stderr)
        return 2
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if doc.get("type") != "FeatureCollection":
            fail(path, "not a FeatureCollection")
            continue
        if "crs" in doc:
            fail(path, "has a crs member (not allowed by RFC 7946)")
        features = doc.get("features", [])
        full = 0
        for n, feature in enumerate(features):
            where = f"{path} feature {n + 1}"
            if feature.get("type") != "Feature" or not isinstance(feature.get("properties"), dict):
                fail(where, "not a Feature with a properties object")
            if check_geometry(where, feature.get("geometry")) > max_decimals:
                full += 1
        if full * 50 > len(features):
            fail(path, f"{full} of {len(features)} features have more than {max_decimals} decimals")
        print(f"{path}: {len(features)} features, {full} at full precision")
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
