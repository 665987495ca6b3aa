#!/usr/bin/env bash
# Runs the gpuprobe-aws test suite (bats). Assumes tests/aws/install-deps.sh ran.
# Everything stays on 127.0.0.1: a moto server per .bats file, a throwaway
# OpenSSH server, a real Jupyter server.
#
#   tests/aws/run.sh              all files, two files at a time when GNU parallel exists
#   tests/aws/run.sh up.bats ...  some files
#   GPA_TEST_JOBS=1 tests/aws/run.sh   one at a time
#   GPUPROBE_BIN=/path/gpuprobe   the gpuprobe to run (default build/gpuprobe);
#                                 tests that need it skip when it is missing
#
# Output: TAP, then one closing line "aws: N passed, N failed, N skipped".
# Exit status: non-zero when a test failed or bats could not run.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here" || exit 1

files=()
if [[ $# -gt 0 ]]; then
  for f in "$@"; do files+=("$here/${f##*/}"); done
else
  files=("$here"/*.bats)
fi

jobs=${GPA_TEST_JOBS:-2}
args=(--tap)
if [[ $jobs -gt 1 ]] && command -v parallel >/dev/null; then
  args+=(--jobs "$jobs" --no-parallelize-within-files)
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
bats "${args[@]}" "${files[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))

total=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -n1)
failed=$(grep -c '^not ok ' "$log")
skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$log")
passed=$(($(grep -c '^ok ' "$log") - skipped))
echo "aws: ${total:-0} tests in ${secs}s"
echo "aws: $passed passed, $failed failed, $skipped skipped"
if [[ $rc -eq 0 && $failed -gt 0 ]]; then rc=1; fi
if [[ -z $total || $total -eq 0 ]]; then rc=1; fi
exit "$rc"
