#!/usr/bin/env bats
# gpuprobe-aws up, against a real moto server (EC2 + SSM) on 127.0.0.1.

load test_helper

setup_file() {
  gpa_start_moto
}

teardown_file() {
  gpa_stop_servers
}

setup() {
  gpa_env "$BATS_TEST_TMPDIR"
  gpa_reset_moto
}

sg_rules() { sg_rules_of "$(moto_dump)" "$(state_get SG_ID "${1:-default}")"; }

# the instance recorded for NAME, from a moto dump
instance_json() {
  moto_dump | jq --arg id "$(state_get INSTANCE_ID "${1:-default}")" '.instances[] | select(.InstanceId == $id)'
}

@test "up: launches with ssh from the caller's /32 only, IMDSv2, terminate-on-shutdown, tags, user-data timer, price; every call to the endpoint" {
  run gpa_up --type g5.xlarge --max-hours 2
  assert_success
  assert_output_contains "is up (status ok)"
  assert_output_contains "ssh:       gpuprobe-aws ssh"
  # the price per hour comes from the local gpuprobe's catalog when there is one
  if [[ -x $GPUPROBE_BIN ]]; then
    assert_output_contains "price:     \$$(gp_price g5.xlarge) per hour"
    assert_equal "$(state_get PRICE_PER_HOUR)" "$(gp_price g5.xlarge)"
  else
    assert_output_contains "price:     unknown"
  fi

  local dump inst id
  dump=$(moto_dump)
  # security group: exactly one rule, 22/tcp from the caller's /32
  assert_equal "$(sg_rules_of "$dump" "$(state_get SG_ID)")" "tcp 22-22 $GPA_TEST_MY_IP/32"

  inst=$(jq '.instances[0]' <<<"$dump")
  assert_equal "$(jq '.instances | length' <<<"$dump")" 1
  id=$(jq -r .InstanceId <<<"$inst")
  assert_equal "$(jq -r .State.Name <<<"$inst")" running
  assert_equal "$(jq -r .InstanceType <<<"$inst")" g5.xlarge
  assert_equal "$(jq -r .MetadataOptions.HttpTokens <<<"$inst")" required
  assert_equal "$(jq -r .MetadataOptions.HttpEndpoint <<<"$inst")" enabled
  assert_equal "$(jq -r '.SecurityGroups | map(.GroupId) | join(",")' <<<"$inst")" "$(state_get SG_ID)"
  # the AMI is the one the SSM parameter names
  assert_equal "$(jq -r .ImageId <<<"$inst")" \
    "$(awsq ssm get-parameter --name "$GPA_TEST_AMI_PARAM" --query Parameter.Value --output text)"

  # tags
  assert_equal "$(jq -r '.Tags[] | select(.Key == "project") | .Value' <<<"$inst")" gpuprobe
  assert_equal "$(jq -r '.Tags[] | select(.Key == "gpuprobe-name") | .Value' <<<"$inst")" default
  [[ -n $(jq -r '.Tags[] | select(.Key == "owner") | .Value' <<<"$inst") ]]
  local exp now_s exp_s
  exp=$(jq -r '.Tags[] | select(.Key == "expires-at") | .Value' <<<"$inst")
  [[ $exp =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
  now_s=$(date -u +%s)
  exp_s=$(date -u -d "$exp" +%s)
  (( exp_s - now_s > 7100 && exp_s - now_s <= 7200 ))
  assert_equal "$(state_get EXPIRES_AT)" "$exp"

  # shutdown behaviour and the user-data timer (2 h = 120 min)
  assert_equal "$(jq -r .ShutdownBehavior <<<"$inst")" terminate
  [[ $(jq -r .UserDataText <<<"$inst") == *$'\nshutdown -h +120 "'* ]]

  # local state and key
  assert_equal "$(state_get INSTANCE_ID)" "$id"
  # every aws call carried --endpoint-url (AWS CLI < 2.13 ignores AWS_ENDPOINT_URL)
  (( $(grep -c . "$GPA_TEST_AWS_LOG") >= 8 ))
  assert_equal "$(grep -vc -- "--endpoint-url $AWS_ENDPOINT_URL" "$GPA_TEST_AWS_LOG")" 0
  assert_equal "$(stat -c %a "$GPUPROBE_AWS_STATE_DIR/instances/default.state")" 600
  local key
  key=$(state_get KEY_FILE)
  [[ -f $key ]]
  assert_equal "$(stat -c %a "$key")" 600
  ssh-keygen -y -f "$key" >/dev/null # a usable private key
  assert_equal "$(jq -r .KeyName <<<"$inst")" "$(state_get KEY_NAME)"
}

@test "up: port 8888 is opened, from the /32 only, only with --open-jupyter-port" {
  run gpa_up --open-jupyter-port
  assert_success
  assert_equal "$(sg_rules)" "$(printf 'tcp 22-22 %s/32\ntcp 8888-8888 %s/32' "$GPA_TEST_MY_IP" "$GPA_TEST_MY_IP")"
}

@test "up: re-running reconciles the group: no duplicates, stale and 0.0.0.0/0 rules revoked" {
  run gpa_up --open-jupyter-port
  assert_success
  local sg id
  sg=$(state_get SG_ID)
  id=$(state_get INSTANCE_ID)

  # same name while the instance lives: nothing new is launched
  run gpa_up --open-jupyter-port
  assert_success
  assert_output_contains "already up"
  assert_equal "$(live_instances)" "$id"

  # someone opens the world; the instance goes away; up again without the flag
  awsq ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 22 --cidr 0.0.0.0/0 >/dev/null
  awsq ec2 authorize-security-group-ingress --group-id "$sg" --protocol tcp --port 3389 --cidr 198.51.100.0/24 >/dev/null
  awsq ec2 terminate-instances --instance-ids "$id" >/dev/null
  run gpa_up
  assert_success
  assert_output_contains "reusing security group"
  assert_equal "$(state_get SG_ID)" "$sg"
  assert_equal "$(sg_rules)" "tcp 22-22 $GPA_TEST_MY_IP/32"

  # and once more: the rule is there already, nothing is added (a duplicate would fail)
  awsq ec2 terminate-instances --instance-ids "$(state_get INSTANCE_ID)" >/dev/null
  run gpa_up
  assert_success
  refute_output_contains "allowed 22/tcp"
  assert_equal "$(sg_rules)" "tcp 22-22 $GPA_TEST_MY_IP/32"
  ! grep -q 'authorize-security-group-ingress.*0\.0\.0\.0/0' "$GPA_TEST_AWS_LOG"
}

@test "up: a failure after run-instances terminates the instance and removes the group and key" {
  export GPA_TEST_AWS_FAIL='ec2 wait instance-status-ok'
  run gpa_up
  assert_failure
  assert_output_contains "injected failure"
  assert_output_contains "up failed after launch: terminating"
  grep -q 'ec2 run-instances' "$GPA_TEST_AWS_LOG"
  local dump
  dump=$(moto_dump)
  # the instance exists in moto, terminated; group and key pair gone
  assert_equal "$(jq -r '[.instances[].State.Name] | join(",")' <<<"$dump")" terminated
  assert_equal "$(jq -r '[.security_groups[] | select(.GroupName != "default")] | length' <<<"$dump")" 0
  assert_equal "$(jq -r '.key_pairs | length' <<<"$dump")" 0
  [[ ! -e $GPUPROBE_AWS_STATE_DIR/instances/default.state ]]
  [[ -z $(ls -A "$GPUPROBE_AWS_STATE_DIR/keys") ]]
}

@test "up: --keep-on-failure leaves the instance running and recorded" {
  export GPA_TEST_AWS_FAIL='ec2 wait instance-status-ok'
  run gpa_up --keep-on-failure
  assert_failure
  assert_output_contains "--keep-on-failure"
  local id
  id=$(state_get INSTANCE_ID)
  [[ -n $id ]]
  assert_equal "$(live_instances)" "$id"
  unset GPA_TEST_AWS_FAIL
  run "$GPA_BIN" down
  assert_success
  assert_equal "$(live_instances)" ""
}

@test "up: a failure before launch (run-instances refused) leaves no group, key or state" {
  export GPA_TEST_AWS_FAIL='ec2 run-instances'
  run gpa_up
  assert_failure
  local dump
  dump=$(moto_dump)
  assert_equal "$(jq '.instances | length' <<<"$dump")" 0
  assert_equal "$(jq -r '[.security_groups[] | select(.GroupName != "default")] | length' <<<"$dump")" 0
  assert_equal "$(jq -r '.key_pairs | length' <<<"$dump")" 0
  [[ ! -e $GPUPROBE_AWS_STATE_DIR/instances/default.state ]]
}

@test "up: --spot requests a one-time spot instance" {
  run gpa_up --spot --type g6.xlarge
  assert_success
  assert_equal "$(instance_json | jq -r .InstanceLifecycle)" spot
  assert_equal "$(state_get SPOT)" 1
}

@test "up: the caller address comes from checkip.amazonaws.com unless GPUPROBE_AWS_MY_IP is set" {
  unset GPUPROBE_AWS_MY_IP
  export GPA_TEST_CHECKIP=198.51.100.23 GPA_TEST_CURL_LOG="$BATS_TEST_TMPDIR/curl.log"
  run gpa_up
  assert_success
  grep -qx 'https://checkip.amazonaws.com' "$GPA_TEST_CURL_LOG"
  assert_equal "$(sg_rules)" "tcp 22-22 198.51.100.23/32"
}

@test "up: a caller address that is not IPv4 stops before anything is created" {
  export GPUPROBE_AWS_MY_IP=0.0.0.0/0
  run gpa_up
  assert_failure
  assert_output_contains "is not an IPv4 address"
  [[ ! -s $GPA_TEST_AWS_LOG ]] || ! grep -q 'create-' "$GPA_TEST_AWS_LOG"
}

@test "up: --ami overrides the SSM lookup; an unknown SSM parameter fails cleanly" {
  run gpa_up --ami ami-12c6146b
  assert_success
  assert_equal "$(instance_json | jq -r .ImageId)" ami-12c6146b
  ! grep -q 'ssm get-parameter' "$GPA_TEST_AWS_LOG"
  run "$GPA_BIN" --name other up --ami-param /aws/service/deeplearning/ami/x86_64/no-such/latest/ami-id
  assert_failure
  assert_output_contains "cannot resolve the AMI"
  assert_equal "$(live_instances | wc -l)" 1
}

@test "up: an existing local key file is imported and never deleted by down" {
  mkdir -p "$GPUPROBE_AWS_STATE_DIR/keys"
  ssh-keygen -q -t ed25519 -N '' -f "$GPUPROBE_AWS_STATE_DIR/keys/mine.pem"
  run gpa_up --key mine
  assert_success
  assert_output_contains "imported"
  assert_equal "$(key_pairs)" mine
  run "$GPA_BIN" down
  assert_success
  [[ -f $GPUPROBE_AWS_STATE_DIR/keys/mine.pem ]]
}

@test "up: rejects bad arguments before calling AWS" {
  run "$GPA_BIN" up --type 'g5.xlarge;rm' --ami-param x
  assert_failure
  assert_output_contains "does not look like an instance type"
  run "$GPA_BIN" up --max-hours -1
  assert_failure
  run "$GPA_BIN" up --bogus
  assert_failure
  assert_output_contains "unknown argument '--bogus'"
  [[ ! -s $GPA_TEST_AWS_LOG ]]
}
