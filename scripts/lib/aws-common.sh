# shellcheck shell=bash disable=SC2034 # constants and globals are used by the other aws-*.sh
# Shared helpers for scripts/gpuprobe-aws: logging, option handling, the aws
# wrapper, the local state file, ssh/scp option building, the local gpuprobe.
#
# Sourced by scripts/gpuprobe-aws; not meant to be run on its own.

# ---- constants and configuration ------------------------------------------
GPA_PROJECT_TAG=gpuprobe
GPA_DEFAULT_AMI_PARAM=/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id
GPA_STATE_DIR=${GPUPROBE_AWS_STATE_DIR:-${HOME:-/tmp}/.config/gpuprobe-aws}
GPA_AWS=${GPUPROBE_AWS_CLI:-aws}
GPA_NAME=${GPUPROBE_AWS_NAME:-default}
GPA_REGION=""          # --region (explicit) – resolved by gpa_resolve_region
GPA_REGION_EXPLICIT=0
GPA_PROFILE=""         # --profile; AWS_PROFILE in the environment is honoured by the CLI itself
GPA_QUIET=0

# ---- output ----------------------------------------------------------------
# Progress and diagnostics go to stderr; results (ssh line, URL, tables) to stdout.
gpa_say() { [[ $GPA_QUIET == 1 ]] || printf 'gpuprobe-aws: %s\n' "$*" >&2; }
gpa_warn() { printf 'gpuprobe-aws: warning: %s\n' "$*" >&2; }
gpa_die() {
  printf 'gpuprobe-aws: error: %s\n' "$*" >&2
  exit "${GPA_DIE_CODE:-1}"
}
gpa_need_arg() { # OPTION VALUE-or-empty
  [[ $# -ge 2 && -n $2 ]] || gpa_die "option $1 needs a value (see --help)"
}

# Options every subcommand accepts. Sets GPA_SHIFT to the number consumed (0 = not ours).
gpa_common_opt() {
  GPA_SHIFT=0
  case $1 in
    --name) gpa_need_arg "$@"; GPA_NAME=$2; GPA_SHIFT=2 ;;
    --name=*) GPA_NAME=${1#*=}; GPA_SHIFT=1 ;;
    --region) gpa_need_arg "$@"; GPA_REGION=$2; GPA_REGION_EXPLICIT=1; GPA_SHIFT=2 ;;
    --region=*) GPA_REGION=${1#*=}; GPA_REGION_EXPLICIT=1; GPA_SHIFT=1 ;;
    --profile) gpa_need_arg "$@"; GPA_PROFILE=$2; GPA_SHIFT=2 ;;
    --profile=*) GPA_PROFILE=${1#*=}; GPA_SHIFT=1 ;;
    -q | --quiet) GPA_QUIET=1; GPA_SHIFT=1 ;;
  esac
  if [[ $GPA_SHIFT -gt 0 ]]; then
    [[ $GPA_NAME =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] ||
      gpa_die "--name must be letters, digits, '.', '_' or '-' (got '$GPA_NAME')"
  fi
  return 0
}

# ---- small utilities ---------------------------------------------------------
gpa_name_opt() { [[ $GPA_NAME == default ]] || printf ' --name %s' "$GPA_NAME"; }

gpa_require() { # CMD... : die unless each command exists
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || gpa_die "'$c' is required but not found on PATH"
  done
}

gpa_now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# ISO-8601 UTC timestamp MINUTES from now (GNU date, BSD date fallback).
gpa_iso_in_minutes() {
  date -u -d "+$1 minutes" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
    date -u -v+"$1"M +%Y-%m-%dT%H:%M:%SZ
}

