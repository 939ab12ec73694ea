"""A private PostgreSQL 15 + PostGIS cluster for the tests: initdb in a temporary folder,
listening on 127.0.0.1 on a free port (no Unix socket), password authentication, stopped by its
pid when the test ends (also on failure: use it as a context manager)."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = "/usr/lib/postgresql/15/bin"
POSTGIS_CONTROL = "/usr/share/postgresql/15/extension/postgis.control"


def missing():
    """Why a cluster cannot start here, or None."""
    if not os.path.exists(BIN + "/initdb"):
        return "PostgreSQL 15 is not installed (scripts/setup.sh --tests installs it)"
    if not os.path.exists(POSTGIS_CONTROL):
        return "PostGIS 3 is not installed (scripts/setup.sh --tests installs postgresql-15-postgis-3)"
    return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Cluster:
    def __init__(self, superuser_password):
        self.dir = tempfile.mkdtemp(prefix="spaceuse-test-pg-")
        self.port = free_port()
        self.password = superuser_password
        self.proc = None
        self.log = None

    def as_postgres(self, cmd):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + cmd
        return cmd

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        data = os.path.join(self.dir, "data")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            shutil.chown(pwfile, "postgres")
        subprocess.run(self.as_postgres([BIN + "/initdb", "-D", data, "-A", "scram-sha-256",
                                         "-U", "postgres", "--pwfile", pwfile, "-E", "UTF8",
                                         "--locale", "C"]),
                       check=True, capture_output=True)
        os.remove(pwfile)
        settings = ["listen_addresses=127.0.0.1", "port=%d" % self.port,
                    "unix_socket_directories=", "fsync=off", "synchronous_commit=off",
                    "full_page_writes=off", "shared_buffers=128MB"]
        cmd = [BIN + "/postgres", "-D", data]
        for s in settings:
            cmd += ["-c", s]
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(self.as_postgres(cmd), stdout=self.log, stderr=self.log)
        for _ in range(150):
            r = subprocess.run([BIN + "/pg_isready", "-h", "127.0.0.1", "-p", str(self.port)],
                               capture_output=True)
            if r.returncode == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not start (see %s/server.log)" % self.dir)

    def conninfo(self, dbname, user="postgres", password=None):
        pw = self.password if password is None and user == "postgres" else password
        s = "host=127.0.0.1 port=%d dbname=%s user=%s" % (self.port, dbname, user)
        if pw:
            s += " password='%s'" % pw.replace("\\", "\\\\").replace("'", "\\'")
        return s

    def psql(self, sql, dbname="postgres", user="postgres", password=None, check=True):
        """Runs SQL; returns the rows as lists of strings (unaligned, '|' separated)."""
        env = dict(os.environ)
        env["PGPASSWORD"] = self.password if password is None and user == "postgres" else (password or "")
        r = subprocess.run([BIN + "/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", user,
                            "-d", dbname, "-v", "ON_ERROR_STOP=1", "-q", "-X", "-At", "-F", "|",
                            "-c", sql], capture_output=True, text=True, env=env)
        if check and r.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql, r.stderr))
        return [line.split("|") for line in r.stdout.splitlines()]

    def stop(self):
        if self.proc is not None:
            # SIGINT to the postmaster (its pid from postmaster.pid; runuser does not pass
            # signals on) is PostgreSQL's fast shutdown.
            try:
                with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
                    os.kill(int(f.readline()), signal.SIGINT)
            except (OSError, ValueError):
                self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None
        shutil.rmtree(self.dir, ignore_errors=True)
