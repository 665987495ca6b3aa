#!/usr/bin/env bats
# gpuprobe-aws ssh: the instance is launched in moto (127.0.0.1) and reached on
# a real OpenSSH server on 127.0.0.1 standing in for it (GPUPROBE_AWS_SSH_HOST).
# One instance for the whole file (setup_file), since these tests only ssh.

load test_helper

setup_file() {
  gpa_setup_file_with_instance || return 1
}

teardown_file() {
  "$GPA_BIN" down >/dev/null 2>&1 || true
  gpa_stop_servers
}

setup() {
  gpa_env "$BATS_FILE_TMPDIR"
  gpa_ssh_env
}

@test "ssh: runs a command on the instance with the recorded key" {
  run "$GPA_BIN" ssh -- echo hello from '$(hostname)'
  assert_success
  assert_equal "$output" "hello from $(hostname)"
  # it is the stand-in instance's environment (its docker is the documented stand-in)
  run "$GPA_BIN" ssh -- 'command -v docker; echo $HOME'
  assert_success
  assert_equal "${lines[0]}" "$GPA_TEST_DIR/fixtures/remote-bin/docker"
  assert_equal "${lines[1]}" "$GPA_REMOTE_HOME"
  # the exit status comes back
  run "$GPA_BIN" ssh -- exit 7
  assert_equal "$status" 7
}

@test "ssh: trusts the host key on first use, per instance, and then holds it" {
  local kh
  kh="$GPUPROBE_AWS_STATE_DIR/known_hosts.d/$(state_get INSTANCE_ID)"
  run "$GPA_BIN" ssh -- true
  assert_success
  [[ -f $kh ]]
  grep -qF "$(cut -d' ' -f2 "$BATS_FILE_TMPDIR/sshd/host_key.pub")" "$kh"
  # a different host key for that instance is refused
  cp "$kh" "$BATS_TEST_TMPDIR/kh.saved"
  ssh-keygen -q -t ed25519 -N '' -f "$BATS_TEST_TMPDIR/other" -C other
  printf '[127.0.0.1]:%s %s\n' "$GPA_SSHD_PORT" "$(cut -d' ' -f1-2 "$BATS_TEST_TMPDIR/other.pub")" >"$kh"
  run "$GPA_BIN" ssh -- true
  cp "$BATS_TEST_TMPDIR/kh.saved" "$kh"
  assert_failure
}

@test "ssh: goes through a ProxyJump bastion from GPUPROBE_AWS_SSH_CONFIG" {
  # The bastion is the same loopback sshd; the hop is a real direct-tcpip forward.
  cat >"$BATS_TEST_TMPDIR/ssh_config" <<EOF
Host gpa-bastion
  HostName 127.0.0.1
  Port $GPA_SSHD_PORT
  User $(id -un)
  IdentityFile $GPA_USER_KEY
  IdentitiesOnly yes
  UserKnownHostsFile $BATS_TEST_TMPDIR/bastion_known_hosts
  StrictHostKeyChecking accept-new
  LogLevel ERROR
Host gpa-instance
  HostName 127.0.0.1
  Port $GPA_SSHD_PORT
  ProxyJump gpa-bastion
EOF
  export GPUPROBE_AWS_SSH_CONFIG="$BATS_TEST_TMPDIR/ssh_config" GPUPROBE_AWS_SSH_HOST=gpa-instance
  local before
  before=$(grep -c 'Accepted publickey' "$BATS_FILE_TMPDIR/sshd/sshd.log" || true)
  run "$GPA_BIN" ssh -- echo via bastion
  assert_success
  assert_equal "$output" "via bastion"
  [[ -s $BATS_TEST_TMPDIR/bastion_known_hosts ]]
  # two logins: the bastion, then the instance through it
  assert_equal "$(grep -c 'Accepted publickey' "$BATS_FILE_TMPDIR/sshd/sshd.log")" $((before + 2))
}

@test "ssh: nothing recorded under the name is a clear error" {
  run "$GPA_BIN" ssh --name nope -- true
  assert_failure
  assert_output_contains "no instance recorded under the name 'nope'"
}
