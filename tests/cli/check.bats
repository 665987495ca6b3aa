#!/usr/bin/env bats
# gpuprobe check on a machine without an NVIDIA driver (CI's and developers'), plus the driver
# situations the stand-in libcuda.so.1 plays. Real binary, real exit codes, real files.

load test_helper
bats_require_minimum_version 1.5.0

@test "no driver, in a container: diagnosis names --gpus all, exit code 3" {
  require_no_driver
  container=docker run "$GPUPROBE" check   # what Podman, systemd-nspawn and LXC set; Docker has /.dockerenv
  [ "$status" -eq 3 ]
  [[ "$output" == *"FAIL  driver"* ]]
  [[ "$output" == *"no NVIDIA driver library in this container"* ]]
  [[ "$output" == *"--gpus all"* ]]
  [[ "$output" == *'error 35'* ]]   # the misleading runtime error is named and explained
  [[ "$output" == *"NO GPU:"* ]]
  [[ "$output" == *"[exit 3]"* ]]
}

@test "no driver, not in a container: diagnosis says install the driver, exit code 3" {
  require_no_driver
  require_not_container
  run "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [[ "$output" == *"no NVIDIA driver on this machine"* ]]
  [[ "$output" == *"install the NVIDIA driver"* ]]
  [[ "$output" != *"this container"* && "$output" != *"this image"* ]]
  [ "$(json "$TEST_TMP/r.json" "r['host']['container']['detected']")" = "false" ]
}

@test "no driver, in a container: JSON report carries the diagnosis, host facts and skipped GPU checks" {
  require_no_driver
  container=docker run "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(json "$TEST_TMP/r.json" "r['schema']")" = "gpuprobe.report/1.3" ]
  [ "$(json "$TEST_TMP/r.json" "r['exit_code']")" = "3" ]
  [ "$(check_field "$TEST_TMP/r.json" driver status)" = "fail" ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "no_driver" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver hint)" == *"--gpus all"* ]]
  for id in compat devices arch kernel memory transfer; do
    [ "$(check_field "$TEST_TMP/r.json" "$id" status)" = "skip" ]
  done
  [ "$(json "$TEST_TMP/r.json" "len(r['checks'])")" = "$(check_count)" ]
  [ "$(json "$TEST_TMP/r.json" "r['gpus']")" = "[]" ]
  [ -n "$(json "$TEST_TMP/r.json" "r['host']['kernel']")" ]
  [ "$(json "$TEST_TMP/r.json" "r['host']['cpu_count'] > 0")" = "true" ]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['libraries']['libcuda.so.1']")" == missing:* ]]
  [ "$(json "$TEST_TMP/r.json" "r['benchmarks']")" = "[]" ]
  [[ "$(json "$TEST_TMP/r.json" "r['verdict']")" == "NO GPU:"* ]]
}

@test "--json - writes only JSON to stdout; the table goes to stderr" {
  require_no_driver
  run --separate-stderr "$GPUPROBE" check --json -
  [ "$status" -eq 3 ]
  echo "$output" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["schema"]=="gpuprobe.report/1.3"'
  [[ "$stderr" == *"FAIL  driver"* ]]
}

@test "outputs: --json and --junit at once; --junit - puts JUnit alone on stdout and the table on stderr" {
  require_no_driver
  run --separate-stderr "$GPUPROBE" check --only environment --json "$TEST_TMP/r.json" --junit -
  [ "$status" -eq 0 ]
  echo "$output" | python3 -c 'import sys, xml.etree.ElementTree as ET; ET.fromstring(sys.stdin.read())'
  [[ "$stderr" == *"PASS  environment"* ]]
  [ "$(json "$TEST_TMP/r.json" "[c['id'] for c in r['checks']]")" = '["environment"]' ]
}

@test "outputs: two on stdout, the same format twice, an unknown format → exit 2; unwritable → exit 5, the others written" {
  run "$GPUPROBE" check --only environment --json - --junit -
  [ "$status" -eq 2 ]
  [[ "$output" == *"gpuprobe check: --json - and --junit - cannot both write to stdout"* ]]
  run "$GPUPROBE" check --only environment --json "$TEST_TMP/a.json" --json "$TEST_TMP/b.json"
  [ "$status" -eq 2 ]
  run "$GPUPROBE" check --only environment --html "$TEST_TMP/a.html"
  [ "$status" -eq 2 ]
  run "$GPUPROBE" check --only environment --json /nonexistent/dir/r.json --junit "$TEST_TMP/j.xml"
  [ "$status" -eq 5 ]
  [[ "$output" == *"gpuprobe check: cannot write /nonexistent/dir/r.json"* ]]
  grep -q '<testcase' "$TEST_TMP/j.xml"
}

