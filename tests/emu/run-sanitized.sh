#!/usr/bin/env bash
# Builds the emulation tests of tests/emu (the kernels of kernels/src run on the CPU by the GPU
# test files) with AddressSanitizer + UndefinedBehaviorSanitizer and, separately, with
# ThreadSanitizer, runs every case, and exits 1 on any failure or sanitizer report.
# NOT run by CI (scripts/test.sh, .ci/run): it takes a few minutes on two cores. Run it after
# changing kernels/src/*.cu or the emulator.
#   tests/emu/run-sanitized.sh [asan|tsan]...      default: asan tsan
# Build folders: build-emu-asan/ and build-emu-tsan/ (standalone project tests/emu, so only the
# emulation tests are built). Logs: build-emu-*/sanitized.log.
# Needs: g++ with libasan, libubsan and libtsan, CMake >= 3.25, GoogleTest, the CUDA headers
# (toolkit in /usr/local/cuda or on PATH); no GPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/cuda/bin"

kinds=("$@")
[[ ${#kinds[@]} -gt 0 ]] || kinds=(asan tsan)

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
jobs="$(nproc)"

# ASan/UBSan/TSan stop at the first report; any later report text in the log fails the run too.
export ASAN_OPTIONS="abort_on_error=1:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
reports='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer|ThreadSanitizer:|cuda_emu: '

status=0
for kind in "${kinds[@]}"; do
  case "$kind" in
    asan) flags="-fsanitize=address,undefined -fno-sanitize-recover=all" ;;
    tsan) flags="-fsanitize=thread" ;;
    *) echo "usage: $0 [asan|tsan]..." >&2; exit 2 ;;
  esac
  dir="build-emu-$kind"
  log="$dir/sanitized.log"
  t0=$(date +%s)
  echo "== $kind: building $dir" >&2
  cmake -S tests/emu -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="$flags -fno-omit-frame-pointer" >/dev/null
  cmake --build "$dir" -j "$jobs" >/dev/null
  echo "== $kind: running (built in $(( $(date +%s) - t0 )) s)" >&2
  t1=$(date +%s)
  rc=0
  ctest --test-dir "$dir" -j "$jobs" --output-on-failure --output-log "$log" >/dev/null || rc=$?
  grep -E "tests passed|tests failed|Total Test time" "$log" >&2 || true
  if [[ $rc -ne 0 ]] || grep -qE "$reports" "$log"; then
    echo "== $kind: FAILED (ctest exit $rc); reports and failures:" >&2
    grep -E -A12 "$reports|\\*\\*\\*Failed|Exception|Timeout" "$log" | head -200 >&2 || true
    status=1
  else
    echo "== $kind: clean, tests ran in $(( $(date +%s) - t1 )) s" >&2
  fi
done
exit "$status"
