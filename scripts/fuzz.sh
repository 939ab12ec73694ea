#!/bin/sh
# Fuzzes spaceuse for longer than the test suite does: builds build-asan/ (Clang, ASan, UBSan,
# the libFuzzer harnesses of tests/fuzz/) and runs each harness for SECONDS (default 600), as
# many at a time as there are cores, from a random seed. New inputs are kept in
# build-asan/tests/fuzz/work/<harness>/corpus; a crash is written to .../artifacts/ and named
# in the summary, and the script exits non-zero.
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
#   scripts/fuzz.sh --corpus [HARNESS...]   rebuild the committed seed corpus (make_corpus.py)
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup.sh --tests
scripts/build-sanitized.sh >/dev/null
all="project profile speed_table scenario definition snapshot geometry layer_geojson
     layer_shapefile layer_gpkg"
if [ "${1:-}" = "--corpus" ]; then
    shift
    exec python3 tests/fuzz/make_corpus.py build-asan "${SPACEUSE_SHARED_DATA:-$root/../shared/data}" "$@"
fi
seconds=600
case "${1:-}" in
    ''|*[!0-9]*) ;;
    *) seconds=$1; shift ;;
esac
harnesses=${*:-$all}
logs=build-asan/tests/fuzz/logs
mkdir -p "$logs"
echo "fuzzing $(echo $harnesses | wc -w) harnesses for ${seconds} s each, $(nproc) at a time"
status=0
echo $harnesses | tr ' ' '\n' | xargs -P "$(nproc)" -I{} sh -c \
    'SPACEUSE_FUZZ_SEED=0 tests/fuzz/run_fuzz.sh build-asan/tests/fuzz/fuzz_{} \
         tests/fuzz/corpus/{} build-asan/tests/fuzz/work/{} '"$seconds"' > '"$logs"'/{}.log 2>&1' \
    || status=1
printf '%-16s %10s %8s %8s %8s  %s\n' harness executions exec/s cov corpus result
for h in $harnesses; do
    log=$logs/$h.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(ls build-asan/tests/fuzz/work/$h/corpus | wc -l)
    crash=$(ls build-asan/tests/fuzz/work/$h/artifacts 2>/dev/null | head -1)
    result=ok
    if [ -n "$crash" ] || ! grep -q '^Done\|DONE' "$log"; then
        result="FAILED: ${crash:-see $log}"
        status=1
    fi
    printf '%-16s %10s %8s %8s %8s  %s\n' "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$corp" "$result"
done
exit $status