@test "--help offers an option per output format of a run report" {
  run "$GPUPROBE" check --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--json FILE"*"--junit FILE"* ]]
  [[ "$output" != *"--html"* ]]
}

@test "--junit writes one testcase per check with the failure" {
  require_no_driver
  run "$GPUPROBE" check --junit "$TEST_TMP/j.xml"
  [ "$status" -eq 3 ]
  python3 - "$TEST_TMP/j.xml" "$(check_count)" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
assert len(cases) == int(sys.argv[2]), (len(cases), sys.argv[2])
driver = [c for c in cases if c.get("name") == "driver"][0]
f = driver.find("failure")
assert f is not None and f.get("type") == "no_driver", ET.tostring(driver)
assert "--gpus all" in f.text
assert int(root.get("failures")) == 1
# The GPU checks skip without a driver (cuBLAS/cuDNN may be present or not: not counted here).
for name in ("compat", "devices", "arch", "kernel", "memory", "transfer"):
    case = [c for c in cases if c.get("name") == name][0]
    assert case.find("skipped") is not None, ET.tostring(case)
PY
}

@test "label defaults to hostname and --label overrides it" {
  run "$GPUPROBE" check --only environment --json "$TEST_TMP/r.json" --label my-laptop
  [ "$status" -eq 0 ]
  [ "$(json "$TEST_TMP/r.json" "r['label']")" = "my-laptop" ]
  run "$GPUPROBE" check --only environment --json "$TEST_TMP/r2.json"
  [ "$(json "$TEST_TMP/r2.json" "r['label']")" = "$(json "$TEST_TMP/r2.json" "r['host']['hostname']")" ]
}

@test "environment: CUDA_LAUNCH_BLOCKING warns (exit 0), --strict turns it into exit 1" {
  CUDA_LAUNCH_BLOCKING=1 run "$GPUPROBE" check --only environment
  [ "$status" -eq 0 ]
  [[ "$output" == *"WARN  environment"* ]]
  [[ "$output" == *"CUDA_LAUNCH_BLOCKING=1"* ]]
  [[ "$output" == *"fix: unset CUDA_LAUNCH_BLOCKING"* ]]
  CUDA_LAUNCH_BLOCKING=1 run "$GPUPROBE" check --only environment --strict
  [ "$status" -eq 1 ]
  [[ "$output" == *"FAIL (--strict)"* ]]
}

@test "no colour when NO_COLOR is set or output is not a terminal" {
  run "$GPUPROBE" check --only environment
  [[ "$output" != *$'\033['* ]]
}

@test "watchdog: a hung cuInit ends the run with exit 4 and a report naming the check" {
  run with_fake_driver hang timeout 60 "$GPUPROBE" check --timeout-scale 0.02 --json "$TEST_TMP/r.json" --junit "$TEST_TMP/j.xml"
  [ "$status" -eq 4 ]
  [[ "$output" == *"HUNG: driver"* ]]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "timeout" ]
  [ "$(json "$TEST_TMP/r.json" "r['exit_code']")" = "4" ]
  grep -q 'type="timeout"' "$TEST_TMP/j.xml"
}

@test "driver loads but sees no GPU: no_device, exit 3, hint about visibility" {
  # NVML initializes (stand-in): the kernel side works, so the GPUs are hidden, not missing.
  NVIDIA_VISIBLE_DEVICES=none run with_fake_driver_and_nvml nodevice nofabric "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "no_device" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver hint)" == *"NVIDIA_VISIBLE_DEVICES=none"* ]]
}

@test "driver loads but sees no GPU, no kernel module here: kernel_module_missing, exit 3" {
  require_no_nvml
  [[ -e /proc/driver/nvidia ]] && skip "this machine has the NVIDIA kernel module"
  run with_fake_driver nodevice "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "kernel_module_missing" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver message)" == *"loads but sees no GPU: "*"no /proc/driver/nvidia"* ]]
  # The driver's CUDA version is known: compat judges it all the same (12.4 < this binary's 13.x).
  [ "$(check_field "$TEST_TMP/r.json" compat reason)" = "driver_too_old" ]
  [[ "$(check_field "$TEST_TMP/r.json" compat message)" == *"no GPU to confirm it on"* ]]
  [[ "$(json "$TEST_TMP/r.json" "r['verdict']")" == "NO GPU: "*"loads but sees no GPU"* ]]
}

@test "driver new enough but no GPU: compat passes and says there is no GPU to confirm it on" {
  FAKE_CUDA_VERSION=14000 run with_fake_driver nodevice "$GPUPROBE" check --only driver,compat --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" compat status)" = "pass" ]
  [[ "$(check_field "$TEST_TMP/r.json" compat message)" == *"supports CUDA 14.0; this binary uses CUDA runtime "*"; no GPU to confirm it on"* ]]
}

