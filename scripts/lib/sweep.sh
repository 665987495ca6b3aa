# shellcheck shell=bash
# The `sweep` command: up -> check -> down for several instance types, in
# parallel, each step a child run of the entry script ($GPC_SELF) under its
# own --name; then one gpuprobe compare over the reports. Nothing it launched
# may outlive it: every instance carries the label gpuprobe-sweep=ID, and the
# exit trap ends what is still recorded or labelled.

gpc_help_sweep() { provider_help_sweep; }

cmd_sweep() {
  local types="" parallel=2 out="" max_hours=2 repo=$GPC_REPO source=auto
  GPC_SWEEP_UP_ARGS=()
  while [[ $# -gt 0 ]]; do
    gpc_common_opt_and provider_sweep_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_help_sweep; return 0 ;;
      --types) gpc_need_arg "$@"; types=$2; shift 2 ;;
      --parallel) gpc_need_arg "$@"; parallel=$2; shift 2 ;;
      --out) gpc_need_arg "$@"; out=$2; shift 2 ;;
      --max-hours) gpc_need_arg "$@"; max_hours=$2; shift 2 ;;
      --repo) gpc_need_arg "$@"; repo=$2; shift 2 ;;
      --source) gpc_need_arg "$@"; source=$2; shift 2 ;;
      *) gpc_die "sweep: unknown argument '$1'" ;;
    esac
  done
  [[ -n $types ]] || gpc_die "sweep: --types is required (e.g. --types $PROVIDER_EXAMPLE_TYPES)"
  [[ $parallel =~ ^[1-9][0-9]*$ ]] || gpc_die "--parallel must be a positive integer"
  gpc_require jq
  provider_preflight
  local -a tlist=()
  local t
  IFS=, read -r -a tlist <<<"$types"
  for t in "${tlist[@]}"; do
    provider_check_type "$t" || gpc_die "'$t' does not look like an instance type"
  done
  local id
  id="sweep-$(date -u +%Y%m%dT%H%M%SZ)-$$"
  [[ -n $out ]] || out="$GPC_STATE_DIR/sweeps/$id"
  mkdir -p "$out"
  GPC_SWEEP_ID=$id GPC_SWEEP_NAMES=() GPC_SWEEP_PIDS=()
  for t in "${tlist[@]}"; do GPC_SWEEP_NAMES+=("$id-${t//./-}"); done
  trap gpc_sweep_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  gpc_say "sweep $id: ${tlist[*]} in $GPC_REGION, $parallel at a time; reports in $out"
  # what the parallel ups share (e.g. one key pair), made once here
  provider_sweep_begin "$id"

  local -a common=(--region "$GPC_REGION" "${PROVIDER_PASS_OPTS[@]}")
  local -a upargs=(--max-hours "$max_hours" "${GPC_SWEEP_UP_ARGS[@]}")
  local i running=0 nm
  for i in "${!tlist[@]}"; do
    t=${tlist[$i]} nm=${GPC_SWEEP_NAMES[$i]}
    if [[ $running -ge $parallel ]]; then
      wait -n || true
      running=$((running - 1))
    fi
    mkdir -p "$out/$t"
    (
      # A worker: up -> check -> down. On TERM/INT it passes the signal to the
      # step running (whose own cleanup terminates what it launched) and waits.
      trap - EXIT
      child=""
      trap '[[ -n $child ]] && kill -TERM "$child" 2>/dev/null; [[ -n $child ]] && wait "$child"; exit 143' TERM INT
      step() { "$@" & child=$!; wait "$child"; local r=$?; child=""; return "$r"; }
      r_up=0 r_check=0 r_down=0
      export "${GPC_ENV_PREFIX}_EXTRA_TAGS=gpuprobe-sweep=$id ${GPC_EXTRA_TAGS:-}"
      step "$GPC_SELF" up --name "$nm" --type "$t" "${common[@]}" "${upargs[@]}" || r_up=$?
      if [[ $r_up == 0 ]]; then
        step "$GPC_SELF" check --name "$nm" "${common[@]}" --no-local --repo "$repo" --source "$source" --out "$out/$t" || r_check=$?
      fi
      step "$GPC_SELF" down --name "$nm" "${common[@]}" || r_down=$?
      echo "up=$r_up check=$r_check down=$r_down" >"$out/$t/result"
    ) >"$out/$t/log" 2>&1 3>&- &
    GPC_SWEEP_PIDS+=($!)
    running=$((running + 1))
    gpc_say "[$t] started (log: $out/$t/log)"
  done
  local p
  for p in "${GPC_SWEEP_PIDS[@]}"; do wait "$p" || true; done

  # summary
  local rc=0 res price reports=() rtypes=() status
  printf '%-16s %-14s %-8s %-6s %s\n' TYPE RESULT USD_H CHECK REPORT
  for t in "${tlist[@]}"; do
    res=$(cat "$out/$t/result" 2>/dev/null || echo "up=? check=? down=?")
    price=$(provider_price "$t")
    local rep="-" crc
    crc=$(sed -n 's/.*check=\([^ ]*\).*/\1/p' <<<"$res")
    [[ -f $out/$t/remote-check.json ]] && rep=$out/$t/remote-check.json
    # a non-zero remote gpuprobe check is a finding (CHECK column), not a sweep failure
    if [[ $res != up=0* ]]; then status="FAILED(up)"
    elif [[ $rep == - ]]; then status="FAILED(check)"
    elif [[ $res != *" down=0" ]]; then status="FAILED(down)"
    else status=ok; fi
    [[ $status == ok ]] || rc=1
    if [[ $rep != - ]]; then
      reports+=("$rep")
      rtypes+=("$t")
    fi
    printf '%-16s %-14s %-8s %-6s %s\n' "$t" "$status" "${price:-?}" "$crc" "$rep"
  done
  local gp=""
  gp=$(gpc_local_gpuprobe) || gp=""
  if [[ ${#reports[@]} -ge 2 && -n $gp ]]; then
    echo "== gpuprobe compare (${#reports[@]} reports)"
    local labels
    labels=$(IFS=,; echo "${rtypes[*]}")
    # perf per dollar: compare prices the instance types from its own catalog
    "$gp" compare --label "$labels" -- "${reports[@]}" || true
  elif [[ ${#reports[@]} -ge 2 ]]; then
    echo "compare: unavailable (no local gpuprobe: set GPUPROBE_BIN or build it); reports listed above"
  else
    echo "compare: needs at least two reports (got ${#reports[@]})"
  fi
  return "$rc"
}

# Runs on every exit of sweep: nothing it launched may outlive it.
gpc_sweep_cleanup() {
  local rc=$? p nm ids
  trap - EXIT INT TERM
  for p in "${GPC_SWEEP_PIDS[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill -TERM "$p" 2>/dev/null || true; fi
  done
  for p in "${GPC_SWEEP_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for nm in "${GPC_SWEEP_NAMES[@]}"; do
    if gpc_state_exists "$nm"; then
      gpc_warn "sweep: $nm still recorded, taking it down"
      "$GPC_SELF" down --name "$nm" --region "$GPC_REGION" || rc=1
    fi
  done
  ids=$(provider_list "gpuprobe-sweep=$GPC_SWEEP_ID" 2>/dev/null |
    jq -r '.[] | select(.state != "shutting-down") | .id' 2>/dev/null || true)
  if [[ -n $ids ]]; then
    gpc_warn "sweep: terminating leftover instances ${ids//[[:space:]]/ }"
    # shellcheck disable=SC2086 # one id per word
    provider_terminate $ids || rc=1
  fi
  provider_sweep_end
  exit "$rc"
}
