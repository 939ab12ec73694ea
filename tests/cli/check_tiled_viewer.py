#!/usr/bin/env python3
"""The tiled viewer in a real browser: spaceuse view --tiles, spaceuse serve, headless Chromium.

    check_tiled_viewer.py SPACEUSE WORK (--results DIR | --region N --generator gen_region.py)
                          [--probe PARCEL_ID] [--screenshots DIR]

Writes the tiled viewer of a results folder (with --region, of a benchmark region of N
parcels generated and run first), then checks:
- the tile check spaceuse reports equals the results' feature counts, and an independent
  reading of every tile of zoom 16 with GDAL finds each parcel, zone and free piece;
- spaceuse serve answers traversal attempts with 404 and 200 concurrent tile requests with 200;
- in Chromium: the page loads with no request leaving 127.0.0.1, the map is not blank (features
  drawn, the screenshot not one colour), a click on a parcel opens a popup whose figures are the
  parcel's row in parcels.geojson, the search box finds a parcel and a zone.
Prints the time to write the viewer and to the first render. Chromium and the server are
stopped at the end, also on failure.
"""

import argparse
import concurrent.futures
import decimal
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def js_round(v, digits):
    """Number.toLocaleString('en-GB', {maximumFractionDigits: digits}) for the popup checks."""
    q = decimal.Decimal(repr(v)).quantize(decimal.Decimal(1).scaleb(-digits),
                                          rounding=decimal.ROUND_HALF_UP)
    text = "{:,}".format(q)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def expected_popup(p):
    """The rows of a parcel's popup, as viewer.js formats them, from its GeoJSON properties."""
    def num(v, d):
        return "–" if v is None else js_round(v, d)
    pct = "–" if p["coverage"] is None else "%s %%" % decimal.Decimal(
        repr(100 * p["coverage"])).quantize(decimal.Decimal("0.1"), rounding=decimal.ROUND_HALF_UP)
    return {
        "Parcel": p["parcel_id"],
        "Zone": p["zone_id"] if p["zone_id"] is not None else "–",
        "Status": "%s (%s)" % (p["status"], p["status_source"]),
        "Area": num(p["area_m2"], 0) + " m²",
        "Built": num(p["built_m2"], 0) + " m²",
        "Coverage": pct,
        "Floor area ratio": num(p["far"], 2),
        "Usable free area": num(p["free_m2"], 0) + " m²",
        "Largest free piece": num(p["largest_free_m2"], 0) + " m²",
        "Buildings": num(p["n_buildings"], 1),
    }