@test "NVML without libcuda, NVIDIA_DRIVER_CAPABILITIES=utility: capabilities_no_compute, exit 3" {
  require_no_driver
  NVIDIA_DRIVER_CAPABILITIES=utility LD_LIBRARY_PATH="$FAKE_NVML_DIR" run "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "capabilities_no_compute" ]
  [ "$(check_field "$TEST_TMP/r.json" driver message)" = "nvidia-smi's library (NVML) is mounted but libcuda.so.1 is not: NVIDIA_DRIVER_CAPABILITIES=utility leaves out compute" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver hint)" == *"NVIDIA_DRIVER_CAPABILITIES=compute,utility"* ]]
  # Without the variable: the driver is only partly here, and the NVML library is named.
  LD_LIBRARY_PATH="$FAKE_NVML_DIR" run "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "no_driver" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver message)" == *"libcuda.so.1 is missing while libnvidia-ml.so.1 ($FAKE_NVML_DIR/libnvidia-ml.so.1"*") loads"* ]]
}

@test "the toolkit's link stub is recognised, not mistaken for a driver" {
  run with_fake_driver stub "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "driver_stub" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver hint)" == *"stubs"* ]]
}

@test "driver library / kernel module mismatch (803) is named" {
  run with_fake_driver mismatch "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 1 ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "driver_mismatch" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver hint)" == *"reboot"* ]]
}

@test "forward compatibility refused (804) is named, with the folder to take off the loader's path" {
  run with_fake_driver compat "$GPUPROBE" check --json "$TEST_TMP/r.json"
  echo "$output"
  [ "$status" -ne 0 ]
  [ "$(check_field "$TEST_TMP/r.json" driver status)" = "fail" ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "compat_unsupported" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver message)" == *"forward-compatibility"* ]]
}

@test "system not ready (802) without NVML: names Fabric Manager and persistenced, exit 1" {
  require_no_nvml
  run with_fake_driver notready "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"FAIL  driver"* ]]
  [[ "$output" == *"system not ready"* ]]
  [[ "$output" == *"nvidia-fabricmanager"* ]]
  [ "$(check_field "$TEST_TMP/r.json" driver status)" = "fail" ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "system_not_ready" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver message)" == *"802 CUDA_ERROR_SYSTEM_NOT_READY"* ]]
  [[ "$(check_field "$TEST_TMP/r.json" driver measured)" == *"CUDA_ERROR_SYSTEM_NOT_READY (802)"* ]]
  hint="$(check_field "$TEST_TMP/r.json" driver hint)"
  [[ "$hint" == *"systemctl status nvidia-fabricmanager"* ]]
  [[ "$hint" == *"driver's version"* ]]
  [[ "$hint" == *"nvidia-persistenced"* ]]
  [[ "$(json "$TEST_TMP/r.json" "[c for c in r['checks'] if c['id'] == 'driver'][0]['details']['nvml_fabric']")" == "NVML not usable"* ]]
  [ "$(json "$TEST_TMP/r.json" "r['exit_code']")" = "1" ]
  [[ "$(json "$TEST_TMP/r.json" "r['verdict']")" == "FAIL: driver"* ]]
}

@test "system not ready (802) on an HGX node whose fabric never registered: fabric_manager from NVML" {
  run with_fake_driver_and_nvml notready fabric "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 1 ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "fabric_manager" ]
  msg="$(check_field "$TEST_TMP/r.json" driver message)"
  [[ "$msg" == *"NVSwitch fabric is not initialized"* ]]
  [[ "$msg" == *"8 of 8 GPUs"* ]]
  [[ "$msg" == *"not started"* ]]
  hint="$(check_field "$TEST_TMP/r.json" driver hint)"
  [[ "$hint" == *"systemctl status nvidia-fabricmanager"* ]]
  [[ "$hint" != *"persistenced"* ]]
  [ "$(json "$TEST_TMP/r.json" "len([c for c in r['checks'] if c['id'] == 'driver'][0]['details']['nvml_fabric'])")" = "8" ]
  [ "$(json "$TEST_TMP/r.json" "[c for c in r['checks'] if c['id'] == 'driver'][0]['details']['nvml_fabric'][0]['fabric_state']")" = "1" ]
  # The nvml check, asked why CUDA sees no GPU, says the same.
  [ "$(check_field "$TEST_TMP/r.json" nvml status)" = "fail" ]
  [ "$(check_field "$TEST_TMP/r.json" nvml reason)" = "fabric_manager" ]
  [ "$(json "$TEST_TMP/r.json" "r['exit_code']")" = "1" ]
}

