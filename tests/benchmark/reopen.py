#!/usr/bin/python3
"""Documents drawn from results: how long reopening takes, and that the bytes are the run's.

    reopen.py --spaceuse PATH [--project FILE] [--results DIR] [--repeat 5] [--work DIR]

Runs the project (default: the bundled sample) into WORK/out, or takes the results folder of an
earlier run with --results, then, REPEAT times each, times `spaceuse report|map|view --results`
(whole process: reopening the snapshot and drawing), and `open` alone (`spaceuse map --results`
of a 200x200 PNG, which draws little). Prints the median wall time of each and
checks that each document is byte-identical to the one the run wrote (when it wrote one).
Exit status 1 on a failed run or a difference.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr))
    return wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spaceuse", required=True)
    ap.add_argument("--project", default=os.path.join(HERE, "..", "..", "data", "heverlee.toml"))
    ap.add_argument("--results")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--work", default=tempfile.mkdtemp(prefix="spaceuse-reopen-"))
    a = ap.parse_args()
    su = a.spaceuse
    os.makedirs(a.work, exist_ok=True)
    out = a.results
    if out is None:
        out = os.path.join(a.work, "out")
        wall = timed([su, "--quiet", "run", a.project, "--overwrite", "-o", out])
        print("run of %s: %.2f s" % (os.path.basename(a.project), wall))
    gpkg = os.path.join(out, "spaceuse.gpkg")
    print("snapshot %s: %.1f MB" % (gpkg, os.path.getsize(gpkg) / 1e6))
    failures = 0
    jobs = [("open (200x200 map)", ["map", "--width", "200", "--height", "200"], "tiny.png", None),
            ("report --results", ["report"], "report.pdf", "report.pdf"),
            ("map --results", ["map"], "map.png", "map.png"),
            ("view --results", ["view"], "viewer.html", "viewer.html")]
    print("%-20s %10s  %s" % ("command", "median_s", "runs_s"))
    for label, args, name, same_as in jobs:
        target = os.path.join(a.work, name)
        walls = [timed([su, "--quiet"] + args + ["--results", out, "--overwrite", "-o", target])
                 for _ in range(a.repeat)]
        note = ""
        ref = os.path.join(out, same_as) if same_as else None
        if ref and os.path.exists(ref):
            same = open(target, "rb").read() == open(ref, "rb").read()
            note = "identical to the run's" if same else "DIFFERS from the run's"
            failures += 0 if same else 1
        print("%-20s %10.3f  %s %s" % (label, statistics.median(walls),
                                        ",".join("%.3f" % w for w in walls), note))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
