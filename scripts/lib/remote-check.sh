# shellcheck shell=bash
# The `check` command: build the image on the instance, run gpuprobe check and
# the smoke bench there with the GPUs, fetch the reports, compare them with a
# local report.

gpc_help_check() {
  gpc_help_text <<'EOF'
Usage: @TOOL@ check [--name NAME] [--repo DIR] [--source auto|git|tree]
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
     gpuprobe bench --suite smoke --json /out/bench.json
  4. copy the reports back to --out (default STATE_DIR/reports/NAME-TIMESTAMP)
  5. gpuprobe compare LOCAL REMOTE, where LOCAL is --local-report or made now by
     the local gpuprobe (GPUPROBE_BIN, build/gpuprobe, or PATH), and print it.
     Without a local gpuprobe, the report paths are printed and the step is
     reported as unavailable; that alone is not a failure.
Exit status: the remote `gpuprobe check` status when it is not 0 (the remote
environment has findings; the report is still fetched), else compare's status,
else 0. 1 for a failure of this script (ssh, build, copy).
  --no-local   no local report and no compare (used by sweep)
  --image TAG  image tag to build and run (default @TOOL@:check)
  --no-gpus    run without --gpus all (to see what a misconfigured run reports)
  --no-bench   skip the smoke bench
EOF
}

# Remote part of check. Args: DIR IMAGE GPUS(0/1) BENCH(0/1) DOCKERFILE(relative to src; empty: auto)
# stdout: only the final "CHECK-RESULT ..." line; everything else goes to stderr.
# shellcheck disable=SC2016 # expanded remotely
GPC_REMOTE_CHECK='set -u
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
  echo "== docker run --rm $g $image gpuprobe bench --suite smoke" >&2
  # shellcheck disable=SC2086
  docker run --rm $g -v "$dir/out:/out" --entrypoint gpuprobe "$image" bench --suite smoke --json /out/bench.json >&2
  brc=$?
fi
echo "CHECK-RESULT check=$crc bench=$brc dir=$dir"'

cmd_check() {
  local repo=$GPC_REPO source=auto gremote=origin local_report="" no_local=0 out="" image=$GPC_TOOL:check
  local gpus=1 bench=1 dockerfile=""
  while [[ $# -gt 0 ]]; do
    gpc_common_opt "$@"
    if [[ $GPC_SHIFT -gt 0 ]]; then shift "$GPC_SHIFT"; continue; fi
    case $1 in
      -h | --help) gpc_help_check; return 0 ;;
      --repo) gpc_need_arg "$@"; repo=$2; shift 2 ;;
      --source) gpc_need_arg "$@"; source=$2; shift 2 ;;
      --git-remote) gpc_need_arg "$@"; gremote=$2; shift 2 ;;
      --local-report) gpc_need_arg "$@"; local_report=$2; shift 2 ;;
      --no-local) no_local=1; shift ;;
      --out) gpc_need_arg "$@"; out=$2; shift 2 ;;
      --image) gpc_need_arg "$@"; image=$2; shift 2 ;;
      --dockerfile) gpc_need_arg "$@"; dockerfile=$2; shift 2 ;;
      --no-gpus) gpus=0; shift ;;
      --no-bench) bench=0; shift ;;
      *) gpc_die "check: unknown argument '$1'" ;;
    esac
  done
  [[ -d $repo ]] || gpc_die "--repo $repo is not a directory"
  [[ -z $local_report || -f $local_report ]] || gpc_die "--local-report $local_report does not exist"
  gpc_require jq ssh scp tar
  gpc_need_state
  [[ -n $out ]] || out="${GPC_REPORTS_DIR:-$GPC_STATE_DIR/reports}/$GPC_NAME-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$out"
  local rdir="${GPC_REMOTE_DIR:-gpuprobe-remote}/$GPC_NAME"

  gpc_say "waiting for ssh on $(gpc_ssh_target)"
  gpc_ssh_wait || gpc_die "cannot ssh to the instance"
  gpc_sync_code "$repo" "$source" "$rdir" "$gremote"

  local result crc brc adir
  result=$(gpc_ssh_script "$GPC_REMOTE_CHECK" "$rdir" "$image" "$gpus" "$bench" "$dockerfile" </dev/null) ||
    gpc_die "the remote build/run failed (see above)"
  result=$(grep '^CHECK-RESULT ' <<<"$result" | tail -n1)
  [[ -n $result ]] || gpc_die "the remote step printed no result"
  crc=$(sed -n 's/.* check=\([^ ]*\).*/\1/p' <<<"$result")
  brc=$(sed -n 's/.* bench=\([^ ]*\).*/\1/p' <<<"$result")
  adir=${result##* dir=}

  local remote_report="$out/remote-check.json"
  if ! gpc_scp_from "$adir/out/check.json" "$remote_report"; then
    gpc_die "the remote gpuprobe check (exit $crc) wrote no report"
  fi
  jq -e '.schema' "$remote_report" >/dev/null 2>&1 || gpc_warn "$remote_report is not a gpuprobe JSON report"
  echo "remote report: $remote_report (gpuprobe check exit $crc)"
  if [[ $brc == skipped ]]; then
    echo "remote bench:  skipped (--no-bench)"
  elif gpc_scp_from "$adir/out/bench.json" "$out/remote-bench.json" 2>/dev/null; then
    echo "remote bench:  $out/remote-bench.json (exit $brc)"
  else
    echo "remote bench:  exit $brc, no report"
  fi
  printf '%s\n' "$(gpc_state_get INSTANCE_TYPE)" >"$out/instance-type"

  local rc=0 gp="" lrc
  [[ $crc =~ ^[0-9]+$ && $crc != 0 ]] && rc=$crc
  if [[ $no_local == 1 ]]; then
    return "$rc"
  fi
  gp=$(gpc_local_gpuprobe) || gp=""
  if [[ -n $local_report ]]; then
    echo "local report:  $local_report"
  elif [[ -n $gp ]]; then
    local_report="$out/local-check.json"
    lrc=0
    "$gp" check --json "$local_report" >/dev/null 2>&1 || lrc=$?
    if [[ -f $local_report ]]; then
      echo "local report:  $local_report (gpuprobe check exit $lrc)"
    else
      gpc_warn "the local gpuprobe check (exit $lrc) wrote no report"
      local_report=""
    fi
  else
    echo "local report:  none (no local gpuprobe: set GPUPROBE_BIN or build it)"
  fi
  if [[ -n $local_report && -n $gp ]]; then
    echo "== gpuprobe compare local remote"
    local cmp=0
    # "--" ends the options: --label takes several values
    "$gp" compare --label "local,remote" -- "$local_report" "$remote_report" || cmp=$?
    [[ $rc == 0 ]] && rc=$cmp
  elif [[ -n $local_report ]]; then
    echo "compare:       unavailable (no local gpuprobe: set GPUPROBE_BIN or build it); compare the two reports above by hand"
  fi
  [[ $crc != 0 ]] && gpc_warn "the remote gpuprobe check exited $crc: see $remote_report"
  return "$rc"
}
