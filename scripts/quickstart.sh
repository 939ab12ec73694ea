#!/bin/sh
# Installs what is missing, builds spaceuse and runs the bundled Heverlee sample study.
# Outputs go to spaceuse-out/heverlee/ (see data/heverlee.toml), the sample's earlier survey to
# spaceuse-out/heverlee_2021/, the follow-up between the two to spaceuse-out/follow-up/, the
# committee's follow-up report to spaceuse-out/follow-up-report.pdf and the trend to
# spaceuse-out/trend/.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSPACEUSE_BUILD_TESTS=OFF
cmake --build build -j"$(nproc)"
build/cli/spaceuse run
build/cli/spaceuse --quiet run data/heverlee_2021.toml >/dev/null   # the earlier survey
build/cli/spaceuse diff spaceuse-out/heverlee_2021 spaceuse-out/heverlee -o spaceuse-out/follow-up \
    --overwrite --issue-date-field issue_date
build/cli/spaceuse report --results spaceuse-out/heverlee --since spaceuse-out/heverlee_2021 \
    --issue-date-field issue_date -o spaceuse-out/follow-up-report.pdf --overwrite
build/cli/spaceuse trend spaceuse-out/heverlee_2021 spaceuse-out/heverlee -o spaceuse-out/trend \
    --overwrite --issue-date-field issue_date
