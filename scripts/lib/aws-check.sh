# shellcheck shell=bash
# gpuprobe-aws check and sweep.

gpa_help_check() {
  cat <<'EOF'
Usage: gpuprobe-aws check [--name NAME] [--repo DIR] [--source auto|git|tree]
                          [--local-report FILE | --no-local] [--out DIR]
                          [--image TAG] [--dockerfile PATH] [--no-gpus] [--no-bench]

Check the remote environment against the local one, in one command:
  1. get the code onto the instance, into ~/gpuprobe-remote/NAME/src:
       git   clone the repository's remote (origin) there and check out the
             local commit (must be pushed; uncommitted changes are not included)
       tree  stream the working tree (tracked + untracked, .gitignore honoured,
             build/ and .git left out) over ssh with tar
       auto  git when the tree is clean and HEAD is on a remote branch, else tree
  2. docker build -f DOCKERFILE -t TAG . on the instance (DOCKERFILE: --dockerfile,
     else docker/Dockerfile when the tree has one, else Dockerfile; context: the root)
  3. docker run --rm --gpus all ... gpuprobe check --json /out/check.json, and
     gpuprobe bench --suite smoke --json /out/bench.json when the image's
     gpuprobe has `bench` (listed by `gpuprobe --help`)
  4. copy the reports back to --out (default STATE_DIR/reports/NAME-TIMESTAMP)
  5. gpuprobe compare LOCAL REMOTE, where LOCAL is --local-report or made now by
     the local gpuprobe (GPUPROBE_BIN, build/gpuprobe, or PATH), and print it.
     When the local gpuprobe has no `compare` yet, the report paths are printed
     and the step is reported as unavailable; that alone is not a failure.
Exit status: the remote `gpuprobe check` status when it is not 0 (the remote
environment has findings; the report is still fetched), else compare's status,
else 0. 1 for a failure of this script (ssh, build, copy).
  --no-local   no local report and no compare (used by sweep)
  --image TAG  image tag to build and run (default gpuprobe-aws:check)
  --no-gpus    run without --gpus all (to see what a misconfigured run reports)
  --no-bench   skip the smoke bench
EOF
}

