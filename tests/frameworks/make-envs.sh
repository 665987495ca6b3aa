#!/usr/bin/env bash
# Makes real Python environments holding the frameworks' real wheels from PyPI, for the tests of
# the frameworks check: each DEST/<name> is a virtualenv made by the system's python3 -m venv, the
# packages installed by its own pip, exactly as a user installs them. pip's cache keeps the
# downloads between runs; an environment already complete (DEST/<name>/.complete) is kept.
#
#   torch         torch 2.15.0 with its dependencies (a cu132 build: the NVIDIA wheels come along)
#   torch-nodeps  torch 2.15.0 installed with --no-deps beside its pure-Python dependencies: its CUDA
#                 libraries (the NVIDIA wheels) are missing
#   jax-cpu       jax from PyPI without extras: jaxlib only, no CUDA plugin (a CPU-only build)
#   jax-cuda13    jax[cuda13]: jaxlib with the CUDA 13 plugin and its NVIDIA wheels
#   cupy          cupy-cuda13x with its dependencies
#   tensorflow    tensorflow without its dependencies (what the static detection reads)
#   tensorflow-full  tensorflow with its dependencies, without the NVIDIA wheels of its [and-cuda]
#                 extra: it imports and answers (the live probe's TensorFlow path)
#   nccl-cu13     nvidia-nccl-cu13 alone: NCCL for CUDA 13 as the wheel installs it (nccl.bats)
#   nccl-cu12     nvidia-nccl-cu12 alone: NCCL for CUDA 12
#
# Usage: make-envs.sh DEST [NAME...]   (no NAME: all of them). Prints DEST.
set -euo pipefail
dest="${1:?usage: make-envs.sh DEST [NAME...]}"
shift
python="${PYTHON:-python3}"
mkdir -p "$dest"

declare -A spec=(
  [torch]="torch==2.15.0"
  [torch-nodeps]="--no-deps torch==2.15.0 ; filelock typing-extensions sympy networkx jinja2 fsspec"
  [jax-cpu]="jax"
  [jax-cuda13]="jax[cuda13]"
  [cupy]="cupy-cuda13x"
  [tensorflow]="--no-deps tensorflow"
  [tensorflow-full]="tensorflow"
  [nccl-cu13]="nvidia-nccl-cu13"
  [nccl-cu12]="nvidia-nccl-cu12"
)
names=("$@")
((${#names[@]})) || names=(torch torch-nodeps jax-cpu jax-cuda13 cupy tensorflow tensorflow-full nccl-cu13 nccl-cu12)

for name in "${names[@]}"; do
  [[ -n "${spec[$name]:-}" ]] || { echo "make-envs.sh: unknown environment '$name'" >&2; exit 2; }
  env="$dest/$name"
  [[ -f "$env/.complete" ]] && continue
  rm -rf "$env"
  echo "make-envs.sh: $name: pip install ${spec[$name]}" >&2
  "$python" -m venv "$env"
  IFS=';' read -ra steps <<<"${spec[$name]}"  # one pip install per ';'-separated step
  for step in "${steps[@]}"; do
    # shellcheck disable=SC2086 # a step is a word list
    "$env/bin/python" -m pip install --quiet --disable-pip-version-check --no-input $step >&2
  done
  touch "$env/.complete"
done
echo "$dest"
