#!/usr/bin/python3
"""Drives every vector file of the shared bad-input collection through the analyses and checks
that spaceuse never crashes, hangs or dumps multi-line output:

    check_bad_inputs.py SPACEUSE_BINARY BAD_INPUTS_DIR WORK_DIR

Each file F runs six times, in one role at a time, the other roles from good inputs (a file that
stops at opening as parcels — unreadable, no CRS, no geometry column — stops there in every
role, and runs once):

- occupancy with F as --zones, --parcels, --buildings (the others from tests/fixtures/occupancy,
  EPSG:31370), then as all three at once ("all": a file from elsewhere on earth would otherwise
  stop at the check that the parcels lie in the zones), --crs EPSG:31370 and no --assume-crs
  (a missing CRS is a clean error);
- access with F as --network and as --facilities (origins the sample's zones, roads and
  facilities the sample's, data/heverlee.gpkg), --facility-kind poi, --crs EPSG:31370.

A folder holding zones, parcels and buildings of its own (free_space_topology) also runs whole,
once, as occupancy (role "set").

Files: every file GDAL could plausibly open: vector extensions (.geojson, .json, .shp, .zip,
.gpkg, .kml, .gml, .csv...), a shapefile set by its .shp only (a .dbf without a .shp is a table
of its own and runs), and other files whose text starts as JSON (GeoJSON with another name).

Accepted: exit 0 (warnings on stderr allowed, raw GDAL "ERROR n:" lines not), or an exit code
1..127 with stderr exactly one non-empty line starting "spaceuse: error:". Anything else fails:
a hang (timeout), death by a signal, sanitizer reports, "terminate called", stack traces,
several lines on stderr, lines over 2000 characters, numbers of 25 digits or more on stderr
(a sentinel such as DBL_MAX printed in full).

Each run writes into a fresh subfolder of WORK_DIR. Exit 0 when all runs pass, 1 on any failure,
77 (ctest SKIP_RETURN_CODE) when BAD_INPUTS_DIR does not exist, 2 on a usage error or when the
good inputs themselves do not run.

Environment: SPACEUSE_TEST_TIMEOUT_SCALE multiplies the 60 s per-run timeout (sanitizer builds);
SPACEUSE_TEST_JOBS runs that many at once (default: the number of CPUs, at most 4);
SPACEUSE_TEST_VERBOSE=1 also prints the stderr of the accepted runs.
"""

import concurrent.futures
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_TIMEOUT_S = 60.0
MAX_LINE = 2000
CRS = "EPSG:31370"

# Extensions GDAL opens as vector data (by name); .dbf only when no .shp sits next to it.
VECTOR_EXTS = {
    ".geojson", ".json", ".topojson", ".geojsonl", ".geojsons", ".seq", ".ndjson",
    ".shp", ".dbf", ".zip", ".gpkg", ".sqlite", ".kml", ".kmz", ".gml", ".gpx", ".csv",
    ".fgb", ".tab", ".mif", ".dxf", ".osm", ".pbf", ".xlsx", ".ods", ".gdb",
}

CRASH_PATTERNS = [
    ("sanitizer", re.compile(r"AddressSanitizer|LeakSanitizer|ThreadSanitizer|"
                             r"UndefinedBehaviorSanitizer|MemorySanitizer|runtime error:")),
    ("terminate", re.compile(r"terminate called|what\(\):")),
    ("stack-trace", re.compile(r"^\s*#\d+\s+0x[0-9a-fA-F]+|Stack trace|stack trace|Backtrace|"
                               r"backtrace:|Segmentation fault|core dumped|Assertion .* failed",
                               re.M)),
]
RAW_GDAL = re.compile(r"^(ERROR|Warning) \d+:", re.M)
# A number of 25 digits or more in a message: an uninitialised or sentinel value (1.8e308
# printed in full), never a measure of the data.
GARBAGE_NUMBER = re.compile(r"(?<![\w.])\d{25,}")


