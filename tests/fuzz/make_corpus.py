#!/usr/bin/env python3
"""Builds the seed corpus of the libFuzzer harnesses (tests/fuzz/corpus/<harness>/).

Raw seeds come from the repository (data/, tests/fixtures/) and from the shared bad inputs
(../shared/data/bad_inputs, see corpus/README.md for their origins and licences); each harness
then keeps the smallest set of them that covers the same code (libFuzzer's -merge=1). Inputs
named regression-* (crashes once found, now fixed) are always kept.

    make_corpus.py BUILD_DIR SHARED_DATA_DIR [HARNESS...]
"""

import glob
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEPARATOR = b"\n--8<--spaceuse--\n"  # fuzz_layer.cpp's kPartSeparator
MAX_BYTES = 64 * 1024


def small(paths, limit=MAX_BYTES):
    return [p for p in paths if os.path.isfile(p) and os.path.getsize(p) <= limit]


def files(*patterns):
    out = []
    for pattern in patterns:
        out += sorted(glob.glob(pattern, recursive=True))
    return out


def shapefile_sets(shared):
    """Each .shp of the bad inputs (and of the sample) with its companions, joined."""
    sets = []
    for shp in files(f"{shared}/bad_inputs/**/*.shp", f"{ROOT}/data/shp/*.shp"):
        stem = shp[:-4]
        parts = []
        for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            path = stem + ext
            parts.append(open(path, "rb").read() if os.path.exists(path) else None)
        # Missing companions end the set early (fuzz_layer.cpp leaves the rest missing).
        while parts and parts[-1] is None:
            parts.pop()
        blob = SEPARATOR.join(p if p is not None else b"" for p in parts)
        if len(blob) <= MAX_BYTES // 2:
            sets.append((os.path.basename(stem), blob))
    return sets


