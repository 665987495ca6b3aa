#!/usr/bin/env bats
# gpuprobe check against NVIDIA's own user-space driver libraries: libcuda and NVML of the 470, 535
# and 550 branches from Debian's non-free archive (tests/cli/fetch-nvidia-drivers.sh), on a machine
# with no GPU and no NVIDIA kernel module. This is what a container sees whose image carries the
# driver libraries while the host gives it no driver. The stand-ins (fake_libcuda.cpp,
# fake_libnvml.cpp, in check.bats) stay for what no real library shows here: hangs, 802, 803, a
# newer driver.
#
# Every run sits in a private /dev (in_private_dev): as root the real libraries create
# /dev/nvidiactl when it is missing, which would change what later tests see. Without the fetched
# libraries or without mount namespaces the tests skip, unless GPUPROBE_REQUIRE_REAL_DRIVERS=1 (CI)
# makes that a failure.

load test_helper
bats_require_minimum_version 1.5.0

: "${NVIDIA_DRIVERS_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/gpuprobe/nvidia-drivers}"
export NVIDIA_DRIVERS_DIR

# cuDriverGetVersion of each branch: the CUDA version NVIDIA released it for (R470 11.4, R535 12.2,
# R550 12.4).
cuda_version_of() {
  case "$1" in
    470) echo 11040 ;;
    535) echo 12020 ;;
    550) echo 12040 ;;
    *) echo "no CUDA version known for branch $1" >&2; return 1 ;;
  esac
}

# real_check BRANCH [cuda|nvml|both]: gpuprobe check --json $TEST_TMP/r.json with the real
# libraries of BRANCH, in a private /dev, under `run`.
real_check() {
  require_real_driver "$1"
  require_private_dev
  run with_real_driver "$@" in_private_dev "$GPUPROBE" check --json "$TEST_TMP/r.json"
  echo "$output"
}

# driver_field FIELD: one field of the driver check of $TEST_TMP/r.json (and so on).
driver_field() { check_field "$TEST_TMP/r.json" driver "$1"; }
nvml_field() { check_field "$TEST_TMP/r.json" nvml "$1"; }
report() { json "$TEST_TMP/r.json" "$1"; }

# What the real libcuda + NVML of every branch show today, with no kernel module and no GPU.
assert_no_kernel_module_today() {
  local branch="$1" dir="$NVIDIA_DRIVERS_DIR/$1"
  [ "$status" -eq 3 ]
  [[ "$output" == *"FAIL  driver"* ]]
  [[ "$output" == *"NO GPU:"* ]]
  [ "$(report "r['exit_code']")" = "3" ]
  [[ "$(report "r['verdict']")" == "NO GPU:"* ]]
  # libcuda loads; cuInit answers 100 with NVIDIA's own words.
  [ "$(driver_field status)" = "fail" ]
  [ "$(driver_field measured)" = "CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected" ]
  [ "$(driver_field expected)" = "CUDA_SUCCESS" ]
  # cuDriverGetVersion answers without a kernel module.
  [ "$(report "r['software']['cuda_driver_version']")" = "$(cuda_version_of "$branch")" ]
  # The libraries map names the real files.
  [ "$(report "r['software']['libraries']['libcuda.so.1']")" = "$dir/cuda/libcuda.so.1" ]
  [ "$(report "r['software']['libraries']['libnvidia-ml.so.1']")" = "$dir/nvml/libnvidia-ml.so.1" ]
  # NVML loads and says why it cannot initialize.
  [ "$(nvml_field status)" != "pass" ]
  [ "$(nvml_field reason)" != "" ]
  [ "$(nvml_field measured)" = "nvmlInit: Driver Not Loaded" ]
  [[ "$(nvml_field message)" == *"Driver Not Loaded"* ]]
  # Nothing that needs a GPU ran or passed.
  for id in devices arch kernel memory transfer; do
    [ "$(check_field "$TEST_TMP/r.json" "$id" status)" = "skip" ]
  done
  [ "$(report "r['gpus']")" = "[]" ]
}

