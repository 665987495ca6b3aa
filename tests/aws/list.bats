#!/usr/bin/env bats
# gpuprobe-aws list (the leak finder), against a real moto server on 127.0.0.1.

load test_helper

setup_file() { gpa_start_moto; }
teardown_file() { gpa_stop_servers; }
setup() {
  gpa_env "$BATS_TEST_TMPDIR"
  gpa_reset_moto
}

@test "list: says so when there is nothing, and --fail-if-any passes" {
  run "$GPA_BIN" list --fail-if-any
  assert_success
  assert_output_contains "no gpuprobe instances in us-east-1"
}

@test "list: finds a leaked instance (tagged, no local record) and a recorded one; ignores untagged" {
  run gpa_up --name mine --type g6.xlarge
  assert_success
  local ami leaked
  ami=$(state_get AMI mine)
  leaked=$(awsq ec2 run-instances --image-id "$ami" --instance-type g5.xlarge \
    --tag-specifications 'ResourceType=instance,Tags=[{Key=project,Value=gpuprobe},{Key=owner,Value=someone},{Key=expires-at,Value=2020-01-01T00:00:00Z}]' \
    --query 'Instances[0].InstanceId' --output text)
  awsq ec2 run-instances --image-id "$ami" --instance-type t3.micro >/dev/null

  run "$GPA_BIN" list
  assert_success
  assert_output_contains "2 instance(s) in us-east-1"
  local line
  line=$(grep "^$leaked " <<<"$output")
  [[ $line == *g5.xlarge*running*2020-01-01T00:00:00Z*someone*" -" ]]
  line=$(grep "^$(state_get INSTANCE_ID mine) " <<<"$output")
  [[ $line == *g6.xlarge*running*mine ]]
  refute_output_contains t3.micro

  run "$GPA_BIN" list --json
  assert_success
  assert_equal "$(jq -r --arg id "$leaked" '.[] | select(.id == $id) | .local_state' <<<"$output")" null
  assert_equal "$(jq -r '.[] | select(.type == "g6.xlarge") | .local_state' <<<"$output")" mine
  assert_equal "$(jq length <<<"$output")" 2

  run "$GPA_BIN" list --fail-if-any
  assert_failure

  run "$GPA_BIN" down --all
  assert_success
  run "$GPA_BIN" list --fail-if-any
  assert_success
}

@test "list: uptime, price per hour and cost so far from the local gpuprobe's catalog" {
  need_gpuprobe
  run gpa_up --type g4dn.xlarge
  assert_success
  run "$GPA_BIN" list --json
  assert_success
  assert_equal "$(jq -r '.[0].usd_per_hour' <<<"$output")" "$(gp_price g4dn.xlarge)"
  # just launched: uptime ~0 h, cost rounds up to a cent at most
  assert_equal "$(jq -r '.[0].uptime_h' <<<"$output")" 0
  jq -e '.[0].cost_usd <= 0.01' <<<"$output" >/dev/null
  run "$GPA_BIN" list
  assert_success
  grep -qE "g4dn\.xlarge +running +0 +$(gp_price g4dn.xlarge) +0\.01 " <<<"$output"
}
