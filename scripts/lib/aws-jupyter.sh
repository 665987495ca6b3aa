# shellcheck shell=bash
# gpuprobe-aws jupyter and tunnel.

gpa_help_jupyter() {
  cat <<'EOF'
Usage: gpuprobe-aws jupyter [--name NAME] [--image IMAGE] [--repo DIR] [--source auto|git|tree]
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
any log. A running container is reused. `gpuprobe-aws tunnel --close` ends
the tunnel; `gpuprobe-aws down` ends everything.
  --workdir DIR      instance directory mounted into the container
                     (default: the synced code, ~/gpuprobe-remote/NAME/src)
  --mount-at DIR     where it is mounted (default /src; /home/jovyan/work with --image)
  --dockerfile PATH  default docker/Dockerfile, else Dockerfile; --target T (default jupyter)
  --path P           URL path after the base URL (default lab; tree for Notebook)
  --no-gpus          omit --gpus all
EOF
}

gpa_help_tunnel() {
  cat <<'EOF'
Usage: gpuprobe-aws tunnel [--name NAME] [--local-port 8080] [--remote-port 8888]
       gpuprobe-aws tunnel --close [--name NAME]
       gpuprobe-aws tunnel --status [--name NAME]

Open (or reuse) the ssh tunnel localhost:LOCAL_PORT -> instance 127.0.0.1:REMOTE_PORT
without touching the container; --close ends it (idempotent); --status says
whether it is open (exit 1 when not).
EOF
}

gpa_socket_path() {
  local p="$GPA_STATE_DIR/run/$GPA_NAME.sock"
  # unix socket paths are limited to ~104 bytes
  if [[ ${#p} -gt 96 ]]; then
    p="${TMPDIR:-/tmp}/gpa-$(id -u)-$(printf '%s' "$GPA_STATE_DIR/$GPA_NAME" | cksum | cut -d' ' -f1).sock"
  fi
  printf '%s\n' "$p"
}

gpa_tunnel_alive() {
  local sock
  sock=$(gpa_state_get TUNNEL_SOCKET)
  [[ -n $sock && -S $sock ]] || return 1
  ssh -S "$sock" -O check gpuprobe-aws-tunnel >/dev/null 2>&1
}

gpa_tunnel_close_current() {
  local sock
  sock=$(gpa_state_get TUNNEL_SOCKET)
  [[ -n $sock ]] || return 0
  if [[ -S $sock ]]; then
    ssh -S "$sock" -O exit gpuprobe-aws-tunnel >/dev/null 2>&1 || true
    gpa_say "closed the tunnel on localhost:$(gpa_state_get TUNNEL_LOCAL_PORT)"
  fi
  rm -f "$sock"
  unset 'GPA_STATE[TUNNEL_SOCKET]' 'GPA_STATE[TUNNEL_LOCAL_PORT]' 'GPA_STATE[TUNNEL_REMOTE_PORT]'
  gpa_state_exists && gpa_state_save
  return 0
}

gpa_tunnel_open() { # LOCAL_PORT REMOTE_PORT
  local lp=$1 rp=$2 sock target
  if gpa_tunnel_alive; then
    if [[ $(gpa_state_get TUNNEL_LOCAL_PORT) == "$lp" && $(gpa_state_get TUNNEL_REMOTE_PORT) == "$rp" ]]; then
      gpa_say "tunnel already open on localhost:$lp"
      return 0
    fi
    gpa_tunnel_close_current
  fi
  sock=$(gpa_socket_path)
  rm -f "$sock"
  gpa_ssh_opts
  target=$(gpa_ssh_target)
  # -f forks after the forward is set up (ExitOnForwardFailure); the master
  # keeps running in the background, reachable through the control socket.
  ssh "${GPA_SSH_OPTS[@]}" -o ExitOnForwardFailure=yes -o ControlMaster=yes -o "ControlPath=$sock" \
    -fNT -L "127.0.0.1:$lp:127.0.0.1:$rp" "$target" </dev/null ||
    gpa_die "could not open the tunnel localhost:$lp -> instance 127.0.0.1:$rp (port in use? --local-port)"
  gpa_state_set TUNNEL_SOCKET "$sock"
  gpa_state_set TUNNEL_LOCAL_PORT "$lp"
  gpa_state_set TUNNEL_REMOTE_PORT "$rp"
  gpa_state_save
  gpa_say "tunnel open: localhost:$lp -> instance 127.0.0.1:$rp"
}

gpa_check_port() { [[ $1 =~ ^[0-9]+$ && $1 -ge 1 && $1 -le 65535 ]] || gpa_die "bad port '$1'"; }

# Dies when something already listens on localhost:PORT (unless it is our own tunnel).
gpa_local_port_free() {
  if gpa_tunnel_alive && [[ $(gpa_state_get TUNNEL_LOCAL_PORT) == "$1" ]]; then return 0; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    gpa_die "local port $1 is in use: pick another with --local-port"
  fi
}

cmd_tunnel() {
  local lp=${GPUPROBE_AWS_LOCAL_PORT:-8080} rp=8888 action=open
  while [[ $# -gt 0 ]]; do
    gpa_common_opt "$@"
    if [[ $GPA_SHIFT -gt 0 ]]; then shift "$GPA_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpa_help_tunnel; return 0 ;;
      --close) action=close; shift ;;
      --status) action=status; shift ;;
      --local-port) gpa_need_arg "$@"; lp=$2; shift 2 ;;
      --remote-port) gpa_need_arg "$@"; rp=$2; shift 2 ;;
      *) gpa_die "tunnel: unknown argument '$1'" ;;
    esac
  done
  gpa_check_port "$lp"
  gpa_check_port "$rp"
  case $action in
    close)
      if ! gpa_state_load "$GPA_NAME"; then gpa_say "nothing recorded under '$GPA_NAME': no tunnel"; return 0; fi
      if [[ -z $(gpa_state_get TUNNEL_SOCKET) ]]; then gpa_say "no tunnel open for '$GPA_NAME'"; return 0; fi
      gpa_tunnel_close_current
      ;;
    status)
      gpa_state_load "$GPA_NAME" || gpa_die "nothing recorded under '$GPA_NAME'"
      if gpa_tunnel_alive; then
        echo "tunnel open: localhost:$(gpa_state_get TUNNEL_LOCAL_PORT) -> instance 127.0.0.1:$(gpa_state_get TUNNEL_REMOTE_PORT)"
      else
        echo "no tunnel"
        return 1
      fi
      ;;
    open)
      gpa_need_state
      gpa_local_port_free "$lp"
      gpa_tunnel_open "$lp" "$rp"
      echo "http://localhost:$lp/"
      ;;
  esac
}