@test "private /dev: as root the real libraries create /dev/nvidiactl inside it, the real /dev gains no nvidia node" {
  require_real_driver 535
  require_private_dev
  [[ $(id -u) -eq 0 ]] || skip "not root: the libraries cannot create device nodes, nothing to contain"
  before="$(nvidia_dev_nodes)"
  # shellcheck disable=SC2016 # expanded by the inner shell
  run with_real_driver 535 both in_private_dev sh -c '"$1" check --json "$2" >/dev/null; ls /dev' sh \
    "$GPUPROBE" "$TEST_TMP/r.json"
  [ "$status" -eq 0 ]
  # The libraries did create the node (so the private /dev was needed) ...
  [[ "$output" == *nvidiactl* ]]
  [ "$(report "r['software']['cuda_driver_version']")" = "$(cuda_version_of 535)" ]
  # ... and the real /dev is as it was.
  [ "$(nvidia_dev_nodes)" = "$before" ]
}

@test "real 470 libcuda + NVML, no kernel module: driver fails (cuInit 100), exit 3, CUDA 11.4 reported, NVML 'Driver Not Loaded'" {
  real_check 470 both
  assert_no_kernel_module_today 470
}

@test "real 535 libcuda + NVML, no kernel module: driver fails (cuInit 100), exit 3, CUDA 12.2 reported, NVML 'Driver Not Loaded'" {
  real_check 535 both
  assert_no_kernel_module_today 535
}

@test "real 550 libcuda + NVML, no kernel module: driver fails (cuInit 100), exit 3, CUDA 12.4 reported, NVML 'Driver Not Loaded'" {
  real_check 550 both
  assert_no_kernel_module_today 550
}

# NVML without libcuda: an image run with NVIDIA_DRIVER_CAPABILITIES=utility (nvidia-smi works,
# CUDA does not).
assert_nvml_only_today() {
  local dir="$NVIDIA_DRIVERS_DIR/$1"
  [ "$status" -eq 3 ]
  [ "$(report "r['exit_code']")" = "3" ]
  [ "$(driver_field status)" = "fail" ]
  [[ "$(driver_field measured)" == *"libcuda.so.1: cannot open shared object file"* ]]
  [[ "$(report "r['software']['libraries']['libcuda.so.1']")" == "missing: "*"libcuda.so.1"* ]]
  [ "$(report "r['software'].get('cuda_driver_version')")" = "null" ]
  [ "$(report "r['software']['libraries']['libnvidia-ml.so.1']")" = "$dir/nvml/libnvidia-ml.so.1" ]
  [ "$(nvml_field measured)" = "nvmlInit: Driver Not Loaded" ]
  [[ "$(nvml_field message)" == *"Driver Not Loaded"* ]]
  # The environment check names the capability that is missing, with the fix.
  [ "$(check_field "$TEST_TMP/r.json" environment status)" = "warn" ]
  [ "$(check_field "$TEST_TMP/r.json" environment reason)" = "env_driver_caps" ]
  [[ "$(check_field "$TEST_TMP/r.json" environment message)" == *"NVIDIA_DRIVER_CAPABILITIES=utility lacks 'compute'"* ]]
  [[ "$(check_field "$TEST_TMP/r.json" environment hint)" == *"NVIDIA_DRIVER_CAPABILITIES=compute,utility"* ]]
}

@test "real 470 NVML without libcuda (NVIDIA_DRIVER_CAPABILITIES=utility): driver fails, exit 3, NVML found and 'Driver Not Loaded'" {
  require_no_driver
  NVIDIA_DRIVER_CAPABILITIES=utility real_check 470 nvml
  assert_nvml_only_today 470
}

@test "real 535 NVML without libcuda (NVIDIA_DRIVER_CAPABILITIES=utility): driver fails, exit 3, NVML found and 'Driver Not Loaded'" {
  require_no_driver
  NVIDIA_DRIVER_CAPABILITIES=utility real_check 535 nvml
  assert_nvml_only_today 535
}