gpa_is_ipv4() {
  local ip=$1 IFS=. part
  [[ $ip =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
  for part in $ip; do [[ $((10#$part)) -le 255 ]] || return 1; done
}

# The caller's public IPv4 address: GPUPROBE_AWS_MY_IP, else checkip.amazonaws.com.
gpa_my_ip() {
  local ip=${GPUPROBE_AWS_MY_IP:-}
  if [[ -z $ip ]]; then
    gpa_require curl
    ip=$(curl -fsS --max-time 10 https://checkip.amazonaws.com 2>/dev/null | tr -d '[:space:]') ||
      gpa_die "cannot look up your public address (set GPUPROBE_AWS_MY_IP=a.b.c.d)"
  fi
  gpa_is_ipv4 "$ip" || gpa_die "caller address '$ip' is not an IPv4 address (GPUPROBE_AWS_MY_IP)"
  printf '%s\n' "$ip"
}

gpa_owner() {
  local o=${GPUPROBE_AWS_OWNER:-${USER:-}}
  [[ -n $o ]] || o=$(id -un 2>/dev/null || echo unknown)
  printf '%s\n' "$o" | tr -c 'A-Za-z0-9._@\n-' '-'
}

# ---- aws ---------------------------------------------------------------------
# Every AWS call goes through here: the endpoint (AWS CLI < 2.13 ignores
# AWS_ENDPOINT_URL, so it is passed explicitly), the profile and the region.
gpa_aws() {
  local -a pre=()
  [[ -n ${AWS_ENDPOINT_URL:-} ]] && pre+=(--endpoint-url "$AWS_ENDPOINT_URL")
  [[ -n $GPA_PROFILE ]] && pre+=(--profile "$GPA_PROFILE")
  [[ -n $GPA_REGION ]] && pre+=(--region "$GPA_REGION")
  AWS_PAGER="" "$GPA_AWS" "${pre[@]}" "$@"
}

# Runs a long call (an aws waiter) in the background and waits for it, so a
# TERM/INT trap runs at once instead of after the call; the cleanup kills it.
gpa_interruptible() {
  "$@" &
  GPA_BG_PID=$!
  local rc=0
  wait "$GPA_BG_PID" || rc=$?
  GPA_BG_PID=""
  return "$rc"
}

gpa_kill_bg() {
  if [[ -n ${GPA_BG_PID:-} ]]; then kill "$GPA_BG_PID" 2>/dev/null || true; fi
  GPA_BG_PID=""
}

# Region: --region, else the state file's (for commands on an existing
# instance), else AWS_REGION / AWS_DEFAULT_REGION, else the profile's.
gpa_resolve_region() {
  local from_state=${1:-}
  [[ $GPA_REGION_EXPLICIT == 1 && -n $GPA_REGION ]] && return 0
  if [[ -n $from_state ]]; then GPA_REGION=$from_state; return 0; fi
  GPA_REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
  if [[ -z $GPA_REGION ]]; then
    GPA_REGION=$(gpa_aws configure get region 2>/dev/null || true)
  fi
  [[ -n $GPA_REGION ]] || gpa_die "no region: pass --region or set AWS_REGION"
}

# ---- state -------------------------------------------------------------------
# One file per --name: $GPA_STATE_DIR/instances/NAME.state, KEY=VALUE lines,
# mode 0600, parsed (never sourced). Keys live in $GPA_STATE_DIR/keys (0600).
declare -gA GPA_STATE=()
GPA_STATE_KEYS=(NAME INSTANCE_ID REGION INSTANCE_TYPE AMI PUBLIC_IP PUBLIC_DNS PRIVATE_IP
  SSH_USER KEY_NAME KEY_FILE KEY_CREATED KEY_FILE_CREATED SG_ID SG_CREATED LAUNCHED_AT EXPIRES_AT MAX_HOURS
  SPOT PRICE_PER_HOUR TUNNEL_SOCKET TUNNEL_LOCAL_PORT TUNNEL_REMOTE_PORT REMOTE_HOME)

gpa_state_file() { printf '%s/instances/%s.state\n' "$GPA_STATE_DIR" "${1:-$GPA_NAME}"; }

gpa_state_init_dirs() {
  (umask 077 && mkdir -p "$GPA_STATE_DIR/instances" "$GPA_STATE_DIR/keys" "$GPA_STATE_DIR/known_hosts.d" "$GPA_STATE_DIR/run")
}

gpa_state_exists() { [[ -f $(gpa_state_file "${1:-}") ]]; }

gpa_state_load() { # [NAME] -> GPA_STATE; returns 1 when there is none
  local f k v line
  f=$(gpa_state_file "${1:-}")
  GPA_STATE=()
  [[ -f $f ]] || return 1
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == *=* ]] || continue
    k=${line%%=*} v=${line#*=}
    [[ $k =~ ^[A-Z_]+$ ]] && GPA_STATE[$k]=$v
  done <"$f"
  return 0
}

gpa_state_get() { printf '%s' "${GPA_STATE[$1]:-}"; }
gpa_state_set() { GPA_STATE[$1]=$2; }

gpa_state_save() { # writes GPA_STATE for GPA_NAME atomically, mode 0600
  local f tmp k
  gpa_state_init_dirs
  f=$(gpa_state_file)
  tmp="$f.tmp.$$"
  GPA_STATE[NAME]=$GPA_NAME
  (
    umask 077
    {
      echo "# gpuprobe-aws state for '$GPA_NAME' - written $(gpa_now_iso)"
      for k in "${GPA_STATE_KEYS[@]}"; do
        if [[ -n ${GPA_STATE[$k]:-} ]]; then printf '%s=%s\n' "$k" "${GPA_STATE[$k]}"; fi
      done
    } >"$tmp"
  )
  mv -f "$tmp" "$f"
}

gpa_state_remove() { rm -f "$(gpa_state_file "${1:-}")"; }

gpa_state_names() { # every recorded name
  local f
  for f in "$GPA_STATE_DIR"/instances/*.state; do
    [[ -f $f ]] || continue
    f=${f##*/}
    printf '%s\n' "${f%.state}"
  done
}

gpa_need_state() {
  gpa_state_load "$GPA_NAME" || gpa_die "no instance recorded under the name '$GPA_NAME' (run: gpuprobe-aws up$(gpa_name_opt))"
  gpa_resolve_region "$(gpa_state_get REGION)"
}

# ---- ssh -----------------------------------------------------------------
# GPUPROBE_AWS_SSH_CONFIG: an ssh config file (-F) for bastions / ProxyJump.
# GPUPROBE_AWS_SSH_HOST:   connect here instead of the instance's address (an
#                          alias from that config, an SSM proxy host, a test host).
# GPUPROBE_AWS_ADDRESS:    public (default) or private.
gpa_ssh_host() {
  local h=${GPUPROBE_AWS_SSH_HOST:-}
  if [[ -z $h ]]; then
    if [[ ${GPUPROBE_AWS_ADDRESS:-public} == private ]]; then
      h=$(gpa_state_get PRIVATE_IP)
    else
      h=$(gpa_state_get PUBLIC_IP)
      [[ -n $h ]] || h=$(gpa_state_get PUBLIC_DNS)
    fi
  fi
  [[ -n $h ]] || gpa_die "instance $(gpa_state_get INSTANCE_ID) has no address to reach (no public IP; set GPUPROBE_AWS_ADDRESS=private with a ProxyJump in GPUPROBE_AWS_SSH_CONFIG)"
  printf '%s\n' "$h"
}

gpa_ssh_user() { printf '%s\n' "${GPUPROBE_AWS_SSH_USER:-$(gpa_state_get SSH_USER)}"; }

# Fills the array GPA_SSH_OPTS with options shared by ssh and scp.
gpa_ssh_opts() {
  local id kh
  id=$(gpa_state_get INSTANCE_ID)
  kh="$GPA_STATE_DIR/known_hosts.d/${id:-unknown}"
  GPA_SSH_OPTS=()
  [[ -n ${GPUPROBE_AWS_SSH_CONFIG:-} ]] && GPA_SSH_OPTS+=(-F "$GPUPROBE_AWS_SSH_CONFIG")
  GPA_SSH_OPTS+=(-o "UserKnownHostsFile=$kh" -o StrictHostKeyChecking=accept-new
    -o ConnectTimeout="${GPUPROBE_AWS_SSH_TIMEOUT:-15}" -o ServerAliveInterval=30
    -o BatchMode=yes -o LogLevel=ERROR)
  if [[ -n $(gpa_state_get KEY_FILE) ]]; then
    GPA_SSH_OPTS+=(-i "$(gpa_state_get KEY_FILE)" -o IdentitiesOnly=yes)
  fi
}

gpa_ssh_target() {
  local u
  u=$(gpa_ssh_user)
  printf '%s%s\n' "${u:+$u@}" "$(gpa_ssh_host)"
}

gpa_ssh() { # ARGS... -> ssh to the recorded instance
  local target
  gpa_ssh_opts
  target=$(gpa_ssh_target)
  # shellcheck disable=SC2029 # the command is meant to run remotely as given
  ssh "${GPA_SSH_OPTS[@]}" "$target" "$@"
}

# POSIX single-quoting, safe for whatever login shell the instance has.
gpa_shquote() { local q="'\\''"; printf "'%s'" "${1//\'/$q}"; }

# The remote command line that runs the bash SCRIPT (a string) with ARGS.
gpa_remote_cmd() { # SCRIPT ARGS...
  local out a
  out="bash -c $(gpa_shquote "$1") gpuprobe-aws"
  shift
  for a in "$@"; do out+=" $(gpa_shquote "$a")"; done
  printf '%s\n' "$out"
}

# Runs the bash SCRIPT remotely with ARGS; stdin passes through.
gpa_ssh_script() { # SCRIPT ARGS...
  gpa_ssh "$(gpa_remote_cmd "$@")"
}

# Retries a trivial ssh command until the instance answers (sshd can lag status-ok).
gpa_ssh_wait() {
  local tries=${GPUPROBE_AWS_SSH_TRIES:-20} i
  for ((i = 1; i <= tries; i++)); do
    if gpa_ssh true </dev/null 2>/dev/null; then return 0; fi
    [[ $i -lt $tries ]] && sleep "${GPUPROBE_AWS_SSH_RETRY_S:-5}"
  done
  gpa_ssh true </dev/null # the last error, shown
}

gpa_scp_from() { # REMOTE_PATH LOCAL_PATH
  local host u
  gpa_ssh_opts
  host=$(gpa_ssh_host) u=$(gpa_ssh_user)
  [[ $host == *:* ]] && host="[$host]"
  scp -q "${GPA_SSH_OPTS[@]}" "${u:+$u@}$host:$1" "$2"
}

# ---- the local gpuprobe --------------------------------------------------------
# GPUPROBE_BIN, else build/gpuprobe of this repository, else gpuprobe on PATH.
gpa_local_gpuprobe() {
  if [[ -n ${GPUPROBE_BIN:-} ]]; then
    [[ -x $GPUPROBE_BIN ]] && { printf '%s\n' "$GPUPROBE_BIN"; return 0; }
    return 1
  fi
  if [[ -x $GPA_REPO/build/gpuprobe ]]; then printf '%s\n' "$GPA_REPO/build/gpuprobe"; return 0; fi
  command -v gpuprobe 2>/dev/null
}

# Does the local gpuprobe implement SUBCOMMAND? Read from the subcommand list
# of `gpuprobe --help` (CLI11 answers `gpuprobe X --help` with exit 0 for any X).
gpa_gpuprobe_has() {
  local gp
  gp=$(gpa_local_gpuprobe) || return 1
  "$gp" --help 2>/dev/null | grep -qE "^[[:space:]]+$1([[:space:]]|\$)"
}

# Does the local `gpuprobe compare` take OPTION (e.g. --label)?
gpa_compare_takes() {
  local gp
  gp=$(gpa_local_gpuprobe) || return 1
  "$gp" compare --help 2>/dev/null | grep -qE "^[[:space:]]+(-[a-zA-Z],)?$1[ ,=]"
}

# On-demand price per hour for TYPE from `gpuprobe instances --json`, or nothing.
# Accepted shapes: [ {...} ] or {"instances": [ {...} ]}, each entry naming the
# type in instance_type/type/name and the price in usd_per_hour/price_per_hour/
# on_demand_usd_per_hour/price.
gpa_price_for_type() {
  local gp
  gpa_gpuprobe_has instances || return 0
  gp=$(gpa_local_gpuprobe) || return 0
  "$gp" instances --json 2>/dev/null | jq -r --arg t "$1" '
    (if type == "array" then . else (.instances // []) end)
    | map(select((.instance_type // .type // .name) == $t)) | .[0]
    | (.usd_per_hour // .price_per_hour // .on_demand_usd_per_hour // .price // empty)
    | tostring' 2>/dev/null | head -n1 || true
}
