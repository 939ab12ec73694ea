#!/usr/bin/python3
"""Which OpenStreetMap edits make the 2016 -> 2024 change of leuven_osm_followup.sh.

    leuven_osm_edits.py OUT_DIR SURVEY_DATE_2016 MAX_WAY_ID_2016 MAX_RELATION_ID_2016

OUT_DIR is WORK_DIR/leuven_osm. Reads leuven.gpkg there (parcels, buildings_2016,
buildings_2024, addresses_2016) and followup/parcel_changes.csv; writes edits/buildings_2024.csv,
edits/buildings_2016.csv and edits/parcels_changed.csv; prints the attribution.

Each 2024 building gets the first class that applies, from its OSM id, version and tags:
  same_version      the OSM object and version of the 2016 file (untouched since)
  edited            the OSM object of the 2016 file, a later version (outline and/or tags)
  old_id_retagged   an id at most the largest way/relation id of the 2016 file (ids are issued
                    in time order, so the object existed on the 2016 date) that was no building
                    in the 2016 file: tagged building, or drawn into the area, later
  new_grb_before    a newer id from the GRB import whose GRB date (source:geometry:date) is on or
                    before the 2016 survey date: GRB had measured the building by then
  new_heritage      a newer id listed as heritage (heritage=*, ref:OnroerendErfgoed) or with a
                    start_date on or before the 2016 date
  new_addr_2016     a newer id whose footprint holds a 2016 OSM node with a house number, shop,
                    office or craft: something was mapped at that building in 2016
  new_grb_old_obj   a newer id with a later GRB date, but its GRB object (source:geometry:ref
                    Gbg/N or Gba/N) is not newer than the newest GRB object of that kind dated
                    on or before the 2016 date: GRB's date is the date of its own last
                    re-measurement (a version date); the object existed before
  new_grb_new_obj   a newer id, a GRB object created after the 2016 date: a new building, or
                    GRB's first drawing of an older one (GRB dates say which only with GRB's
                    history, not bundled)
  new_batch         a newer id without GRB tags or age hints, still at version 1, created in a
                    changeset that created at least BATCH of the area's buildings: a mapping
                    campaign (a new estate of a few dozen houses would also qualify)
  new_untagged      a newer id without GRB tags or age hints (mapped by hand)
The first six classes stood on the 2016 date ("mapping, certain"); new_grb_old_obj and new_batch
very probably did ("mapping, likely"); new_grb_new_obj and new_untagged are undetermined.
Gained built area (2024 footprint inside the parcels on land no 2016 footprint covered) goes to
the classes in that order, each piece once.
"""

import csv
import os
import sys

from osgeo import ogr

ogr.UseExceptions()

CLASSES = ["same_version", "edited", "old_id_retagged", "new_grb_before", "new_heritage",
           "new_addr_2016", "new_grb_old_obj", "new_grb_new_obj", "new_batch", "new_untagged"]
CERTAIN = set(CLASSES[:6])
LIKELY = {"new_grb_old_obj", "new_batch"}
BATCH = 20  # buildings of the area a changeset created at once (still at version 1)
VACANT_BELOW = 0.05  # the default profile's threshold (data/profiles/default.toml)


def read(ds, name):
    rows = []
    for f in ds.GetLayerByName(name):
        d = {k: f.GetField(k) for k in f.keys()}
        d["geom"] = f.GetGeometryRef().Clone()
        d["env"] = d["geom"].GetEnvelope()
        rows.append(d)
    return rows


def union(geoms):
    mp = ogr.Geometry(ogr.wkbMultiPolygon)
    for g in geoms:
        if g is None or g.IsEmpty():
            continue
        t = ogr.GT_Flatten(g.GetGeometryType())
        parts = [g] if t == ogr.wkbPolygon else \
            [g.GetGeometryRef(i) for i in range(g.GetGeometryCount())]
        for p in parts:
            if ogr.GT_Flatten(p.GetGeometryType()) == ogr.wkbPolygon and not p.IsEmpty():
                mp.AddGeometry(p)
    return mp.UnionCascaded() if mp.GetGeometryCount() else ogr.Geometry(ogr.wkbPolygon)


