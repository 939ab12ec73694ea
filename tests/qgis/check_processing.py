#!/usr/bin/python3
"""spaceuse in QGIS's Processing toolbox, headless, against the bundled sample.

With qgis_process (Debian's `qgis` package):
  - `plugins enable spaceuse_processing` succeeds and the spaceuse algorithms listed are the
    commands of `spaceuse describe --json`, one for one;
  - `--json run spaceuse:occupancy` gives the same parcel and zone figures as the CLI run with
    the same options;
  - a wrong parameter (a profile file that is not TOML) fails with spaceuse's one-line error in
    the algorithm's log.
In QGIS's Python (python3-qgis), in this process:
  - a selection is honoured: only the selected parcels are analysed;
  - a temporary output folder is resolved once; spaceuse's exclusive bounds are checked;
  - a stored PostgreSQL connection reaches spaceuse without its password on the command line;
  - a cancelled run stops spaceuse: spaceuse rolls back on the SIGTERM, no spaceuse process is
    left, no results, staging folder or lock file;
  - a spaceuse whose description format is unknown is refused with the reason.

Usage: check_processing.py SPACEUSE PLUGIN_DIR DATA_DIR WORK_DIR
Exit code 77 (skipped) when QGIS is not installed.
"""

import json
import os
import shutil
import subprocess
import sys
import time

SPACEUSE, PLUGIN_DIR, DATA, WORK = (os.path.abspath(a) for a in sys.argv[1:5])
SAMPLE = os.path.join(DATA, "heverlee.gpkg")
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def qgis_process_program():
    # Debian's /usr/bin/qgis_process wrapper passes --noversioncheck (from /etc/default/qgis),
    # which QGIS 3.22's qgis_process rejects ("Command --noversioncheck not known!"); the
    # program itself is qgis_process.bin.
    for name in ("/usr/bin/qgis_process.bin", shutil.which("qgis_process")):
        if name and os.path.isfile(name):
            return name
    return None


QGIS_PROCESS = qgis_process_program()
try:
    import qgis.core  # noqa: F401
except ImportError:
    QGIS_PROCESS = None
if QGIS_PROCESS is None:
    print("SKIP: QGIS is not installed (scripts/setup.sh --tests installs qgis and python3-qgis)")
    sys.exit(77)

shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
HOME = os.path.join(WORK, "home")  # a private QGIS profile: nothing of the user's is touched
os.makedirs(HOME, mode=0o700)
ENV = dict(os.environ, HOME=HOME, QT_QPA_PLATFORM="offscreen", QGIS_PLUGINPATH=PLUGIN_DIR,
           SPACEUSE_EXECUTABLE=SPACEUSE, XDG_RUNTIME_DIR=HOME)


def qgis_process(*args, check_rc=True):
    done = subprocess.run([QGIS_PROCESS] + list(args), env=ENV, capture_output=True, text=True,
                          timeout=300, check=False)
    if check_rc and done.returncode != 0:
        print(done.stdout, done.stderr)
    return done


def spaceuse_describe():
    out = subprocess.run([SPACEUSE, "describe", "--json"], capture_output=True, check=True)
    return json.loads(out.stdout)


description = spaceuse_describe()
commands = sorted(c["name"] for c in description["commands"])
check(description["format"] == "spaceuse-describe" and description["format_version"] == 1,
      "spaceuse describe --json: format spaceuse-describe, version 1")
check({"run", "occupancy", "access", "definitions", "scenario", "diff", "trend"} <= set(commands),
      "describe lists run, occupancy, access, definitions, scenario, diff, trend: %s" % commands)

# -- qgis_process -----------------------------------------------------------------------------
done = qgis_process("plugins", "enable", "spaceuse_processing")
check(done.returncode == 0, "qgis_process plugins enable spaceuse_processing")

done = qgis_process("--json", "list")
listed = json.loads(done.stdout) if done.returncode == 0 else {}
algorithms = sorted(a.split(":", 1)[1] for a in listed.get("providers", {}).get("spaceuse", {})
                    .get("algorithms", {}))
