#!/usr/bin/env python3
"""`spaceuse describe --json` and `--progress-format jsonl`, as a tool driving spaceuse reads them.

Also: SIGTERM and Ctrl-C stop a run cleanly (a "cancelled" answer, the earlier results intact,
no staging folder or lock left).

Usage: check_describe.py SPACEUSE FIXTURES_DIR WORK_DIR DATA_DIR
"""

import json
import os
import shutil
import signal
import subprocess
import sys

SPACEUSE, FIX, WORK, DATA = sys.argv[1:5]
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def run(*args):
    return subprocess.run([SPACEUSE] + list(args), capture_output=True, text=True, check=False)


# -- describe -------------------------------------------------------------------------------
done = run("describe", "--json")
check(done.returncode == 0, "describe --json exits 0")
d = json.loads(done.stdout)
check(d["format"] == "spaceuse-describe" and d["format_version"] == 1 and d["version"],
      "format spaceuse-describe, version 1, with spaceuse's version")
names = [c["name"] for c in d["commands"]]
check(names == ["run", "occupancy", "access", "definitions", "scenario", "diff", "trend"],
      "the commands a QGIS user needs, in order: %s" % names)
cmd = {c["name"]: c for c in d["commands"]}


def param(command, name):
    return next((p for p in cmd[command]["parameters"] if p["name"] == name), None)


# Hand-written expectations: what a form must offer.
z = param("occupancy", "zones")
check(z and z["type"] == "vector_layer" and z["geometry"] == "polygon" and z["required"]
      and z["flag"] == "--zones", "occupancy: zones, a required polygon layer (--zones)")
pid = param("occupancy", "parcel_id")
check(pid and pid["type"] == "field" and pid["layer_role"] == "parcels",
      "occupancy: parcel_id, a field of the parcels layer")
fs = param("occupancy", "free_space")
check(fs and fs["type"] == "boolean" and fs["default"] is True and fs["negated"]
      and fs["flag"] == "--no-free-space",
      "occupancy: free_space, a boolean on by default, turned off by --no-free-space")
vb = param("occupancy", "vacant_below")
check(vb and vb["type"] == "number" and vb["min"] == 0 and vb["max"] == 1
      and vb["unit"] == "fraction", "occupancy: vacant_below, a fraction in [0, 1]")
out = param("occupancy", "output")
check(out and out["type"] == "output_folder" and out["required"] and out["flag"] == "--output",
      "occupancy: output, a required output folder")
fmt = param("occupancy", "format")
check(fmt and fmt["type"] == "enum" and fmt["multiple"] and "gpkg" in fmt["choices"],
      "occupancy: format, a repeatable choice")
check([o["name"] for o in cmd["occupancy"]["outputs"] if o["geometry"]]
      == ["parcels", "zones", "free_space"],
      "occupancy's layers: parcels, zones and (through free_space) free_space")
net = param("access", "network")
fac = param("access", "facilities")
check(net and net["geometry"] == "line" and fac and fac["geometry"] == "point"
      and fac["multiple"], "access: network lines; facilities points, several")
before = param("diff", "before")
check(before and before["positional"] and before["type"] == "source" and before["required"],
      "diff: BEFORE, a required positional source")
share = param("diff", "match_share")
check(share and share["type"] == "number" and share["min"] == 0 and share["max"] == 1
      and share["default"] == 0.5,
      "diff: match_share, a number in [0, 1] (from its CLI11 range check), default 0.5")
years = param("trend", "supply_years")
check(years and years["type"] == "integer" and years["min"] == 1 and years["max"] == 100
      and years["default"] == 5,
      "trend: supply_years, a whole number in [1, 100], default 5")
proj = param("run", "project")
check(proj and proj["type"] == "file" and proj["extension"] == "toml" and proj["positional"]
      and not proj["required"], "run: PROJECT, an optional .toml file")

# Every metric option with a flag is a parameter of the commands running its metric, with the
# metric's own type, unit, range, choices and default: one declaration, two outputs agree.
type_of = {"number": "number", "integer": "integer", "boolean": "boolean", "choice": "enum",
           "list": "list", "number_list": "number_list", "date": "date", "file": "file",
           "folder": "folder", "field": "field", "text": "text"}
