#!/usr/bin/python3
"""Benchmark of `spaceuse diff` (the follow-up between two surveys) on a synthetic region.

    bench_diff.py --spaceuse PATH [--sizes 100000,1000000] [--repeat 3] [--repeat-1m 1]
                  [--format geojson-native] [--seed N] [--reuse-sides] [--data DIR]
                  [--work DIR] [--json FILE]

For each size (parcels) the region comes from the cache bench.py uses (DATA/<n>, generated with
gen_region.py when missing) and is the earlier survey (survey_date 2023-01-01); derive_survey.py
derives the later one (2024-01-01: 2 % of the parcels split, 1 % merged in pairs, 0.5 %
renumbered, 0.3 % retired, 0.3 % new, new buildings on 3 % of the vacant parcels; cached in
WORK/diff/<n>). Both are run once with `spaceuse run` on a project file (occupancy without
usable free space, the snapshot spaceuse.gpkg written; not timed; --reuse-sides keeps those of
an earlier run). Then the diff is timed, whole process (wall, CPU, peak RSS), median of REPEAT
runs (REPEAT_1M from 1M parcels on):

- `spaceuse diff BEFORE AFTER -o OUT --format geojson --geojson-crs native --no-styles`: the
  diff with the least writing. It always writes its tables as CSV and has no CSV-only setting;
  the layers (parcel_changes, zone_changes, achieved) also go to one export format, and GeoJSON
  in the analysis CRS (no reprojection, written on all cores) is the cheapest (at 100k parcels
  about 0.9 s of writing against 1.1 s for FlatGeobuf and 2.4 s for GeoPackage; --format);
- once with the default formats (RFC 7946 GeoJSON, reprojected to WGS84, and style sidecars);
- once with its progress on a pipe: the time and peak RSS (sampled from /proc) of each stage
  (start, opening the before and the after results, matching parcels and building the change
  rows, writing and committing the folder, exit).

The reconciliation lines the diff prints must equal the ones derive_survey.py expects (exit
status 1 otherwise). Targets, printed with the figures: at 1M parcels the diff in <= 15 s and
<= 2 GiB peak RSS; the growth 100k -> 1M is shown against the 10x of linear.
"""

import argparse
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench import PY, Failure, ensure_region, fmt_s, log, median_run, run, sha256  # noqa: E402

DATES = ("2023-01-01", "2024-01-01")
TARGET_WALL_1M = 15.0
TARGET_RSS_1M_MIB = 2048.0
# One redraw of spaceuse's progress bar (cli/progress_bar.cpp).
BAR = re.compile(r"\[[# ]{30}\] +\d+% (.{40})")


def project_toml(name, gpkg, out, date):
    """An occupancy study (no usable free space) of the region in gpkg, written to out."""
    def q(s):
        return json.dumps(s)  # a TOML basic string

    return """[project]
name = {name}
output = {out}
crs = "EPSG:31370"
overwrite = true
survey_date = "{date}"

[layers.zones]
source = {zones}
id_field = "zone_id"

[layers.parcels]
source = {parcels}
id_field = "parcel_id"

[layers.buildings]
source = {buildings}

[occupancy]
zone_name_field = "name"
floors_field = "floors"
free_space = false
""".format(name=q(name), out=q(out), date=date, zones=q(gpkg + ":zones"),
           parcels=q(gpkg + ":parcels"), buildings=q(gpkg + ":buildings"))


