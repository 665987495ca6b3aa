#!/usr/bin/env bash
# Every GPU path of gpuprobe in one call on a GPU machine; outputs under $OUT.
#
#   scripts/device-run.sh bundle   here (no GPU needed): build with a static C++ runtime for the
#                                  GPU machine and stage the binaries in device-bundle/
#   scripts/device-run.sh run      on the GPU machine: run gpuprobe check (cold and warm, timed,
#                                  per-check durations; nvidia-smi -q beside it), the GPU tests
#                                  (probes, kernels, benchmarks), gpuprobe bench --suite smoke and
#                                  standard (timed), the independent cuBLAS timing beside gpuprobe's,
#                                  the GEMM shapes the library reviews flagged, the unit tests, and
#                                  last compute-sanitizer over the kernel tests; logs, JSON, JUnit to
#                                  $OUT, summary.txt written as it goes
#
# With the device tool: run `scripts/device-run.sh bundle` here, then
#   run(command="scripts/device-run.sh run", carry=["device-bundle"], timeout_s=580)
# (about 7 minutes on an H200: check ~10 s, GPU tests ~1 min, smoke <= 30 s, standard <= 3 min,
# sanitizers <= 4 min; ordered so that a run cut short still brings back everything before).
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
  cp "$b/gpuprobe" "$b/gpuprobe_gpu_tests" "$b/gpuprobe_gpu_kernel_tests" "$b/gpuprobe_gpu_bench_tests" \
    "$b/gpuprobe_unit_tests" "$BUNDLE/"
  [[ -x "$b/gpuprobe_cublas_reference" ]] && cp "$b/gpuprobe_cublas_reference" "$BUNDLE/"
  # Google Benchmark is a shared library on Debian/Ubuntu: carry it (LD_LIBRARY_PATH in run()).
  mkdir -p "$BUNDLE/lib"
  ldd "$b/gpuprobe" | awk '/libbenchmark/ {print $3}' | xargs -r -I{} cp -L {} "$BUNDLE/lib/"
  du -sh "$BUNDLE"
}

