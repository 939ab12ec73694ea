#!/usr/bin/python3
r"""Runs `spaceuse occupancy` on pathological inputs and checks a documented outcome per case:

    check_pathological.py SPACEUSE_BINARY WORK_DIR [CASE...]

Every case starts from the hand-computed fixture (tests/fixtures/occupancy: zones Z1 0..100 and
Z2 200..300 x 0..100, eight parcels A..H, five buildings; EPSG:31370) and changes one of its three
files, usually the parcels. It then runs

    spaceuse --quiet occupancy --zones Z --parcels P --buildings B --crs EPSG:31370
             --parcel-id pid -o OUT

with a timeout and looks at the exit code, stderr, wall time and, for a run that succeeded, what
run.json (the parcels' read/kept/rejected counts and issues), parcels.geojson and summary.csv say
about the odd feature.

Whatever the case, a run must never (these are always failures):
- end by a signal, hang past its timeout, print sanitizer output, "terminate called", a stack
  trace or an error of more than one line; an error is "spaceuse: error: ..." on one line;
- write inf or nan (or an infinite/NaN JSON constant) into an output, or a file that is not UTF-8;
- write figures no input justifies: a negative area (but infra_m2, negative where parcels
  overlap), coverage or a share above 1, a kept parcel without an area, WGS84 coordinates off
  the globe;
- print anything on stderr in a run that succeeded (--quiet);
- drop a parcel silently: read == kept + rejected, every kept parcel is in parcels.geojson, and the
  odd feature is either in parcels.geojson or listed as rejected in run.json's issues.
On top of that each case states its own outcome (kept with given figures, rejected and counted, or
a one-line error naming the problem). Cases the current binary gets wrong state the outcome a
careful GIS tool gives; they are marked "(target)" below.

SPACEUSE_TEST_TIMEOUT_SCALE multiplies every timeout (sanitizer builds are about 10x slower). When
it is above 1, the large-ring case uses 200,000 vertices instead of 1,000,000 (the point of the
case, no quadratic step in reading, validation, overlay and writing, still shows at that size,
and a sanitizer build would otherwise take minutes on it alone).

The cases (CASES below has the expected outcome of each):
  baseline                  the fixture unchanged
  big_ring                  a parcel of 1,000,000 vertices (a circle in Z2)
  nan_coordinate, overflow_coordinate, neg_infinity_coordinate
                            a parcel vertex with x = NaN, x = 1e400 (inf), y = -Infinity
  nan_building, overflow_zone   the same in a building and in a zone
  huge_square, huge_offset  a parcel 0..1e300 square; a 50 m square at (1e300, 1e300)
  collinear_sliver          a zero-area parcel (all vertices on one line)
  ring_two_points, ring_one_point, ring_empty   rings of 2, 1 and 0 points
  deep_property_array, deep_property_object, deep_coordinates   nesting 10,000 levels deep
  duplicate_ids             two parcels A and two parcels C
  invalid_utf8_geojson      a pid of raw bytes b"X\xff\xfeY"
  latin1_shapefile          a shapefile whose .dbf holds Latin-1 bytes, no .cpg, code page 0
  empty_collection[_no_id]  "features": [] (with --parcel-id pid, and without)
  outside_every_zone        one parcel only, outside every zone

Prints one line per case ("PASS" or "FAIL" with what happened: exit code, wall time, stderr or the
parcels' counts and the odd parcel's fate), then indented the expected outcome and any problems;
exits 1 if any case failed.
Naming cases runs only those (e.g. `check_pathological.py spaceuse /tmp/w duplicate_ids`).
"""

import csv
import io
import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "occupancy")
SCALE = float(os.environ.get("SPACEUSE_TEST_TIMEOUT_SCALE", "1") or "1")
TIMEOUT = 30.0 * SCALE  # seconds, every case but the large ring
BIG_TIMEOUT = 120.0 * SCALE
BIG_VERTICES = 1_000_000 if SCALE <= 1 else 200_000
ODD = "ODD"  # pid of the added odd parcel
# Anything but a one-line error or a clean run.
CRASH_PATTERNS = re.compile(
    r"terminate called|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
    r"ThreadSanitizer|runtime error:|Segmentation fault|core dumped|Aborted|stack trace|"
    r"Stack trace|^\s*#\d+ 0x|Assertion .* failed",
    re.M,
)
NONFINITE = re.compile(r"(?<![A-Za-z_])[-+]?(nan|inf|infinity)(?![A-Za-z_])", re.I)
# Issue kinds of kept features (model.hpp IssueKind); any other kind rejects the feature.
KEEPING = {"repaired", "curve_linearised", "dimension_dropped"}


