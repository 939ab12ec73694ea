#!/usr/bin/python3
"""Surveys in a real PostGIS database: publish, read back, replace, unpublish, inputs from the
database, credentials and bad targets.

    check_postgis.py SPACEUSE DATA_DIR FOLLOWUP_DIR WORK_DIR

FOLLOWUP_DIR holds the sample's two surveys (s2021: 2021-06-01, sample: 2024-06-01) as the
follow-up tests wrote them. A private PostgreSQL 15 + PostGIS cluster starts in a temporary
folder on 127.0.0.1 (password authentication) and stops at the end, also on failure. Skipped
(exit 77) when PostgreSQL 15 or PostGIS is not installed.
"""

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import pg_cluster  # noqa: E402

SU, DATA, FOLLOWUP, WORK = (Path(a) for a in sys.argv[1:5])
S2021 = FOLLOWUP / "s2021"
S2024 = FOLLOWUP / "sample"

SUPER_PW = "Sup3r-s3cret"
PUB_PW = "pw'Publ1sher\\x"  # a quote and a backslash: quoted through every layer
READER_PW = "R3ader-pw"
SECRETS = (SUPER_PW, PUB_PW, READER_PW, "Publ1sher", "R3ader", "Sup3r", "least-pw")

# Under the sanitizers (SPACEUSE_PG_QUICK=1): every database path, without the documents, the
# sample runs on PostGIS inputs and QGIS, which the release pass covers.
QUICK = os.environ.get("SPACEUSE_PG_QUICK", "") == "1"

failures = []
outputs_seen = []  # every stdout/stderr text of spaceuse, scanned for secrets at the end


def check(cond, message):
    if cond:
        print("ok  ", message, flush=True)
    else:
        print("FAIL", message, flush=True)
        failures.append(message)
    return cond


def spaceuse(*args, env=None, quiet=True):
    """Runs spaceuse with no credentials from the environment unless `env` gives them; --quiet,
    or with its summaries (no progress bar) when not `quiet`."""
    e = dict(os.environ)
    e.pop("PGPASSWORD", None)
    e["PGPASSFILE"] = "/nonexistent"
    if env:
        e.update(env)
    r = subprocess.run([str(SU), "--quiet" if quiet else "--no-progress", *map(str, args)],
                       capture_output=True, text=True, env=e, timeout=600)
    outputs_seen.append(r.stdout + r.stderr)
    return r


def spaceuse_verbose(*args, env=None):
    return spaceuse(*args, env=env, quiet=False)


def one_line_error(r, rc, *needles):
    lines = r.stderr.strip().splitlines()
    ok = r.returncode == rc and len(lines) == 1 and lines[0].startswith("spaceuse: error:")
    for n in needles:
        ok = ok and n in r.stderr
    return ok, f"rc={r.returncode} stderr={r.stderr.strip()!r}"


def same_files(a, b, pattern, skip=()):
    """Files matching `pattern` in both folders (recursively), byte for byte."""
    names_a = sorted(str(p.relative_to(a)) for p in a.rglob(pattern) if p.is_file())
    names_b = sorted(str(p.relative_to(b)) for p in b.rglob(pattern) if p.is_file())
    names_a = [n for n in names_a if n not in skip]
    names_b = [n for n in names_b if n not in skip]
    if names_a != names_b:
        return False, f"different files: {set(names_a) ^ set(names_b)}"
    differ = [n for n in names_a if not filecmp.cmp(a / n, b / n, shallow=False)]
    return not differ and bool(names_a), f"{len(names_a)} files compared, differing: {differ}"


def features(path):
    with open(path, encoding="utf-8") as f:
        return len(json.load(f)["features"])


