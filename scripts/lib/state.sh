# shellcheck shell=bash
# What the cloud commands know about each launched instance, one state file per
# --name: $GPC_STATE_DIR/instances/NAME.state, KEY=VALUE lines, mode 0600,
# parsed (never sourced). Beside it: keys/ (private keys, 0600),
# known_hosts.d/INSTANCE_ID (host keys, trusted on first use), run/ (sockets).

declare -gA GPC_STATE=()
# The keys this library writes; the provider lists its own in PROVIDER_STATE_KEYS.
GPC_STATE_KEYS=(NAME INSTANCE_ID REGION INSTANCE_TYPE PUBLIC_IP PUBLIC_DNS PRIVATE_IP SSH_USER KEY_FILE
  LAUNCHED_AT EXPIRES_AT MAX_HOURS PRICE_PER_HOUR TUNNEL_SOCKET TUNNEL_LOCAL_PORT TUNNEL_REMOTE_PORT REMOTE_HOME)

gpc_state_file() { printf '%s/instances/%s.state\n' "$GPC_STATE_DIR" "${1:-$GPC_NAME}"; }

gpc_state_init_dirs() {
  (umask 077 && mkdir -p "$GPC_STATE_DIR/instances" "$GPC_STATE_DIR/keys" "$GPC_STATE_DIR/known_hosts.d" "$GPC_STATE_DIR/run")
}

gpc_state_exists() { [[ -f $(gpc_state_file "${1:-}") ]]; }

gpc_state_load() { # [NAME] -> GPC_STATE; returns 1 when there is none
  local f k v line
  f=$(gpc_state_file "${1:-}")
  GPC_STATE=()
  [[ -f $f ]] || return 1
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == *=* ]] || continue
    k=${line%%=*} v=${line#*=}
    [[ $k =~ ^[A-Z_]+$ ]] && GPC_STATE[$k]=$v
  done <"$f"
  return 0
}

gpc_state_get() { printf '%s' "${GPC_STATE[$1]:-}"; }
gpc_state_set() { GPC_STATE[$1]=$2; }

gpc_state_save() { # writes GPC_STATE for GPC_NAME atomically, mode 0600
  local f tmp k
  gpc_state_init_dirs
  f=$(gpc_state_file)
  tmp="$f.tmp.$$"
  GPC_STATE[NAME]=$GPC_NAME
  (
    umask 077
    {
      echo "# $GPC_TOOL state for '$GPC_NAME' - written $(gpc_now_iso)"
      for k in "${GPC_STATE_KEYS[@]}" "${PROVIDER_STATE_KEYS[@]}"; do
        if [[ -n ${GPC_STATE[$k]:-} ]]; then printf '%s=%s\n' "$k" "${GPC_STATE[$k]}"; fi
      done
    } >"$tmp"
  )
  mv -f "$tmp" "$f"
}

gpc_state_remove() { rm -f "$(gpc_state_file "${1:-}")"; }

gpc_state_names() { # every recorded name
  local f
  for f in "$GPC_STATE_DIR"/instances/*.state; do
    [[ -f $f ]] || continue
    f=${f##*/}
    printf '%s\n' "${f%.state}"
  done
}

# Loads GPC_NAME's state (dies when there is none) and selects its region.
gpc_need_state() {
  gpc_state_load "$GPC_NAME" || gpc_die "no instance recorded under the name '$GPC_NAME' (run: $GPC_TOOL up$(gpc_name_opt))"
  provider_preflight "$(gpc_state_get REGION)"
}

gpc_other_state_uses() { # KEY VALUE: does another recorded name use it?
  local nm f
  for nm in $(gpc_state_names); do
    [[ $nm == "$GPC_NAME" ]] && continue
    f=$(gpc_state_file "$nm")
    grep -qxF "$1=$2" "$f" && return 0
  done
  return 1
}
