#!/usr/bin/env bats
# gpuprobe burn without a GPU: help, duration and selection errors, the no-driver path (exit 3), and
# whole runs on the stand-in loads of the test hook GPUPROBE_BURN_FAKE (app/cmd_burn.cpp): healthy,
# a wrong result, a slow GPU, a hang caught by the watchdog, SIGINT and SIGTERM ending the run with a
# partial report; the JSON, HTML and Markdown written. What happens on a GPU: scripts/device-run.sh.

load test_helper
bats_require_minimum_version 1.5.0

@test "help names the options and the exit codes" {
  run "$GPUPROBE" burn --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--duration"* && "$output" == *"--load"* && "$output" == *"--gpus"* ]]
  [[ "$output" == *"--json FILE"* && "$output" == *"--junit FILE"* && "$output" == *"--html FILE"* && "$output" == *"--markdown FILE"* ]]
  [[ "$output" == *"6 a GPU throttled or slow, 7 interrupted"* ]]
}

@test "duration errors exit 2 naming the problem" {
  run "$GPUPROBE" burn --duration 5x
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown unit 'x'"* ]]
  run "$GPUPROBE" burn --duration 0s
  [ "$status" -eq 2 ]
  [[ "$output" == *"more than 0 s"* ]]
  run "$GPUPROBE" burn --duration 30s5m
  [ "$status" -eq 2 ]
  [[ "$output" == *"largest first"* ]]
  run "$GPUPROBE" burn --load fp64
  [ "$status" -eq 2 ]
}

@test "no driver: exit 3, the driver check's finding, a report that says nothing was burned" {
  require_no_driver
  run "$GPUPROBE" burn --duration 3s --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [[ "$output" == *"nothing to burn"* ]]
  [ "$(json "$TEST_TMP/r.json" "r['command']")" = "burn" ]
  [ "$(json "$TEST_TMP/r.json" "r['exit_code']")" = "3" ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "no_driver" ]
  [ "$(json "$TEST_TMP/r.json" "'burn' in r")" = "false" ]
}

@test "stand-in load: a healthy run exits 0 and writes JSON, HTML with its charts, Markdown, JUnit" {
  GPUPROBE_BURN_FAKE=ok run "$GPUPROBE" burn --duration 2s --json "$TEST_TMP/b.json" --html "$TEST_TMP/b.html" \
    --markdown "$TEST_TMP/b.md" --junit "$TEST_TMP/b.xml"
  [ "$status" -eq 0 ]
  [[ "$output" == *"HEALTHY: 2 GPUs"* ]]
  [ "$(json "$TEST_TMP/b.json" "r['schema']")" = "gpuprobe.report/1.3" ]
  [ "$(json "$TEST_TMP/b.json" "[g['verdict'] for g in r['burn']['gpus']]")" = '["healthy", "healthy"]' ]
  [ "$(json "$TEST_TMP/b.json" "r['burn']['gpus'][0]['steps'] > 5")" = "true" ]
  [ "$(grep -o '<svg[^>]*class="series"' "$TEST_TMP/b.html" | wc -l)" -eq 8 ]
  grep -q '#### Burn' "$TEST_TMP/b.md"
  grep -q '<testsuites' "$TEST_TMP/b.xml"
  # report reads it back and draws the same charts
  run "$GPUPROBE" report "$TEST_TMP/b.json" --html "$TEST_TMP/again.html"
  [ "$status" -eq 0 ]
  [ "$(grep -o '<svg[^>]*class="series"' "$TEST_TMP/again.html" | wc -l)" -eq 8 ]
}

@test "stand-in load: a wrong result is faulty (exit 1), a slow GPU exit 6" {
  GPUPROBE_BURN_FAKE=wrong run "$GPUPROBE" burn --duration 1s --gpus 1 --json "$TEST_TMP/w.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"FAULTY: GPU 1 (mismatch)"* ]]
  [ "$(json "$TEST_TMP/w.json" "r['burn']['gpus'][0]['mismatches']")" = "7" ]
  GPUPROBE_BURN_FAKE=slow run "$GPUPROBE" burn --duration 6s --gpus 0 -q
  [ "$status" -eq 6 ]
  [[ "$output" == *"SLOW: GPU 0 (throughput_drop)"* ]]
}

@test "stand-in load: a step that never returns is hung (exit 4) and the report is still written" {
  GPUPROBE_BURN_FAKE=hang GPUPROBE_BURN_FAKE_HANG_S=1 run timeout 20 "$GPUPROBE" burn --duration 60s --json "$TEST_TMP/h.json"
  [ "$status" -eq 4 ]
  [[ "$output" == *"HUNG: GPU 0 (hung)"* ]]
  [ "$(json "$TEST_TMP/h.json" "r['burn']['gpus'][1]['hung']")" = "true" ]
  [ "$(json "$TEST_TMP/h.json" "r['burn']['elapsed_s'] < 10")" = "true" ]
}

@test "SIGINT ends the run within a second or two: a partial report, exit 7" {
  GPUPROBE_BURN_FAKE=ok "$GPUPROBE" burn --duration 60s --json "$TEST_TMP/i.json" >"$TEST_TMP/out" 2>&1 &
  pid=$!
  sleep 1.5
  kill -INT "$pid"
  start=$SECONDS
  status=0
  wait "$pid" || status=$?
  [ "$status" -eq 7 ]
  [ $((SECONDS - start)) -le 3 ]
  grep -q "INTERRUPTED after" "$TEST_TMP/out"
  [ "$(json "$TEST_TMP/i.json" "r['burn']['interrupted']")" = "true" ]
  [ "$(json "$TEST_TMP/i.json" "r['exit_code']")" = "7" ]
  [ "$(json "$TEST_TMP/i.json" "r['burn']['gpus'][0]['steps'] > 0")" = "true" ]
}

@test "SIGTERM too; a wrong result seen before the signal still makes it exit 1" {
  GPUPROBE_BURN_FAKE=wrong "$GPUPROBE" burn --duration 60s --json "$TEST_TMP/t.json" >"$TEST_TMP/out" 2>&1 &
  pid=$!
  sleep 1.5
  kill -TERM "$pid"
  status=0
  wait "$pid" || status=$?
  [ "$status" -eq 1 ]
  [ "$(json "$TEST_TMP/t.json" "r['burn']['interrupted']")" = "true" ]
}

@test "--gpus names GPUs that exist; --html - writes the page alone on stdout, the table on stderr" {
  GPUPROBE_BURN_FAKE=ok run "$GPUPROBE" burn --duration 1s --gpus 0,5
  [ "$status" -eq 2 ]
  [[ "$output" == *"this machine has 2 GPU(s)"* ]]
  GPUPROBE_BURN_FAKE=ok run "$GPUPROBE" burn --duration 1s --gpus x
  [ "$status" -eq 2 ]
  GPUPROBE_BURN_FAKE=ok run --separate-stderr "$GPUPROBE" burn --duration 1s --html -
  [ "$status" -eq 0 ]
  [[ "$output" == "<!DOCTYPE html>"* ]]
  [[ "$output" != *"Ctrl-C ends it early"* ]]
  [[ "$stderr" == *"Ctrl-C ends it early"* && "$stderr" == *"HEALTHY: 2 GPUs"* ]]
  GPUPROBE_BURN_FAKE=ok run "$GPUPROBE" burn --duration 1s --html - --json -
  [ "$status" -eq 2 ]
}