def run(cmd, **kw):
    t = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        fail("%s: exit %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r, time.monotonic() - t


def make_region(args):
    """A benchmark region of N parcels and its default run (occupancy and free space)."""
    region = os.path.join(args.work, "region-%d" % args.region)
    results = os.path.join(args.work, "results-%d" % args.region)
    if not os.path.exists(os.path.join(region, "region.done")):
        r, t = run([sys.executable, args.generator, str(args.region), region, "--formats", "gpkg"])
        print("region of %d parcels generated in %.1f s" % (args.region, t))
    gpkg = os.path.join(region, "region.gpkg")
    project = os.path.join(args.work, "region-%d.toml" % args.region)
    with open(project, "w") as f:
        f.write('[project]\nname = "Benchmark region"\noutput = %s\ncrs = "EPSG:31370"\n'
                'overwrite = true\nsurvey_date = "2024-01-01"\n' % json.dumps(results))
        for layer, extra in (("zones", 'id_field = "zone_id"\n'),
                             ("parcels", 'id_field = "parcel_id"\n'), ("buildings", "")):
            f.write("[layers.%s]\nsource = %s\n%s" % (layer, json.dumps(gpkg + ":" + layer), extra))
        f.write('[occupancy]\nzone_name_field = "name"\nfloors_field = "floors"\n'
                'status_field = "status"\n[export]\nformats = ["geojson"]\n')
    r, t = run([args.spaceuse, "--quiet", "run", project])
    print("region run in %.1f s" % t)
    return results


def tile_ids(tiles, zoom, layers):
    """Feature ids per layer in every tile of `zoom`, read with GDAL (independent of spaceuse)."""
    from osgeo import gdal, ogr
    gdal.UseExceptions()
    ids = {name: set() for name in layers}
    root = os.path.join(tiles, str(zoom))
    meta = "METADATA_FILE=" + os.path.join(tiles, "metadata.json")
    for x in os.listdir(root):
        for y in os.listdir(os.path.join(root, x)):
            ds = gdal.OpenEx(os.path.join(root, x, y), gdal.OF_VECTOR, open_options=[meta])
            for i in range(ds.GetLayerCount()):
                lyr = ds.GetLayer(i)
                if lyr.GetName() in ids:
                    for f in lyr:
                        ids[lyr.GetName()].add(f.GetField("mvt_id"))
    return ids


def distinct_colours(browser, png):
    """Colours in a PNG between the page's panels (toggles on the left, legend on the right,
    title above), decoded by the browser itself (a 2D canvas)."""
    import base64
    data = base64.b64encode(open(png, "rb").read()).decode()
    return browser.evaluate(
        "new Promise(done => { const img = new Image(); img.onload = () => {"
        " const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;"
        " const g = c.getContext('2d'); g.drawImage(img, 0, 0);"
        " const d = g.getImageData(320, 120, c.width - 640, c.height - 320).data;"
        " const s = new Set();"
        " for (let i = 0; i < d.length; i += 4) s.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);"
        " done(s.size); }; img.src = 'data:image/png;base64,%s'; })" % data)


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spaceuse")
    ap.add_argument("work")
    ap.add_argument("--results")
    ap.add_argument("--region", type=int)
    ap.add_argument("--generator")
    ap.add_argument("--probe")
    ap.add_argument("--screenshots")
    ap.add_argument("--since", help="earlier survey: the viewer's changes layer")
    ap.add_argument("--colour", help="a definition: the page coloured by it (#colour=) must "
                    "count the parcels per level as parcel_definitions.csv has them")
    ap.add_argument("--viewer", help="check this viewer folder, written before from --results "
                    "(by the benchmark), instead of writing one")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    results = args.results or make_region(args)

    viewer = args.viewer or os.path.join(args.work, "viewer")
    if not args.viewer:
        r, t = run([args.spaceuse, "view", "--tiles", "--overwrite", "--results", results, "-o",
                    viewer + ".html"] + (["--since", args.since] if args.since else []))
        print("viewer written in %.1f s: %s" % (t, (r.stdout + r.stderr).strip()))
    manifest = json.load(open(os.path.join(viewer, "viewer.json")))
    checks = {c["layer"]: c for c in manifest["tiles"]["layers"]}
    parcels = json.load(open(os.path.join(results, "parcels.geojson")))["features"]
    zones = json.load(open(os.path.join(results, "zones.geojson")))["features"]
    free = json.load(open(os.path.join(results, "free_space.geojson")))["features"]
    for name, features in (("parcels", parcels), ("zones", zones), ("free_space", free)):
        if checks[name]["features"] != len(features):
            fail("tile check of %s: %d features, the results %d" % (
                name, checks[name]["features"], len(features)))
    ids = tile_ids(os.path.join(viewer, "tiles"), 16, ("parcels", "zones", "free_space"))
    for name, features in (("parcels", parcels), ("zones", zones), ("free_space", free)):
        if ids[name] != set(range(1, len(features) + 1)):
            fail("zoom 16 tiles hold %d distinct %s of %d" % (len(ids[name]), name, len(features)))
    if args.since and checks.get("changes", {}).get("features", 0) < 1:
        fail("no changes layer in the tiles: %s" % sorted(checks))
    print("tiles: %d files, %.1f MB; zoom 16 holds all %d parcels, %d zones, %d free pieces" % (
        manifest["tiles"]["count"], manifest["tiles"]["bytes"] / 1e6, len(parcels), len(zones),
        len(free)))

    probe = args.probe or parcels[len(parcels) // 2]["properties"]["parcel_id"]
    row = next(f["properties"] for f in parcels if f["properties"]["parcel_id"] == probe)
    zone = zones[0]["properties"]
    server = subprocess.Popen([args.spaceuse, "serve", viewer, "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if not m:
            fail("spaceuse serve said: %r %s" % (line, server.stderr.read()))
        origin = m.group(1)
        for bad in ("../viewer.json", "%2e%2e/%2e%2e/etc/passwd", "tiles/../../x",
                    "..%2fviewer.json", "/etc/passwd", "tiles/", ".hidden"):
            status, _ = fetch(origin + bad)
            if status not in (403, 404):
                fail("GET %s gave %d" % (bad, status))
        tiles = []
        for dirpath, _, files in os.walk(os.path.join(viewer, "tiles")):
            tiles += [os.path.relpath(os.path.join(dirpath, f), viewer) for f in files
                      if f.endswith(".pbf")]
        tiles = (sorted(tiles) * (1 + 200 // max(1, len(tiles))))[:200]
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(200) as pool:
            codes = list(pool.map(lambda p: fetch(origin + p)[0], tiles))
        if codes.count(200) != 200:
            fail("200 concurrent tile requests: %d answered 200" % codes.count(200))
        print("200 concurrent tile requests: all 200 (%.2f s)" % (time.monotonic() - t0))

        with cdp.Browser(args.chromium, 1280, 800, log=lambda *a: None) as b:
            t0 = time.monotonic()
            b.navigate(origin + "index.html")
            shown = json.loads(b.wait_for(
                "document.getElementById('spaceuse-status').dataset.loaded === 'yes' && "
                "document.getElementById('spaceuse-status').textContent", timeout=180))
            print("first render after %.1f s (page: %d ms), zoom %.2f" % (
                time.monotonic() - t0, shown["first_render_ms"], shown["zoom"]))
            if shown["errors"]:
                fail("page errors: %s" % shown["errors"])
            if shown["rendered"].get("zones-fill", 0) < 1:
                fail("the map shows no zone: %s" % shown["rendered"])
            if args.screenshots:
                os.makedirs(args.screenshots, exist_ok=True)
                shot = os.path.join(args.screenshots, "overview.png")
                b.screenshot(shot)
                colours = distinct_colours(b, shot)
                if colours < 8:
                    fail("the map is blank in the overview screenshot (%d colours between "
                         "the panels)" % colours)
                print("overview screenshot: %d colours between the panels" % colours)
                b.evaluate("spaceuseMap.jumpTo({zoom: 11, center: spaceuseMap.getCenter()}); true")
                b.wait_for("spaceuseMap.loaded() && !spaceuseMap.isMoving()", timeout=120)
                b.pump(2)
                b.screenshot(os.path.join(args.screenshots, "zoom11.png"))

            # Panning there and back: the map moves and draws the tiles it needs.
            for dx, dy in ((300, 150), (-300, -150)):
                t1 = time.monotonic()
                b.evaluate("window.suPanned = false; spaceuseMap.once('idle', () => "
                           "{ window.suPanned = true; }); spaceuseMap.panBy([%d, %d], "
                           "{ duration: 0 }); true" % (dx, dy))
                b.wait_for("window.suPanned", timeout=120)
                print("panned %d x %d px: drawn again after %.1f s" % (
                    dx, dy, time.monotonic() - t1))

            # A click on the parcel opens its popup with the figures of its GeoJSON row.
            b.navigate(origin + "index.html?probe#probe=" + probe)  # a new document
            shown = json.loads(b.wait_for(
                "document.getElementById('spaceuse-status').dataset.loaded === 'yes' && "
                "document.getElementById('spaceuse-status').textContent", timeout=180))
            if not shown.get("probe", {}).get("point"):
                fail("the page did not find parcel %s: %s" % (probe, shown))
            x, y = shown["probe"]["point"]
            for kind in ("mousePressed", "mouseReleased"):
                b.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                    "button": "left", "clickCount": 1})
            text = b.wait_for("(document.querySelector('.maplibregl-popup-content') || {})"
                              ".innerText", timeout=30)
            got = {}
            for line in text.splitlines():
                if "\t" in line:
                    k, v = line.split("\t", 1)
                    got[k.strip()] = v.strip()
            want = expected_popup(row)
            for k, v in want.items():
                if got.get(k) != v:
                    fail("popup of %s: %s is %r, parcels.geojson gives %r\n%s" % (
                        probe, k, got.get(k), v, text))
            print("click on parcel %s (zoom %.2f): popup equals its parcels.geojson row (%d "
                  "figures)" % (probe, shown["probe_zoom"], len(want)))
            if args.screenshots:
                b.screenshot(os.path.join(args.screenshots, "parcel.png"))

            # The search box: a parcel by id, a zone by name.
            b.evaluate("document.getElementById('su-search-text').value = %s; "
                       "document.getElementById('su-search-text').dispatchEvent("
                       "new Event('input'))" % json.dumps(probe))
            items = b.wait_for("[...document.querySelectorAll('#su-search-results li')]"
                               ".map(li => li.textContent).join('|') || false", timeout=30)
            if "Parcel " + probe not in items.split("|"):
                fail("search for %s listed %r" % (probe, items))
            query = (zone.get("name") or zone["zone_id"])
            b.evaluate("document.getElementById('su-search-text').value = %s; "
                       "document.getElementById('su-search-text').dispatchEvent("
                       "new Event('input'))" % json.dumps(query))
            items = b.wait_for("[...document.querySelectorAll('#su-search-results li')]"
                               ".map(li => li.textContent).join('|') || false", timeout=30)
            if not any(i.startswith("Zone " + zone["zone_id"]) for i in items.split("|")):
                fail("search for %r listed %r" % (query, items))
            print("search: parcel %s and zone %r found" % (probe, query))

            if args.colour:
                import csv
                want = {}
                with open(os.path.join(results, "parcel_definitions.csv")) as f:
                    for rec in csv.DictReader(f):
                        level = rec[args.colour + "_level"] or "not computable"
                        want[level] = want.get(level, 0) + 1
                b.navigate(origin + "index.html?c#colour=" + args.colour)
                shown = json.loads(b.wait_for(
                    "document.getElementById('spaceuse-status').dataset.loaded === 'yes' && "
                    "document.getElementById('spaceuse-status').textContent", timeout=180))
                if shown.get("colour_by") != args.colour or shown.get("levels") != want:
                    fail("coloured by %s, the page counts %s, parcel_definitions.csv %s" % (
                        args.colour, shown.get("levels"), want))
                print("coloured by %s: %s, as parcel_definitions.csv" % (args.colour, want))
                if args.screenshots:
                    b.screenshot(os.path.join(args.screenshots, "colour-%s.png" % args.colour))

            leaving = cdp.requests_leaving(b.requests, origin)
            if leaving:
                fail("requests left the machine: %s" % leaving[:5])
            print("%d requests, none leaving %s" % (len(b.requests), origin))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    print("tiled viewer: OK")


if __name__ == "__main__":
    main()
