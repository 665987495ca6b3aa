# shellcheck shell=bash
# The instance's life: the `up`, `status`, `list` and `down` commands. The
# cloud calls are the provider's (provider_up, provider_status, provider_list,
# provider_down, provider_terminate); the state, the order of the steps and
# the output are here.

gpc_help_up() { provider_help_up; }

gpc_help_status() {
  gpc_help_text <<'EOF'
Usage: @TOOL@ status [--name NAME] [--region R]

Show the recorded instance: id, type, state, address, uptime, cost so far (when
the price is known), expiry, security group, key, and whether a Jupyter tunnel
is open. Exits 1 when nothing is recorded under NAME.
EOF
}

gpc_help_list() {
  gpc_help_text <<'EOF'
Usage: @TOOL@ list [--region R] [--json] [--fail-if-any]

The leak finder: every instance tagged project=gpuprobe in the region that is
not terminated, whoever launched it, with uptime, expiry, price per hour and
cost so far (price from `gpuprobe instances` when available), and whether this
machine has a state file for it ("-" = no local record: a likely leak).
  --json         machine-readable output
  --fail-if-any  exit 1 when at least one instance is found (for cron/CI)
EOF
}

gpc_help_down() {
  gpc_help_text <<'EOF'
Usage: @TOOL@ down [--name NAME] [--all] [--region R]

Terminate the recorded instance, wait until it is terminated, close its tunnel,
then delete the security group and the key pair that `up` created for it
(never ones it only reused) and forget it. Idempotent: running it again, or
with nothing recorded, succeeds and says so.
  --all   every instance recorded in the state directory for the region, then
          every other instance tagged project=gpuprobe there (leaks included)
EOF
}

# ---- up ----------------------------------------------------------------------
# Runs on every exit of up before it finished: nothing it made may outlive a
# failure, unless --keep-on-failure.
gpc_up_cleanup() {
  local rc=$? id
  trap - EXIT INT TERM
  gpc_kill_bg
  [[ ${GPC_UP_DONE:-0} == 1 ]] && return "$rc"
  [[ $rc == 0 ]] && rc=1
  id=$(gpc_state_get INSTANCE_ID)
  if [[ -n $id && ${GPC_UP_KEEP:-0} == 1 ]]; then
    gpc_warn "up failed; --keep-on-failure: instance $id left running ($GPC_TOOL down --name $GPC_NAME ends it)"
    exit "$rc"
  fi
  provider_up_abort || exit "$rc"
  GPC_QUIET=0 gpc_down_current ||
    gpc_warn "cleanup incomplete: run '$GPC_TOOL down --name $GPC_NAME' and check '$GPC_TOOL list'"
  exit "$rc"
}

cmd_up() {
  local type=$PROVIDER_DEFAULT_TYPE max_hours=4 user=ubuntu
  GPC_UP_KEEP=0
  while [[ $# -gt 0 ]]; do
    gpc_common_opt_and provider_up_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_help_up; return 0 ;;
      --type) gpc_need_arg "$@"; type=$2; shift 2 ;;
      --max-hours) gpc_need_arg "$@"; max_hours=$2; shift 2 ;;
      --user) gpc_need_arg "$@"; user=$2; shift 2 ;;
      --keep-on-failure) GPC_UP_KEEP=1; shift ;;
      *) gpc_die "up: unknown argument '$1' (see $GPC_TOOL up --help)" ;;
    esac
  done
  provider_check_type "$type" || gpc_die "--type '$type' does not look like an instance type"
  [[ $max_hours =~ ^[0-9]+([.][0-9]+)?$ ]] || gpc_die "--max-hours must be a positive number of hours"
  local minutes
  minutes=$(awk -v h="$max_hours" 'BEGIN { m = int(h * 60 + 0.5); print m }')
  [[ $minutes -ge 1 ]] || gpc_die "--max-hours must be at least one minute"
  gpc_require jq ssh-keygen
  gpc_state_init_dirs

  # An instance already recorded under this name and alive: report it, do nothing.
  if gpc_state_load "$GPC_NAME"; then
    provider_preflight "$(gpc_state_get REGION)"
    local cur st
    cur=$(gpc_state_get INSTANCE_ID)
    st=$(provider_status "$cur" | jq -r '.state // empty')
    if [[ $st == pending || $st == running ]]; then
      gpc_say "'$GPC_NAME' is already up: $cur ($st); '$GPC_TOOL down$(gpc_name_opt)' ends it"
      gpc_print_connect
      return 0
    fi
    if [[ $st == stopping || $st == stopped ]]; then
      gpc_die "'$GPC_NAME' is $cur, $st (stopped by hand?): start it again, or end it with '$GPC_TOOL down$(gpc_name_opt)'"
    fi
    gpc_say "previous instance $cur of '$GPC_NAME' is ${st:-gone}; launching a new one"
    gpc_state_remove
    # shellcheck disable=SC2034 # GPC_STATE is read through gpc_state_get
    GPC_STATE=()
  fi
  provider_preflight

  GPC_UP_DONE=0
  trap gpc_up_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Fills GPC_STATE and saves it as soon as the instance exists, so `down` and
  # `list` know it even if we are killed while waiting.
  provider_up "$type" "$minutes" "$max_hours" "$user"
  gpc_state_set PRICE_PER_HOUR "$(provider_price "$type")"
  gpc_state_save
  GPC_UP_DONE=1
  trap - EXIT INT TERM
  gpc_say "$(gpc_state_get INSTANCE_ID) is up (status ok)"
  gpc_print_connect
}

