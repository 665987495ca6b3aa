#!/usr/bin/env bats
# The host preflight (scripts/lib/host-preflight.sh, `gpuprobe-aws check --host`)
# on GPU hosts made of stand-ins: no test machine has a GPU, an NVIDIA driver
# or a Docker engine, so nvidia-smi, nvidia-container-cli, nvidia-ctk,
# nv-fabricmanager, systemctl and docker come from fixtures/remote-bin (each
# prints the real tool's text; the sources are named there) in a PATH that
# holds nothing else but coreutils, and the files the preflight reads
# (/proc/driver/nvidia/version, /proc/driver/nvidia-nvswitch/devices, /etc/cdi)
# from a sandbox root (GPUPROBE_HOST_ROOT).

load test_helper

HP="$GPA_REPO_ROOT/scripts/lib/host-preflight.sh"

# nvidia/cuda:12.8.1's NVIDIA_REQUIRE_CUDA, as `docker image inspect` shows it
# (the image's ENV line, quoted whole in public `docker inspect` outputs of
# nvidia/cuda:12.8.1-based images): cuda>=12.8, or one of the brands on driver
# branches 470, 535, 550, 560 and 565 (forward compatibility).
REQ_12_8='cuda>=12.8'
for b in 470:471 535:536 550:551 560:561 565:566; do
  for brand in unknown grid tesla nvidia quadro quadrortx nvidiartx vapps vpc vcs vws cloudgaming; do
    REQ_12_8+=" brand=$brand,driver>=${b%:*},driver<${b#*:}"
  done
done

setup() {
  HP_BIN="$BATS_TEST_TMPDIR/bin"
  HP_ROOT="$BATS_TEST_TMPDIR/root"
  mkdir -p "$HP_BIN" "$HP_ROOT/proc/driver/nvidia" "$BATS_TEST_TMPDIR/docker-stub" "$BATS_TEST_TMPDIR/home"
  local c p
  for c in bash sh env awk sed grep head tail sort uniq tr cat date uname timeout mkdir rm dirname basename \
    cut wc ls readlink mktemp id sleep; do
    p=$(command -v "$c") && ln -sf "$p" "$HP_BIN/$c"
  done
  # the kernel module of the default stand-in driver (layout of /proc/driver/nvidia/version
  # as AWS's p4d/p5 driver instructions quote it)
  printf 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.127.05  Tue Oct  8 03:22:07 UTC 2024\nGCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n' \
    >"$HP_ROOT/proc/driver/nvidia/version"
  export GPUPROBE_HOST_ROOT="$HP_ROOT" DOCKER_STUB_DIR="$BATS_TEST_TMPDIR/docker-stub" GPA_HOST_ENV=/nonexistent
  export HOME="$BATS_TEST_TMPDIR/home" GPUPROBE_AWS_STATE_DIR="$BATS_TEST_TMPDIR/state"
  unset GPA_HOST_DRIVER GPA_HOST_DRIVER_VERSION GPA_HOST_CUDA GPA_HOST_GPU GPA_HOST_BRAND GPA_HOST_ARCH \
    GPA_HOST_GPUS GPA_HOST_FABRIC_STATE GPA_HOST_DOCKER GPA_HOST_DOCKER_RUNTIMES GPA_HOST_DOCKER_CDI \
    GPA_HOST_IMAGE_ENV GPA_HOST_FM_ACTIVE GPA_HOST_FM_VERSION
}

# Puts these stand-ins on the sandbox PATH.
host_tools() {
  local c
  for c in "$@"; do ln -sf "$GPA_TEST_DIR/fixtures/remote-bin/$c" "$HP_BIN/$c"; done
}
full_host() { host_tools nvidia-smi nvidia-container-cli nvidia-ctk docker; }

preflight() { run env PATH="$HP_BIN" bash "$HP" "$@"; }

# The row of check ID: "STATUS  ID ... message"
row() { grep -E "^[A-Z]{4}  $1 " <<<"$output"; }
assert_row() { # STATUS ID
  local r
  r=$(row "$2") || { printf 'no %s row in:\n%s\n' "$2" "$output" >&2; return 1; }
  [[ $r == "$1  $2"* ]] || { printf 'expected %s %s, got: %s\n' "$1" "$2" "$r" >&2; return 1; }
}
json_reason() { jq -r --arg id "$2" '.checks[] | select(.id == $id) | .reason' "$1"; }