# Remote part of `jupyter`: start (or reuse) the container, wait for its server
# and print its `jupyter server list --json` line on stdout. Args: CONTAINER
# IMAGE REMOTE_PORT WORKDIR GPUS(0/1) TRIES MOUNT_AT
# shellcheck disable=SC2016 # expanded remotely
GPA_REMOTE_JUPYTER='set -eu
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
GPA_REMOTE_JUPYTER_BUILD='set -u
cd
dir=$1 df=$2 target=$3 tag=$4
case $dir in /*) ;; *) dir=$HOME/$dir ;; esac
command -v docker >/dev/null || { echo "docker not found on the instance" >&2; exit 10; }
if [ -z "$df" ]; then if [ -f "$dir/src/docker/Dockerfile" ]; then df=docker/Dockerfile; else df=Dockerfile; fi; fi
echo "== docker build -f $df --target $target -t $tag" >&2
docker build -f "$dir/src/$df" --target "$target" -t "$tag" "$dir/src" >&2'

cmd_jupyter() {
  local lp=${GPUPROBE_AWS_LOCAL_PORT:-8080} rp=8888 image="" mnt=""
  local workdir="" path=lab gpus=1 container=gpuprobe-jupyter
  local repo=$GPA_REPO source=auto dockerfile="" target=jupyter
  while [[ $# -gt 0 ]]; do
    gpa_common_opt "$@"
    if [[ $GPA_SHIFT -gt 0 ]]; then shift "$GPA_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpa_help_jupyter; return 0 ;;
      --image) gpa_need_arg "$@"; image=$2; shift 2 ;;
      --repo) gpa_need_arg "$@"; repo=$2; shift 2 ;;
      --source) gpa_need_arg "$@"; source=$2; shift 2 ;;
      --dockerfile) gpa_need_arg "$@"; dockerfile=$2; shift 2 ;;
      --target) gpa_need_arg "$@"; target=$2; shift 2 ;;
      --mount-at) gpa_need_arg "$@"; mnt=$2; shift 2 ;;
      --local-port) gpa_need_arg "$@"; lp=$2; shift 2 ;;
      --remote-port) gpa_need_arg "$@"; rp=$2; shift 2 ;;
      --workdir) gpa_need_arg "$@"; workdir=$2; shift 2 ;;
      --path) gpa_need_arg "$@"; path=$2; shift 2 ;;
      --no-gpus) gpus=0; shift ;;
      *) gpa_die "jupyter: unknown argument '$1'" ;;
    esac
  done
  gpa_check_port "$lp"
  gpa_check_port "$rp"
  gpa_require jq ssh
  gpa_need_state
  gpa_local_port_free "$lp"
  local rdir="${GPUPROBE_AWS_REMOTE_DIR:-gpuprobe-remote}/$GPA_NAME"
  [[ -n $workdir ]] || workdir="$rdir/src"
  gpa_ssh_wait
  if [[ -z $image ]]; then
    # the project's own Jupyter image, built on the instance from the synced code
    [[ -d $repo ]] || gpa_die "--repo $repo is not a directory"
    gpa_sync_code "$repo" "$source" "$rdir" origin
    image=gpuprobe:$target
    gpa_ssh_script "$GPA_REMOTE_JUPYTER_BUILD" "$rdir" "$dockerfile" "$target" "$image" </dev/null ||
      gpa_die "could not build the Jupyter image on the instance"
    [[ -n $mnt ]] || mnt=/src
  else
    [[ -n $mnt ]] || mnt=/home/jovyan/work
  fi
  local line token base url
  gpa_say "starting Jupyter ($image) on the instance, published on its 127.0.0.1:$rp"
  line=$(gpa_ssh_script "$GPA_REMOTE_JUPYTER" "$container" "$image" "$rp" "$workdir" "$gpus" \
    "${GPUPROBE_AWS_JUPYTER_TRIES:-90}" "$mnt" </dev/null) || gpa_die "the Jupyter container did not come up"
  token=$(jq -r '.token // empty' <<<"$line")
  base=$(jq -r '.base_url // "/"' <<<"$line")
  [[ $base == */ ]] || base+=/
  gpa_tunnel_open "$lp" "$rp"
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
  echo "(tunnel: gpuprobe-aws tunnel --close$(gpa_name_opt) ends it)"
}