check(algorithms == commands, "qgis_process list: spaceuse algorithms %s == describe %s"
      % (algorithms, commands))

# The occupancy form's parameters are the command's (layer names are filled from the layers).
done = qgis_process("--json", "help", "spaceuse:occupancy")
form = json.loads(done.stdout) if done.returncode == 0 else {}
params = form.get("parameters", {})
occupancy = next(c for c in description["commands"] if c["name"] == "occupancy")
expected = sorted(p["name"].upper() for p in occupancy["parameters"] if p["type"] != "layer_name")
check(sorted(params) == expected, "occupancy form: %d parameters as described" % len(expected))
# Each parameter has the QGIS type its description asks for: layers are vector sources of the
# declared geometry kind, fields are fields of their layer, numbers keep their range.
qgis_types = {"vector_layer": "source", "field": "field", "number": "number", "integer": "number",
              "boolean": "boolean", "enum": "enum", "file": "file", "folder": "file",
              "output_folder": "folderDestination"}
geometry_codes = {"point": [0], "line": [1], "polygon": [2], "any": [-1]}
wrong = []
for p in occupancy["parameters"]:
    if p["type"] == "layer_name":
        continue
    raw = params.get(p["name"].upper(), {}).get("raw_definition", {})
    want = qgis_types.get(p["type"], "string")
    if raw.get("parameter_type") != want:
        wrong.append("%s: %s, not %s" % (p["name"], raw.get("parameter_type"), want))
    if p["type"] == "vector_layer" and raw.get("data_types") != geometry_codes[p["geometry"]]:
        wrong.append("%s: geometry %s" % (p["name"], raw.get("data_types")))
    if p["type"] == "field" and not raw.get("parent_layer"):
        wrong.append("%s: no parent layer" % p["name"])
    if "min" in p and raw.get("min") != p["min"]:
        wrong.append("%s: min %s" % (p["name"], raw.get("min")))
    if raw.get("optional") == p["required"]:
        wrong.append("%s: optional %s" % (p["name"], raw.get("optional")))
check(not wrong, "occupancy form: every parameter of the type described %s" % wrong)

figures = ["ZONE_ID=zone_id", "PARCEL_ID=parcel_id", "ZONE_NAME=name", "FLOORS_FIELD=floors",
           "STATUS_FIELD=status"]
qgis_out = os.path.join(WORK, "qgis-occupancy")
done = qgis_process("--json", "run", "spaceuse:occupancy", "--",
                    "ZONES=%s|layername=zones" % SAMPLE, "PARCELS=%s|layername=parcels" % SAMPLE,
                    "BUILDINGS=%s|layername=buildings" % SAMPLE, *figures, "OUTPUT=" + qgis_out)
check(done.returncode == 0, "qgis_process --json run spaceuse:occupancy")
answer = json.loads(done.stdout) if done.returncode == 0 else {"results": {}, "log": {}}
results = answer["results"]
print(json.dumps(results, indent=1))
check(results.get("PARCELS") == os.path.join(qgis_out, "parcels.geojson")
      and results.get("ZONES") == os.path.join(qgis_out, "zones.geojson")
      and results.get("MANIFEST") == os.path.join(qgis_out, "run.json"),
      "the run's answer names the parcels, zones and manifest it wrote")
log = json.dumps(answer.get("log", {}))
check("read 43 = kept 43 + rejected 0" in log, "spaceuse's load summary is in the QGIS log")

cli_out = os.path.join(WORK, "cli-occupancy")
subprocess.run([SPACEUSE, "--quiet", "occupancy", "--zones", SAMPLE + ":zones",
                "--parcels", SAMPLE + ":parcels", "--buildings", SAMPLE + ":buildings",
                "--zone-id", "zone_id", "--parcel-id", "parcel_id", "--zone-name", "name",
                "--floors-field", "floors", "--status-field", "status", "-o", cli_out],
               check=True, stdout=subprocess.DEVNULL)


def figures_by_id(path, key):
    with open(path, encoding="utf-8") as f:
        features = json.load(f)["features"]
    return {feat["properties"][key]: feat["properties"] for feat in features}


