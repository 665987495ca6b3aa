#!/usr/bin/env bats
# gpuprobe-aws check: code to the instance (loopback OpenSSH server), docker
# build + run through the docker stand-in, which runs the real gpuprobe
# ($GPUPROBE_BIN) there; the report comes back and is compared.

load test_helper

setup_file() {
  gpa_setup_file_with_instance || return 1
  # a small project: a git repo with a Dockerfile, pushed to a bare "origin"
  export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
  local p="$BATS_FILE_TMPDIR/proj"
  mkdir -p "$p/build"
  printf 'FROM localbase:1\nCOPY . /src\n' >"$p/Dockerfile"
  printf 'tracked\n' >"$p/tracked.txt"
  printf 'build/\n*.log\n' >"$p/.gitignore"
  git -C "$p" init -q -b main
  git -C "$p" add -A
  git -C "$p" commit -q -m one
  git clone -q --bare "$p" "$BATS_FILE_TMPDIR/origin.git"
  git -C "$p" remote add origin "file://$BATS_FILE_TMPDIR/origin.git"
  git -C "$p" fetch -q origin
  git -C "$p" branch -q -u origin/main
}

teardown_file() {
  gpa_env "$BATS_FILE_TMPDIR"
  "$GPA_BIN" down >/dev/null 2>&1 || true
  gpa_stop_servers
}

setup() {
  gpa_env "$BATS_FILE_TMPDIR"
  gpa_ssh_env
  export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
  PROJ="$BATS_FILE_TMPDIR/proj"
  REMOTE_DIR="$GPA_REMOTE_HOME/gpuprobe-remote/default"
  : >"$DOCKER_STUB_DIR/calls.log"
  rm -f "$DOCKER_STUB_DIR/host.env" # a healthy GPU host unless a test says otherwise
  rm -rf "$GPA_HOST_ROOT/etc"
}

# Settings of the instance's GPU host stand-ins (fixtures/gpuhost.sh): NAME=VALUE...
host_env() {
  local kv
  for kv in "$@"; do printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"; done >>"$DOCKER_STUB_DIR/host.env"
}

# the exit status the real gpuprobe check has on this machine (3 without a GPU driver)
local_check_status() {
  local rc=0
  "$GPUPROBE_BIN" check --json "$BATS_TEST_TMPDIR/probe.json" >/dev/null 2>&1 || rc=$?
  echo "$rc"
}

assert_report() { # FILE: a gpuprobe JSON report
  [[ -s $1 ]]
  assert_equal "$(jq -r .schema "$1")" "gpuprobe.report/1.3"
  jq -e 'has("host") and has("software") and has("gpus") and has("checks")' "$1" >/dev/null
}

@test "check --source tree: sends the working tree, builds, runs gpuprobe check with --gpus all, brings the report back" {
  need_gpuprobe
  printf 'untracked\n' >"$PROJ/new.txt"
  printf 'ignored\n' >"$PROJ/debug.log"
  printf 'artefact\n' >"$PROJ/build/out.o"
  local want
  want=$(local_check_status)
  run "$GPA_BIN" check --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/out"
  rm -f "$PROJ/new.txt" "$PROJ/debug.log"
  # exit status: the remote gpuprobe check's (3 = no driver on this GPU-less machine)
  assert_equal "$status" "$want"
  assert_output_contains "remote report: $BATS_TEST_TMPDIR/out/remote-check.json (gpuprobe check exit $want)"

  # the working tree went over: tracked + untracked, not ignored, not build/
  [[ -f $REMOTE_DIR/src/Dockerfile && -f $REMOTE_DIR/src/tracked.txt && -f $REMOTE_DIR/src/new.txt ]]
  [[ ! -e $REMOTE_DIR/src/debug.log && ! -e $REMOTE_DIR/src/build ]]

  # docker build, then the check with the GPUs, through the stand-in
  grep -qx "build -f $REMOTE_DIR/src/Dockerfile -t gpuprobe-aws:check $REMOTE_DIR/src" "$DOCKER_STUB_DIR/calls.log"
  grep -qx "run --rm --gpus all -v $REMOTE_DIR/out:/out --entrypoint gpuprobe gpuprobe-aws:check check --json /out/check.json" \
    "$DOCKER_STUB_DIR/calls.log"

  # the host preflight ran on the instance first, in gpuprobe check's words, and
  # checked the built image before the run; its JSON came back
  assert_output_contains "== host preflight on the instance"
  grep -qE '^PASS  host-driver +[0-9]+ ms  driver 550\.127\.05 \(CUDA 12\.4\)' <<<"$output"
  [[ -f $REMOTE_DIR/host-preflight.sh ]]
  jq -e '.exit_code == 0 and .gpu_flags == "--gpus all"' "$BATS_TEST_TMPDIR/out/host-preflight.json" >/dev/null
  grep -qx "info" "$DOCKER_STUB_DIR/calls.log"
  assert_output_contains "sets no NVIDIA_REQUIRE_CUDA"

  # the real report came back, identical to the one written on the instance
  assert_report "$BATS_TEST_TMPDIR/out/remote-check.json"
  cmp "$BATS_TEST_TMPDIR/out/remote-check.json" "$REMOTE_DIR/out/check.json"
  # and a local one was made by the local gpuprobe for the comparison
  assert_report "$BATS_TEST_TMPDIR/out/local-check.json"
  assert_output_contains "local report:  $BATS_TEST_TMPDIR/out/local-check.json"
  assert_output_contains "== gpuprobe compare local remote"
  refute_output_contains "compare:       unavailable"
  assert_output_contains "remote bench:  $BATS_TEST_TMPDIR/out/remote-bench.json"
}

