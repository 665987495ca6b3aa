# shellcheck shell=bash
# ssh and scp to the recorded instance, remote bash scripts, and the `ssh` command.
# Settings (from the entry script's environment variables):
#   GPC_SSH_CONFIG  an ssh config file (-F) for bastions / ProxyJump
#   GPC_SSH_HOST    connect here instead of the instance's address (an alias from
#                   that config, an SSM proxy host, a test host)
#   GPC_SSH_USER    login user instead of the recorded one
#   GPC_ADDRESS     public (default) or private

gpc_help_ssh() {
  gpc_help_text <<'EOF'
Usage: @TOOL@ ssh [--name NAME] [-- COMMAND...]

Open a shell on the recorded instance, or run COMMAND there. Uses the key kept
in the state directory, a per-instance known_hosts file (accept-new), and
@ENV@_SSH_CONFIG (an ssh config file for ProxyJump / bastions) when set.
@ENV@_SSH_HOST overrides the address, @ENV@_SSH_USER the user;
@ENV@_ADDRESS=private connects to the private IP.
EOF
}

gpc_ssh_host() {
  local h=${GPC_SSH_HOST:-}
  if [[ -z $h ]]; then
    if [[ ${GPC_ADDRESS:-public} == private ]]; then
      h=$(gpc_state_get PRIVATE_IP)
    else
      h=$(gpc_state_get PUBLIC_IP)
      [[ -n $h ]] || h=$(gpc_state_get PUBLIC_DNS)
    fi
  fi
  [[ -n $h ]] || gpc_die "instance $(gpc_state_get INSTANCE_ID) has no address to reach (no public IP; set ${GPC_ENV_PREFIX}_ADDRESS=private with a ProxyJump in ${GPC_ENV_PREFIX}_SSH_CONFIG)"
  printf '%s\n' "$h"
}

gpc_ssh_user() { printf '%s\n' "${GPC_SSH_USER:-$(gpc_state_get SSH_USER)}"; }

# Fills the array GPC_SSH_OPTS with options shared by ssh and scp.
gpc_ssh_opts() {
  local id kh
  id=$(gpc_state_get INSTANCE_ID)
  kh="$GPC_STATE_DIR/known_hosts.d/${id:-unknown}"
  GPC_SSH_OPTS=()
  [[ -n ${GPC_SSH_CONFIG:-} ]] && GPC_SSH_OPTS+=(-F "$GPC_SSH_CONFIG")
  GPC_SSH_OPTS+=(-o "UserKnownHostsFile=$kh" -o StrictHostKeyChecking=accept-new
    -o ConnectTimeout="${GPC_SSH_TIMEOUT:-15}" -o ServerAliveInterval=30
    -o BatchMode=yes -o LogLevel=ERROR)
  if [[ -n $(gpc_state_get KEY_FILE) ]]; then
    GPC_SSH_OPTS+=(-i "$(gpc_state_get KEY_FILE)" -o IdentitiesOnly=yes)
  fi
}

gpc_ssh_target() {
  local u
  u=$(gpc_ssh_user)
  printf '%s%s\n' "${u:+$u@}" "$(gpc_ssh_host)"
}

gpc_ssh() { # ARGS... -> ssh to the recorded instance
  local target
  gpc_ssh_opts
  target=$(gpc_ssh_target)
  # shellcheck disable=SC2029 # the command is meant to run remotely as given
  ssh "${GPC_SSH_OPTS[@]}" "$target" "$@"
}

# POSIX single-quoting, safe for whatever login shell the instance has.
gpc_shquote() { local q="'\\''"; printf "'%s'" "${1//\'/$q}"; }

# The remote command line that runs the bash SCRIPT (a string) with ARGS.
gpc_remote_cmd() { # SCRIPT ARGS...
  local out a
  out="bash -c $(gpc_shquote "$1") $GPC_TOOL"
  shift
  for a in "$@"; do out+=" $(gpc_shquote "$a")"; done
  printf '%s\n' "$out"
}

# Runs the bash SCRIPT remotely with ARGS; stdin passes through.
gpc_ssh_script() { # SCRIPT ARGS...
  gpc_ssh "$(gpc_remote_cmd "$@")"
}

# Retries a trivial ssh command until the instance answers (sshd can start
# after the provider reports the instance ready).
gpc_ssh_wait() {
  local tries=${GPC_SSH_TRIES:-20} i
  for ((i = 1; i <= tries; i++)); do
    if gpc_ssh true </dev/null 2>/dev/null; then return 0; fi
    [[ $i -lt $tries ]] && sleep "${GPC_SSH_RETRY_S:-5}"
  done
  gpc_ssh true </dev/null # the last error, shown
}

gpc_scp_from() { # REMOTE_PATH LOCAL_PATH
  local host u
  gpc_ssh_opts
  host=$(gpc_ssh_host) u=$(gpc_ssh_user)
  [[ $host == *:* ]] && host="[$host]"
  scp -q "${GPC_SSH_OPTS[@]}" "${u:+$u@}$host:$1" "$2"
}

cmd_ssh() {
  while [[ $# -gt 0 ]]; do
    gpc_common_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_help_ssh; return 0 ;;
      --) shift; break ;;
      *) gpc_die "ssh: unknown argument '$1' (put the remote command after --)" ;;
    esac
  done
  gpc_need_state
  gpc_ssh_opts
  local target
  target=$(gpc_ssh_target)
  exec ssh "${GPC_SSH_OPTS[@]}" "$target" "$@"
}