def geometry_seeds():
    """Hand-made inputs of fuzz_geometry.cpp's format."""

    def feature(role, ring, hole=False):
        header = (role & 3) | (4 if hole else 0) | ((len(ring) - 3) << 3)
        return bytes([header]) + b"".join(struct.pack("<hh", x, y) for x, y in ring)

    square = lambda x0, y0, x1, y1: [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    seeds = {
        # 1 m units: a zone, two parcels side by side, a building on each.
        "two_parcels": bytes([1]) + feature(0, square(0, 0, 200, 100)) +
        feature(1, square(0, 0, 100, 100)) + feature(1, square(100, 0, 200, 100)) +
        feature(2, square(10, 10, 40, 30)) + feature(2, square(150, 40, 190, 90)),
        # A bow-tie parcel, a parcel with a hole, a building across a parcel line.
        "repair": bytes([1]) + feature(1, [(0, 0), (100, 100), (100, 0), (0, 100)]) +
        feature(1, square(200, 0, 300, 100)) + feature(1, square(240, 40, 260, 60), hole=True) +
        feature(2, square(90, 40, 210, 60)),
        # 0.1 mm units: slivers the overlays snap.
        "slivers": bytes([2]) + feature(1, square(0, 0, 30000, 30000)) +
        feature(1, square(30000, 0, 30003, 30000)) + feature(2, square(29990, 10, 30002, 29000)),
        # Overlapping parcels in two zones, 1 cm units.
        "overlaps": bytes([0]) + feature(0, square(0, 0, 10000, 10000)) +
        feature(0, square(10000, 0, 20000, 10000)) + feature(1, square(0, 0, 12000, 6000)) +
        feature(1, square(5000, 3000, 15000, 9000)) + feature(3, square(6000, 4000, 11000, 5000)),
    }
    return seeds


def shrink_sqlite(path):
    """Rewrites an SQLite file with 512-byte pages: a GeoPackage has a page or more per table,
    mostly empty at 4 KiB, and smaller inputs are fuzzed faster."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA page_size=512")
    con.execute("VACUUM")
    con.close()


def gpkg_seeds(sources, out_dir):
    """Small GeoPackages converted from GeoJSON seeds."""
    made = []
    for i, src in enumerate(sources):
        dst = os.path.join(out_dir, f"seed{i}.gpkg")
        r = subprocess.run(["ogr2ogr", "-q", "-f", "GPKG", dst, src, "-lco", "SPATIAL_INDEX=NO"],
                           capture_output=True)
        if r.returncode == 0:
            shrink_sqlite(dst)
            if os.path.getsize(dst) <= MAX_BYTES:
                made.append(dst)
    return made


def snapshot_seed(build, out_dir):
    """The snapshot of a run on the occupancy fixtures (zones, parcels, buildings)."""
    fixtures = f"{ROOT}/tests/fixtures/occupancy"
    results = os.path.join(out_dir, "results")
    cli = os.path.join(build, "cli", "spaceuse")
    r = subprocess.run([cli, "--quiet", "occupancy", "--zones", f"{fixtures}/zones.geojson",
                        "--parcels", f"{fixtures}/parcels.geojson",
                        "--buildings", f"{fixtures}/buildings.geojson", "--output", results],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"make_corpus: the snapshot run failed: {r.stderr.strip()}")
    snapshot = os.path.join(out_dir, "spaceuse.gpkg")
    shutil.copy(os.path.join(results, "spaceuse.gpkg"), snapshot)
    shrink_sqlite(snapshot)
    return [snapshot]


def raw_seeds(harness, shared, build, scratch):
    """(name, bytes) pairs of raw seeds for one harness."""
    def read(paths):
        return [(os.path.basename(p), open(p, "rb").read()) for p in paths]

    toml_configs = files(f"{ROOT}/data/*.toml")
    profiles = files(f"{ROOT}/data/profiles/*.toml")
    scenarios = files(f"{ROOT}/data/scenarios/*.toml", f"{ROOT}/tests/fixtures/scenarios/*.toml")
    definitions = files(f"{ROOT}/tests/fixtures/definitions/*.toml",
                        f"{ROOT}/docs/**/*definition*.toml")
    geojson = small(files(f"{shared}/bad_inputs/geojsonhint_fixtures/**/*.geojson",
                          f"{shared}/bad_inputs/geojsonhint_fixtures/**/*.json",
                          f"{shared}/bad_inputs/npm_geojson-fixtures_1.0.0/**/*.geojson",
                          f"{shared}/bad_inputs/free_space_topology/*.geojson",
                          f"{ROOT}/tests/fixtures/occupancy/*.geojson"))
    if harness == "project":
        return read(toml_configs)
    if harness == "profile":
        return read(profiles)
    if harness == "definition":
        return read(definitions + profiles)
    if harness == "scenario":
        return read(scenarios)
    if harness == "speed_table":
        return [("speeds.csv", b"class,kmh\nmotorway,120\nprimary,70\nresidential,30\n"),
                ("comments.csv", b"# car speeds\r\nclass,kmh\r\nservice,15 \r\n")]
    if harness == "layer_geojson":
        return read(geojson)
    if harness == "layer_shapefile":
        return shapefile_sets(shared)
    if harness == "layer_gpkg":
        return read(gpkg_seeds(small(files(f"{ROOT}/tests/fixtures/occupancy/*.geojson",
                                           f"{shared}/bad_inputs/npm_geojson-fixtures_1.0.0/**/multipolygon.geojson")),
                               scratch))
    if harness == "snapshot":
        return read(snapshot_seed(build, scratch))
    if harness == "geometry":
        return sorted(geometry_seeds().items())
    sys.exit(f"make_corpus: unknown harness {harness}")


HARNESSES = ["project", "profile", "speed_table", "scenario", "definition", "snapshot",
             "geometry", "layer_geojson", "layer_shapefile", "layer_gpkg"]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    build, shared = sys.argv[1], sys.argv[2]
    if not os.path.isdir(f"{shared}/bad_inputs"):
        sys.exit(f"make_corpus: {shared}/bad_inputs is absent (the shared test data)")
    env = dict(os.environ)
    env.setdefault("LSAN_OPTIONS", f"suppressions={ROOT}/tests/lsan.supp:print_suppressions=0")
    for harness in sys.argv[3:] or HARNESSES:
        binary = os.path.join(build, "tests", "fuzz", f"fuzz_{harness}")
        corpus = os.path.join(HERE, "corpus", harness)
        with tempfile.TemporaryDirectory() as scratch:
            raw = os.path.join(scratch, "raw")
            merged = os.path.join(scratch, "merged")
            os.makedirs(raw)
            os.makedirs(merged)
            seeds = raw_seeds(harness, shared, build, scratch)
            for i, (name, data) in enumerate(seeds):
                open(os.path.join(raw, f"{i:03d}-{name}"), "wb").write(data)
            r = subprocess.run([binary, "-merge=1", merged, raw], capture_output=True, text=True,
                               env=env)
            if r.returncode != 0:
                sys.stderr.write(r.stderr[-3000:])
                sys.exit(f"make_corpus: merging the {harness} seeds failed")
            os.makedirs(corpus, exist_ok=True)
            for old in os.listdir(corpus):
                if not old.startswith("regression-"):
                    os.remove(os.path.join(corpus, old))
            kept = sorted(os.listdir(merged))
            for name in kept:
                shutil.copy(os.path.join(merged, name), os.path.join(corpus, name))
            size = sum(os.path.getsize(os.path.join(corpus, n)) for n in os.listdir(corpus))
            print(f"{harness:16s} {len(seeds):4d} raw seeds -> {len(kept):4d} kept, "
                  f"{size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
