#!/usr/bin/env bash
# A real build of docker/Dockerfile on a machine without a Docker engine or registry, then the built images
# run and checked. buildah builds the Dockerfile unchanged; only its base images are substituted, through the
# build arguments BASE_DEVEL / BASE_RUNTIME, by local stand-ins for nvidia/cuda:*-cudnn-{devel,runtime}:
#
#   rootfs    Debian bookworm (debootstrap --variant=minbase), imported as localhost/gpuprobe-standin-rootfs
#   devel     rootfs + the part of this machine's CUDA toolkit a build needs (nvcc, nvvm, headers, static
#             cudart) + the nvidia/cuda images' environment (PATH, NVIDIA_VISIBLE_DEVICES, …)
#   runtime   rootfs + cuDNN (libcudnn.so.9, graph/ops/cnn and the engines library) and, with
#             STANDIN_CUBLAS=1, cuBLAS (+ cublasLt, 0.6 GB) + the same environment + this machine's extra
#             CA certificates (its HTTPS egress proxy), so pip reaches PyPI in the jupyter stage
#
# Then, in the built images (buildah run --isolation chroot; `podman run` does not work on these machines):
#   runtime   gpuprobe check: exit 3, "no NVIDIA driver … --gpus all", JSON report (gpuprobe.report/1, driver
#             reason no_driver), one JSON line via `tr -d '\n'` (the Kubernetes manifests' recipe), version and
#             archs, the revision from .git, non-root, nothing but the binary added; image config
#             (ENTRYPOINT, CMD, USER, OCI labels); the build context without build/ and device-bundle/
#   jupyter   gpuprobe on PATH, work dir /src, CMD, an empty token refused, JupyterLab started with a generated
#             token: /api/status answers 403 without it and 200 with it, `jupyter server list` shows it
#
# Needs root, buildah, podman (for `podman import`), debootstrap, gcc, python3, network to the Debian mirror
# and PyPI (apt inside the build, pip for JupyterLab), and the CUDA toolkit at STANDIN_CUDA.
#   apt-get install -y buildah podman debootstrap
# Measured (2 cores): 7 min 42 s from nothing; about 1 min 20 s when the build stage is cached (docs/docker.md).
#
# Environment
#   STANDIN_CUDA                CUDA toolkit to copy from (default /usr/local/cuda)
#   STANDIN_CUDA_ARCHITECTURES  passed as CUDA_ARCHITECTURES (default empty = the Dockerfile's full list)
#   STANDIN_JUPYTER=0           skip the jupyter target
#   STANDIN_CUBLAS=1            put cuBLAS into the runtime stand-in too (slower; the check then finds it)
#   STANDIN_FRESH=1             rebuild the stand-in bases (debootstrap again) instead of reusing them
#   STANDIN_WORK                scratch folder (default /var/tmp/gpuprobe-standin)
#   STANDIN_KEEP=1              keep the built images (default: removed; the stand-in bases are always kept)
#   STANDIN_SNAPSHOT=1          build context = the committed tree (git archive HEAD, plus .git) with the work
#                               tree's docker/ and .dockerignore on top, instead of the work tree itself: for a
#                               tree that others are editing while this runs (CI's fresh clone needs nothing)
# Prints the time of each phase and a last line "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${STANDIN_WORK:-/var/tmp/gpuprobe-standin}"
cuda="$(readlink -f "${STANDIN_CUDA:-/usr/local/cuda}")"
archs="${STANDIN_CUDA_ARCHITECTURES:-}"
want_jupyter="${STANDIN_JUPYTER:-1}"
tag="standin-$$"
img_runtime="localhost/gpuprobe:${tag}"
img_jupyter="localhost/gpuprobe:${tag}-jupyter"
img_build="localhost/gpuprobe:${tag}-context"
base_rootfs="localhost/gpuprobe-standin-rootfs:bookworm"
base_devel="localhost/gpuprobe-standin-devel:$(basename "$cuda")"
# cuDNN as the cudnn images have it: the loader, the sub-libraries the check loads through
# cudnnCnnVersionCheck, and the engines library that holds the convolution kernels (the check looks
# for it). The list is part of the stand-in's tag, so a change rebuilds a cached stand-in.
cudnn_libs=(libcudnn libcudnn_graph libcudnn_ops libcudnn_cnn libcudnn_engines_precompiled)
cudnn_key="$(echo "${cudnn_libs[*]}" | md5sum | cut -c1-8)"
base_runtime="localhost/gpuprobe-standin-runtime:$(basename "$cuda")-cudnn${cudnn_key}${STANDIN_CUBLAS:+-cublas}"
iso=(--isolation chroot)

passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok    $*"; }
bad()  { failed=$((failed + 1)); echo "FAIL  $*"; }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
die()  { echo "build-standin: $*" >&2; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
t0=$SECONDS
phase_start=$SECONDS
phase() { echo "--- $1 ($((SECONDS - phase_start)) s since the last phase, $((SECONDS - t0)) s in all)"; phase_start=$SECONDS; }

cleanup() {
  if [[ "${STANDIN_KEEP:-0}" != 1 ]]; then
    buildah rmi "$img_runtime" "$img_jupyter" "$img_build" >/dev/null 2>&1
  fi
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || die "needs root (buildah chroot builds, debootstrap)"
for tool in buildah podman debootstrap python3 cc; do
  command -v "$tool" >/dev/null || die "$tool not found: apt-get install -y buildah podman debootstrap python3 gcc"
done
[[ -x "$cuda/bin/nvcc" ]] || die "no CUDA toolkit at $cuda (set STANDIN_CUDA)"
image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }
mkdir -p "$work"

# ---------------------------------------------------------------------------------------------- stand-ins
if [[ "${STANDIN_FRESH:-0}" == 1 ]]; then
  buildah rmi "$base_runtime" "$base_devel" "$base_rootfs" >/dev/null 2>&1
fi
if ! image_exists "$base_rootfs"; then
  mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  rm -rf "$work/rootfs"
  echo "debootstrap bookworm from $mirror …"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || die "debootstrap failed: $work/debootstrap.log"
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb
  tar -C "$work/rootfs" -c . | podman import -q - "$base_rootfs" >/dev/null || die "podman import failed"
  rm -rf "$work/rootfs"
  phase "rootfs: debootstrap + import"
fi

env_block='ENV PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LD_LIBRARY_PATH=/usr/local/nvidia/lib:/usr/local/nvidia/lib64 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility'
cuda_dir="$(basename "$cuda")"
if ! image_exists "$base_devel"; then
  ctx="$work/devel"
  rm -rf "$ctx" && mkdir -p "$ctx/cuda/lib"
  # What nvcc and CMake's FindCUDAToolkit use; not the 2.4 GB of shared libraries.
  cp -a "$cuda/bin" "$cuda/include" "$cuda/nvvm" "$cuda/targets" "$ctx/cuda/"
  [[ -e "$cuda/lib64" ]] && cp -a "$cuda/lib64" "$ctx/cuda/"
  libdir="$(readlink -f "$cuda/lib64")"
  cp -a "$libdir"/libcudart_static.a "$libdir"/libcudadevrt.a "$libdir"/libculibos.a "$libdir"/libcudart.so* \
        "$ctx/cuda/lib/"
  [[ -d "$libdir/stubs" ]] && cp -a "$libdir/stubs" "$ctx/cuda/lib/"
  [[ -d "$libdir/cmake" ]] && cp -a "$libdir/cmake" "$ctx/cuda/lib/"
  # Debian 12's stock CMake 3.25.1 stops in FindCUDAToolkit ("set_property could not find TARGET
  # CUDA::nvToolsExt") with a toolkit that has no libnvToolsExt (CUDA 13); later CMake releases (the real
  # Ubuntu 24.04 images have 3.28) check for the target first. The stand-in is Debian, so it gets an empty
  # libnvToolsExt.so for CMake to find; gpuprobe never links it.
  if [[ ! -e "$libdir/libnvToolsExt.so" ]]; then
    cc -shared -o "$ctx/cuda/lib/libnvToolsExt.so" -x c /dev/null || die "cc failed (needed for the nvToolsExt stand-in)"
  fi
  cat >"$ctx/Containerfile" <<EOF
FROM $base_rootfs
COPY cuda/ /usr/local/$cuda_dir/
RUN ln -s $cuda_dir /usr/local/cuda && echo /usr/local/cuda/lib64 >/etc/ld.so.conf.d/000_cuda.conf && ldconfig
$env_block
EOF
  echo "devel stand-in: $(du -sh "$ctx/cuda" | cut -f1) of CUDA"
  buildah bud "${iso[@]}" -q -t "$base_devel" "$ctx" >"$work/devel.log" 2>&1 || die "devel stand-in: $work/devel.log"
  rm -rf "$ctx"
  phase "devel stand-in"
fi
if ! image_exists "$base_runtime"; then
  ctx="$work/runtime"
  rm -rf "$ctx" && mkdir -p "$ctx/lib"
  libdir="$(readlink -f "$cuda/lib64")"
  # cuDNN (there under /usr/lib/x86_64-linux-gnu): see cudnn_libs above.
  for l in "${cudnn_libs[@]}"; do cp -a "$libdir/$l.so.9"* "$ctx/lib/"; done
  if [[ -n "${STANDIN_CUBLAS:-}" ]]; then cp -a "$libdir"/libcublas.so.* "$libdir"/libcublasLt.so.* "$ctx/lib/"; fi
  # This machine's extra CA certificates (e.g. of an HTTPS-inspecting egress proxy), so that pip in the
  # jupyter stage reaches PyPI as it does on the host: installing ca-certificates there adds them.
  mkdir -p "$ctx/ca"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
  cat >"$ctx/Containerfile" <<EOF
FROM $base_rootfs
COPY lib/ /usr/local/$cuda_dir/lib64/
COPY ca/ /usr/local/share/ca-certificates/
RUN ln -s $cuda_dir /usr/local/cuda && echo /usr/local/cuda/lib64 >/etc/ld.so.conf.d/000_cuda.conf && ldconfig
$env_block \\
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
EOF
  echo "runtime stand-in: $(du -sh "$ctx/lib" | cut -f1) of CUDA libraries"
  buildah bud "${iso[@]}" -q -t "$base_runtime" "$ctx" >"$work/runtime.log" 2>&1 || die "runtime stand-in: $work/runtime.log"
  rm -rf "$ctx"
  phase "runtime stand-in"
fi

# ---------------------------------------------------------------------------------------------- the build
revision="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
context="$repo"
if [[ "${STANDIN_SNAPSHOT:-0}" == 1 ]]; then
  context="$work/context"
  rm -rf "$context" && mkdir -p "$context"
  git -C "$repo" archive "$revision" | tar -x -C "$context" || die "git archive failed"
  cp -a "$repo/.git" "$context/.git"
  rm -rf "$context/docker" && cp -a "$repo/docker" "$repo/.dockerignore" "$context/"
  echo "build context: snapshot of ${revision:0:12} + the work tree's docker/ and .dockerignore"
fi
# --format docker: buildah's default OCI format ignores SHELL; Docker honours it
bud=(buildah bud "${iso[@]}" --layers --format docker -f "$repo/docker/Dockerfile"
     --build-arg "BASE_DEVEL=$base_devel" --build-arg "BASE_RUNTIME=$base_runtime"
     --build-arg "REVISION=$revision" --build-arg "VERSION=0.1.0" --build-arg "SOURCE=file://$repo")
[[ -n "$archs" ]] && bud+=(--build-arg "CUDA_ARCHITECTURES=$archs")
echo "buildah bud --target runtime (archs: ${archs:-the Dockerfile default}) …"
if ! "${bud[@]}" --target runtime -t "$img_runtime" "$context" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log"
  die "build of the runtime target failed: $work/build.log"
fi
phase "build stage + runtime target (unit tests ran in the build: $(grep -c ' Passed ' "$work/build.log") passed)"
# A RUN step is cached only after it succeeded, so a cached build step also means the unit tests passed.
# shellcheck disable=SC2016
check "unit tests passed in the build stage (or its cached result)" \
  bash -c 'grep -q "100% tests passed" "$1" || grep -A1 "STEP.*RUN archs=" "$1" | grep -q "Using cache"' _ "$work/build.log"
# The build context as buildah (like docker) sends it, .dockerignore applied: a one-line build of it.
printf 'FROM %s\nCOPY . /ctx\n' "$base_rootfs" >"$work/context.Containerfile"
buildah bud "${iso[@]}" -q -f "$work/context.Containerfile" -t "$img_build" "$context" >"$work/context.log" 2>&1 \
  || bad "build of the context probe ($work/context.log)"

run_in() {  # run_in IMAGE CMD… : runs CMD in a fresh container of IMAGE; its exit status is returned
  local ctr rc
  ctr="$(buildah from -q "$1")" || return 99
  shift
  buildah run "${iso[@]}" "$ctr" -- "$@"
  rc=$?
  buildah rm "$ctr" >/dev/null 2>&1
  return $rc
}

# ---------------------------------------------------------------------------------------------- runtime
out="$(run_in "$img_runtime" gpuprobe check 2>&1)"; rc=$?
echo "$out" | sed 's/^/      | /' | head -n 3
check "runtime: gpuprobe check exits 3 (no GPU / no driver)" test "$rc" -eq 3
# shellcheck disable=SC2016  # $1 is bash -c's argument
check "runtime: check names the missing driver and --gpus all" \
  bash -c '[[ "$1" == *"no NVIDIA driver"* && "$1" == *"--gpus all"* && "$1" == *"[exit 3]"* ]]' _ "$out"
# shellcheck disable=SC2016
check "runtime: cuDNN found in the image" bash -c '[[ "$1" == *"cuDNN 9"*"present"* ]]' _ "$out"

json="$(run_in "$img_runtime" gpuprobe check --json - 2>/dev/null)"
check "runtime: --json - is a gpuprobe.report/1.3 with driver reason no_driver and exit_code 3" python3 -c '
import json, sys
r = json.loads(sys.argv[1])
d = {c["id"]: c for c in r["checks"]}
assert r["schema"] == "gpuprobe.report/1.3", r["schema"]
assert d["driver"]["reason"] == "no_driver" and d["driver"]["status"] == "fail", d["driver"]
assert r["exit_code"] == 3, r["exit_code"]
' "$json"
# A commit of this repository (not necessarily HEAD now: others may commit while the build runs).
bin_rev="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["software"]["gpuprobe_revision"])' "$json")"
check "runtime: the binary records the revision from .git ($bin_rev)" \
  git -C "$repo" cat-file -e "${bin_rev:-unknown}^{commit}"

line="$(run_in "$img_runtime" sh -c 'gpuprobe check --json - 2>/dev/null | tr -d "\n"; echo')"
check "runtime: check --json - | tr -d '\\n' is one valid JSON line (Kubernetes recipe)" python3 -c '
import json, sys
s = sys.argv[1]
assert s.count("\n") == 0 and json.loads(s)["schema"] == "gpuprobe.report/1.3"
' "$line"

ver="$(run_in "$img_runtime" gpuprobe version 2>&1)"
printf '      | %s\n' "$ver"
want_archs="${archs:-75-real;80-real;86-real;89-real;90-real;100-real;120}"
# shellcheck disable=SC2016
check "runtime: gpuprobe version lists the architectures built (${want_archs})" \
  bash -c '[[ "$1" == *"architectures: ${2//;/,} "* ]]' _ "$ver" "$want_archs"
check "runtime: runs as uid 10001, not root" test "$(run_in "$img_runtime" id -u)" = 10001
check "runtime: no toolchain, no sources (only the binary and its libbenchmark added)" \
  run_in "$img_runtime" sh -c '! command -v cmake && ! command -v nvcc && ! command -v g++ && [ ! -e /src ] && [ -x /usr/local/bin/gpuprobe ]'
check "runtime: gpuprobe bench loads Google Benchmark from the image and lists the smoke suite" \
  run_in "$img_runtime" sh -c 'gpuprobe bench --list --suite smoke | tail -n 1 | grep -qE "^[0-9]+ benchmarks$"'
# shellcheck disable=SC2016
check "runtime: gpuprobe bench without a GPU exits 3 (no driver) with the --gpus all diagnosis" \
  run_in "$img_runtime" sh -c 'gpuprobe bench --suite smoke >/tmp/b.txt 2>&1; rc=$?; [ "$rc" -eq 3 ] && grep -q -- "--gpus all" /tmp/b.txt'

cfg="$(buildah inspect --type image "$img_runtime")"
check "runtime: ENTRYPOINT [gpuprobe], CMD [check], USER 10001, OCI labels source/version/revision" python3 -c '
import json, sys
c = json.loads(sys.argv[1])["OCIv1"]["config"]
assert c["Entrypoint"] == ["gpuprobe"], c["Entrypoint"]
assert c["Cmd"] == ["check"], c["Cmd"]
assert c["User"] == "10001:10001", c["User"]
l = c["Labels"]
assert l["org.opencontainers.image.revision"] == sys.argv[2], l
assert l["org.opencontainers.image.version"] == "0.1.0", l
assert l["org.opencontainers.image.source"].startswith("file://"), l
' "$cfg" "$revision"

check "build context: .dockerignore kept build/, device-bundle/, docs/, tests/docker/ out, .git in" \
  run_in "$img_build" sh -c 'cd /ctx && [ ! -e build ] && [ ! -e build-device ] && [ ! -e device-bundle ] && [ ! -e docs ] && [ ! -e tests/docker ] && [ -d .git ] && [ -f scripts/install-deps.sh ] && [ ! -e scripts/build.sh ]'
phase "runtime checks"

# ---------------------------------------------------------------------------------------------- jupyter
if [[ "$want_jupyter" == 1 ]]; then
  echo "buildah bud --target jupyter …"
  if ! "${bud[@]}" --target jupyter -t "$img_jupyter" "$context" >"$work/build-jupyter.log" 2>&1; then
    tail -n 40 "$work/build-jupyter.log"
    bad "build of the jupyter target ($work/build-jupyter.log)"
  else
    phase "jupyter target (pip install JupyterLab)"
    jcfg="$(buildah inspect --type image "$img_jupyter")"
    check "jupyter: ENTRYPOINT jupyter-start, CMD jupyter lab --ip=0.0.0.0 --port=8888, WORKDIR /src, EXPOSE 8888" python3 -c '
import json, sys
c = json.loads(sys.argv[1])["OCIv1"]["config"]
assert c["Entrypoint"] == ["jupyter-start"], c["Entrypoint"]
assert c["Cmd"][:4] == ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888"], c["Cmd"]
assert c["WorkingDir"] == "/src", c["WorkingDir"]
assert "8888/tcp" in c.get("ExposedPorts", {}), c.get("ExposedPorts")
assert c["User"] == "1000", c["User"]
' "$jcfg"
    check "jupyter: gpuprobe on PATH (check exits 3 here)" \
      run_in "$img_jupyter" sh -c 'gpuprobe check -q; [ $? -eq 3 ]'
    check "jupyter: an empty token on the command line is refused (exit 2)" \
      run_in "$img_jupyter" sh -c 'jupyter-start jupyter lab --IdentityProvider.token= ; [ $? -eq 2 ] && jupyter-start jupyter lab --ServerApp.token "" ; [ $? -eq 2 ]'
    port=$((20000 + RANDOM % 20000))
    # JUPYTER_TOKEN set but empty, as `JUPYTER_TOKEN= docker run …` or compose's ${JUPYTER_TOKEN:-} give it:
    # Jupyter must still come up with a generated token. 127.0.0.1 here: chroot isolation shares the network.
    # shellcheck disable=SC2016  # the script runs in the container
    jout="$(run_in "$img_jupyter" env JUPYTER_TOKEN= sh -c '
      jupyter-start jupyter lab --ip=127.0.0.1 --port='"$port"' --no-browser --ServerApp.root_dir=/src >/tmp/lab.log 2>&1 &
      pid=$!
      for i in $(seq 90); do jupyter server list --json 2>/dev/null | grep -q token && break; sleep 1; done
      python3 - <<EOF
import json, subprocess, urllib.request, urllib.error
servers = [json.loads(l) for l in subprocess.run(["jupyter", "server", "list", "--json"], capture_output=True, text=True).stdout.splitlines() if l.strip()]
assert servers, "jupyter server list: no server"
s = servers[0]
assert s["token"], "empty token"
assert s["root_dir"] == "/src", s["root_dir"]
url = "http://127.0.0.1:%d/api/status" % s["port"]
try:
    urllib.request.urlopen(url, timeout=10)
    raise SystemExit("no token: got 200")
except urllib.error.HTTPError as e:
    assert e.code == 403, e.code
r = urllib.request.urlopen(url + "?token=" + s["token"], timeout=10)
assert r.status == 200, r.status
print("token auth ok: %d-character generated token; 403 without, 200 with" % len(s["token"]))
EOF
      rc=$?
      kill $pid; wait $pid 2>/dev/null
      [ $rc -eq 0 ] || tail -n 20 /tmp/lab.log
      exit $rc' 2>&1)"; rc=$?
    echo "$jout" | sed 's/^/      | /' | tail -n 5
    check "jupyter: JupyterLab serves /src with a generated token (403 without, 200 with; jupyter server list)" test "$rc" -eq 0
    phase "jupyter checks"
  fi
fi

echo "total $((SECONDS - t0)) s"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