gpa_help_sweep() {
  cat <<'EOF'
Usage: gpuprobe-aws sweep --types g4dn.xlarge,g5.xlarge,g6.xlarge [--parallel 2]
                          [--out DIR] [--region R] [--max-hours 2] [--spot]
                          [--ami ID | --ami-param NAME] [--key NAME]
                          [--repo DIR] [--source auto|git|tree]

For each instance type: up -> check (gpuprobe check + bench --suite smoke on the
instance) -> fetch the reports -> down, at most --parallel types at a time
(default 2). Every instance is terminated whatever happens: each step runs its
own down, and on exit (also on failure or Ctrl-C) the sweep downs whatever is
still recorded and terminates any instance tagged with this sweep's id.
Then runs an N-way `gpuprobe compare --label TYPE,... REPORT...` over the
per-type reports (perf per dollar from gpuprobe's own price catalog), or prints
where the reports are when the local gpuprobe has no compare.
Per-type logs and reports go to --out (default STATE_DIR/sweeps/ID).
Exit status 0 only when every type completed (up, check, down).
EOF
}

# Remote part of check. Args: DIR IMAGE GPUS(0/1) BENCH(0/1) DOCKERFILE(relative to src; empty: auto)
# stdout: only the final "GPA-RESULT ..." line; everything else goes to stderr.
# shellcheck disable=SC2016 # expanded remotely
GPA_REMOTE_CHECK='set -u
cd
dir=$1 image=$2 gpus=$3 bench=$4 df=${5:-}
case $dir in /*) ;; *) dir=$HOME/$dir ;; esac
command -v docker >/dev/null || { echo "docker not found on the instance" >&2; exit 10; }
mkdir -p "$dir/out" && rm -f "$dir/out/check.json" "$dir/out/bench.json"
if [ -z "$df" ]; then if [ -f "$dir/src/docker/Dockerfile" ]; then df=docker/Dockerfile; else df=Dockerfile; fi; fi
echo "== docker build -f $df -t $image" >&2
docker build -f "$dir/src/$df" -t "$image" "$dir/src" >&2 || { echo "docker build failed" >&2; exit 12; }
g=""; [ "$gpus" = 1 ] && g="--gpus all"
echo "== docker run --rm $g $image gpuprobe check" >&2
# shellcheck disable=SC2086
docker run --rm $g -v "$dir/out:/out" --entrypoint gpuprobe "$image" check --json /out/check.json >&2
crc=$?
brc=skipped
if [ "$bench" = 1 ]; then
  # the image'"'"'s gpuprobe lists its subcommands in --help
  if docker run --rm --entrypoint gpuprobe "$image" --help 2>/dev/null | grep -qE "^[[:space:]]+bench([[:space:]]|\$)"; then
    echo "== docker run --rm $g $image gpuprobe bench --suite smoke" >&2
    # shellcheck disable=SC2086
    docker run --rm $g -v "$dir/out:/out" --entrypoint gpuprobe "$image" bench --suite smoke --json /out/bench.json >&2
    brc=$?
  else
    brc=unsupported
  fi
fi
echo "GPA-RESULT check=$crc bench=$brc dir=$dir"'

# Sends the code to the instance. Sets nothing; dies on failure.
gpa_sync_code() { # REPO SOURCE REMOTE_DIR GIT_REMOTE
  local repo=$1 source=$2 rdir=$3 gremote=$4 url commit
  if [[ $source == auto ]]; then
    source=tree
    if git -C "$repo" rev-parse --verify -q HEAD >/dev/null 2>&1 &&
      url=$(git -C "$repo" remote get-url "$gremote" 2>/dev/null) &&
      [[ -z $(git -C "$repo" status --porcelain 2>/dev/null) ]] &&
      [[ -n $(git -C "$repo" branch -r --contains HEAD 2>/dev/null) ]]; then
      source=git
    fi
  fi
  case $source in
    git)
      commit=$(git -C "$repo" rev-parse HEAD) || gpa_die "$repo has no commit"
      url=$(git -C "$repo" remote get-url "$gremote") || gpa_die "$repo has no remote '$gremote'"
      [[ -n $(git -C "$repo" status --porcelain) ]] && gpa_warn "uncommitted changes in $repo are not included (--source tree sends them)"
      [[ -n $(git -C "$repo" branch -r --contains HEAD 2>/dev/null) ]] ||
        gpa_warn "commit ${commit:0:12} is on no remote-tracking branch; the clone may not have it (push it, or --source tree)"
      gpa_say "remote: git clone $url at ${commit:0:12}"
      # shellcheck disable=SC2016 # expanded remotely
      gpa_ssh_script 'set -eu; cd; d=$1; case $d in /*) ;; *) d=$HOME/$d ;; esac
        mkdir -p "$d"
        if [ -d "$d/src/.git" ]; then git -C "$d/src" remote set-url origin "$2" && git -C "$d/src" fetch -q origin
        else rm -rf "$d/src" && git clone -q "$2" "$d/src"; fi
        git -C "$d/src" checkout -q --detach "$3"' "$rdir" "$url" "$commit" >&2 </dev/null ||
        gpa_die "could not clone $url at $commit on the instance"
      ;;
    tree)
      gpa_say "remote: sending the working tree of $repo"
      local -a files=()
      local f
      if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
        while IFS= read -r -d '' f; do
          [[ $f == build/* || ! -e $repo/$f ]] && continue
          files+=("$f")
        done < <(git -C "$repo" ls-files -z --cached --others --exclude-standard)
      else
        while IFS= read -r -d '' f; do
          f=${f#./}
          files+=("$f")
        done < <(cd "$repo" && find . -type f -not -path './.git/*' -not -path './build/*' -print0)
      fi
      [[ ${#files[@]} -gt 0 ]] || gpa_die "nothing to send from $repo"
      # shellcheck disable=SC2016 # expanded remotely
      printf '%s\0' "${files[@]}" | (cd "$repo" && tar --null -T - -czf -) |
        gpa_ssh_script 'set -e; cd; d=$1; case $d in /*) ;; *) d=$HOME/$d ;; esac
          rm -rf "$d/src"; mkdir -p "$d/src"; tar -xzf - -C "$d/src"' "$rdir" ||
        gpa_die "could not send the working tree"
      ;;
    *) gpa_die "--source must be auto, git or tree" ;;
  esac
}

cmd_check() {
  local repo=$GPA_REPO source=auto gremote=origin local_report="" no_local=0 out="" image=gpuprobe-aws:check
  local gpus=1 bench=1 dockerfile=""
  while [[ $# -gt 0 ]]; do
    gpa_common_opt "$@"
    if [[ $GPA_SHIFT -gt 0 ]]; then shift "$GPA_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpa_help_check; return 0 ;;
      --repo) gpa_need_arg "$@"; repo=$2; shift 2 ;;
      --source) gpa_need_arg "$@"; source=$2; shift 2 ;;
      --git-remote) gpa_need_arg "$@"; gremote=$2; shift 2 ;;
      --local-report) gpa_need_arg "$@"; local_report=$2; shift 2 ;;
      --no-local) no_local=1; shift ;;
      --out) gpa_need_arg "$@"; out=$2; shift 2 ;;
      --image) gpa_need_arg "$@"; image=$2; shift 2 ;;
      --dockerfile) gpa_need_arg "$@"; dockerfile=$2; shift 2 ;;
      --no-gpus) gpus=0; shift ;;
      --no-bench) bench=0; shift ;;
      *) gpa_die "check: unknown argument '$1'" ;;
    esac
  done
  [[ -d $repo ]] || gpa_die "--repo $repo is not a directory"
  [[ -z $local_report || -f $local_report ]] || gpa_die "--local-report $local_report does not exist"
  gpa_require jq ssh scp tar
  gpa_need_state
  [[ -n $out ]] || out="${GPUPROBE_AWS_REPORTS_DIR:-$GPA_STATE_DIR/reports}/$GPA_NAME-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$out"
  local rdir="${GPUPROBE_AWS_REMOTE_DIR:-gpuprobe-remote}/$GPA_NAME"

  gpa_say "waiting for ssh on $(gpa_ssh_target)"
  gpa_ssh_wait || gpa_die "cannot ssh to the instance"
  gpa_sync_code "$repo" "$source" "$rdir" "$gremote"

  local result crc brc adir
  result=$(gpa_ssh_script "$GPA_REMOTE_CHECK" "$rdir" "$image" "$gpus" "$bench" "$dockerfile" </dev/null) ||
    gpa_die "the remote build/run failed (see above)"
  result=$(grep '^GPA-RESULT ' <<<"$result" | tail -n1)
  [[ -n $result ]] || gpa_die "the remote step printed no result"
  crc=$(sed -n 's/.* check=\([^ ]*\).*/\1/p' <<<"$result")
  brc=$(sed -n 's/.* bench=\([^ ]*\).*/\1/p' <<<"$result")
  adir=${result##* dir=}

  local remote_report="$out/remote-check.json"
  if ! gpa_scp_from "$adir/out/check.json" "$remote_report"; then
    gpa_die "the remote gpuprobe check (exit $crc) wrote no report"
  fi
  jq -e '.schema' "$remote_report" >/dev/null 2>&1 || gpa_warn "$remote_report is not a gpuprobe JSON report"
  echo "remote report: $remote_report (gpuprobe check exit $crc)"
  case $brc in
    unsupported) echo "remote bench:  skipped (this gpuprobe has no 'bench' yet)" ;;
    skipped) echo "remote bench:  skipped (--no-bench)" ;;
    *)
      if gpa_scp_from "$adir/out/bench.json" "$out/remote-bench.json" 2>/dev/null; then
        echo "remote bench:  $out/remote-bench.json (exit $brc)"
      else
        echo "remote bench:  exit $brc, no report"
      fi
      ;;
  esac
  printf '%s\n' "$(gpa_state_get INSTANCE_TYPE)" >"$out/instance-type"

  local rc=0 gp lrc
  [[ $crc =~ ^[0-9]+$ && $crc != 0 ]] && rc=$crc
  if [[ $no_local == 1 ]]; then
    return "$rc"
  fi
  if [[ -z $local_report ]]; then
    if gp=$(gpa_local_gpuprobe); then
      local_report="$out/local-check.json"
      lrc=0
      "$gp" check --json "$local_report" >/dev/null 2>&1 || lrc=$?
      if [[ -f $local_report ]]; then
        echo "local report:  $local_report (gpuprobe check exit $lrc)"
      else
        gpa_warn "the local gpuprobe check (exit $lrc) wrote no report"
        local_report=""
      fi
    else
      echo "local report:  none (no local gpuprobe: set GPUPROBE_BIN or build it)"
    fi
  else
    echo "local report:  $local_report"
  fi
  if [[ -n $local_report ]]; then
    if gpa_gpuprobe_has compare; then
      gp=$(gpa_local_gpuprobe)
      local -a cargs=()
      gpa_compare_takes --label && cargs+=(--label "local,remote")
      echo "== gpuprobe compare local remote"
      local cmp=0
      # "--" ends the options: --label takes several values
      "$gp" compare "${cargs[@]}" -- "$local_report" "$remote_report" || cmp=$?
      [[ $rc == 0 ]] && rc=$cmp
    else
      echo "compare:       unavailable (the local gpuprobe has no 'compare' yet); compare the two reports above by hand"
    fi
  fi
  [[ $crc != 0 ]] && gpa_warn "the remote gpuprobe check exited $crc: see $remote_report"
  return "$rc"
}