@test "real 550 NVML without libcuda (NVIDIA_DRIVER_CAPABILITIES=utility): driver fails, exit 3, NVML found and 'Driver Not Loaded'" {
  require_no_driver
  NVIDIA_DRIVER_CAPABILITIES=utility real_check 550 nvml
  assert_nvml_only_today 550
}

# What the same runs must show once the diagnoses know these situations: the driver's CUDA
# version judged against the runtime even though cuInit failed, the driver version read from the
# library's file name, and the cause named (no kernel module, no device nodes, no 'compute'
# capability) instead of "no GPU visible".

# cuda_image_of BRANCH: the nvidia/cuda major.minor whose images that branch runs, e.g. 12.2.
cuda_image_of() {
  local v
  v="$(cuda_version_of "$1")"
  echo "$((v / 1000)).$((v % 1000 / 10))"
}

assert_kernel_module_missing() {
  [ "$status" -eq 3 ]
  [ "$(driver_field status)" = "fail" ]
  [ "$(driver_field reason)" = "kernel_module_missing" ]
  hint="$(driver_field hint)"
  [ -n "$hint" ]
  [[ "$hint" != *"MIG"* ]]  # hidden or MIG GPUs are not the question without a kernel module
  [[ "$(report "r['verdict']")" == "NO GPU:"* ]]
  # NVML's "Driver Not Loaded" is read the same way.
  [ "$(nvml_field status)" = "fail" ]
  [ "$(nvml_field reason)" = "kernel_module_missing" ]
}

@test "real 470, no /proc/driver/nvidia: driver and nvml checks name kernel_module_missing, exit 3" {
  real_check 470 both
  assert_kernel_module_missing
}

@test "real 535, no /proc/driver/nvidia: driver and nvml checks name kernel_module_missing, exit 3" {
  real_check 535 both
  assert_kernel_module_missing
}

@test "real 550, no /proc/driver/nvidia: driver and nvml checks name kernel_module_missing, exit 3" {
  real_check 550 both
  assert_kernel_module_missing
}

assert_compat_too_old() {
  local v
  v="$(cuda_version_of "$1")"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" compat status)" = "fail" ]
  [ "$(check_field "$TEST_TMP/r.json" compat reason)" = "driver_too_old" ]
  [ "$(check_field "$TEST_TMP/r.json" compat measured)" = "driver CUDA $(cuda_image_of "$1")" ]
  hint="$(check_field "$TEST_TMP/r.json" compat hint)"
  [[ "$hint" == *"branch 580"* ]]
  [[ "$hint" == *"nvidia/cuda:$(cuda_image_of "$1")."* ]]
  [ "$(report "r['software']['cuda_driver_version']")" = "$v" ]
}

@test "real 470 (CUDA 11.4) with a CUDA 13 binary: compat fails driver_too_old although cuInit failed, hint names branch 580 and an 11.4 image" {
  real_check 470 both
  assert_compat_too_old 470
}

@test "real 535 (CUDA 12.2) with a CUDA 13 binary: compat fails driver_too_old although cuInit failed, hint names branch 580 and a 12.2 image" {
  real_check 535 both
  assert_compat_too_old 535
}

@test "real 550 (CUDA 12.4) with a CUDA 13 binary: compat fails driver_too_old although cuInit failed, hint names branch 580 and a 12.4 image" {
  real_check 550 both
  assert_compat_too_old 550
}

@test "real 470, NVML not initialized: software.driver_version is read from the library's file name" {
  real_check 470 both
  [ "$(report "r['software']['driver_version']")" = "$(real_driver_version 470)" ]
}

@test "real 535, NVML not initialized: software.driver_version is read from the library's file name" {
  real_check 535 both
  [ "$(report "r['software']['driver_version']")" = "$(real_driver_version 535)" ]
}

