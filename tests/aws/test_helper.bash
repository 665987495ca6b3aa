# shellcheck shell=bash disable=SC2154 # status, output, lines come from bats' run
# Test harness for scripts/gpuprobe-aws (bats). Loopback only:
#  - a real moto server (EC2 + SSM) on 127.0.0.1:random, one per .bats file,
#    reset before every test (POST /moto-api/reset);
#  - a real OpenSSH server on 127.0.0.1:random standing in for the instance,
#    with throwaway host and user keys, its PATH led by fixtures/remote-bin
#    (the documented docker stand-in and the GPU host's tools), HOME a sandbox
#    directory and GPUPROBE_HOST_ROOT a sandbox root for the files the host
#    preflight reads (/proc/driver/nvidia/version, /etc/cdi);
#  - HOME, the state dir and PATH sandboxed per test; stubs/ first on PATH
#    (an aws wrapper that logs calls and can inject failures, a curl that
#    refuses anything but loopback).
# Every server the harness starts is stopped in teardown_file.

GPA_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GPA_REPO_ROOT=$(cd "$GPA_TEST_DIR/../.." && pwd)
GPA_BIN="$GPA_REPO_ROOT/scripts/gpuprobe-aws"
# An AMI parameter moto preloads (it has no Deep Learning AMI parameters).
GPA_TEST_AMI_PARAM=/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
GPA_TEST_MY_IP=203.0.113.7 # TEST-NET-3: only ever written into SG rules, never contacted

# The AWS CLI the tests drive: Debian's v2.9 when present (the oldest we
# support, without AWS_ENDPOINT_URL support of its own), else any on PATH.
gpa_real_aws() {
  if [[ -n ${GPA_TEST_AWS:-} ]]; then printf '%s\n' "$GPA_TEST_AWS"
  elif [[ -x /usr/bin/aws ]]; then printf '%s\n' /usr/bin/aws
  else command -v aws; fi
}

gpa_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

