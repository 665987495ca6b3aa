#!/usr/bin/env bash
# Every GPU path of gpuprobe in one call on a GPU machine; outputs under $OUT.
#
#   scripts/device-run.sh bundle   here (no GPU needed): build with a static C++ runtime for the
#                                  GPU machine and stage the binaries in device-bundle/
#   scripts/device-run.sh run      on the GPU machine: run gpuprobe check (cold and warm, timed),
#                                  the GPU tests and the unit tests; write logs, JSON, JUnit to $OUT
#
# With the device tool: run `scripts/device-run.sh bundle` here, then
#   run(command="scripts/device-run.sh run", carry=["device-bundle"], timeout_s=300)
# If the carried binaries do not start there, `run` rebuilds from source on the device.
# Results go into docs/results/ by hand (GPU, driver, date, numbers): see docs/results/README.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUNDLE=device-bundle
ARCHS="${CUDA_ARCHITECTURES:-75-real;80-real;86-real;89-real;90}"

bundle() {
  local b=build-device
  cmake -S . -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGPUPROBE_STATIC_RUNTIME=ON \
    "-DCMAKE_CUDA_ARCHITECTURES=$ARCHS" >/dev/null || return 1
  cmake --build "$b" -j "$(nproc)" || return 1
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE"
  cp "$b/gpuprobe" "$b/gpuprobe_gpu_tests" "$b/gpuprobe_unit_tests" "$BUNDLE/"
  du -sh "$BUNDLE"
}

run() {
  OUT="${OUT:-$PWD/out}"
  mkdir -p "$OUT"
  local log="$OUT/summary.txt"
  : >"$log"
  say() { echo "$*" | tee -a "$log"; }
  say "date: $(date -u +%FT%TZ)"
  nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1 && say "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.max,pcie.link.width.max --format=csv,noheader 2>/dev/null | head -1)"
  if ! "$BUNDLE/gpuprobe" version >"$OUT/version.txt" 2>&1; then
    say "carried binaries do not start here ($(head -1 "$OUT/version.txt")): building on the device"
    CUDA_ARCHITECTURES="90" bundle >"$OUT/device-build.txt" 2>&1 || { say "device build failed"; tail -20 "$OUT/device-build.txt"; return 1; }
  fi
  say "gpuprobe: $(head -1 "$OUT/version.txt")"
  # What the binary really holds, beside what it records (the arch check trusts the record).
  if command -v cuobjdump >/dev/null 2>&1; then
    { cuobjdump --list-elf "$BUNDLE/gpuprobe"; cuobjdump --list-ptx "$BUNDLE/gpuprobe"; } >"$OUT/cuobjdump.txt" 2>&1
    say "cuobjdump: $(grep -oE 'sm_[0-9]+[af]?' "$OUT/cuobjdump.txt" | sort -u | tr '\n' ' ')vs recorded $(sed -n 's/^architectures: //p' "$OUT/version.txt")"
  fi

  local t0 t1 rc
  for pass in cold warm noprefetch; do
    t0=$(date +%s.%N)
    GPUPROBE_NO_PREFETCH=$([[ $pass == noprefetch ]] && echo 1) NO_COLOR=1 "$BUNDLE/gpuprobe" check --json "$OUT/check-$pass.json" --junit "$OUT/check-$pass-junit.xml" \
      >"$OUT/check-$pass.txt" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    say "check ($pass): exit $rc, wall $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s"
  done
  NO_COLOR=1 "$BUNDLE/gpuprobe" check --require cublas,cudnn,nvml --expect-gpus 1 --min-cc 7.5 --strict \
    --json "$OUT/check-strict.json" >"$OUT/check-strict.txt" 2>&1
  say "check --require cublas,cudnn,nvml --expect-gpus 1 --strict: exit $?"
  # The watchdog on real hardware: a bound far below what cuInit needs must end in exit 4.
  NO_COLOR=1 "$BUNDLE/gpuprobe" check --timeout-scale 0.001 --json "$OUT/check-watchdog.json" >"$OUT/check-watchdog.txt" 2>&1
  say "check --timeout-scale 0.001 (driver bound 30 ms; expect exit 4 unless cuInit is faster): exit $?"

  "$BUNDLE/gpuprobe_gpu_tests" --gtest_output="xml:$OUT/gpu-tests.xml" >"$OUT/gpu-tests.txt" 2>&1
  say "gpu tests: exit $? — $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$OUT/gpu-tests.txt" | tr '\n' ' ')"
  "$BUNDLE/gpuprobe_unit_tests" --gtest_brief=1 >"$OUT/unit-tests.txt" 2>&1
  say "unit tests: exit $? — $(grep -E '^\[  (PASSED|FAILED) ' "$OUT/unit-tests.txt" | tr '\n' ' ')"

  echo "---- check (warm) ----"
  cat "$OUT/check-warm.txt"
  echo "---- summary ----"
  cat "$log"
}

case "${1:-}" in
  bundle) bundle ;;
  run) run ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