# ---------------------------------------------------------------------------------------------
# Inputs


def load_fixture(name):
    with open(os.path.join(FIXTURE, name + ".geojson"), encoding="utf-8") as f:
        return json.load(f)


def dumps(collection):
    """Compact GeoJSON text; string values "@@...@@" are placeholders replaced afterwards."""
    return json.dumps(collection, separators=(",", ":"))


def feature(pid, coordinates, kind="Polygon", st=None):
    return {
        "type": "Feature",
        "properties": {"pid": pid, "st": st},
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def square(x0, y0, size):
    return [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]


def write(path, text):
    with open(path, "wb") as f:
        f.write(text.encode("utf-8") if isinstance(text, str) else text)


class Inputs:
    """The three input files of one case: the fixture's, with one of them changed."""

    def __init__(self, folder):
        self.folder = folder
        self.paths = {n: os.path.join(FIXTURE, n + ".geojson") for n in ("zones", "parcels",
                                                                       "buildings")}
        self.odd_fid = None  # fid of the odd parcel, when there is one
        self.parcel_id = True  # --parcel-id pid

    def replace(self, role, text, ext="geojson"):
        path = os.path.join(self.folder, role + "." + ext)
        write(path, text)
        self.paths[role] = path
        return path

    def parcels_plus(self, odd_feature, placeholders=None):
        """The fixture's eight parcels and one more (fid 8), with placeholders substituted."""
        parcels = load_fixture("parcels")
        parcels["features"].append(odd_feature)
        self.odd_fid = len(parcels["features"]) - 1
        text = dumps(parcels).encode("utf-8")
        for key, value in (placeholders or {}).items():
            token = json.dumps(key).encode("utf-8")
            assert token in text, key
            text = text.replace(token, value if isinstance(value, bytes) else value.encode())
        self.replace("parcels", text)


def ring_circle(cx, cy, r, n):
    """Closed counter-clockwise ring of n distinct vertices, as GeoJSON text."""
    parts = []
    step = 2.0 * math.pi / n
    for i in range(n):
        a = i * step
        parts.append("[%.6f,%.6f]" % (cx + r * math.cos(a), cy + r * math.sin(a)))
    parts.append(parts[0])
    return "[" + ",".join(parts) + "]"


def make_big_ring(inp):
    # Inside Z2, clear of the parcels E (x <= 250) and F (y <= 20) and of every building.
    inp.parcels_plus(feature(ODD, ["@@RING@@"]),
                     {"@@RING@@": ring_circle(275.0, 55.0, 20.0, BIG_VERTICES)})


def nested(depth, inner="1"):
    return "[" * depth + inner + "]" * depth


# Shapefile written byte by byte (no GDAL needed to make it): polygons, a .dbf without a code
# page (language driver id 0) and no .cpg, holding Latin-1 bytes.
PRJ_31370 = (
    'PROJCS["Belge_Lambert_1972",GEOGCS["GCS_Belge_1972",DATUM["D_Belge_1972",SPHEROID['
    '"International_1924",6378388.0,297.0]],PRIMEM["Greenwich",0.0],UNIT["Degree",'
    '0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",'
    '150000.013],PARAMETER["False_Northing",5400088.438],PARAMETER["Central_Meridian",'
    '4.36748666666667],PARAMETER["Standard_Parallel_1",51.1666672333333],PARAMETER['
    '"Standard_Parallel_2",49.8333339],PARAMETER["Latitude_Of_Origin",90.0],UNIT["Meter",1.0]]'
)


def write_shapefile(base, records):
    """records: [(ring [(x, y)...] closed and clockwise, {field: bytes})]; fields are C(20)."""
    fields = list(records[0][1])
    shp_body, shx_body = b"", b""
    boxes = []
    offset = 50  # in 16-bit words, after the 100-byte header
    for i, (ring, _) in enumerate(records):
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        box = (min(xs), min(ys), max(xs), max(ys))
        boxes.append(box)
        content = struct.pack("<i4d2i", 5, *box, 1, len(ring)) + struct.pack("<i", 0)
        content += b"".join(struct.pack("<2d", x, y) for x, y in ring)
        shp_body += struct.pack(">2i", i + 1, len(content) // 2) + content
        shx_body += struct.pack(">2i", offset, len(content) // 2)
        offset += 4 + len(content) // 2
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
           max(b[3] for b in boxes))

    def header(length_bytes):
        return (struct.pack(">7i", 9994, 0, 0, 0, 0, 0, length_bytes // 2) +
                struct.pack("<2i", 1000, 5) + struct.pack("<8d", *box, 0, 0, 0, 0))

    write(base + ".shp", header(100 + len(shp_body)) + shp_body)
    write(base + ".shx", header(100 + len(shx_body)) + shx_body)
    width = 20
    dbf = struct.pack("<B3BIHH20x", 3, 124, 1, 1, len(records), 32 + 32 * len(fields) + 1,
                      1 + width * len(fields))
    for name in fields:
        dbf += name.encode().ljust(11, b"\0") + b"C" + b"\0" * 4 + bytes([width, 0]) + b"\0" * 14
    dbf += b"\r"
    for _, values in records:
        dbf += b" " + b"".join(values[n][:width].ljust(width, b" ") for n in fields)
    dbf += b"\x1a"
    write(base + ".dbf", dbf)
    write(base + ".prj", PRJ_31370)


def make_latin1_shapefile(inp):
    def cw_square(x0, y0, s):
        return [(x0, y0), (x0, y0 + s), (x0 + s, y0 + s), (x0 + s, y0), (x0, y0)]

    records = [
        (cw_square(0, 0, 50), {"pid": b"A", "st": b""}),
        (cw_square(50, 0, 50), {"pid": b"B", "st": b""}),
        (cw_square(50, 50, 50), {"pid": b"Caf\xe9", "st": b"d\xe9j\xe0"}),  # "Café", "déjà"
    ]
    base = os.path.join(inp.folder, "parcels")
    write_shapefile(base, records)
    inp.paths["parcels"] = base + ".shp"
    inp.odd_fid = 2


# ---------------------------------------------------------------------------------------------
# Running and looking at the outputs


class Result:
    pass


def run_case(binary, inp, out, timeout):
    args = [binary, "--quiet", "occupancy", "--zones", inp.paths["zones"], "--parcels",
            inp.paths["parcels"], "--buildings", inp.paths["buildings"], "--crs", "EPSG:31370",
            "-o", out] + (["--parcel-id", "pid"] if inp.parcel_id else [])
    r = Result()
    r.timeout = timeout
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        r.timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the process group this run started, nothing else
        stdout, stderr = proc.communicate()
        r.timed_out = True
    r.seconds = time.monotonic() - start
    r.rc = proc.returncode
    r.stdout_bytes, r.stderr_bytes = stdout, stderr
    r.stdout = stdout.decode("utf-8", "backslashreplace")
    r.stderr = stderr.decode("utf-8", "backslashreplace")
    r.err_lines = [line for line in r.stderr.strip().splitlines()]
    r.files = sorted(os.listdir(out)) if os.path.isdir(out) else []
    r.out = out
    r.problems = []  # always-failures found in the outputs
    r.texts = {}
    for name in r.files:
        if name.endswith((".geojson", ".csv", ".json")):
            with open(os.path.join(out, name), "rb") as f:
                data = f.read()
            try:
                r.texts[name] = data.decode("utf-8")
            except UnicodeDecodeError as e:
                r.problems.append("%s is not UTF-8 (%s)" % (name, e.reason))
                r.texts[name] = data.decode("utf-8", "replace")
    r.manifest = parse_json(r, "run.json")
    r.parcels = parse_json(r, "parcels.geojson")
    r.summary = None
    if "summary.csv" in r.texts:
        r.summary = list(csv.DictReader(io.StringIO(r.texts["summary.csv"])))
    return r


def parse_json(r, name):
    if name not in r.texts:
        return None

    def constant(c):
        r.problems.append("%s holds the JSON constant %s" % (name, c))
        return float(c.replace("Infinity", "inf"))

    try:
        return json.loads(r.texts[name], parse_constant=constant)
    except ValueError as e:
        r.problems.append("%s does not parse: %s" % (name, e))
        return None


def parcel_report(r):
    if not r.manifest:
        return None
    for layer in r.manifest.get("inputs", []):
        if layer.get("role") == "parcels":
            return layer
    return None


def odd_outcome(r, inp):
    """("kept", properties) / ("rejected", issue) / ("missing", None) / (None, None)."""
    if r.parcels is None or inp.odd_fid is None:
        return None, None
    for f in r.parcels.get("features", []):
        if f["properties"].get("source_fid") == inp.odd_fid:
            return "kept", f["properties"]
    rep = parcel_report(r) or {}
    for issue in rep.get("issues", []):
        if issue.get("fid") == inp.odd_fid and issue.get("kind") not in KEEPING:
            return "rejected", issue
    return "missing", None


def general_problems(r, inp):
    """What is wrong whatever the case expects."""
    p = list(r.problems)
    if r.timed_out:
        p.append("no answer within %.0f s (killed)" % r.timeout)
    elif r.rc < 0:
        p.append("killed by signal %s" % signal.Signals(-r.rc).name)
    if CRASH_PATTERNS.search(r.stderr) or CRASH_PATTERNS.search(r.stdout):
        p.append("crash or sanitizer output")
    if r.rc not in (0, None) and not r.timed_out and r.rc > 0:
        if len(r.err_lines) != 1:
            p.append("error of %d lines, not one" % len(r.err_lines))
        elif not r.err_lines[0].startswith("spaceuse: error: "):
            p.append("error line does not start with 'spaceuse: error: '")
    if r.rc == 0:
        if r.err_lines:
            p.append("stderr not empty under --quiet")
        for name, text in r.texts.items():
            m = NONFINITE.search(text)
            if m:
                p.append("%s holds %r" % (name, m.group(0)))
        m = NONFINITE.search(r.stdout)
        if m:
            p.append("the zone table holds %r" % m.group(0))
        rep = parcel_report(r)
        if rep is None or r.parcels is None or r.summary is None:
            p.append("run.json, parcels.geojson or summary.csv missing after exit 0")
        else:
            if rep["read"] != rep["kept"] + rep["rejected"]:
                p.append("parcels: read %d != kept %d + rejected %d" %
                         (rep["read"], rep["kept"], rep["rejected"]))
            n_out = len(r.parcels.get("features", []))
            if n_out != rep["kept"]:
                p.append("parcels.geojson has %d parcels, run.json kept %d" % (n_out, rep["kept"]))
            if odd_outcome(r, inp)[0] == "missing":
                p.append("odd parcel (fid %d) neither written nor listed as rejected"
                         % inp.odd_fid)
            p += figure_problems(r)
    return p


def number(v):
    return None if v in ("", None) else float(v)


def figure_problems(r):
    """Figures no input can justify: negative areas, shares above 1, a kept parcel without an
    area, WGS84 coordinates off the globe."""
    p = []
    for row in r.summary:
        v = {k: number(x) for k, x in row.items() if k not in ("zone_id", "name")}
        # infra_m2 = gross - net is negative, and net above gross, where parcels overlap each
        # other (README, zone table): not checked.
        bad = [k for k, x in v.items() if x is not None and x < 0 and k != "infra_m2"]
        if bad:
            p.append("summary.csv zone %s: negative %s" % (row["zone_id"], ", ".join(bad)))
        if (v["coverage"] or 0) > 1.0001 or (v["free_m2"] or 0) > (v["net_m2"] or 0) + 0.01:
            p.append("summary.csv zone %s: coverage above 1 or free above net" % row["zone_id"])
    for f in r.parcels.get("features", []):
        q = f["properties"]
        area = q.get("area_m2")
        name = "parcels.geojson %r" % q.get("parcel_id")
        if not isinstance(area, (int, float)) or not area > 0:
            p.append("%s: area_m2 %r" % (name, area))
            continue
        if not 0 <= (q.get("zone_share") or 0) <= 1 or not 0 <= (q.get("coverage") or 0) <= 1.0001:
            p.append("%s: zone_share or coverage outside 0..1" % name)
        for k in ("built_m2", "free_m2", "largest_free_m2"):
            if q.get(k) is not None and not 0 <= q[k] <= area + 0.01:
                p.append("%s: %s %s outside 0..area %s" % (name, k, q[k], area))
        stack = [f["geometry"]["coordinates"]] if f.get("geometry") else []
        while stack:
            c = stack.pop()
            if c and isinstance(c[0], (int, float)):
                if not (-180 <= c[0] <= 180 and -90 <= c[1] <= 90):
                    p.append("%s: coordinate %r off the globe" % (name, c))
                    break
            else:
                stack.extend(c)
    return p


def describe(r, inp):
    """One-line account of what the run did."""
    s = "rc=%s %.1fs" % ("timeout" if r.timed_out else r.rc, r.seconds)
    if r.rc != 0 or r.timed_out:
        s += " stderr=%r" % r.err_lines[:3]
        if r.files:
            s += " (output files: %s)" % ", ".join(r.files)
        return s
    rep = parcel_report(r) or {}
    s += " parcels read %s kept %s rejected %s repaired %s" % (
        rep.get("read"), rep.get("kept"), rep.get("rejected"), rep.get("repaired"))
    kind, what = odd_outcome(r, inp)
    if kind == "kept":
        s += "; odd kept: zone %s area %s built %s status %s free %s id %r" % (
            what.get("zone_id"), what.get("area_m2"), what.get("built_m2"), what.get("status"),
            what.get("free_m2"), what.get("parcel_id"))
    elif kind == "rejected":
        s += "; odd rejected: %s: %s" % (what.get("kind"), what.get("detail"))
    elif kind == "missing":
        s += "; odd parcel MISSING"
    if r.summary:
        total = r.summary[-1]
        s += "; TOTAL net %s built %s coverage %s parcels %s" % (
            total.get("net_m2"), total.get("built_m2"), total.get("coverage"),
            total.get("n_parcels"))
    if r.err_lines:
        s += " stderr=%r" % r.err_lines[:3]
    return s


# ---------------------------------------------------------------------------------------------
# Expected outcomes (each returns a list of what differs)


def expect_kept(check=None):
    def f(r, inp):
        if r.rc != 0:
            return ["expected exit 0 with the parcel kept"]
        kind, props = odd_outcome(r, inp)
        if kind != "kept":
            return ["expected the odd parcel kept, it is %s" % kind]
        return check(props, r) if check else []
    return f


def expect_rejected(detail=None, kinds=None):
    """Exit 0, the odd parcel rejected with an issue in run.json (and so counted)."""
    def f(r, inp):
        if r.rc != 0:
            return ["expected exit 0 with the parcel rejected and counted"]
        kind, issue = odd_outcome(r, inp)
        if kind != "rejected":
            return ["expected the odd parcel rejected, it is %s" % kind]
        p = []
        if kinds and issue["kind"] not in kinds:
            p.append("rejected as %s, expected %s" % (issue["kind"], "/".join(sorted(kinds))))
        if detail and not re.search(detail, issue.get("detail", ""), re.I):
            p.append("rejection detail %r lacks /%s/" % (issue.get("detail"), detail))
        return p
    return f


def expect_error(pattern, rc=None):
    def f(r, inp):
        if r.rc == 0 or r.timed_out:
            return ["expected a one-line error matching /%s/" % pattern]
        p = []
        if rc is not None and r.rc != rc:
            p.append("exit code %d, expected %d" % (r.rc, rc))
        if not re.search(pattern, r.stderr):
            p.append("error lacks /%s/" % pattern)
        if r.files:
            p.append("output written despite the error: %s" % ", ".join(r.files))
        return p
    return f


def either(*expectations):
    def f(r, inp):
        results = [e(r, inp) for e in expectations]
        if any(not x for x in results):
            return []
        return [" or ".join("; ".join(x) for x in results)]
    return f


def close(a, b, tol):
    return a is not None and abs(a - b) <= tol


def check_big_ring(props, r):
    n = BIG_VERTICES
    area = 0.5 * n * 20.0 ** 2 * math.sin(2 * math.pi / n)
    p = []
    if not close(props.get("area_m2"), area, 0.01):
        p.append("area %s, expected %.3f" % (props.get("area_m2"), area))
    if props.get("zone_id") != "1" or props.get("built_m2") != 0.0:
        p.append("expected zone 1 (Z2), built 0")
    # free space is the parcel opened by the minimum free width: the circle within 0.5 m2
    if props.get("status") != "vacant" or not close(props.get("free_m2"), area, 0.5):
        p.append("expected vacant, free = area")
    return p


def check_utf8_id(expected_ids):
    def f(props, r):
        if props.get("parcel_id") not in expected_ids:
            return ["parcel_id %r, expected one of %r" % (props.get("parcel_id"), expected_ids)]
        return []
    return f


# ---------------------------------------------------------------------------------------------
# The cases


def case_big_ring(inp):
    make_big_ring(inp)


def case_nan(inp):
    inp.parcels_plus(feature(ODD, [[[10, 110], [20, 110], ["@@X@@", 120], [10, 120], [10, 110]]]),
                     {"@@X@@": "NaN"})


def case_overflow(inp):
    inp.parcels_plus(feature(ODD, [[[10, 110], [20, 110], ["@@X@@", 120], [10, 120], [10, 110]]]),
                     {"@@X@@": "1e400"})


def case_neg_infinity(inp):
    inp.parcels_plus(feature(ODD, [[[10, 110], [20, 110], [20, "@@Y@@"], [10, 120], [10, 110]]]),
                     {"@@Y@@": "-Infinity"})


def case_nan_building(inp):
    b = load_fixture("buildings")
    b["features"].append({"type": "Feature", "properties": {"floors": 1}, "geometry": {
        "type": "Polygon", "coordinates": [[[60, 60], [70, 60], ["@@X@@", 70], [60, 70], [60, 60]]]}})
    inp.replace("buildings", dumps(b).replace('"@@X@@"', "NaN"))


def case_nan_zone(inp):
    z = load_fixture("zones")
    z["features"].append({"type": "Feature", "properties": {"zid": "Z3", "name": "Bad zone"},
                          "geometry": {"type": "Polygon", "coordinates": [
                              [[400, 0], [500, 0], ["@@X@@", 100], [400, 100], [400, 0]]]}})
    inp.replace("zones", dumps(z).replace('"@@X@@"', "1e400"))


def case_huge_square(inp):
    inp.parcels_plus(feature(ODD, square(0, 0, 1e300)))


def case_huge_offset(inp):
    inp.parcels_plus(feature(ODD, square(1e300, 1e300, 50)))


def case_sliver(inp):
    # collinear, inside Z1
    inp.parcels_plus(feature(ODD, [[[10, 10], [20, 20], [30, 30], [40, 40], [10, 10]]]))


def case_ring_two(inp):
    inp.parcels_plus(feature(ODD, [[[10, 10], [20, 20]]]))


def case_ring_one(inp):
    inp.parcels_plus(feature(ODD, [[[10, 10]]]))


def case_ring_empty(inp):
    inp.parcels_plus(feature(ODD, [[]]))


def case_deep_property(inp):
    parcels = load_fixture("parcels")
    parcels["features"][0]["properties"]["deep"] = "@@DEEP@@"
    inp.odd_fid = 0
    inp.replace("parcels", dumps(parcels).replace('"@@DEEP@@"', nested(10000)))


def case_deep_object(inp):
    parcels = load_fixture("parcels")
    parcels["features"][0]["properties"]["deep"] = "@@DEEP@@"
    inp.odd_fid = 0
    inp.replace("parcels", dumps(parcels).replace(
        '"@@DEEP@@"', '{"a":' * 10000 + "1" + "}" * 10000))


def case_deep_coordinates(inp):
    inp.parcels_plus(feature(ODD, "@@DEEP@@"), {"@@DEEP@@": nested(10000, "10,10")})


def case_duplicate_ids(inp):
    parcels = load_fixture("parcels")
    parcels["features"][1]["properties"]["pid"] = "A"  # B becomes a second A
    parcels["features"][6]["properties"]["pid"] = "C"  # G becomes a second C
    inp.replace("parcels", dumps(parcels))


def case_bad_utf8(inp):
    inp.parcels_plus(feature("@@PID@@", square(60, 110, 10), st="@@ST@@"),
                     {"@@PID@@": b'"X\xff\xfeY"', "@@ST@@": b'"d\xe9j\xe0"'})


def case_empty_collection(inp):
    parcels = load_fixture("parcels")
    parcels["features"] = []
    inp.replace("parcels", dumps(parcels))


def case_empty_collection_no_id(inp):
    case_empty_collection(inp)
    inp.parcel_id = False  # an empty GeoJSON layer has no fields, so no 'pid' either


def case_outside_only(inp):
    parcels = load_fixture("parcels")
    parcels["features"] = [feature(ODD, square(1000, 1000, 50))]
    inp.odd_fid = 0
    inp.replace("parcels", dumps(parcels))


def case_baseline(inp):
    pass


def layer_report(r, role):
    for layer in (r.manifest or {}).get("inputs", []):
        if layer.get("role") == role:
            return layer
    return None


def building_rejected(r):
    if r.rc != 0:
        return ["expected exit 0 with the building rejected"]
    rep = layer_report(r, "buildings") or {}
    issues = [i for i in rep.get("issues", []) if i.get("fid") == 5]
    p = []
    if rep.get("rejected") != 1 or not issues or issues[0].get("kind") in KEEPING:
        p.append("building fid 5 not rejected (buildings read %s kept %s rejected %s)" %
                 (rep.get("read"), rep.get("kept"), rep.get("rejected")))
    elif not re.search(NONFINITE_DETAIL, issues[0].get("detail", ""), re.I):
        p.append("rejection detail %r does not say not finite" % issues[0].get("detail"))
    if "TOTAL,All zones,20000.00,11700.00,8300.00,1300.00" not in r.texts.get("summary.csv", ""):
        p.append("the zone totals changed")
    return p


def zone_rejected(r):
    if r.rc != 0:
        return ["expected exit 0 with the zone rejected"]
    rep = layer_report(r, "zones") or {}
    issues = [i for i in rep.get("issues", []) if i.get("fid") == 2]
    if rep.get("rejected") != 1 or not issues:
        return ["zone fid 2 not rejected (zones read %s kept %s rejected %s)" %
                (rep.get("read"), rep.get("kept"), rep.get("rejected"))]
    if not re.search(NONFINITE_DETAIL, issues[0].get("detail", ""), re.I):
        return ["rejection detail %r does not say not finite" % issues[0].get("detail")]
    return []


def empty_run(r):
    if r.rc != 0:
        return ["expected exit 0"]
    rep = parcel_report(r) or {}
    if rep.get("read") != 0 or r.parcels is None or r.parcels.get("features"):
        return ["expected 0 parcels read and written"]
    return []


def outside_only(r, inp):
    if r.rc != 0:
        return ["expected exit 0"]
    kind, props = odd_outcome(r, inp)
    if kind != "kept" or props.get("zone_id") is not None or props.get("area_m2") != 2500.0:
        return ["expected the parcel kept without a zone, area 2500"]
    total = r.summary[-1] if r.summary else {}
    if total.get("n_parcels") != "0" or total.get("net_m2") != "0.00":
        return ["expected TOTAL with 0 parcels and net 0.00"]
    return []


NONFINITE_DETAIL = r"finite|NaN|infinit"
# name, maker, timeout, expected outcome, note. "(target)" marks outcomes the binary did not
# give when this script was written.
CASES = [
    ("baseline", case_baseline, TIMEOUT,
     lambda r, inp: [] if r.rc == 0 and "TOTAL,All zones,20000.00,11700.00" in
     r.texts.get("summary.csv", "") else ["the fixture's totals differ"],
     "the unchanged fixture"),
    ("big_ring", case_big_ring, BIG_TIMEOUT, expect_kept(check_big_ring),
     "a %d-vertex circle r=20 in Z2: kept, area of the polygon, vacant" % BIG_VERTICES),
    ("nan_coordinate", case_nan, TIMEOUT, expect_rejected(NONFINITE_DETAIL),
     "parcel with a NaN x: rejected as not finite and counted (target)"),
    ("overflow_coordinate", case_overflow, TIMEOUT, expect_rejected(NONFINITE_DETAIL),
     "parcel with x = 1e400 (inf): rejected as not finite and counted (target)"),
    ("neg_infinity_coordinate", case_neg_infinity, TIMEOUT, expect_rejected(NONFINITE_DETAIL),
     "parcel with y = -Infinity: rejected as not finite and counted (target)"),
    ("nan_building", case_nan_building, TIMEOUT,
     lambda r, inp: building_rejected(r),
     "building with a NaN x: rejected and counted, figures unchanged (target)"),
    ("overflow_zone", case_nan_zone, TIMEOUT,
     either(lambda r, inp: zone_rejected(r), expect_error(r"zones.*(finite|NaN|inf)")),
     "zone with x = 1e400: rejected and counted, or a one-line error (target)"),
    ("huge_square", case_huge_square, TIMEOUT,
     expect_rejected(r"transform|finite|range|large"),
     "parcel 0..1e300 square: rejected (cannot be transformed / out of range), counted"),
    ("huge_offset", case_huge_offset, TIMEOUT,
     expect_rejected(r"polygonal|transform|finite|range|large"),
     "50 m square at 1e300: rejected (cannot be transformed / out of range), counted"),
    ("collinear_sliver", case_sliver, TIMEOUT, expect_rejected(r"polygonal|area"),
     "zero-area ring (collinear): rejected as unrepairable, counted"),
    ("ring_two_points", case_ring_two, TIMEOUT, expect_rejected(r"fewer than 4|points"),
     "ring of two points: rejected, counted"),
    ("ring_one_point", case_ring_one, TIMEOUT, expect_rejected(r"fewer than 4|points"),
     "ring of one point: rejected, counted"),
    ("ring_empty", case_ring_empty, TIMEOUT,
     expect_rejected(r"empty|fewer than 4|points"),
     "polygon with an empty ring: rejected, counted"),
    ("deep_property_array", case_deep_property, TIMEOUT,
     either(expect_kept(), expect_error(r"parcels.*(deep|nest|pars|read)")),
     "parcel A with a property array nested 10,000 deep: read, or a one-line error"),
    ("deep_property_object", case_deep_object, TIMEOUT,
     either(expect_kept(), expect_error(r"parcels.*(deep|nest|pars|read)")),
     "parcel A with a property object nested 10,000 deep: read, or a one-line error"),
    ("deep_coordinates", case_deep_coordinates, TIMEOUT,
     either(expect_rejected(), expect_error(r"parcels.*(deep|nest|pars|read|geometry)")),
     "coordinates nested 10,000 deep: rejected and counted, or a one-line error"),
    ("duplicate_ids", case_duplicate_ids, TIMEOUT,
     expect_error(r"parcels.*duplicate.*\bA\b.*\bC\b|parcels.*\bA\b.*\bC\b.*duplicate"),
     "pid A and C twice: one-line error naming the duplicate ids A and C (target)"),
    ("invalid_utf8_geojson", case_bad_utf8, TIMEOUT,
     either(expect_kept(check_utf8_id({"X\ufffd\ufffdY", "X\u00ff\u00feY", "X??Y"})),
            expect_error(r"parcels.*UTF-8")),
     "pid b'X\\xff\\xfeY': kept with the bytes replaced in UTF-8 outputs, or a one-line error"),
    ("latin1_shapefile", make_latin1_shapefile, TIMEOUT,
     either(expect_kept(check_utf8_id({"Caf\u00e9", "Caf\ufffd", "Caf?"})),
            expect_error(r"parcels.*(UTF-8|encoding|code page)")),
     "shapefile, .dbf in Latin-1 without .cpg: id 'Café' (or replaced) in UTF-8 outputs"),
    ("empty_collection", case_empty_collection, TIMEOUT,
     expect_error(r"parcels.*no id field 'pid': the layer is empty \(no features, no fields\)"),
     "no parcels, with --parcel-id: a one-line error saying the layer is empty"),
    ("empty_collection_no_id", case_empty_collection_no_id, TIMEOUT,
     lambda r, inp: empty_run(r),
     "no parcels, without --parcel-id: exit 0, 0 parcels, zero figures (no nan)"),
    ("outside_every_zone", case_outside_only, TIMEOUT,
     either(outside_only, expect_error(r"parcels.*outside every zone")),
     "one parcel, outside every zone: a one-line error (wrong layer or CRS?), or kept without "
     "a zone with zero zone figures (no nan)"),
]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    only = set(sys.argv[3:])
    unknown = only - {c[0] for c in CASES}
    if unknown:
        sys.exit("unknown case(s): %s" % ", ".join(sorted(unknown)))
    os.makedirs(work, exist_ok=True)
    failed = 0
    start = time.monotonic()
    for name, make, timeout, expect, note in CASES:
        if only and name not in only:
            continue
        folder = os.path.join(work, name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        inp = Inputs(folder)
        make(inp)
        r = run_case(binary, inp, os.path.join(folder, "out"), timeout)
        problems = general_problems(r, inp) + expect(r, inp)
        failed += bool(problems)
        print("%s %-24s %s" % ("FAIL" if problems else "PASS", name, describe(r, inp)))
        print("     %-24s expected: %s" % ("", note))
        for p in problems:
            print("     %-24s problem: %s" % ("", p))
        sys.stdout.flush()
    print("%d case(s) failed, %.1f s" % (failed, time.monotonic() - start) if failed else
          "all cases passed, %.1f s" % (time.monotonic() - start))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
