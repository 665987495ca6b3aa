# shellcheck shell=bash
# The `jupyter` command: a Jupyter container on the instance, published on its
# loopback only and reached through the ssh tunnel (tunnel.sh).

gpc_help_jupyter() {
  gpc_help_text <<'EOF'
Usage: @TOOL@ jupyter [--name NAME] [--image IMAGE] [--repo DIR] [--source auto|git|tree]
                            [--dockerfile PATH] [--target jupyter] [--local-port 8080]
                            [--remote-port 8888] [--workdir DIR] [--mount-at DIR] [--path lab] [--no-gpus]

Start a Jupyter container on the instance and reach it through an ssh tunnel.
By default the image is the project's own: the code is sent as `check` does
(--repo, --source) and built on the instance with
  docker build -f docker/Dockerfile --target jupyter -t gpuprobe:jupyter .
(the seed's image: your requirements plus JupyterLab, working directory /src).
--image IMAGE uses a ready image instead (e.g. quay.io/jupyter/pytorch-notebook:cuda12-latest,
mounted at /home/jovyan/work). Then:
  docker run -d --name gpuprobe-jupyter --gpus all -p 127.0.0.1:REMOTE_PORT:8888
             -v WORKDIR:MOUNT_AT IMAGE
(published on the instance's loopback only, so no security group rule is needed),
read the token with `docker exec gpuprobe-jupyter jupyter server list --json`
(falling back to `jupyter notebook list --json`), open
  ssh -NfL 127.0.0.1:LOCAL_PORT:127.0.0.1:REMOTE_PORT (controlled by a socket)
and print the ready URL http://localhost:LOCAL_PORT/PATH?token=... . The token
is printed to the terminal only; it is not written to the state directory or
any log. A running container is reused. `@TOOL@ tunnel --close` ends
the tunnel; `@TOOL@ down` ends everything.
  --workdir DIR      instance directory mounted into the container
                     (default: the synced code, ~/gpuprobe-remote/NAME/src)
  --mount-at DIR     where it is mounted (default /src; /home/jovyan/work with --image)
  --dockerfile PATH  default docker/Dockerfile, else Dockerfile; --target T (default jupyter)
  --path P           URL path after the base URL (default lab; tree for Notebook)
  --no-gpus          omit --gpus all
EOF
}

# Remote part of `jupyter`: start (or reuse) the container, wait for its server
# and print its `jupyter server list --json` line on stdout. Args: CONTAINER
# IMAGE REMOTE_PORT WORKDIR GPUS(0/1) TRIES MOUNT_AT
# shellcheck disable=SC2016 # expanded remotely
GPC_REMOTE_JUPYTER='set -eu
cd
c=$1 image=$2 rport=$3 work=$4 gpus=$5 tries=$6 mnt=$7
case $work in /*) ;; *) work=$HOME/$work ;; esac
command -v docker >/dev/null || { echo "docker not found on the instance" >&2; exit 10; }
if [ "$(docker inspect -f "{{.State.Running}}" "$c" 2>/dev/null)" = true ]; then
  echo "reusing the running container $c" >&2
else
  docker rm -f "$c" >/dev/null 2>&1 || true
  mkdir -p "$work"
  set -- docker run -d --name "$c" -p "127.0.0.1:$rport:8888" -v "$work:$mnt"
  [ "$gpus" = 1 ] && set -- "$@" --gpus all
  "$@" "$image" >/dev/null
  echo "started container $c from $image" >&2
fi
i=0
while [ "$i" -lt "$tries" ]; do
  out=$(docker exec "$c" jupyter server list --json 2>/dev/null || docker exec "$c" jupyter notebook list --json 2>/dev/null || true)
  line=$(printf "%s\n" "$out" | grep -m1 "^{" || true)
  if [ -n "$line" ]; then printf "%s\n" "$line"; exit 0; fi
  if [ "$(docker inspect -f "{{.State.Running}}" "$c" 2>/dev/null)" != true ]; then
    echo "container $c stopped; its log:" >&2
    docker logs --tail 30 "$c" >&2 || true
    exit 11
  fi
  i=$((i + 1))
  sleep 2
done
echo "no Jupyter server answered in container $c; its log:" >&2
docker logs --tail 30 "$c" >&2 || true
exit 11'

# Remote: build the project's jupyter image. Args: DIR DOCKERFILE(or empty) TARGET TAG
# shellcheck disable=SC2016 # expanded remotely
GPC_REMOTE_JUPYTER_BUILD='set -u
cd
dir=$1 df=$2 target=$3 tag=$4
case $dir in /*) ;; *) dir=$HOME/$dir ;; esac
command -v docker >/dev/null || { echo "docker not found on the instance" >&2; exit 10; }
if [ -z "$df" ]; then if [ -f "$dir/src/docker/Dockerfile" ]; then df=docker/Dockerfile; else df=Dockerfile; fi; fi
echo "== docker build -f $df --target $target -t $tag" >&2
docker build -f "$dir/src/$df" --target "$target" -t "$tag" "$dir/src" >&2'

cmd_jupyter() {
  local lp=${GPC_LOCAL_PORT:-8080} rp=8888 image="" mnt=""
  local workdir="" path=lab gpus=1 container=gpuprobe-jupyter
  local repo=$GPC_REPO source=auto dockerfile="" target=jupyter
  while [[ $# -gt 0 ]]; do
    gpc_common_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_help_jupyter; return 0 ;;
      --image) gpc_need_arg "$@"; image=$2; shift 2 ;;
      --repo) gpc_need_arg "$@"; repo=$2; shift 2 ;;
      --source) gpc_need_arg "$@"; source=$2; shift 2 ;;
      --dockerfile) gpc_need_arg "$@"; dockerfile=$2; shift 2 ;;
      --target) gpc_need_arg "$@"; target=$2; shift 2 ;;
      --mount-at) gpc_need_arg "$@"; mnt=$2; shift 2 ;;
      --local-port) gpc_need_arg "$@"; lp=$2; shift 2 ;;
      --remote-port) gpc_need_arg "$@"; rp=$2; shift 2 ;;
      --workdir) gpc_need_arg "$@"; workdir=$2; shift 2 ;;
      --path) gpc_need_arg "$@"; path=$2; shift 2 ;;
      --no-gpus) gpus=0; shift ;;
      *) gpc_die "jupyter: unknown argument '$1'" ;;
    esac
  done
  gpc_check_port "$lp"
  gpc_check_port "$rp"
  gpc_require jq ssh
  gpc_need_state
  gpc_local_port_free "$lp"
  local rdir="${GPC_REMOTE_DIR:-gpuprobe-remote}/$GPC_NAME"
  [[ -n $workdir ]] || workdir="$rdir/src"
  gpc_ssh_wait
  if [[ -z $image ]]; then
    # the project's own Jupyter image, built on the instance from the synced code
    [[ -d $repo ]] || gpc_die "--repo $repo is not a directory"
    gpc_sync_code "$repo" "$source" "$rdir" origin
    image=gpuprobe:$target
    gpc_ssh_script "$GPC_REMOTE_JUPYTER_BUILD" "$rdir" "$dockerfile" "$target" "$image" </dev/null ||
      gpc_die "could not build the Jupyter image on the instance"
    [[ -n $mnt ]] || mnt=/src
  else
    [[ -n $mnt ]] || mnt=/home/jovyan/work
  fi
  local line token base url
  gpc_say "starting Jupyter ($image) on the instance, published on its 127.0.0.1:$rp"
  line=$(gpc_ssh_script "$GPC_REMOTE_JUPYTER" "$container" "$image" "$rp" "$workdir" "$gpus" \
    "${GPC_JUPYTER_TRIES:-90}" "$mnt" </dev/null) || gpc_die "the Jupyter container did not come up"
  token=$(jq -r '.token // empty' <<<"$line")
  base=$(jq -r '.base_url // "/"' <<<"$line")
  [[ $base == */ ]] || base+=/
  gpc_tunnel_open "$lp" "$rp"
  # Wait until the server answers through the tunnel.
  if command -v curl >/dev/null 2>&1; then
    local i
    for ((i = 0; i < 30; i++)); do
      curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$lp${base}api/status" && break
      sleep 1
    done
  fi
  url="http://localhost:$lp${base}${path#/}"
  [[ -n $token ]] && url+="?token=$token"
  # The token goes to the terminal only (stdout), never to the state dir or a log.
  echo "Jupyter is ready: $url"
  echo "(tunnel: $GPC_TOOL tunnel --close$(gpc_name_opt) ends it)"
}
