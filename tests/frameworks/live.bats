#!/usr/bin/env bats
# The live half of the frameworks check (probes/src/framework_live.cpp), run by
# gpuprobe_live_probe in real framework environments (make-envs.sh: the frameworks' real wheels
# from PyPI) on this machine, which has no GPU: with no driver at all, and with NVIDIA's real R535
# user-space libraries (tests/cli/fetch-nvidia-drivers.sh) in a private /dev, as in
# tests/cli/drivers.bats. What each framework answers here is its real answer.
#
# An environment that was not made skips its tests, unless GPUPROBE_REQUIRE_FRAMEWORKS=1 (CI).

load ../cli/test_helper
load envs_helper
bats_require_minimum_version 1.5.0

setup() {
  : "${LIVE_PROBE:?set LIVE_PROBE to gpuprobe_live_probe (ctest does)}"
  ENVS="$(framework_envs)"
  : "${NVIDIA_DRIVERS_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/gpuprobe/nvidia-drivers}"
  export NVIDIA_DRIVERS_DIR
  TEST_TMP="$(mktemp -d "${BATS_TMPDIR:-/tmp}/gpuprobe-frameworks.XXXXXX")"
  unset CUDA_VISIBLE_DEVICES NVIDIA_VISIBLE_DEVICES LD_LIBRARY_PATH VIRTUAL_ENV CONDA_PREFIX PYTHONPATH
}

teardown() {
  rm -rf "$TEST_TMP"
}

# live [PREFIX...] -- ENV FRAMEWORK: the live probe of FRAMEWORK with $ENVS/ENV's python, run
# under PREFIX (e.g. with_real_driver 535 in_private_dev); its JSON into $TEST_TMP/r.json.
live() {
  local prefix=()
  while [[ "$1" != "--" ]]; do prefix+=("$1"); shift; done
  shift
  require_env "$1"
  "${prefix[@]}" "$LIVE_PROBE" "$2" "$ENVS/$1/bin/python" >"$TEST_TMP/r.json"
  cat "$TEST_TMP/r.json"
}

# answered_without_gpu ENV FRAMEWORK [r535]: live with no driver at all, or with NVIDIA's R535
# libraries in a private /dev; the answer must be "answered, no GPU".
answered_without_gpu() {
  if [[ "${3:-}" == r535 ]]; then
    require_real_driver 535
    require_private_dev
    live with_real_driver 535 in_private_dev -- "$1" "$2"
  else
    require_no_driver
    live -- "$1" "$2"
  fi
  [ "$(field "r['outcome']")" = "answered" ]
  [ "$(field "r['gpu_available']")" = "false" ]
  [ "$(field "r['device_count']")" = "0" ]
}

# field EXPR: EXPR of the first result, bound to `r`.
field() { json "$TEST_TMP/r.json" "(lambda r: $1)(r[0])"; }
# has_warning TEXT: some warning contains TEXT.
has_warning() { [ "$(field "any('''$1''' in w for w in r['warnings'])")" = "true" ]; }
no_warning() { [ "$(field "any('''$1''' in w for w in r['warnings'])")" = "false" ]; }

@test "torch installed with --no-deps: import_failed, the real ImportError for libcufile.so.0" {
  live -- torch-nodeps torch
  [ "$(field "r['outcome']")" = "import_failed" ]
  [[ "$(field "r['import_error']")" == "ImportError: libcufile.so.0: cannot open shared object file"* ]]
  [ "$(field "r['version']")" = "" ]
  [ "$(field "r['gpu_available']")" = "null" ]
}

@test "torch with no driver at all: answered, no GPU, no warning about the driver" {
  answered_without_gpu torch torch
  [[ "$(field "r['version']")" == 2.*+cu1* ]]
  [ "$(field "r['backend']")" = "cuda" ]
  # The architectures the wheel was built for, known without a GPU.
  [ "$(field "'sm_90' in r['arch_list']")" = "true" ]
  no_warning "driver on your system is too old"
  [ "$(field "r['matmul_ok']")" = "null" ]
  [ "$(field "r['error']")" = "" ]
}

@test "torch with NVIDIA's real R535 libraries: answered, no GPU, torch's warning that the driver is too old" {
  answered_without_gpu torch torch r535
  # The driver's warning first: it explains the answer.
  [[ "$(field "r['warnings'][0]")" == *"The NVIDIA driver on your system is too old (found version 12020)"* ]]
}

@test "torch past its time bound: timed_out, killed" {
  require_env torch
  "$LIVE_PROBE" --bound-ms 50 torch "$ENVS/torch/bin/python" >"$TEST_TMP/r.json"
  cat "$TEST_TMP/r.json"
  [ "$(field "r['outcome']")" = "timed_out" ]
  [ "$(field "r['seconds'] < 1")" = "true" ]
}

@test "jax without a CUDA plugin: answered, no GPU, the cpu backend" {
  answered_without_gpu jax-cpu jax
  [ "$(field "r['backend']")" = "cpu" ]
}

@test "jax with its CUDA 13 plugin and NVIDIA's real R535 libraries: the cpu backend, the plugin's failure to initialize in the warnings" {
  answered_without_gpu jax-cuda13 jax r535
  [ "$(field "r['backend']")" = "cpu" ]
  has_warning "jax_plugins.xla_cuda13.initialize()"
}

@test "cupy with no driver: answered, no GPU, CUDA's error as the answer" {
  answered_without_gpu cupy cupy
  [[ "$(field "r['version']")" == 1* ]]
  [[ "$(field "r['error']")" == *"CUDARuntimeError: cudaErrorInsufficientDriver"* ]]
}

@test "tensorflow without its dependencies: import_failed, and what TensorFlow logged on stderr before" {
  require_no_driver
  live -- tensorflow tensorflow
  [ "$(field "r['outcome']")" = "import_failed" ]
  [[ "$(field "r['import_error']")" == "ModuleNotFoundError: No module named "* ]]
  has_warning "Could not find cuda drivers on your machine"
}

@test "tensorflow with no driver: answered, no GPU, TensorFlow's log lines about CUDA" {
  answered_without_gpu tensorflow-full tensorflow
  [[ "$(field "r['version']")" == 2.* ]]
  has_warning "failed call to cuInit"
}

@test "tensorflow with NVIDIA's real R535 libraries: answered, no GPU, cuInit's CUDA_ERROR_NO_DEVICE in its log" {
  answered_without_gpu tensorflow-full tensorflow r535
  has_warning "CUDA_ERROR_NO_DEVICE"
}

@test "every framework at once: the same answers, in the order asked" {
  for e in torch-nodeps torch jax-cpu cupy; do require_env "$e"; done
  require_no_driver
  "$LIVE_PROBE" torch "$ENVS/torch-nodeps/bin/python" torch "$ENVS/torch/bin/python" \
    jax "$ENVS/jax-cpu/bin/python" cupy "$ENVS/cupy/bin/python" >"$TEST_TMP/r.json"
  cat "$TEST_TMP/r.json"
  [ "$(json "$TEST_TMP/r.json" "[x['outcome'] for x in r]")" = '["import_failed", "answered", "answered", "answered"]' ]
  [ "$(json "$TEST_TMP/r.json" "[x['python'].split('/')[-3] for x in r]")" = '["torch-nodeps", "torch", "jax-cpu", "cupy"]' ]
}
