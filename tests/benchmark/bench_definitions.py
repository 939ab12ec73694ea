#!/usr/bin/python3
"""Benchmark of the definitions side by side on a synthetic region.

    bench_definitions.py --spaceuse PATH [--sizes 100000,1000000] [--repeat 3] [--repeat-1m 1]
                         [--data DIR] [--work DIR] [--json FILE]

For each size (parcels) the region comes from the cache bench.py uses (DATA/<n>, generated with
gen_region.py when missing). A copy of its GeoPackage gains the attribute fields the shipped
profiles read (WORK/definitions/<n>/region.gpkg, cached): on the parcels impr_value, land_value,
in_use, offer, issuable, owner, vac_floor and issue_date, on the buildings address, each a
deterministic function of the feature id, so that every profile is computable and every rule
is reached.

Two project files on that copy, run alternately, whole process (median wall and CPU, the
largest peak RSS of REPEAT runs; REPEAT_1M from 1M parcels on):

- the default run: occupancy with usable free space (the default profile), the parcels, zones,
  free space and summary written as GeoJSON, and the snapshot;
- the same with [definitions]: the six shipped profiles (default, vlaio, ibis, oar660-038,
  metro-rlis, leegstand1995), which share the run's free-space parameters, with their layers
  and tables written too.

The definitions run must give the same parcels, zones, free_space and summary files byte for
byte. Target, printed with the figures: the six profiles add at most 10 % to the run at 1M
parcels (the largest size run).
"""

import argparse
import json
import os
import shutil
import statistics
import sys

from osgeo import gdal, ogr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import Failure, default_project, ensure_region, fmt_s, log, run, sha256  # noqa: E402

PROFILES = ["default", "vlaio", "ibis", "oar660-038", "metro-rlis", "leegstand1995"]
FIELDS = ["improvement_value=impr_value", "land_value=land_value", "in_use=in_use",
          "offer=offer", "issue_date=issue_date", "issuable_now=issuable", "owner=owner",
          "vacant_floor_share=vac_floor", "own_address=address"]
TARGET_OVERHEAD = 0.10
COMPARED = ["parcels.geojson", "zones.geojson", "free_space.geojson", "summary.csv"]


