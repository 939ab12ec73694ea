#!/usr/bin/python3
"""Checks `spaceuse definitions` on the bundled sample against an independent computation.

    check_definitions.py OUT_DIR SAMPLE_GPKG

OUT_DIR holds the run's outputs (spaceuse.gpkg, definition_levels.csv, definition_matrix.csv,
summary.csv). Each shipped profile's rules are written again here from the published rules
(not from the profile files), on facts computed with OGR/GEOS from the sample's parcels (the
run's repaired geometries), buildings and attribute fields: building parts by intersection,
attributes straight from the GeoPackage. The free-space figures (free_m2, largest_free_m2)
are the run's own. Checked:
- every parcel's class under every profile;
- per profile, the area and parcels per level for all zones (definition_levels.csv, ALL rows),
  and per zone for `default` against the zone table (summary.csv: vacant, underused, occupied);
- the disagreement matrix: area and parcels on different levels for every pair.
Exit status 1 with the differences listed.
"""

import csv
import os
import sys

from osgeo import ogr

ogr.UseExceptions()

HALF_ACRE = 2023.43
ACRE = 4046.86
LEVEL = {
    "default": {"vacant": "available", "underused": "partly available", "occupied": "not available"},
    "vlaio": {"built_in_use": "not available", "built_not_in_use": "partly available",
              "unbuilt_in_use": "partly available", "unbuilt_option": "partly available",
              "unbuilt_not_in_use": "available"},
    "ibis": {"issued": "not available", "issuable_now_public": "available",
             "issuable_now_private": "available", "issuable_later_public": "partly available",
             "issuable_later_private": "partly available"},
    "oar660-038": {"vacant": "available", "partially_vacant": "partly available",
                   "developed": "not available"},
    "metro-rlis": {"vacant": "available", "partially_vacant": "partly available",
                   "developed": "not available"},
    "leegstand1995": {"no_premises": "not available", "below_500m2": "not available",
                      "vacant_premises": "available", "used_premises": "not available"},
}
STATUS_VALUES = {"not_issued": "vacant", "reserved": "underused", "in_use": "occupied"}


def features(path, layer):
    ds = ogr.Open(path)
    for f in ds.GetLayerByName(layer):
        yield f.items(), f.GetGeometryRef().Clone() if f.GetGeometryRef() else None


def classify(p):
    """The class of parcel facts p under each profile, from the published rules."""
    out = {}
    # default: spaceuse's thresholds, the status field's values first.
    if p["status"] in STATUS_VALUES:
        out["default"] = STATUS_VALUES[p["status"]]
    else:
        out["default"] = ("vacant" if p["coverage"] < 0.05 else
                          "underused" if p["coverage"] < 0.30 else "occupied")
    parts = [a for a, _ in p["parts"] if a >= 1.0]  # slivers under 1 m² are no buildings
    built = any(a >= 50.0 for a in parts) or any(a >= 1.0 and addr for a, addr in p["parts"])
    # VLAIO: built (main building or addressed annex) x in use; unbuilt unused by availability.
    if built:
        out["vlaio"] = "built_in_use" if p["in_use"] else "built_not_in_use"
    elif p["in_use"]:
        out["vlaio"] = "unbuilt_in_use"
    elif p["offer"] == "option":
        out["vlaio"] = "unbuilt_option"
    else:
        out["vlaio"] = "unbuilt_not_in_use"
    # IBIS: issued (an issue date), else issuable now or later, by owner.
    if p["issue_date"]:
        out["ibis"] = "issued"
    else:
        when = "now" if p["issuable"] else "later"
        out["ibis"] = "issuable_%s_%s" % (when, "public" if p["owner"] == "public" else "private")
    # Oregon: the value rule (both values are mapped on the sample).
    iv, lv = p["impr_value"], p["land_value"]
    if iv < 5000 or iv / lv <= 0.05:
        out["oar660-038"] = "vacant"
    elif iv / lv < 0.40:
        out["oar660-038"] = "partially_vacant"
    elif p["area_m2"] > ACRE and p["free_m2"] >= HALF_ACRE:
        out["oar660-038"] = "partially_vacant"
    else:
        out["oar660-038"] = "developed"
    # Metro RLIS: no building and no use; a free part of 1/2 acre.
    if not parts and not p["in_use"]:
        out["metro-rlis"] = "vacant"
    elif p["largest_free_m2"] >= HALF_ACRE:
        out["metro-rlis"] = "partially_vacant"
    else:
        out["metro-rlis"] = "developed"
    # Flemish decree of 1995: premises of 500 m² or more, half the floor area unused.
    if not parts:
        out["leegstand1995"] = "no_premises"
    elif p["area_m2"] < 500:
        out["leegstand1995"] = "below_500m2"
    elif p["vac_floor"] >= 0.5:
        out["leegstand1995"] = "vacant_premises"
    else:
        out["leegstand1995"] = "used_premises"
    return out


