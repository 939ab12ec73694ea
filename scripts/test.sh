#!/bin/sh
# Installs what is missing, builds spaceuse with warnings as errors and runs the whole test
# suite; then builds again with Clang, AddressSanitizer + UndefinedBehaviorSanitizer and the
# libFuzzer harnesses (build-asan/, scripts/build-sanitized.sh) and runs the suite there, the
# bounded fuzzing runs included. Exits non-zero on any failure.
#   scripts/test.sh             both builds
#   SPACEUSE_NO_SANITIZE=1 scripts/test.sh   skip the sanitizer build (quick local runs)
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
jobs="$(nproc)"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSPACEUSE_BUILD_TESTS=ON -DSPACEUSE_WERROR=ON
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${SPACEUSE_NO_SANITIZE:-0}" != 1 ]; then
    scripts/build-sanitized.sh
    # Leaks inside GDAL/PROJ/GEOS's own one-time caches are theirs, not ours.
    export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    # Left to the release pass, as they check no memory of ours: the fault tests (kill -9 at
    # random moments, a full disk: the output folder's swap), the source formatting, the
    # out-of-tree plugin build, and the contract tests that repeat whole runs of the sample
    # through code the other sample runs here already cover: the fields each metric declares,
    # the follow-up with --recompute (and the test reading its output), a reopened copy of the
    # sample, the same results on 1, 2 and 8 threads and from run to run, the progress contract,
    # and variants of documents drawn here once already (A3 report, SVG map, the pixel colours
    # of zone and change maps, many far-apart zones; the documents of a whole run and the
    # unknown-zone map error, each a whole sample run again; the tiled viewer of the 100,000-parcel
    # region and the one GDAL is made to lose features in, whose code the sample's tiled viewer
    # runs here): together about twenty-five minutes of test
    # time under the sanitizers. Only this pass runs the fuzz_* tests: each replays its corpus,
    # then fuzzes for SPACEUSE_FUZZ_SECONDS (tests/fuzz/CMakeLists.txt). cli_postgis runs its
    # database paths here and leaves the documents and whole runs to the release pass.
    skip="^kill -9 at any moment|^format$|^cli_install_example_plugin$"
    skip="$skip|^cli_faults_disk_full_read_only$|^every metric writes exactly the fields it declares"
    skip="$skip|^cli_diff_sample$|^cli_diff_same_date$|^cli_results_reopen$"
    skip="$skip|^access results are identical for 1, 2 and 8|^exports_sample_one_thread$"
    skip="$skip|^report and map PDFs are the same bytes|^progress runs once from 0 to 100"
    skip="$skip|^cli_report_a3_landscape$|^cli_map_svg$|^change map of a zone: the pixel"
    skip="$skip|^zone maps: the pixel at each|^overview map of many zones far apart"
    skip="$skip|^cli_run_sample_documents$|^cli_map_bad_zone$|^cli_view_tiled_region$|^cli_view_tiled_loss$"
    (cd build-asan && ctest --output-on-failure -j"$jobs" -E "$skip")
fi