def main():
    why = pg_cluster.missing()
    if why:
        print("SKIP: " + why, flush=True)
        return 77
    for d in (S2021, S2024):
        if not (d / "run.json").is_file():
            print(f"FAIL: {d} has no results (the follow-up fixture did not run)")
            return 1
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)

    with pg_cluster.Cluster(SUPER_PW) as pg:
        sq = lambda sql, db="leuven": pg.psql(sql, dbname=db)  # noqa: E731
        esc = PUB_PW.replace("'", "''")
        sq(f"CREATE ROLE publisher LOGIN PASSWORD '{esc}'", "postgres")
        sq(f"CREATE ROLE colleague LOGIN PASSWORD '{READER_PW}'", "postgres")
        sq("CREATE DATABASE leuven OWNER publisher", "postgres")
        sq("CREATE DATABASE nopostgis OWNER publisher", "postgres")
        sq("CREATE EXTENSION postgis")
        target = "PG:" + pg.conninfo("leuven", "publisher", PUB_PW)

        # --- publish the two surveys -------------------------------------------------------
        STUDY = ("--study", "Heverlee")  # the two projects are titled differently
        r = spaceuse_verbose("publish", S2021, target, *STUDY)
        check(r.returncode == 0 and "published" in r.stdout,
              f"publish the 2021 survey: rc={r.returncode} {r.stdout.splitlines()[:1]} {r.stderr.strip()}")
        print(r.stdout, flush=True)
        r = spaceuse("publish", S2024, target, *STUDY)
        check(r.returncode == 0, f"publish the 2024 survey: rc={r.returncode} {r.stderr.strip()}")
        tables = sorted(t[0] for t in sq(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'spaceuse'"))
        print("tables in schema spaceuse: " + ", ".join(tables), flush=True)
        for t in ("runs", "parcels", "zones", "summary", "context_zones"):
            check(t in tables, f"table spaceuse.{t} exists")
        for date, folder in (("2021-06-01", S2021), ("2024-06-01", S2024)):
            n = int(sq(f"SELECT count(*) FROM spaceuse.parcels WHERE survey_date = '{date}'")[0][0])
            want = features(folder / "parcels.geojson")
            check(n == want, f"parcels of {date} in the database: {n}, results {want}")
        latest = sq("SELECT DISTINCT survey_date FROM spaceuse.parcels_latest")
        check(latest == [["2024-06-01"]], f"parcels_latest holds the latest survey: {latest}")
        runs = sq("SELECT study, survey_date, run_id FROM spaceuse.runs ORDER BY survey_date")
        check(len(runs) == 2, f"two runs recorded: {runs}")
        idx = sq("SELECT indexdef FROM pg_indexes WHERE schemaname = 'spaceuse' AND "
                 "tablename = 'parcels'")
        check(any("gist" in i[0] for i in idx), "parcels has a spatial index")
        styles = sq("SELECT f_table_name, useasdefault FROM public.layer_styles WHERE "
                    "f_table_schema = 'spaceuse' AND f_table_name IN ('parcels', "
                    "'parcels_latest') ORDER BY 1, 2")
        check(["parcels", "t"] in styles and ["parcels_latest", "t"] in styles,
              f"QGIS styles of parcels and parcels_latest in public.layer_styles: {styles}")

        # --- read back: documents and the follow-up from the database ----------------------
        if not QUICK:
            r = spaceuse("report", "--results", target, "--survey", "2024-06-01", "-o",
                         WORK / "db-report.pdf")
            check(r.returncode == 0, f"report from the database: {r.stderr.strip()}")
            r = spaceuse("report", "--results", S2024, "-o", WORK / "folder-report.pdf")
            check(r.returncode == 0 and filecmp.cmp(WORK / "db-report.pdf", WORK / "folder-report.pdf",
                                                    shallow=False),
                  "the report drawn from the database is the report drawn from the results folder, "
                  "byte for byte")
            r = spaceuse("view", "--results", target, "--survey", "2024-06-01", "-o",
                         WORK / "db-viewer.html")
            r2 = spaceuse("view", "--results", S2024, "-o", WORK / "folder-viewer.html")
            check(r.returncode == 0 and r2.returncode == 0 and
                  filecmp.cmp(WORK / "db-viewer.html", WORK / "folder-viewer.html", shallow=False),
                  "the viewer drawn from the database is the folder's, byte for byte")
        r = spaceuse("report", "--results", target, "-o", WORK / "ambiguous.pdf")
        ok, why = one_line_error(r, 3, "several surveys (2021-06-01, 2024-06-01)", "--survey")
        check(ok, f"report without --survey names the surveys: {why}")
        if not QUICK:
            r = spaceuse("diff", target + " survey=2021-06-01", target + " survey=2024-06-01",
                         "-o", WORK / "db-diff")
            check(r.returncode == 0, f"diff between two surveys in the database: {r.stderr.strip()}")
            r = spaceuse("diff", S2021, S2024, "-o", WORK / "folder-diff")
            ok, why = same_files(WORK / "db-diff", WORK / "folder-diff", "*.csv")
            check(r.returncode == 0 and ok, f"the diff from the database equals the diff of the folders: {why}")
            ok, why = same_files(WORK / "db-diff", WORK / "folder-diff", "*.geojson")
            check(ok, f"diff layers equal: {why}")
        r = spaceuse("diff", "--recompute", target + " survey=2021-06-01", DATA / "heverlee.toml",
                     "-o", WORK / "recompute")
        ok, why = one_line_error(r, 2, "not a survey in a database")
        check(ok, f"diff --recompute needs a results folder: {why}")
        r = spaceuse("trend", target, "-o", WORK / "db-trend")
        check(r.returncode == 0, f"trend over every survey of the database: {r.stderr.strip()}")
        r = spaceuse("trend", S2021, S2024, "-o", WORK / "folder-trend")
        ok, why = same_files(WORK / "db-trend", WORK / "folder-trend", "*.csv")
        check(r.returncode == 0 and ok, f"the trend from the database equals the trend of the folders: {why}")
        r = spaceuse("surveys", target)
        check(r.returncode == 0 and "2021-06-01" in r.stdout and "2024-06-01" in r.stdout,
              f"spaceuse surveys lists both: {r.stdout.strip()}")

        # --- replacing a survey: in one transaction ----------------------------------------
        def state():
            return (sq("SELECT survey_date, run_id, count(*), min(fid), max(fid) FROM "
                       "spaceuse.parcels GROUP BY 1, 2 ORDER BY 1"),
                    sq("SELECT run_id, published_at FROM spaceuse.runs ORDER BY 1"),
                    sq("SELECT count(*), min(fid), max(fid) FROM spaceuse.zones"))

        before = state()
        # A column of another type in a table published after parcels: the publication fails
        # half-way through.
        sq("DROP VIEW spaceuse.zones_latest")  # it holds the column's type; publishing recreates it
        sq("ALTER TABLE spaceuse.zones ADD COLUMN intruder integer")
        col = sq("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                 "'spaceuse' AND table_name = 'zones' AND data_type = 'double precision' "
                 "ORDER BY ordinal_position LIMIT 1")[0][0]
        sq(f'ALTER TABLE spaceuse.zones ALTER COLUMN "{col}" TYPE text')
        r = spaceuse("publish", S2024, target, *STUDY)
        ok, why = one_line_error(r, 1, f"column '{col}' is text in the database")
        check(ok, f"a column of another type stops the publication: {why}")
        sq(f'ALTER TABLE spaceuse.zones ALTER COLUMN "{col}" TYPE double precision USING "{col}"::double precision')
        sq("ALTER TABLE spaceuse.zones DROP COLUMN intruder")
        check(state() == before, "after the failed publication the database is as it was "
                                 "(same rows, same row ids, same runs)")
        # A failure at the very end (the runs row, written last before COMMIT).
        sq("CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS "
           "$$BEGIN RAISE EXCEPTION 'refused by the test trigger'; END$$")
        sq("CREATE TRIGGER refuse BEFORE INSERT ON spaceuse.runs FOR EACH ROW EXECUTE "
           "FUNCTION public.refuse()")
        r = spaceuse("publish", S2024, target, *STUDY)
        ok, why = one_line_error(r, 1, "refused by the test trigger")
        check(ok, f"a failure before COMMIT is one error line: {why}")
        check(state() == before, "after a failure at the last step the database is as it was")
        sq("DROP TRIGGER refuse ON spaceuse.runs")
        r = spaceuse_verbose("publish", S2024, target, *STUDY)
        check(r.returncode == 0 and "replacing its earlier publication" in r.stdout,
              f"publishing a survey again replaces it: {r.stdout.splitlines()[:1]}")
        after = state()
        check(after[0][0] == before[0][0], "the other survey's rows are untouched")
        check(after[0][1][2] == before[0][1][2] and after[0][1][3] != before[0][1][3],
              f"the republished survey has the same rows, new row ids: {after[0][1]} vs {before[0][1]}")

        # New fields become new columns; another study in the same schema is kept.
        r = spaceuse("publish", S2021, target, "--study", "Another study")
        check(r.returncode == 0, f"a second study in the same schema: {r.stderr.strip()}")
        sq("DROP VIEW spaceuse.summary_latest")
        dropped = sq("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                     "'spaceuse' AND table_name = 'summary' ORDER BY ordinal_position DESC "
                     "LIMIT 1")[0][0]
        sq(f'ALTER TABLE spaceuse.summary DROP COLUMN "{dropped}"')
        r = spaceuse_verbose("publish", S2024, target, *STUDY)
        check(r.returncode == 0 and f"(new columns: {dropped})" in r.stdout,
              f"a field the table lacks becomes a new column: {dropped}")
        check(sq("SELECT count(*) FROM spaceuse.runs WHERE study = 'Another study'") == [["1"]] and
              int(sq("SELECT count(*) FROM spaceuse.parcels WHERE study = 'Another study'")[0][0]) ==
              features(S2021 / "parcels.geojson"),
              "the other study's survey is kept when a survey is republished")
        latest = sq("SELECT study, survey_date, count(*) FROM spaceuse.parcels_latest GROUP BY 1, 2 "
                    "ORDER BY 1")
        check([row[:2] for row in latest] == [["Another study", "2021-06-01"],
                                              ["Heverlee", "2024-06-01"]],
              f"the _latest views hold the latest survey of each study: {latest}")
        r = spaceuse_verbose("unpublish", target, "--survey", "2021-06-01")
        ok, why = one_line_error(r, 2, "several studies have a survey of 2021-06-01", "--study")
        check(ok, f"an ambiguous unpublish names the studies: {why}")
        r = spaceuse("unpublish", target, "--survey", "2021-06-01", "--study", "Another study")
        check(r.returncode == 0 and sq("SELECT count(*) FROM spaceuse.parcels WHERE study = "
                                       "'Another study'") == [["0"]],
              f"unpublish one study's survey: {r.stderr.strip()}")

        # --- unpublish -------------------------------------------------------------------
        r = spaceuse_verbose("unpublish", target, "--survey", "2021-06-01")
        check(r.returncode == 0 and "removed" in r.stdout, f"unpublish 2021: {r.stdout.strip()} {r.stderr.strip()}")
        left = sq("SELECT DISTINCT survey_date FROM spaceuse.parcels")
        check(left == [["2024-06-01"]], f"only the 2024 survey is left: {left}")
        check(len(sq("SELECT 1 FROM spaceuse.runs")) == 1, "one run left")
        r = spaceuse("unpublish", target, "--survey", "2021-06-01")
        ok, why = one_line_error(r, 3, "no published survey of 2021-06-01")
        check(ok, f"unpublishing a missing survey is an error: {why}")
        r = spaceuse("publish", S2021, target, *STUDY)
        check(r.returncode == 0, "the 2021 survey published again")

        # --- a hostile schema name ---------------------------------------------------------
        sq("CREATE TABLE public.y (a int); GRANT ALL ON public.y TO publisher")
        hostile = 'x"; DROP TABLE y; --'
        r = spaceuse("publish", S2021, target, "--schema", hostile)
        check(r.returncode == 0, f"publish to the schema {hostile!r}: {r.stderr.strip()}")
        check(sq("SELECT to_regclass('public.y') IS NOT NULL") == [["t"]],
              "table y survives the hostile schema name")
        n = sq("SELECT count(*) FROM pg_tables WHERE schemaname = 'x\"; DROP TABLE y; --'")
        check(int(n[0][0]) > 5, f"the schema named {hostile!r} holds the tables: {n}")
        if not QUICK:
            r = spaceuse("report", "--results", target, "--schema", hostile, "-o", WORK / "hostile.pdf")
            r2 = spaceuse("report", "--results", S2021, "-o", WORK / "folder-report-2021.pdf")
            check(r.returncode == 0 and r2.returncode == 0 and
                  filecmp.cmp(WORK / "hostile.pdf", WORK / "folder-report-2021.pdf", shallow=False),
                  "the 2021 survey reads back from the hostile schema: the folder's report, byte for byte")

        # --- bad targets: one line, no password, nothing half-written ---------------------
        closed = pg_cluster.free_port()
        r = spaceuse("publish", S2024, f"PG:host=127.0.0.1 port={closed} dbname=leuven "
                     f"user=publisher password='{PUB_PW.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}'"
                     " connect_timeout=5")
        ok, why = one_line_error(r, 1, "cannot connect", f"port={closed}")
        check(ok, f"unreachable server: {why}")
        r = spaceuse("publish", S2024, "PG:" + pg.conninfo("leuven", "publisher", "wrong-Publ1sher"))
        ok, why = one_line_error(r, 1, "password authentication failed")
        check(ok, f"wrong password: {why}")
        r = spaceuse("publish", S2024, "PG:" + pg.conninfo("nopostgis", "publisher", PUB_PW))
        ok, why = one_line_error(r, 1, "no PostGIS extension")
        check(ok, f"database without PostGIS: {why}")
        check(sq("SELECT count(*) FROM pg_namespace WHERE nspname = 'spaceuse'", "nopostgis")
              == [["0"]], "nothing written to the database without PostGIS")
        reader = "PG:" + pg.conninfo("leuven", "colleague", READER_PW)
        r = spaceuse("publish", S2024, reader, "--schema", "colleagues")
        ok, why = one_line_error(r, 1, "permission denied")
        check(ok, f"a role that cannot create a schema: {why}")
        check(sq("SELECT count(*) FROM pg_namespace WHERE nspname = 'colleagues'") == [["0"]],
              "no schema half-created")
        sq("CREATE SCHEMA other AUTHORIZATION publisher")
        sq("CREATE TABLE other.parcels (fid int, note text); ALTER TABLE other.parcels OWNER TO publisher")
        r = spaceuse("publish", S2024, target, "--schema", "other")
        ok, why = one_line_error(r, 1, "other.parcels exists and is not a spaceuse table")
        check(ok, f"an existing table with other columns: {why}")
        check(sq("SELECT count(*) FROM pg_tables WHERE schemaname = 'other'") == [["1"]],
              "nothing else created in that schema")
        # The read-only colleague reads (README's read-only role).
        sq("GRANT USAGE ON SCHEMA spaceuse TO colleague; "
           "GRANT SELECT ON ALL TABLES IN SCHEMA spaceuse TO colleague")
        if not QUICK:
            r = spaceuse("report", "--results", reader, "--survey", "2024-06-01", "-o",
                         WORK / "colleague.pdf")
            check(r.returncode == 0 and filecmp.cmp(WORK / "colleague.pdf", WORK / "folder-report.pdf",
                                                    shallow=False),
                  f"a read-only role reads a survey back: {r.stderr.strip()}")
        # Credentials from the environment and ~/.pgpass instead of the connection string.
        bare = "PG:" + pg.conninfo("leuven", "publisher", "")
        r = spaceuse("surveys", bare, env={"PGPASSWORD": PUB_PW})
        check(r.returncode == 0 and "2024-06-01" in r.stdout, f"PGPASSWORD: {r.stderr.strip()}")
        pgpass = WORK / "pgpass"
        pw_field = PUB_PW.replace("\\", "\\\\").replace(":", "\\:")
        pgpass.write_text(f"127.0.0.1:{pg.port}:leuven:publisher:{pw_field}\n")
        pgpass.chmod(0o600)
        r = spaceuse("surveys", bare, env={"PGPASSFILE": str(pgpass)})
        check(r.returncode == 0 and "2024-06-01" in r.stdout, f".pgpass: {r.stderr.strip()}")

        # A service file (PGSERVICEFILE / service=).
        service = WORK / "pg_service.conf"
        service.write_text(f"[leuven]\nhost=127.0.0.1\nport={pg.port}\ndbname=leuven\n"
                           f"user=publisher\npassword={PUB_PW}\n")
        r = spaceuse("surveys", "PG:service=leuven", env={"PGSERVICEFILE": str(service)})
        check(r.returncode == 0 and "2024-06-01" in r.stdout, f"a service file: {r.stderr.strip()}")
        # The README's least privileges: a schema of its own, rows of public.layer_styles.
        sq("CREATE ROLE least LOGIN PASSWORD 'least-pw'; CREATE SCHEMA least AUTHORIZATION least; "
           "GRANT SELECT, INSERT, DELETE ON public.layer_styles TO least; "
           "GRANT USAGE ON SEQUENCE public.layer_styles_id_seq TO least")
        r = spaceuse("publish", S2024, "PG:" + pg.conninfo("leuven", "least", "least-pw"),
                     "--schema", "least")
        check(r.returncode == 0, f"the least privileges of the README suffice: {r.stderr.strip()}")

        if not QUICK:
            # --- inputs from PostGIS -------------------------------------------------------------
            sq("CREATE SCHEMA input AUTHORIZATION publisher")
            ogr_conn = "PG:" + pg.conninfo("leuven", "publisher", PUB_PW)
            for src, extra in ((DATA / "heverlee.gpkg", []),
                               (DATA / "heverlee_constraints.geojson", ["-nln", "constraints"])):
                subprocess.run(["ogr2ogr", "-f", "PostgreSQL", ogr_conn, str(src), "-lco",
                                "SCHEMA=input", "-lco", "GEOMETRY_NAME=geom", "-preserve_fid",
                                *extra], check=True, capture_output=True)
            # Rows in another physical order than their ids: reading must not depend on it.
            sq("UPDATE input.parcels SET parcel_id = parcel_id WHERE fid % 2 = 0")
            data_copy = WORK / "data"
            shutil.copytree(DATA, data_copy)
            project = (data_copy / "heverlee.toml").read_text()
            conn_toml = ogr_conn.replace("\\", "\\\\").replace('"', '\\"')

            def to_pg(m):
                name = m.group(2) or "constraints"
                return f'source = "{conn_toml}"\nlayer = "input.{name}"'
            project = re.sub(r'source = "(heverlee\.gpkg:(\w+)|heverlee_constraints\.geojson)"',
                             to_pg, project)
            (data_copy / "heverlee_pg.toml").write_text(project)
            r = spaceuse("run", data_copy / "heverlee_pg.toml", "-o", WORK / "pg-inputs",
                         "--overwrite")
            check(r.returncode == 0, f"the sample run on PostGIS inputs: {r.stderr.strip()}")
            r = spaceuse("run", DATA / "heverlee.toml", "-o", WORK / "file-inputs", "--overwrite")
            ok, why = same_files(WORK / "pg-inputs", WORK / "file-inputs", "*.csv")
            check(ok, f"the same tables as from the files: {why}")
            ok, why = same_files(WORK / "pg-inputs", WORK / "file-inputs", "*.geojson")
            check(ok, f"the same result layers as from the files: {why}")
            manifest = json.loads((WORK / "pg-inputs" / "run.json").read_text())
            hashes = [(i["source"], i["sha256"]) for i in manifest["inputs"]]
            check(all(h and len(h) == 64 for _, h in hashes) and
                  all(s.startswith("PG:") for s, _ in hashes),
                  "every PostGIS input's content hash is recorded with its target")
            check(len({h for _, h in hashes}) == len(hashes), "one hash per table")
            # A source field named like one of spaceuse's columns is stored under another name
            # and read back as itself.
            sq("ALTER TABLE input.parcels ADD COLUMN study text DEFAULT 'a field of the parcels'")
            r = spaceuse("run", data_copy / "heverlee_pg.toml", "-o", WORK / "pg-inputs-study",
                         "--overwrite")
            r2 = spaceuse("publish", WORK / "pg-inputs-study", target, "--schema", "clash")
            columns = [c[0] for c in sq("SELECT column_name FROM information_schema.columns "
                                        "WHERE table_schema = 'clash' AND table_name = "
                                        "'context_parcels'")]
            check(r.returncode == 0 and r2.returncode == 0 and "field_study" in columns,
                  f"a parcels field 'study' is stored as field_study: {r2.stderr.strip()}")
            r = spaceuse("report", "--results", target, "--schema", "clash", "-o",
                         WORK / "clash-db.pdf")
            r2 = spaceuse("report", "--results", WORK / "pg-inputs-study", "-o",
                          WORK / "clash-folder.pdf")
            check(r.returncode == 0 and r2.returncode == 0 and
                  filecmp.cmp(WORK / "clash-db.pdf", WORK / "clash-folder.pdf", shallow=False),
                  f"and read back as 'study': the same report byte for byte {r.stderr.strip()}")

        # --- run --publish, and no secret anywhere -----------------------------------------
        if not QUICK:
            r = spaceuse_verbose("run", DATA / "heverlee.toml", "-o", WORK / "run-publish",
                                 "--overwrite", "--publish", target, "--publish-schema", "from_run")
            check(r.returncode == 0 and "published survey 2024-06-01" in r.stderr,
                  f"spaceuse run --publish: {r.returncode} {r.stderr.strip().splitlines()[-1:]}")
        stored = " ".join(" ".join(row) for row in sq(
            "SELECT manifest, layers FROM spaceuse.runs" if QUICK else
            "SELECT manifest, layers FROM from_run.runs UNION ALL "
            "SELECT manifest, layers FROM spaceuse.runs"))
        texts = {"database runs tables": stored}
        for folder in (WORK / "pg-inputs", WORK / "pg-inputs-study", WORK / "run-publish",
                       WORK / "db-diff", WORK / "db-trend"):
            for p in folder.rglob("*") if folder.exists() else ():
                if p.is_file():
                    texts[str(p)] = p.read_bytes().decode("latin-1")
        texts["spaceuse's terminal output"] = "\n".join(outputs_seen)
        leaks = [name for name, t in texts.items() if any(s in t for s in SECRETS)]
        check(not leaks, f"no password in any output, message or stored manifest ({len(texts)} "
                         f"texts scanned): {leaks[:5]}")
        check("password" not in stored, "the stored manifests name no password key")

        if not QUICK:
            # --- QGIS opens a published table with its style --------------------------------------
            qgis = subprocess.run(["/usr/bin/python3", str(Path(__file__).with_name("check_postgis_qgis.py")),
                                   pg.conninfo("leuven", "publisher", PUB_PW), str(S2024),
                                   str(WORK / "qgis-postgis.png")],
                                  capture_output=True, text=True, timeout=300)
            print(qgis.stdout, qgis.stderr[-2000:], flush=True)
            check(qgis.returncode in (0, 77), "QGIS opens the published layers with their styles")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all PostGIS checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
