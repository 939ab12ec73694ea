#!/bin/sh
# Configures and builds build-asan/: Clang 14 at -O1 (line tables only: the sanitizers' reports
# name file and line, and the build is faster than with full debug information) with AddressSanitizer and
# UndefinedBehaviorSanitizer, the test suite and the libFuzzer harnesses (tests/fuzz/).
# Used by scripts/test.sh (its second pass) and scripts/fuzz.sh.
#   scripts/build-sanitized.sh [extra cmake -D options...]
set -eu
cd "$(dirname "$0")/.."
jobs="$(nproc)"
CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-gline-tables-only -O1" -DSPACEUSE_BUILD_TESTS=ON -DSPACEUSE_WERROR=ON \
    -DSPACEUSE_SANITIZE=ON -DSPACEUSE_FUZZ=ON "$@"
cmake --build build-asan -j"$jobs"
