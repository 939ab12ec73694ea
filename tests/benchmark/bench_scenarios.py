#!/usr/bin/python3
"""Benchmark of the scenarios metric on a synthetic region.

    bench_scenarios.py --spaceuse PATH [--sizes 100000,1000000] [--repeat 3] [--repeat-1m 1]
                       [--data DIR] [--work DIR] [--access] [--json FILE]

For each size (parcels) the region comes from the cache bench.py uses (DATA/<n>, generated with
gen_region.py when missing); its GeoPackage is read as it is. A scenario file is written to
WORK/scenarios/<n>/bench.toml: targets B/T 0.5, V/T 1.0, 500 m2 minimum plot, 100 m2 of floor
per job; discounts of 10 % (vacant), 30 % (underused) and 15 % (infrastructure); a ranking on
figures every region has (added floor area, largest free piece, status, coverage). It has no
free-space parameters, so it shares the run's usable free land.

Two project files on that region, run alternately, whole process (median wall and CPU, the
largest peak RSS of REPEAT runs; REPEAT_1M from 1M parcels on):

- the default run: occupancy with usable free space (the default profile), the parcels, zones,
  free space and summary written as GeoJSON, and the snapshot;
- the same with [scenarios] files = ["bench.toml"], with its layers and tables written too.

With --access both runs also compute access (roads and facilities of the region, nearest
facility per kind on the car profile) and the ranking gains the minutes to the nearest motorway
exit; the baseline is then no longer the default run bench_definitions.py times, so the
target is for runs without it.

The scenario run must give the same parcels, zones, free_space and summary files byte for byte;
scenario_zones.csv and scenario_ranking.csv must exist, and the ranking must hold as many rows
as scenario_parcels.csv has parcels with a rank (those with added capacity), at least one.
Target, printed with the figures: the scenario adds at most 20 % to the run at 1M parcels (the
largest size run).
"""

import argparse
import csv
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import Failure, default_project, ensure_region, fmt_s, log, run, sha256  # noqa: E402

SCENARIO = "bench"  # also its column prefix in scenario_parcels
TARGET_OVERHEAD = 0.20
COMPARED = ["parcels.geojson", "zones.geojson", "free_space.geojson", "summary.csv"]
RUNS = ("default run", "with a scenario")


def scenario_file(access):
    text = """[scenario]
name = "%s"
title = "Benchmark densification (B/T 0.5, V/T 1.0)"

[targets]
max_coverage = 0.5
max_far = 1.0
min_plot_m2 = 500
floor_m2_per_job = 100

[[discounts]]
status = "vacant"
share = 0.10
[[discounts]]
status = "underused"
share = 0.30
[[discounts]]
kind = "infrastructure"
share = 0.15

[ranking]
top = 10
[[ranking.criteria]]
name = "capacity"
source = "added_floor_m2"
better = "higher"
weight = 3
[[ranking.criteria]]
name = "free_piece"
source = "largest_free_m2"
better = "higher"
weight = 2
[[ranking.criteria]]
name = "status"
source = "status"
better = "higher"
weight = 1
values = { vacant = 1.0, underused = 0.5, occupied = 0.0 }
[[ranking.criteria]]
name = "coverage"
source = "coverage"
better = "lower"
weight = 1
""" % SCENARIO
    if access:
        text += """[[ranking.criteria]]
name = "motorway"
source = "access.motorway_exit_time_min"
better = "lower"
weight = 1
"""
    return text


def project(gpkg, out, scenario, access):
    def q(s):
        return json.dumps(s)

    text = default_project("scenarios benchmark", gpkg, out)
    if access:
        # As bench.py's access run: nearest facility per kind on the car profile.
        text += """
[layers.roads]
source = {roads}

[layers.facilities]
source = {facilities}

[access]
origins = "parcels"
facility_field = "kind"
profile = "car"
""".format(roads=q(gpkg + ":roads"), facilities=q(gpkg + ":facilities"))
    if scenario:
        text += "\n[scenarios]\nfiles = [%s]\n" % q(scenario)
    return text


