#!/usr/bin/env bats
# gpuprobe-aws down, against a real moto server on 127.0.0.1.

load test_helper

setup_file() { gpa_start_moto; }
teardown_file() { gpa_stop_servers; }
setup() {
  gpa_env "$BATS_TEST_TMPDIR"
  gpa_reset_moto
}

@test "down: terminates, deletes the group, key pair and key file it created, forgets; twice is fine" {
  run gpa_up
  assert_success
  local id sg key
  id=$(state_get INSTANCE_ID) sg=$(state_get SG_ID) key=$(state_get KEY_FILE)
  [[ -f $key ]]

  run "$GPA_BIN" down
  assert_success
  assert_output_contains "$id terminated"
  assert_output_contains "deleted security group $sg"
  local dump
  dump=$(moto_dump)
  assert_equal "$(jq -r --arg id "$id" '.instances[] | select(.InstanceId == $id) | .State.Name' <<<"$dump")" terminated
  assert_equal "$(jq -r '[.security_groups[] | select(.GroupName != "default")] | length' <<<"$dump")" 0
  assert_equal "$(jq -r '.key_pairs | length' <<<"$dump")" 0
  [[ ! -e $key ]]
  [[ ! -e $GPUPROBE_AWS_STATE_DIR/instances/default.state ]]

  run "$GPA_BIN" down
  assert_success
  assert_output_contains "nothing to do"
}

@test "down: cleans up when the instance already ended by itself (max-hours timer)" {
  run gpa_up
  assert_success
  local id
  id=$(state_get INSTANCE_ID)
  awsq ec2 terminate-instances --instance-ids "$id" >/dev/null
  run "$GPA_BIN" down
  assert_success
  assert_equal "$(extra_sgs)" ""
  assert_equal "$(key_pairs)" ""
  [[ ! -e $GPUPROBE_AWS_STATE_DIR/instances/default.state ]]
}

@test "down: keeps a key pair it only reused" {
  awsq ec2 create-key-pair --key-name shared --query KeyMaterial --output text >"$BATS_TEST_TMPDIR/shared.pem"
  mkdir -p "$GPUPROBE_AWS_STATE_DIR/keys"
  install -m 600 "$BATS_TEST_TMPDIR/shared.pem" "$GPUPROBE_AWS_STATE_DIR/keys/shared.pem"
  run gpa_up --key shared
  assert_success
  assert_output_contains "reusing key pair shared"
  run "$GPA_BIN" down
  assert_success
  assert_equal "$(key_pairs)" shared
  [[ -f $GPUPROBE_AWS_STATE_DIR/keys/shared.pem ]]
  assert_equal "$(live_instances)" ""
}

@test "down --all: ends recorded instances and a leaked one with our tag, leaves others alone" {
  run gpa_up --name a
  assert_success
  # leaked: tagged project=gpuprobe, no local record (e.g. launched from another machine)
  local ami leaked foreign
  ami=$(state_get AMI a)
  leaked=$(awsq ec2 run-instances --image-id "$ami" --instance-type g4dn.xlarge \
    --tag-specifications 'ResourceType=instance,Tags=[{Key=project,Value=gpuprobe}]' \
    --query 'Instances[0].InstanceId' --output text)
  foreign=$(awsq ec2 run-instances --image-id "$ami" --instance-type t3.micro \
    --query 'Instances[0].InstanceId' --output text)

  run "$GPA_BIN" down --all
  assert_success
  assert_output_contains "terminating unrecorded gpuprobe instances: $leaked"
  assert_equal "$(live_instances)" "$foreign"
  assert_equal "$(extra_sgs)" ""
  [[ ! -e $GPUPROBE_AWS_STATE_DIR/instances/a.state ]]

  run "$GPA_BIN" down --all
  assert_success
  assert_equal "$(live_instances)" "$foreign"
}

@test "down: the state's region wins over the environment's" {
  run gpa_up --region eu-west-1
  assert_success
  assert_equal "$(state_get REGION)" eu-west-1
  run "$GPA_BIN" down # AWS_REGION=us-east-1 in the environment
  assert_success
  grep 'terminate-instances' "$GPA_TEST_AWS_LOG" | grep -q -- '--region eu-west-1'
  run "$GPA_TEST_AWS" --endpoint-url "$AWS_ENDPOINT_URL" --region eu-west-1 ec2 describe-instances \
    --query 'Reservations[].Instances[].State.Name' --output text
  assert_equal "$output" terminated
}