# Errors raised while opening a layer, before its role matters.
OPEN_ERROR = re.compile(r"cannot open|file not found|has no CRS|no geometry column|"
                        r"not a (?:recognised|supported)|no layer|unsupported|Failed to read")


def find_inputs(root):
    """Files of the collection GDAL could plausibly open, sorted by relative path."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        names = set(filenames)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            ext = path.suffix.lower()
            if ext == ".dbf":
                stem = name[:-4]
                if stem + ".shp" in names or stem + ".SHP" in names:
                    continue  # part of a shapefile set: the .shp stands for it
                found.append(path)
            elif ext in VECTOR_EXTS:
                found.append(path)
            elif looks_like_json(path):
                found.append(path)  # GeoJSON under another name (.txt): GDAL sniffs the content
    return sorted(found, key=lambda p: str(p.relative_to(root)))


def looks_like_json(path):
    try:
        with open(path, "rb") as f:
            head = f.read(256).lstrip()
    except OSError:
        return False
    return head[:1] in (b"{", b"\x1e")


def run(cmd, timeout):
    """run_once, again a few times while the program cannot start at all (a build relinking it
    under us: "error while loading shared libraries", "Text file busy")."""
    for _ in range(6):
        result = run_once(cmd, timeout)
        rc, _, err, _ = result
        if not (rc == "exec" or (rc == 127 and "error while loading shared libraries" in err)):
            break
        time.sleep(10)
    return result


def run_once(cmd, timeout):
    """(rc, or None on timeout, or "exec" when it cannot start; stdout, stderr, seconds)."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as e:  # e.g. the binary is being relinked
        return "exec", "", f"check_bad_inputs: cannot run {cmd[0]}: {e}", 0.0
    try:
        out, err = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # our own child's process group
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        rc = None
    return (rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
            time.monotonic() - start)


def judge(rc, out, err):
    """('ok', None) | ('error', None) | ('fail', reason)."""
    if rc is None:
        return "fail", "timeout"
    if rc == "exec":
        return "fail", "cannot-run"
    if rc == 127 and "error while loading shared libraries" in err:
        return "fail", "cannot-run"
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = str(-rc)
        return "fail", "signal-" + name
    if rc >= 128:
        return "fail", f"rc={rc}>=128"
    both = err + "\n" + out
    for reason, pattern in CRASH_PATTERNS:
        if pattern.search(both):
            return "fail", reason
    for stream, text in (("stderr", err), ("stdout", out)):
        if any(len(line) > MAX_LINE for line in text.splitlines()):
            return "fail", f"long-line-{stream}"
    if RAW_GDAL.search(err) or RAW_GDAL.search(out):
        return "fail", "raw-gdal-output"
    if GARBAGE_NUMBER.search(err):
        return "fail", "garbage-number"  # e.g. the extent of an empty layer printed as DBL_MAX
    if rc == 0:
        return "ok", None
    lines = [line for line in err.splitlines() if line.strip()]
    if not lines:
        return "fail", "no-error-message"
    if len(lines) > 1:
        return "fail", "multi-line-stderr"
    if not lines[0].startswith("spaceuse: error:"):
        return "fail", "not-spaceuse-error"
    return "error", None


def slug(text, limit=70):
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")
    return s[-limit:]


