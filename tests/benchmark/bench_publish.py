#!/usr/bin/python3
"""Benchmark of `spaceuse publish` against ogr2ogr loading the same results into the same
PostGIS server.

    bench_publish.py --spaceuse PATH [--sizes 100000] [--repeat 3] [--data DIR] [--work DIR]

For each size (parcels) the region comes from the cache bench.py uses (DATA/<n>, generated with
gen_region.py when missing) and is run once with the default project (occupancy with usable
free space, RFC 7946 GeoJSON and the snapshot; not timed). A private PostgreSQL 15 + PostGIS
cluster starts on loopback (tests/pg_cluster.py). Then, median of REPEAT runs, each into a
fresh schema, whole process wall time:

- `spaceuse publish RESULTS PG:... --schema s<i>`: every result layer, table and context layer
  of the snapshot (parcels, zones, free_space, summary, context zones, parcels and buildings)
  with COPY in one transaction, then indexes, views, runs row and styles;
- ogr2ogr loading the run's GeoJSON result layers (parcels, zones, free_space) into schema
  o<i>, one after the other, as a user would: `ogr2ogr -f PostgreSQL PG:... LAYER.geojson
  -lco SCHEMA=o<i>` (COPY, GiST index: the driver's defaults).

Target, printed with the figures: spaceuse publish within 1.2x of ogr2ogr's time. The rows each
side loads are printed too (spaceuse loads the context layers as well).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import bench  # noqa: E402
import pg_cluster  # noqa: E402

LAYERS = ("parcels", "zones", "free_space")


def timed(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit("failed: %s\n%s" % (" ".join(cmd[:3]), r.stderr.strip()[-2000:]))
    return wall, r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spaceuse", required=True)
    ap.add_argument("--sizes", default="100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", default=None)
    ap.add_argument("--work", default=os.path.join(os.getcwd(), "bench"))
    args = ap.parse_args()
    why = pg_cluster.missing()
    if why:
        print("skipped: " + why)
        return 0
    exe = os.path.abspath(args.spaceuse)
    work = os.path.abspath(args.work)
    data = os.path.abspath(args.data or os.path.join(work, "data"))
    os.makedirs(work, exist_ok=True)
    rows_out = []
    with pg_cluster.Cluster("bench-pw") as pg:
        pg.psql("CREATE DATABASE bench")
        pg.psql("CREATE EXTENSION postgis", dbname="bench")
        conn = pg.conninfo("bench")
        env = dict(os.environ, PGPASSWORD=pg.password)
        for n in (int(s) for s in args.sizes.split(",")):
            region = bench.ensure_region(data, n)
            out = os.path.join(work, "publish", str(n), "results")
            project = os.path.join(work, "publish", str(n), "project.toml")
            os.makedirs(os.path.dirname(project), exist_ok=True)
            with open(project, "w") as f:
                f.write(bench.default_project("publish benchmark %d" % n,
                                              os.path.join(region, "region.gpkg"), out))
            bench.log("running the default project on %d parcels (not timed)" % n)
            subprocess.run([exe, "--quiet", "run", project], check=True,
                           stdout=subprocess.DEVNULL)
            spaceuse_times, ogr_times = [], []
            for i in range(args.repeat):
                w, _ = timed([exe, "--quiet", "publish", out, "PG:" + conn, "--schema",
                              "s%d_%d" % (n, i)], env)
                spaceuse_times.append(w)
                pg.psql("CREATE SCHEMA o%d_%d" % (n, i), dbname="bench")
                t = 0.0
                for layer in LAYERS:
                    w, _ = timed(["ogr2ogr", "-f", "PostgreSQL", "PG:" + conn,
                                  os.path.join(out, layer + ".geojson"), "-lco",
                                  "SCHEMA=o%d_%d" % (n, i), "-nln", layer], env)
                    t += w
                ogr_times.append(t)
                bench.log("  run %d: spaceuse publish %.2f s, ogr2ogr %.2f s" %
                          (i + 1, spaceuse_times[-1], t))
            su_tables = [r[0] for r in pg.psql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 's%d_0' AND tablename "
                "<> 'runs'" % n, dbname="bench")]
            su_rows = sum(int(pg.psql('SELECT count(*) FROM s%d_0."%s"' % (n, t),
                                      dbname="bench")[0][0]) for t in su_tables)
            ogr_rows = sum(int(pg.psql("SELECT count(*) FROM o%d_0.%s" % (n, layer),
                                       dbname="bench")[0][0]) for layer in LAYERS)
            rows_out.append((n, statistics.median(spaceuse_times), su_rows,
                             statistics.median(ogr_times), ogr_rows))
    print("\npublishing results to PostGIS (median of %d, wall seconds, same server)" % args.repeat)
    print("%10s  %16s  %10s  %16s  %10s  %7s  %s" % ("parcels", "spaceuse publish", "rows",
                                                     "ogr2ogr GeoJSON", "rows", "ratio",
                                                     "target <= 1.2x"))
    ok = True
    for n, su, su_rows, ogr, ogr_rows in rows_out:
        ratio = su / ogr
        ok = ok and ratio <= 1.2
        print("%10d  %16.2f  %10d  %16.2f  %10d  %6.2fx  %s" % (
            n, su, su_rows, ogr, ogr_rows, ratio, "met" if ratio <= 1.2 else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
