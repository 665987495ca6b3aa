#!/usr/bin/env bash
# Fetches NVIDIA's own user-space driver libraries (libcuda and NVML) of three driver branches from
# Debian's non-free archive, for the CLI tests that run gpuprobe against the real libraries
# (tests/cli/drivers.bats). Nothing is installed and the machine's apt configuration is untouched:
# apt runs with a private sources list, state and cache, and the packages are unpacked with dpkg -x.
#
#   tests/cli/fetch-nvidia-drivers.sh [DEST]
#
# DEST (default ${XDG_CACHE_HOME:-$HOME/.cache}/gpuprobe/nvidia-drivers) ends up holding
#   DEST/<branch>/cuda/libcuda.so.<version>       and libcuda.so.1 -> it
#   DEST/<branch>/nvml/libnvidia-ml.so.<version>  and libnvidia-ml.so.1 -> it
#   DEST/<branch>/VERSION                          the driver version, e.g. 535.261.03
# for the branches 470 (Tesla 470, bookworm), 535 (bookworm) and 550 (trixie). A branch already
# there is left alone. Pinned versions are preferred; when the archive no longer carries one, the
# newest version of the same branch in that suite is taken and a note says so. Quiet: one summary
# line on stdout, notes and errors on stderr.
set -euo pipefail

dest="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/gpuprobe/nvidia-drivers}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# branch | suite | libcuda package[=pinned version] | NVML package[=pinned version]
branches=(
  "470|bookworm|libnvidia-tesla-470-cuda1|libnvidia-tesla-470-ml1"
  "535|bookworm|libcuda1=535.261.03-1|libnvidia-ml1=535.261.03-1"
  "550|trixie|libcuda1=550.163.01-2|libnvidia-ml1=550.163.01-2"
)

die() { echo "fetch-nvidia-drivers: $*" >&2; exit 1; }
note() { echo "fetch-nvidia-drivers: $*" >&2; }

# A branch is complete when both soname links resolve and VERSION names the version.
complete() {
  local d="$dest/$1"
  [[ -s "$d/VERSION" && -e "$d/cuda/libcuda.so.1" && -e "$d/nvml/libnvidia-ml.so.1" ]]
}

todo=()
for b in "${branches[@]}"; do
  complete "${b%%|*}" || todo+=("$b")
done

summary() {
  local parts=() b
  for b in "${branches[@]}"; do
    b="${b%%|*}"
    parts+=("$b ($(cat "$dest/$b/VERSION"))")
  done
  echo "NVIDIA driver libraries in $dest: ${parts[*]}${1:+ ($1)}"
}

if ((${#todo[@]} == 0)); then
  summary "already present"
  exit 0
fi

if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  die "needs apt-get and dpkg (a Debian or Ubuntu machine)"
fi
[[ -r "$keyring" ]] ||
  die "$keyring not found: Debian's archive keyring is needed to verify Debian's non-free archive: apt-get install debian-archive-keyring (Ubuntu has it in universe)"

# The Debian mirror this machine already uses: the first non-security URI of its apt sources
# (deb822 .sources files, then the one-line sources.list format).
mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r "$f" ]] || continue
    uri="$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f" |
      grep -v -e security -e '^cdrom:' | grep -m1 -i debian || true)"
    [[ -n "$uri" ]] && { echo "${uri%/}"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "$f" ]] || continue
    uri="$(sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' "$f" |
      grep -v -e security -e '^cdrom:' | grep -m1 -i debian || true)"
    [[ -n "$uri" ]] && { echo "${uri%/}"; return; }
  done
  echo http://deb.debian.org/debian
}

work="$(mktemp -d "${TMPDIR:-/tmp}/gpuprobe-nvidia-drivers.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/etc" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
# As root, apt fetches as the unprivileged user _apt: let it write the private folders.
if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then
  chown -R _apt "$work/lists" "$work/cache" "$work/debs"