gpa_wait_port() { # PORT [TRIES]
  local i
  for ((i = 0; i < ${2:-100}; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# ---- moto ----------------------------------------------------------------------
gpa_start_moto() {
  command -v moto_server >/dev/null || { echo "moto_server not found (tests/aws/install-deps.sh)" >&2; return 1; }
  export GPA_MOTO_PORT
  GPA_MOTO_PORT=$(gpa_free_port)
  moto_server -H 127.0.0.1 -p "$GPA_MOTO_PORT" >"$BATS_FILE_TMPDIR/moto.log" 2>&1 3>&- &
  echo $! >"$BATS_FILE_TMPDIR/moto.pid"
  gpa_wait_port "$GPA_MOTO_PORT" 200 || { cat "$BATS_FILE_TMPDIR/moto.log" >&2; return 1; }
}

gpa_reset_moto() {
  curl -fsS -X POST "http://127.0.0.1:$GPA_MOTO_PORT/moto-api/reset" >/dev/null
}

# ---- environment ----------------------------------------------------------------
gpa_env() { # sandbox for the current scope (file or test)
  local base=$1
  mkdir -p "$base/home"
  export HOME="$base/home"
  export GPUPROBE_AWS_STATE_DIR="$base/state"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
  export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
  export AWS_CONFIG_FILE="$base/aws-config" AWS_SHARED_CREDENTIALS_FILE="$base/aws-credentials"
  export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
  unset AWS_PROFILE AWS_DEFAULT_PROFILE
  export AWS_ENDPOINT_URL="http://127.0.0.1:$GPA_MOTO_PORT"
  export GPUPROBE_AWS_MY_IP=$GPA_TEST_MY_IP
  export GPA_TEST_AWS
  GPA_TEST_AWS=$(gpa_real_aws)
  export GPA_TEST_AWS_LOG="$base/aws-calls.log"
  export PATH="$GPA_TEST_DIR/stubs:$GPA_REPO_ROOT/scripts:$GPA_ORIG_PATH"
  export GPUPROBE_BIN=${GPUPROBE_BIN:-$GPA_REPO_ROOT/build/gpuprobe}
  unset GPA_TEST_AWS_FAIL GPUPROBE_AWS_SSH_HOST GPUPROBE_AWS_SSH_CONFIG GPUPROBE_AWS_SSH_USER
}
GPA_ORIG_PATH=${GPA_ORIG_PATH:-$PATH}
export GPA_ORIG_PATH

# awsq ARGS: the real CLI against moto, for assertions
awsq() { "$GPA_TEST_AWS" --endpoint-url "$AWS_ENDPOINT_URL" --region us-east-1 "$@"; }

# On-demand price of TYPE in the catalog of $GPUPROBE_BIN, read as the AWS provider reads it
gp_price() {
  "$GPUPROBE_BIN" instances --json | jq -r --arg t "$1" '.instances[] | select(.instance_type == $t) | .price_per_hour // empty'
}

need_gpuprobe() {
  [[ -x $GPUPROBE_BIN ]] || skip "gpuprobe not built at $GPUPROBE_BIN (cmake -S . -B build && cmake --build build, or set GPUPROBE_BIN)"
}

# ---- sshd: the stand-in instance ------------------------------------------------------
gpa_start_sshd() {
  local d="$BATS_FILE_TMPDIR/sshd" sshd jup_dir
  sshd=$(command -v sshd || echo /usr/sbin/sshd)
  [[ -x $sshd ]] || { echo "sshd not found (apt-get install openssh-server)" >&2; return 1; }
  mkdir -p "$d" "$BATS_FILE_TMPDIR/remote-home" "$BATS_FILE_TMPDIR/docker-stub"
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" -C gpa-test-host
  ssh-keygen -q -t ed25519 -N '' -f "$d/user_key" -C gpa-test-user
  cp "$d/user_key.pub" "$d/authorized_keys"
  export GPA_SSHD_PORT GPA_USER_KEY="$d/user_key" GPA_REMOTE_HOME="$BATS_FILE_TMPDIR/remote-home"
  export DOCKER_STUB_DIR="$BATS_FILE_TMPDIR/docker-stub" GPA_HOST_ROOT="$BATS_FILE_TMPDIR/host-root"
  # the stand-in driver's kernel module (fixtures/gpuhost.sh's default version)
  mkdir -p "$GPA_HOST_ROOT/proc/driver/nvidia"
  printf 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 03:22:07 UTC 2024\n' \
    >"$GPA_HOST_ROOT/proc/driver/nvidia/version"
  GPA_SSHD_PORT=$(gpa_free_port)
  jup_dir=$(dirname "$(command -v jupyter)")
  mkdir -p /run/sshd 2>/dev/null || true
  cat >"$d/sshd_config" <<EOF
Port $GPA_SSHD_PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
PidFile $d/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding local
X11Forwarding no
PrintMotd no
Subsystem sftp internal-sftp
SetEnv PATH=$GPA_TEST_DIR/fixtures/remote-bin:$jup_dir:/usr/local/bin:/usr/bin:/bin HOME=$GPA_REMOTE_HOME GPUPROBE_BIN=${GPUPROBE_BIN:-$GPA_REPO_ROOT/build/gpuprobe} DOCKER_STUB_DIR=$DOCKER_STUB_DIR GPUPROBE_HOST_ROOT=$GPA_HOST_ROOT
EOF
  "$sshd" -f "$d/sshd_config" -E "$d/sshd.log" 3>&-
  gpa_wait_port "$GPA_SSHD_PORT" 100 || { cat "$d/sshd.log" >&2; return 1; }
  cat >"$d/ssh_config" <<EOF
Host 127.0.0.1
  Port $GPA_SSHD_PORT
EOF
}

# Point gpuprobe-aws's ssh at the stand-in instance.
gpa_ssh_env() {
  export GPUPROBE_AWS_SSH_HOST=127.0.0.1
  export GPUPROBE_AWS_SSH_CONFIG="$BATS_FILE_TMPDIR/sshd/ssh_config"
  GPUPROBE_AWS_SSH_USER=$(id -un)
  export GPUPROBE_AWS_SSH_USER
  export GPUPROBE_AWS_SSH_TRIES=3 GPUPROBE_AWS_SSH_RETRY_S=1 GPUPROBE_AWS_JUPYTER_TRIES=30
}

# The harness's user key, imported into moto as key pair gpa-test and placed
# where gpuprobe-aws keeps keys, so `up --key gpa-test` reuses it and ssh works.
gpa_import_test_key() {
  mkdir -p "$GPUPROBE_AWS_STATE_DIR/keys"
  cp "$GPA_USER_KEY" "$GPUPROBE_AWS_STATE_DIR/keys/gpa-test.pem"
  chmod 600 "$GPUPROBE_AWS_STATE_DIR/keys/gpa-test.pem"
  awsq ec2 import-key-pair --key-name gpa-test --public-key-material "fileb://$GPA_USER_KEY.pub" >/dev/null
}

gpa_stop_servers() {
  local f pid
  # Jupyter "containers" of the docker stand-in
  for f in "$BATS_FILE_TMPDIR"/docker-stub/containers/*/pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  for f in "$BATS_FILE_TMPDIR/sshd/sshd.pid" "$BATS_FILE_TMPDIR/moto.pid"; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
  done
  # tunnels left behind by a failed test
  for f in "$BATS_FILE_TMPDIR"/*/state/run/*.sock "$BATS_FILE_TMPDIR"/state/run/*.sock; do
    if [[ -S $f ]]; then ssh -S "$f" -O exit x >/dev/null 2>&1 || true; fi
  done
  return 0
}

# ---- assertions (bats-assert is not assumed) ------------------------------------
assert_success() {
  if [[ $status -ne 0 ]]; then
    printf 'expected success, got status %s; output:\n%s\n' "$status" "$output" >&2
    return 1
  fi
}
assert_failure() {
  if [[ $status -eq 0 ]]; then
    printf 'expected failure, got status 0; output:\n%s\n' "$output" >&2
    return 1
  fi
}
assert_output_contains() {
  if [[ $output != *"$1"* ]]; then
    printf 'expected output to contain: %s\nactual output:\n%s\n' "$1" "$output" >&2
    return 1
  fi
}
refute_output_contains() {
  if [[ $output == *"$1"* ]]; then
    printf 'expected output NOT to contain: %s\nactual output:\n%s\n' "$1" "$output" >&2
    return 1
  fi
}
assert_equal() { # ACTUAL EXPECTED
  if [[ $1 != "$2" ]]; then
    printf 'expected: %s\nactual:   %s\n' "$2" "$1" >&2
    return 1
  fi
}

# State value of NAME's state file: state_get KEY [NAME]
state_get() {
  sed -n "s/^$1=//p" "$GPUPROBE_AWS_STATE_DIR/instances/${2:-default}.state"
}

# The whole EC2 state of moto as JSON (one process; see fixtures/moto_dump.py)
moto_dump() { python3 "$GPA_TEST_DIR/fixtures/moto_dump.py"; }

# Instances in moto that are not terminated: ids, one per line
live_instances() {
  moto_dump | jq -r '.instances[] | select(.State.Name != "terminated" and .State.Name != "shutting-down") | .InstanceId'
}

# Security groups other than the default ones: ids
extra_sgs() { moto_dump | jq -r '.security_groups[] | select(.GroupName != "default") | .GroupId'; }

# Key pair names
key_pairs() { moto_dump | jq -r '.key_pairs[].KeyName'; }

# Ingress rules of security group SG in DUMP: "proto from-to cidr" lines, sorted
sg_rules_of() { # DUMP SG
  jq -r --arg sg "$2" '.security_groups[] | select(.GroupId == $sg) | .IpPermissions[] | . as $p
    | ((.IpRanges // [])[] | "\($p.IpProtocol) \($p.FromPort)-\($p.ToPort) \(.CidrIp)"),
      ((.Ipv6Ranges // [])[] | "\($p.IpProtocol) \($p.FromPort)-\($p.ToPort) \(.CidrIpv6)")' <<<"$1" | sort
}

# `up` with the test AMI parameter
gpa_up() { "$GPA_BIN" up --ami-param "$GPA_TEST_AMI_PARAM" "$@"; }

# For files whose tests share one instance: moto, the state sandbox, the loopback OpenSSH server
# standing in for the instance, the test key, and `up`.
gpa_setup_file_with_instance() {
  gpa_start_moto
  gpa_env "$BATS_FILE_TMPDIR"
  gpa_reset_moto
  gpa_start_sshd
  gpa_import_test_key
  gpa_up --key gpa-test >"$BATS_FILE_TMPDIR/up.log" 2>&1 || { cat "$BATS_FILE_TMPDIR/up.log" >&2; return 1; }
}