@test "system not ready (802) on a GPU without NVSwitch: persistenced, not Fabric Manager" {
  run with_fake_driver_and_nvml notready nofabric "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 1 ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "system_not_ready" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver message)" == *"Fabric Manager is not the cause"* ]]
  hint="$(check_field "$TEST_TMP/r.json" driver hint)"
  [[ "$hint" == *"nvidia-persistenced"* ]]
  [[ "$hint" != *"fabricmanager"* ]]
}

@test "MIG on without a MIG device: driver hint mentions MIG, nvml check names mig_no_instance" {
  run with_fake_driver_and_nvml nodevice mig "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" driver reason)" = "no_device" ]
  [[ "$(check_field "$TEST_TMP/r.json" driver hint)" == *"MIG"* ]]
  [ "$(check_field "$TEST_TMP/r.json" nvml status)" = "fail" ]
  [ "$(check_field "$TEST_TMP/r.json" nvml reason)" = "mig_no_instance" ]
  [[ "$(check_field "$TEST_TMP/r.json" nvml message)" == *"NVML GPU 0 (NVIDIA H200): MIG mode enabled but no MIG device is visible to CUDA"* ]]
  [[ "$(check_field "$TEST_TMP/r.json" nvml hint)" == *"nvidia-smi mig -cgi"* ]]
  [ "$(json "$TEST_TMP/r.json" "[c for c in r['checks'] if c['id'] == 'nvml'][0]['details']['nvml_gpus'][0]['mig_enabled']")" = "true" ]
  [[ "$output" == *"FAIL  nvml"* ]]
}

@test "NVML reports the GPU lost while CUDA sees none: gpu_lost" {
  run with_fake_driver_and_nvml nodevice lost "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" nvml status)" = "fail" ]
  [ "$(check_field "$TEST_TMP/r.json" nvml reason)" = "gpu_lost" ]
  [[ "$(check_field "$TEST_TMP/r.json" nvml hint)" == *"Xid 79"* ]]
}

@test "driver too old for the runtime: compat names branch 580 and a CUDA 12.4 image" {
  FAKE_CUDA_VERSION=12040 run with_fake_driver old "$GPUPROBE" check --json "$TEST_TMP/r.json"
  [ "$status" -eq 1 ]
  [ "$(check_field "$TEST_TMP/r.json" driver status)" = "pass" ]
  [ "$(check_field "$TEST_TMP/r.json" compat status)" = "fail" ]
  [ "$(check_field "$TEST_TMP/r.json" compat reason)" = "driver_too_old" ]
  hint="$(check_field "$TEST_TMP/r.json" compat hint)"
  [[ "$hint" == *"branch 580"* ]]
  [[ "$hint" == *"nvidia/cuda:12.4.1"* ]]
  [ "$(json "$TEST_TMP/r.json" "r['software']['cuda_driver_version']")" = "12040" ]
}

