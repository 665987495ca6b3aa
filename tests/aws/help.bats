#!/usr/bin/env bats
# gpuprobe-aws --help for every subcommand, argument errors, and shellcheck.
# None of these touch AWS (the aws stub refuses any call without a loopback endpoint).

load test_helper

setup() {
  GPA_MOTO_PORT=1 # no server: any aws call would fail loudly
  gpa_env "$BATS_TEST_TMPDIR"
}

SUBCOMMANDS=(up status ssh list down check jupyter tunnel sweep)

@test "help: gpuprobe-aws --help lists every subcommand" {
  run "$GPA_BIN" --help
  assert_success
  assert_output_contains "Usage: gpuprobe-aws"
  local c
  for c in "${SUBCOMMANDS[@]}"; do
    grep -qE "^  $c " <<<"$output" || { echo "missing $c" >&2; return 1; }
  done
}

@test "help: every subcommand has --help and 'help CMD', both exit 0 and agree" {
  local c a b
  for c in "${SUBCOMMANDS[@]}"; do
    run "$GPA_BIN" "$c" --help
    assert_success
    assert_output_contains "Usage: gpuprobe-aws $c"
    a=$output
    run "$GPA_BIN" help "$c"
    assert_success
    b=$output
    assert_equal "$b" "$a"
  done
  [[ ! -s $GPA_TEST_AWS_LOG ]]
}

@test "help: no command prints usage and exits 2; unknown commands and options fail" {
  run "$GPA_BIN"
  assert_equal "$status" 2
  assert_output_contains "Usage: gpuprobe-aws"
  run "$GPA_BIN" frobnicate
  assert_failure
  assert_output_contains "unknown command 'frobnicate'"
  run "$GPA_BIN" help frobnicate
  assert_failure
  run "$GPA_BIN" --frob
  assert_failure
  run "$GPA_BIN" list --name 'a b'
  assert_failure
  assert_output_contains "--name must be"
  run "$GPA_BIN" sweep
  assert_failure
  assert_output_contains "--types is required"
  run "$GPA_BIN" jupyter --local-port 99999
  assert_failure
  assert_output_contains "bad port"
}

@test "help: the up help documents the safety defaults" {
  run "$GPA_BIN" up --help
  assert_output_contains "--max-hours"
  assert_output_contains "never 0.0.0.0/0"
  assert_output_contains "IMDSv2"
  assert_output_contains "--keep-on-failure"
}

@test "shellcheck: scripts and test helpers are clean" {
  command -v shellcheck >/dev/null || skip "shellcheck not installed"
  run shellcheck -x "$GPA_REPO_ROOT/scripts/gpuprobe-aws" "$GPA_REPO_ROOT"/scripts/lib/*.sh "$GPA_REPO_ROOT"/scripts/lib/providers/*.sh \
    "$GPA_TEST_DIR"/fixtures/remote-bin/* "$GPA_TEST_DIR/fixtures/gpuhost.sh" "$GPA_TEST_DIR/stubs/aws" "$GPA_TEST_DIR/stubs/curl" \
    "$GPA_TEST_DIR/test_helper.bash" "$GPA_TEST_DIR/run.sh" "$GPA_TEST_DIR/install-deps.sh"
  assert_success
}