@test "check --source git: the instance clones origin at the local commit" {
  need_gpuprobe
  printf 'not committed\n' >"$PROJ/dirty.txt"
  run "$GPA_BIN" check --repo "$PROJ" --source git --out "$BATS_TEST_TMPDIR/out" --no-bench
  rm -f "$PROJ/dirty.txt"
  assert_output_contains "remote: git clone file://$BATS_FILE_TMPDIR/origin.git at $(git -C "$PROJ" rev-parse --short=12 HEAD)"
  assert_output_contains "uncommitted changes"
  assert_equal "$(git -C "$REMOTE_DIR/src" rev-parse HEAD)" "$(git -C "$PROJ" rev-parse HEAD)"
  [[ ! -e $REMOTE_DIR/src/dirty.txt ]]
  assert_report "$BATS_TEST_TMPDIR/out/remote-check.json"
  assert_output_contains "remote bench:  skipped (--no-bench)"

  # a second commit, pushed: the existing clone is fetched and moved to it
  printf 'two\n' >>"$PROJ/tracked.txt"
  git -C "$PROJ" commit -q -am two
  git -C "$PROJ" push -q origin main
  run "$GPA_BIN" check --repo "$PROJ" --out "$BATS_TEST_TMPDIR/out2" --no-bench # auto: clean and pushed -> git
  assert_output_contains "remote: git clone"
  assert_equal "$(git -C "$REMOTE_DIR/src" rev-parse HEAD)" "$(git -C "$PROJ" rev-parse HEAD)"
  assert_report "$BATS_TEST_TMPDIR/out2/remote-check.json"
}

@test "check: gpuprobe compare of the local and the remote report, labelled, with its verdict" {
  need_gpuprobe
  local want
  want=$(local_check_status)
  run "$GPA_BIN" check --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/out" --no-bench
  # the remote check's status wins (3 here: no GPU); compare ran all the same
  assert_equal "$status" "$want"
  assert_output_contains "== gpuprobe compare local remote"
  assert_output_contains "reports (2; the first is the base)"
  grep -qE '^ +local \(base\) +remote' <<<"$output"
  grep -qE '\[exit [0-9]+\]$' <<<"$output"
}

@test "check --local-report: compares against a given report instead of making one; docker/Dockerfile is preferred" {
  need_gpuprobe
  "$GPUPROBE_BIN" check --json "$BATS_TEST_TMPDIR/mine.json" >/dev/null 2>&1 || true
  # a tree with docker/Dockerfile (like gpuprobe's): that one is built, from the root
  mkdir -p "$PROJ/docker"
  printf 'FROM localbase:1\n' >"$PROJ/docker/Dockerfile"
  run "$GPA_BIN" check --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/out" --no-bench \
    --local-report "$BATS_TEST_TMPDIR/mine.json"
  rm -rf "$PROJ/docker"
  grep -qx "build -f $REMOTE_DIR/src/docker/Dockerfile -t gpuprobe-aws:check $REMOTE_DIR/src" "$DOCKER_STUB_DIR/calls.log"
  assert_output_contains "local report:  $BATS_TEST_TMPDIR/mine.json"
  [[ ! -e $BATS_TEST_TMPDIR/out/local-check.json ]]
  assert_report "$BATS_TEST_TMPDIR/out/remote-check.json"
}

