# shellcheck shell=bash
# gpuprobe-aws status, ssh, list, down.

gpa_help_status() {
  cat <<'EOF'
Usage: gpuprobe-aws status [--name NAME] [--region R]

Show the recorded instance: id, type, state, address, uptime, cost so far (when
the price is known), expiry, security group, key, and whether a Jupyter tunnel
is open. Exits 1 when nothing is recorded under NAME.
EOF
}

gpa_help_ssh() {
  cat <<'EOF'
Usage: gpuprobe-aws ssh [--name NAME] [-- COMMAND...]

Open a shell on the recorded instance, or run COMMAND there. Uses the key kept
in the state directory, a per-instance known_hosts file (accept-new), and
GPUPROBE_AWS_SSH_CONFIG (an ssh config file for ProxyJump / bastions) when set.
GPUPROBE_AWS_SSH_HOST overrides the address, GPUPROBE_AWS_SSH_USER the user;
GPUPROBE_AWS_ADDRESS=private connects to the private IP.
EOF
}

gpa_help_list() {
  cat <<'EOF'
Usage: gpuprobe-aws list [--region R] [--json] [--fail-if-any]

The leak finder: every instance tagged project=gpuprobe in the region that is
not terminated, whoever launched it, with uptime, expiry, price per hour and
cost so far (price from `gpuprobe instances` when available), and whether this
machine has a state file for it ("-" = no local record: a likely leak).
  --json         machine-readable output
  --fail-if-any  exit 1 when at least one instance is found (for cron/CI)
EOF
}

gpa_help_down() {
  cat <<'EOF'
Usage: gpuprobe-aws down [--name NAME] [--all] [--region R]

Terminate the recorded instance, wait until it is terminated, close its tunnel,
then delete the security group and the key pair that `up` created for it
(never ones it only reused) and forget it. Idempotent: running it again, or
with nothing recorded, succeeds and says so.
  --all   every instance recorded in the state directory for the region, then
          every other instance tagged project=gpuprobe there (leaks included)
EOF
}