@test "real 550, NVML not initialized: software.driver_version is read from the library's file name" {
  real_check 550 both
  [ "$(report "r['software']['driver_version']")" = "$(real_driver_version 550)" ]
}

assert_capabilities_no_compute() {
  [ "$status" -eq 3 ]
  [ "$(driver_field status)" = "fail" ]
  [ "$(driver_field reason)" = "capabilities_no_compute" ]
  hint="$(driver_field hint)"
  [[ "$hint" == *"NVIDIA_DRIVER_CAPABILITIES"* && "$hint" == *"compute"* ]]
  [[ "$(report "r['verdict']")" == "NO GPU:"* ]]
  [ "$(report "r['software']['driver_version']")" = "$(real_driver_version "$1")" ]
}

@test "real 470 NVML without libcuda, NVIDIA_DRIVER_CAPABILITIES=utility: driver check names capabilities_no_compute, exit 3, driver version from NVML's file name" {
  require_no_driver
  NVIDIA_DRIVER_CAPABILITIES=utility real_check 470 nvml
  assert_capabilities_no_compute 470
}

@test "real 535 NVML without libcuda, NVIDIA_DRIVER_CAPABILITIES=utility: driver check names capabilities_no_compute, exit 3, driver version from NVML's file name" {
  require_no_driver
  NVIDIA_DRIVER_CAPABILITIES=utility real_check 535 nvml
  assert_capabilities_no_compute 535
}

@test "real 550 NVML without libcuda, NVIDIA_DRIVER_CAPABILITIES=utility: driver check names capabilities_no_compute, exit 3, driver version from NVML's file name" {
  require_no_driver
  NVIDIA_DRIVER_CAPABILITIES=utility real_check 550 nvml
  assert_capabilities_no_compute 550
}

@test "real 535 with a kernel module (/proc/driver/nvidia/version) but no /dev/nvidia*: driver and nvml checks name device_nodes_missing, exit 3" {
  require_real_driver 535
  require_private_dev
  # A kernel module as a container sees the host's (/proc is shared), in this run's own mounts; as
  # root, libcuda still creates /dev/nvidiactl in the private /dev while it fails.
  version="$(real_driver_version 535)"
  # shellcheck disable=SC2016 # expanded by the inner shell
  run with_real_driver 535 both in_private_dev sh -c '
    mount -t tmpfs gpuprobe-proc-driver /proc/driver && mkdir /proc/driver/nvidia &&
    echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  $1  Release Build" >/proc/driver/nvidia/version &&
    shift && exec "$@"' sh "$version" "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(report "r['software']['driver_version']")" = "$version" ]
  [ "$(driver_field status)" = "fail" ]
  [ "$(driver_field measured)" = "CUDA_ERROR_NO_DEVICE (100): no CUDA-capable device is detected" ]
  [ "$(driver_field reason)" = "device_nodes_missing" ]
  [ -n "$(driver_field hint)" ]
  [ "$(nvml_field reason)" = "device_nodes_missing" ]
}