@test "image or machine without cuBLAS and cuDNN: warned with the image tag or package to use; --require makes it a failure" {
  require_no_driver
  command -v unshare >/dev/null || skip "unshare not available"
  "$GPUPROBE" check --only cublas,cudnn --json "$TEST_TMP/found.json" || true
  cudnn="$(json "$TEST_TMP/found.json" "r['software']['libraries'].get('cudnn','')")"
  cublas="$(json "$TEST_TMP/found.json" "r['software']['libraries'].get('cublas','')")"
  [[ "$cudnn" == /* && "$cublas" == /* ]] || skip "cuBLAS/cuDNN not installed here: nothing to hide"
  dirs="$(dirname "$cudnn") $(dirname "$cublas")"
  hide="for d in $dirs; do mount -t tmpfs none \"\$d\"; done"
  unshare -m --propagation private true 2>/dev/null || skip "no mount namespaces here"
  # In a container (container=docker: what Podman, nspawn and LXC set) the fix is an image tag.
  run unshare -m --propagation private sh -c "$hide && exec env container=docker \"$GPUPROBE\" check --only cublas,cudnn --json $TEST_TMP/r.json"
  [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "warn" ]
  [[ "$(check_field "$TEST_TMP/r.json" cudnn message)" == *"this image has no cuDNN: use an nvidia/cuda:*-cudnn-* tag"* ]]
  [ "$(check_field "$TEST_TMP/r.json" cublas status)" = "warn" ]
  [ "$(check_field "$TEST_TMP/r.json" cublas reason)" = "missing_library" ]
  [[ "$(check_field "$TEST_TMP/r.json" cublas message)" == *"this image has no usable cuBLAS"* ]]
  # Outside one, NVIDIA's packages.
  if [ "$(json "$TEST_TMP/found.json" "r['host']['container']['detected']")" = "false" ]; then
    run unshare -m --propagation private sh -c "$hide && exec \"$GPUPROBE\" check --only cublas,cudnn --json $TEST_TMP/r.json"
    [[ "$(check_field "$TEST_TMP/r.json" cudnn message)" == *"this machine has no cuDNN"* ]]
    [[ "$(check_field "$TEST_TMP/r.json" cudnn hint)" == *"libcudnn9-cuda-13"* ]]
    [[ "$(check_field "$TEST_TMP/r.json" cublas message)" == *"this machine has no usable cuBLAS"* ]]
  fi
  run unshare -m --propagation private sh -c "$hide && exec \"$GPUPROBE\" check --only cublas,cudnn --require cudnn,cublas --json $TEST_TMP/r.json"
  [ "$status" -eq 1 ]
  [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "fail" ]
  [ "$(check_field "$TEST_TMP/r.json" cublas status)" = "fail" ]
}

@test "cuBLAS and cuDNN only in pip wheels (PyTorch's): found there, loaded, and said so" {
  require_no_driver
  command -v unshare >/dev/null || skip "unshare not available"
  "$GPUPROBE" check --only cublas,cudnn --json "$TEST_TMP/found.json" || true
  cudnn="$(json "$TEST_TMP/found.json" "r['software']['libraries'].get('cudnn','')")"
  cublas="$(json "$TEST_TMP/found.json" "r['software']['libraries'].get('cublas','')")"
  [[ "$cudnn" == /* && "$cublas" == /* ]] || skip "cuBLAS/cuDNN not installed here"
  unshare -m --propagation private true 2>/dev/null || skip "no mount namespaces here"
  for d in "$(dirname "$cudnn")" "$(dirname "$cublas")"; do
    [[ -e "$d/libc.so.6" ]] && skip "cuBLAS/cuDNN live beside libc ($d): that folder cannot be hidden"
  done
  # Wheels of this machine's own Python environments would be found too: then the test proves nothing.
  if compgen -G "/usr/local/lib/python3*/*-packages/nvidia/*/lib" >/dev/null ||
     compgen -G "/usr/lib/python3/dist-packages/nvidia/*/lib" >/dev/null || [[ -d /opt/conda ]]; then
    skip "this machine has NVIDIA wheels of its own"
  fi
  # A virtualenv laid out as the wheels unpack (nvidia-cudnn-cu13 -> nvidia/cudnn/lib, nvidia-cublas
  # -> nvidia/cu13/lib), holding the real libraries through bind mounts; their system folders hidden.
  # (Here both are one folder, so each wheel folder holds both libraries: either may be found first.)
  site="$TEST_TMP/venv/lib/python3.12/site-packages"
  mkdir -p "$site/nvidia/cudnn/lib" "$site/nvidia/cu13/lib"
  setup="mount --bind \"$(dirname "$cudnn")\" \"$site/nvidia/cudnn/lib\" && mount --bind \"$(dirname "$cublas")\" \"$site/nvidia/cu13/lib\""
  hide="for d in $(dirname "$cudnn") $(dirname "$cublas"); do mount -t tmpfs none \"\$d\"; done"
  run unshare -m --propagation private sh -c "$setup && $hide && VIRTUAL_ENV=$TEST_TMP/venv exec \"$GPUPROBE\" check --only cublas,cudnn --require cublas,cudnn --json $TEST_TMP/r.json"
  [ "$status" -eq 3 ]  # --only: both skip for want of a GPU: no GPU
  [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "skip" ]
  [[ "$(check_field "$TEST_TMP/r.json" cudnn message)" == *"cuDNN 9."*"from a pip wheel in $site/nvidia/"*"LD_LIBRARY_PATH"* ]]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['libraries']['cudnn']")" == "$site/nvidia/"*"/lib/libcudnn.so.9"* ]]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['cudnn_version']")" == 9.* ]]
  [ "$(check_field "$TEST_TMP/r.json" cublas status)" = "skip" ]
  [[ "$(check_field "$TEST_TMP/r.json" cublas message)" == *"from a pip wheel in $site/nvidia/"* ]]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['libraries']['cublas']")" == "$site/nvidia/"*"/lib/libcublas.so."* ]]
  # The wheel folders named on LD_LIBRARY_PATH: the loader finds them, so no "pip wheel" note.
  run unshare -m --propagation private sh -c "$setup && $hide && LD_LIBRARY_PATH=$site/nvidia/cudnn/lib:$site/nvidia/cu13/lib exec env -u VIRTUAL_ENV -u CONDA_PREFIX \"$GPUPROBE\" check --only cublas,cudnn --json $TEST_TMP/r.json"
  [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "skip" ]
  [[ "$(check_field "$TEST_TMP/r.json" cudnn message)" != *"pip wheel"* ]]
  [[ "$(check_field "$TEST_TMP/r.json" cublas message)" != *"pip wheel"* ]]
  # The same without the virtualenv active: nowhere to be found, as before.
  run unshare -m --propagation private sh -c "$setup && $hide && exec env -u VIRTUAL_ENV -u CONDA_PREFIX \"$GPUPROBE\" check --only cublas,cudnn --json $TEST_TMP/r.json"
  [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "warn" ]
  [ "$(check_field "$TEST_TMP/r.json" cublas status)" = "warn" ]
}

