#!/usr/bin/env bats
# gpuprobe check --only container on real inputs: a real tmpfs on /dev/shm in a private mount
# namespace, real ulimits, real environment variables.

load test_helper
bats_require_minimum_version 1.5.0

# container_run SHM_SIZE MEMLOCK STACK ARGS...: gpuprobe with /dev/shm remounted at SHM_SIZE and the
# soft ulimits -l MEMLOCK (KiB or unlimited) and -s STACK (KiB), in a private /dev and a private IPC
# namespace; as in Docker, so the ulimits are judged.
container_run() {
  local shm="$1" memlock="$2" stack="$3"
  shift 3
  # shellcheck disable=SC2016 # expanded by the inner shell
  container=docker run in_private_dev unshare --ipc /bin/sh -c '
    set -e
    mount -o remount,size="$1" /dev/shm
    ulimit -l "$2"
    ulimit -s "$3"
    shift 3
    exec "$@"' sh "$shm" "$memlock" "$stack" "$GPUPROBE" check --only container "$@"
}

@test "Docker's defaults: 64 MiB /dev/shm, low memlock and stack warn with the fix for docker, compose, k8s" {
  require_private_dev
  NVIDIA_DRIVER_CAPABILITIES=compute container_run 64m 8192 8192 --json "$TEST_TMP/r.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"WARN  container"* ]]
  [[ "$output" == *"/dev/shm is 64 MiB in this container (a private IPC namespace)"* ]]
  [[ "$output" == *'"Bus error"'* ]]
  [[ "$output" == *"fix: docker run --ipc=host (the host's /dev/shm) or --shm-size=16g; Compose: ipc: host or shm_size: 16gb; Kubernetes: an emptyDir volume with medium: Memory"* ]]
  [[ "$output" == *"the memlock ulimit is 8 MiB in this container"* ]]
  [[ "$output" == *"the stack ulimit is 8 MiB in this container"* ]]
  [[ "$output" == *"NVIDIA_DRIVER_CAPABILITIES=compute leaves out utility"* ]]
  # One fix line for all four: the shm options, both ulimits, the capabilities.
  local hint
  hint="$(json "$TEST_TMP/r.json" "r['checks'][0]['hint']")"
  [[ "$hint" == *"--shm-size=16g"*"--ulimit memlock=-1"*"--ulimit stack=67108864"*"NVIDIA_DRIVER_CAPABILITIES=compute,utility"* ]]
  [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['reason']")" = "shm_small" ]
  [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['details']['shm_bytes']")" = "67108864" ]
  [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['details']['host_ipc']")" = "false" ]
  [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['details']['memlock_bytes']")" = "8388608" ]
  [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['details']['stack_bytes']")" = "8388608" ]
  [ "$(json "$TEST_TMP/r.json" "sorted(f['reason'] for f in r['checks'][0]['details']['findings'])")" = \
    '["capabilities_no_utility", "memlock_low", "shm_small", "stack_low"]' ]
}

@test "NVIDIA's flags (16 GiB /dev/shm, memlock unlimited, 64 MiB stack) pass" {
  require_private_dev
  # Raising memlock past its hard limit needs CAP_SYS_RESOURCE; without it memlock alone still warns.
  local memlock=unlimited
  in_private_dev /bin/sh -c 'ulimit -l unlimited' 2>/dev/null || memlock="$(ulimit -Hl)"
  NVIDIA_DRIVER_CAPABILITIES=compute,utility container_run 16g "$memlock" 65536 --json "$TEST_TMP/r.json"
  [ "$status" -eq 0 ]
  [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['details']['shm_bytes']")" = "17179869184" ]
  [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['details']['stack_bytes']")" = "67108864" ]
  if [ "$memlock" = unlimited ]; then
    [[ "$output" == *"PASS  container"* ]]
    [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['status']")" = "pass" ]
    [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['details']['memlock_bytes']")" = "null" ]
  else
    [ "$(json "$TEST_TMP/r.json" "[f['reason'] for f in r['checks'][0]['details']['findings']]")" = '["memlock_low"]' ]
  fi
}

@test "the host's IPC namespace with a small /dev/shm: grow it on the host" {
  require_private_dev
  [ "$(readlink /proc/self/ns/ipc)" = "ipc:[4026531839]" ] || skip "not in the host's IPC namespace here"
  # shellcheck disable=SC2016 # expanded by the inner shell
  container=docker run in_private_dev /bin/sh -c 'mount -o remount,size=64m /dev/shm && exec "$@"' sh \
    "$GPUPROBE" check --only container --json "$TEST_TMP/r.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"/dev/shm is 64 MiB in this container (the host's IPC namespace)"* ]]
  [[ "$output" == *"grow it on the host (sudo mount -o remount,size=16G /dev/shm)"* ]]
  [ "$(json "$TEST_TMP/r.json" "r['checks'][0]['details']['host_ipc']")" = "true" ]
}
