#!/usr/bin/env bats
# gpuprobe-aws status, against a real moto server on 127.0.0.1.

load test_helper

setup_file() { gpa_start_moto; }
teardown_file() { gpa_stop_servers; }
setup() {
  gpa_env "$BATS_TEST_TMPDIR"
  gpa_reset_moto
}

@test "status: nothing recorded is an error that says what to do" {
  run "$GPA_BIN" status
  assert_failure
  assert_output_contains "no instance recorded under the name 'default'"
  assert_output_contains "gpuprobe-aws up"
}

@test "status: shows the live state, a stopped one (which up refuses to replace), then the terminated one" {
  run gpa_up --name s1 --max-hours 1
  assert_success
  local id
  id=$(state_get INSTANCE_ID s1)
  run "$GPA_BIN" status --name s1
  assert_success
  assert_output_contains "instance:  $id (g5.xlarge, us-east-1)"
  assert_output_contains "state:     running"
  assert_output_contains "uptime:    0 h"
  assert_output_contains "expires:   $(state_get EXPIRES_AT s1)"
  assert_output_contains "tunnel:    none"

  # stopped by hand: status says so, and up will not launch a second one over it
  awsq ec2 stop-instances --instance-ids "$id" >/dev/null
  run "$GPA_BIN" status --name s1
  assert_success
  assert_output_contains "state:     stopped"
  run gpa_up --name s1
  assert_failure
  assert_output_contains "is $id, stopped"
  assert_equal "$(grep -c 'run-instances' "$GPA_TEST_AWS_LOG")" 1

  awsq ec2 terminate-instances --instance-ids "$id" >/dev/null
  run "$GPA_BIN" --name s1 status
  assert_success
  assert_output_contains "state:     terminated"
}