for layer, key, count in (("parcels", "parcel_id", 43), ("zones", "zone_id", 3)):
    a = figures_by_id(os.path.join(cli_out, layer + ".geojson"), key)
    b = figures_by_id(os.path.join(qgis_out, layer + ".geojson"), key) \
        if os.path.isfile(os.path.join(qgis_out, layer + ".geojson")) else {}
    check(len(a) == count and a == b, "%s: the %d %s figures from QGIS equal the CLI's"
          % (layer, count, layer))
with open(os.path.join(cli_out, "summary.csv"), "rb") as f1:
    cli_summary = f1.read()
qgis_summary_path = os.path.join(qgis_out, "summary.csv")
qgis_summary = open(qgis_summary_path, "rb").read() if os.path.isfile(qgis_summary_path) else b""
check(cli_summary == qgis_summary and b"157473.4" in cli_summary,
      "summary.csv from QGIS is byte for byte the CLI's (gross 157473.4 m²)")

bad_profile = os.path.join(WORK, "not-a-profile.toml")
with open(bad_profile, "w", encoding="utf-8") as f:
    f.write("[thresholds\nvacant_below = \n")
done = qgis_process("run", "spaceuse:occupancy", "--",
                    "ZONES=%s|layername=zones" % SAMPLE, "PARCELS=%s|layername=parcels" % SAMPLE,
                    "BUILDINGS=%s|layername=buildings" % SAMPLE, "PROFILE=" + bad_profile,
                    "OUTPUT=" + os.path.join(WORK, "qgis-bad"), check_rc=False)
errors = [line for line in (done.stdout + done.stderr).splitlines()
          if "spaceuse: error:" in line and "not-a-profile.toml" in line]
print("\n".join(errors))
check(done.returncode != 0 and len(errors) >= 1,
      "a broken profile file: qgis_process fails with spaceuse's one-line error naming it")

# -- QGIS's Python, in this process -----------------------------------------------------------
os.environ.update(ENV)
from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
sys.path.insert(0, "/usr/share/qgis/python/plugins")
sys.path.insert(0, PLUGIN_DIR)
from processing.core.Processing import Processing  # noqa: E402

Processing.initialize()
import processing  # noqa: E402
from spaceuse_processing import spaceuse_cli  # noqa: E402
from spaceuse_processing.plugin import SpaceusePlugin  # noqa: E402

plugin = SpaceusePlugin()
plugin.initProcessing()

parcels = QgsVectorLayer(SAMPLE + "|layername=parcels", "parcels", "ogr")
QgsProject.instance().addMapLayer(parcels)
selected = [f.id() for f in parcels.getFeatures()][:10]
parcels.selectByIds(selected)
sel_out = os.path.join(WORK, "qgis-selection")
processing.run("spaceuse:occupancy", {
    "ZONES": SAMPLE + "|layername=zones",
    "PARCELS": QgsProcessingFeatureSourceDefinition(parcels.id(), True),
    "BUILDINGS": SAMPLE + "|layername=buildings",
    "PARCEL_ID": "parcel_id", "ZONE_ID": "zone_id", "OUTPUT": sel_out})
chosen = {f["parcel_id"] for f in parcels.getSelectedFeatures()}
got = set(figures_by_id(os.path.join(sel_out, "parcels.geojson"), "parcel_id"))
check(got == chosen and len(got) == 10,
      "a selection of 10 parcels: spaceuse analyses exactly those 10")


# Run as the toolbox does (results loaded into the project): every data layer spaceuse wrote is
# in the project, with spaceuse's style (parcels categorised by status, zones graduated by
# occupancy).
loaded_out = os.path.join(WORK, "qgis-loaded")
processing.runAndLoadResults("spaceuse:occupancy", {
    "ZONES": SAMPLE + "|layername=zones", "PARCELS": SAMPLE + "|layername=parcels",
    "BUILDINGS": SAMPLE + "|layername=buildings", "ZONE_ID": "zone_id",
    "PARCEL_ID": "parcel_id", "STATUS_FIELD": "status", "OUTPUT": loaded_out})
