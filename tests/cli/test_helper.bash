# Shared set-up for the CLI tests (rbenv style): a sandboxed HOME and PATH, the binary under test
# in $GPUPROBE, and small JSON/XML readers built on python3 (present on every CI machine).

setup() {
  : "${GPUPROBE:?set GPUPROBE to the gpuprobe binary (ctest does)}"
  TEST_TMP="$(mktemp -d "${BATS_TMPDIR:-/tmp}/gpuprobe-cli.XXXXXX")"
  export HOME="$TEST_TMP/home"
  mkdir -p "$HOME"
  export PATH="$TEST_TMP/bin:/usr/local/bin:/usr/bin:/bin"
  mkdir -p "$TEST_TMP/bin"
  # A clean environment: no colour, no variables the environment check would flag.
  export NO_COLOR=1
  unset CUDA_LAUNCH_BLOCKING CUDA_VISIBLE_DEVICES NVIDIA_TF32_OVERRIDE CUDA_FORCE_PTX_JIT CUDA_CACHE_DISABLE
  unset NVIDIA_VISIBLE_DEVICES NVIDIA_DRIVER_CAPABILITIES
}

teardown() {
  rm -rf "$TEST_TMP"
}

# json FILE PYTHON-EXPR: evaluates EXPR with `r` bound to the parsed report, prints the result.
json() {
  python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"r": r})
print(json.dumps(v) if not isinstance(v, str) else v)
PY
}

# check_field FILE ID FIELD: one field of one check.
check_field() {
  json "$1" "[c for c in r['checks'] if c['id'] == '$2'][0]['$3']"
}

# check_count: how many checks `gpuprobe check` runs (one line each in `check --list`).
check_count() {
  "$GPUPROBE" check --list | wc -l | tr -d ' '
}

# Runs gpuprobe with the stand-in libcuda.so.1 first on the loader path.
with_fake_driver() {
  local mode="$1"
  shift
  FAKE_CUDA_MODE="$mode" LD_LIBRARY_PATH="${FAKE_CUDA_DIR:?}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
}

# with_fake_driver_and_nvml CUDA_MODE NVML_MODE CMD...: the stand-in libcuda.so.1 and the
# stand-in libnvidia-ml.so.1 (fake_libnvml.cpp) first on the loader path.
with_fake_driver_and_nvml() {
  local cuda="$1" nvml="$2"
  shift 2
  FAKE_CUDA_MODE="$cuda" FAKE_NVML_MODE="$nvml" \
    LD_LIBRARY_PATH="${FAKE_CUDA_DIR:?}:${FAKE_NVML_DIR:?}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
}

# Skips the test when this machine has NVML: the assertions are about what is known without it.
require_no_nvml() {
  if "$(command -v ldconfig || echo /sbin/ldconfig)" -p 2>/dev/null | grep -q 'libnvidia-ml\.so\.1 '; then
    skip "this machine has libnvidia-ml.so.1: the no-NVML path cannot be observed here"
  fi
}

# Skips the test when gpuprobe would take this machine for a container (/.dockerenv, /run/.containerenv,
# a runtime in /proc/1/cgroup): the assertions are about a machine that is not one.
require_not_container() {
  local c
  c="$("$GPUPROBE" check --only environment --json - 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["container"]["detected"])')"
  [ "$c" = "False" ] || skip "this machine looks like a container to gpuprobe: the host wording cannot be observed here"
}

# Skips the test when this machine has an NVIDIA driver: the assertions are about its absence.
require_no_driver() {
  if "$(command -v ldconfig || echo /sbin/ldconfig)" -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
    skip "this machine has libcuda.so.1: the no-driver path cannot be observed here"
  fi
}

# NVIDIA's own user-space driver libraries, as tests/cli/fetch-nvidia-drivers.sh lays them out in
# $NVIDIA_DRIVERS_DIR: <branch>/cuda/libcuda.so.1, <branch>/nvml/libnvidia-ml.so.1, <branch>/VERSION.

# real_driver_version BRANCH: the driver version of the fetched BRANCH, e.g. 535.261.03.
real_driver_version() {
  cat "${NVIDIA_DRIVERS_DIR:?}/$1/VERSION"
}