cmd_status() {
  while [[ $# -gt 0 ]]; do
    gpa_common_opt "$@"
    if [[ $GPA_SHIFT -gt 0 ]]; then shift "$GPA_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpa_help_status; return 0 ;;
      *) gpa_die "status: unknown argument '$1'" ;;
    esac
  done
  gpa_need_state
  local id desc st launch price
  id=$(gpa_state_get INSTANCE_ID)
  desc=$(gpa_aws ec2 describe-instances --instance-ids "$id" --output json 2>/dev/null || echo '{}')
  st=$(jq -r '.Reservations[0].Instances[0].State.Name // "not-found"' <<<"$desc")
  launch=$(jq -r '.Reservations[0].Instances[0].LaunchTime // empty' <<<"$desc")
  price=$(gpa_state_get PRICE_PER_HOUR)
  echo "name:      $GPA_NAME"
  echo "instance:  $id ($(gpa_state_get INSTANCE_TYPE), $GPA_REGION)"
  echo "state:     $st"
  echo "address:   $(gpa_state_get PUBLIC_IP)${GPUPROBE_AWS_SSH_HOST:+ (ssh via $GPUPROBE_AWS_SSH_HOST)}"
  if [[ -n $launch ]]; then
    jq -rn --arg t "$launch" --arg p "$price" '
      ($t[0:19] + "Z" | fromdateiso8601) as $l | ((now - $l) / 3600) as $h
      | "uptime:    \($h * 100 | floor / 100) h"
        + (if $p != "" then "\ncost:      ~$\($h * ($p | tonumber) * 100 | ceil / 100) so far at $\($p)/h" else "\ncost:      unknown (no price)" end)'
  fi
  echo "expires:   $(gpa_state_get EXPIRES_AT)"
  echo "group:     $(gpa_state_get SG_ID)"
  echo "key:       $(gpa_state_get KEY_NAME) ($(gpa_state_get KEY_FILE))"
  if gpa_tunnel_alive; then
    echo "tunnel:    open, http://localhost:$(gpa_state_get TUNNEL_LOCAL_PORT) -> instance 127.0.0.1:$(gpa_state_get TUNNEL_REMOTE_PORT)"
  else
    echo "tunnel:    none"
  fi
}

cmd_ssh() {
  while [[ $# -gt 0 ]]; do
    gpa_common_opt "$@"
    if [[ $GPA_SHIFT -gt 0 ]]; then shift "$GPA_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpa_help_ssh; return 0 ;;
      --) shift; break ;;
      *) gpa_die "ssh: unknown argument '$1' (put the remote command after --)" ;;
    esac
  done
  gpa_need_state
  gpa_ssh_opts
  local target
  target=$(gpa_ssh_target)
  exec ssh "${GPA_SSH_OPTS[@]}" "$target" "$@"
}

cmd_list() {
  local json=0 fail=0
  while [[ $# -gt 0 ]]; do
    gpa_common_opt "$@"
    if [[ $GPA_SHIFT -gt 0 ]]; then shift "$GPA_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpa_help_list; return 0 ;;
      --json) json=1; shift ;;
      --fail-if-any) fail=1; shift ;;
      *) gpa_die "list: unknown argument '$1'" ;;
    esac
  done
  gpa_require jq
  gpa_resolve_region
  local desc known="" n prices="{}" types t p
  desc=$(gpa_aws ec2 describe-instances --output json \
    --filters "Name=tag:project,Values=$GPA_PROJECT_TAG" \
    "Name=instance-state-name,Values=pending,running,stopping,stopped,shutting-down")
  # instance ids this machine knows about
  local nm
  while IFS= read -r nm; do
    [[ -n $nm ]] || continue
    gpa_state_load "$nm" && known+="$(gpa_state_get INSTANCE_ID)=$nm"$'\n'
  done < <(gpa_state_names)
  # prices per type, from the local gpuprobe catalog when it has one
  types=$(jq -r '[.Reservations[].Instances[].InstanceType] | unique | .[]' <<<"$desc")
  if gpa_gpuprobe_has instances; then
    for t in $types; do
      p=$(gpa_price_for_type "$t")
      [[ -n $p ]] && prices=$(jq -c --arg t "$t" --arg p "$p" '. + {($t): ($p | tonumber)}' <<<"$prices")
    done
  fi
  local rows
  rows=$(jq -c --arg known "$known" --argjson prices "$prices" '
    ($known | split("\n") | map(select(. != "") | split("=") | {key: .[0], value: .[1]}) | from_entries) as $k
    | [.Reservations[].Instances[]
       | ((.Tags // []) | map({key: .Key, value: .Value}) | from_entries) as $tags
       | ((.LaunchTime // "")[0:19] + "Z" | try fromdateiso8601 catch null) as $l
       | (if $l then (now - $l) / 3600 else null end) as $h
       | {id: .InstanceId, type: .InstanceType, state: .State.Name,
          launched: .LaunchTime, uptime_h: (if $h then ($h * 100 | floor) / 100 else null end),
          usd_per_hour: ($prices[.InstanceType] // null),
          cost_usd: (if $h and $prices[.InstanceType] then ($h * $prices[.InstanceType] * 100 | ceil) / 100 else null end),
          expires_at: ($tags["expires-at"] // null), owner: ($tags.owner // null),
          name: ($tags["gpuprobe-name"] // null), local_state: ($k[.InstanceId] // null),
          address: (.PublicIpAddress // null)}]' <<<"$desc")
  n=$(jq length <<<"$rows")
  if [[ $json == 1 ]]; then
    jq . <<<"$rows"
  elif [[ $n == 0 ]]; then
    echo "no gpuprobe instances in $GPA_REGION"
  else
    {
      printf 'INSTANCE\tTYPE\tSTATE\tUPTIME_H\tUSD_H\tCOST_USD\tEXPIRES_AT\tOWNER\tLOCAL\n'
      jq -r '.[] | [.id, .type, .state, (.uptime_h // "?"), (.usd_per_hour // "?"), (.cost_usd // "?"),
                    (.expires_at // "-"), (.owner // "-"), (.local_state // "-")] | @tsv' <<<"$rows"
    } | gpa_align_columns
    echo "$n instance(s) in $GPA_REGION; LOCAL '-' = not recorded on this machine (leaked?): gpuprobe-aws down --all ends them"
  fi
  if [[ $fail == 1 && $n != 0 ]]; then return 1; fi
  return 0
}

# Tab-separated rows on stdin as aligned columns, two spaces apart (column -t without util-linux's
# column, which macOS and minimal Debian/Ubuntu lack).
gpa_align_columns() {
  awk -F'\t' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
                 if (NF > nf) nf = NF }
               END { for (r = 1; r <= NR; r++) { line = ""
                       for (i = 1; i < nf; i++) line = line sprintf("%-" w[i] "s  ", cell[r, i])
                       print line cell[r, nf] } }'
}

# Terminate + wait + delete SG/key for the loaded state (GPA_STATE, GPA_NAME).
gpa_down_current() {
  local id sg key st i
  id=$(gpa_state_get INSTANCE_ID)
  sg=$(gpa_state_get SG_ID)
  key=$(gpa_state_get KEY_NAME)
  gpa_tunnel_close_current || true
  if [[ -n $id ]]; then
    st=$(gpa_aws ec2 describe-instances --instance-ids "$id" --query 'Reservations[0].Instances[0].State.Name' --output text 2>/dev/null || echo not-found)
    if [[ $st != terminated && $st != not-found && $st != None ]]; then
      gpa_say "terminating $id"
      gpa_aws ec2 terminate-instances --instance-ids "$id" --output json >/dev/null
    fi
    if [[ $st != not-found && $st != None ]]; then
      gpa_aws ec2 wait instance-terminated --instance-ids "$id"
      gpa_say "$id terminated"
    else
      gpa_say "$id no longer exists"
    fi
    rm -f "$GPA_STATE_DIR/known_hosts.d/$id"
  fi
  if [[ -n $sg && $(gpa_state_get SG_CREATED) == 1 ]] && ! gpa_other_state_uses SG_ID "$sg"; then
    # An SG can be deleted only once no instance uses it; termination can lag.
    for ((i = 1; i <= 10; i++)); do
      local out
      if out=$(gpa_aws ec2 delete-security-group --group-id "$sg" 2>&1); then
        gpa_say "deleted security group $sg"
        break
      elif [[ $out == *InvalidGroup.NotFound* ]]; then
        break
      elif [[ $out == *DependencyViolation* && $i -lt 10 ]]; then
        sleep "${GPUPROBE_AWS_SG_RETRY_S:-6}"
      else
        gpa_warn "could not delete security group $sg: $out"
        return 1
      fi
    done
  fi
  if [[ -n $key && $(gpa_state_get KEY_CREATED) == 1 ]] && ! gpa_other_state_uses KEY_NAME "$key"; then
    gpa_aws ec2 delete-key-pair --key-name "$key" >/dev/null 2>&1 || true
    if [[ $(gpa_state_get KEY_FILE_CREATED) == 1 ]]; then
      rm -f "$(gpa_state_get KEY_FILE)"
      gpa_say "deleted key pair $key and its private key"
    else
      gpa_say "deleted key pair $key (kept your key file $(gpa_state_get KEY_FILE))"
    fi
  fi
  gpa_state_remove
}

gpa_other_state_uses() { # KEY VALUE: does another recorded name use it?
  local nm f
  for nm in $(gpa_state_names); do
    [[ $nm == "$GPA_NAME" ]] && continue
    f=$(gpa_state_file "$nm")
    grep -qxF "$1=$2" "$f" && return 0
  done
  return 1
}

cmd_down() {
  local all=0
  while [[ $# -gt 0 ]]; do
    gpa_common_opt "$@"
    if [[ $GPA_SHIFT -gt 0 ]]; then shift "$GPA_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpa_help_down; return 0 ;;
      --all) all=1; shift ;;
      *) gpa_die "down: unknown argument '$1'" ;;
    esac
  done
  gpa_require jq
  if [[ $all == 0 ]]; then
    if ! gpa_state_load "$GPA_NAME"; then
      gpa_say "nothing recorded under '$GPA_NAME': nothing to do"
      return 0
    fi
    gpa_resolve_region "$(gpa_state_get REGION)"
    gpa_down_current
    return 0
  fi
  gpa_resolve_region
  local region=$GPA_REGION nm rc=0 ids
  for nm in $(gpa_state_names); do
    gpa_state_load "$nm" || continue
    [[ $(gpa_state_get REGION) == "$region" ]] || continue
    GPA_NAME=$nm
    gpa_down_current || rc=1
  done
  ids=$(gpa_aws ec2 describe-instances --filters "Name=tag:project,Values=$GPA_PROJECT_TAG" \
    "Name=instance-state-name,Values=pending,running,stopping,stopped" \
    --query 'Reservations[].Instances[].InstanceId' --output text)
  if [[ -n ${ids//[[:space:]]/} ]]; then
    gpa_say "terminating unrecorded gpuprobe instances: ${ids//[[:space:]]/ }"
    # shellcheck disable=SC2086
    gpa_aws ec2 terminate-instances --instance-ids $ids --output json >/dev/null
    # shellcheck disable=SC2086
    gpa_aws ec2 wait instance-terminated --instance-ids $ids
  fi
  gpa_say "no gpuprobe instance left in $region"
  return "$rc"
}
