#!/usr/bin/env bats
# gpuprobe bench without a GPU: the table of benchmarks (--list, --suite, --filter, --sizes), usage
# errors, the Google Benchmark flags after --, and the no-driver path (exit 3, a report that says
# why nothing was measured). What happens on a GPU: tests/gpu and scripts/device-run.sh.

load test_helper
bats_require_minimum_version 1.5.0

@test "--list shows the standard suite by default, with units and shape labels" {
  run "$GPUPROBE" bench --list
  [ "$status" -eq 0 ]
  [[ "$output" == *"matmul/cublas/bf16/m:8192/n:8192/k:8192"*"TFLOP/s"* ]]
  [[ "$output" == *"conv/cudnn/fp32/n:32/h:56/w:56/c:64/k:64/r:3/s:3/pad:1/stride:1"*"resnet50 conv2_x 3x3"* ]]
  [[ "$output" == *"memory/memcpy/h2d_pageable/bytes:268435456"*"GB/s"* ]]
  [[ "$output" == *"deepbench"* ]]
  [[ "${lines[-1]}" =~ ^[0-9]+\ benchmarks$ ]]
}

@test "suites nest: smoke < standard < full" {
  count() { "$GPUPROBE" bench --list --suite "$1" | tail -n 1 | cut -d' ' -f1; }
  smoke=$(count smoke)
  standard=$(count standard)
  full=$(count full)
  [ "$smoke" -ge 15 ]
  [ "$standard" -gt "$smoke" ]
  [ "$full" -gt "$standard" ]
}

@test "--filter selects by regular expression, --sizes replaces the square sizes" {
  run "$GPUPROBE" bench --list --filter 'matmul/.*bf16' --sizes 4096,8192
  [ "$status" -eq 0 ]
  while read -r name _; do
    [[ "$name" == matmul/*/bf16/* || "$name" =~ ^[0-9]+$ ]]
    [[ "$name" == */m:4096/n:4096/k:4096 || "$name" == */m:8192/n:8192/k:8192 || "$name" =~ ^[0-9]+$ ]]
  done <<< "$output"
  # cublas, cublaslt, mma_sync, wgmma at two sizes
  [ "${lines[-1]}" = "8 benchmarks" ]
}

@test "usage errors exit 2 with a message" {
  run "$GPUPROBE" bench --suite quick
  [ "$status" -eq 2 ]
  [[ "$output" == *"quick"* ]]
  run "$GPUPROBE" bench --sizes 4k
  [ "$status" -eq 2 ]
  [[ "$output" == *"positive integers"* ]]
  run "$GPUPROBE" bench --filter '(['
  [ "$status" -eq 2 ]
  [[ "$output" == *"not a valid regular expression"* ]]
  run "$GPUPROBE" bench --filter 'no-such-benchmark'
  [ "$status" -eq 2 ]
  [[ "$output" == *"no benchmark of suite 'standard' matches"* ]]
  run "$GPUPROBE" bench --device -1
  [ "$status" -eq 2 ]
  run "$GPUPROBE" bench --json - --junit -
  [ "$status" -eq 2 ]
  [[ "$output" == *"cannot both write to stdout"* ]]
  run "$GPUPROBE" bench --markdown "$TEST_TMP/b.md"
  [ "$status" -eq 2 ]
}

@test "Google Benchmark flags go after --; unknown ones are a usage error before anything runs" {
  run "$GPUPROBE" bench --suite smoke -- --benchmark_no_such_flag=1
  [ "$status" -eq 2 ]
  [[ "$output" == *"not a Google Benchmark flag: --benchmark_no_such_flag=1"* ]]
  run "$GPUPROBE" bench --suite smoke -- stray
  [ "$status" -eq 2 ]
  # Without --, CLI11 refuses them as options of gpuprobe.
  run "$GPUPROBE" bench --benchmark_repetitions=5
  [ "$status" -eq 2 ]
}

@test "--gpus: a bad list, an index beyond any GPU, --device beside it, Google Benchmark flags: usage errors" {
  for bad in "" x 0, ,1 0,,1 -1 1.5 all,0; do
    run "$GPUPROBE" bench --gpus "$bad"
    [ "$status" -eq 2 ] || { echo "--gpus '$bad' exited $status"; return 1; }
    [[ "$output" == *"--gpus"* ]]
  done
  run "$GPUPROBE" bench --gpus 0,0
  [ "$status" -eq 2 ]
  [[ "$output" == *"GPU 0 is named twice"* ]]
  run "$GPUPROBE" bench --gpus 0,1024
  [ "$status" -eq 2 ]
  [[ "$output" == *"index 1024 is beyond 1023"* ]]
  run "$GPUPROBE" bench --gpus all --device 1
  [ "$status" -eq 2 ]
  [[ "$output" == *"excludes"* ]]
  run "$GPUPROBE" bench --gpus all --suite smoke -- --benchmark_repetitions=2
  [ "$status" -eq 2 ]
  [[ "$output" == *"not to --gpus"* ]]
}

