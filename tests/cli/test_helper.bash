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
  if ldconfig -p 2>/dev/null | grep -q 'libnvidia-ml\.so\.1 '; then
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
  if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1 '; then
    skip "this machine has libcuda.so.1: the no-driver path cannot be observed here"
  fi
}
