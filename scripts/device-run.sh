#!/usr/bin/env bash
# Every GPU path of gpuprobe in one call on a GPU machine; outputs under $OUT.
#
#   scripts/device-run.sh bundle   here (no GPU needed): build with a static C++ runtime for the
#                                  GPU machine and stage the binaries in device-bundle/
#   scripts/device-run.sh run      on the GPU machine: run gpuprobe check (cold and warm, timed,
#                                  per-check durations; nvidia-smi -q beside it), the GPU tests
#                                  (probes, kernels, benchmarks), gpuprobe bench --suite smoke and
#                                  standard (timed), the nccl/efa checks and the NCCL benchmarks,
#                                  bench --gpus all and the p2p family, a 60 s gpuprobe burn,
#                                  the independent cuBLAS timing beside gpuprobe's,
#                                  the GEMM shapes the library reviews flagged, compute-sanitizer over
#                                  the kernel tests, the unit tests; logs, JSON, JUnit packed in
#                                  $OUT/results.tgz
#
# `bundle` builds on a machine without a GPU so that the GPU machine's short time goes to running,
# not compiling; `run` expects the device-bundle/ folder beside the sources (copied there with the
# tree) and $OUT, the folder whose contents come back from the GPU machine.
# Stages run in order of value within a budget of $DEADLINE seconds (default 540): checks, GPU
# tests, smoke, the cuBLAS BF16 8192 comparison, the reviewed shapes, compute-sanitizer, standard,
# the rest; a stage that would not fit is skipped and says so, so that a run cut short still brings
# back the most useful results. Only a few files come back from $OUT: everything is packed into
# $OUT/results.tgz (and $OUT/summary.txt) after each stage.
# If the carried binaries do not start there, `run` rebuilds from source on the GPU machine.
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
  cp "$b/gpuprobe_gpu_burn_load_tests" "$BUNDLE/"
  # Google Benchmark is a shared library on Debian/Ubuntu: carry it (LD_LIBRARY_PATH in run()).
  mkdir -p "$BUNDLE/lib"
  ldd "$b/gpuprobe" | awk '/libbenchmark/ {print $3}' | xargs -r -I{} cp -L {} "$BUNDLE/lib/"
  du -sh "$BUNDLE"
}

run() {
  # Only a few files come back from $OUT: everything goes to a scratch folder, packed into
  # $OUT/results.tgz (with $OUT/summary.txt beside it) after every stage, so a run cut short by the
  # time limit still brings back all it finished.
  local final="${OUT:-$PWD/out}" work="${TMPDIR:-/tmp}/gpuprobe-device-run"
  rm -rf "$work" && mkdir -p "$work" "$final"
  local log="$work/summary.txt"
  : >"$log"
  say() { echo "$*" | tee -a "$log"; }
  pack() { tar czf "$final/results.tgz.part" -C "$work" . && mv "$final/results.tgz.part" "$final/results.tgz"; cp "$log" "$final/"; }
  # Stages run in order of value; one whose estimate would pass the budget is skipped and says so.
  local deadline="${DEADLINE:-540}"
  fits() { (( SECONDS + $1 <= deadline )) && return 0; say "$2: skipped, $(( deadline - SECONDS )) s left of ${deadline} s"; return 1; }
  say "date: $(date -u +%FT%TZ)"
  export PATH="$PATH:/usr/local/cuda/bin"  # compute-sanitizer, cuobjdump
  # cuBLAS from the toolkit, cuDNN (and cuBLAS) from the pip wheels where the CUDA image has them
  # only there (PyTorch's venv): gpuprobe dlopens libcublas.so.13 / libcudnn.so.9 by name.
  local extra=("$PWD/$BUNDLE/lib") d orig_llp="${LD_LIBRARY_PATH:-}"
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
    $(python3 -c 'import glob, site; print(" ".join(sorted({p for s in site.getsitepackages() for p in glob.glob(s + "/nvidia/*/lib")})))' 2>/dev/null); do
    [[ -d $d ]] && extra+=("$d")
  done
  LD_LIBRARY_PATH="$(IFS=:; echo "${extra[*]}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
  say "libraries: $(for l in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9 libnvidia-ml.so.1; do
      f=$( (IFS=:; for d in $LD_LIBRARY_PATH; do ls "$d/$l" 2>/dev/null; done; ldconfig -p 2>/dev/null | awk -v l="$l" '$1 == l {print $NF}') | head -1)
      echo -n "$l=${f:-MISSING} "; done)"
  # On this machine a GPU is expected: the GPU tests fail, not skip, when CUDA cannot use it.
  export GPUPROBE_EXPECT_GPU=1
  nvidia-smi -q >"$work/nvidia-smi-q.txt" 2>&1  # to compare field by field with check's JSON
  # How the GPUs reach each other, as nvidia-smi reads it: to compare with the topology check's details.
  { nvidia-smi topo -m; nvidia-smi topo -p2p r; nvidia-smi nvlink -s; nvidia-smi nvlink -e; } >"$work/nvidia-smi-topo.txt" 2>&1
  nvidia-smi >"$work/nvidia-smi.txt" 2>&1 && say "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,pcie.link.gen.max,pcie.link.width.max --format=csv,noheader 2>/dev/null | head -1)"
  if ! "$BUNDLE/gpuprobe" version >"$work/version.txt" 2>&1; then
    say "carried binaries do not start here ($(head -1 "$work/version.txt")): building on the device"
    CUDA_ARCHITECTURES="90" bundle >"$work/device-build.txt" 2>&1 || { say "device build failed"; tail -20 "$work/device-build.txt"; pack; return 1; }
  fi
  say "gpuprobe: $(head -1 "$work/version.txt")"
  # What the binary really holds, beside what it records (the arch check trusts the record).
  if command -v cuobjdump >/dev/null 2>&1; then
    { cuobjdump --list-elf "$BUNDLE/gpuprobe"; cuobjdump --list-ptx "$BUNDLE/gpuprobe"; } >"$work/cuobjdump.txt" 2>&1
    say "cuobjdump: $(grep -oE 'sm_[0-9]+[af]?' "$work/cuobjdump.txt" | sort -u | tr '\n' ' ')vs recorded $(sed -n 's/^architectures: //p' "$work/version.txt")"
  fi

  local t0 t1 rc pass
  check_pass() {  # NAME: gpuprobe check with default options, timed (the issue's <= 3 s)
    t0=$(date +%s.%N)
    NO_COLOR=1 "$BUNDLE/gpuprobe" check --json "$work/check-$1.json" --junit "$work/check-$1-junit.xml" \
      >"$work/check-$1.txt" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    say "check ($1): exit $rc, wall $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s"
  }
  for pass in cold warm; do check_pass "$pass"; done
  # Per-check durations (compat must stay far below its bound; devices enumerates the GPUs).
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("  ".join("%s %.0f ms" % (c["id"], c.get("duration_ms", 0)) for c in r["checks"]))' \
    "$work/check-cold.json" 2>/dev/null | sed 's/^/  cold: /' | tee -a "$log"
  # The topology check: its verdict (one GPU: "one GPU: no pairs") and each GPU's active NVLink links.
  python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); c=[c for c in r["checks"] if c["id"]=="topology"]
