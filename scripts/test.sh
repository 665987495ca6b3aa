#!/usr/bin/env bash
# Builds gpuprobe and runs every test: unit, CLI (the real binary on this machine) and GPU tests
# (which skip where no GPU is usable). This is the command CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --test
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