def area(g):
    return g.GetArea() if g is not None and not g.IsEmpty() and g.GetDimension() == 2 else 0.0


def overlaps(e1, e2):
    return e1[0] <= e2[1] and e2[0] <= e1[1] and e1[2] <= e2[3] and e2[2] <= e1[3]


def main():
    out, date2016 = sys.argv[1], sys.argv[2]
    max_id = {"way": int(sys.argv[3]), "relation": int(sys.argv[4])}
    ds = ogr.Open(os.path.join(out, "leuven.gpkg"))
    parcels = read(ds, "parcels")
    b16 = read(ds, "buildings_2016")
    b24 = read(ds, "buildings_2024")
    addr16 = read(ds, "addresses_2016")
    p_union = union([p["geom"] for p in parcels])
    u16 = union([b["geom"] for b in b16])

    v16 = {b["osm_id"]: b["osm_version"] for b in b16}
    # Newest GRB object (by kind, Gbg main building / Gba annex) dated by the 2016 date.
    grb_max = {}
    for b in b24:
        ref, date = (b["grb_ref"] or ""), (b["grb_date"] or "")
        if "/" in ref and ref.split("/")[1].isdigit() and date and date[:10] <= date2016:
            kind, n = ref.split("/")
            grb_max[kind] = max(grb_max.get(kind, 0), int(n))

    # Buildings of the area each changeset created (objects still at version 1).
    created = {}
    for b in b24:
        if b["osm_version"] == 1:
            created.setdefault(b["osm_changeset"], set()).add(b["osm_id"])

    def classify(b):
        osm_id = b["osm_id"]
        if osm_id in v16:
            return "same_version" if b["osm_version"] == v16[osm_id] else "edited"
        kind, num = osm_id.split("/")
        if int(num) <= max_id.get(kind, 0):
            return "old_id_retagged"
        grb, ref = (b["grb_date"] or "").strip(), (b["grb_ref"] or "").strip()
        if grb and grb[:10] <= date2016:
            return "new_grb_before"
        start = (b["start_date"] or "").strip()
        if b["heritage"] or b["heritage_ref"] or (start[:4].isdigit() and start[:10] <= date2016):
            return "new_heritage"
        if any(overlaps(a["env"], b["env"]) and b["geom"].Contains(a["geom"]) for a in addr16):
            return "new_addr_2016"
        if grb or ref:
            kind, _, n = ref.partition("/")
            if n.isdigit() and int(n) <= grb_max.get(kind, 0):
                return "new_grb_old_obj"
            return "new_grb_new_obj"
        if b["osm_version"] == 1 and len(created.get(b["osm_changeset"], ())) >= BATCH:
            return "new_batch"
        return "new_untagged"

    for b in b24:
        b["class"] = classify(b)
        part = b["geom"].Intersection(p_union)
        b["in_parcels"] = area(part)
        b["gain"] = area(part.Difference(u16)) if b["in_parcels"] > 0 else 0.0

    # Gained area by class, each piece once; the 2024 built land.
    region, gained = {}, {}
    taken = ogr.Geometry(ogr.wkbPolygon)
    for c in CLASSES:
        region[c] = union([b["geom"] for b in b24 if b["class"] == c])
        piece = region[c].Intersection(p_union).Difference(u16)
        gained[c] = area(piece.Difference(taken) if not taken.IsEmpty() else piece)
        taken = union([taken, region[c]])
    lost_geom = u16.Intersection(p_union).Difference(taken)
    built16 = area(u16.Intersection(p_union))
    built24 = area(taken.Intersection(p_union))

    # Fate of the 2016 buildings.
    v24 = {}
    for b in b24:
        v24[b["osm_id"]] = b["osm_version"]
    fate = {}
    for b in b16:
        b["fate"] = "deleted" if b["osm_id"] not in v24 else \
            ("same_version" if v24[b["osm_id"]] == b["osm_version"] else "edited")
        b["in_parcels"] = area(b["geom"].Intersection(p_union))
        f = fate.setdefault(b["fate"], [0, set(), 0.0, 0.0])
        f[0] += 1
        f[1].add(b["osm_id"])
        f[2] += b["in_parcels"]
    for name, f in fate.items():
        f[3] = area(union([b["geom"] for b in b16 if b["fate"] == name]).Intersection(lost_geom))
    # Deleted 2016 objects whose land a newer 2024 object covers (>= 90 %): redrawn under a new id.
    redrawn = 0
    for b in b16:
        if b["fate"] == "deleted":
            cover = union([x["geom"] for x in b24 if overlaps(x["env"], b["env"])])
            b["covered_2024"] = area(b["geom"].Intersection(cover)) / area(b["geom"])
            redrawn += b["covered_2024"] >= 0.9

    # Parcels whose status changed.
    with open(os.path.join(out, "followup", "parcel_changes.csv"), newline="") as f:
        changes = [r for r in csv.DictReader(f) if r["status_before"] != r["status_after"]]
    by_id = {p["parcel_id"]: p for p in parcels}
    prows, tally = [], {}
    for row in changes:
        p = by_id[row["parcel_ids_after"]]
        a = area(p["geom"])
        near = [b for b in b24 if overlaps(b["env"], p["env"])]
        cov = {}
        for group, classes in (("certain", CERTAIN), ("likely", CERTAIN | LIKELY),
                               ("all", set(CLASSES))):
            cov[group] = area(union([b["geom"] for b in near if b["class"] in classes])
                              .Intersection(p["geom"])) / a
        if row["status_before"] == "vacant":
            # Not vacant with only the buildings that stood on the 2016 date?
            verdict = "mapping" if cov["certain"] >= VACANT_BELOW else \
                "mapping_likely" if cov["likely"] >= VACANT_BELOW else "undetermined"
        else:
            verdict = "mapping" if cov["certain"] >= cov["all"] - 1e-9 else \
                "mapping_likely" if cov["likely"] >= cov["all"] - 1e-9 else "undetermined"
        t = tally.setdefault((row["transition"], verdict), [0, 0.0])
        t[0] += 1
        t[1] += a
        on = [b for b in near if area(b["geom"].Intersection(p["geom"])) > 1.0]
        on16 = [b for b in b16 if overlaps(b["env"], p["env"])
                and area(b["geom"].Intersection(p["geom"])) > 1.0]
        prows.append({
            "parcel_id": row["parcel_ids_after"], "zone_id": row["zone_id"],
            "transition": row["transition"], "area_m2": "%.1f" % a,
            "d_built_m2": row["d_built_m2"], "verdict": verdict,
            "coverage_2024_certain": "%.3f" % cov["certain"],
            "coverage_2024_likely": "%.3f" % cov["likely"],
            "coverage_2024_all": "%.3f" % cov["all"],
            "buildings_2024": " ".join("%s v%s %s grb=%s/%s" % (
                b["osm_id"], b["osm_version"], b["class"], b["grb_date"] or "-",
                b["grb_ref"] or "-") for b in on),
            "buildings_2016": " ".join("%s v%s %s" % (b["osm_id"], b["osm_version"], b["fate"])
                                       for b in on16),
        })

    os.makedirs(os.path.join(out, "edits"), exist_ok=True)
    with open(os.path.join(out, "edits", "buildings_2024.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["osm_id", "building", "osm_version", "osm_timestamp", "osm_changeset",
                    "grb_date", "grb_ref", "start_date", "heritage", "class", "area_m2",
                    "in_parcels_m2", "gained_m2"])
        for b in b24:
            w.writerow([b["osm_id"], b["building"], b["osm_version"], b["osm_timestamp"],
                        b["osm_changeset"], b["grb_date"], b["grb_ref"], b["start_date"],
                        b["heritage"] or b["heritage_ref"], b["class"], "%.1f" % area(b["geom"]),
                        "%.1f" % b["in_parcels"], "%.1f" % b["gain"]])
    with open(os.path.join(out, "edits", "buildings_2016.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["osm_id", "building", "osm_version", "osm_timestamp", "fate", "area_m2",
                    "in_parcels_m2", "covered_2024"])
        for b in b16:
            w.writerow([b["osm_id"], b["building"], b["osm_version"], b["osm_timestamp"],
                        b["fate"], "%.1f" % area(b["geom"]), "%.1f" % b["in_parcels"],
                        "%.3f" % b["covered_2024"] if "covered_2024" in b else ""])
    with open(os.path.join(out, "edits", "parcels_changed.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(prows[0].keys()) if prows else ["parcel_id"])
        w.writeheader()
        w.writerows(prows)

    # Report.
    print("== OSM edits behind the change (leuven_osm_edits.py)")
    print("built area inside the parcels: 2016 %.0f m2, 2024 %.0f m2 (+%.0f gained, -%.0f lost, "
          "net %+.0f)" % (built16, built24, sum(gained.values()), area(lost_geom),
                          built24 - built16))
    print("GRB objects dated on or before %s: newest Gbg/%s, Gba/%s" % (
        date2016, grb_max.get("Gbg", "-"), grb_max.get("Gba", "-")))
    print("2024 buildings by class (polygons, OSM objects; m2 gained on land no 2016 building "
          "covered):")
    g_all = sum(gained.values()) or 1.0
    for c in CLASSES:
        objs = {b["osm_id"] for b in b24 if b["class"] == c}
        n = sum(1 for b in b24 if b["class"] == c)
        what = "certain" if c in CERTAIN else "likely" if c in LIKELY else "undetermined"
        print("  %-16s %5d %5d  %8.0f m2 %5.1f %%  %s" % (c, n, len(objs), gained[c],
                                                         100 * gained[c] / g_all, what))
    gc = sum(gained[c] for c in CERTAIN)
    gl = sum(gained[c] for c in LIKELY)
    print("  gained area of buildings that stood in 2016: certain %.1f %%, with the likely "
          "%.1f %%, undetermined %.1f %%" % (100 * gc / g_all, 100 * (gc + gl) / g_all,
                                             100 * (1 - (gc + gl) / g_all)))
    print("2016 buildings by fate (polygons, OSM objects, m2 in parcels, m2 no longer built):")
    for name in ("same_version", "edited", "deleted"):
        f = fate.get(name, [0, set(), 0.0, 0.0])
        print("  %-13s %4d %4d  %8.0f m2  lost %6.0f m2" % (name, f[0], len(f[1]), f[2], f[3]))
    print("  deleted polygons >= 90 %% covered by 2024 buildings (redrawn under new ids): %d" %
          redrawn)
    print("parcels whose status changed (parcels, m2), by verdict:")
    for (tr, verdict), (n, a) in sorted(tally.items()):
        print("  %-20s %-15s %4d  %8.0f m2" % (tr, verdict, n, a))
    took = {}
    for (tr, verdict), (n, a) in tally.items():
        if tr.startswith("vacant"):
            took[verdict] = took.get(verdict, 0.0) + a
    total = sum(took.values()) or 1.0
    print("take-up (vacant -> occupied or underused) %.0f m2: mapping %.1f %%, likely mapping "
          "%.1f %%, undetermined %.1f %%" % (
              sum(took.values()), 100 * took.get("mapping", 0) / total,
              100 * took.get("mapping_likely", 0) / total,
              100 * took.get("undetermined", 0) / total))
    print("wrote %s/edits/{buildings_2024,buildings_2016,parcels_changed}.csv" % out)


if __name__ == "__main__":
    main()