print("%s: %s | active NVLink per GPU: %s" % (c[0]["status"], c[0]["message"][:300], [g.get("nvlink_active") for g in c[0]["details"].get("gpus", [])]) if c else "not run")' \
    "$work/check-cold.json" 2>/dev/null | sed 's/^/  topology: /' | tee -a "$log"
  # The frameworks check on the image's own PyTorch, JAX, CuPy: the verdict, then what each answered
  # live (GPU, devices, matmul, seconds, its first warning).
  python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); c=[c for c in r["checks"] if c["id"]=="frameworks"]
print("%s: %s" % (c[0]["status"], c[0]["message"][:300]) if c else "not run")
for f in r["software"].get("frameworks", []):
    l=f.get("live") or {}
    print("%s %s (%s %s) in %s: live %s, gpu %s, devices %s, matmul %s, %.1f s%s" % (f["name"], f["version"], f["build"], f["cuda"], f["location"], l.get("outcome"), l.get("gpu_available"), l.get("devices"), l.get("matmul_ok"), l.get("seconds") or 0, (", warned: " + l["warnings"][0][:160]) if l.get("warnings") else ""))' \
    "$work/check-cold.json" 2>/dev/null | sed 's/^/  frameworks: /' | tee -a "$log"
  NO_COLOR=1 "$BUNDLE/gpuprobe" check --require cublas,cudnn,nvml --expect-gpus 1 --min-cc 7.5 --strict \
    --json "$work/check-strict.json" >"$work/check-strict.txt" 2>&1
  say "check --require cublas,cudnn,nvml --expect-gpus 1 --strict: exit $?"
  # gpuprobe's own search of the pip wheels (cuBLAS/cuDNN only in PyTorch's environment): none of
  # the wheel folders on the loader's path this time.
  LD_LIBRARY_PATH="$PWD/$BUNDLE/lib${orig_llp:+:$orig_llp}" NO_COLOR=1 "$BUNDLE/gpuprobe" check --only cublas,cudnn \
    --json "$work/check-wheels.json" >"$work/check-wheels.txt" 2>&1
  say "check --only cublas,cudnn, loader path without the wheels: exit $? — $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(" | ".join("%s %s: %s" % (c["id"], c["status"], c["message"][:160]) for c in r["checks"]))' "$work/check-wheels.json" 2>/dev/null)"
  # NCCL (found on the loader's paths or in the wheels) and EFA: an all-reduce over every GPU, one
  # rank each, and the transport NCCL chose between them.
  NO_COLOR=1 "$BUNDLE/gpuprobe" check --only nccl,efa --json "$work/check-nccl.json" >"$work/check-nccl.txt" 2>&1
  say "check --only nccl,efa: exit $? — $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(" | ".join("%s %s: %s" % (c["id"], c["status"], c["message"][:200]) for c in r["checks"]))' "$work/check-nccl.json" 2>/dev/null)"
  # The watchdog on real hardware: a bound far below what cuInit needs must end in exit 4.
  NO_COLOR=1 "$BUNDLE/gpuprobe" check --timeout-scale 0.001 --json "$work/check-watchdog.json" >"$work/check-watchdog.txt" 2>&1
  say "check --timeout-scale 0.001 (driver bound 30 ms; expect exit 4 unless cuInit is faster): exit $?"
  pack

  gpu_tests() {  # NAME EXECUTABLE [gtest filter]
    local t=$1 exe=$2
    fits 120 "gpu tests ($t)" || return 0
    timeout 300 "$exe" ${3:+--gtest_filter="$3"} --gtest_output="xml:$work/gpu-$t-tests.xml" >"$work/gpu-$t-tests.txt" 2>&1
    say "gpu tests ($t): exit $? — $(grep -E '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ tests?' "$work/gpu-$t-tests.txt" | tr '\n' ' ')"
    grep -E '^\[  FAILED  \] [A-Za-z]' "$work/gpu-$t-tests.txt" | grep -v ' ms)$' | sed 's/, where GetParam.*//' | sort -u |
      head -20 | sed 's/^/    /' | tee -a "$log"
    pack
  }
  # The wgmma kernel has never run anywhere: in processes of its own, so that a sticky error it
  # might cause (an illegal instruction or address loses the CUDA context) cannot take the other
  # kernels' tests and benchmarks down with it.
  local wgmma_tests='*wgmma*:*Wgmma*'
  gpu_tests gpu "$BUNDLE/gpuprobe_gpu_tests"
  gpu_tests kernel "$BUNDLE/gpuprobe_gpu_kernel_tests" "-$wgmma_tests"
  gpu_tests kernel-wgmma "$BUNDLE/gpuprobe_gpu_kernel_tests" "$wgmma_tests"
  gpu_tests bench "$BUNDLE/gpuprobe_gpu_bench_tests"  # every smoke benchmark at 512, wgmma included (a lost context skips the rest, naming it)
  gpu_tests burn-load "$BUNDLE/gpuprobe_gpu_burn_load_tests"  # burn's loads: a few clean steps each, then a planted error counted
  bench_stage() {  # NAME ESTIMATE [gpuprobe bench arguments...]
    local name=$1 est=$2
    shift 2
    fits "$est" "bench $name" || return 0
    t0=$(date +%s.%N)
    NO_COLOR=1 "$BUNDLE/gpuprobe" bench --json "$work/bench-$name.json" "$@" >"$work/bench-$name.txt" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    say "bench $name: exit $rc, wall $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s — $(tail -1 "$work/bench-$name.txt")"
    pack
  }
  bench_stage smoke 60 --suite smoke --filter '^(?!matmul/wgmma/)'
  bench_stage smoke-wgmma 40 --suite smoke --filter '^matmul/(cublas/(fp16|bf16)|wgmma)/'  # its % of cuBLAS
  # NCCL all-reduce / all-gather / reduce-scatter over every GPU (algbw; busbw in the JSON's details).
  bench_stage nccl 60 --suite standard --filter '^nccl/'
  # Every GPU at once (per GPU, the node's sum, slow GPUs; one GPU: the sum is its own) and the p2p
  # matrix (one GPU: skipped, "one GPU: no peer pairs").
  bench_stage gpus-all 60 --suite smoke --gpus all --filter '^(?!matmul/wgmma/)'
  bench_stage p2p 40 --filter '^p2p/'
  # Target: hand-written tensor-core BF16 4096^3 >= 70 % of cuBLAS (mma.sync and wgmma beside it).
  grep -hE '^matmul/(cublas|mma_sync|wgmma)/bf16 ' "$work/bench-smoke.txt" "$work/bench-smoke-wgmma.txt" 2>/dev/null | sort -u |
    sed 's/^/  smoke: /' | tee -a "$log"
  # Target: cuBLAS BF16 8192^3 through gpuprobe within 2 % of an independent timing; spread <= 1 %.
  if fits 60 "cuBLAS BF16 8192 reference"; then
    timeout 120 "$BUNDLE/gpuprobe_cublas_reference" 8192 50 >"$work/cublas-reference.txt" 2>&1
    say "independent: $(cat "$work/cublas-reference.txt")"
    bench_stage bf16-8192 60 --suite full --filter '^matmul/cublas/bf16/' --sizes 8192 -- --benchmark_repetitions=3
    say "gpuprobe:    $(grep 'matmul/cublas/bf16' "$work/bench-bf16-8192.txt" | tail -1)"
    if python3 -c 'import torch; assert torch.cuda.is_available()' >/dev/null 2>&1; then
      timeout 120 python3 - >"$work/torch-reference.txt" 2>&1 <<'PY'