@test "--gpus without a driver: exit 3 like a plain run, nothing measured" {
  require_no_driver
  run "$GPUPROBE" bench --gpus 0,3 --suite smoke --json "$TEST_TMP/b.json"
  [ "$status" -eq 3 ]
  [ "$(json "$TEST_TMP/b.json" "r['benchmarks']")" = "[]" ]
  [ "$(json "$TEST_TMP/b.json" "r['schema']")" = "gpuprobe.report/1.3" ]
}

@test "the p2p family: every pair's copies and latency, in standard and full, not smoke" {
  run "$GPUPROBE" bench --list --filter p2p
  [ "$status" -eq 0 ]
  [[ "$output" == *"p2p/memcpy/uni/bytes:67108864"*"GB/s"*"copy engine"* ]]
  [[ "$output" == *"p2p/sm/bidi/bytes:67108864"* ]]
  [[ "$output" == *"p2p/memcpy/latency/bytes:4"*"us"* ]]
  [ "${lines[-1]}" = "5 benchmarks" ]
  run "$GPUPROBE" bench --list --suite smoke --filter p2p
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "0 benchmarks" ]
}

@test "no driver: exit 3, the --gpus all diagnosis, a report with the pre-checks and no benchmark" {
  require_no_driver
  run "$GPUPROBE" bench --suite smoke --json "$TEST_TMP/b.json" --junit "$TEST_TMP/b.xml" -- --benchmark_repetitions=2
  [ "$status" -eq 3 ]
  python3 - "$TEST_TMP/b.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
assert [c.get("name") for c in cases] == ["driver", "compat", "devices", "nvml", "environment"], cases
assert all(c.get("classname") == "gpuprobe.bench" for c in cases)
assert cases[0].find("failure").get("type") == "no_driver"
PY
  [[ "$output" == *"FAIL  driver"* ]]
  [[ "$output" == *"--gpus all"* ]]
  [[ "$output" == *"nothing to benchmark"* ]]
  [ "$(json "$TEST_TMP/b.json" "r['command']")" = "bench" ]
  [ "$(json "$TEST_TMP/b.json" "r['exit_code']")" = "3" ]
  [ "$(json "$TEST_TMP/b.json" "r['benchmarks']")" = "[]" ]
  [ "$(json "$TEST_TMP/b.json" "[c['id'] for c in r['checks']]")" = '["driver", "compat", "devices", "nvml", "environment"]' ]
  [ "$(check_field "$TEST_TMP/b.json" driver reason)" = "no_driver" ]
}

@test "no device behind the driver: exit 3" {
  NVIDIA_VISIBLE_DEVICES=none run with_fake_driver nodevice "$GPUPROBE" bench --suite smoke --json -
  [ "$status" -eq 3 ]
  [[ "$output" == *'"command": "bench"'* ]]
}

@test "a hung driver ends bench with exit 4, and the report so far names the check" {
  run with_fake_driver hang timeout 60 "$GPUPROBE" bench --suite smoke --timeout-scale 0.02 --json "$TEST_TMP/b.json"
  [ "$status" -eq 4 ]
  [[ "$output" == *"HUNG: driver"* ]]
  [ "$(check_field "$TEST_TMP/b.json" driver reason)" = "timeout" ]
  [ "$(json "$TEST_TMP/b.json" "r['exit_code']")" = "4" ]
}

@test "the report bench writes is read by compare" {
  require_no_driver
  "$GPUPROBE" bench --suite smoke --json "$TEST_TMP/a.json" -q || true
  "$GPUPROBE" bench --suite smoke --json "$TEST_TMP/b.json" -q || true
  run "$GPUPROBE" compare "$TEST_TMP/a.json" "$TEST_TMP/b.json"
  [ "$status" -eq 0 ]
}

@test "bench --help names the suites and the Google Benchmark pass-through" {
  run "$GPUPROBE" bench --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"smoke"*"standard"*"full"* ]]
  [[ "$output" == *"--benchmark_repetitions"* ]]
}
