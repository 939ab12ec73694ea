#!/usr/bin/env python3
"""`spaceuse serve DIR`, as a browser and an attacker see it: a real server on 127.0.0.1, real
HTTP requests (http.client sends paths as written, without normalising them).

Usage: check_serve.py SPACEUSE WORK_DIR
"""

import concurrent.futures
import gzip
import http.client
import os
import shutil
import signal
import subprocess
import sys
import time

SPACEUSE, WORK = sys.argv[1:3]
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


# A viewer folder: a page, tiles (one gzip-compressed as GDAL writes them by default), a larger
# file for ranges, and what must never be served.
shutil.rmtree(WORK, ignore_errors=True)
root = os.path.join(WORK, "viewer")
os.makedirs(os.path.join(root, "tiles", "13", "4198"))
os.makedirs(os.path.join(root, ".staging"))
os.makedirs(os.path.join(root, "sub"))
os.makedirs(os.path.join(root, "empty"))
page = b"<!doctype html><title>viewer</title>"
with open(os.path.join(root, "viewer.html"), "wb") as f:
    f.write(page)
with open(os.path.join(root, "sub", "index.html"), "wb") as f:
    f.write(b"<p>sub</p>")
tile = bytes(range(256)) * 40
with open(os.path.join(root, "tiles", "13", "4198", "2739.pbf"), "wb") as f:
    f.write(tile)
with open(os.path.join(root, "tiles", "13", "4198", "2740.pbf"), "wb") as f:
    f.write(gzip.compress(tile))
big = os.urandom(300000)
with open(os.path.join(root, "big.bin"), "wb") as f:
    f.write(big)
with open(os.path.join(root, "style.json"), "wb") as f:
    f.write(b'{"version": 8}')
with open(os.path.join(root, ".staging", "secret.txt"), "wb") as f:
    f.write(b"hidden")
with open(os.path.join(WORK, "secret.txt"), "wb") as f:
    f.write(b"outside")
os.symlink(os.path.join(WORK, "secret.txt"), os.path.join(root, "out.txt"))
os.symlink(WORK, os.path.join(root, "up"))

