#!/usr/bin/env bash
# host-preflight.sh: can this machine start GPU containers? The checks that
# fail on the host, before anything runs inside a container:
#   host-driver   the NVIDIA driver: nvidia-smi -q, the kernel module
#                 (/proc/driver/nvidia/version)
#   host-toolkit  the NVIDIA Container Toolkit: nvidia-container-cli info,
#                 nvidia-ctk, CDI specs for nvidia.com/gpu (/etc/cdi, /var/run/cdi)
#   host-docker   Docker: docker info, the nvidia runtime or the toolkit's hook
#                 (what `docker run --gpus all` needs), or CDI
#   host-fabric   Fabric Manager on NVSwitch machines (nvidia-fabricmanager
#                 active, at the driver's exact version)
#   host-image    with --image: the image's NVIDIA_REQUIRE_* against the
#                 driver, evaluated as nvidia-container-cli does
# One row per check in the words and layout of `gpuprobe check`, each failure
# and warning with a fix line; the reason ids are gpuprobe's where the
# condition is the same (no_driver, kernel_module_missing, driver_too_old,
# fabric_manager).
#
# Self-contained (bash and coreutils, no other file of scripts/lib), so that
# `gpuprobe-aws check` can send it over ssh and run it on the instance.
#
# Exit status, as `gpuprobe check`'s (docs/exit-codes.md): 0 every check passed
# (warnings allowed); 1 a check failed, or a warning with --strict; 2 usage
# error; 3 no usable driver (no_driver, kernel_module_missing, no_device).
#
# GPUPROBE_HOST_TIMEOUT (default 30): the seconds each tool may take (with
# coreutils' timeout; nvidia-smi can hang on a GPU that fell off the bus).
# GPUPROBE_HOST_ROOT (tests only) is put before every absolute path read
# directly (/proc/driver/..., /etc/cdi, /var/run/cdi); commands come from PATH.
set -u

HP_ROOT=${GPUPROBE_HOST_ROOT:-}
HP_TIMEOUT=${GPUPROBE_HOST_TIMEOUT:-30}

hp_usage() {
  cat <<'EOF'
Usage: host-preflight.sh [--image TAG] [--json FILE] [--strict] [--only IDS] [--gpu-flags]

Checks that this machine can start GPU containers: the NVIDIA driver, the
NVIDIA Container Toolkit, Docker's GPU runtime, Fabric Manager on NVSwitch
machines and, with --image, the image's NVIDIA_REQUIRE_CUDA against the driver.
  --image TAG   also check this image (it must be on this host: built or pulled)
  --json FILE   also write the findings as JSON
  --strict      warnings fail the run (exit 1)
  --only IDS    print only these checks (comma-separated: host-driver,
                host-toolkit, host-docker, host-fabric, host-image)
  --gpu-flags   print only the docker run flags that give a container the GPUs
                here (--gpus all, or --device nvidia.com/gpu=all on a CDI-only
                host); exit 1 when there are none
Exit status: 0 passed (warnings allowed), 1 a check failed, 2 usage error,
3 no usable NVIDIA driver.
EOF
}

# ---- results -------------------------------------------------------------------
HP_IDS=() HP_ST=() HP_RS=() HP_MSG=() HP_HINT=() HP_MEAS=() HP_MS=()
HP_ONLY=""
HP_T0=0

hp_now_ms() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    local t=${EPOCHREALTIME/[.,]/}
    printf '%s\n' "$((10#${t:0:-3}))"
  else
    date +%s%3N 2>/dev/null || echo 0
  fi
}

# hp_add STATUS ID REASON MESSAGE HINT [MEASURED]
hp_add() {
  if [[ -n $HP_ONLY && ",$HP_ONLY," != *",$2,"* ]]; then return 0; fi
  local now
  now=$(hp_now_ms)
  HP_ST+=("$1") HP_IDS+=("$2") HP_RS+=("$3") HP_MSG+=("$4") HP_HINT+=("${5:-}") HP_MEAS+=("${6:-}")
  HP_MS+=("$((now - HP_T0))")
}

# ---- helpers -------------------------------------------------------------------
hp_have() { command -v "$1" >/dev/null 2>&1; }

# hp_run CMD ARGS...: stdout+stderr in HP_OUT, status in HP_RC; a time bound
# when `timeout` exists (nvidia-smi can hang on a GPU that fell off the bus).
hp_run() {
  HP_RC=0
  if hp_have timeout; then
    HP_OUT=$(timeout "$HP_TIMEOUT" "$@" 2>&1) || HP_RC=$?
  else
    HP_OUT=$("$@" 2>&1) || HP_RC=$?
  fi
  if [[ $HP_RC == 124 ]]; then HP_OUT="$1 did not answer within ${HP_TIMEOUT}s"; fi
}

hp_first_line() { # TEXT: its first non-empty line, trimmed
  printf '%s\n' "$1" | awk 'NF { sub(/^[ \t]+/, ""); sub(/[ \t\r]+$/, ""); print; exit }'
}

# The value of "KEY : VALUE" lines (nvidia-smi -q, nvidia-container-cli info,
# docker info), one per line, in order.
hp_values() { # TEXT KEY
  printf '%s\n' "$1" | awk -v k="$2" '{
    line = $0; sub(/^[ \t]+/, "", line)
    i = index(line, ":"); if (i == 0) next
    key = substr(line, 1, i - 1); sub(/[ \t]+$/, "", key)
    if (key != k) next
    v = substr(line, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t\r]+$/, "", v); print v }'
}

