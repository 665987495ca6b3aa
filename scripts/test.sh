#!/usr/bin/env bash
# Builds gpuprobe with what the tests need and runs every test suite: ctest (unit, CLI of the real
# binary on this machine, GPU tests that skip where no GPU is usable, the emulated kernels, the
# fuzz-corpus replay), the docker/ file checks and the host-side AWS scripts' tests. This is the
# command CI runs (.ci/run). Every suite runs even when an earlier one fails; the closing lines
# list each suite's result, and the exit status is non-zero when any failed.
# Extra arguments go to ctest.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
scripts/build.sh --test || { echo "test.sh: the build failed, no suite ran" >&2; exit 1; }
venv="$(scripts/install-deps.sh --venv-path)"
export PATH="$venv/bin:$PATH"
export BUILD_DIR="${BUILD_DIR:-build}"

log="$(mktemp -d)"
trap 'rm -rf "$log"' EXIT
results=() failed=0
suite() {  # NAME COMMAND...: runs one suite, its output to the terminal, its result kept
  local name="$1" t0 rc
  shift
  echo "== $name: $*" >&2
  t0=$(date +%s)
  "$@" 2>&1 | tee "$log/$name"
  rc=${PIPESTATUS[0]}
  results+=("$(printf '%-7s %-6s %4d s  exit %d' "$name" "$( ((rc)) && echo FAILED || echo ok)" $(($(date +%s) - t0)) "$rc")")
  ((rc)) && failed=$((failed + 1))
  return 0
}

suite ctest ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
suite docker tests/docker/run.sh
suite aws tests/aws/run.sh

echo
echo "== test.sh: every suite"
printf '%s\n' "${results[@]}"
# One closing line over all suites: ctest counts tests, the other two their checks and bats cases.
p=0 f=0 s=0
if read -r fails total < <(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1 \2/p' "$log/ctest" | tail -n1); then
  s=$(grep -c '\*\*\*Skipped' "$log/ctest")  # GPU tests without a GPU: counted apart from the passes
  p=$((total - fails - s)) f=$fails
fi
for n in docker aws; do
  if read -r a b c < <(sed -n 's/^\(aws: \)\{0,1\}\([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\{0,1\}$/\2 \3 \5/p' "$log/$n" | tail -n1); then
    p=$((p + a)) f=$((f + b)) s=$((s + ${c:-0}))
  fi
done
if ((failed && f == 0)); then f=$failed; fi  # a suite that failed before counting still fails the line
echo "total: $p passed, $f failed, $s skipped"
exit $((failed ? 1 : 0))
