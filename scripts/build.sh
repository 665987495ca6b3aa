#!/usr/bin/env bash
# Installs what is missing (scripts/install-deps.sh), configures and builds gpuprobe into ./build.
#   CUDA_ARCHITECTURES  CMake list of GPU architectures (default: every AWS GPU family, see CMakeLists.txt)
#   BUILD_DIR           build folder (default: build)
# Arguments go to install-deps.sh (--test: also what the tests need).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "$@"
venv="$(scripts/install-deps.sh --venv-path)"
export PATH="$venv/bin:$PATH:/usr/local/cuda/bin"
args=(-S . -B "${BUILD_DIR:-build}" -G Ninja -DCMAKE_BUILD_TYPE=Release)
[[ -n "${CUDA_ARCHITECTURES:-}" ]] && args+=("-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHITECTURES}")
cmake "${args[@]}" >/dev/null
cmake --build "${BUILD_DIR:-build}" -j "$(nproc)"