run() {
  OUT="${OUT:-$PWD/out}"
  mkdir -p "$OUT"
  local log="$OUT/summary.txt"
  : >"$log"
  say() { echo "$*" | tee -a "$log"; }
  say "date: $(date -u +%FT%TZ)"
  export LD_LIBRARY_PATH="$PWD/$BUNDLE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # What the driver itself says, to compare field by field with check's JSON (ECC, remapping,
  # clock-event reasons, compute mode, PCIe link at idle).
  nvidia-smi -q -d ECC,ROW_REMAPPER,PERFORMANCE,COMPUTE,PCIE,CLOCK,POWER,TEMPERATURE >"$OUT/nvidia-smi-q.txt" 2>&1
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
  # Per-check durations (compat must stay far below its bound; devices enumerates the GPUs).
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  ".join("%s %.0f ms" % (c["id"], c.get("duration_ms", 0)) for c in r["checks"]))' \
    "$OUT/check-cold.json" 2>/dev/null | sed 's/^/  cold: /' | tee -a "$log"
  NO_COLOR=1 "$BUNDLE/gpuprobe" check --require cublas,cudnn,nvml --expect-gpus 1 --min-cc 7.5 --strict \
    --json "$OUT/check-strict.json" >"$OUT/check-strict.txt" 2>&1
  say "check --require cublas,cudnn,nvml --expect-gpus 1 --strict: exit $?"
  # The watchdog on real hardware: a bound far below what cuInit needs must end in exit 4.
  NO_COLOR=1 "$BUNDLE/gpuprobe" check --timeout-scale 0.001 --json "$OUT/check-watchdog.json" >"$OUT/check-watchdog.txt" 2>&1
  say "check --timeout-scale 0.001 (driver bound 30 ms; expect exit 4 unless cuInit is faster): exit $?"

  local t
  for t in gpu kernel bench; do
    local exe="$BUNDLE/gpuprobe_gpu_tests"
    [[ $t != gpu ]] && exe="$BUNDLE/gpuprobe_gpu_${t}_tests"
    "$exe" --gtest_output="xml:$OUT/gpu-$t-tests.xml" >"$OUT/gpu-$t-tests.txt" 2>&1
    say "gpu tests ($t): exit $? — $(grep -E '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ tests?' "$OUT/gpu-$t-tests.txt" | tr '\n' ' ')"
    grep -E '^\[  FAILED  \] [A-Za-z]' "$OUT/gpu-$t-tests.txt" | sort -u | head -20 | sed 's/^/    /' | tee -a "$log"
  done
  for suite in smoke standard; do
    t0=$(date +%s.%N)
    NO_COLOR=1 "$BUNDLE/gpuprobe" bench --suite "$suite" --json "$OUT/bench-$suite.json" >"$OUT/bench-$suite.txt" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    say "bench --suite $suite: exit $rc, wall $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s — $(tail -1 "$OUT/bench-$suite.txt")"
  done
  # Target: cuBLAS BF16 8192^3 through gpuprobe within 2 % of an independent timing; spread <= 1 %.
  "$BUNDLE/gpuprobe_cublas_reference" 8192 50 >"$OUT/cublas-reference.txt" 2>&1
  say "independent: $(cat "$OUT/cublas-reference.txt")"
  NO_COLOR=1 "$BUNDLE/gpuprobe" bench --suite full --filter '^matmul/cublas/bf16/' --sizes 8192 \
    --json "$OUT/bench-bf16-8192.json" -- --benchmark_repetitions=3 >"$OUT/bench-bf16-8192.txt" 2>&1
  say "gpuprobe:    $(grep 'matmul/cublas/bf16' "$OUT/bench-bf16-8192.txt" | tail -1)"
  # Shapes the library reviews flagged: FP8 with m % 8 != 0 must be a skip that names the 16-byte
  # rule; n = 1 GEMMs with 16-bit output must verify (split-K reductions in the output type).
  NO_COLOR=1 "$BUNDLE/gpuprobe" bench --suite full \
    --filter '^matmul/(cublas|cublaslt)/(fp16|bf16|fp8)/(m:3072/n:1/|m:5124/|m:35/)' \
    --json "$OUT/bench-review-shapes.json" >"$OUT/bench-review-shapes.txt" 2>&1
  say "bench review shapes (fp8 odd m, n=1): exit $? — $(tail -1 "$OUT/bench-review-shapes.txt")"
  if python3 -c 'import torch; assert torch.cuda.is_available()' >/dev/null 2>&1; then
    python3 - >"$OUT/torch-reference.txt" 2>&1 <<'PY'
import torch
a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
for _ in range(10): a @ b
ts = []
for _ in range(50):
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record(); a @ b; e.record(); e.synchronize(); ts.append(s.elapsed_time(e))
ts.sort(); m = ts[len(ts) // 2]
print(f"torch.matmul BF16 8192^3: median {m:.4f} ms = {2 * 8192**3 / (m * 1e-3) / 1e12:.1f} TFLOP/s")
PY
    say "torch:       $(cat "$OUT/torch-reference.txt")"
  fi
  "$BUNDLE/gpuprobe_unit_tests" --gtest_brief=1 >"$OUT/unit-tests.txt" 2>&1
  say "unit tests: exit $? — $(grep -E '^\[  (PASSED|FAILED) ' "$OUT/unit-tests.txt" | tr '\n' ' ')"
  # Last, as the slowest (a run cut short by the time limit still brings back all of the above).
  # Out-of-bounds accesses and shared-memory races of the hand-written kernels (small sizes).
  if command -v compute-sanitizer >/dev/null 2>&1; then
    for tool in memcheck racecheck; do
      timeout 120 compute-sanitizer --tool "$tool" --error-exitcode 9 "$BUNDLE/gpuprobe_gpu_kernel_tests" \
        >"$OUT/sanitizer-$tool.txt" 2>&1
      say "compute-sanitizer $tool over the kernel tests: exit $? — $(grep -E 'ERROR SUMMARY' "$OUT/sanitizer-$tool.txt" | tail -1)"
    done
  fi

  echo "---- check (warm) ----"
  cat "$OUT/check-warm.txt"
  echo "---- bench smoke ----"
  cat "$OUT/bench-smoke.txt"
  echo "---- summary ----"
  cat "$log"
}

case "${1:-}" in
  bundle) bundle ;;
  run) run ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
