#!/usr/bin/env bash
# Installs what building and testing gpuprobe needs on Debian/Ubuntu, beyond the CUDA toolkit
# (which the nvidia/cuda devel images and the CI machine already have). Idempotent; quiet.
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   also what the tests need (bats, python3)
set -euo pipefail

want=(cmake ninja-build g++ libcli11-dev nlohmann-json3-dev libgtest-dev pkg-config)
if [[ "${1:-}" == "--test" ]]; then
  want+=(bats python3 util-linux)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v nvcc >/dev/null 2>&1 && [[ ! -x /usr/local/cuda/bin/nvcc ]]; then
  echo "nvcc not found: install the CUDA toolkit (or build inside an nvidia/cuda:*-devel-* image)" >&2
  exit 1
fi
