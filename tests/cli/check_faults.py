#!/usr/bin/python3
"""Faults around the output folder of `spaceuse run` on the bundled sample:

    check_faults.py SPACEUSE_BINARY PROJECT.toml WORK_DIR

- disk full: the earlier results lie on a small file system (a 64 MiB tmpfs when this runs as
  root and may mount; else the file size limit, RLIMIT_FSIZE, with SIGXFSZ ignored so that a
  write fails with EFBIG, as on a full disk); a run that fills it stops with one error line and
  a non-zero exit code, the earlier results stay byte for byte, nothing is left beside them, and
  a run with room again completes;
- read-only output folder: the parent folder cannot be written by the user running spaceuse
  (run as the unprivileged user 'nobody' when this runs as root, since root ignores permission
  bits); one error line, non-zero exit, nothing written.

SPACEUSE_FAULTS_NO_MOUNT=1 takes the RLIMIT_FSIZE way even as root.

Exit 0 when every check passes, 1 otherwise.
"""

import hashlib
import os
import pathlib
import resource
import shutil
import signal
import subprocess
import sys


def contents(folder):
    """{relative path: sha256} of every file under folder."""
    out = {}
    for p in sorted(pathlib.Path(folder).rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def one_error_line(err):
    lines = [l for l in err.splitlines() if l.strip()]
    return len(lines) == 1 and lines[0].startswith("spaceuse: error:")


failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def disk_full(binary, project, work):
    base = work / "disk"
    if base.exists():
        subprocess.run(["umount", str(base)], capture_output=True)
        shutil.rmtree(base)
    base.mkdir(parents=True)
    mounted = False
    if os.geteuid() == 0 and os.environ.get("SPACEUSE_FAULTS_NO_MOUNT") != "1":
        mounted = run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(base)]).returncode == 0
    try:
        out = base / "results"
        cmd = [binary, "--quiet", "run", project, "-o", str(out)]
        first = run(cmd + ["--no-styles"])
        check(first.returncode == 0, f"disk full: the first run completes ({first.stderr.strip()})")
        before = contents(out)
        used = sum((out / f).stat().st_size for f in before)
        if mounted:
            how = "64 MiB tmpfs"
            # Fill the file system but for a tenth of what the results take.
            st = os.statvfs(base)
            free = st.f_bavail * st.f_frsize
            filler = base / "filler"
            with open(filler, "wb") as f:
                f.write(b"\0" * max(0, free - used // 10))
            second = run(cmd + ["--overwrite"])
        else:
            how = "RLIMIT_FSIZE"
            limit = max(4096, used // 10)

            def limit_files():
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

            second = run(cmd + ["--overwrite"], preexec_fn=limit_files)
        check(second.returncode not in (0,) and second.returncode > 0,
              f"disk full ({how}): the run stops with a non-zero exit code (rc={second.returncode})")
        check(one_error_line(second.stderr),
              f"disk full ({how}): one error line: {second.stderr.strip()!r}")
        check(contents(out) == before, f"disk full ({how}): the earlier results stay byte for byte")
        left = sorted(p.name for p in base.iterdir() if p.name not in ("results", "filler"))
        check(not left, f"disk full ({how}): nothing left beside the results ({left})")
        if mounted:
            (base / "filler").unlink()
        third = run(cmd + ["--overwrite"])
        check(third.returncode == 0 and contents(out) != before,
              f"disk full ({how}): with room again the next run completes (rc={third.returncode} "
              f"{third.stderr.strip()})")
    finally:
        if mounted:
            subprocess.run(["umount", str(base)], capture_output=True)


def read_only(binary, project, work):
    parent = work / "readonly"
    if parent.exists():
        os.chmod(parent, 0o755)
        shutil.rmtree(parent)
    parent.mkdir(parents=True)
    os.chmod(parent, 0o555)
    cmd = [binary, "--quiet", "run", project, "-o", str(parent / "results")]
    preexec = None
    who = "this user"
    if os.geteuid() == 0:
        who = "user nobody"

        def preexec():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
    env = dict(os.environ, HOME=str(work))
    r = run(cmd, preexec_fn=preexec, env=env, cwd="/")
    check(r.returncode > 0, f"read-only folder ({who}): non-zero exit code (rc={r.returncode})")
    check(one_error_line(r.stderr), f"read-only folder ({who}): one error line: {r.stderr.strip()!r}")
    check(list(parent.iterdir()) == [], f"read-only folder ({who}): nothing written")
    os.chmod(parent, 0o755)


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    binary, project, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    disk_full(binary, project, work)
    read_only(binary, project, work)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