# Compares dotted versions numerically: 0 when A OP B holds.
hp_vercmp() { # A OP B
  awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
    na = split(a, x, "."); nb = split(b, y, "."); n = na > nb ? na : nb; c = 0
    for (i = 1; i <= n && c == 0; i++) { p = (i <= na) ? x[i] + 0 : 0; q = (i <= nb) ? y[i] + 0 : 0
      if (p < q) c = -1; else if (p > q) c = 1 }
    if (op == ">=") r = c >= 0; else if (op == ">") r = c > 0; else if (op == "<=") r = c <= 0
    else if (op == "<") r = c < 0; else if (op == "=" || op == "==") r = c == 0; else r = 0
    exit !r }'
}

hp_major() { printf '%s\n' "${1%%.*}"; }

# CUDA minor-version compatibility: the oldest driver branch that runs every
# CUDA release of a major version.
hp_branch_for_cuda_major() {
  case $1 in 13) echo 580 ;; 12) echo 525 ;; 11) echo 450 ;; *) echo "" ;; esac
}

# The Linux driver each CUDA release shipped with (CUDA release notes).
hp_ga_driver_for_cuda() {
  case $1 in
    13.0) echo 580.65.06 ;; 12.9) echo 575.51.03 ;; 12.8) echo 570.26 ;; 12.6) echo 560.28.03 ;;
    12.5) echo 555.42.02 ;; 12.4) echo 550.54.14 ;; 12.3) echo 545.23.06 ;; 12.2) echo 535.54.03 ;;
    12.1) echo 530.30.02 ;; 12.0) echo 525.60.13 ;; 11.8) echo 520.61.05 ;; *) echo "" ;;
  esac
}

# The newest nvidia/cuda image line a driver of CUDA version V runs.
hp_image_for_driver_cuda() {
  local v=$1 row
  for row in 13.0:13.0.2 12.9:12.9.1 12.8:12.8.1 12.6:12.6.3 12.5:12.5.1 12.4:12.4.1 12.3:12.3.2 \
    12.2:12.2.2 12.1:12.1.1 12.0:12.0.1 11.8:11.8.0 11.7:11.7.1 11.6:11.6.2 11.4:11.4.3; do
    if hp_vercmp "${row%%:*}" "<=" "$v"; then
      echo "${row#*:}"
      return
    fi
  done
}

