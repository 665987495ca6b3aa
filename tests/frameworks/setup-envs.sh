#!/usr/bin/env bash
# The ctest fixture of the frameworks tests: make-envs.sh into $GPUPROBE_FRAMEWORK_ENVS, or into
# DEFAULT (the build folder's framework-envs) when that is unset. Exits 77 (ctest's skip) where
# `python3 -m venv` cannot work, unless GPUPROBE_REQUIRE_FRAMEWORKS=1 makes that a failure.
#
#   setup-envs.sh DEFAULT
set -euo pipefail
dest="${GPUPROBE_FRAMEWORK_ENVS:-${1:?usage: setup-envs.sh DEFAULT}}"
if ! err="$(python3 -c 'import venv, ensurepip' 2>&1)"; then
  why="python3 -m venv is not usable here (scripts/install-deps.sh --test installs python3-venv): ${err##*$'\n'}"
  if [[ "${GPUPROBE_REQUIRE_FRAMEWORKS:-0}" == "1" ]]; then
    echo "setup-envs.sh: $why" >&2
    exit 1
  fi
  echo "setup-envs.sh: SKIP: $why (GPUPROBE_REQUIRE_FRAMEWORKS=1 makes this a failure)" >&2
  exit 77
fi
exec "$(dirname "$0")/make-envs.sh" "$dest"
