#!/usr/bin/env bats
# The nccl check on NCCL's real wheels from PyPI (nvidia-nccl-cu13 and -cu12, each alone in a
# virtualenv made by make-envs.sh): libnccl.so.2 found in <site-packages>/nvidia/nccl/lib, loaded,
# and its version read from the library itself (ncclGetVersion needs no GPU), equal to the wheel's.
# Any NCCL of this machine on the loader's paths is hidden (a private mount namespace), so that only
# the wheel can answer. HOME and PYENV_ROOT point at empty folders.

load ../cli/test_helper
load envs_helper
bats_require_minimum_version 1.5.0

eval "cli_$(declare -f setup)"
setup() {
  cli_setup
  ENVS="$(framework_envs)"
  unset LD_LIBRARY_PATH VIRTUAL_ENV CONDA_PREFIX PYTHONPATH
  mkdir -p "$TEST_TMP/pyenv"
  export PYENV_ROOT="$TEST_TMP/pyenv"
}

# hide_system_nccl: sets $hide to the shell commands that put an empty tmpfs over the folder of the
# machine's own libnccl.so.2 (nothing when there is none); skips where that cannot be done.
hide_system_nccl() {
  "$GPUPROBE" check --only nccl --json "$TEST_TMP/found.json" >/dev/null 2>&1 || true
  local sys
  sys="$(json "$TEST_TMP/found.json" "r['software']['libraries'].get('nccl', '')")"
  hide=true
  [[ "$sys" == /* ]] || return 0
  command -v unshare >/dev/null && unshare -m --propagation private true 2>/dev/null ||
    skip "this machine has NCCL ($sys) and no mount namespaces to hide it"
  [[ -e "$(dirname "$sys")/libc.so.6" ]] && skip "NCCL lives beside libc ($sys): that folder cannot be hidden"
  hide="mount -t tmpfs none \"$(dirname "$sys")\""
}

# nccl_in ENV: gpuprobe check --only nccl with ENV's virtualenv active, the system's NCCL hidden.
nccl_in() {
  local env="$ENVS/$1"
  run unshare -m --propagation private sh -c "$hide && VIRTUAL_ENV=$env exec \"$GPUPROBE\" check --only nccl --json $TEST_TMP/r.json"
  echo "$output"
}

# wheel_version ENV DIST: the version pip installed of DIST (nvidia_nccl_cu13), from its dist-info.
wheel_version() {
  local d
  for d in "$ENVS/$1"/lib/python3*/site-packages/"$2"-*.dist-info; do
    d="${d##*/}"
    d="${d#"$2"-}"
    echo "${d%.dist-info}"
    return
  done
}

wheel_case() {  # ENV DIST
  require_env "$1"
  require_no_driver
  hide_system_nccl
  nccl_in "$1"
  local site version
  site="$(echo "$ENVS/$1"/lib/python3*/site-packages)"
  version="$(wheel_version "$1" "$2")"
  [ -n "$version" ]
  [ "$status" -eq 3 ]  # no GPU: the check says what it found and skips the all-reduce
  [ "$(check_field "$TEST_TMP/r.json" nccl status)" = skip ]
  # The library's own answer (ncclGetVersion) is the wheel's version.
  [ "$(check_field "$TEST_TMP/r.json" nccl measured)" = "$(echo "$version" | cut -d. -f1-3)" ]
  [ "$(json "$TEST_TMP/r.json" "r['software']['libraries']['nccl']")" = "$site/nvidia/nccl/lib/libnccl.so.2" ]
  [ "$(json "$TEST_TMP/r.json" "[c for c in r['checks'] if c['id'] == 'nccl'][0]['details']['library_source']")" = pip_wheel ]
  [[ "$(check_field "$TEST_TMP/r.json" nccl message)" == *"NCCL $(echo "$version" | cut -d. -f1-3) present (from a pip wheel in $site/nvidia/nccl/lib"* ]]
}

@test "nvidia-nccl-cu13 from PyPI: its libnccl.so.2 found in the virtualenv, its real version read" {
  wheel_case nccl-cu13 nvidia_nccl_cu13
}

@test "nvidia-nccl-cu12 from PyPI: found the same way (the only NCCL there is)" {
  wheel_case nccl-cu12 nvidia_nccl_cu12
}

@test "no NCCL anywhere: a skip (no GPU) that names libnccl2 and the wheel as the fix" {
  require_no_driver
  if compgen -G "/usr/local/lib/python3*/*-packages/nvidia/nccl/lib" >/dev/null ||
     compgen -G "/usr/lib/python3/dist-packages/nvidia/nccl/lib" >/dev/null || [[ -d /opt/conda ]]; then
    skip "this machine has Python environments that may hold NCCL's wheel"
  fi
  hide_system_nccl
  run unshare -m --propagation private sh -c "$hide && exec \"$GPUPROBE\" check --only nccl --json $TEST_TMP/r.json"
  echo "$output"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" nccl status)" = skip ]
  [[ "$(check_field "$TEST_TMP/r.json" nccl message)" == *"no NCCL (libnccl.so.2)"* ]]
  [[ "$(check_field "$TEST_TMP/r.json" nccl hint)" == *"libnccl2"*"pip install nvidia-nccl-cu"* ]]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['libraries']['nccl']")" == "missing: "* ]]
}