def derive(region, work, seed):
    """The later survey of a region (derive_survey.py), cached in work with what it printed
    (derived again when the region, the seed or the script changes)."""
    after = os.path.join(work, "after.gpkg")
    stamp = os.path.join(work, "after.done")
    script = os.path.join(HERE, "derive_survey.py")
    with open(os.path.join(region, "region.done"), encoding="utf-8") as f:
        key = "seed=%d derive_survey.py=%s region: %s" % (seed, sha256(script)[:16],
                                                         f.read().strip())
    if os.path.exists(stamp) and os.path.exists(after):
        with open(stamp, encoding="utf-8") as f:
            lines = f.read().splitlines()
        if lines and lines[0] == key:
            return after, lines[1:], None
    if os.path.exists(stamp):
        os.remove(stamp)
    log("  deriving the later survey")
    r = run([PY, script, os.path.join(region, "region.gpkg"), after, "--seed", str(seed)])
    lines = r["stdout"].strip().splitlines()
    log("  %s" % lines[0])
    with open(stamp, "w", encoding="utf-8") as f:
        f.write("\n".join([key] + lines) + "\n")
    return after, lines, r["wall"]


def reconciliation(stdout):
    """The "before ..." and "after ..." lines the diff prints."""
    return [line for line in stdout.splitlines() if line.startswith(("before ", "after "))]


def diff_cmd(exe, before, after, out, formats, progress=False):
    cmd = [exe, "--progress" if progress else "--no-progress", "diff", before, after, "-o", out,
           "--overwrite"]
    for f in formats:
        if f == "geojson-native":
            cmd += ["--format", "geojson", "--geojson-crs", "native"]
        else:
            cmd += ["--format", f]
    if formats:
        cmd.append("--no-styles")
    return cmd


def vm_rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def staged_run(cmd):
    """Runs cmd with its progress bar on a pipe: [(stage, seconds, peak RSS MiB sampled)], and
    the whole process's figures as run() gives them."""
    with tempfile.TemporaryFile() as so:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=so, stderr=subprocess.PIPE)
        fd = p.stderr.fileno()
        stages = []  # [name, start, peak]
        text = b""
        errors = []
        while True:
            ready, _, _ = select.select([fd], [], [], 0.02)
            now = time.perf_counter() - t0
            rss = vm_rss_mib(p.pid)
            if stages:
                stages[-1][2] = max(stages[-1][2], rss)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            text += chunk
            # Each redraw is "\r[bar] NN% message" with the message padded to 40 characters:
            # complete once the padding is there, without waiting for the next redraw.
            *done, text = text.split(b"\r")
            if BAR.fullmatch(text.decode(errors="replace")):
                done.append(text)
                text = b""
            for seg in done:
                seg = seg.decode(errors="replace")
                m = BAR.fullmatch(seg)
                if m:
                    msg = m.group(1).strip()
                    if msg and (not stages or stages[-1][0] != msg):
                        stages.append([msg, now, rss])
                elif seg.strip():
                    errors.append(seg.strip())
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.stderr.close()
        so.seek(0)
        stdout = so.read().decode(errors="replace")
    rc = os.waitstatus_to_exitcode(status)
    errors.append(text.decode(errors="replace").strip())
    if rc != 0:
        raise Failure("%s failed (%d): %s" % (" ".join(cmd[:3]), rc, " ".join(errors)[-2000:]))
    # Before the first message: start-up and the output folder; after "done" (drawn once the
    # folder is committed): printing and freeing everything at exit.
    out = [{"stage": "start", "wall": stages[0][1] if stages else wall, "rss_mb": 0.0}]
    for i, (name, start, peak) in enumerate(stages):
        end = stages[i + 1][1] if i + 1 < len(stages) else wall
        out.append({"stage": "exit" if name == "done" else name, "wall": end - start,
                    "rss_mb": peak})
    return out, {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024.0,
                 "stdout": stdout}