def main():
    out_dir, sample = sys.argv[1], sys.argv[2]
    snapshot = os.path.join(out_dir, "spaceuse.gpkg")
    attrs = {a["parcel_id"]: a for a, _ in features(sample, "parcels")}
    buildings = [(g, a.get("address") == 1) for a, g in features(sample, "buildings")]
    zones = [(a["zone_id"], g) for a, g in features(snapshot, "zones")]
    parcels = {}
    for a, g in features(snapshot, "parcels"):
        pid = a["parcel_id"]
        s = attrs[pid]
        parts = []
        for b, addr in buildings:
            if g.Intersects(b):
                area = g.Intersection(b).GetArea()
                if area > 0:
                    parts.append((area, addr))
        zone_parts = [(zid, g.Intersection(z).GetArea()) for zid, z in zones if g.Intersects(z)]
        parcels[pid] = {
            "status": s["status"], "coverage": a["coverage"], "area_m2": a["area_m2"],
            "free_m2": a["free_m2"], "largest_free_m2": a["largest_free_m2"],
            "zone_id": a["zone_id"], "parts": parts,
            "zone_parts": [(z, x) for z, x in zone_parts if x > 0],
            "in_use": s["in_use"] == 1, "offer": s["offer"], "issue_date": s["issue_date"],
            "issuable": s["issuable"] == 1, "owner": s["owner"], "impr_value": s["impr_value"],
            "land_value": s["land_value"], "vac_floor": s["vac_floor"],
        }
    problems = []
    got = {a["parcel_id"]: a for a, _ in features(snapshot, "parcel_definitions")}
    classes = {}
    for pid, p in sorted(parcels.items()):
        classes[pid] = classify(p)
        for profile, cls in classes[pid].items():
            col = profile.replace("-", "_") + "_class"
            if got[pid][col] != cls:
                problems.append("%s %s: spaceuse %s, expected %s" % (pid, profile, got[pid][col], cls))

    # Levels, all zones: areas inside the zones, parcels in the zone of their largest part.
    profiles = list(LEVEL)
    expected = {pr: {} for pr in profiles}
    for pid, p in parcels.items():
        for pr in profiles:
            lv = LEVEL[pr][classes[pid][pr]]
            e = expected[pr].setdefault(lv, [0.0, 0])
            e[0] += sum(x for _, x in p["zone_parts"])
            e[1] += 1 if p["zone_id"] else 0
    with open(os.path.join(out_dir, "definition_levels.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = {"available": "available", "partly available": "partly_available",
             "not available": "not_available"}
    for r in rows:
        if r["zone_id"] != "ALL":
            continue
        for lv, key in names.items():
            area, n = expected[r["profile"]].get(lv, [0.0, 0])
            if abs(float(r[key + "_m2"]) - area) > 0.01 or int(r["n_" + key]) != n:
                problems.append("ALL %s %s: spaceuse %s m² (%s), expected %.2f m² (%d)" %
                                (r["profile"], lv, r[key + "_m2"], r["n_" + key], area, n))
    # default per zone against the zone table.
    with open(os.path.join(out_dir, "summary.csv"), encoding="utf-8") as f:
        summary = {r["zone_id"]: r for r in csv.DictReader(f)}
    for r in rows:
        if r["profile"] != "default" or r["zone_id"] == "ALL":
            continue
        z = summary[r["zone_id"]]
        occupied = float(z["net_m2"]) - float(z["vacant_m2"]) - float(z["underused_m2"])
        for key, value in (("available_m2", float(z["vacant_m2"])),
                           ("partly_available_m2", float(z["underused_m2"])),
                           ("not_available_m2", occupied)):
            if abs(float(r[key]) - value) > 0.02:
                problems.append("%s default %s: %s, zone table %.2f" % (r["zone_id"], key, r[key], value))
    # The matrix.
    with open(os.path.join(out_dir, "definition_matrix.csv"), encoding="utf-8") as f:
        matrix = list(csv.DictReader(f))
    if len(matrix) != len(profiles) ** 2:
        problems.append("matrix has %d rows" % len(matrix))
    for r in matrix:
        a, b = r["profile_a"], r["profile_b"]
        area = n = 0
        for pid, p in parcels.items():
            if p["zone_parts"] and LEVEL[a][classes[pid][a]] != LEVEL[b][classes[pid][b]]:
                area += sum(x for _, x in p["zone_parts"])
                n += 1
        if abs(float(r["area_m2"]) - area) > 0.01 or int(r["n_parcels"]) != n:
            problems.append("matrix %s/%s: spaceuse %s m² (%s), expected %.2f m² (%d)" %
                            (a, b, r["area_m2"], r["n_parcels"], area, n))
    if problems:
        print("\n".join(problems))
        return 1
    print("definitions: %d parcels x %d profiles, levels and matrix agree with the independent "
          "computation" % (len(parcels), len(profiles)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
