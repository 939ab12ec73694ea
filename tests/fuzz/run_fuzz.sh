#!/bin/sh
# Runs one libFuzzer harness: every input of its committed corpus first (a crash there is a
# regression), then fuzzing for SECONDS. New interesting inputs go to WORK/corpus, a crash to
# WORK/artifacts/ (its path is printed). Exits non-zero on any crash, leak or timeout.
#   run_fuzz.sh HARNESS SEED_CORPUS WORK SECONDS [libFuzzer options...]
# SPACEUSE_FUZZ_SEED sets the random seed (default 1, so a test run is repeatable).
set -eu
harness=$1
seeds=$2
work=$3
seconds=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/corpus" "$work/artifacts"
# Leaks inside GDAL/PROJ/GEOS's own one-time caches are theirs, not ours.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$here/../lsan.supp:print_suppressions=0}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$harness" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 \
    -seed="${SPACEUSE_FUZZ_SEED:-1}" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$@" "$work/corpus" "$seeds"