# Device nodes that exist but do not open, with the kernel's own errno: a kernel module as a
# container sees the host's (/proc/driver/nvidia in this run's own mounts), real nodes c 195:255
# and c 195:0 made in the private /dev, and one way to make open() fail:
#   eperm:  a cgroup v1 devices controller denying c 195:* (what a container's device cgroup does
#           once `systemctl daemon-reload` has rewritten it);
#   eacces: /dev remounted nodev;
#   enxio:  nothing more (no NVIDIA module answers to major 195 here).
# node_access_run MODE REASON: gpuprobe check --json $TEST_TMP/r.json so, as in Docker, under
# `run`; asserts exit 3 (no GPU) with REASON from both the driver and the nvml check.
node_access_run() {
  local mode="$1" reason="$2" version
  require_real_driver 535
  require_private_dev
  version="$(real_driver_version 535)"
  if [ "$mode" = eperm ]; then
    [ -w /sys/fs/cgroup/devices ] || skip "no writable cgroup v1 devices controller: EPERM cannot be made real here"
    NODE_CGROUP="/sys/fs/cgroup/devices/gpuprobe-test-$$-$BATS_TEST_NUMBER"
    mkdir "$NODE_CGROUP"
    echo "c 195:* rwm" >"$NODE_CGROUP/devices.deny"
  fi
  # shellcheck disable=SC2016 # expanded by the inner shell
  container=docker run with_real_driver 535 both in_private_dev sh -c '
    set -e
    mode="$1" version="$2" cgroup="$3"
    shift 3
    mknod -m 666 /dev/nvidiactl c 195 255
    mknod -m 666 /dev/nvidia0 c 195 0
    mount -t tmpfs gpuprobe-proc-driver /proc/driver && mkdir /proc/driver/nvidia
    echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  $version  Release Build" >/proc/driver/nvidia/version
    case "$mode" in
      eperm) echo $$ >"$cgroup/cgroup.procs" ;;
      eacces) mount -o remount,bind,nodev /dev ;;
    esac
    exec "$@"' sh "$mode" "$version" "${NODE_CGROUP:-}" "$GPUPROBE" check --json "$TEST_TMP/r.json"
  # The run has ended: its cgroup is empty and goes.
  if [ -n "${NODE_CGROUP:-}" ]; then rmdir "$NODE_CGROUP"; fi
  echo "$output"
  [ "$status" -eq 3 ]
  [ "$(driver_field reason)" = "$reason" ]
  [ "$(nvml_field reason)" = "$reason" ]
}

@test "real 535, device nodes denied by the device cgroup (EPERM): driver and nvml name device_access_revoked, NVML's own 'Unknown Error', recreate the container, exit 3" {
  node_access_run eperm device_access_revoked
  # What nvidia-smi prints in such a container, from NVIDIA's real NVML.
  [ "$(nvml_field measured)" = "nvmlInit: Unknown Error" ]
  [[ "$(driver_field message)" == *"/dev/nvidia0 and /dev/nvidiactl exist but open() fails with EPERM (Operation not permitted): the container's device cgroup"* ]]
  [ "$(report "[c for c in r['checks'] if c['id'] == 'driver'][0]['details']['device_nodes_open']")" = \
    '{"/dev/nvidia0": "EPERM", "/dev/nvidiactl": "EPERM"}' ]
  hint="$(driver_field hint)"
  [[ "$hint" == *"docker rm -f"*"docker compose up -d --force-recreate"*"kubectl delete pod"* ]]
  [[ "$hint" == *"nvidia-ctk system create-dev-char-symlinks --create-all"* ]]
}

@test "real 535, /dev mounted nodev (EACCES): driver and nvml name device_access_denied and say nodev, not the cgroup, exit 3" {
  node_access_run eacces device_access_denied
  [ "$(nvml_field measured)" = "nvmlInit: Insufficient Permissions" ]
  [[ "$(driver_field message)" == *"open() fails with EACCES (Permission denied): /dev is mounted nodev"* ]]
}

@test "real 535, nodes c 195:* with no driver behind them (ENXIO): driver and nvml name device_nodes_unbacked, exit 3" {
  node_access_run enxio device_nodes_unbacked
  [[ "$(driver_field message)" == *"/dev/nvidia0 (c 195:0), /dev/nvidiactl (c 195:255) exist but open() fails with ENXIO"* ]]
  [[ "$(driver_field hint)" == *"--gpus all"* ]]
}

