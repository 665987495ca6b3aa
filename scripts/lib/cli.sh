# shellcheck shell=bash
# The command line of a cloud command: the subcommands, their dispatch, and
# the message when set -e stops a run. The entry script defines gpc_usage (its
# top-level help) and calls gpc_main "$@".

GPC_COMMANDS=(up status ssh list down check jupyter tunnel sweep help)

# Say which command failed when set -e stops us (once, in the main shell).
gpc_on_err() {
  local rc=$1 cmd=$2
  [[ $BASHPID == "$$" && -z ${GPC_ERR_SHOWN:-} ]] || return 0
  [[ $cmd == return* || $cmd == exit* || $cmd == gpc_die* ]] && return 0
  GPC_ERR_SHOWN=1
  printf '%s: error: exit %s from: %s\n' "$GPC_TOOL" "$rc" "$cmd" >&2
}

gpc_main() {
  trap 'gpc_on_err $? "$BASH_COMMAND"' ERR
  local cmd=""
  while [[ $# -gt 0 ]]; do
    gpc_common_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_usage; return 0 ;;
      --version) echo "$GPC_TOOL 1"; return 0 ;;
      -*) gpc_die "unknown option '$1' (see $GPC_TOOL --help)" ;;
      *) cmd=$1; shift; break ;;
    esac
  done
  case $cmd in
    "") gpc_usage; return 2 ;;
    help)
      if [[ $# -eq 0 ]]; then gpc_usage; return 0; fi
      local c=$1
      [[ " ${GPC_COMMANDS[*]} " == *" $c "* && $c != help ]] || gpc_die "no such command '$c'"
      "gpc_help_$c"
      ;;
    up | status | ssh | list | down | check | jupyter | tunnel | sweep) "cmd_$cmd" "$@" ;;
    *) gpc_die "unknown command '$cmd' (see $GPC_TOOL --help)" ;;
  esac
}