cmd_sweep() {
  local types="" parallel=2 out="" max_hours=2 spot=0 ami_args=() key="" repo=$GPA_REPO source=auto
  while [[ $# -gt 0 ]]; do
    gpa_common_opt "$@"
    if [[ $GPA_SHIFT -gt 0 ]]; then shift "$GPA_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpa_help_sweep; return 0 ;;
      --types) gpa_need_arg "$@"; types=$2; shift 2 ;;
      --parallel) gpa_need_arg "$@"; parallel=$2; shift 2 ;;
      --out) gpa_need_arg "$@"; out=$2; shift 2 ;;
      --max-hours) gpa_need_arg "$@"; max_hours=$2; shift 2 ;;
      --spot) spot=1; shift ;;
      --ami | --ami-param) gpa_need_arg "$@"; ami_args+=("$1" "$2"); shift 2 ;;
      --key) gpa_need_arg "$@"; key=$2; shift 2 ;;
      --repo) gpa_need_arg "$@"; repo=$2; shift 2 ;;
      --source) gpa_need_arg "$@"; source=$2; shift 2 ;;
      *) gpa_die "sweep: unknown argument '$1'" ;;
    esac
  done
  [[ -n $types ]] || gpa_die "sweep: --types is required (e.g. --types g4dn.xlarge,g5.xlarge)"
  [[ $parallel =~ ^[1-9][0-9]*$ ]] || gpa_die "--parallel must be a positive integer"
  gpa_require jq
  gpa_resolve_region
  local -a tlist=()
  local t
  IFS=, read -r -a tlist <<<"$types"
  for t in "${tlist[@]}"; do
    [[ $t =~ ^[a-z][a-z0-9-]*\.[a-z0-9]+$ ]] || gpa_die "'$t' does not look like an instance type"
  done
  local id
  id="sweep-$(date -u +%Y%m%dT%H%M%SZ)-$$"
  [[ -n $out ]] || out="$GPA_STATE_DIR/sweeps/$id"
  mkdir -p "$out"
  GPA_SWEEP_ID=$id GPA_SWEEP_NAMES=() GPA_SWEEP_PIDS=() GPA_SWEEP_KEY=""
  for t in "${tlist[@]}"; do GPA_SWEEP_NAMES+=("$id-${t//./-}"); done
  trap gpa_sweep_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  gpa_say "sweep $id: ${tlist[*]} in $GPA_REGION, $parallel at a time; reports in $out"
  if [[ -z $key ]]; then
    # one key pair for the whole sweep, made here so parallel ups do not race for it
    gpa_state_init_dirs
    local saved_name=$GPA_NAME
    GPA_NAME=$id
    key="gpuprobe-aws-$(gpa_owner)-$id"
    gpa_ensure_key "$key"
    GPA_NAME=$saved_name
    GPA_SWEEP_KEY=$key GPA_SWEEP_KEY_FILE=$GPA_KEY_FILE
  fi

  local -a common=(--region "$GPA_REGION")
  [[ -n $GPA_PROFILE ]] && common+=(--profile "$GPA_PROFILE")
  local -a upargs=(--max-hours "$max_hours" "${ami_args[@]}")
  [[ $spot == 1 ]] && upargs+=(--spot)
  [[ -n $key ]] && upargs+=(--key "$key")
  local i running=0 nm
  for i in "${!tlist[@]}"; do
    t=${tlist[$i]} nm=${GPA_SWEEP_NAMES[$i]}
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
      GPUPROBE_AWS_EXTRA_TAGS="gpuprobe-sweep=$id ${GPUPROBE_AWS_EXTRA_TAGS:-}" \
        step "$GPA_SELF" up --name "$nm" --type "$t" "${common[@]}" "${upargs[@]}" || r_up=$?
      if [[ $r_up == 0 ]]; then
        step "$GPA_SELF" check --name "$nm" "${common[@]}" --no-local --repo "$repo" --source "$source" --out "$out/$t" || r_check=$?
      fi
      step "$GPA_SELF" down --name "$nm" "${common[@]}" || r_down=$?
      echo "up=$r_up check=$r_check down=$r_down" >"$out/$t/result"
    ) >"$out/$t/log" 2>&1 3>&- &
    GPA_SWEEP_PIDS+=($!)
    running=$((running + 1))
    gpa_say "[$t] started (log: $out/$t/log)"
  done
  local p
  for p in "${GPA_SWEEP_PIDS[@]}"; do wait "$p" || true; done

  # summary
  local rc=0 res price reports=() prices=() rtypes=() status
  printf '%-16s %-14s %-8s %-6s %s\n' TYPE RESULT USD_H CHECK REPORT
  for t in "${tlist[@]}"; do
    res=$(cat "$out/$t/result" 2>/dev/null || echo "up=? check=? down=?")
    price=$(gpa_price_for_type "$t")
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
      [[ -n $price ]] && prices+=(--price "$t=$price")
    fi
    printf '%-16s %-14s %-8s %-6s %s\n' "$t" "$status" "${price:-?}" "$crc" "$rep"
  done
  if [[ ${#reports[@]} -ge 2 ]] && gpa_gpuprobe_has compare; then
    local gp
    gp=$(gpa_local_gpuprobe)
    echo "== gpuprobe compare (${#reports[@]} reports)"
    local -a cargs=()
    if gpa_compare_takes --label; then
      local labels
      labels=$(IFS=,; echo "${rtypes[*]}")
      cargs+=(--label "$labels")
    fi
    # perf per dollar: gpuprobe compare prices the instance types from its own catalog
    # (gpuprobe instances); --price TYPE=USD is passed only to a compare that takes it
    gpa_compare_takes --price && cargs+=("${prices[@]}")
    "$gp" compare "${cargs[@]}" -- "${reports[@]}" || true
  elif [[ ${#reports[@]} -ge 2 ]]; then
    echo "compare: unavailable (the local gpuprobe has no 'compare' yet); reports listed above"
  else
    echo "compare: needs at least two reports (got ${#reports[@]})"
  fi
  return "$rc"
}

# Runs on every exit of sweep: nothing it launched may outlive it.
gpa_sweep_cleanup() {
  local rc=$? p nm ids
  trap - EXIT INT TERM
  for p in "${GPA_SWEEP_PIDS[@]}"; do
    if kill -0 "$p" 2>/dev/null; then kill -TERM "$p" 2>/dev/null || true; fi
  done
  for p in "${GPA_SWEEP_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  for nm in "${GPA_SWEEP_NAMES[@]}"; do
    if gpa_state_exists "$nm"; then
      gpa_warn "sweep: $nm still recorded, taking it down"
      "$GPA_SELF" down --name "$nm" --region "$GPA_REGION" || rc=1
    fi
  done
  ids=$(gpa_aws ec2 describe-instances --filters "Name=tag:gpuprobe-sweep,Values=$GPA_SWEEP_ID" \
    "Name=instance-state-name,Values=pending,running,stopping,stopped" \
    --query 'Reservations[].Instances[].InstanceId' --output text 2>/dev/null || true)
  if [[ -n ${ids//[[:space:]]/} ]]; then
    gpa_warn "sweep: terminating leftover instances ${ids//[[:space:]]/ }"
    # shellcheck disable=SC2086
    gpa_aws ec2 terminate-instances --instance-ids $ids --output json >/dev/null || rc=1
    # shellcheck disable=SC2086
    gpa_aws ec2 wait instance-terminated --instance-ids $ids || rc=1
  fi
  if [[ -n ${GPA_SWEEP_KEY:-} ]]; then
    gpa_aws ec2 delete-key-pair --key-name "$GPA_SWEEP_KEY" >/dev/null 2>&1 || true
    rm -f "$GPA_SWEEP_KEY_FILE"
    gpa_say "deleted the sweep key pair $GPA_SWEEP_KEY"
  fi
  exit "$rc"
}
