#!/usr/bin/env bash
# Installs what the gpuprobe-aws tests (tests/aws) need, quietly and idempotently, on Debian/Ubuntu,
# as root (or with sudo). Safe to run again.
#   apt: bats jq openssh-server openssh-client awscli shellcheck curl git iproute2 (ss) parallel
#        (bats --jobs)
#   PyPI, into the tools virtualenv (scripts/install-deps.sh --venv-path; $GPUPROBE_VENV): moto[server]
#        (EC2/SSM server + boto3), jupyterlab (a real Jupyter server), and awscli where the
#        distribution carries none (Ubuntu 24.04). Never into the system's Python.
# tests/aws/run.sh expects that virtualenv's bin/ first on PATH (scripts/test.sh does that).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${GPUPROBE_VENV:-$(scripts/install-deps.sh --venv-path)}"

apt_pkgs=(bats jq openssh-server openssh-client shellcheck curl git iproute2 parallel python3 python3-venv)
pip_pkgs=('moto[server]>=5' 'jupyterlab>=4')

SUDO=""
[[ $(id -u) == 0 ]] || SUDO=sudo
apt_has() { apt-cache policy "$1" 2>/dev/null | grep '^ *Candidate: *[^( ]' >/dev/null; }

missing=()
for p in "${apt_pkgs[@]}" awscli; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  want=()
  for p in "${missing[@]}"; do
    if [[ $p != awscli ]] || apt_has awscli; then want+=("$p"); else pip_pkgs+=(awscli); fi
  done
  if [[ ${#want[@]} -gt 0 ]]; then
    echo "install-deps: apt-get install ${want[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
  fi
fi

if [[ ! -x "$venv/bin/python3" ]]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python3" -c 'import moto, boto3, jupyterlab, jupyter_server' 2>/dev/null ||
  [[ ! -x "$venv/bin/moto_server" || ! -x "$venv/bin/jupyter" ]] ||
  { [[ " ${pip_pkgs[*]} " == *" awscli "* ]] && [[ ! -x "$venv/bin/aws" ]]; }; then
  echo "install-deps: pip install (into $venv) ${pip_pkgs[*]}"
  "$venv/bin/python3" -m pip install -q --disable-pip-version-check "${pip_pkgs[@]}"
fi

export PATH="$venv/bin:$PATH"
for c in bats jq sshd aws moto_server jupyter ssh-keygen curl; do
  command -v "$c" >/dev/null || [[ -x /usr/sbin/$c ]] || { echo "install-deps: '$c' still missing" >&2; exit 1; }
done
echo "install-deps: ok ($(aws --version 2>/dev/null | cut -d' ' -f1), bats $(bats --version | cut -d' ' -f2), moto $(python3 -c 'import moto; print(moto.__version__)'))"
