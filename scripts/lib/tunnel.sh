# shellcheck shell=bash
# The ssh tunnel localhost:LOCAL_PORT -> instance 127.0.0.1:REMOTE_PORT, kept
# by an ssh master in the background under a control socket, and the `tunnel`
# command. The socket and ports are recorded in the state (TUNNEL_*).

gpc_help_tunnel() {
  gpc_help_text <<'EOF'
Usage: @TOOL@ tunnel [--name NAME] [--local-port 8080] [--remote-port 8888]
       @TOOL@ tunnel --close [--name NAME]
       @TOOL@ tunnel --status [--name NAME]

Open (or reuse) the ssh tunnel localhost:LOCAL_PORT -> instance 127.0.0.1:REMOTE_PORT
without touching the container; --close ends it (idempotent); --status says
whether it is open (exit 1 when not).
EOF
}

gpc_socket_path() {
  local p="$GPC_STATE_DIR/run/$GPC_NAME.sock"
  # unix socket paths are limited to ~104 bytes
  if [[ ${#p} -gt 96 ]]; then
    p="${TMPDIR:-/tmp}/gpc-$(id -u)-$(printf '%s' "$GPC_STATE_DIR/$GPC_NAME" | cksum | cut -d' ' -f1).sock"
  fi
  printf '%s\n' "$p"
}

gpc_tunnel_alive() {
  local sock
  sock=$(gpc_state_get TUNNEL_SOCKET)
  [[ -n $sock && -S $sock ]] || return 1
  ssh -S "$sock" -O check "$GPC_TOOL-tunnel" >/dev/null 2>&1
}

gpc_tunnel_close_current() {
  local sock
  sock=$(gpc_state_get TUNNEL_SOCKET)
  [[ -n $sock ]] || return 0
  if [[ -S $sock ]]; then
    ssh -S "$sock" -O exit "$GPC_TOOL-tunnel" >/dev/null 2>&1 || true
    gpc_say "closed the tunnel on localhost:$(gpc_state_get TUNNEL_LOCAL_PORT)"
  fi
  rm -f "$sock"
  unset 'GPC_STATE[TUNNEL_SOCKET]' 'GPC_STATE[TUNNEL_LOCAL_PORT]' 'GPC_STATE[TUNNEL_REMOTE_PORT]'
  gpc_state_exists && gpc_state_save
  return 0
}

gpc_tunnel_open() { # LOCAL_PORT REMOTE_PORT
  local lp=$1 rp=$2 sock target
  if gpc_tunnel_alive; then
    if [[ $(gpc_state_get TUNNEL_LOCAL_PORT) == "$lp" && $(gpc_state_get TUNNEL_REMOTE_PORT) == "$rp" ]]; then
      gpc_say "tunnel already open on localhost:$lp"
      return 0
    fi
    gpc_tunnel_close_current
  fi
  sock=$(gpc_socket_path)
  rm -f "$sock"
  gpc_ssh_opts
  target=$(gpc_ssh_target)
  # -f forks after the forward is set up (ExitOnForwardFailure); the master
  # keeps running in the background, reachable through the control socket.
  ssh "${GPC_SSH_OPTS[@]}" -o ExitOnForwardFailure=yes -o ControlMaster=yes -o "ControlPath=$sock" \
    -fNT -L "127.0.0.1:$lp:127.0.0.1:$rp" "$target" </dev/null ||
    gpc_die "could not open the tunnel localhost:$lp -> instance 127.0.0.1:$rp (port in use? --local-port)"
  gpc_state_set TUNNEL_SOCKET "$sock"
  gpc_state_set TUNNEL_LOCAL_PORT "$lp"
  gpc_state_set TUNNEL_REMOTE_PORT "$rp"
  gpc_state_save
  gpc_say "tunnel open: localhost:$lp -> instance 127.0.0.1:$rp"
}

# Dies when something already listens on localhost:PORT (unless it is our own tunnel).
gpc_local_port_free() {
  if gpc_tunnel_alive && [[ $(gpc_state_get TUNNEL_LOCAL_PORT) == "$1" ]]; then return 0; fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    gpc_die "local port $1 is in use: pick another with --local-port"
  fi
}

cmd_tunnel() {
  local lp=${GPC_LOCAL_PORT:-8080} rp=8888 action=open
  while [[ $# -gt 0 ]]; do
    gpc_common_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_help_tunnel; return 0 ;;
      --close) action=close; shift ;;
      --status) action=status; shift ;;
      --local-port) gpc_need_arg "$@"; lp=$2; shift 2 ;;
      --remote-port) gpc_need_arg "$@"; rp=$2; shift 2 ;;
      *) gpc_die "tunnel: unknown argument '$1'" ;;
    esac
  done
  gpc_check_port "$lp"
  gpc_check_port "$rp"
  case $action in
    close)
      if ! gpc_state_load "$GPC_NAME"; then gpc_say "nothing recorded under '$GPC_NAME': no tunnel"; return 0; fi
      if [[ -z $(gpc_state_get TUNNEL_SOCKET) ]]; then gpc_say "no tunnel open for '$GPC_NAME'"; return 0; fi
      gpc_tunnel_close_current
      ;;
    status)
      gpc_state_load "$GPC_NAME" || gpc_die "nothing recorded under '$GPC_NAME'"
      if gpc_tunnel_alive; then
        echo "tunnel open: localhost:$(gpc_state_get TUNNEL_LOCAL_PORT) -> instance 127.0.0.1:$(gpc_state_get TUNNEL_REMOTE_PORT)"
      else
        echo "no tunnel"
        return 1
      fi
      ;;
    open)
      gpc_need_state
      gpc_local_port_free "$lp"
      gpc_tunnel_open "$lp" "$rp"
      echo "http://localhost:$lp/"
      ;;
  esac
}
