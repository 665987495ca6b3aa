#!/usr/bin/env bash
# Builds gpuprobe and runs every test: unit, CLI (the real binary on this machine), GPU tests
# (which skip where no GPU is usable), fuzz-corpus replay, the docker/ checks and the host-side
# AWS scripts' tests. This is the command CI runs (.ci/run). Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --test
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
tests/docker/run.sh
if [[ -x tests/aws/run.sh ]]; then
  tests/aws/run.sh
fi
