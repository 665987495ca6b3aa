#!/usr/bin/env bats
# gpuprobe-aws sweep: up -> check/bench -> fetch -> down per instance type, in
# parallel, against moto (EC2) and the loopback OpenSSH "instance" with the
# docker stand-in running the real gpuprobe. Nothing may be left running.

load test_helper

setup_file() {
  gpa_start_moto
  gpa_env "$BATS_FILE_TMPDIR"
  gpa_start_sshd
  export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
  local p="$BATS_FILE_TMPDIR/proj"
  mkdir -p "$p"
  printf 'FROM localbase:1\n' >"$p/Dockerfile"
  git -C "$p" init -q -b main
  git -C "$p" add -A
  git -C "$p" commit -q -m one
}

teardown_file() {
  gpa_stop_servers
}

setup() {
  gpa_env "$BATS_TEST_TMPDIR"
  gpa_reset_moto
  gpa_ssh_env
  gpa_import_test_key
  PROJ="$BATS_FILE_TMPDIR/proj"
}

assert_nothing_left() {
  assert_equal "$(live_instances)" ""
  assert_equal "$(extra_sgs)" ""
  [[ -z $(ls -A "$GPUPROBE_AWS_STATE_DIR/instances" 2>/dev/null) ]]
}

@test "sweep: every type is launched, checked and terminated; one failing type fails the sweep, not the others" {
  need_gpuprobe
  # the first instance to reach the status check fails it (after run-instances)
  export GPA_TEST_AWS_FAIL='ec2 wait instance-status-ok' GPA_TEST_AWS_FAIL_ONCE="$BATS_TEST_TMPDIR/failed-once"
  run "$GPA_BIN" sweep --types g4dn.xlarge,g5.xlarge,g6.xlarge --parallel 2 --key gpa-test \
    --ami-param "$GPA_TEST_AMI_PARAM" --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/sweep"
  assert_equal "$status" 1
  # three launches, all terminated; the groups gone; the reused key kept
  assert_equal "$(grep -c 'ec2 run-instances' "$GPA_TEST_AWS_LOG")" 3
  assert_equal "$(moto_dump | jq -r '[.instances[].State.Name] | unique | join(",")')" terminated
  assert_nothing_left
  assert_equal "$(key_pairs)" gpa-test

  # the summary: one FAILED(up), two ok with real reports
  assert_equal "$(grep -c 'FAILED(up)' <<<"$output")" 1
  local ok=0 t
  for t in g4dn.xlarge g5.xlarge g6.xlarge; do
    if grep -qE "^$t +ok " <<<"$output"; then
      ok=$((ok + 1))
      [[ -s $BATS_TEST_TMPDIR/sweep/$t/remote-check.json ]]
      assert_equal "$(jq -r .schema "$BATS_TEST_TMPDIR/sweep/$t/remote-check.json")" gpuprobe.report/1.3
      assert_equal "$(cat "$BATS_TEST_TMPDIR/sweep/$t/instance-type")" "$t"
    else
      grep -qE "^$t +FAILED\(up\)" <<<"$output"
      grep -q 'injected failure' "$BATS_TEST_TMPDIR/sweep/$t/log"
    fi
  done
  assert_equal "$ok" 2
}

@test "sweep: N-way gpuprobe compare labelled by type, with prices per hour from the catalog" {
  need_gpuprobe
  run "$GPA_BIN" sweep --types g4dn.xlarge,g6.xlarge --key gpa-test --ami-param "$GPA_TEST_AMI_PARAM" \
    --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/sweep"
  assert_success
  grep -qE "^g4dn.xlarge +ok +$(gp_price g4dn.xlarge) " <<<"$output"
  grep -qE "^g6.xlarge +ok +$(gp_price g6.xlarge) " <<<"$output"
  assert_output_contains "== gpuprobe compare (2 reports)"
  assert_output_contains "reports (2; the first is the base)"
  grep -qE '^ +g4dn.xlarge \(base\) +g6.xlarge' <<<"$output"
  assert_nothing_left
}

@test "sweep: without --key it makes one key pair for the sweep and deletes it, even when every launch fails; --parallel bounds it" {
  export GPA_TEST_AWS_FAIL='ec2 run-instances'
  run "$GPA_BIN" sweep --types g4dn.xlarge,g5.xlarge --parallel 1 --ami-param "$GPA_TEST_AMI_PARAM" --out "$BATS_TEST_TMPDIR/sweep"
  assert_equal "$status" 1
  # --parallel 1: the second type starts (resolves its AMI) only after the first one's launch attempt
  local first_launch second_start
  first_launch=$(grep -n 'ec2 run-instances' "$GPA_TEST_AWS_LOG" | head -n1 | cut -d: -f1)
  second_start=$(grep -n 'ssm get-parameter' "$GPA_TEST_AWS_LOG" | sed -n 2p | cut -d: -f1)
  (( first_launch < second_start ))
  assert_equal "$(grep -c 'ec2 create-key-pair' "$GPA_TEST_AWS_LOG")" 1
  assert_equal "$(grep -c 'FAILED(up)' <<<"$output")" 2
  assert_output_contains "deleted the sweep key pair"
  assert_equal "$(key_pairs)" "gpa-test"
  [[ -z $(find "$GPUPROBE_AWS_STATE_DIR/keys" -name 'gpuprobe-aws-*') ]]
  assert_nothing_left
}

@test "sweep: stopped with SIGTERM mid-way, it still terminates every instance it launched" {
  # hold every instance at the status check long enough to interrupt the sweep
  cat >"$BATS_TEST_TMPDIR/slow-aws" <<'EOF'
#!/bin/sh
case "$*" in *"wait instance-status-ok"*) sleep 30 ;; esac
exec "$GPA_TEST_AWS_REAL" "$@"
EOF
  chmod +x "$BATS_TEST_TMPDIR/slow-aws"
  export GPA_TEST_AWS_REAL=$GPA_TEST_AWS GPA_TEST_AWS="$BATS_TEST_TMPDIR/slow-aws"
  "$GPA_BIN" sweep --types g4dn.xlarge,g5.xlarge --key gpa-test --ami-param "$GPA_TEST_AMI_PARAM" \
    --out "$BATS_TEST_TMPDIR/sweep" >"$BATS_TEST_TMPDIR/sweep.log" 2>&1 3>&- &
  local pid=$! i
  for ((i = 0; i < 200; i++)); do
    [[ $(live_instances | wc -l) -ge 2 ]] && break
    sleep 0.2
  done
  assert_equal "$(live_instances | wc -l)" 2
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  [[ $rc -ne 0 ]]
  export GPA_TEST_AWS=$GPA_TEST_AWS_REAL
  assert_nothing_left
  # the slept-on waits were abandoned, not waited out
  ! grep -q 'is up (status ok)' "$BATS_TEST_TMPDIR/sweep.log"
}