@test "CUDA toolkit the loader does not know (no ld.so.conf.d entry): cuBLAS and cuDNN found in it, with the fix" {
  require_no_driver
  command -v unshare >/dev/null || skip "unshare not available"
  ldconfig=""
  for p in /sbin/ldconfig /usr/sbin/ldconfig; do [[ -x "$p" ]] && ldconfig="$p" && break; done
  [[ -n "$ldconfig" && -f /etc/ld.so.cache ]] || skip "no ldconfig or /etc/ld.so.cache here"
  "$GPUPROBE" check --only cublas,cudnn --json "$TEST_TMP/found.json" || true
  cudnn="$(json "$TEST_TMP/found.json" "r['software']['libraries'].get('cudnn','')")"
  cublas="$(json "$TEST_TMP/found.json" "r['software']['libraries'].get('cublas','')")"
  [[ "$cudnn" == /* && "$cublas" == /* ]] || skip "cuBLAS/cuDNN not installed here"
  unshare -m --propagation private true 2>/dev/null || skip "no mount namespaces here"
  db="$(realpath "$(dirname "$cublas")")" dc="$(realpath "$(dirname "$cudnn")")"
  for d in "$db" "$dc"; do
    [[ -e "$d/libc.so.6" ]] && skip "cuBLAS/cuDNN live in the loader's system folder $d: it cannot be taken off its paths"
  done
  # The loader's view of a machine whose toolkit has no /etc/ld.so.conf.d entry: the configured
  # folders minus those holding cuBLAS and cuDNN, and a cache built from them alone (-X: no links
  # changed in those folders). /etc/ld.so.conf.d hidden, so that gpuprobe reads the same list.
  # Unlike hiding the folders, this keeps the toolkit's files where they are (/usr/local/cuda...).
  cat /etc/ld.so.conf /etc/ld.so.conf.d/*.conf 2>/dev/null | sed 's/#.*//' | grep -v '^[[:space:]]*include' |
    while read -r d; do [[ -z "$d" ]] || echo "$d"; done >"$TEST_TMP/ld.so.conf.all"
  while read -r d; do
    r="$(realpath -q "$d" || true)"
    [[ "$r" == "$db" || "$r" == "$dc" ]] || echo "$d"
  done <"$TEST_TMP/ld.so.conf.all" >"$TEST_TMP/ld.so.conf"
  "$ldconfig" -X -C "$TEST_TMP/ld.so.cache" -f "$TEST_TMP/ld.so.conf" 2>/dev/null
  mkdir -p "$TEST_TMP/empty"
  loader="mount --bind $TEST_TMP/ld.so.cache /etc/ld.so.cache && mount --bind $TEST_TMP/ld.so.conf /etc/ld.so.conf && mount --bind $TEST_TMP/empty /etc/ld.so.conf.d"
  clean="env -u LD_LIBRARY_PATH -u CUDA_HOME -u CUDA_PATH -u VIRTUAL_ENV -u CONDA_PREFIX"
  fix="not on the loader's paths: add it to LD_LIBRARY_PATH, or list it in a file in /etc/ld.so.conf.d and run ldconfig, so that other programs find it too"

  # A made-up toolkit named by $CUDA_HOME, holding the real files (bind mounts): found there first.
  tk="$TEST_TMP/cuda-13.9"
  mkdir -p "$tk/lib64" "$tk/lib"
  place="mount --bind $db $tk/lib64"
  [[ "$dc" != "$db" ]] && place="$place && mount --bind $dc $tk/lib"
  run unshare -m --propagation private sh -c "$loader && $place && exec $clean CUDA_HOME=$tk \"$GPUPROBE\" check --only cublas,cudnn --json $TEST_TMP/r.json"
  [ "$(check_field "$TEST_TMP/r.json" cublas status)" = "skip" ]
  [[ "$(check_field "$TEST_TMP/r.json" cublas message)" == "cuBLAS 1"*" present (in the CUDA toolkit folder $tk/lib64, $fix); no GPU to compute on" ]]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['libraries']['cublas']")" == "$tk/lib64/libcublas.so."* ]]
  [ "$(json "$TEST_TMP/r.json" "[c['details'] for c in r['checks'] if c['id'] == 'cublas'][0]['library_source']")" = "cuda_toolkit" ]
  [ "$(json "$TEST_TMP/r.json" "[c['details'] for c in r['checks'] if c['id'] == 'cublas'][0]['library_folder']")" = "$tk/lib64" ]
  [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "skip" ]
  [[ "$(check_field "$TEST_TMP/r.json" cudnn message)" == "cuDNN 9."*" present (in the CUDA toolkit folder $tk/"*", $fix); no GPU to compute on" ]]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['libraries']['cudnn']")" == "$tk/"*"/libcudnn.so.9"* ]]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['cudnn_version']")" == 9.* ]]

  # The machine's own toolkit, when the files are in /usr/local/cuda (the case users meet): the whole
  # check exits 3 (no driver), and the libraries are found there with the fix, in the table too.
  expect=""
  for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/*-linux/lib; do
    [[ -d "$d" && "$(realpath "$d")" == "$db" ]] && expect="$d" && break
  done
  if [[ -n "$expect" ]]; then
    run unshare -m --propagation private sh -c "$loader && exec $clean \"$GPUPROBE\" check --json $TEST_TMP/r.json"
    [ "$status" -eq 3 ]
    [ "$(check_field "$TEST_TMP/r.json" cublas status)" = "skip" ]
    [[ "$(check_field "$TEST_TMP/r.json" cublas message)" == *"(in the CUDA toolkit folder $expect, $fix)"* ]]
    [[ "$output" == *"in the CUDA toolkit folder $expect, not on the loader's paths"* ]]
    if [[ "$dc" == "$db" ]]; then
      [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "skip" ]
      [[ "$(check_field "$TEST_TMP/r.json" cudnn message)" == "cuDNN 9."*"(in the CUDA toolkit folder $expect, $fix)"* ]]
    fi
  fi

  # The folder still listed in /etc/ld.so.conf.d, but the loader's cache built without it (files
  # copied in after ldconfig last ran): the fix is only to run ldconfig.
  if [[ -n "$expect" ]] && ! cmp -s "$TEST_TMP/ld.so.conf.all" "$TEST_TMP/ld.so.conf"; then
    run unshare -m --propagation private sh -c "mount --bind $TEST_TMP/ld.so.cache /etc/ld.so.cache && exec $clean \"$GPUPROBE\" check --only cublas,cudnn --json $TEST_TMP/r.json"
    [[ "$(check_field "$TEST_TMP/r.json" cublas message)" == *"(in the CUDA toolkit folder $expect, listed in the loader's configuration (/etc/ld.so.conf) but not in its cache: run ldconfig, so that other programs find it too)"* ]]
  fi
}

@test "incomplete cuDNN (shim without its sub-libraries, or without the engines): warned, never a crash" {
  require_no_driver
  command -v unshare >/dev/null || skip "unshare not available"
  "$GPUPROBE" check --only cudnn --json "$TEST_TMP/found.json" || true
  cudnn="$(json "$TEST_TMP/found.json" "r['software']['libraries'].get('cudnn','')")"
  [[ "$cudnn" == /* ]] || skip "cuDNN not installed here"
  unshare -m --propagation private true 2>/dev/null || skip "no mount namespaces here"
  dir="$(dirname "$cudnn")"
  # Copies of the real files in a folder of our own, the real folder hidden.
  mkdir -p "$TEST_TMP/shim" "$TEST_TMP/noengines"
  cp -L "$dir/libcudnn.so.9" "$TEST_TMP/shim/"
  for f in libcudnn.so.9 libcudnn_graph.so.9 libcudnn_ops.so.9 libcudnn_cnn.so.9; do cp -L "$dir/$f" "$TEST_TMP/noengines/"; done
  hide="mount -t tmpfs none \"$dir\""
  # The shim alone: cuDNN 9.19 ends the process in cudnnGetVersion when libcudnn_graph is missing;
  # gpuprobe must ask cudnnCnnVersionCheck first and report instead.
  run unshare -m --propagation private sh -c "$hide && LD_LIBRARY_PATH=$TEST_TMP/shim exec \"$GPUPROBE\" check --only cudnn --json $TEST_TMP/r.json"
  [ "$status" -ne 134 ]
  [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "warn" ]
  [ "$(check_field "$TEST_TMP/r.json" cudnn reason)" = "missing_library" ]
  msg="$(check_field "$TEST_TMP/r.json" cudnn message)"
  [[ "$msg" == *"unusable"*"cudnnCnnVersionCheck"*"sub-library"* ]]
  # graph, ops and cnn, but no libcudnn_engines_precompiled (the convolution kernels).
  run unshare -m --propagation private sh -c "$hide && LD_LIBRARY_PATH=$TEST_TMP/noengines exec \"$GPUPROBE\" check --only cudnn --json $TEST_TMP/r.json"
  [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "warn" ]
  [[ "$(check_field "$TEST_TMP/r.json" cudnn message)" == *"libcudnn_engines_precompiled.so.9"*"not found"* ]]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['cudnn_version']")" == 9.* ]]
}

@test "libraries present without a GPU: reported with versions, checks skipped" {
  require_no_driver
  run "$GPUPROBE" check --only cublas,cudnn --json "$TEST_TMP/r.json"
  c="$(json "$TEST_TMP/r.json" "r['software']['libraries'].get('cudnn','')")"
  [[ "$c" == /* ]] || skip "cuDNN not installed on this machine"
  [ "$(check_field "$TEST_TMP/r.json" cudnn status)" = "skip" ]
  [[ "$(json "$TEST_TMP/r.json" "r['software']['cudnn_version']")" == 9.* ]]
}

@test "--list names every check with its time bound" {
  run "$GPUPROBE" check --list
  [ "$status" -eq 0 ]
  for id in driver compat devices nvml arch kernel memory transfer cublas cudnn environment; do
    [[ "$output" == *"$id"* ]]
  done
}

@test "topology: listed after transfer; without a usable GPU it skips as the other GPU checks do" {
  run "$GPUPROBE" check --list
  [[ "$output" == *"transfer"*"topology         20 s  GPU pairs: P2P access, NVLink, topology"*"cublas"* ]]
  run with_fake_driver_and_nvml notready fabric "$GPUPROBE" check --only topology --json "$TEST_TMP/r.json"
  [ "$(check_field "$TEST_TMP/r.json" topology status)" = "skip" ]
  [ "$(check_field "$TEST_TMP/r.json" topology reason)" = "no_gpu" ]
  [[ "$output" == *"SKIP  topology"*"no usable CUDA driver: cuInit returned"* ]]
  require_no_driver
  run "$GPUPROBE" check --only topology --json "$TEST_TMP/r.json"
  [ "$status" -eq 3 ]
  [ "$(check_field "$TEST_TMP/r.json" topology reason)" = "no_gpu" ]
}

@test "usage errors exit 2 with a message" {
  run "$GPUPROBE" check --min-cc 8.x
  [ "$status" -eq 2 ]
  [[ "$output" == *"compute capability must look like 8.0"* ]]
  run "$GPUPROBE" check --min-memory 16Q
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown unit"* ]]
  run "$GPUPROBE" check --require cufft
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown library 'cufft'"* ]]
  run "$GPUPROBE" check --only nosuch
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown check 'nosuch'"* ]]
  run "$GPUPROBE" check --expect-gpus -3
  [ "$status" -eq 2 ]
  run "$GPUPROBE" check --mem-fraction 2
  [ "$status" -eq 2 ]
  run "$GPUPROBE" check --json - --junit -
  [ "$status" -eq 2 ]
  [[ "$output" == *"cannot both write to stdout"* ]]
}

@test "an unwritable --json path is an internal error (5), after the table" {
  run "$GPUPROBE" check --only environment --json /nonexistent-dir/r.json
  [ "$status" -eq 5 ]
  [[ "$output" == *"cannot write /nonexistent-dir/r.json"* ]]
}

@test "no driver: check finishes in well under a second" {
  require_no_driver
  # A sanity bound for hangs, not a benchmark (the measured number is in docs/results/).
  run timeout 10 "$GPUPROBE" check -q
  [ "$status" -eq 3 ]
}

@test "nccl: the variables that steer NCCL's transport are named beside the NCCL found" {
  NCCL_P2P_DISABLE=1 NCCL_NET=Socket NCCL_IB_DISABLE= run "$GPUPROBE" check --only nccl --json "$TEST_TMP/r.json"
  [[ "$(json "$TEST_TMP/r.json" "r['software']['libraries'].get('nccl', '')")" == /* ]] || skip "no NCCL on this machine"
  [ "$(json "$TEST_TMP/r.json" "' '.join([c for c in r['checks'] if c['id'] == 'nccl'][0]['details']['environment'])")" = "NCCL_P2P_DISABLE=1 NCCL_NET=Socket" ]
  [[ "$(check_field "$TEST_TMP/r.json" nccl message)" == *"set here: NCCL_P2P_DISABLE=1, NCCL_NET=Socket"* ]]
}