loaded = {layer.name(): layer for layer in QgsProject.instance().mapLayers().values()
          if layer.source().startswith(loaded_out)}
check(sorted(loaded) == ["free_space", "parcels", "summary", "zones"],
      "the outputs are loaded into the project: %s" % sorted(loaded))
styles = {name: (layer.renderer().type(), getattr(layer.renderer(), "classAttribute",
                                                   lambda: "")())
          for name, layer in loaded.items() if layer.isSpatial()}
check(styles.get("parcels") == ("categorizedSymbol", "status")
      and styles.get("zones") == ("graduatedSymbol", "occupancy")
      and loaded.get("parcels") is not None and loaded["parcels"].featureCount() == 43,
      "with spaceuse's styles: %s" % styles)


# A temporary output folder (the form's default) is resolved once: spaceuse writes where the
# results say, and the layers returned are in it.
temporary = processing.run("spaceuse:occupancy", {
    "ZONES": SAMPLE + "|layername=zones", "PARCELS": SAMPLE + "|layername=parcels",
    "BUILDINGS": SAMPLE + "|layername=buildings", "ZONE_ID": "zone_id",
    "PARCEL_ID": "parcel_id", "OUTPUT": "TEMPORARY_OUTPUT"})
temporary_folder = temporary.get("OUTPUT") or "(none)"
check(os.path.isfile(os.path.join(temporary_folder, "run.json"))
      and temporary.get("MANIFEST") == os.path.join(temporary_folder, "run.json")
      and temporary.get("PARCELS", "").startswith(temporary_folder)
      and len(figures_by_id(os.path.join(temporary_folder, "parcels.geojson"),
                            "parcel_id")) == 43,
      "a temporary output folder: the 43 parcels are written where the results point (%s)"
      % temporary_folder)

# spaceuse's "greater than" bounds (QGIS's are inclusive) are checked before running.
registry = QgsApplication.processingRegistry()
occupancy = registry.createAlgorithmById("spaceuse:occupancy")
context = QgsProcessingContext()
form = {"ZONES": SAMPLE + "|layername=zones", "PARCELS": SAMPLE + "|layername=parcels",
        "BUILDINGS": SAMPLE + "|layername=buildings", "OUTPUT": os.path.join(WORK, "unused")}
refused_ok, refused_message = occupancy.checkParameterValues(dict(form, STOREY_HEIGHT=0),
                                                             context)
accepted_ok, _ = occupancy.checkParameterValues(dict(form, STOREY_HEIGHT=3.2), context)
check(not refused_ok and "greater than 0" in refused_message and accepted_ok,
      "a storey height of 0 is refused before running (%r), 3.2 is accepted" % refused_message)

# A database is a PostgreSQL connection stored in QGIS, chosen by name: spaceuse gets its
# connection info without the password on its command line (the password goes by PGPASSWORD),
# and QGIS's log shows the connection's name only.
from qgis.core import QgsProviderRegistry  # noqa: E402

postgres = QgsProviderRegistry.instance().providerMetadata("postgres")
postgres.saveConnection(postgres.createConnection(
    "dbname='planning' host=127.0.0.1 port=1 user='planner' password='s3cr3t-pw' "
    "sslmode=disable", {"saveUsername": True, "savePassword": True}), "spaceuse-test")
run_alg = registry.createAlgorithmById("spaceuse:run")
child_env = {}
run_args = run_alg._arguments({"PROJECT": os.path.join(DATA, "heverlee.toml"),
                               "PUBLISH": "spaceuse-test"}, context, QgsProcessingFeedback(),
                              WORK, {}, child_env)
published = [a for a in run_args if a.startswith("--publish=")]
check(len(published) == 1 and "PG:" in published[0] and "planner" in published[0]
      and "port=1" in published[0] and not any("s3cr3t" in a for a in run_args)
      and child_env.get("PGPASSWORD") == "s3cr3t-pw",
      "a stored connection: %s on the command line, the password in PGPASSWORD"
      % spaceuse_cli.shown_argument(published[0] if published else ""))