metrics = {m["name"]: m for m in d["metrics"]["metrics"]}
mismatch = []
compared = 0
for c in d["commands"]:
    for metric in c["metrics"]:
        for o in metrics[metric]["options"]:
            if "flag" not in o:
                continue
            p = next((p for p in c["parameters"] if p["flag"] == o["flag"]), None)
            if p is None and any(q["positional"] and q["name"] == o["flag"][2:]
                                 for q in c["parameters"]):
                continue  # the command takes it as its arguments (scenario FILES...)
            compared += 1
            if p is None:
                mismatch.append("%s %s missing" % (c["name"], o["flag"]))
                continue
            if p["type"] != type_of[o["type"]]:
                mismatch.append("%s %s type %s" % (c["name"], o["flag"], p["type"]))
            for key in ("min", "max", "exclusive_min", "choices"):
                if o.get(key) != p.get(key):
                    mismatch.append("%s %s %s" % (c["name"], o["flag"], key))
            if (o["unit"] or None) != p.get("unit"):
                mismatch.append("%s %s unit" % (c["name"], o["flag"]))
            if o["default"] is not None and o["default"] != p["default"]:
                mismatch.append("%s %s default %r != %r" % (c["name"], o["flag"], p["default"],
                                                           o["default"]))
check(compared > 20 and not mismatch,
      "%d metric option flags described as declared %s" % (compared, mismatch))
mismatch = []
for c in d["commands"]:
    for p in c["parameters"]:
        if not p["help"] or not p["type"]:
            mismatch.append("%s %s" % (c["name"], p["name"]))
check(not mismatch, "every parameter has a type and a help text %s" % mismatch)

# -- --progress-format jsonl ----------------------------------------------------------------
work = os.path.join(WORK, "jsonl")
shutil.rmtree(work, ignore_errors=True)
done = run("--progress-format", "jsonl", "occupancy",
           "--zones", os.path.join(FIX, "occupancy/zones.geojson"),
           "--parcels", os.path.join(FIX, "occupancy/parcels.geojson"),
           "--buildings", os.path.join(FIX, "occupancy/buildings.geojson"),
           "--zone-id", "zid", "--parcel-id", "pid", "-o", work)
check(done.returncode == 0, "occupancy --progress-format jsonl exits 0")
events = []
bad = []
for line in done.stderr.splitlines():
    try:
        events.append(json.loads(line))
    except ValueError:
        bad.append(line)
check(not bad and events, "every stderr line is one JSON object (%d lines) %s"
      % (len(events), bad[:3]))
progress = [e for e in events if e["type"] == "progress"]
percents = [e["percent"] for e in progress]
check(progress and percents == sorted(percents) and percents[-1] == 100.0
      and all(set(e) == {"type", "percent", "stage", "message"} for e in progress),
      "progress: percent, stage, message; never going back; ends at 100")
stages = [e["stage"] for e in progress]
check(stages[0] == "read" and {"read", "index", "overlay", "write"} <= set(stages)
      and set(stages) <= {"read", "index", "overlay", "network", "write"},
      "stages read, index, overlay, write: %s" % sorted(set(stages)))
outputs = [e for e in events if e["type"] == "outputs"]
files = {os.path.basename(f["path"]): f for f in outputs[0]["files"]} if outputs else {}
check(len(outputs) == 1 and outputs[0]["manifest"] == os.path.join(work, "run.json")
      and files.get("parcels.geojson", {}).get("features") == 8,
      "one outputs event: the manifest and parcels.geojson with its 8 features")
messages = [e["message"] for e in events if e["type"] == "message"]
check(any("parcels" in m and "read 8 = kept 8 + rejected 0" in m for m in messages),
      "the load summary comes as messages")
check(done.stdout.startswith("zone ") and "TOTAL" in done.stdout,
      "the zone table stays on stdout, as text")

done = run("--progress-format", "jsonl", "occupancy", "--zones", "/nonexistent/zones.shp",
           "--parcels", "p.shp", "--buildings", "b.shp", "-o", os.path.join(WORK, "jsonl-bad"))
last = json.loads(done.stderr.splitlines()[-1]) if done.stderr else {}
check(done.returncode == 3 and last.get("type") == "error" and last.get("exit_code") == 3
      and "/nonexistent/zones.shp" in last.get("message", ""),
      "a missing input: exit 3 and an error event naming the file: %s" % last)
