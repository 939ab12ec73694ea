#!/usr/bin/env python3
"""Tile building of the tiled viewer against a plain ogr2ogr -f MVT of the same layers.

    bench_tiles.py --spaceuse build/cli/spaceuse --sizes 100000,1000000 --work build/bench

For each size: the benchmark region (generated once, cached), its default run (occupancy and
usable free space; not timed against anything), then side by side, medians of --repeat:
- `spaceuse view --tiles --results RESULTS`: reads the results, writes the tiles, reads every
  tile back for the count check, writes the page, style, search index and manifest;
- `ogr2ogr -f MVT` of the same layers (zones, parcels, free space, buildings) with the same
  zoom ranges and tile options, from the results' GeoPackage and the region's buildings.
Prints the times, the ratio against the target (spaceuse within 1.2x of ogr2ogr), the tiles
and their size.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402

# The zoom ranges of spaceuse's tiled viewer (engine/src/render/tiled_viewer.cpp).
CONF = {"zones": {"minzoom": 8, "maxzoom": 16}, "parcels": {"minzoom": 13, "maxzoom": 16},
        "free_space": {"minzoom": 13, "maxzoom": 16}, "buildings": {"minzoom": 13, "maxzoom": 16}}


def timed(cmd):
    t = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t
    if r.returncode != 0:
        sys.exit("%s: exit %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return wall, r


def folder_size(path):
    files = size = 0
    for d, _, names in os.walk(path):
        for n in names:
            if n.endswith(".pbf"):
                files += 1
                size += os.path.getsize(os.path.join(d, n))
    return files, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaceuse", required=True)
    ap.add_argument("--sizes", default="100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default="/tmp/spaceuse-bench")
    args = ap.parse_args()
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        region = bench.ensure_region(os.path.join(args.work, "data"), n)
        gpkg = os.path.join(region, "region.gpkg")
        work = os.path.join(args.work, "tiles-%d" % n)
        os.makedirs(work, exist_ok=True)
        results = os.path.join(work, "results")
        project = os.path.join(work, "project.toml")
        with open(project, "w") as f:
            f.write(bench.default_project("tiles %d" % n, gpkg, results))
        if not os.path.exists(os.path.join(results, "run.json")):
            wall, _ = timed([args.spaceuse, "--quiet", "run", project])
            bench.log("%d parcels: default run %.1f s" % (n, wall))
        # The layers ogr2ogr tiles: the results' and the region's buildings, through a VRT.
        vrt = os.path.join(work, "layers.vrt")
        snapshot = os.path.join(results, "spaceuse.gpkg")
        with open(vrt, "w") as f:
            f.write("<OGRVRTDataSource>\n")
            for name, src in (("zones", snapshot), ("parcels", snapshot),
                              ("free_space", snapshot), ("buildings", gpkg)):
                f.write('<OGRVRTLayer name="%s"><SrcDataSource>%s</SrcDataSource>'
                        '<SrcLayer>%s</SrcLayer></OGRVRTLayer>\n' % (name, src, name))
            f.write("</OGRVRTDataSource>\n")
        ours, theirs = [], []
        viewer = os.path.join(work, "viewer")
        plain = os.path.join(work, "ogr2ogr-mvt")
        for _ in range(args.repeat):
            wall, r = timed([args.spaceuse, "--quiet", "view", "--tiles", "--overwrite",
                             "--results", results, "-o", viewer])
            ours.append(wall)
            shutil.rmtree(plain, ignore_errors=True)
            wall, _ = timed(["ogr2ogr", "-f", "MVT", plain, vrt, "-dsco", "FORMAT=DIRECTORY",
                             "-dsco", "COMPRESS=NO", "-dsco", "MINZOOM=8", "-dsco", "MAXZOOM=16",
                             "-dsco", "MAX_SIZE=20000000", "-dsco", "MAX_FEATURES=10000000",
                             "-dsco", "CONF=" + json.dumps(CONF)])
            theirs.append(wall)
        manifest = json.load(open(os.path.join(viewer, "viewer.json")))
        files, size = folder_size(plain)
        row = {"parcels": n, "spaceuse_s": statistics.median(ours),
               "ogr2ogr_s": statistics.median(theirs),
               "tiles": manifest["tiles"]["count"], "tile_mb": manifest["tiles"]["bytes"] / 1e6,
               "ogr2ogr_tiles": files, "ogr2ogr_mb": size / 1e6,
               "subpixel_omitted": sum(c["subpixel_omitted"]
                                       for c in manifest["tiles"]["layers"])}
        row["ratio"] = row["spaceuse_s"] / row["ogr2ogr_s"]
        rows.append(row)
        bench.log("%d parcels: spaceuse view --tiles %.1f s, ogr2ogr -f MVT %.1f s" % (
            n, row["spaceuse_s"], row["ogr2ogr_s"]))
    print()
    print("%-10s %14s %14s %7s %10s %14s %16s" % (
        "parcels", "spaceuse (s)", "ogr2ogr (s)", "ratio", "target", "tiles (MB)",
        "ogr2ogr tiles"))
    for r in rows:
        print("%-10d %14.1f %14.1f %7.2f %10s %14s %16s" % (
            r["parcels"], r["spaceuse_s"], r["ogr2ogr_s"], r["ratio"],
            "met" if r["ratio"] <= 1.2 else "NOT MET",
            "%d (%.1f)" % (r["tiles"], r["tile_mb"]),
            "%d (%.1f)" % (r["ogr2ogr_tiles"], r["ogr2ogr_mb"])))
    print("target: spaceuse view --tiles within 1.2x of ogr2ogr -f MVT (it also checks every "
          "tile's features)")


if __name__ == "__main__":
    main()