check(spaceuse_cli.shown_argument("--publish=PG:host=x pass%77ord=y") ==
      "--publish=PG:(connection string hidden)"
      and spaceuse_cli.shown_argument("postgresql://u:pw@h/db") == "(hidden)"
      and spaceuse_cli.shown_argument("--zones=zones.gpkg") == "--zones=zones.gpkg",
      "connection strings with a password are hidden from the log, other arguments shown")

# A value starting with '-' stays a value (--flag=value).
dash_args = occupancy._arguments(dict(form, PROFILE="-odd name.toml"), context,
                                 QgsProcessingFeedback(), WORK, {"OUTPUT": "out"}, {})
check("--profile=-odd name.toml" in dash_args and "--output=out" in dash_args,
      "values are passed as --flag=value: %s" % dash_args[-3:])


MARK = "spaceuse-qgis-test-%d" % os.getpid()
os.environ["SPACEUSE_TEST_MARK"] = MARK  # children of this test carry it, other runs do not


def spaceuse_processes():
    """Running spaceuse processes started by this test (other tests may run meanwhile)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.path.realpath("/proc/%s/exe" % pid) != os.path.realpath(SPACEUSE):
                continue
            with open("/proc/%s/environ" % pid, "rb") as f:
                if MARK.encode() in f.read():
                    found.append(pid)
        except OSError:
            pass
    return found


# The process check sees a running spaceuse of this test (so that an empty answer means something).
control = subprocess.Popen([SPACEUSE, "--quiet", "run", os.path.join(DATA, "heverlee.toml"), "-o",
                            os.path.join(WORK, "control")], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
time.sleep(0.2)
seen = spaceuse_processes()
control.kill()
control.wait()
check(str(control.pid) in seen, "the process check sees a running spaceuse of this test")


class CancelOnProgress(QgsProcessingFeedback):
    """Cancels as soon as spaceuse reports its first progress."""

    def __init__(self):
        super().__init__()
        self.progress_seen = 0

    def setProgressText(self, text):  # noqa: N802
        self.progress_seen += 1
        if not self.isCanceled():
            self.cancel()


before = spaceuse_processes()
cancel_out = os.path.join(WORK, "qgis-cancelled")
feedback = CancelOnProgress()
started = time.monotonic()
message = ""
try:
    processing.run("spaceuse:run", {"PROJECT": os.path.join(DATA, "heverlee.toml"),
                                    "OUTPUT": cancel_out}, feedback=feedback)
except QgsProcessingException as e:
    message = str(e)
elapsed = time.monotonic() - started
left = [p for p in spaceuse_processes() if p not in before]
# spaceuse's own answer to the SIGTERM: it stopped at its next progress report, rolled its
# output folder back and said so.
check(feedback.progress_seen >= 1 and "cancelled (SIGTERM)" in message
      and "earlier results left as they were" in message,
      "cancelling spaceuse:run after its first progress report: %r (%.1f s)" % (message, elapsed))
check(not left, "no spaceuse process is left after the cancel (%s)" % left)
leftovers = [n for n in os.listdir(WORK) if "qgis-cancelled" in n]
check(not leftovers, "the cancelled run put no results in place and left no staging folder or "
      "lock file: %s" % leftovers)

# A spaceuse speaking another describe format is refused, with the reason.
fake = os.path.join(WORK, "spaceuse-future")
with open(fake, "w", encoding="utf-8") as f:
    f.write("#!/bin/sh\necho '{\"format\": \"spaceuse-describe\", \"format_version\": 99, "
            "\"version\": \"9.0\", \"commands\": []}'\n")
os.chmod(fake, 0o755)
try:
    spaceuse_cli.load_description(fake)
    refused = ""
except spaceuse_cli.DescriptionError as e:
    refused = str(e)
check("format version 99" in refused and "reads version 1" in refused,
      "a spaceuse with describe format 99 is refused: %s" % refused)
check(plugin.provider.canBeActivated() and plugin.provider.warningMessage() == "",
      "the provider activates against this spaceuse")

plugin.unload()
app.exitQgis()
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all QGIS Processing checks passed")