gpc_print_connect() {
  local price ip
  price=$(gpc_state_get PRICE_PER_HOUR)
  ip=$(gpc_state_get PUBLIC_IP)
  echo "instance:  $(gpc_state_get INSTANCE_ID) ($(gpc_state_get INSTANCE_TYPE), $(gpc_state_get REGION))"
  echo "address:   ${ip:-none (no public IP)}"
  echo "expires:   $(gpc_state_get EXPIRES_AT) (powers off and terminates itself)"
  if [[ -n $price ]]; then
    echo "price:     \$$price per hour (on demand, from gpuprobe instances)"
  else
    echo "price:     unknown (no local gpuprobe, or its 'instances' catalog lacks the type)"
  fi
  echo "ssh:       $GPC_TOOL ssh$(gpc_name_opt)"
  if [[ -n $ip ]]; then
    echo "           ssh -i $(gpc_state_get KEY_FILE) $(gpc_state_get SSH_USER)@$ip"
  fi
}

# ---- status ------------------------------------------------------------------
cmd_status() {
  while [[ $# -gt 0 ]]; do
    gpc_common_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_help_status; return 0 ;;
      *) gpc_die "status: unknown argument '$1'" ;;
    esac
  done
  gpc_need_state
  local id desc st launch price
  id=$(gpc_state_get INSTANCE_ID)
  desc=$(provider_status "$id")
  st=$(jq -r '.state // "not-found"' <<<"$desc")
  launch=$(jq -r '.launched // empty' <<<"$desc")
  price=$(gpc_state_get PRICE_PER_HOUR)
  echo "name:      $GPC_NAME"
  echo "instance:  $id ($(gpc_state_get INSTANCE_TYPE), $GPC_REGION)"
  echo "state:     $st"
  echo "address:   $(gpc_state_get PUBLIC_IP)${GPC_SSH_HOST:+ (ssh via $GPC_SSH_HOST)}"
  if [[ -n $launch ]]; then
    jq -rn --arg t "$launch" --arg p "$price" '
      ($t[0:19] + "Z" | fromdateiso8601) as $l | ((now - $l) / 3600) as $h
      | "uptime:    \($h * 100 | floor / 100) h"
        + (if $p != "" then "\ncost:      ~$\($h * ($p | tonumber) * 100 | ceil / 100) so far at $\($p)/h" else "\ncost:      unknown (no price)" end)'
  fi
  echo "expires:   $(gpc_state_get EXPIRES_AT)"
  provider_status_lines
  if gpc_tunnel_alive; then
    echo "tunnel:    open, http://localhost:$(gpc_state_get TUNNEL_LOCAL_PORT) -> instance 127.0.0.1:$(gpc_state_get TUNNEL_REMOTE_PORT)"
  else
    echo "tunnel:    none"
  fi
}

# ---- list --------------------------------------------------------------------
cmd_list() {
  local json=0 fail=0
  while [[ $# -gt 0 ]]; do
    gpc_common_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_help_list; return 0 ;;
      --json) json=1; shift ;;
      --fail-if-any) fail=1; shift ;;
      *) gpc_die "list: unknown argument '$1'" ;;
    esac
  done
  gpc_require jq
  provider_preflight
  local found known="" n prices="{}" t p nm
  found=$(provider_list)
  # instance ids this machine knows about
  while IFS= read -r nm; do
    [[ -n $nm ]] || continue
    gpc_state_load "$nm" && known+="$(gpc_state_get INSTANCE_ID)=$nm"$'\n'
  done < <(gpc_state_names)
  # prices per type, from the local gpuprobe's catalog
  for t in $(jq -r '[.[].type] | unique | .[]' <<<"$found"); do
    p=$(provider_price "$t")
    [[ -n $p ]] && prices=$(jq -c --arg t "$t" --arg p "$p" '. + {($t): ($p | tonumber)}' <<<"$prices")
  done
  local rows
  rows=$(jq -c --arg known "$known" --argjson prices "$prices" '
    ($known | split("\n") | map(select(. != "") | split("=") | {key: .[0], value: .[1]}) | from_entries) as $k
    | [.[]
       | ((.launched // "")[0:19] + "Z" | try fromdateiso8601 catch null) as $l
       | (if $l then (now - $l) / 3600 else null end) as $h
       | {id, type, state, launched,
          uptime_h: (if $h then ($h * 100 | floor) / 100 else null end),
          usd_per_hour: ($prices[.type] // null),
          cost_usd: (if $h and $prices[.type] then ($h * $prices[.type] * 100 | ceil) / 100 else null end),
          expires_at, owner, name, local_state: ($k[.id] // null), address}]' <<<"$found")
  n=$(jq length <<<"$rows")
  if [[ $json == 1 ]]; then
    jq . <<<"$rows"
  elif [[ $n == 0 ]]; then
    echo "no gpuprobe instances in $GPC_REGION"
  else
    {
      printf 'INSTANCE\tTYPE\tSTATE\tUPTIME_H\tUSD_H\tCOST_USD\tEXPIRES_AT\tOWNER\tLOCAL\n'
      jq -r '.[] | [.id, .type, .state, (.uptime_h // "?"), (.usd_per_hour // "?"), (.cost_usd // "?"),
                    (.expires_at // "-"), (.owner // "-"), (.local_state // "-")] | @tsv' <<<"$rows"
    } | gpc_align_columns
    echo "$n instance(s) in $GPC_REGION; LOCAL '-' = not recorded on this machine (leaked?): $GPC_TOOL down --all ends them"
  fi
  if [[ $fail == 1 && $n != 0 ]]; then return 1; fi
  return 0
}

# ---- down --------------------------------------------------------------------
# Ends the loaded state's instance and what up made for it, then forgets it.
gpc_down_current() {
  local id rc
  id=$(gpc_state_get INSTANCE_ID)
  gpc_tunnel_close_current || true
  provider_down
  rc=$? # non-zero only where errexit is off (down --all, up's cleanup): keep the state then
  [[ -n $id ]] && rm -f "$GPC_STATE_DIR/known_hosts.d/$id"
  [[ $rc == 0 ]] || return "$rc"
  gpc_state_remove
}

cmd_down() {
  local all=0
  while [[ $# -gt 0 ]]; do
    gpc_common_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_help_down; return 0 ;;
      --all) all=1; shift ;;
      *) gpc_die "down: unknown argument '$1'" ;;
    esac
  done
  gpc_require jq
  if [[ $all == 0 ]]; then
    if ! gpc_state_load "$GPC_NAME"; then
      gpc_say "nothing recorded under '$GPC_NAME': nothing to do"
      return 0
    fi
    provider_preflight "$(gpc_state_get REGION)"
    gpc_down_current
    return 0
  fi
  provider_preflight
  local region=$GPC_REGION nm rc=0 ids
  for nm in $(gpc_state_names); do
    gpc_state_load "$nm" || continue
    [[ $(gpc_state_get REGION) == "$region" ]] || continue
    GPC_NAME=$nm
    gpc_down_current || rc=1
  done
  ids=$(provider_list | jq -r '.[] | select(.state != "shutting-down") | .id')
  if [[ -n $ids ]]; then
    gpc_say "terminating unrecorded gpuprobe instances: ${ids//[[:space:]]/ }"
    # shellcheck disable=SC2086 # one id per word
    provider_terminate $ids
  fi
  gpc_say "no gpuprobe instance left in $region"
  return "$rc"
}