@test "preflight: a healthy GPU host passes, in gpuprobe check's row layout, exit 0" {
  full_host
  preflight --json "$BATS_TEST_TMPDIR/p.json"
  assert_success
  # STATUS, id padded to 12, duration right-aligned in 7 columns, then the message
  grep -qE '^PASS  host-driver  +[0-9]+ ms  driver 550\.127\.05 \(CUDA 12\.4\), 1 GPU\(s\): Tesla V100-SXM2-16GB \[kernel module 550\.127\.05\]$' <<<"$output"
  assert_row PASS host-toolkit
  assert_output_contains "nvidia-container-cli sees driver 550.127.05, CUDA 12.4, 1 GPU(s); nvidia-ctk 1.17.8"
  assert_row PASS host-docker
  assert_output_contains "Docker 28.3.2: runtime nvidia registered (default runc)"
  assert_row SKIP host-fabric
  assert_output_contains "PASS: 3 passed, 0 warned, 0 failed, 1 skipped [exit 0]"
  refute_output_contains "fix:"
  jq -e '.schema == "gpuprobe.host-preflight/1" and .exit_code == 0 and .gpu_flags == "--gpus all" and (.checks | length) == 4' \
    "$BATS_TEST_TMPDIR/p.json" >/dev/null
  preflight --gpu-flags
  assert_success
  assert_equal "$output" "--gpus all"
}

@test "preflight: no driver at all: no_driver, the toolkit's own error, NO GPU, exit 3" {
  host_tools nvidia-container-cli nvidia-ctk docker
  rm -rf "$HP_ROOT/proc/driver/nvidia"
  export GPA_HOST_DRIVER=absent
  preflight --json "$BATS_TEST_TMPDIR/p.json"
  assert_equal "$status" 3
  assert_row FAIL host-driver
  assert_output_contains "no NVIDIA driver on this host: no nvidia-smi and no NVIDIA kernel module"
  assert_row FAIL host-toolkit
  assert_output_contains "nvidia-container-cli: initialization error: load library failed: libnvidia-ml.so.1: cannot open shared object file: no such file or directory: the toolkit finds no NVIDIA driver library"
  assert_output_contains "fix: install the NVIDIA driver"
  grep -qE '^NO GPU: no NVIDIA driver on this host.*\[exit 3\]$' <<<"$output"
  assert_equal "$(json_reason "$BATS_TEST_TMPDIR/p.json" host-driver)" no_driver
  assert_equal "$(json_reason "$BATS_TEST_TMPDIR/p.json" host-toolkit)" no_driver
}

@test "preflight: driver installed but its kernel module not loaded: nvidia-smi's own words, kernel_module_missing, exit 3" {
  full_host
  rm -rf "$HP_ROOT/proc/driver/nvidia"
  export GPA_HOST_DRIVER=unloaded
  preflight --json "$BATS_TEST_TMPDIR/p.json"
  assert_equal "$status" 3
  assert_output_contains "nvidia-smi: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.: the NVIDIA kernel module is not loaded"
  assert_output_contains "fix: sudo modprobe nvidia"
  assert_output_contains "nvidia-container-cli: initialization error: nvml error: driver not loaded"
  assert_equal "$(json_reason "$BATS_TEST_TMPDIR/p.json" host-driver)" kernel_module_missing
  assert_equal "$(json_reason "$BATS_TEST_TMPDIR/p.json" host-toolkit)" kernel_module_missing
}

@test "preflight: driver upgraded without a reboot: NVML's version mismatch, driver_mismatch, exit 1" {
  full_host
  export GPA_HOST_DRIVER=mismatch
  preflight --json "$BATS_TEST_TMPDIR/p.json"
  assert_equal "$status" 1
  assert_output_contains "nvidia-smi: Failed to initialize NVML: Driver/library version mismatch: the loaded kernel module (550.127.05)"
  assert_output_contains "fix: the driver was upgraded while the old kernel module stayed loaded: reboot"
  assert_equal "$(json_reason "$BATS_TEST_TMPDIR/p.json" host-driver)" driver_mismatch
  assert_equal "$(json_reason "$BATS_TEST_TMPDIR/p.json" host-toolkit)" driver_mismatch
}