server = subprocess.Popen([SPACEUSE, "serve", root, "--port", "0"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
try:
    first = server.stdout.readline().strip()
    second = server.stdout.readline().strip()
    print(first)
    print(second)
    url = first.rsplit(" at ", 1)[-1]
    check(first.startswith("serving " + os.path.realpath(root) + " at http://127.0.0.1:")
          and url.endswith("/"),
          "binds 127.0.0.1 by default and says where: %r" % first)
    check(second == "open %sviewer.html in a browser; Ctrl-C stops" % url,
          "points the browser at the folder's viewer page: %r" % second)
    host, port = url[len("http://"):].rstrip("/").split(":")

    def request(method, path, headers=None):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request(method, path, headers=headers or {})
            res = conn.getresponse()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
        finally:
            conn.close()

    status, headers, body = request("GET", "/viewer.html")
    check(status == 200 and body == page
          and headers.get("content-type") == "text/html; charset=utf-8"
          and headers.get("cache-control") == "no-cache" and headers.get("etag"),
          "a page: 200, its bytes, text/html, revalidated (no-cache, ETag)")
    status, _, _ = request("GET", "/viewer.html", {"If-None-Match": headers.get("etag", "")})
    check(status == 304, "the same ETag again: 304 Not Modified (got %d)" % status)
    status, headers, body = request("GET", "/tiles/13/4198/2739.pbf")
    check(status == 200 and body == tile and headers.get("content-type") ==
          "application/x-protobuf" and "content-encoding" not in headers
          and "max-age=3600" in headers.get("cache-control", ""),
          "a tile: 200, its bytes, application/x-protobuf, kept an hour")
    status, headers, body = request("GET", "/tiles/13/4198/2740.pbf")
    check(status == 200 and headers.get("content-encoding") == "gzip"
          and gzip.decompress(body) == tile,
          "a gzip-compressed tile is sent as it is, with Content-Encoding: gzip")
    status, headers, body = request("GET", "/big.bin", {"Range": "bytes=1000-1999"})
    check(status == 206 and body == big[1000:2000]
          and headers.get("content-range") == "bytes 1000-1999/300000",
          "Range: bytes=1000-1999 gives 206 and those 1000 bytes (%s)"
          % headers.get("content-range"))
    status, headers, body = request("GET", "/big.bin", {"Range": "bytes=-500"})
    check(status == 206 and body == big[-500:], "Range: bytes=-500 gives the last 500 bytes")
    status, headers, body = request("GET", "/big.bin")
    check(status == 200 and body == big and headers.get("content-length") == "300000",
          "a whole 300 kB file, byte for byte")
    status, headers, body = request("HEAD", "/big.bin")
    check(status == 200 and body == b"" and headers.get("content-length") == "300000",
          "HEAD: the length, no body")
    status, _, body = request("GET", "/sub/")
    check(status == 200 and body == b"<p>sub</p>", "a folder with an index.html serves it")
    status, headers, body = request("GET", "/style.json")
    check(status == 200 and headers.get("content-type") == "application/json",
          "style.json as application/json")

    refused = {}
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/etc/passwd",
                 "/tiles/..%2f..%2fsecret.txt", "/..%5csecret.txt", "/etc/passwd",
                 "//etc/passwd", "/" + os.path.join(WORK, "secret.txt").lstrip("/"),
                 "/out.txt", "/up/secret.txt", "/.staging/secret.txt", "/%2estaging/secret.txt",
                 "/", "/empty/", "/tiles/", "/missing.pbf", "/viewer.html%00.png"):
        status, _, body = request("GET", path)
        refused[path] = status
        if status not in (400, 403, 404) or b"outside" in body or b"hidden" in body \
                or b"root:" in body:
            print("served %s: %d %r" % (path, status, body[:60]))
    check(all(s in (400, 403, 404) for s in refused.values()),
          "traversal, encoded traversal, absolute paths, links leading out, hidden folders and "
          "listings are refused: %s" % sorted(set(refused.values())))
    status, headers, _ = request("POST", "/viewer.html")
    check(status == 405 and headers.get("allow") == "GET, HEAD", "POST: 405, Allow: GET, HEAD")
    status, _, _ = request("GET", "/viewer.html", {"X-Long": "a" * 20000})
    check(status in (400, 413, 431) or status >= 400,
          "a 20 kB header is refused (%d)" % status)

    # 200 clients at once, each on its own connection.
    paths = ["/tiles/13/4198/2739.pbf", "/big.bin", "/viewer.html", "/style.json"]
    expected = {"/tiles/13/4198/2739.pbf": tile, "/big.bin": big, "/viewer.html": page,
                "/style.json": b'{"version": 8}'}
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(lambda i: (paths[i % 4], request("GET", paths[i % 4])),
                                range(200)))
    elapsed = time.monotonic() - started
    good = sum(1 for path, (status, _, body) in answers
               if status == 200 and body == expected[path])
    check(good == 200, "200 concurrent requests: %d answered right (%.2f s)" % (good, elapsed))

    server.send_signal(signal.SIGINT)
    try:
        code = server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        code = None
    err = server.stderr.read()
    check(code == 0 and "spaceuse serve: stopped" in err,
          "Ctrl-C stops it cleanly: exit %s, %r" % (code, err.strip()[-80:]))
finally:
    if server.poll() is None:
        server.kill()
        server.wait()

busy = subprocess.run([SPACEUSE, "serve", os.path.join(WORK, "nope")], capture_output=True,
                      text=True, timeout=30)
check(busy.returncode == 3 and busy.stderr.strip().startswith("spaceuse: error: ")
      and "nope: not a folder" in busy.stderr and len(busy.stderr.strip().splitlines()) == 1,
      "a missing folder: exit 3 and one line: %r" % busy.stderr.strip())

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("serve checks passed")
