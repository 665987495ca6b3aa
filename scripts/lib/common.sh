# shellcheck shell=bash disable=SC2034 # globals set here are read by the other lib files
# The provider-neutral library behind the cloud commands (scripts/gpuprobe-aws):
# output, option handling, small utilities, the local gpuprobe.
#
# Names: gpc_* functions and GPC_* globals belong to this library ("gpuprobe
# cloud"); provider_* functions are what a provider implements (see
# scripts/lib/providers/aws.sh). Sourced by the entry script, which sets first:
#   GPC_TOOL        the command's name, used in messages ("gpuprobe-aws")
#   GPC_ENV_PREFIX  its environment variables' prefix ("GPUPROBE_AWS")
#   GPC_REPO        the repository root
#   GPC_STATE_DIR, GPC_NAME and the other settings listed in the entry script

GPC_PROJECT_TAG=gpuprobe
GPC_REGION=""          # --region, or resolved by provider_preflight
GPC_REGION_EXPLICIT=0
GPC_QUIET=0

# ---- output ----------------------------------------------------------------
# Progress and diagnostics go to stderr; results (ssh line, URL, tables) to stdout.
gpc_say() { [[ $GPC_QUIET == 1 ]] || printf '%s: %s\n' "$GPC_TOOL" "$*" >&2; }
gpc_warn() { printf '%s: warning: %s\n' "$GPC_TOOL" "$*" >&2; }
gpc_die() {
  printf '%s: error: %s\n' "$GPC_TOOL" "$*" >&2
  exit 1
}
# Help text on stdin to stdout, with @TOOL@ the command's name and @ENV@ its
# environment variables' prefix.
gpc_help_text() {
  local t
  t=$(cat)
  t=${t//@TOOL@/$GPC_TOOL}
  printf '%s\n' "${t//@ENV@/$GPC_ENV_PREFIX}"
}
gpc_need_arg() { # OPTION VALUE-or-empty
  [[ $# -ge 2 && -n $2 ]] || gpc_die "option $1 needs a value (see --help)"
}

# Options every subcommand accepts; the provider adds its own (provider_common_opt).
# Sets GPC_SHIFT to the number consumed (0 = not one of them).
gpc_common_opt() {
  GPC_SHIFT=0
  case $1 in
    --name) gpc_need_arg "$@"; GPC_NAME=$2; GPC_SHIFT=2 ;;
    --name=*) GPC_NAME=${1#*=}; GPC_SHIFT=1 ;;
    --region) gpc_need_arg "$@"; GPC_REGION=$2; GPC_REGION_EXPLICIT=1; GPC_SHIFT=2 ;;
    --region=*) GPC_REGION=${1#*=}; GPC_REGION_EXPLICIT=1; GPC_SHIFT=1 ;;
    -q | --quiet) GPC_QUIET=1; GPC_SHIFT=1 ;;
    *) provider_common_opt "$@" ;;
  esac
  if [[ $GPC_SHIFT -gt 0 ]]; then
    [[ $GPC_NAME =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] ||
      gpc_die "--name must be letters, digits, '.', '_' or '-' (got '$GPC_NAME')"
  fi
  return 0
}

# gpc_common_opt, then PARSER (e.g. provider_up_opt: the provider's options of
# one command) when the common options did not take $1.
gpc_common_opt_and() { # PARSER ARGS...
  local parser=$1
  shift
  gpc_common_opt "$@"
  if [[ $GPC_SHIFT -eq 0 ]]; then "$parser" "$@"; fi
  return 0
}

# ---- small utilities ---------------------------------------------------------
gpc_name_opt() { [[ $GPC_NAME == default ]] || printf ' --name %s' "$GPC_NAME"; }

gpc_require() { # CMD... : die unless each command exists
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || gpc_die "'$c' is required but not found on PATH"
  done
}

gpc_now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# ISO-8601 UTC timestamp MINUTES from now (GNU date, BSD date fallback).
gpc_iso_in_minutes() {
  date -u -d "+$1 minutes" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
    date -u -v+"$1"M +%Y-%m-%dT%H:%M:%SZ
}

gpc_is_ipv4() {
  local ip=$1 IFS=. part
  [[ $ip =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || return 1
  for part in $ip; do [[ $((10#$part)) -le 255 ]] || return 1; done
}

# The caller's public IPv4 address, for firewall rules: GPC_MY_IP, else
# checkip.amazonaws.com (answers anyone, whatever the cloud).
gpc_my_ip() {
  local ip=${GPC_MY_IP:-}
  if [[ -z $ip ]]; then
    gpc_require curl
    ip=$(curl -fsS --max-time 10 https://checkip.amazonaws.com 2>/dev/null | tr -d '[:space:]') ||
      gpc_die "cannot look up your public address (set ${GPC_ENV_PREFIX}_MY_IP=a.b.c.d)"
  fi
  gpc_is_ipv4 "$ip" || gpc_die "caller address '$ip' is not an IPv4 address (${GPC_ENV_PREFIX}_MY_IP)"
  printf '%s\n' "$ip"
}

# Who launches: GPC_OWNER, else the login name; safe for tags and resource names.
gpc_owner() {
  local o=${GPC_OWNER:-${USER:-}}
  [[ -n $o ]] || o=$(id -un 2>/dev/null || echo unknown)
  printf '%s\n' "$o" | tr -c 'A-Za-z0-9._@\n-' '-'
}

# Runs a long call (a cloud waiter) in the background and waits for it, so a
# TERM/INT trap runs at once instead of after the call; gpc_kill_bg ends it.
gpc_interruptible() {
  "$@" &
  GPC_BG_PID=$!
  local rc=0
  wait "$GPC_BG_PID" || rc=$?
  GPC_BG_PID=""
  return "$rc"
}

gpc_kill_bg() {
  if [[ -n ${GPC_BG_PID:-} ]]; then kill "$GPC_BG_PID" 2>/dev/null || true; fi
  GPC_BG_PID=""
}

# Tab-separated rows on stdin as aligned columns, two spaces apart (column -t without util-linux's
# column, which macOS and minimal Debian/Ubuntu lack).
gpc_align_columns() {
  awk -F'\t' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
                 if (NF > nf) nf = NF }
               END { for (r = 1; r <= NR; r++) { line = ""
                       for (i = 1; i < nf; i++) line = line sprintf("%-" w[i] "s  ", cell[r, i])
                       print line cell[r, nf] } }'
}

gpc_check_port() { [[ $1 =~ ^[0-9]+$ && $1 -ge 1 && $1 -le 65535 ]] || gpc_die "bad port '$1'"; }

# ---- the local gpuprobe --------------------------------------------------------
# GPUPROBE_BIN, else build/gpuprobe of this repository, else gpuprobe on PATH.
gpc_local_gpuprobe() {
  if [[ -n ${GPUPROBE_BIN:-} ]]; then
    [[ -x $GPUPROBE_BIN ]] && { printf '%s\n' "$GPUPROBE_BIN"; return 0; }
    return 1
  fi
  if [[ -x $GPC_REPO/build/gpuprobe ]]; then printf '%s\n' "$GPC_REPO/build/gpuprobe"; return 0; fi
  command -v gpuprobe 2>/dev/null
}
