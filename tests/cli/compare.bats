#!/usr/bin/env bats
# gpuprobe compare on the committed example reports (tests/data/reports: FIXTURES, not measurements)
# and on reports this machine writes; every kind of bad input ends with exit 2 and a message.

load test_helper
bats_require_minimum_version 1.5.0

DATA="$BATS_TEST_DIRNAME/../data/reports"

@test "local vs remote: a check and a library that fail remotely are failures, exit 1" {
  run "$GPUPROBE" compare "$DATA/local.json" "$DATA/remote.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"FAIL      check.cudnn"*"fails here, passes in the base"* ]]
  [[ "$output" == *"FAIL      library.cudnn"* ]]
  [[ "$output" == *"WARN      software.driver_version"*"driver branch 570 → 580"* ]]
  [[ "$output" == *"info      host.hostname"* ]]
  [[ "$output" == *"DIFFERENT: 2 failure-level differences"*"[exit 1]"* ]]
}

@test "regression beyond the tolerance: exit 0 by default, 1 with --fail-on-regression, 0 with a wider tolerance" {
  run "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"REGRESSION: 1 benchmark slower than the base beyond 5%"* ]]
  [[ "$output" == *"--fail-on-regression makes this exit 1"* ]]
  run "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --tolerance 5% --fail-on-regression
  [ "$status" -eq 1 ]
  [[ "$output" == *"93.00 (×0.93 slower, REGRESSION)"* ]]
  [[ "$output" == *"21.50 (×0.98 slower)"* ]]
  [[ "$output" == *"250.8 (×1.003 same)"* ]]
  run "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --tolerance 0.1 --fail-on-regression
  [ "$status" -eq 0 ]
  [[ "$output" == *"OK: no regression beyond 10%"* ]]
}

@test "N-way markdown: one column per report, labels from DMI instance types, perf per dollar with the price date" {
  run --separate-stderr "$GPUPROBE" compare "$DATA/g4dn.json" "$DATA/g5.json" "$DATA/g6.json" "$DATA/p5.json" --format markdown
  [ "$status" -eq 0 ]
  [[ "$output" == *"| benchmark | unit | g4dn.xlarge (base) | g5.xlarge | g6.xlarge | p5.48xlarge |"* ]]
  [[ "$output" == *"| \$/hour | 0.526 | 1.006 | 0.805 | 55.040 |"* ]]
  [[ "$output" == *"#### Perf per dollar"* ]]
  [[ "$output" == *"taken 2025-06"* ]]
  [[ "$stderr" == *"OK: no regression beyond 5% (6 faster, 0 slower, 0 same"* ]]
}

