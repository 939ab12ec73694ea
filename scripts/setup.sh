#!/bin/sh
# Installs the Debian bookworm packages spaceuse needs (idempotent, non-interactive).
#   scripts/setup.sh            build dependencies
#   scripts/setup.sh --tests    build dependencies plus what the test suite uses
#   scripts/setup.sh --bench    also the benchmark's peers (PostGIS, pgRouting, GeoPandas,
#                               networkx) for tests/benchmark/bench.py --peers
set -eu

want_tests=0
want_bench=0
for arg in "$@"; do
    case "$arg" in
        --tests) want_tests=1 ;;
        --bench) want_bench=1 ;;
        *) echo "setup.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

pkgs="build-essential cmake pkg-config ca-certificates
      libgdal-dev gdal-bin libgeos-dev libproj-dev proj-bin proj-data
      libboost-dev libssl-dev libtbb-dev catch2 libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
      libcairo2-dev fonts-dejavu-core libpq-dev libcpp-httplib-dev libjemalloc-dev"
# The build fetches Leaflet (HTML viewer) with npm; a Node.js that bundles npm is fine too.
if ! command -v npm >/dev/null 2>&1; then
    pkgs="$pkgs nodejs npm"
fi
if [ "$want_tests" = 1 ]; then
    # QGIS (headless) checks the exported layers and their styles; python3-gdal the benchmark;
    # clang-format the C++ formatting (scripts/check-format.sh); osmium-tool the real cases
    # (tests/realcases/: sorts and clips OSM files for GDAL's OSM driver); clang-14 with its
    # runtimes the sanitizer build and the libFuzzer harnesses (tests/fuzz/); PostgreSQL 15 with
    # PostGIS the publish and read-back tests (a private cluster, tests/cli/check_postgis.py);
    # qgis (for qgis_process) the Processing provider's tests (tests/qgis/check_processing.py);
    # python3-websocket drives Chromium over the DevTools protocol (tests/cli/cdp.py).
    pkgs="$pkgs python3 python3-gdal python3-qgis qgis-providers qgis poppler-utils chromium
          python3-websocket
          clang-format osmium-tool clang-14 libclang-rt-14-dev postgresql-15-postgis-3"
fi
if [ "$want_bench" = 1 ]; then
    pkgs="$pkgs python3 python3-gdal time postgresql-15-postgis-3 postgresql-15-pgrouting
          python3-geopandas python3-rtree python3-networkx python3-scipy"
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup.sh: missing packages:$missing (run as root to install them)" >&2
        exit 1
    fi
    echo "setup.sh: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
fi