done = run("--progress-format", "jsonl", "occupancy", "--zones", "z.shp")
lines = done.stderr.splitlines()
first = json.loads(lines[0]) if lines else {}
check(done.returncode == 2 and len(lines) == 1 and first.get("type") == "error"
      and "--parcels is required" in first.get("message", ""),
      "a command-line error: exit 2 and one error event: %s" % first)
done = run("occupancy", "--zones", "/nonexistent/zones.shp", "--parcels", "p.shp",
           "--buildings", "b.shp", "-o", os.path.join(WORK, "text-bad"))
check(done.stderr.strip().splitlines()[-1].startswith("spaceuse: error: /nonexistent/zones.shp"),
      "without it, errors stay one plain line")

work = os.path.join(WORK, "jsonl-timings")
shutil.rmtree(work, ignore_errors=True)
done = run("--progress-format", "jsonl", "--timings", "occupancy",
           "--zones", os.path.join(FIX, "occupancy/zones.geojson"),
           "--parcels", os.path.join(FIX, "occupancy/parcels.geojson"),
           "--buildings", os.path.join(FIX, "occupancy/buildings.geojson"),
           "--zone-id", "zid", "--parcel-id", "pid", "-o", work)
timings = []
plain = []
for line in done.stderr.splitlines():
    try:
        event = json.loads(line)
        if event.get("type") == "timings":
            timings.append(event)
    except ValueError:
        plain.append(line)
phases = [p["phase"] for p in timings[0]["phases"]] if timings else []
check(done.returncode == 0 and not plain and len(timings) == 1 and "overlay" in phases
      and timings[0]["total"]["wall_s"] >= sum(p["wall_s"] for p in timings[0]["phases"]) - 1e-3,
      "--timings in jsonl: one timings event (phases %s), no plain line %s" % (phases, plain[:2]))


# -- SIGTERM and Ctrl-C ---------------------------------------------------------------------
def stopped_run(out, sig, *extra):
    """Runs the sample project into `out` and sends `sig` once it reports progress (a JSON
    progress event with SIGTERM, the bar's "%" with SIGINT); returns (exit code, stderr lines;
    the bar's carriage returns end lines too)."""
    child = subprocess.Popen([SPACEUSE, "--progress-format", "jsonl" if sig == signal.SIGTERM
                              else "bar", "--progress", "run", os.path.join(DATA, "heverlee.toml"),
                              "-o", out] + list(extra), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    seen = b""
    while True:
        chunk = child.stderr.read1(4096)
        if not chunk:
            break
        if not seen.count(b"%") and not seen.count(b"progress") and \
                (b"%" in chunk or b"progress" in chunk):
            child.send_signal(sig)
        seen += chunk
    code = child.wait()
    text = seen.decode("utf-8", "replace").replace("\r", "\n")
    return code, [line.strip() for line in text.splitlines() if line.strip()]


stop_dir = os.path.join(WORK, "stop")
shutil.rmtree(stop_dir, ignore_errors=True)
os.makedirs(stop_dir)
earlier = os.path.join(stop_dir, "results")
done = run("--quiet", "run", os.path.join(DATA, "heverlee.toml"), "-o", earlier)
with open(os.path.join(earlier, "run.json"), "rb") as f:
    earlier_manifest = f.read()
code, lines = stopped_run(earlier, signal.SIGTERM, "--overwrite")
last = json.loads(lines[-1]) if lines else {}
with open(os.path.join(earlier, "run.json"), "rb") as f:
    kept = f.read() == earlier_manifest
check(code == 1 and last.get("type") == "cancelled" and "SIGTERM" in last.get("message", "")
      and kept and sorted(os.listdir(stop_dir)) == ["results"],
      "SIGTERM during run --overwrite: exit 1, a cancelled event (%s), the earlier results "
      "intact, no staging folder or lock: %s" % (last.get("message"), sorted(os.listdir(stop_dir))))
code, lines = stopped_run(os.path.join(stop_dir, "new"), signal.SIGINT)
check(code == 1 and lines and lines[-1].endswith(
          "spaceuse: cancelled (Ctrl-C); earlier results left as they were")
      and sorted(os.listdir(stop_dir)) == ["results"],
      "Ctrl-C: exit 1, one plain line (%r), nothing written" % (lines[-1] if lines else ""))

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("describe and jsonl checks passed")