def one_size(args, exe, n, failures):
    region = ensure_region(args.data, n)
    work = os.path.join(args.work, "diff", str(n))
    os.makedirs(work, exist_ok=True)
    row = {"parcels": n}
    log("== %d parcels: %s" % (n, open(os.path.join(region, "region.done")).read().strip()))
    after_gpkg, derived, derive_wall = derive(region, work, args.seed)
    row["derive"] = derived
    row["derive_wall"] = derive_wall
    expected = [line[len("expected "):] for line in derived if line.startswith("expected ")]

    sides = []
    for name, gpkg, date in (("before", os.path.join(region, "region.gpkg"), DATES[0]),
                             ("after", after_gpkg, DATES[1])):
        out = os.path.join(work, name)
        toml = os.path.join(work, name + ".toml")
        text = project_toml("benchmark region, %d parcels, %s" % (n, date), gpkg, out, date)
        if args.reuse_sides and derive_wall is None and \
                os.path.exists(os.path.join(out, "spaceuse.gpkg")) and \
                os.path.exists(toml) and open(toml, encoding="utf-8").read() == text:
            log("  spaceuse run (%s, %s): reused %s" % (name, date, out))
            sides.append(out)
            continue
        with open(toml, "w", encoding="utf-8") as f:
            f.write(text)
        r = run([exe, "--quiet", "run", toml])
        row["run_" + name] = {"wall": r["wall"], "rss_mb": r["rss_mb"]}
        log("  spaceuse run (%s, %s): %.2f s, %.0f MiB" % (name, date, r["wall"], r["rss_mb"]))
        sides.append(out)

    repeat = args.repeat_1m if n >= 1000000 else args.repeat
    out = os.path.join(work, "diff-" + args.format)
    r = median_run(lambda: run(diff_cmd(exe, sides[0], sides[1], out, [args.format])), repeat)
    row["diff"] = r
    log("  spaceuse diff (CSV + %s): %.2f s wall, %.2f s CPU, %.0f MiB %s" % (
        args.format, r["wall"], r["cpu"], r["rss_mb"], r["walls"]))
    got = reconciliation(r["stdout"])
    row["reconciliation"] = got
    row["printed"] = [line for line in r["stdout"].splitlines() if line.strip()]
    for line in row["printed"]:
        log("    " + line)
    if got != expected:
        failures.append("%d: the diff's reconciliation %s is not the expected %s" % (
            n, got, expected))
        log("    NOT the expected: %s" % expected)
    with open(os.path.join(out, "parcel_changes.csv"), encoding="utf-8") as f:
        row["parcel_changes_rows"] = sum(1 for _ in f) - 1
    row["parcels_before"] = int(got[0].split()[1]) if got else None
    row["parcels_after"] = int(got[1].split()[1]) if len(got) > 1 else None

    out_default = os.path.join(work, "diff-default")
    r = run(diff_cmd(exe, sides[0], sides[1], out_default, []))
    row["diff_default"] = r
    log("  spaceuse diff (default: CSV + GeoJSON in WGS84, styles): %.2f s wall, %.0f MiB" % (
        r["wall"], r["rss_mb"]))

    stages, r = staged_run(diff_cmd(exe, sides[0], sides[1], os.path.join(work, "diff-stages"),
                                    [args.format], progress=True))
    row["stages"] = stages
    row["diff_staged"] = r
    log("  stages (one run, %.2f s): %s" % (r["wall"], ", ".join(
        "%s %.2f s %.0f MiB" % (s["stage"], s["wall"], s["rss_mb"]) for s in stages)))
    for k in ("diff", "diff_default", "diff_staged"):
        row[k].pop("stdout", None)
        row[k].pop("stderr", None)
    return row