fi
apt_opts=(-o "Dir::Etc::SourceList=$work/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::Status=/dev/null)

update() {
  local uri="$1" suites
  suites="$(for b in "${todo[@]}"; do IFS='|' read -r _ s _ <<<"$b"; echo "$s"; done | sort -u)"
  : >"$work/etc/sources.list"
  for s in $suites; do
    echo "deb [signed-by=$keyring] $uri $s non-free" >>"$work/etc/sources.list"
  done
  apt-get "${apt_opts[@]}" -qq update >"$work/update.log" 2>&1
}
uri="$(mirror)"
if ! update "$uri"; then
  [[ "$uri" == http://deb.debian.org/debian ]] && { cat "$work/update.log" >&2; die "apt-get update failed"; }
  note "$uri failed, trying http://deb.debian.org/debian"
  uri=http://deb.debian.org/debian
  update "$uri" || { cat "$work/update.log" >&2; die "apt-get update failed"; }
fi

# pick BRANCH SUITE PKG[=VERSION]: the pinned version when the suite still carries it, else the
# newest version of the same branch there (with a note); prints PKG=VERSION.
pick() {
  local branch="$1" suite="$2" pkg="${3%%=*}" pinned="" avail
  [[ "$3" == *=* ]] && pinned="${3#*=}"
  avail="$(apt-cache "${apt_opts[@]}" madison "$pkg" 2>/dev/null |
    awk -F'|' -v s=" $suite/" 'index($3, s) { gsub(/ /, "", $2); print $2 }')"
  if [[ -n "$pinned" ]] && grep -qxF "$pinned" <<<"$avail"; then
    echo "$pkg=$pinned"
    return
  fi
  local v
  v="$(grep -m1 "^$branch\." <<<"$avail" || true)"
  [[ -n "$v" ]] || die "$pkg: no $branch.x version in $suite non-free (has: ${avail//$'\n'/ })"
  [[ -n "$pinned" ]] && note "$pkg=$pinned is gone from $suite; took $v"
  echo "$pkg=$v"
}

# unpack BRANCH PART LIBNAME: copies the library of one unpacked package into DEST/BRANCH/PART with
# its soname link; prints the version read from the file name.
unpack() {
  local branch="$1" part="$2" lib="$3" file ver
  local root="$work/root-$branch-$part"
  file="$(find "$root" -name "$lib.so.*.*" -type f | head -n1)"
  [[ -n "$file" ]] || die "no $lib.so.<version> in the $part package of branch $branch"
  ver="${file##*/"$lib".so.}"
  mkdir -p "$work/out-$branch/$part"
  cp "$file" "$work/out-$branch/$part/"
  ln -s "$lib.so.$ver" "$work/out-$branch/$part/$lib.so.1"
  echo "$ver"
}

fetched=()
for b in "${todo[@]}"; do
  IFS='|' read -r branch suite cuda nvml <<<"$b"
  cuda="$(pick "$branch" "$suite" "$cuda")"
  nvml="$(pick "$branch" "$suite" "$nvml")"
  rm -f "$work/debs/"*.deb
  (cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "$cuda" "$nvml" >"$work/download.log" 2>&1) ||
    { cat "$work/download.log" >&2; die "apt-get download $cuda $nvml failed"; }
  dpkg -x "$(ls "$work/debs/${cuda%%=*}_"*.deb)" "$work/root-$branch-cuda"
  dpkg -x "$(ls "$work/debs/${nvml%%=*}_"*.deb)" "$work/root-$branch-nvml"
  vc="$(unpack "$branch" cuda libcuda)"
  vn="$(unpack "$branch" nvml libnvidia-ml)"
  [[ "$vc" == "$vn" ]] || die "branch $branch: libcuda $vc and NVML $vn differ"
  echo "$vc" >"$work/out-$branch/VERSION"
  mkdir -p "$dest"
  rm -rf "${dest:?}/$branch"
  mv "$work/out-$branch" "$dest/$branch"
  fetched+=("$branch")
done

summary "fetched ${fetched[*]} from $uri"