@test "preflight: a driver but no NVIDIA Container Toolkit: Docker's refusal and the fix, exit 1" {
  host_tools nvidia-smi docker
  export GPA_HOST_DOCKER_RUNTIMES="io.containerd.runc.v2 runc"
  preflight --json "$BATS_TEST_TMPDIR/p.json"
  assert_equal "$status" 1
  assert_row PASS host-driver
  assert_row FAIL host-toolkit
  assert_output_contains "the NVIDIA Container Toolkit is not installed (no nvidia-container-cli, no nvidia-ctk)"
  assert_row FAIL host-docker
  assert_output_contains 'no NVIDIA runtime registered with Docker (runtimes: io.containerd.runc.v2 runc): docker run --gpus all fails with: could not select device driver "" with capabilities: [[gpu]]'
  assert_output_contains "sudo nvidia-ctk runtime configure --runtime=docker and sudo systemctl restart docker"
  assert_output_contains "FAIL: host-toolkit, host-docker (1 passed, 0 warned, 2 failed, 1 skipped) [exit 1]"
  assert_equal "$(json_reason "$BATS_TEST_TMPDIR/p.json" host-docker)" no_gpu_runtime
  preflight --gpu-flags
  assert_equal "$status" 1
}

@test "preflight: Docker daemon down: docker info's error and how to start it" {
  full_host
  export GPA_HOST_DOCKER=down
  preflight
  assert_equal "$status" 1
  assert_row FAIL host-docker
  assert_output_contains "docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
  assert_output_contains "fix: start the Docker daemon: sudo systemctl enable --now docker"
}

@test "preflight: a CDI-only host (nvidia-ctk and a CDI spec, no nvidia runtime) passes with --device nvidia.com/gpu=all" {
  host_tools nvidia-smi nvidia-ctk docker
  export GPA_HOST_DOCKER_RUNTIMES="io.containerd.runc.v2 runc"
  mkdir -p "$HP_ROOT/etc/cdi"
  # the head of what `nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml` writes
  # (NVIDIA's CDI support page): kind nvidia.com/gpu with devices 0 and all
  cat >"$HP_ROOT/etc/cdi/nvidia.yaml" <<'EOF'
---
cdiVersion: 0.5.0
containerEdits:
  deviceNodes:
  - path: /dev/nvidia-uvm
  - path: /dev/nvidiactl
devices:
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: "0"
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: all
kind: nvidia.com/gpu
EOF
  preflight --json "$BATS_TEST_TMPDIR/p.json"
  assert_success
  assert_row PASS host-toolkit
  assert_output_contains "CDI: nvidia-ctk 1.17.8 and the CDI spec /etc/cdi/nvidia.yaml for nvidia.com/gpu"
  assert_row PASS host-docker
  assert_output_contains "Docker 28.3.2 with CDI (spec directories /etc/cdi /var/run/cdi): docker run --device nvidia.com/gpu=all gives containers the GPUs"
  preflight --gpu-flags
  assert_success
  assert_equal "$output" "--device nvidia.com/gpu=all"

  # the same spec with a Docker that has CDI off (no "CDI spec directories" in docker info)
  export GPA_HOST_DOCKER_CDI=0
  preflight
  assert_equal "$status" 1
  assert_row FAIL host-docker
  assert_output_contains '"features": {"cdi": true}'
}

