#!/usr/bin/env bash
# Runs a command in a fresh minimal Debian root made by debootstrap: the machine a new user starts
# from, so that an install step missing from scripts/ fails here instead of hiding behind what the
# CI machine already has. Inside the root there is only:
#   - Debian's minbase system and its stock apt sources, plus git (a user cloned the project);
#   - the CUDA toolkit of this machine, bind-mounted read-only at /usr/local/cuda-<version> with the
#     /usr/local/cuda and /usr/local/cuda-<major> links and the /etc/ld.so.conf.d entries that
#     NVIDIA's toolkit packages write;
#   - /proc, /sys and /dev mounted; the source tree at /src (read-write: the build lands there);
#   - what this sandbox needs to reach the package registries at all: its resolver and its egress CA
#     certificate (picked up when the project's install step installs ca-certificates).
# Everything runs in a private mount namespace: every mount disappears when the command ends,
# also on failure or interruption; the root's folder is removed afterwards unless --keep is given.
#
#   .ci/fresh-root.sh [--suite bookworm|trixie] [--keep DIR] [--env NAME]... -- COMMAND [ARG...]
#     --suite   Debian release (default bookworm)
#     --keep    use (and keep) DIR for the root; an existing root there is reused as it is
#     --env     pass this variable from the caller's environment (the environment is otherwise
#               reset to HOME, PATH, LANG, TERM, CI and the certificate variables)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
suite=bookworm keep="" pass=()
while (($#)); do
  case "$1" in
    --suite) suite="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --env) pass+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "fresh-root: unknown option $1" >&2; exit 2 ;;
  esac
done
(($#)) || { echo "usage: $0 [--suite S] [--keep DIR] [--env NAME]... -- COMMAND..." >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "fresh-root: needs root (debootstrap, mounts, chroot)" >&2; exit 2; }

cuda="$(readlink -f /usr/local/cuda)"
[[ -x "$cuda/bin/nvcc" ]] || { echo "fresh-root: no CUDA toolkit at /usr/local/cuda" >&2; exit 2; }
cuda_ver="${cuda##*/cuda-}"          # 13.0
cuda_major="${cuda_ver%%.*}"        # 13

mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\/*\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
[[ -n "$mirror" ]] || mirror="$(awk '$1 == "deb" && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)"
mirror="${mirror:-http://deb.debian.org/debian}"

if [[ -n "$keep" ]]; then
  root="$keep"
  mkdir -p "$root"
else
  root="$(mktemp -d /var/tmp/gpuprobe-root.XXXXXX)"
  trap 'rm -rf --one-file-system "$root"' EXIT
fi

t0=$(date +%s)
if [[ ! -x "$root/usr/bin/apt-get" ]]; then
  command -v debootstrap >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  echo "fresh-root: debootstrap --variant=minbase $suite ($mirror)" >&2
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
    { tail -n 20 "$root.debootstrap.log" >&2; exit 1; }
  rm -f "$root.debootstrap.log"
fi
if [[ ! -e "$root/etc/gpuprobe-fresh-root" ]]; then
  # The sandbox's network: its resolver and egress CA.
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  # The toolkit where NVIDIA's packages put it.
  mkdir -p "$root$cuda"
  ln -sfn "cuda-$cuda_ver" "$root/usr/local/cuda"
  ln -sfn "cuda-$cuda_ver" "$root/usr/local/cuda-$cuda_major"
  echo "/usr/local/cuda/targets/x86_64-linux/lib" >"$root/etc/ld.so.conf.d/000_cuda.conf"
  echo "/usr/local/cuda-$cuda_major/targets/x86_64-linux/lib" >"$root/etc/ld.so.conf.d/988_cuda-$cuda_major.conf"
  mkdir -p "$root/src"
  first=1
fi
echo "fresh-root: $suite root ready in $(($(date +%s) - t0)) s ($root)" >&2

envs=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
      "TERM=${TERM:-dumb}" "CI=${CI:-}" DEBIAN_FRONTEND=noninteractive)
for v in SSL_CERT_FILE SSL_CERT_DIR PIP_CERT REQUESTS_CA_BUNDLE CURL_CA_BUNDLE AWS_CA_BUNDLE PIP_DEFAULT_TIMEOUT \
         http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY ${pass[@]+"${pass[@]}"}; do
  if [[ -n "${!v:-}" ]]; then envs+=("$v=${!v}"); fi
done

# Mounts live in a namespace of their own: they end with it, whatever happens to the command.
# shellcheck disable=SC2016 # the script below expands its own arguments
unshare --mount --propagation private -- bash -euo pipefail -c '
  root="$1" cuda="$2" src="$3" first="$4" nenv="$5"; shift 5
  envs=("${@:1:nenv}"); shift "$nenv"
  # The root a mount point of its own, as a container'"'"'s is: tests use unshare --propagation, which
  # remounts / and fails on a plain folder.
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --rbind /dev "$root/dev"
  mount --bind "$cuda" "$root$cuda"
  mount -o remount,bind,ro "$root$cuda"
  mount --bind "$src" "$root/src"
  if [[ "$first" == 1 ]]; then
    chroot "$root" /usr/bin/env -i "${envs[@]}" sh -c "ldconfig && apt-get update -qq &&
      apt-get install -y -qq --no-install-recommends git >/dev/null && touch /etc/gpuprobe-fresh-root"
  fi
  cd / && exec chroot "$root" /usr/bin/env -i "${envs[@]}" bash -c "cd /src && exec \"\$@\"" fresh-root "$@"
' fresh-root "$root" "$cuda" "$here" "${first:-0}" "${#envs[@]}" "${envs[@]}" "$@"