import torch
# As gpuprobe and gpuprobe_cublas_reference: no split-K reduction in BF16 (cublasSetMathMode).
torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
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
      say "torch:       $(cat "$work/torch-reference.txt")"
    fi
    pack
  fi
  # Shapes the library reviews flagged: FP8 with m % 8 != 0 must be a skip that names the 16-byte
  # rule; n = 1 GEMMs with 16-bit output must verify (split-K reductions in the output type).
  bench_stage review-shapes 75 --suite full \
    --filter '^matmul/(cublas|cublaslt)/(fp16|bf16|fp8)/(m:3072/n:1/|m:5124/|m:35/)'
  # Out-of-bounds accesses and shared-memory races of the hand-written kernels (their GPU tests,
  # without the large memory cases).
  if ! command -v compute-sanitizer >/dev/null 2>&1; then
    say "compute-sanitizer: not found"
  else
    local tool filter='Kernels/Sgemm*:Shapes/TcGemm.*:KernelsConv.*:KernelsMemory.StreamOps*:KernelsMemory.Empty*'
    for tool in memcheck racecheck; do
      fits 100 "compute-sanitizer $tool" || continue
      timeout 150 compute-sanitizer --tool "$tool" --error-exitcode 9 "$BUNDLE/gpuprobe_gpu_kernel_tests" \
        --gtest_filter="$filter" >"$work/sanitizer-$tool.txt" 2>&1
      say "compute-sanitizer $tool over the kernel tests: exit $? — $(grep -E 'ERROR SUMMARY' "$work/sanitizer-$tool.txt" | tail -1)"
      pack
    done
  fi
  # gpuprobe burn: 60 s of the default load on every GPU, its telemetry series and verdicts (docs/burn.md);
  # the JSON and the HTML charts are packed and also copied beside results.tgz.
  if fits 90 "burn"; then
    NO_COLOR=1 timeout 120 "$BUNDLE/gpuprobe" burn --duration 60s --json "$work/burn.json" --html "$work/burn.html" \
      >"$work/burn.txt" 2>&1
    say "burn 60s: exit $? — $(tail -1 "$work/burn.txt")"
    cp "$work/burn.json" "$work/burn.html" "$final/" 2>/dev/null
    pack
  fi
  bench_stage standard 240 --suite standard
  if fits 15 "check without prefetch"; then GPUPROBE_NO_PREFETCH=1 check_pass noprefetch; fi
  # Where the tensor-core kernels lose time (for whoever tunes them next): Nsight Compute's
  # speed-of-light, occupancy and warp-stall sections for one launch of each at 4096^3, when ncu is
  # there and allowed to read the counters (containers often are not: ERR_NVGPUCTRPERM).
  if command -v ncu >/dev/null 2>&1; then
    local kernel impl
    for kernel in tc_gemm_kernel:mma_sync wgmma_gemm_kernel:wgmma; do
      impl=${kernel#*:}
      kernel=${kernel%%:*}
      fits 45 "ncu on $impl" || continue
      timeout 60 ncu --kernel-name regex:"$kernel" --launch-skip 3 --launch-count 1 \
        --section SpeedOfLight --section Occupancy --section WarpStateStats --section MemoryWorkloadAnalysis \
        "$BUNDLE/gpuprobe" bench --quiet --suite full --filter "^matmul/$impl/bf16/" --sizes 4096 \
        >"$work/ncu-$impl.txt" 2>&1
      say "ncu ($impl BF16 4096): exit $? — $(grep -E 'ERR_NVGPUCTRPERM|Compute \(SM\) Throughput|Memory Throughput' "$work/ncu-$impl.txt" | head -3 | tr -s ' ' | tr '\n' ';')"
      pack
    done
  fi
  if fits 20 "unit tests"; then
    "$BUNDLE/gpuprobe_unit_tests" --gtest_brief=1 >"$work/unit-tests.txt" 2>&1
    say "unit tests: exit $? — $(grep -E '^\[  (PASSED|FAILED) ' "$work/unit-tests.txt" | tr '\n' ' ')"
  fi
  say "run: ${SECONDS} s"
  pack

  echo "---- check (warm) ----"
  cat "$work/check-warm.txt"
  echo "---- bench smoke ----"
  cat "$work/bench-smoke.txt" 2>/dev/null
  echo "---- summary ----"
  cat "$log"
}

case "${1:-}" in
  bundle) bundle ;;
  run) run ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
