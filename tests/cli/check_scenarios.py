#!/usr/bin/python3
"""Cross-checks `spaceuse scenario` output against a computation written again from the
scenario files (README: "Build-out scenarios"):

    check_scenarios.py OUTPUT_FOLDER SCENARIO.toml...

- per parcel: the added footprint and floor area from the parcel's area, footprint, floor area
  and land (scenario_parcels.csv) and the file's targets;
- per zone and ALL: gross capacity by status, each discount in file order on what remains, net
  (scenario_capacity.csv, scenario_zones.csv);
- the ranking: each criterion's points = 100 x weight / sum of weights x norm, the score their
  sum, ranks by score then parcel id (scenario_ranking.csv), and norm recomputed min-max from
  the written values where every parcel has one.
"""

import csv
import math
import sys
import tomllib


def num(v):
    return None if v in ("", None) else float(v)


def close(a, b, tol=0.02):
    return abs(a - b) <= tol + 1e-6 * abs(b)


def main():
    out, files = sys.argv[1], sys.argv[2:]
    with open(out + "/scenario_parcels.csv", newline="", encoding="utf-8") as f:
        parcels = list(csv.DictReader(f))
    with open(out + "/scenario_capacity.csv", newline="", encoding="utf-8") as f:
        capacity = list(csv.DictReader(f))
    with open(out + "/scenario_ranking.csv", newline="", encoding="utf-8") as f:
        ranking = list(csv.DictReader(f))
    errors = []
    checked = 0
    for path in files:
        with open(path, "rb") as f:
            sc = tomllib.load(f)
        name = sc.get("scenario", {}).get("name", path.rsplit("/", 1)[-1][:-5])
        t = sc["targets"]
        floors = t.get("max_floors")
        if floors is None and "max_height_m" in t:
            floors = math.floor(t["max_height_m"] / t.get("floor_height_m", 3.5) + 1e-9)
        gross = {}
        for p in parcels:
            if not p["zone_id"]:
                continue
            area, built = float(p["area_m2"]), float(p["built_m2"])
            floor, land = num(p["floor_m2"]), float(p[name + "_land_m2"])
            if area < t.get("min_plot_m2", 0):
                fp, fl = 0.0, 0.0
            else:
                fp = land
                if "max_coverage" in t:
                    fp = max(0.0, min(fp, t["max_coverage"] * area - built))
                caps = []
                if "max_far" in t:
                    caps.append(t["max_far"] * area)
                if floors is not None:
                    caps.append(floors * (built + fp))
                fl = None if floor is None else max(0.0, min(caps) - floor)
            got_fp, got_fl = float(p[name + "_footprint_m2"]), num(p[name + "_floor_m2"])
            if not close(got_fp, fp) or (fl is None) != (got_fl is None) or (
                    fl is not None and not close(got_fl, fl)):
                errors.append("%s %s: footprint %s floor %s, expected %s %s"
                              % (name, p["parcel_id"], got_fp, got_fl, fp, fl))
            for z in (p["zone_id"], "ALL"):
                g = gross.setdefault(z, {"vacant": 0.0, "underused": 0.0, "occupied": 0.0})
                g[p["status"]] += fl or 0.0
            checked += 1
        # Discounts in order, each on what remains of its status.
        for z, g in gross.items():
            left = dict(g)
            rows = [r for r in capacity if r["zone_id"] == z and r["scenario"] == name]
            expect = [sum(g.values())]
            for d in sc.get("discounts", []):
                status = d.get("status", "vacant")
                taken = d["share"] * left[status]
                left[status] -= taken
                expect.append(-taken)
            expect.append(sum(left.values()))
            got = [float(r["floor_m2"]) for r in rows]
            if len(got) != len(expect) or not all(close(a, b, 0.05) for a, b in zip(got, expect)):
                errors.append("%s zone %s steps %s, expected %s" % (name, z, got, expect))
        # The ranking from its written contributions.
        crit = sc.get("ranking", {}).get("criteria", [])
        total = sum(c.get("weight", 1.0) for c in crit)
        rows = [r for r in ranking if r["scenario"] == name]
        for r in rows:
            s = 0.0
            for c in crit:
                key = "".join(ch if ch.isalnum() else "_" for ch in c.get("name", c["source"]).lower())
                pts, norm = float(r[key + "_points"]), float(r[key + "_norm"])
                if not close(pts, 100.0 * c.get("weight", 1.0) / total * norm, 0.001):
                    errors.append("%s %s %s: points %s for norm %s" % (name, r["parcel_id"], key,
                                                                       pts, norm))
                s += pts
            if not close(s, float(r["score"]), 0.001):
                errors.append("%s %s: score %s, points add up to %s" % (name, r["parcel_id"],
                                                                        r["score"], s))
        order = sorted(rows, key=lambda r: (-round(float(r["score"]), 4), r["parcel_id"]))
        if [r["parcel_id"] for r in order] != [r["parcel_id"] for r in rows] or \
                [int(r["rank"]) for r in rows] != list(range(1, len(rows) + 1)):
            errors.append("%s: ranks not in score order" % name)
        ranked = [p for p in parcels if p[name + "_rank"]]
        if len(ranked) != len(rows):
            errors.append("%s: %d ranked parcels, %d ranking rows" % (name, len(ranked), len(rows)))
    for e in errors[:20]:
        print(e)
    if errors:
        sys.exit(1)
    print("%d parcel capacities, the discounts and %d ranking rows agree" % (checked,
                                                                           len(ranking)))


if __name__ == "__main__":
    main()
