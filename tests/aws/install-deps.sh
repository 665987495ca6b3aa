#!/usr/bin/env bash
# Installs what the gpuprobe-aws tests (tests/aws) need, quietly and
# idempotently. Debian 12, as root (or with sudo). Safe to run again.
#   apt: bats jq openssh-server openssh-client awscli shellcheck curl git
#        iproute2 (ss) parallel (bats --jobs)
#   pip: moto[server] (EC2/SSM server + boto3), jupyterlab (a real Jupyter server)
set -euo pipefail

apt_pkgs=(bats jq openssh-server openssh-client awscli shellcheck curl git iproute2 parallel)
pip_pkgs=('moto[server]>=5' 'jupyterlab>=4')

SUDO=""
[[ $(id -u) == 0 ]] || SUDO=sudo

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if ! "$PY" -c 'import moto, boto3, jupyterlab, jupyter_server' 2>/dev/null ||
  ! command -v moto_server >/dev/null || ! command -v jupyter >/dev/null; then
  echo "install-deps: pip install ${pip_pkgs[*]}"
  if ! "$PY" -m pip --version >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  fi
  pipi=("$PY" -m pip install -q --disable-pip-version-check)
  [[ $(id -u) == 0 ]] && pipi+=(--root-user-action=ignore)
  # Debian's own python3 refuses pip installs without --break-system-packages (PEP 668)
  "${pipi[@]}" "${pip_pkgs[@]}" 2>/dev/null || "${pipi[@]}" --break-system-packages "${pip_pkgs[@]}"
  hash -r
fi

# a pyenv (or other) python puts its scripts behind shims: refresh them
if command -v pyenv >/dev/null; then pyenv rehash 2>/dev/null || true; fi
for c in bats jq sshd aws moto_server jupyter ssh-keygen curl; do
  command -v "$c" >/dev/null || [[ -x /usr/sbin/$c ]] || { echo "install-deps: '$c' still missing" >&2; exit 1; }
done
echo "install-deps: ok ($(/usr/bin/aws --version 2>/dev/null | cut -d' ' -f1), bats $(bats --version | cut -d' ' -f2), moto $("$PY" -c 'import moto; print(moto.__version__)'))"
