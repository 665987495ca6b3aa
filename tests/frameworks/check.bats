#!/usr/bin/env bats
# `gpuprobe check`'s frameworks check on the frameworks' real wheels from PyPI, installed by pip in
# real virtualenvs (make-envs.sh, by the fixture frameworks.envs): what their files say, read without
# importing them, and the verdicts against no driver and against NVIDIA's real R535 libcuda (CUDA
# 12.2, from tests/cli/fetch-nvidia-drivers.sh, run in a private /dev). HOME and PYENV_ROOT point
# at empty folders so that only the environment under test and the system's own are searched.

load ../cli/test_helper
load envs_helper
bats_require_minimum_version 1.5.0

: "${NVIDIA_DRIVERS_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/gpuprobe/nvidia-drivers}"
export NVIDIA_DRIVERS_DIR

# The sandbox's PATH (test_helper's setup), before an environment's bin/ is put first.
eval "cli_$(declare -f setup)"
setup() {
  cli_setup
  BASE_PATH="$PATH"
  ENVS="$(framework_envs)"
  unset LD_LIBRARY_PATH VIRTUAL_ENV CONDA_PREFIX PYTHONPATH
}


# fw_check ENV [CMD-PREFIX...]: gpuprobe check --only frameworks --json $TEST_TMP/r.json, in the
# virtualenv ENV as `source ENV/bin/activate` leaves it, under `run`.
fw_check() {
  local env="$ENVS/$1"
  shift
  mkdir -p "$TEST_TMP/pyenv"
  export PYENV_ROOT="$TEST_TMP/pyenv" VIRTUAL_ENV="$env" PATH="$env/bin:$BASE_PATH"
  run "$@" "$GPUPROBE" check --only frameworks --json "$TEST_TMP/r.json"
  echo "$output"
}
# fw FIELD: a field of the first framework in the report, e.g. fw "['version']".
fw() { json "$TEST_TMP/r.json" "r['software']['frameworks'][0]$1"; }
archs() { json "$TEST_TMP/r.json" "' '.join(r['software']['frameworks'][0]['archs'])"; }
field() { check_field "$TEST_TMP/r.json" frameworks "$1"; }
reasons() { json "$TEST_TMP/r.json" "' '.join(f['reason'] for f in r['checks'][0]['details']['findings'] if f['status'] != 'pass')"; }

@test "torch 2.15.0 from PyPI: a CUDA 13.2 build for sm_75..sm_120, read from its files" {
  require_env torch
  fw_check torch
  [ "$(fw "['name']")" = torch ]
  [ "$(fw "['version']")" = "2.15.0+cu132" ]
  [ "$(fw "['build']")" = cuda ]
  [ "$(fw "['cuda']")" = "13.2" ]
  # What torch.cuda.get_arch_list() returns for this wheel.
  [ "$(archs)" = "sm_75 sm_80 sm_86 sm_90 sm_100 sm_120" ]
  [[ "$(fw "['location']")" == "$ENVS/torch/lib/python3."*"/site-packages" ]]
  [[ "$(fw "['python']")" == "$ENVS/torch/bin/python"* ]]
  # Every CUDA library libtorch_cuda.so links is found, in the NVIDIA wheels its RPATH names.
  [ "$(fw "['missing_libraries']")" = "[]" ]
  # The static part took: (no threshold: measured, for the closing note)
  echo "# scan_seconds torch: $(json "$TEST_TMP/r.json" "r['checks'][0]['details']['scan_seconds']")" >&3
}

@test "a CUDA toolkit on LD_LIBRARY_PATH: torch's wheels would load its libnvJitLink instead of their own" {
  require_env torch
  local jit
  jit="$(ls /usr/local/cuda/lib64/libnvJitLink.so.13 /usr/local/cuda-13*/lib*/libnvJitLink.so.13 \
    /usr/local/cuda-13*/targets/*/lib/libnvJitLink.so.13 2>/dev/null | head -1)"
  [[ -n "$jit" ]] || skip "no CUDA 13 toolkit with libnvJitLink.so.13 here"
  fw_check torch env LD_LIBRARY_PATH="$(dirname "$jit")"
  [ "$(field status)" = warn ]
  [ "$(field reason)" = framework_lib_shadowed ]
  [[ "$(field message)" == *"would load libnvJitLink.so.13 (for libcusolver.so.12) from $(dirname "$(readlink -f "$jit")") (LD_LIBRARY_PATH)"* ]]
  # What glibc's loader itself does with that LD_LIBRARY_PATH, for the wheel's libcusolver.
  local cusolver
  cusolver="$(ls "$ENVS"/torch/lib/python3.*/site-packages/nvidia/cu13/lib/libcusolver.so.12)"
  run env LD_LIBRARY_PATH="$(dirname "$jit")" LD_DEBUG=libs "$ENVS/torch/bin/python" -c \
    "import ctypes; ctypes.CDLL('$cusolver')"
  [[ "$output" == *"calling init: $(dirname "$jit")/libnvJitLink.so.13"* ]]
}