@test "real 535 (CUDA 12.2) in a container with NVIDIA_REQUIRE_CUDA=cuda>=12.8 and NVIDIA_DISABLE_REQUIRE=1: compat says what nvidia-container-cli would refuse" {
  NVIDIA_REQUIRE_CUDA="cuda>=12.8 brand=tesla,driver>=470,driver<471" NVIDIA_DISABLE_REQUIRE=1 container=docker \
    real_check 535 both
  [ "$(check_field "$TEST_TMP/r.json" compat status)" = "fail" ]  # this binary's CUDA 13 runtime first
  message="$(check_field "$TEST_TMP/r.json" compat message)"
  [[ "$message" == *"NVIDIA_REQUIRE_CUDA (\"cuda>=12.8 brand=tesla,driver>=470,driver<471\") is not met by driver $(real_driver_version 535) (CUDA 12.2)"* ]]
  [[ "$message" == *"\"requirement error: unsatisfied condition: cuda>=12.8\""*"because NVIDIA_DISABLE_REQUIRE is set"* ]]
  [ "$(report "[c for c in r['checks'] if c['id'] == 'compat'][0]['details']['nvidia_require_cuda']['met']")" = "no" ]
}

@test "real 535 with NVIDIA_REQUIRE_CUDA's brand alternative for branch 535: not refused, brand not judged" {
  NVIDIA_REQUIRE_CUDA="cuda>=12.8 brand=tesla,driver>=535,driver<536" real_check 535 both
  [ "$(report "[c for c in r['checks'] if c['id'] == 'compat'][0]['details']['nvidia_require_cuda']['met']")" = "unknown" ]
  [ "$(report "[c for c in r['checks'] if c['id'] == 'compat'][0]['details']['nvidia_require_cuda']['not_evaluated']")" = '["brand=tesla"]' ]
  [[ "$(check_field "$TEST_TMP/r.json" compat message)" != *"requirement error"* ]]
}

@test "real 550 libcuda as an image's cuda-compat (/usr/local/cuda-12.4/compat on LD_LIBRARY_PATH) over a 535 kernel module: driver and compat name the compat library and its version" {
  require_real_driver 550
  require_real_driver 535
  require_private_dev
  local module
  module="$(real_driver_version 535)"
  # A private /usr/local holding only the compat folder (links to NVIDIA's real 550 files), and the
  # host's 535 kernel module as a container sees it; no GPU, so cuInit fails after loading it.
  # shellcheck disable=SC2016 # expanded by the inner shell
  container=docker run in_private_dev sh -c '
    set -e
    drivers="$1" module="$2"
    shift 2
    mount -t tmpfs gpuprobe-usr-local /usr/local
    mkdir -p /usr/local/cuda-12.4/compat
    ln -s cuda-12.4 /usr/local/cuda
    real="$(readlink -f "$drivers/550/cuda/libcuda.so.1")"
    ln -s "$real" /usr/local/cuda-12.4/compat/
    ln -s "$(basename "$real")" /usr/local/cuda-12.4/compat/libcuda.so.1
    mount -t tmpfs gpuprobe-proc-driver /proc/driver && mkdir /proc/driver/nvidia
    echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  $module  Release Build" >/proc/driver/nvidia/version
    LD_LIBRARY_PATH=/usr/local/cuda/compat:$drivers/535/nvml exec "$@"' sh "$NVIDIA_DRIVERS_DIR" "$module" \
    "$GPUPROBE" check --only driver,compat --json "$TEST_TMP/r.json"
  echo "$output"
  local version driver
  version="$(real_driver_version 550)"
  driver="[c for c in r['checks'] if c['id'] == 'driver'][0]"
  [ "$(report "$driver['details']['cuda_compat']")" = \
    "[{\"dir\": \"/usr/local/cuda-12.4/compat\", \"loaded\": true, \"on_path\": \"LD_LIBRARY_PATH\", \"version\": \"$version\"}]" ]
  [ "$(report "r['software']['cuda_driver_version']")" = 12040 ]
  [[ "$(check_field "$TEST_TMP/r.json" compat message)" == *"driver CUDA 12.4 is libcuda $version of the image's cuda-compat (/usr/local/cuda-12.4/compat, on the loader's path through LD_LIBRARY_PATH), standing in for the host's kernel module $module"* ]]
}
