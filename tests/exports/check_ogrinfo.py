#!/usr/bin/env python3
"""Checks with GDAL's own `ogrinfo` that every data file a run wrote reads back with the feature
count the run manifest (run.json) states.

usage: check_ogrinfo.py OUTPUT_DIR
"""

import json
import os
import re
import subprocess
import sys


def feature_count(path, layer):
    args = ["ogrinfo", "-ro", "-so", path]
    if path.endswith(".gpkg"):
        args.append(layer)
    else:
        args.append("-al")
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    counts = re.findall(r"^Feature Count: (\d+)$", out, re.M)
    return int(counts[0]) if len(counts) == 1 else None


def main():
    out_dir = sys.argv[1]
    with open(os.path.join(out_dir, "run.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    errors = 0
    checked = 0
    for entry in manifest["outputs"]:
        name = entry["file"]
        if "features" not in entry or not name.endswith((".geojson", ".gpkg", ".shp", ".fgb")):
            continue
        path = os.path.join(out_dir, name)
        got = feature_count(path, entry["layer"])
        status = "ok" if got == entry["features"] else "FAIL"
        errors += status != "ok"
        checked += 1
        print(f"{status}: {name} {entry['layer']}: ogrinfo {got}, run.json {entry['features']}")
    if checked == 0:
        print("FAIL: no data files in run.json")
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