@test "preflight: NVSwitch host without Fabric Manager: fabric_manager and CUDA error 802, exit 1; then a wrong version; then a good one" {
  full_host
  host_tools systemctl nv-fabricmanager
  mkdir -p "$HP_ROOT/proc/driver/nvidia-nvswitch/devices"
  local s
  for s in 0000:07:00.0 0000:08:00.0 0000:09:00.0 0000:0a:00.0; do mkdir -p "$HP_ROOT/proc/driver/nvidia-nvswitch/devices/$s"; done
  export GPA_HOST_GPU="NVIDIA H100 80GB HBM3" GPA_HOST_BRAND=NVIDIA GPA_HOST_ARCH=9.0 GPA_HOST_ARCH_NAME=Hopper GPA_HOST_GPUS=8
  export GPA_HOST_FABRIC_STATE="In Progress" GPA_HOST_FM_ACTIVE=inactive
  preflight --json "$BATS_TEST_TMPDIR/p.json"
  assert_equal "$status" 1
  assert_output_contains "8 x NVIDIA H100 80GB HBM3"
  assert_row FAIL host-fabric
  assert_output_contains '4 NVSwitch(es), but nvidia-fabricmanager is inactive: CUDA fails with error 802 "system not yet initialized"'
  assert_output_contains "fix: sudo apt-get install -y nvidia-fabricmanager-550 (exactly the driver's version, 550.127.05), then sudo systemctl enable --now nvidia-fabricmanager"
  assert_equal "$(json_reason "$BATS_TEST_TMPDIR/p.json" host-fabric)" fabric_manager

  export GPA_HOST_FM_ACTIVE=active GPA_HOST_FM_VERSION=550.90.07
  preflight
  assert_equal "$status" 1
  assert_output_contains "nvidia-fabricmanager 550.90.07 is not the driver's version 550.127.05"

  export GPA_HOST_FM_VERSION=550.127.05 GPA_HOST_FABRIC_STATE=Completed
  preflight
  assert_success
  assert_row PASS host-fabric
  assert_output_contains "4 NVSwitch(es); nvidia-fabricmanager active, version 550.127.05 = driver [fabric Completed]"
}