# require_real_driver BRANCH: skips the test when BRANCH has not been fetched, or fails it when
# GPUPROBE_REQUIRE_REAL_DRIVERS=1 (CI). Also skips on a machine with an NVIDIA kernel module: the
# real libraries would talk to it, and the assertions are about its absence.
require_real_driver() {
  local d="${NVIDIA_DRIVERS_DIR:-}/$1"
  if [[ -z "${NVIDIA_DRIVERS_DIR:-}" || ! -s "$d/VERSION" || ! -e "$d/cuda/libcuda.so.1" ||
        ! -e "$d/nvml/libnvidia-ml.so.1" ]]; then
    local why="NVIDIA's $1 driver libraries are not in ${NVIDIA_DRIVERS_DIR:-\$NVIDIA_DRIVERS_DIR (unset)}: run tests/cli/fetch-nvidia-drivers.sh"
    [ "${GPUPROBE_REQUIRE_REAL_DRIVERS:-0}" = "1" ] && { echo "$why" >&2; return 1; }
    skip "$why (GPUPROBE_REQUIRE_REAL_DRIVERS=1 makes this a failure)"
  fi
  if [[ -e /proc/driver/nvidia ]]; then
    skip "this machine has an NVIDIA kernel module: the no-kernel-module path cannot be observed here"
  fi
}

# with_real_driver BRANCH [cuda|nvml|both] CMD...: runs CMD with NVIDIA's libcuda.so.1 and/or
# libnvidia-ml.so.1 of BRANCH first on the loader path (both when the second word is neither).
with_real_driver() {
  local dir="${NVIDIA_DRIVERS_DIR:?}/$1" path
  shift
  case "${1:-}" in
    cuda) path="$dir/cuda"; shift ;;
    nvml) path="$dir/nvml"; shift ;;
    both) path="$dir/cuda:$dir/nvml"; shift ;;
    *) path="$dir/cuda:$dir/nvml" ;;
  esac
  LD_LIBRARY_PATH="$path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
}

# in_private_dev CMD...: runs CMD in its own mount namespace over a fresh /dev (a tmpfs, as in a
# container) holding only null, zero, full, random, urandom and tty (bound to the real ones), an
# empty /dev/shm and /dev/pts, and the fd links. Whatever CMD creates there (as root, NVIDIA's
# libcuda and NVML create /dev/nvidiactl when it is missing) vanishes with it; mounts CMD makes
# stay in the namespace too. Root uses a plain mount namespace (needs CAP_SYS_ADMIN); anyone else
# a user namespace mapping them to root, where creating device nodes is refused anyway.
in_private_dev() {
  local mnt="${TEST_TMP:?}/private-dev" ns=(--mount --propagation private)
  [[ $(id -u) -eq 0 ]] || ns=(--user --map-root-user "${ns[@]}")
  mkdir -p "$mnt"
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare "${ns[@]}" -- /bin/sh -c '
    set -e
    d="$1"
    shift
    mount -t tmpfs -o nosuid,mode=755,size=1m gpuprobe-dev "$d"
    for n in null zero full random urandom tty; do
      : >"$d/$n"
      mount --bind "/dev/$n" "$d/$n"
    done
    mkdir "$d/shm" "$d/pts"
    mount -t tmpfs -o nosuid,nodev,mode=1777 gpuprobe-shm "$d/shm"
    ln -s /proc/self/fd "$d/fd"
    ln -s /proc/self/fd/0 "$d/stdin"
    ln -s /proc/self/fd/1 "$d/stdout"
    ln -s /proc/self/fd/2 "$d/stderr"
    mount --rbind "$d" /dev
    exec "$@"' in_private_dev "$mnt" "$@"
}

# require_private_dev: skips the test where in_private_dev cannot work (no unshare, no
# CAP_SYS_ADMIN for root, no user namespaces for others), or fails it when
# GPUPROBE_REQUIRE_REAL_DRIVERS=1.
require_private_dev() {
  local err
  if ! err="$(in_private_dev test -c /dev/null 2>&1)"; then
    local why="no private /dev here (unshare --mount needs CAP_SYS_ADMIN, or user namespaces when not root): ${err:-unshare failed}"
    [ "${GPUPROBE_REQUIRE_REAL_DRIVERS:-0}" = "1" ] && { echo "$why" >&2; return 1; }
    skip "$why"
  fi
}

# nvidia_dev_nodes: the /dev/nvidia* entries of the current /dev, one a line (none: empty).
nvidia_dev_nodes() {
  local f
  for f in /dev/nvidia*; do
    [[ -e "$f" || -L "$f" ]] && echo "$f"
  done
  return 0
}