# Every fixture benchmark ran on one GPU, so it is divided by the price of one GPU of its instance:
# p5.48xlarge $55.04/hour ÷ 8 GPUs = $6.88/GPU-hour; GEMM 760 / 6.88 = 110.465… → "110.5", copy
# 2950 / 6.88 = 428.779… → "428.8"; g6.xlarge (1 GPU) 100 / 0.805 = 124.22… → "124.2".
@test "perf per dollar divides a one-GPU benchmark by the price of one GPU (p5: \$/hour ÷ 8), and says so" {
  run --separate-stderr "$GPUPROBE" compare "$DATA/g4dn.json" "$DATA/g5.json" "$DATA/g6.json" "$DATA/p5.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"perf per dollar (value ÷ \$/GPU-hour (on-demand \$/hour ÷ the instance's GPUs) for a one-GPU benchmark"* ]]
  [[ "$output" == *"\$/GPU-hour"*"0.526 = 0.526 ÷ 1 GPU"*"6.880 = 55.040 ÷ 8 GPUs"* ]]
  [[ "$output" == *"TFLOP/s per \$/GPU-hour  76.05"*"124.2"*"110.5"* ]]
  [[ "$output" == *"GB/s per \$/GPU-hour"*"428.8"* ]]
  [[ "$output" != *"13.81"* ]]
  run "$GPUPROBE" compare "$DATA/g6.json" "$DATA/p5.json" --format json -o "$TEST_TMP/c.json"
  [ "$(json "$TEST_TMP/c.json" "r['columns'][1]['instance_gpu_count']")" = "8" ]
  [ "$(json "$TEST_TMP/c.json" "r['columns'][1]['price_per_gpu_hour']")" = "6.88" ]
  [ "$(json "$TEST_TMP/c.json" "round(r['benchmarks'][0]['cells'][1]['perf_per_dollar'], 3)")" = "110.465" ]
  [ "$(json "$TEST_TMP/c.json" "r['benchmarks'][0]['cells'][1]['perf_per_dollar_divisor']")" = "price_per_gpu_hour" ]
}

@test "--label names the columns; --strict fails on warnings; --format json" {
  run "$GPUPROBE" compare "$DATA/g5.json" --label mine,theirs "$DATA/g6.json" --format json -o "$TEST_TMP/c.json"
  [ "$status" -eq 0 ]
  [ "$(json "$TEST_TMP/c.json" "r['schema']")" = "gpuprobe.compare/1" ]
  [ "$(json "$TEST_TMP/c.json" "[c['label'] for c in r['columns']]")" = '["mine", "theirs"]' ]
  [ "$(json "$TEST_TMP/c.json" "r['benchmarks'][0]['cells'][1]['verdict']")" = "faster" ]
  python3 - "$DATA/g5.json" "$TEST_TMP/older-driver.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["software"]["driver_version"] = "550.54.15"
json.dump(r, open(sys.argv[2], "w"))
PY
  run "$GPUPROBE" compare "$DATA/g5.json" "$TEST_TMP/older-driver.json"
  [ "$status" -eq 0 ]
  run "$GPUPROBE" compare "$DATA/g5.json" "$TEST_TMP/older-driver.json" --strict
  [ "$status" -eq 1 ]
  [[ "$output" == *"DIFFERENT (strict)"* ]]
}

@test "outputs: --text/--markdown/--json FILE write what the old --format F -o FILE wrote, all at once" {
  "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" > "$TEST_TMP/old.txt"
  "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --format markdown -o "$TEST_TMP/old.md" 2>/dev/null
  "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --format json > "$TEST_TMP/old.json" 2>/dev/null
  run --separate-stderr "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" \
      --text "$TEST_TMP/c.txt" --markdown "$TEST_TMP/c.md" --json "$TEST_TMP/c.json"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [[ "$stderr" == "REGRESSION: 1 benchmark slower than the base beyond 5%"*"[exit 0]" ]]
  cmp "$TEST_TMP/old.txt" "$TEST_TMP/c.txt"
  cmp "$TEST_TMP/old.md" "$TEST_TMP/c.md"
  cmp "$TEST_TMP/old.json" "$TEST_TMP/c.json"
  run --separate-stderr "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --markdown -
  [ "$status" -eq 0 ]
  [ "$output" = "$(cat "$TEST_TMP/old.md")" ]
  # -o alone: text to FILE; --format alone: that format to stdout.
  "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" -o "$TEST_TMP/o.txt" 2>/dev/null
  cmp "$TEST_TMP/old.txt" "$TEST_TMP/o.txt"
}

@test "outputs: two on stdout, --format F with --F, an output compare cannot write → exit 2" {
  run "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --text - --json -
  [ "$status" -eq 2 ]
  [[ "$output" == *"--text - and --json - cannot both write to stdout"* ]]
  run "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --format json --json "$TEST_TMP/c.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--format json and --json both name a json output"* ]]
  run "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --junit "$TEST_TMP/c.xml"
  [ "$status" -eq 2 ]
}

@test "reports without benchmarks (this machine's own check reports): environment only, exit 0" {
  "$GPUPROBE" check --only environment --json "$TEST_TMP/a.json" >/dev/null
  "$GPUPROBE" check --only environment --json "$TEST_TMP/b.json" --label other >/dev/null
  run "$GPUPROBE" compare "$TEST_TMP/a.json" "$TEST_TMP/b.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"environment: no differences"* ]]
  [[ "$output" == *"benchmarks: none in these reports"* ]]
  [[ "$output" == *"SAME: no regression beyond 5% (0 faster, 0 slower, 0 same"* ]]
  run "$GPUPROBE" compare "$TEST_TMP/a.json" "$DATA/nobench.json"
  [ "$status" -eq 0 ]
}

@test "schema versions: a compatible minor is read, another major is rejected naming both, exit 2" {
  run "$GPUPROBE" compare "$DATA/nobench.json" "$DATA/schema-1.3.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"future-minor"* ]]
  run "$GPUPROBE" compare "$DATA/nobench.json" "$DATA/schema-2.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *'schema-2.json: report schema "gpuprobe.report/2" is not supported'*'"gpuprobe.report/1"'* ]]
}

@test "malformed input: missing, empty, truncated, not an object, garbage, a directory → exit 2 with a message" {
  : > "$TEST_TMP/empty.json"
  head -c 300 "$DATA/base.json" > "$TEST_TMP/truncated.json"
  echo '[1, 2, 3]' > "$TEST_TMP/array.json"
  head -c 100000 /dev/urandom > "$TEST_TMP/garbage.json"
  echo '{"schema": "gpuprobe.report/1", "benchmarks": [{"name": "x", "value": "fast"}]}' > "$TEST_TMP/badbench.json"
  for f in /nonexistent.json "$TEST_TMP/empty.json" "$TEST_TMP/truncated.json" "$TEST_TMP/array.json" \
           "$TEST_TMP/garbage.json" "$TEST_TMP" "$TEST_TMP/badbench.json"; do
    run timeout 60 "$GPUPROBE" compare "$DATA/base.json" "$f"
    echo "$f: $status $output"
    [ "$status" -eq 2 ]
    [[ "$output" == "gpuprobe compare: $f"* ]]
  done
}

@test "hostile input: a depth bomb, a 300 MB file and a 100 MB file end quickly with exit 2 or a result" {
  python3 -c 'import sys; sys.stdout.write("[" * 100000)' > "$TEST_TMP/bomb.json"
  run timeout 60 "$GPUPROBE" compare "$DATA/base.json" "$TEST_TMP/bomb.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"nested deeper than 64 levels"* ]]
  truncate -s 300M "$TEST_TMP/huge.json"
  run timeout 60 "$GPUPROBE" compare "$DATA/base.json" "$TEST_TMP/huge.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"larger than the 256 MiB a report may have"* ]]
  # 100 MB of valid JSON: a report with a 100 MB verdict string. Read, compared, no crash.
  python3 - "$DATA/base.json" "$TEST_TMP/big.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["verdict"] = "x" * (100 << 20)
json.dump(r, open(sys.argv[2], "w"))
PY
  run timeout 60 "$GPUPROBE" compare "$DATA/base.json" "$TEST_TMP/big.json"
  [ "$status" -eq 0 ]
}

@test "usage errors: one report, a bad tolerance, an unknown format → exit 2" {
  run "$GPUPROBE" compare "$DATA/base.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"at least two reports"* ]]
  run "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --tolerance 5
  [ "$status" -eq 2 ]
  [[ "$output" == *"ambiguous"* ]]
  run "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" --format yaml
  [ "$status" -eq 2 ]
  run "$GPUPROBE" compare
  [ "$status" -eq 2 ]
}

@test "cannot write the output: exit 5" {
  run "$GPUPROBE" compare "$DATA/base.json" "$DATA/new.json" -o /nonexistent/dir/out.txt
  [ "$status" -eq 5 ]
  [[ "$output" == *"cannot write /nonexistent/dir/out.txt"* ]]
}

@test "benchmark: compare of 200 reports (time recorded, asserted only when GPUPROBE_BENCH_MAX_S is set)" {
  python3 "$BATS_TEST_DIRNAME/../data/make_fixtures.py" --many 200 "$TEST_TMP/many"
  local start end
  start=$(date +%s.%N)
  run "$GPUPROBE" compare "$TEST_TMP"/many/r*.json --format json -o "$TEST_TMP/out.json"
  end=$(date +%s.%N)
  [ "$status" -eq 0 ]
  [ "$(json "$TEST_TMP/out.json" "len(r['columns'])")" = "200" ]
  local secs
  secs=$(python3 -c "print(f'{$end - $start:.3f}')")
  local art="${GPUPROBE_ARTIFACTS:-$(dirname "$GPUPROBE")/artifacts}"
  mkdir -p "$art"
  echo "compare of 200 reports (43 benchmarks each): ${secs} s" | tee "$art/compare-200.txt" >&3
  if [ -n "${GPUPROBE_BENCH_MAX_S:-}" ]; then
    python3 -c "import sys; sys.exit(0 if $secs <= $GPUPROBE_BENCH_MAX_S else 1)"
  fi
}

@test "hostile sizes: 200 000 checks and 200 000 distinct GPUs stay linear (compare and report end quickly)" {
  python3 - "$BATS_TEST_DIRNAME/../data/reports/base.json" "$TEST_TMP/wide.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["checks"] = [{"id": "c%d" % i, "status": "pass"} for i in range(200000)]
r["gpus"] = [{"index": i, "name": "GPU %d" % i, "compute_capability": "9.0"} for i in range(200000)]
r["benchmarks"] = [{"name": "b%d" % i, "unit": "GB/s", "value": 1.0} for i in range(20000)]
json.dump(r, open(sys.argv[2], "w"))
PY
  run timeout 120 "$GPUPROBE" compare "$BATS_TEST_DIRNAME/../data/reports/base.json" "$TEST_TMP/wide.json" -o "$TEST_TMP/c.txt"
  [ "$status" -eq 0 ]   # checks present on one side only are informational: a result, not a crash or a hang
  grep -q "gpus.count" "$TEST_TMP/c.txt"
  run timeout 120 "$GPUPROBE" report "$TEST_TMP/wide.json" "$TEST_TMP/wide.json" --html "$TEST_TMP/w.html" --markdown "$TEST_TMP/w.md"
  [ "$status" -eq 0 ]
  grep -q "more benchmarks are in the table only" "$TEST_TMP/w.html"
}
