#!/usr/bin/env bats
# gpuprobe fleet: thousands of nodes' reports as JSON lines, generated from the committed example
# reports (FIXTURES) as a pod log would hold them (the table lines between the reports), with a planted
# failing node and a planted slow GPU; exit codes, the outputs, malformed lines.

load test_helper
bats_require_minimum_version 1.5.0

DATA="$BATS_TEST_DIRNAME/../data/reports"

# make_fleet OUT N [FAIL_NODE] [SLOW_NODE]: N g5 reports as JSON lines, node-I labelled, the values
# spread by ±1 %; FAIL_NODE's memory check failed, SLOW_NODE's bf16 GEMM 25 % slower.
make_fleet() {
  python3 - "$DATA/g5.json" "$@" <<'PY'
import json, math, sys
base = json.load(open(sys.argv[1]))
out, n = sys.argv[2], int(sys.argv[3])
fail = int(sys.argv[4]) if len(sys.argv) > 4 else -1
slow = int(sys.argv[5]) if len(sys.argv) > 5 else -1
with open(out, "w") as f:
    for i in range(n):
        r = json.loads(json.dumps(base))
        r["label"] = f"node-{i}"
        r["host"]["hostname"] = f"ip-{i}"
        for b in r["benchmarks"]:
            b["value"] *= 1 + 0.01 * math.sin(i)
            if i == slow and b["name"] == "matmul/cublas/bf16":
                b["value"] *= 0.75
        if i == fail:
            for c in r["checks"]:
                if c["id"] == "memory":
                    c.update(status="fail", reason="memory_errors", message="3 bit flips")
            r["exit_code"] = 1
        f.write("CHECK   RESULT   (the table a pod logs to stderr)\n")
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
}

@test "a healthy fleet of 2000 nodes from stdin: exit 0, every check counted" {
  make_fleet "$TEST_TMP/fleet.jsonl" 2000
  run --separate-stderr "$GPUPROBE" fleet - < "$TEST_TMP/fleet.jsonl"
  [ "$status" -eq 0 ]
  [[ "$output" == "fleet: 2000 nodes from 2000 reports, 2000 other lines passed over"* ]]
  [[ "$output" == *"PASS: 2000 nodes"* ]]
  [[ "$output" =~ memory\ +2000\ +0\ +0\ +0 ]]
}

@test "a planted failing node and a planted slow GPU among 3000: exit 1, both named" {
  make_fleet "$TEST_TMP/fleet.jsonl" 3000 1234 2718
  run --separate-stderr "$GPUPROBE" fleet "$TEST_TMP/fleet.jsonl" --json "$TEST_TMP/f.json" \
      --markdown "$TEST_TMP/f.md" --html "$TEST_TMP/f.html"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"FAIL: 1 of 3000 nodes failed, 1 result slower than the fleet (matmul/cublas/bf16: node-2718"* ]]
  [[ "$stderr" == *"[exit 1]" ]]
  python3 - "$TEST_TMP/f.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["schema"] == "gpuprobe.fleet/1" and j["exit_code"] == 1
assert len(j["nodes"]) == 3000
mem = [c for c in j["checks"] if c["id"] == "memory"][0]
assert (mem["pass"], mem["fail"]) == (2999, 1), mem
assert mem["failing"] == [{"node": "node-1234", "reason": "memory_errors", "message": "3 bit flips"}], mem["failing"]
mm = [b for b in j["benchmarks"] if b["name"] == "matmul/cublas/bf16"][0]
assert [o["node"] for o in mm["outliers"]] == ["node-2718"], mm["outliers"]
assert abs(mm["outliers"][0]["deviation"] + 0.25) < 0.02
assert mm["count"] == 3000 and abs(mm["median"] - 62) < 1
PY
  grep -q '^### gpuprobe fleet' "$TEST_TMP/f.md"
  grep -q '| memory | 2999 | 0 | 1 | 0 | node-1234 (memory_errors) |' "$TEST_TMP/f.md"
  grep -q 'node-2718' "$TEST_TMP/f.md"
  grep -q '^<!DOCTYPE html>' "$TEST_TMP/f.html"
  grep -q '<svg' "$TEST_TMP/f.html"
  ! grep -qE '<script|<link|https?://[^w]' "$TEST_TMP/f.html"
}

@test "--min-deviation and --mad move the threshold" {
  make_fleet "$TEST_TMP/fleet.jsonl" 200 -1 7
  run "$GPUPROBE" fleet "$TEST_TMP/fleet.jsonl" --min-deviation 30%
  [ "$status" -eq 0 ]
  run "$GPUPROBE" fleet "$TEST_TMP/fleet.jsonl" --min-deviation 0.1 --mad 2
  [ "$status" -eq 1 ]
  run "$GPUPROBE" fleet "$TEST_TMP/fleet.jsonl" --min-deviation 5
  [ "$status" -eq 2 ]
  run "$GPUPROBE" fleet "$TEST_TMP/fleet.jsonl" --mad -1
  [ "$status" -eq 2 ]
}

@test "malformed lines are named with their line number and are not fatal; none readable is exit 2" {
  make_fleet "$TEST_TMP/fleet.jsonl" 5
  { cat "$TEST_TMP/fleet.jsonl"; echo '{"schema": "gpuprobe.report/1", "label": '; } > "$TEST_TMP/broken.jsonl"
  run --separate-stderr "$GPUPROBE" fleet "$TEST_TMP/broken.jsonl"
  [ "$status" -eq 0 ]
  [[ "$stderr" == *"broken.jsonl:11: not valid JSON"* ]]
  [[ "$output" == *"1 unreadable line"* ]]
  printf 'no report here\n{"x":1}\n' > "$TEST_TMP/none.jsonl"
  run --separate-stderr "$GPUPROBE" fleet "$TEST_TMP/none.jsonl"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"none.jsonl:2:"* ]]
  [[ "$stderr" == *"no report in the input"* ]]
}

@test "report files (indented) and several inputs; a missing file is exit 2; an unwritable output exit 5" {
  run --separate-stderr "$GPUPROBE" fleet "$DATA/g5.json" "$DATA/remote.json" "$DATA/local.json" --markdown -
  [ "$status" -eq 1 ]  # remote.json's cudnn check failed
  [[ "$output" == *"| cudnn | 2 | 0 | 1 | 0 | ip-10-0-0-5 (missing_library) |"* ]]
  run "$GPUPROBE" fleet "$TEST_TMP/nope.jsonl"
  [ "$status" -eq 2 ]
  run "$GPUPROBE" fleet "$DATA/g5.json" --json "$TEST_TMP/no/such/dir/f.json"
  [ "$status" -eq 5 ]
  run "$GPUPROBE" fleet "$DATA/g5.json" --json - --markdown -
  [ "$status" -eq 2 ]
  run "$GPUPROBE" fleet
  [ "$status" -eq 2 ]
}