@test "torch installed with --no-deps: libcufile.so.0 and the wheels to install, from torch's own metadata" {
  require_env torch-nodeps
  fw_check torch-nodeps
  [ "$status" -eq 1 ]
  [ "$(field status)" = fail ]
  [ "$(field reason)" = framework_libs_missing ]
  [[ "$(field message)" == *"torch 2.15.0+cu132 cannot load libcufile.so.0"*"(needed by libtorch_cuda.so"* ]]
  [[ "$(fw "['missing_libraries']")" == *libcufile.so.0* ]]
  [[ "$(field hint)" == *'pip install "cuda-toolkit[cublas,cudart,cufft,cufile,cupti,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.2.2"'* ]]
  [[ "$(field hint)" == *'"nvidia-cudnn-cu13==9.26.0.51"'* ]]
  [[ "$(field hint)" == *'"nvidia-nvshmem-cu13==3.7.2"'* ]]  # libnvshmem_host.so.3, for libtorch_nvshmem.so
  [[ "$(field hint)" == *"pip install --force-reinstall torch==2.15.0"* ]]
  # The import fails as the files said it would: told once, as information.
  [ "$(fw "['live']['outcome']")" = import_failed ]
  [ "$(fw "['live']['error']")" = "ImportError: libcufile.so.0: cannot open shared object file: No such file or directory" ]
}

@test "jaxlib without a CUDA plugin is a CPU-only build: information without a driver, a warning with one" {
  require_env jax-cpu
  fw_check jax-cpu
  [ "$(fw "['name']")" = jax ]
  [ "$(fw "['distribution']")" = jaxlib ]
  [ "$(fw "['build']")" = cpu ]
  [ "$(fw "['cuda']")" = null ]
  [ "$(field status)" = pass ]
  [[ "$(field message)" == *"(CPU-only)"* ]]
  require_real_driver 535
  require_private_dev
  fw_check jax-cpu with_real_driver 535 cuda in_private_dev
  [ "$(field status)" = warn ]
  [ "$(field reason)" = framework_cpu_build ]
  [[ "$(field hint)" == *'pip install -U "jax[cuda12]"'* ]]
}

@test "jax[cuda13] on a CUDA 12.2 driver: built for a CUDA the driver does not run, with both fixes" {
  require_env jax-cuda13
  fw_check jax-cuda13
  [ "$(fw "['build']")" = cuda ]
  [ "$(fw "['cuda']")" = 13 ]
  [ "$(fw "['name']")" = jax ]
  require_real_driver 535
  require_private_dev
  fw_check jax-cuda13 with_real_driver 535 cuda in_private_dev
  [ "$(field status)" = fail ]
  [[ " $(reasons) " == *" framework_cuda_too_new "* ]]
  [[ "$(field message)" == *"is built for CUDA 13; driver 535."*" supports CUDA 12.2"* ]]
  [[ "$(field hint)" == *"branch 580 or newer"* ]]
  [[ "$(field hint)" == *'pip install -U "jax[cuda12]"'* ]]
}

@test "torch cu132 on NVIDIA's real R535 libcuda: the driver branch it needs, or PyTorch's CUDA 12 index" {
  require_env torch
  require_real_driver 535
  require_private_dev
  fw_check torch with_real_driver 535 cuda in_private_dev
  [ "$status" -eq 1 ]
  [ "$(field reason)" = framework_cuda_too_new ]
  [[ "$(field message)" == *"torch 2.15.0+cu132 is built for CUDA 13.2; driver 535."*" supports CUDA 12.2"* ]]
  [[ "$(field hint)" == *"branch 580 or newer"* ]]
  [[ "$(field hint)" == *"https://download.pytorch.org/whl/cu126"* ]]
  # And torch itself, asked live, agrees in its own words.
  [ "$(fw "['live']['outcome']")" = answered ]
  [ "$(fw "['live']['gpu_available']")" = false ]
  [[ "$(fw "['live']['warnings'][0]")" == *"The NVIDIA driver on your system is too old (found version 12020)"* ]]
}

@test "cupy-cuda13x: a wheel for any CUDA 13.x" {
  require_env cupy
  fw_check cupy
  [ "$(fw "['name']")" = cupy ]
  [ "$(fw "['distribution']")" = cupy_cuda13x ]
  [ "$(fw "['build']")" = cuda ]
  [ "$(fw "['cuda']")" = 13 ]
}

@test "tensorflow 2.21 without the and-cuda wheels: a CUDA 12.5 build for sm_60..compute_90 that finds no CUDA 12 here" {
  require_env tensorflow-full
  fw_check tensorflow-full
  [ "$(fw "['name']")" = tensorflow ]
  [ "$(fw "['build']")" = cuda ]
  [ "$(fw "['cuda']")" = "12.5.1" ]
  [ "$(archs)" = "sm_60 sm_70 sm_80 sm_89 compute_90" ]
  [ "$(field status)" = warn ]
  [ "$(field reason)" = framework_wheels_missing ]
  [[ "$(field hint)" == 'pip install "tensorflow[and-cuda]==2.21.0"' ]]
  # It imports and answers: no GPU, as CUDA here has none.
  [ "$(fw "['live']['outcome']")" = answered ]
  [ "$(fw "['live']['gpu_available']")" = false ]
}

@test "tensorflow installed with --no-deps: the import error it gives, beside what its files say" {
  require_env tensorflow
  fw_check tensorflow
  [ "$status" -eq 1 ]
  [ "$(field reason)" = framework_import_failed ]
  [[ "$(field message)" == *"import tensorflow fails: ModuleNotFoundError: No module named 'absl'"* ]]
  [[ " $(reasons) " == *" framework_wheels_missing "* ]]
  [ "$(fw "['live']['outcome']")" = import_failed ]
}

@test "compare: a framework present in the base and missing in the other fails" {
  require_env torch
  require_env jax-cpu
  fw_check torch
  cp "$TEST_TMP/r.json" "$TEST_TMP/torch.json"
  fw_check jax-cpu
  run "$GPUPROBE" compare "$TEST_TMP/torch.json" "$TEST_TMP/r.json"
  echo "$output"
  [[ "$output" == *"framework.torch"*"2.15.0+cu132"* ]]
  [[ "$output" == *"missing here, present in the base"* ]]
  [ "$status" -ne 0 ]
}