def with_fields(region, work):
    """A copy of the region's GeoPackage with the profiles' fields (cached)."""
    gpkg = os.path.join(work, "region.gpkg")
    stamp = os.path.join(work, "fields.done")
    with open(os.path.join(region, "region.done"), encoding="utf-8") as f:
        key = "bench_definitions.py=%s region: %s" % (sha256(__file__)[:16], f.read().strip())
    if os.path.exists(stamp) and os.path.exists(gpkg):
        with open(stamp, encoding="utf-8") as f:
            if f.read().strip() == key:
                return gpkg
        os.remove(stamp)
    os.makedirs(work, exist_ok=True)
    shutil.copyfile(os.path.join(region, "region.gpkg"), gpkg)
    # Through GDAL, whose GeoPackage driver provides the SQL functions of the file's R-tree
    # triggers. Values cycle through every side of every threshold.
    gdal.UseExceptions()
    db = ogr.Open(gpkg, update=1)
    for column, kind in (("impr_value", "REAL"), ("land_value", "REAL"), ("in_use", "INTEGER"),
                         ("offer", "TEXT"), ("issuable", "INTEGER"), ("owner", "TEXT"),
                         ("vac_floor", "REAL"), ("issue_date", "DATE")):
        db.ExecuteSQL("ALTER TABLE parcels ADD COLUMN %s %s" % (column, kind))
    db.ExecuteSQL("""UPDATE parcels SET
        land_value = 100000 + (fid % 7) * 10000,
        impr_value = (fid % 11) * 9000,
        in_use = CASE WHEN fid % 5 = 0 THEN 0 ELSE 1 END,
        offer = CASE fid % 3 WHEN 0 THEN 'offered' WHEN 1 THEN 'not offered' ELSE 'option' END,
        issuable = fid % 2,
        owner = CASE WHEN fid % 4 = 0 THEN 'public' ELSE 'private' END,
        vac_floor = (fid % 10) / 10.0,
        issue_date = CASE WHEN fid % 3 = 0 THEN NULL ELSE '2015-01-01' END""")
    db.ExecuteSQL("ALTER TABLE buildings ADD COLUMN address INTEGER")
    db.ExecuteSQL("UPDATE buildings SET address = CASE WHEN fid % 6 = 0 THEN 1 ELSE 0 END")
    db = None
    with open(stamp, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    return gpkg


def project(gpkg, out, definitions):
    text = default_project("definitions benchmark", gpkg, out)
    if definitions:
        text += "\n[definitions]\nprofiles = %s\nfields = %s\n" % (json.dumps(PROFILES),
                                                                  json.dumps(FIELDS))
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spaceuse", required=True)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--repeat-1m", type=int, default=1)
    ap.add_argument("--data", default=None)
    ap.add_argument("--work", default="bench-work")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    exe = os.path.abspath(args.spaceuse)
    work = os.path.abspath(args.work)
    data = os.path.abspath(args.data or os.path.join(work, "data"))
    results = []
    for n in [int(s) for s in args.sizes.split(",")]:
        region = ensure_region(data, n)
        d = os.path.join(work, "definitions", str(n))
        gpkg = with_fields(region, d)
        runs = {}
        for name, defs in (("default run", False), ("with six definitions", True)):
            path = os.path.join(d, "%s.toml" % ("defs" if defs else "plain"))
            with open(path, "w", encoding="utf-8") as f:
                f.write(project(gpkg, os.path.join(d, "out-defs" if defs else "out-plain"), defs))
            runs[name] = {"project": path, "runs": []}
        repeat = args.repeat_1m if n >= 1000000 else args.repeat
        log("%d parcels: %d run(s) each, alternating" % (n, repeat))
        for _ in range(repeat):
            for name, r in runs.items():
                res = run([exe, "--quiet", "run", r["project"]])
                r["runs"].append(res)
                log("  %-22s %s" % (name, fmt_s(res["wall"])))
        for a in COMPARED:
            pa = os.path.join(d, "out-plain", a)
            pb = os.path.join(d, "out-defs", a)
            if sha256(pa) != sha256(pb):
                raise Failure("%s differs between the runs with and without definitions" % a)
        row = {"parcels": n}
        for name, r in runs.items():
            ordered = sorted(r["runs"], key=lambda x: x["wall"])
            row[name] = {"wall": statistics.median(x["wall"] for x in ordered),
                         "cpu": statistics.median(x["cpu"] for x in ordered),
                         "rss_mb": max(x["rss_mb"] for x in ordered),
                         "walls": [round(x["wall"], 3) for x in ordered]}
        base = row["default run"]["wall"]
        row["overhead"] = row["with six definitions"]["wall"] / base - 1.0
        results.append(row)

    print("%-12s %-24s %10s %10s %12s" % ("parcels", "run", "wall", "cpu", "peak RSS"))
    for row in results:
        for name in ("default run", "with six definitions"):
            r = row[name]
            print("%-12d %-24s %10s %10s %9.0f MiB" % (row["parcels"], name, fmt_s(r["wall"]),
                                                       fmt_s(r["cpu"]), r["rss_mb"]))
        print("%-12d %-24s %+9.1f %%   (runs: %s / %s s)" % (
            row["parcels"], "added by the definitions", 100 * row["overhead"],
            ", ".join("%.1f" % w for w in row["default run"]["walls"]),
            ", ".join("%.1f" % w for w in row["with six definitions"]["walls"])))
    largest = results[-1]
    met = largest["overhead"] <= TARGET_OVERHEAD
    print("target: six profiles add <= 10 %% at %d parcels: %+.1f %% %s" %
          (largest["parcels"], 100 * largest["overhead"], "met" if met else "NOT MET"))
    print("outputs of the default run identical with and without definitions: "
          + ", ".join(COMPARED))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        log("FAILED: %s" % e)
        sys.exit(1)