def print_results(results, fmt):
    print("\nspaceuse diff, whole process (median run; CSV + %s, no styles; the default run once: "
          "CSV + GeoJSON in WGS84 + styles)" % fmt)
    print("%9s %9s %9s %10s %9s %9s %11s %9s %8s" % (
        "parcels", "before", "after", "changes", "wall s", "CPU s", "RSS MiB", "default s",
        "RSS MiB"))
    for r in results:
        d, dd = r["diff"], r["diff_default"]
        print("%9d %9s %9s %10s %9s %9s %11.0f %9s %8.0f" % (
            r["parcels"], r["parcels_before"], r["parcels_after"], r["parcel_changes_rows"],
            fmt_s(d["wall"]), fmt_s(d["cpu"]), d["rss_mb"], fmt_s(dd["wall"]), dd["rss_mb"]))
    print("\nstages (one run with its progress; wall s, peak RSS MiB sampled; the diff itself = "
          "opening both results + matching)")
    for r in results:
        own = sum(s["wall"] for s in r["stages"] if s["stage"].startswith(("opening", "matching")))
        print("%9d %s | diff itself %.2f s" % (r["parcels"], "  ".join(
            "%s %.2f s %.0f MiB" % (s["stage"], s["wall"], s["rss_mb"]) for s in r["stages"]),
            own))
    print("\nwhat the diff prints (its reconciliation must be the one derive_survey.py expects)")
    for r in results:
        for line in r["printed"]:
            print("%9d %s" % (r["parcels"], line))
    by_n = {r["parcels"]: r for r in results}
    print("\ntargets")
    if 100000 in by_n and 1000000 in by_n:
        a, b = by_n[100000], by_n[1000000]
        print("  %-50s %.1fx wall, %.1fx peak RSS (linear: 10x)" % (
            "100k -> 1M growth of the diff", b["diff"]["wall"] / a["diff"]["wall"],
            b["diff"]["rss_mb"] / a["diff"]["rss_mb"]))
    for r in results:
        if r["parcels"] < 1000000:
            continue
        w, m = r["diff"]["wall"], r["diff"]["rss_mb"]
        print("  %-50s %-12s %s" % ("%d: diff <= %.0f s" % (r["parcels"], TARGET_WALL_1M),
                                    "%.2f s" % w, "met" if w <= TARGET_WALL_1M else "NOT MET"))
        print("  %-50s %-12s %s" % ("%d: diff peak RSS <= 2 GiB" % r["parcels"], "%.0f MiB" % m,
                                    "met" if m <= TARGET_RSS_1M_MIB else "NOT MET"))
    if not any(r["parcels"] >= 1000000 for r in results):
        print("  (the targets are for 1M parcels: <= %.0f s and <= 2 GiB)" % TARGET_WALL_1M)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaceuse", required=True, help="the spaceuse program")
    ap.add_argument("--sizes", default="100000,1000000", help="parcel counts, comma separated")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per size (median)")
    ap.add_argument("--repeat-1m", type=int, default=1,
                    help="timed runs from 1M parcels on (default 1)")
    ap.add_argument("--format", default="geojson-native",
                    choices=("geojson-native", "geojson", "gpkg", "flatgeobuf", "shapefile"),
                    help="the export written beside the CSV in the timed runs (geojson-native: "
                    "GeoJSON in the analysis CRS, the cheapest)")
    ap.add_argument("--seed", type=int, default=2024, help="derive_survey.py --seed")
    ap.add_argument("--reuse-sides", action="store_true",
                    help="keep the before and after results of an earlier run of this script "
                    "when the later survey was not derived again (only with the same spaceuse "
                    "build: its snapshot is what the diff reads)")
    ap.add_argument("--data", default=None, help="region cache (default WORK/data, as bench.py)")
    ap.add_argument("--work", default=os.path.join(os.getcwd(), "bench"), help="work folder")
    ap.add_argument("--json", default=None, help="write all figures to this JSON file")
    args = ap.parse_args()
    exe = os.path.abspath(args.spaceuse)
    args.work = os.path.abspath(args.work)
    args.data = os.path.abspath(args.data or os.path.join(args.work, "data"))
    os.makedirs(args.data, exist_ok=True)
    failures = []
    results = []
    for n in [int(s) for s in args.sizes.split(",") if s]:
        results.append(one_size(args, exe, n, failures))
    print_results(results, args.format)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1, default=str)
    if failures:
        log("FAILED: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        log("bench_diff.py: %s" % e)
        sys.exit(1)
