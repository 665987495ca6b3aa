#!/usr/bin/env bats
# gpuprobe-aws jupyter / tunnel: the instance is the loopback OpenSSH server,
# the container is a real Jupyter server started by the docker stand-in
# (fixtures/remote-bin/docker) on the instance's 127.0.0.1.

load test_helper

setup_file() {
  gpa_setup_file_with_instance || return 1
  # the project: a Dockerfile with a jupyter target, where gpuprobe keeps it
  mkdir -p "$BATS_FILE_TMPDIR/proj/docker"
  printf 'FROM localbase:1 AS runtime\nFROM runtime AS jupyter\n' >"$BATS_FILE_TMPDIR/proj/docker/Dockerfile"
  echo 'print(1)' >"$BATS_FILE_TMPDIR/proj/notebook.py"
  export GPA_LOCAL_PORT GPA_REMOTE_PORT
  GPA_LOCAL_PORT=$(gpa_free_port)
  GPA_REMOTE_PORT=$(gpa_free_port)
}

teardown_file() {
  gpa_env "$BATS_FILE_TMPDIR"
  "$GPA_BIN" tunnel --close >/dev/null 2>&1 || true
  "$GPA_BIN" down >/dev/null 2>&1 || true
  gpa_stop_servers
}

setup() {
  gpa_env "$BATS_FILE_TMPDIR"
  gpa_ssh_env
  command -v jupyter >/dev/null || skip "jupyter not installed (tests/aws/install-deps.sh)"
}

jupyter_up() {
  "$GPA_BIN" jupyter --repo "$BATS_FILE_TMPDIR/proj" --source tree \
    --local-port "$GPA_LOCAL_PORT" --remote-port "$GPA_REMOTE_PORT" 3>&-
}

@test "jupyter: container on the instance's loopback, token read via docker exec, URL through the tunnel answers 200" {
  run jupyter_up
  assert_success
  local url token
  url=$(sed -n 's/^Jupyter is ready: //p' <<<"$output")
  [[ $url == "http://localhost:$GPA_LOCAL_PORT/lab?token="* ]]
  token=${url#*token=}
  [[ ${#token} -ge 32 ]]

  # the printed URL, fetched through the tunnel: 200
  run curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url"
  assert_equal "$output" 200
  # the token is what opens it: without it the API refuses
  run curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$GPA_LOCAL_PORT/api/contents"
  [[ $output == 403 || $output == 401 ]]
  run curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$GPA_LOCAL_PORT/api/contents?token=$token"
  assert_equal "$output" 200

  # the project's jupyter image, built on the instance from the code sent there
  local src="$GPA_REMOTE_HOME/gpuprobe-remote/default/src"
  [[ -f $src/notebook.py ]]
  grep -qx "build -f $src/docker/Dockerfile --target jupyter -t gpuprobe:jupyter $src" "$DOCKER_STUB_DIR/calls.log"
  # the container was published on the instance's loopback only, with the GPUs, the code at /src
  grep -qx "run -d --name gpuprobe-jupyter -p 127.0.0.1:$GPA_REMOTE_PORT:8888 -v $src:/src --gpus all gpuprobe:jupyter" "$DOCKER_STUB_DIR/calls.log"
  # and Jupyter serves that directory: the notebook file is there, through the tunnel
  run curl -s --max-time 10 "http://127.0.0.1:$GPA_LOCAL_PORT/api/contents/notebook.py?token=$token"
  [[ $output == *'"name": "notebook.py"'* || $output == *'"name":"notebook.py"'* ]]
  grep -qx 'exec gpuprobe-jupyter jupyter server list --json' "$DOCKER_STUB_DIR/calls.log"
  # the Jupyter port itself is not reachable except through the tunnel's loopback binding
  run ss -Hltn "sport = :$GPA_REMOTE_PORT"
  [[ $output == *"127.0.0.1:$GPA_REMOTE_PORT"* && $output != *"0.0.0.0:$GPA_REMOTE_PORT"* ]]

  # the token is written nowhere: not in the state dir, the aws log, the stand-in's log
  ! grep -rqF "$token" "$GPUPROBE_AWS_STATE_DIR" "$DOCKER_STUB_DIR/calls.log" "$GPA_TEST_AWS_LOG"

  run "$GPA_BIN" status
  assert_output_contains "tunnel:    open, http://localhost:$GPA_LOCAL_PORT"
}

@test "jupyter: running it again reuses the container and the tunnel" {
  run jupyter_up
  assert_success
  assert_output_contains "reusing the running container gpuprobe-jupyter"
  assert_output_contains "tunnel already open"
  assert_equal "$(grep -c '^run -d' "$DOCKER_STUB_DIR/calls.log")" 1
  local url
  url=$(sed -n 's/^Jupyter is ready: //p' <<<"$output")
  run curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url"
  assert_equal "$output" 200
}

@test "tunnel --close ends the tunnel; closing again is fine; tunnel reopens it" {
  run "$GPA_BIN" tunnel --status
  assert_success
  run "$GPA_BIN" tunnel --close
  assert_success
  assert_output_contains "closed the tunnel"
  run curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$GPA_LOCAL_PORT/api/status"
  assert_failure
  run "$GPA_BIN" tunnel --status
  assert_failure
  run "$GPA_BIN" tunnel --close
  assert_success
  assert_output_contains "no tunnel open"
  [[ -z $(state_get TUNNEL_SOCKET) ]]

  run "$GPA_BIN" tunnel --local-port "$GPA_LOCAL_PORT" --remote-port "$GPA_REMOTE_PORT" 3>&-
  assert_success
  run curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$GPA_LOCAL_PORT/api/status"
  [[ $output == 200 || $output == 403 ]]
  run "$GPA_BIN" tunnel --close
  assert_success
}

@test "jupyter: a local port already in use is reported, nothing is left open" {
  local busy
  busy=$(gpa_free_port)
  python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$busy)); s.listen(); time.sleep(120)" 3>&- &
  local holder=$!
  gpa_wait_port "$busy"
  run "$GPA_BIN" jupyter --local-port "$busy" --remote-port "$GPA_REMOTE_PORT" 3>&-
  kill "$holder" || true
  assert_failure
  assert_output_contains "local port $busy is in use"
  refute_output_contains "Jupyter is ready"
  [[ -z $(state_get TUNNEL_SOCKET) ]]
}