def check_tables(out):
    """The scenario's tables exist and the ranking lists every parcel with a rank."""
    for t in ("scenario_zones.csv", "scenario_ranking.csv", "scenario_parcels.csv"):
        if not os.path.exists(os.path.join(out, t)):
            raise Failure("the scenario run wrote no %s" % t)
    with open(os.path.join(out, "scenario_parcels.csv"), newline="", encoding="utf-8") as f:
        ranked = sum(1 for row in csv.DictReader(f) if row[SCENARIO + "_rank"] not in ("", None))
    with open(os.path.join(out, "scenario_ranking.csv"), newline="", encoding="utf-8") as f:
        rows = sum(1 for row in csv.DictReader(f) if row["scenario"] == SCENARIO)
    if rows != ranked:
        raise Failure("scenario_ranking.csv has %d rows, scenario_parcels.csv %d ranked parcels"
                      % (rows, ranked))
    if ranked == 0:
        raise Failure("no parcel has added capacity under the scenario")
    return ranked


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spaceuse", required=True)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--repeat-1m", type=int, default=1)
    ap.add_argument("--data", default=None)
    ap.add_argument("--work", default="bench-work")
    ap.add_argument("--access", action="store_true",
                    help="access in both runs and a motorway criterion in the ranking")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    exe = os.path.abspath(args.spaceuse)
    work = os.path.abspath(args.work)
    data = os.path.abspath(args.data or os.path.join(work, "data"))
    results = []
    for n in [int(s) for s in args.sizes.split(",")]:
        region = ensure_region(data, n)
        gpkg = os.path.join(region, "region.gpkg")
        d = os.path.join(work, "scenarios", str(n))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, SCENARIO + ".toml"), "w", encoding="utf-8") as f:
            f.write(scenario_file(args.access))
        runs = {}
        for name, scen in zip(RUNS, (False, True)):
            path = os.path.join(d, "%s.toml" % ("scen" if scen else "plain"))
            with open(path, "w", encoding="utf-8") as f:
                f.write(project(gpkg, os.path.join(d, "out-scen" if scen else "out-plain"),
                                SCENARIO + ".toml" if scen else None, args.access))
            runs[name] = {"project": path, "runs": []}
        repeat = args.repeat_1m if n >= 1000000 else args.repeat
        log("%d parcels: %d run(s) each, alternating%s" % (n, repeat,
                                                           ", with access" if args.access else ""))
        for _ in range(repeat):
            for name, r in runs.items():
                res = run([exe, "--quiet", "run", r["project"]])
                r["runs"].append(res)
                log("  %-22s %s" % (name, fmt_s(res["wall"])))
        for a in COMPARED:
            pa = os.path.join(d, "out-plain", a)
            pb = os.path.join(d, "out-scen", a)
            if sha256(pa) != sha256(pb):
                raise Failure("%s differs between the runs with and without the scenario" % a)
        ranked = check_tables(os.path.join(d, "out-scen"))
        log("  %d parcels ranked (added capacity)" % ranked)
        row = {"parcels": n, "access": args.access, "ranked": ranked}
        for name, r in runs.items():
            ordered = sorted(r["runs"], key=lambda x: x["wall"])
            row[name] = {"wall": statistics.median(x["wall"] for x in ordered),
                         "cpu": statistics.median(x["cpu"] for x in ordered),
                         "rss_mb": max(x["rss_mb"] for x in ordered),
                         "walls": [round(x["wall"], 3) for x in ordered]}
        base = row[RUNS[0]]["wall"]
        row["overhead"] = row[RUNS[1]]["wall"] / base - 1.0
        results.append(row)

    print("%-12s %-24s %10s %10s %12s" % ("parcels", "run", "wall", "cpu", "peak RSS"))
    for row in results:
        for name in RUNS:
            r = row[name]
            print("%-12d %-24s %10s %10s %9.0f MiB" % (row["parcels"], name, fmt_s(r["wall"]),
                                                       fmt_s(r["cpu"]), r["rss_mb"]))
        print("%-12d %-24s %+9.1f %%   (runs: %s / %s s)" % (
            row["parcels"], "added by the scenario", 100 * row["overhead"],
            ", ".join("%.1f" % w for w in row[RUNS[0]]["walls"]),
            ", ".join("%.1f" % w for w in row[RUNS[1]]["walls"])))
    largest = results[-1]
    met = largest["overhead"] <= TARGET_OVERHEAD
    print("target: a scenario adds <= %.0f %% at %d parcels: %+.1f %% %s%s" %
          (100 * TARGET_OVERHEAD, largest["parcels"], 100 * largest["overhead"],
           "met" if met else "NOT MET",
           " (with access in both runs; the target is for runs without)" if args.access else ""))
    print("outputs of the default run identical with and without the scenario: "
          + ", ".join(COMPARED))
    print("ranked parcels (scenario_ranking.csv rows = ranks in scenario_parcels.csv): "
          + ", ".join("%d at %d" % (row["ranked"], row["parcels"]) for row in results))
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
