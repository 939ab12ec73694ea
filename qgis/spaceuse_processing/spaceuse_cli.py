"""What the provider knows of the spaceuse program: where it is, its description
(`spaceuse describe --json`) and its JSON-lines messages (`--progress-format jsonl`).

No QGIS import here: the same code serves the provider and its tests.
"""

import json
import os
import queue
import signal
import re
import shutil
import subprocess
import threading
import time
import urllib.parse

# The `spaceuse describe --json` format versions this plugin understands. A spaceuse that
# writes another one is refused with the reason, not half understood.
SUPPORTED_FORMAT_VERSIONS = (1,)

# Settings key (QgsSettings) and environment variable naming the program.
SETTINGS_KEY = "spaceuse/executable"
ENV_VARIABLE = "SPACEUSE_EXECUTABLE"


class DescriptionError(Exception):
    """spaceuse cannot be used: not found, failed, or a description this plugin cannot read."""


def find_executable(configured=None):
    """The spaceuse program: $SPACEUSE_EXECUTABLE, then the configured path, then the one
    installed beside the plugin (<prefix>/bin/spaceuse for <prefix>/share/qgis/python/plugins),
    then PATH. None when there is none."""
    candidates = [os.environ.get(ENV_VARIABLE), configured]
    here = os.path.dirname(os.path.abspath(__file__))
    candidates.append(os.path.normpath(os.path.join(here, "..", "..", "..", "..", "..", "bin",
                                                    "spaceuse")))
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return shutil.which("spaceuse")


def load_description(executable, timeout=60):
    """Runs `spaceuse describe --json` and checks its format; raises DescriptionError."""
    if not executable:
        raise DescriptionError(
            "the spaceuse program was not found: install it, put it on PATH, or set %s "
            "(or the QGIS setting %s) to its path" % (ENV_VARIABLE, SETTINGS_KEY))
    try:
        done = subprocess.run([executable, "describe", "--json"], capture_output=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DescriptionError("%s describe --json could not run: %s" % (executable, e)) from e
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DescriptionError(
            "%s describe --json failed (exit code %d)%s: this spaceuse is older than the "
            "plugin needs (it has no 'describe' command) or broken"
            % (executable, done.returncode, ": " + detail[-1] if detail else ""))
    return check_description(json.loads(done.stdout.decode("utf-8")), executable)


def check_description(description, executable="spaceuse"):
    if not isinstance(description, dict) or description.get("format") != "spaceuse-describe":
        raise DescriptionError("%s describe --json did not print a spaceuse description"
                               % executable)
    version = description.get("format_version")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        raise DescriptionError(
            "%s (spaceuse %s) describes its commands in format version %s; this plugin reads "
            "version%s %s: update the plugin (or spaceuse) so that they match"
            % (executable, description.get("version", "?"), version,
               "s" if len(SUPPORTED_FORMAT_VERSIONS) > 1 else "",
               ", ".join(str(v) for v in SUPPORTED_FORMAT_VERSIONS)))
    return description


def shown_argument(argument):
    """`argument` as the log may show it: a database reference that could hold a password
    (libpq's key=value or URI forms, quoted or percent-encoded keys included) is shown as
    PG:(connection string hidden); `--flag=value` keeps its flag."""
    flag, equals, value = (argument.partition("=") if argument.startswith("--")
                           else ("", "", argument))
    lowered = urllib.parse.unquote(value).lower()
    if "password" in lowered or re.search(r"postgres(ql)?://[^@/]*:[^@/]*@", lowered):
        hidden = ("PG:(connection string hidden)" if lowered.startswith("pg:") else "(hidden)")
        return flag + equals + hidden
    return argument


def parse_message_line(line):
    """One stderr line of `spaceuse --progress-format jsonl`: a dict with a "type", or a
    {"type": "text"} dict for anything else (a line from a library, say)."""
    line = line.strip()
    if not line:
        return None
    if line.startswith("{"):
        try:
            event = json.loads(line)
            if isinstance(event, dict) and "type" in event:
                return event
        except ValueError:
            pass
    return {"type": "text", "message": line}


class LineSplitter:
    """Turns chunks of bytes (as a process hands them over) into whole lines."""

    def __init__(self, on_line):
        self._on_line = on_line
        self._pending = b""

    def feed(self, chunk):
        self._pending += bytes(chunk)
        while b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
            self._on_line(line.decode("utf-8", "replace"))

    def close(self):
        if self._pending:
            self._on_line(self._pending.decode("utf-8", "replace"))
            self._pending = b""


def run_process(argv, on_stderr_line, on_stdout_line, is_cancelled, poll_seconds=0.1,
                env=None, on_started=None):
    """Runs spaceuse, handing each line of its stderr and stdout to the callbacks in the
    calling thread (QGIS's feedback lives there), and stops it when `is_cancelled()` turns
    true: SIGTERM (spaceuse then rolls its outputs back and reports "cancelled"), SIGKILL if
    it is still running 5 s later. `env`: the child's environment (None: this one's);
    `on_started(process)` is called once it runs. Returns the exit code (negative: a signal).

    QgsBlockingProcess would be QGIS's own tool for this, but in QGIS 3.22 its output
    handlers run on its process thread without Python's lock, which crashes a Python
    handler; hence Python's subprocess, read by two threads into one queue."""
    lines = queue.Queue()

    def pump(stream, handler):
        splitter = LineSplitter(lambda line: lines.put((handler, line)))
        for chunk in iter(lambda: stream.read1(65536), b""):
            splitter.feed(chunk)
        splitter.close()
        lines.put((None, None))

    process = None
    readers = []
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env)
        if on_started is not None:
            on_started(process)
        readers = [threading.Thread(target=pump, args=(process.stderr, on_stderr_line),
                                    daemon=True),
                   threading.Thread(target=pump, args=(process.stdout, on_stdout_line),
                                    daemon=True)]
        for r in readers:
            r.start()
        open_streams = len(readers)
        stopped_at = None
        killed = False
        while open_streams > 0 or process.poll() is None:
            if stopped_at is None and is_cancelled():
                process.send_signal(signal.SIGTERM)
                stopped_at = time.monotonic()
            if not killed and stopped_at is not None and process.poll() is None and \
                    time.monotonic() - stopped_at > 5:
                process.kill()
                killed = True
            try:
                handler, line = lines.get(timeout=poll_seconds)
            except queue.Empty:
                continue
            if handler is None:
                open_streams -= 1
            else:
                handler(line)
    finally:
        if process is not None:
            if process.poll() is None:  # an exception in a handler: never leave spaceuse behind
                process.kill()
            process.wait()
            for r in readers:
                r.join(timeout=5)
            process.stdout.close()
            process.stderr.close()
    return process.returncode