def main():
    if len(sys.argv) != 4:
        print("usage: check_bad_inputs.py SPACEUSE_BINARY BAD_INPUTS_DIR WORK_DIR", file=sys.stderr)
        return 2
    binary, bad_dir, work = (Path(a).resolve() for a in sys.argv[1:])
    if not bad_dir.is_dir():
        print(f"SKIP: shared bad inputs not found at {bad_dir}")
        return 77
    if not os.access(binary, os.X_OK):
        print(f"check_bad_inputs: {binary}: not an executable", file=sys.stderr)
        return 2
    source = Path(__file__).resolve().parents[2]
    fix = source / "tests" / "fixtures" / "occupancy"
    good = {"zones": fix / "zones.geojson", "parcels": fix / "parcels.geojson",
            "buildings": fix / "buildings.geojson"}
    sample = source / "data" / "heverlee.gpkg"
    good_access = {"origins": f"{sample}:zones", "roads": f"{sample}:roads",
                   "facilities": f"{sample}:pois"}
    for p in list(good.values()) + [sample]:
        if not p.is_file():
            print(f"check_bad_inputs: good input {p} not found", file=sys.stderr)
            return 2
    scale = float(os.environ.get("SPACEUSE_TEST_TIMEOUT_SCALE", "1") or "1")
    timeout = BASE_TIMEOUT_S * scale
    jobs = int(os.environ.get("SPACEUSE_TEST_JOBS", "0") or "0") or min(4, os.cpu_count() or 1)
    verbose = os.environ.get("SPACEUSE_TEST_VERBOSE", "") not in ("", "0")
    work.mkdir(parents=True, exist_ok=True)

    def stamp():
        """Modification times of the program and the libraries next to it (build/lib)."""
        times = []
        for p in [binary] + sorted((binary.parent.parent / "lib").glob("*.so*")):
            try:
                times.append(p.stat().st_mtime_ns)
            except OSError:
                times.append(None)
        return times

    built = stamp()

    def occupancy(role, f, out):
        inputs = {k: str(v) for k, v in good.items()}
        for key in (("zones", "parcels", "buildings") if role == "all" else (role,)):
            inputs[key] = str(f)
        return [str(binary), "--quiet", "occupancy", "--zones", inputs["zones"],
                "--parcels", inputs["parcels"], "--buildings", inputs["buildings"],
                "--crs", CRS, "-o", str(out)]

    def access(role, f, out):
        inputs = dict(good_access)
        inputs[role] = str(f)
        return [str(binary), "--quiet", "access", "--origins", inputs["origins"],
                "--network", inputs["roads"], "--facilities", inputs["facilities"],
                "--facility-kind", "poi", "--crs", CRS, "-o", str(out)]

    # "all": F as zones, parcels and buildings at once. With one role only, a file from elsewhere
    # on earth stops at the check that the parcels lie in the zones; with all three the overlay,
    # the repairs and the free space run on its geometry.
    roles = [("zones", occupancy), ("parcels", occupancy), ("buildings", occupancy),
             ("all", occupancy), ("roads", access), ("facilities", access)]
    # SPACEUSE_BAD_INPUT_ROLES (comma-separated) narrows the roles run after the parcels probe;
    # the test suite runs "all" and "roads" unless configured with
    # -DSPACEUSE_BAD_INPUTS_ALL_ROLES=ON (the zones, buildings and facilities roles read the
    # file through the same reader and repair as "all" and "roads").
    wanted = [r for r in os.environ.get("SPACEUSE_BAD_INPUT_ROLES", "").split(",") if r]
    if wanted:
        unknown = sorted(set(wanted) - {r for r, _ in roles})
        if unknown:
            print("unknown role(s) in SPACEUSE_BAD_INPUT_ROLES: " + ", ".join(unknown))
            return 2
        roles = [(r, m) for r, m in roles if r in wanted or r == "parcels"]

    def fresh(name):
        out = work / name
        if out.exists():
            shutil.rmtree(out)
        return out

    # The good inputs must run, or every verdict below means nothing.
    for name, cmd in (("occupancy", occupancy("zones", good["zones"], fresh("baseline-occupancy"))),
                      ("access", access("roads", good_access["roads"], fresh("baseline-access")))):
        rc, out, err, _ = run(cmd, timeout)
        verdict, reason = judge(rc, out, err)
        if rc != 0 or verdict != "ok":
            print(f"FAIL baseline {name} with good inputs: rc={rc} {reason or ''}")
            print("  command: " + shlex.join(cmd))
            print("  stderr:\n" + "".join("    " + l + "\n" for l in err.splitlines()))
            return 2

    files = find_inputs(bad_dir)
    # First every file as parcels. A file that stops at opening (unreadable, no CRS, no geometry
    # column, a table) stops there in every role — the layer is opened the same way whatever
    # its role — so its other roles are not run again (counted as "same open error").
    probes = []
    for i, f in enumerate(files):
        rel = str(f.relative_to(bad_dir))
        probes.append(("parcels", rel, occupancy("parcels", f, fresh(f"{i:03d}-parcels-{slug(rel)}"))))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        probe_results = list(pool.map(lambda t: run(t[2], timeout), probes))
    tasks = []
    same_open_error = 0
    for i, (f, (rc, out, err, _)) in enumerate(zip(files, probe_results)):
        rel = str(f.relative_to(bad_dir))
        opened = not (rc != 0 and OPEN_ERROR.search(err or ""))
        for role, make in roles:
            if role == "parcels":
                continue
            if not opened:
                same_open_error += 1
                continue
            out_dir = fresh(f"{i:03d}-{role}-{slug(rel)}")
            tasks.append((role, rel, make(role, f, out_dir)))

    # A folder with zones, parcels and buildings of its own (free_space_topology) also runs whole.
    for d in sorted({f.parent for f in files}):
        for ext in (".geojson", ".shp", ".gpkg"):
            whole = {r: d / (r + ext) for r in ("zones", "parcels", "buildings")}
            if all(p.is_file() for p in whole.values()):
                rel = str((d / ("{zones,parcels,buildings}" + ext)).relative_to(bad_dir))
                out = fresh(f"set-{slug(rel)}")
                tasks.append(("set", rel, [str(binary), "--quiet", "occupancy",
                                           "--zones", str(whole["zones"]),
                                           "--parcels", str(whole["parcels"]),
                                           "--buildings", str(whole["buildings"]),
                                           "--crs", CRS, "-o", str(out)]))

    print(f"{len(files)} files x {len(roles)} roles ({same_open_error} skipped: same open error "
          f"as the parcels role) + whole sets = {len(probes) + len(tasks)} runs from {bad_dir} "
          f"(timeout {timeout:g} s, {jobs} at once)", flush=True)
    start = time.monotonic()
    counts = {"ok": 0, "error": 0, "fail": 0}
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(probe_results) + list(pool.map(lambda t: run(t[2], timeout), tasks))
        tasks = probes + tasks
        for (role, rel, cmd), (rc, out, err, secs) in zip(tasks, results):
            verdict, reason = judge(rc, out, err)
            counts[verdict] += 1
            if verdict == "fail":
                failures.append((reason, role, rel))
                print(f"FAIL {reason} rc={rc} {role} {rel} ({secs:.1f} s)")
                print("  command: " + shlex.join(cmd))
                print("  stderr:" + ("" if err.strip() else " (empty)"))
                for line in err.splitlines():
                    print("    " + (line if len(line) <= MAX_LINE
                                    else line[:MAX_LINE] + f"... [{len(line)} characters]"))
                if reason.endswith("stdout") or reason in ("raw-gdal-output", "stack-trace",
                                                           "sanitizer", "terminate"):
                    tail = out.splitlines()[-20:]
                    if tail:
                        print("  stdout (last 20 lines):")
                        for line in tail:
                            print("    " + line[:MAX_LINE])
            else:
                print(f"ok   rc={rc} {role} {rel}")
                if verbose:
                    for line in err.splitlines():
                        if line.strip():
                            print("    " + line[:MAX_LINE])
            sys.stdout.flush()
    took = time.monotonic() - start
    print(f"{len(tasks)} runs: {counts['ok']} exit 0, {counts['error']} one-line errors, "
          f"{counts['fail']} failures ({len(files)} files, {took:.1f} s)")
    if stamp() != built:
        print(f"note: {binary} or its libraries were rebuilt during the check; "
              "the verdicts may mix builds")
    if failures:
        by_reason = {}
        for reason, _, _ in failures:
            by_reason[reason] = by_reason.get(reason, 0) + 1
        print("failures by reason: " + ", ".join(f"{r} {n}" for r, n in sorted(by_reason.items())))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