@test "check: a failing remote docker build fails the command, with no report" {
  local p="$BATS_TEST_TMPDIR/nodocker"
  mkdir -p "$p"
  echo hi >"$p/readme"
  run "$GPA_BIN" check --repo "$p" --source tree --out "$BATS_TEST_TMPDIR/out"
  assert_equal "$status" 1
  assert_output_contains "no Dockerfile"
  assert_output_contains "the remote build/run failed"
  [[ ! -e $BATS_TEST_TMPDIR/out/remote-check.json ]]
  ! grep -q '^run ' "$DOCKER_STUB_DIR/calls.log"
}

@test "check: --no-gpus runs the container without --gpus all" {
  need_gpuprobe
  run "$GPA_BIN" check --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/out" --no-gpus --no-bench
  grep -q '^run --rm -v .* check --json /out/check.json$' "$DOCKER_STUB_DIR/calls.log"
  ! grep -q -- '--gpus' "$DOCKER_STUB_DIR/calls.log"
  assert_report "$BATS_TEST_TMPDIR/out/remote-check.json"
}

@test "check: an instance that cannot run GPU containers (driver not loaded) stops at the preflight with its fix; nothing is built" {
  host_env GPA_HOST_DRIVER=unloaded
  mv "$GPA_HOST_ROOT/proc/driver/nvidia/version" "$BATS_TEST_TMPDIR/version"
  run "$GPA_BIN" check --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/out"
  mv "$BATS_TEST_TMPDIR/version" "$GPA_HOST_ROOT/proc/driver/nvidia/version"
  assert_equal "$status" 3
  assert_output_contains "FAIL  host-driver"
  assert_output_contains "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver"
  assert_output_contains "fix: sudo modprobe nvidia"
  assert_output_contains "the instance cannot run GPU containers (host preflight exit 3)"
  ! grep -qE '^(build|run) ' "$DOCKER_STUB_DIR/calls.log"
  jq -e '.exit_code == 3' "$BATS_TEST_TMPDIR/out/host-preflight.json" >/dev/null
  [[ ! -e $BATS_TEST_TMPDIR/out/remote-check.json ]]
}

@test "check: an image whose NVIDIA_REQUIRE_CUDA the driver does not meet is stopped after the build, before docker run" {
  host_env 'GPA_HOST_IMAGE_ENV=["NVIDIA_REQUIRE_CUDA=cuda\u003e=13.0"]'
  run "$GPA_BIN" check --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/out" --no-bench
  assert_equal "$status" 1
  grep -qx "build -f $REMOTE_DIR/src/Dockerfile -t gpuprobe-aws:check $REMOTE_DIR/src" "$DOCKER_STUB_DIR/calls.log"
  ! grep -q '^run ' "$DOCKER_STUB_DIR/calls.log"
  assert_output_contains "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=13.0"
  assert_output_contains "upgrade the host driver to branch 580 or newer"
  assert_output_contains "gpuprobe check did not run"
}

@test "check: on a CDI-only instance the container gets the GPUs with --device nvidia.com/gpu=all" {
  need_gpuprobe
  host_env "GPA_HOST_DOCKER_RUNTIMES=io.containerd.runc.v2 runc"
  mkdir -p "$GPA_HOST_ROOT/etc/cdi"
  printf 'cdiVersion: 0.5.0\ndevices:\n- name: all\nkind: nvidia.com/gpu\n' >"$GPA_HOST_ROOT/etc/cdi/nvidia.yaml"
  run "$GPA_BIN" check --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/out" --no-bench
  assert_output_contains "docker run --device nvidia.com/gpu=all gives containers the GPUs"
  grep -qx "run --rm --device nvidia.com/gpu=all -v $REMOTE_DIR/out:/out --entrypoint gpuprobe gpuprobe-aws:check check --json /out/check.json" \
    "$DOCKER_STUB_DIR/calls.log"
  assert_report "$BATS_TEST_TMPDIR/out/remote-check.json"
}

@test "check --no-gpus: a failing preflight is printed, and check goes on" {
  need_gpuprobe
  host_env "GPA_HOST_DOCKER_RUNTIMES=io.containerd.runc.v2 runc"
  run "$GPA_BIN" check --repo "$PROJ" --source tree --out "$BATS_TEST_TMPDIR/out" --no-gpus --no-bench
  assert_output_contains 'could not select device driver "" with capabilities: [[gpu]]'
  assert_output_contains "going on because of --no-gpus"
  grep -q '^run --rm -v ' "$DOCKER_STUB_DIR/calls.log"
  assert_report "$BATS_TEST_TMPDIR/out/remote-check.json"
}