# Records the failure of check ID whose error TEXT contains the first PATTERN
# of the PATTERN REASON MESSAGE HINT rows given, else the fallback.
hp_fail_matching() { # ID TEXT FALLBACK_REASON FALLBACK_MESSAGE FALLBACK_HINT [PATTERN REASON MESSAGE HINT]...
  local id=$1 text=$2 reason=$3 msg=$4 hint=$5
  shift 5
  while [[ $# -ge 4 ]]; do
    if [[ $text == *"$1"* ]]; then reason=$2 msg=$3 hint=$4; break; fi
    shift 4
  done
  hp_add FAIL "$id" "$reason" "$msg" "$hint"
}

# ---- facts shared by the checks ---------------------------------------------------
DRV_VERSION="" DRV_CUDA="" MOD_VERSION="" GPU_NAMES=() SMI_BRANDS=() FABRIC_STATES=()
CLI_CUDA="" CLI_NVRM="" CLI_BRANDS=() CLI_ARCHS=()
CDI_SPECS=() GPU_FLAGS=""

hp_read_module() {
  local f="$HP_ROOT/proc/driver/nvidia/version"
  [[ -r $f ]] || return 0
  # "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 ..."
  # "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build ..."
  MOD_VERSION=$(awk '/^NVRM version:/ { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+(\.[0-9]+)?$/) { print $i; exit } }' "$f")
  [[ -n $MOD_VERSION ]] || MOD_VERSION=unknown
}

hp_find_cdi_specs() {
  local d f
  for d in "$HP_ROOT/etc/cdi" "$HP_ROOT/var/run/cdi"; do
    [[ -d $d ]] || continue
    for f in "$d"/*.yaml "$d"/*.yml "$d"/*.json; do
      [[ -f $f ]] || continue
      grep -q 'nvidia.com/gpu' "$f" 2>/dev/null && CDI_SPECS+=("${f#"$HP_ROOT"}")
    done
  done
}

# ---- host-driver ----------------------------------------------------------------------
hp_check_driver() {
  hp_read_module
  local mod_txt="no kernel module (/proc/driver/nvidia/version)"
  [[ -n $MOD_VERSION ]] && mod_txt="kernel module $MOD_VERSION"
  if ! hp_have nvidia-smi; then
    if [[ -z $MOD_VERSION ]]; then
      hp_add FAIL host-driver no_driver \
        "no NVIDIA driver on this host: no nvidia-smi and no NVIDIA kernel module (/proc/driver/nvidia/version)" \
        "install the NVIDIA driver (Ubuntu: sudo ubuntu-drivers install --gpgpu, or sudo apt-get install nvidia-driver-<branch>-server; EC2 Deep Learning AMIs ship one), reboot, then nvidia-smi must list the GPUs"
    else
      hp_add WARN host-driver nvidia_smi_missing \
        "NVIDIA kernel module $MOD_VERSION loaded but nvidia-smi is not installed: the driver's CUDA version is read from nvidia-container-cli instead" \
        "install the driver's utilities of the same version (Ubuntu: nvidia-utils-<branch>)"
    fi
    return
  fi
  hp_run nvidia-smi -q
  local out=$HP_OUT first
  first=$(hp_first_line "$out")
  if [[ $HP_RC != 0 ]]; then
    hp_driver_failed "$out" "$first" "$mod_txt"
    return
  fi
  DRV_VERSION=$(hp_values "$out" "Driver Version" | head -n1)
  DRV_CUDA=$(hp_values "$out" "CUDA Version" | head -n1)
  mapfile -t GPU_NAMES < <(hp_values "$out" "Product Name")
  mapfile -t SMI_BRANDS < <(hp_values "$out" "Product Brand")
  # "    Fabric" then "        State : Completed" (Hopper and later; N/A elsewhere)
  mapfile -t FABRIC_STATES < <(printf '%s\n' "$out" | awk '
    { match($0, /^[ \t]*/); ind = RLENGTH; t = $0; sub(/^[ \t]+/, "", t); sub(/[ \t\r]+$/, "", t) }
    t == "Fabric" { f = 1; find = ind; next }
    f && ind <= find { f = 0 }
    f && t ~ /^State[ \t]*:/ { sub(/^State[ \t]*:[ \t]*/, "", t); print t }')
  local n=${#GPU_NAMES[@]} names
  names=$(printf '%s\n' "${GPU_NAMES[@]}" | sort | uniq -c | awk '{ c = $1; $1 = ""; sub(/^ /, ""); printf "%s%s%s", (NR > 1 ? ", " : ""), (c > 1 ? c " x " : ""), $0 }')
  if [[ $n == 0 ]]; then
    hp_add FAIL host-driver no_device "nvidia-smi lists no GPU (driver ${DRV_VERSION:-?})" \
      "check that this machine type has a GPU (lspci -d 10de:), and sudo dmesg for NVRM errors"
    return
  fi
  if [[ -n $MOD_VERSION && $MOD_VERSION != unknown && -n $DRV_VERSION && $MOD_VERSION != "$DRV_VERSION" ]]; then
    hp_add WARN host-driver driver_mismatch \
      "driver $DRV_VERSION but kernel module $MOD_VERSION loaded" \
      "reboot so that the kernel module matches the installed driver" "$n GPU(s): $names"
    return
  fi
  hp_add PASS host-driver "" "driver ${DRV_VERSION:-?} (CUDA ${DRV_CUDA:-?}), $n GPU(s): $names" "" "$mod_txt"
}

# nvidia-smi -q failed (HP_RC): the finding for its message OUT.
hp_driver_failed() { # OUT FIRST-LINE MODULE-TEXT
  local first=$2 mod_txt=$3 comm_reason=kernel_module_missing comm_msg comm_hint
  comm_msg="nvidia-smi: $first: the NVIDIA kernel module is not loaded (no /proc/driver/nvidia/version)"
  comm_hint="sudo modprobe nvidia; if that fails, the module is not built for this kernel (uname -r): check \`dkms status\` and reinstall the NVIDIA driver (a kernel upgrade without the driver's DKMS module is the usual cause), or Secure Boot rejects the unsigned module (mokutil --sb-state); then nvidia-smi must list the GPUs"
  if [[ -n $MOD_VERSION ]]; then
    comm_reason=no_driver comm_msg="nvidia-smi: $first ($mod_txt)"
    comm_hint="look for NVRM errors in sudo dmesg; sudo nvidia-modprobe -u -c=0 recreates the device nodes; a reboot after a driver install often clears it"
  fi
  local mismatch="nvidia-smi: $first: the loaded kernel module ($MOD_VERSION) is not the version of the installed driver libraries"
  hp_fail_matching host-driver "$1" no_driver "nvidia-smi failed (exit $HP_RC): $first ($mod_txt)" "run nvidia-smi on the host and read its message; sudo dmesg for NVRM errors" \
    "couldn't communicate with the NVIDIA driver" "$comm_reason" "$comm_msg" "$comm_hint" \
    "Driver/library version mismatch" driver_mismatch "$mismatch" "the driver was upgraded while the old kernel module stayed loaded: reboot (or stop everything using the GPU and reload the nvidia modules)" \
    "No devices were found" no_device "nvidia-smi: No devices were found ($mod_txt)" "the driver sees no GPU: check that this machine type has one (lspci -d 10de:), and sudo dmesg for NVRM errors (a GPU that fell off the bus needs a reboot or a new host)"
}

# nvidia-container-cli info failed (HP_RC): the finding for its output OUT.
hp_toolkit_failed() { # OUT ERROR-LINE
  local err=$2
  hp_fail_matching host-toolkit "$1" toolkit_error "nvidia-container-cli info failed (exit $HP_RC): $err" "run sudo nvidia-container-cli -k -d /dev/tty info for details; reinstall nvidia-container-toolkit if it persists" \
    "load library failed: libnvidia-ml.so.1" no_driver "$err: the toolkit finds no NVIDIA driver library on this host" "install the NVIDIA driver first (see host-driver): the toolkit mounts the host's driver into containers and has none to mount" \
    "driver not loaded" kernel_module_missing "$err" "the NVIDIA kernel module is not loaded: sudo modprobe nvidia (see host-driver)" \
    "version mismatch" driver_mismatch "$err" "reboot so that the kernel module matches the installed driver libraries"
}

# ---- host-toolkit ---------------------------------------------------------------------
hp_check_toolkit() {
  hp_find_cdi_specs
  local ctk_ver="" cli=0 ctk=0
  hp_have nvidia-container-cli && cli=1
  hp_have nvidia-ctk && ctk=1
  if [[ $ctk == 1 ]]; then
    hp_run nvidia-ctk --version
    # "NVIDIA Container Toolkit CLI version 1.17.8"
    ctk_ver=$(printf '%s\n' "$HP_OUT" | sed -n 's/.*[Vv]ersion \([0-9][0-9.]*\).*/\1/p' | head -n1)
  fi
  local install="install the NVIDIA Container Toolkit (docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html: add NVIDIA's apt repository, then sudo apt-get install -y nvidia-container-toolkit), then sudo nvidia-ctk runtime configure --runtime=docker and sudo systemctl restart docker"
  if [[ $cli == 0 && $ctk == 0 ]]; then
    hp_add FAIL host-toolkit toolkit_missing \
      "the NVIDIA Container Toolkit is not installed (no nvidia-container-cli, no nvidia-ctk): Docker cannot give containers the GPUs" \
      "$install"
    return
  fi
  if [[ $cli == 0 ]]; then
    if [[ ${#CDI_SPECS[@]} -gt 0 ]]; then
      hp_add PASS host-toolkit "" \
        "CDI: nvidia-ctk ${ctk_ver:-?} and the CDI spec ${CDI_SPECS[*]} for nvidia.com/gpu (no nvidia-container-cli, which only the nvidia runtime's legacy mode needs)"
    else
      hp_add FAIL host-toolkit toolkit_incomplete \
        "nvidia-ctk ${ctk_ver:-?} is here but neither nvidia-container-cli nor a CDI spec for nvidia.com/gpu (/etc/cdi, /var/run/cdi)" \
        "sudo apt-get install -y nvidia-container-toolkit (it brings nvidia-container-cli), or generate the CDI spec: sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml"
    fi
    return
  fi
  hp_run nvidia-container-cli info
  local out=$HP_OUT err
  if [[ $HP_RC != 0 ]]; then
    err=$(printf '%s\n' "$out" | grep -m1 'nvidia-container-cli' || true)
    [[ -n $err ]] || err=$(hp_first_line "$out")
    hp_toolkit_failed "$out" "$err"
    return
  fi
  CLI_NVRM=$(hp_values "$out" "NVRM version" | head -n1)
  CLI_CUDA=$(hp_values "$out" "CUDA version" | head -n1)
  mapfile -t CLI_BRANDS < <(hp_values "$out" "Brand")
  mapfile -t CLI_ARCHS < <(hp_values "$out" "Architecture")
  local what="nvidia-container-cli sees driver ${CLI_NVRM:-?}, CUDA ${CLI_CUDA:-?}, ${#CLI_ARCHS[@]} GPU(s)"
  if [[ $ctk == 0 ]]; then
    hp_add WARN host-toolkit nvidia_ctk_missing "$what; no nvidia-ctk: the toolkit is older than 1.12 or partly installed" \
      "upgrade it: sudo apt-get install -y nvidia-container-toolkit (nvidia-ctk configures Docker's runtime and generates CDI specs)"
    return
  fi
  hp_add PASS host-toolkit "" "$what; nvidia-ctk ${ctk_ver:-?}" "" \
    "$([[ ${#CDI_SPECS[@]} -gt 0 ]] && printf 'CDI spec %s' "${CDI_SPECS[*]}")"
}

# ---- host-docker ------------------------------------------------------------------------
hp_check_docker() {
  local fix="install the NVIDIA Container Toolkit (sudo apt-get install -y nvidia-container-toolkit after adding NVIDIA's apt repository), then sudo nvidia-ctk runtime configure --runtime=docker and sudo systemctl restart docker"
  if ! hp_have docker; then
    hp_add FAIL host-docker docker_missing "Docker is not installed (no docker on PATH)" \
      "install Docker Engine (docs.docker.com/engine/install), then the NVIDIA Container Toolkit"
    return
  fi
  hp_run docker info
  local out=$HP_OUT err
  if [[ $HP_RC != 0 ]]; then
    err=$(printf '%s\n' "$out" | grep -m1 -iE 'cannot connect|permission denied|error' || true)
    [[ -n $err ]] || err=$(hp_first_line "$out")
    err=$(hp_first_line "$err")
    if [[ $err == *"permission denied"* ]]; then
      hp_add FAIL host-docker docker_unreachable "docker info: $err" \
        "let this user use Docker: sudo usermod -aG docker \$USER, then log in again (or run with sudo)"
    else
      hp_add FAIL host-docker docker_unreachable "docker info: $err" \
        "start the Docker daemon: sudo systemctl enable --now docker (journalctl -u docker says why it stopped)"
    fi
    return
  fi
  local runtimes default version cdi_dirs
  runtimes=$(hp_values "$out" "Runtimes" | head -n1)
  default=$(hp_values "$out" "Default Runtime" | head -n1)
  version=$(hp_values "$out" "Server Version" | head -n1)
  # "CDI spec directories:" then one indented directory per line (Docker 25+, CDI enabled)
  cdi_dirs=$(printf '%s\n' "$out" | awk '/^[ \t]*CDI spec directories:/ { f = 1; next }
    f && /^[ \t]+\// { gsub(/[ \t]/, ""); printf "%s%s", (n++ ? " " : ""), $0; next } f { f = 0 }')
  local docker="Docker ${version:-?}"
  if [[ " $runtimes " == *" nvidia "* ]]; then
    GPU_FLAGS="--gpus all"
    hp_add PASS host-docker "" "$docker: runtime nvidia registered (default ${default:-?}): docker run --gpus all gives containers the GPUs" "" \
      "runtimes: $runtimes"
  elif hp_have nvidia-container-runtime-hook; then
    GPU_FLAGS="--gpus all"
    hp_add WARN host-docker runtime_not_registered \
      "$docker: no nvidia runtime registered (runtimes: ${runtimes:-none}); docker run --gpus all goes through nvidia-container-runtime-hook (found) when dockerd started after the toolkit was installed, --runtime=nvidia and Compose's runtime: nvidia fail" \
      "sudo nvidia-ctk runtime configure --runtime=docker, then sudo systemctl restart docker"
  elif [[ ${#CDI_SPECS[@]} -gt 0 && -n $cdi_dirs ]]; then
    GPU_FLAGS="--device nvidia.com/gpu=all"
    hp_add PASS host-docker "" \
      "$docker with CDI (spec directories $cdi_dirs): docker run --device nvidia.com/gpu=all gives containers the GPUs; --gpus all needs the toolkit's runtime or hook, not installed here" "" \
      "runtimes: ${runtimes:-none}"
  elif [[ ${#CDI_SPECS[@]} -gt 0 ]]; then
    hp_add FAIL host-docker no_gpu_runtime \
      "$docker: no nvidia runtime and CDI is not enabled in Docker, although ${CDI_SPECS[*]} describes nvidia.com/gpu: docker run --gpus all fails with: could not select device driver \"\" with capabilities: [[gpu]]" \
      "sudo nvidia-ctk runtime configure --runtime=docker and sudo systemctl restart docker; or enable CDI (Docker 25+: \"features\": {\"cdi\": true} in /etc/docker/daemon.json) and run with --device nvidia.com/gpu=all"
  else
    hp_add FAIL host-docker no_gpu_runtime \
      "$docker: no NVIDIA runtime registered with Docker (runtimes: ${runtimes:-none}): docker run --gpus all fails with: could not select device driver \"\" with capabilities: [[gpu]]" \
      "$fix"
  fi
}

# ---- host-fabric ----------------------------------------------------------------------
hp_check_fabric() {
  local nvswitch=0 d="$HP_ROOT/proc/driver/nvidia-nvswitch/devices" f states=() s
  if [[ -d $d ]]; then
    for f in "$d"/*; do [[ -e $f ]] && nvswitch=$((nvswitch + 1)); done
  fi
  if [[ $nvswitch == 0 ]] && hp_have lspci; then
    # NVSwitch: PCI class 0680 ("Bridge", other) with NVIDIA's vendor id 10de
    nvswitch=$(lspci -n -d 10de: 2>/dev/null | awk '$2 == "0680:" { n++ } END { print n + 0 }')
  fi
  for s in "${FABRIC_STATES[@]}"; do
    case $s in N/A | "Not Supported" | "") ;; *) states+=("$s") ;; esac
  done
  if [[ $nvswitch == 0 && ${#states[@]} == 0 ]]; then
    hp_add SKIP host-fabric not_applicable "no NVSwitch on this host: Fabric Manager is not needed" ""
    return
  fi
  local what
  if [[ $nvswitch -gt 0 ]]; then what="$nvswitch NVSwitch(es)"; else what="the GPUs report an NVLink fabric (state: ${states[0]})"; fi
  local fm_ver="" active="" branch=${DRV_VERSION%%.*}
  if hp_have nv-fabricmanager; then
    hp_run nv-fabricmanager --version
    # "Fabric Manager version is : 550.54.15"
    fm_ver=$(printf '%s\n' "$HP_OUT" | sed -n 's/.*[Vv]ersion is[ \t]*:[ \t]*\([0-9][0-9.]*\).*/\1/p' | head -n1)
  fi
  local install="sudo apt-get install -y nvidia-fabricmanager-${branch:-<branch>} (exactly the driver's version${DRV_VERSION:+, $DRV_VERSION}), then sudo systemctl enable --now nvidia-fabricmanager; journalctl -u nvidia-fabricmanager says why it stopped"
  if hp_have systemctl; then
    active=$(systemctl is-active nvidia-fabricmanager 2>/dev/null | head -n1)
    [[ -n $active ]] || active=unknown
  else
    hp_add WARN host-fabric fabric_manager_unknown \
      "$what, and no systemctl to ask whether nvidia-fabricmanager runs" \
      "on the host: nv-fabricmanager must run at exactly the driver's version; without it CUDA fails with error 802 \"system not yet initialized\""
    return
  fi
  local err802="CUDA fails with error 802 \"system not yet initialized\" (cudaErrorSystemNotReady) until it runs"
  if [[ $active != active ]]; then
    local inst=""
    hp_have nv-fabricmanager || inst=" (nv-fabricmanager is not installed)"
    hp_add FAIL host-fabric fabric_manager "$what, but nvidia-fabricmanager is $active$inst: $err802" "$install"
    return
  fi
  if [[ -n $fm_ver && -n $DRV_VERSION && $fm_ver != "$DRV_VERSION" ]]; then
    hp_add FAIL host-fabric fabric_manager \
      "$what; nvidia-fabricmanager $fm_ver is not the driver's version $DRV_VERSION: it cannot initialize the fabric and $err802" \
      "$install"
    return
  fi
  for s in "${states[@]}"; do
    if [[ $s != Completed ]]; then
      hp_add FAIL host-fabric fabric_manager \
        "$what; nvidia-fabricmanager is active but a GPU's fabric state is \"$s\" (nvidia-smi -q): $err802" \
        "wait a minute after Fabric Manager starts; if it stays, journalctl -u nvidia-fabricmanager and sudo dmesg for NVSwitch/NVLink errors"
      return
    fi
  done
  hp_add PASS host-fabric "" "$what; nvidia-fabricmanager active${fm_ver:+, version $fm_ver = driver}" "" \
    "$([[ ${#states[@]} -gt 0 ]] && printf 'fabric %s' "${states[0]}")"
}

# ---- host-image -------------------------------------------------------------------------
# The value of VAR in the JSON array of "VAR=value" strings that
# docker image inspect --format '{{json .Config.Env}}' prints (Go escapes <, >
# and & as \u003c, \u003e, \u0026).
hp_env_values() { # JSON PREFIX -> "NAME=value" lines whose NAME starts with PREFIX
  printf '%s\n' "$1" | awk -v p="$2" '{
    s = $0; sub(/^[ \t]*\[/, "", s); sub(/\][ \t]*$/, "", s)
    while (match(s, /"([^"\\]|\\.)*"/)) {
      v = substr(s, RSTART + 1, RLENGTH - 2); s = substr(s, RSTART + RLENGTH)
      gsub(/\\u003c/, "<", v); gsub(/\\u003e/, ">", v); gsub(/\\u0026/, "\\&", v)
      gsub(/\\"/, "\"", v); gsub(/\\\\/, "\\", v)
      if (index(v, p) == 1) print v } }'
}

# Evaluates one condition for one GPU (brand, arch): prints T, F or U (unknown).
hp_cond() { # COND BRAND ARCH
  local c=$1 brand=$2 arch=$3 key op val have
  if [[ $c =~ ^([a-z]+)(>=|<=|==|=|>|<)(.+)$ ]]; then
    key=${BASH_REMATCH[1]} op=${BASH_REMATCH[2]} val=${BASH_REMATCH[3]}
  else
    echo U
    return
  fi
  case $key in
    cuda) have=$HP_CUDA ;;
    driver) have=$HP_DRIVER ;;
    arch) have=$arch ;;
    brand)
      [[ -n $brand ]] || { echo U; return; }
      # nvidia-container-cli names brands as NVML does ("Tesla", "Quadro RTX",
      # "Nvidia"); the requirement spells them lower-case without spaces.
      local b=${brand,,}
      b=${b// /}
      if [[ $op == = || $op == == ]] && [[ $b == "${val,,}" ]]; then echo T; else echo F; fi
      return
      ;;
    *) echo U; return ;;
  esac
  [[ -n $have ]] || { echo U; return; }
  if hp_vercmp "$have" "$op" "$val"; then echo T; else echo F; fi
}

# Evaluates an NVIDIA_REQUIRE_* value for one GPU: space-separated
# alternatives are ORed, comma-separated conditions within one are ANDed
# (the toolkit's documented rule). Sets HP_EVAL to T/F/U and HP_EVAL_VIA to the
# alternative that held.
hp_eval_require() { # VALUE BRAND ARCH
  local alt c r any_u=0 all r_alt
  HP_EVAL=F HP_EVAL_VIA=""
  for alt in $1; do
    all=T
    local IFS=,
    for c in $alt; do
      r=$(hp_cond "$c" "$2" "$3")
      if [[ $r == F ]]; then all=F; break; fi
      [[ $r == U ]] && all=U
    done
    unset IFS
    r_alt=$all
    if [[ $r_alt == T ]]; then HP_EVAL=T HP_EVAL_VIA=$alt; return; fi
    [[ $r_alt == U ]] && any_u=1
  done
  [[ $any_u == 1 ]] && HP_EVAL=U
  return 0
}

# "NAME=first-alternative (+ N alternatives)": a requirement short enough for a row
# (nvidia/cuda images list 60 brand alternatives).
hp_require_summary() { # NAME=VALUE
  local v=${1#*=} first n
  first=${v%% *}
  n=$(printf '%s\n' "$v" | awk '{ print NF - 1 }')
  printf '%s=%s%s\n' "${1%%=*}" "$first" "$([[ $n -gt 0 ]] && printf ' + %s alternatives' "$n")"
}

hp_check_image() {
  local image=$1
  if ! hp_have docker; then
    hp_add SKIP host-image no_docker "no docker on this host: the image $image cannot be inspected" ""
    return
  fi
  hp_run docker image inspect --format '{{json .Config.Env}}' "$image"
  if [[ $HP_RC != 0 ]]; then
    hp_add WARN host-image image_not_found "image $image is not on this host: $(hp_first_line "$HP_OUT")" \
      "docker pull $image (or build it), then run this again to check its NVIDIA_REQUIRE_CUDA against the driver"
    return
  fi
  local envjson=$HP_OUT reqs disable
  disable=$(hp_env_values "$envjson" "NVIDIA_DISABLE_REQUIRE=" | head -n1)
  disable=${disable#*=}
  mapfile -t reqs < <(hp_env_values "$envjson" "NVIDIA_REQUIRE_")
  if [[ ${#reqs[@]} == 0 ]]; then
    hp_add PASS host-image "" "image $image sets no NVIDIA_REQUIRE_CUDA: the toolkit starts it on any driver (the in-container compat check compares its CUDA with the driver)" ""
    return
  fi
  case ${disable,,} in
    1 | true | yes | on)
      hp_add PASS host-image "" "image $image sets NVIDIA_DISABLE_REQUIRE=$disable: the toolkit does not check ${reqs[0]%%=*}" ""
      return
      ;;
  esac
  HP_CUDA=${DRV_CUDA:-$CLI_CUDA}
  HP_DRIVER=${DRV_VERSION:-$CLI_NVRM}
  if [[ -z $HP_CUDA ]]; then
    hp_add SKIP host-image no_driver "no driver CUDA version to compare ${reqs[0]%%=*} with (see host-driver)" ""
    return
  fi
  # One GPU per nvidia-container-cli info device (its brand and architecture);
  # nvidia-smi's product brand when the toolkit could not answer.
  local brands=() archs=() i n
  if [[ ${#CLI_BRANDS[@]} -gt 0 ]]; then
    brands=("${CLI_BRANDS[@]}") archs=("${CLI_ARCHS[@]}")
  elif [[ ${#SMI_BRANDS[@]} -gt 0 ]]; then
    brands=("${SMI_BRANDS[@]}")
  else
    brands=("")
  fi
  n=${#brands[@]}
  local result=T via="" failed_req="" unknown_req="" req val
  for req in "${reqs[@]}"; do
    val=${req#*=}
    for ((i = 0; i < n; i++)); do
      hp_eval_require "$val" "${brands[$i]}" "${archs[$i]:-}"
      if [[ $HP_EVAL == F ]]; then result=F failed_req=$req; break 2; fi
      if [[ $HP_EVAL == U ]]; then result=U unknown_req=$req; fi
      [[ $HP_EVAL == T && -z $via ]] && via=$HP_EVAL_VIA
    done
  done
  local name=${failed_req%%=*} cuda_req
  [[ -n $name ]] || name=${reqs[0]%%=*}
  cuda_req=$(printf '%s\n' "${failed_req:-${reqs[0]}}" | sed -n 's/^[^=]*=//; s/^\([^ ,]*\).*/\1/p')
  local drv="driver $HP_DRIVER supports CUDA $HP_CUDA" shown
  shown=$(hp_require_summary "${failed_req:-${reqs[0]}}")
  if [[ $result == F ]]; then
    local want=${cuda_req#cuda>=} alts
    alts=$(printf '%s\n' "${failed_req#*=}" | tr ' ' '\n' | grep -c 'brand=' || true)
    local more=""
    [[ $alts -gt 0 ]] && more=" (none of its $alts brand=…,driver… alternatives matches this GPU and driver either)"
    local hint image_tag branch ga
    image_tag=$(hp_image_for_driver_cuda "$HP_CUDA")
    ga=$(hp_ga_driver_for_cuda "$want")
    if [[ $cuda_req == cuda\>=* ]]; then
      local wmaj dmaj dbranch
      wmaj=$(hp_major "$want") dmaj=$(hp_major "$HP_CUDA") dbranch=$(hp_major "$HP_DRIVER")
      branch=$(hp_branch_for_cuda_major "$wmaj")
      if [[ $wmaj == "$dmaj" && -n $branch && $dbranch -ge $branch ]]; then
        hint="CUDA $want runs on this driver through minor-version compatibility (any $wmaj.x on driver >= $branch), but the toolkit compares cuda>= with the driver's CUDA version literally: start the container with -e NVIDIA_DISABLE_REQUIRE=true (PTX JIT of PTX newer than the driver then fails, error 222), or use an image built for CUDA $HP_CUDA${image_tag:+ (nvidia/cuda:$image_tag-*)}, or upgrade the driver to ${ga:-one for CUDA $want} or newer"
      else
        hint="upgrade the host driver to branch ${branch:-?} or newer${ga:+ (CUDA $want shipped with $ga)}, or use an image this driver runs${image_tag:+: nvidia/cuda:$image_tag-* (CUDA $HP_CUDA)}"
      fi
    else
      hint="use an image whose requirement this driver and GPU meet, or a driver that meets $cuda_req"
    fi
    hp_add FAIL host-image driver_too_old \
      "image $image: $name asks for $cuda_req; $drv: docker run refuses to start it with: nvidia-container-cli: requirement error: unsatisfied condition: $cuda_req$more" \
      "$hint" "$shown"
    return
  fi
  if [[ $result == U ]]; then
    hp_add WARN host-image require_unknown \
      "image $image: ${unknown_req%%=*} could not be evaluated here (a brand or arch condition with no GPU brand/architecture from nvidia-container-cli info); $drv" \
      "docker run --rm ${GPU_FLAGS:---gpus all} $image true shows whether the toolkit accepts it" "$(hp_require_summary "$unknown_req")"
    return
  fi
  if [[ $via == cuda* ]]; then
    hp_add PASS host-image "" "image $image: $name ($via) met: $drv" "" "$shown"
  else
    hp_add PASS host-image "" \
      "image $image: $name met through its alternative $via, not through $cuda_req ($drv): the container starts; its newer CUDA then runs only through forward compatibility (the image's cuda-compat libraries, data-center GPUs), else CUDA error 804" "" \
      "$shown"
  fi
}

# ---- output --------------------------------------------------------------------------------
hp_json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  printf '"%s"' "$s"
}

hp_print_rows() {
  local i pad
  pad=$(printf '%30s' '')
  for ((i = 0; i < ${#HP_IDS[@]}; i++)); do
    local line
    line=$(printf '%s  %-12s %7s ms  %s' "${HP_ST[$i]}" "${HP_IDS[$i]}" "${HP_MS[$i]}" "${HP_MSG[$i]}")
    if [[ -n ${HP_MEAS[$i]} && ${HP_MSG[$i]} != *"${HP_MEAS[$i]}"* ]]; then line+=" [${HP_MEAS[$i]}]"; fi
    printf '%s\n' "$line"
    if [[ (${HP_ST[$i]} == FAIL || ${HP_ST[$i]} == WARN) && -n ${HP_HINT[$i]} ]]; then
      printf '%sfix: %s\n' "$pad" "${HP_HINT[$i]}"
    fi
  done
}

# Sets HP_EXIT and HP_VERDICT as gpuprobe check's verdict does.
hp_verdict() {
  local strict=$1 i p=0 w=0 f=0 s=0 failed=() warned=() nogpu=""
  for ((i = 0; i < ${#HP_IDS[@]}; i++)); do
    case ${HP_ST[$i]} in
      PASS) p=$((p + 1)) ;;
      WARN) w=$((w + 1)); warned+=("${HP_IDS[$i]}") ;;
      FAIL) f=$((f + 1)); failed+=("${HP_IDS[$i]}")
        case ${HP_RS[$i]} in
          no_driver | kernel_module_missing | no_device) [[ -n $nogpu ]] || nogpu=${HP_MSG[$i]} ;;
        esac ;;
      SKIP) s=$((s + 1)) ;;
    esac
  done
  local counts="$p passed, $w warned, $f failed, $s skipped" fl wl
  fl=$(hp_join "${failed[@]}") wl=$(hp_join "${warned[@]}")
  if [[ -n $nogpu ]]; then
    HP_EXIT=3 HP_VERDICT="NO GPU: $nogpu ($counts)"
  elif [[ $f -gt 0 ]]; then
    HP_EXIT=1 HP_VERDICT="FAIL: $fl ($counts)"
  elif [[ $strict == 1 && $w -gt 0 ]]; then
    HP_EXIT=1 HP_VERDICT="FAIL (--strict): warnings in $wl ($counts)"
  elif [[ $((p + w)) == 0 ]]; then
    HP_EXIT=1 HP_VERDICT="FAIL: no check ran ($counts)"
  elif [[ $w -gt 0 ]]; then
    HP_EXIT=0 HP_VERDICT="PASS with warnings ($wl): $counts"
  else
    HP_EXIT=0 HP_VERDICT="PASS: $counts"
  fi
}

hp_join() { # ITEMS...: "a, b, c"
  local out="" x
  for x in "$@"; do out+="${out:+, }$x"; done
  printf '%s\n' "$out"
}

hp_write_json() { # FILE IMAGE
  local i sep="" st
  {
    printf '{"schema": "gpuprobe.host-preflight/1", "host": %s, "image": %s, "exit_code": %s, "verdict": %s, "gpu_flags": %s, "checks": [' \
      "$(hp_json_str "$(uname -n 2>/dev/null)")" "$(hp_json_str "$2")" "$HP_EXIT" "$(hp_json_str "$HP_VERDICT")" \
      "$(hp_json_str "$GPU_FLAGS")"
    for ((i = 0; i < ${#HP_IDS[@]}; i++)); do
      st=${HP_ST[$i],,}
      printf '%s\n  {"id": %s, "status": %s, "reason": %s, "message": %s, "hint": %s, "measured": %s, "duration_ms": %s}' \
        "$sep" "$(hp_json_str "${HP_IDS[$i]}")" "$(hp_json_str "$st")" "$(hp_json_str "${HP_RS[$i]}")" \
        "$(hp_json_str "${HP_MSG[$i]}")" "$(hp_json_str "${HP_HINT[$i]}")" "$(hp_json_str "${HP_MEAS[$i]}")" "${HP_MS[$i]}"
      sep=,
    done
    printf '\n]}\n'
  } >"$1"
}

hp_main() {
  local image="" json="" strict=0 flags_only=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      -h | --help) hp_usage; return 0 ;;
      --image) [[ -n ${2:-} ]] || { echo "host-preflight: --image needs a value" >&2; return 2; }; image=$2; shift 2 ;;
      --json) [[ -n ${2:-} ]] || { echo "host-preflight: --json needs a value" >&2; return 2; }; json=$2; shift 2 ;;
      --only) [[ -n ${2:-} ]] || { echo "host-preflight: --only needs a value" >&2; return 2; }; HP_ONLY=$2; shift 2 ;;
      --strict) strict=1; shift ;;
      --gpu-flags) flags_only=1; shift ;;
      *) echo "host-preflight: unknown argument '$1' (see --help)" >&2; return 2 ;;
    esac
  done
  local id
  for id in ${HP_ONLY//,/ }; do
    case $id in host-driver | host-toolkit | host-docker | host-fabric | host-image) ;;
      *) echo "host-preflight: unknown check id '$id' in --only" >&2; return 2 ;; esac
  done
  HP_T0=$(hp_now_ms)
  hp_check_driver
  HP_T0=$(hp_now_ms)
  hp_check_toolkit
  HP_T0=$(hp_now_ms)
  hp_check_docker
  if [[ $flags_only == 1 ]]; then
    [[ -n $GPU_FLAGS ]] || return 1
    printf '%s\n' "$GPU_FLAGS"
    return 0
  fi
  HP_T0=$(hp_now_ms)
  hp_check_fabric
  if [[ -n $image ]]; then
    HP_T0=$(hp_now_ms)
    hp_check_image "$image"
  fi
  hp_print_rows
  hp_verdict "$strict"
  printf '\nhost preflight on %s\n%s [exit %s]\n' "$(uname -n 2>/dev/null || echo '?')" "$HP_VERDICT" "$HP_EXIT"
  if [[ -n $json ]]; then
    hp_write_json "$json" "$image" || { echo "host-preflight: cannot write $json" >&2; return 5; }
  fi
  return "$HP_EXIT"
}

hp_main "$@"
