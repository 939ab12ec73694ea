#!/bin/sh
# Installs what is missing, builds spaceuse and runs the bundled Heverlee sample study.
# Outputs go to spaceuse-out/heverlee/ (see data/heverlee.toml).
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSPACEUSE_BUILD_TESTS=OFF
cmake --build build -j"$(nproc)"
build/cli/spaceuse run