@test "preflight --image: nvidia/cuda:12.8 on a GeForce with driver 550 (CUDA 12.4): the toolkit's refusal, and minor-version compatibility in the fix" {
  full_host
  export GPA_HOST_GPU="NVIDIA GeForce RTX 4090" GPA_HOST_BRAND=GeForce GPA_HOST_ARCH=8.9 GPA_HOST_ARCH_NAME="Ada Lovelace"
  export GPA_HOST_DRIVER_VERSION=550.144.03 GPA_HOST_CUDA=12.4
  sed -i 's/550\.127\.05/550.144.03/' "$HP_ROOT/proc/driver/nvidia/version"
  export GPA_HOST_IMAGE_ENV="[\"PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/bin:/bin\",\"NVARCH=x86_64\",\"NVIDIA_REQUIRE_CUDA=${REQ_12_8//</\\u003c}\",\"CUDA_VERSION=12.8.1\"]"
  GPA_HOST_IMAGE_ENV=${GPA_HOST_IMAGE_ENV//>/\\u003e}
  preflight --image nvidia/cuda:12.8.1-base-ubuntu22.04 --json "$BATS_TEST_TMPDIR/p.json"
  assert_equal "$status" 1
  assert_row FAIL host-image
  # nvidia-container-cli compares cuda>= with the driver's CUDA version literally
  # (NVIDIA/nvidia-container-toolkit#940: driver 565.77, CUDA 12.7, refused cuda>=12.8)
  assert_output_contains "image nvidia/cuda:12.8.1-base-ubuntu22.04: NVIDIA_REQUIRE_CUDA asks for cuda>=12.8; driver 550.144.03 supports CUDA 12.4: docker run refuses to start it with: nvidia-container-cli: requirement error: unsatisfied condition: cuda>=12.8"
  assert_output_contains "none of its 60 brand=…,driver… alternatives matches"
  assert_output_contains "CUDA 12.8 runs on this driver through minor-version compatibility (any 12.x on driver >= 525), but the toolkit compares cuda>= with the driver's CUDA version literally: start the container with -e NVIDIA_DISABLE_REQUIRE=true"
  assert_output_contains "nvidia/cuda:12.4.1-*"
  assert_output_contains "upgrade the driver to 570.26 or newer"
  assert_equal "$(json_reason "$BATS_TEST_TMPDIR/p.json" host-image)" driver_too_old
}

@test "preflight --image: the same image on a Tesla V100 with driver 550 starts through its brand=tesla,driver>=550,driver<551 alternative" {
  full_host
  export GPA_HOST_IMAGE_ENV="[\"NVIDIA_REQUIRE_CUDA=${REQ_12_8//>/\\u003e}\"]"
  GPA_HOST_IMAGE_ENV=${GPA_HOST_IMAGE_ENV//</\\u003c}
  preflight --image nvidia/cuda:12.8.1-base-ubuntu22.04
  assert_success
  assert_row PASS host-image
  assert_output_contains "NVIDIA_REQUIRE_CUDA met through its alternative brand=tesla,driver>=550,driver<551, not through cuda>=12.8 (driver 550.127.05 supports CUDA 12.4)"
}

@test "preflight --image: a CUDA 13 image on a 12.x driver needs branch 580; NVIDIA_DISABLE_REQUIRE and no requirement pass; a missing image warns" {
  full_host
  export GPA_HOST_IMAGE_ENV='["NVIDIA_REQUIRE_CUDA=cuda\u003e=13.0","CUDA_VERSION=13.0.2"]'
  preflight --image gpuprobe:cuda13
  assert_equal "$status" 1
  assert_output_contains "unsatisfied condition: cuda>=13.0"
  assert_output_contains "fix: upgrade the host driver to branch 580 or newer (CUDA 13.0 shipped with 580.65.06), or use an image this driver runs: nvidia/cuda:12.4.1-* (CUDA 12.4)"
  refute_output_contains "NVIDIA_DISABLE_REQUIRE=true"

  export GPA_HOST_IMAGE_ENV='["NVIDIA_REQUIRE_CUDA=cuda\u003e=13.0","NVIDIA_DISABLE_REQUIRE=true"]'
  preflight --image gpuprobe:cuda13
  assert_success
  assert_output_contains "sets NVIDIA_DISABLE_REQUIRE=true: the toolkit does not check NVIDIA_REQUIRE_CUDA"

  export GPA_HOST_IMAGE_ENV='["NVIDIA_REQUIRE_CUDA=cuda\u003e=12.2"]'
  preflight --image nvidia/cuda:12.2.2-base
  assert_success
  assert_output_contains "NVIDIA_REQUIRE_CUDA (cuda>=12.2) met: driver 550.127.05 supports CUDA 12.4"

  unset GPA_HOST_IMAGE_ENV
  preflight --image not-pulled:1
  assert_success
  assert_row WARN host-image
  assert_output_contains "image not-pulled:1 is not on this host: Error response from daemon: No such image: not-pulled:1"
  preflight --image not-pulled:1 --strict
  assert_equal "$status" 1
  assert_output_contains "FAIL (--strict): warnings in host-image"
}

@test "check --host: the preflight on this machine, no AWS and no ssh; exit 0 / 1 / 3, usage errors" {
  full_host
  run env PATH="$HP_BIN" "$GPA_BIN" check --host --json "$BATS_TEST_TMPDIR/p.json"
  assert_success
  assert_row PASS host-driver
  jq -e '.exit_code == 0' "$BATS_TEST_TMPDIR/p.json" >/dev/null
  [[ ! -e $GPUPROBE_AWS_STATE_DIR ]] # no state, no instance needed

  export GPA_HOST_DRIVER=unloaded
  rm -rf "$HP_ROOT/proc/driver/nvidia"
  run env PATH="$HP_BIN" "$GPA_BIN" check --host
  assert_equal "$status" 3

  unset GPA_HOST_DRIVER
  rm -f "$HP_BIN/nvidia-container-cli" "$HP_BIN/nvidia-ctk"
  export GPA_HOST_DOCKER_RUNTIMES="io.containerd.runc.v2 runc"
  run env PATH="$HP_BIN" "$GPA_BIN" check --host --image some:image
  assert_equal "$status" 1
  assert_row FAIL host-docker
  assert_row WARN host-image

  run env PATH="$HP_BIN" "$GPA_BIN" check --json x.json
  assert_equal "$status" 1
  assert_output_contains "--json and --strict go with --host"
  preflight --bogus
  assert_equal "$status" 2
  preflight --only host-bogus
  assert_equal "$status" 2
}
