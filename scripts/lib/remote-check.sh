# shellcheck shell=bash
# The `check` command: build the image on the instance, run gpuprobe check and
# the smoke bench there with the GPUs, fetch the reports, compare them with a
# local report.

gpc_help_check() {
  gpc_help_text <<'EOF'
Usage: @TOOL@ check [--name NAME] [--repo DIR] [--source auto|git|tree]
                          [--local-report FILE | --no-local] [--out DIR]
                          [--image TAG] [--dockerfile PATH] [--no-gpus] [--no-bench]
       @TOOL@ check --host [--image TAG] [--json FILE] [--strict]

Check the remote environment against the local one, in one command:
  0. host preflight on the instance (scripts/lib/host-preflight.sh, sent over
     ssh): the NVIDIA driver (nvidia-smi, kernel module), the NVIDIA Container
     Toolkit (nvidia-container-cli info, nvidia-ctk), Docker's GPU runtime
     (docker info), Fabric Manager on NVSwitch machines, printed in the words
     of gpuprobe check. When the instance cannot run GPU containers at all
     (a failed check), check stops there with the fix and builds nothing.
  1. get the code onto the instance, into ~/gpuprobe-remote/NAME/src:
       git   clone the repository's remote (origin) there and check out the
             local commit (must be pushed; uncommitted changes are not included)
       tree  stream the working tree (tracked + untracked, .gitignore honoured,
             build/ and .git left out) over ssh with tar
       auto  git when the tree is clean and HEAD is on a remote branch, else tree
  2. docker build -f DOCKERFILE -t TAG . on the instance (DOCKERFILE: --dockerfile,
     else docker/Dockerfile when the tree has one, else Dockerfile; context: the root);
     then the preflight's image check: the image's NVIDIA_REQUIRE_CUDA against
     the driver (a requirement the driver does not meet stops check here)
  3. docker run --rm --gpus all ... gpuprobe check --json /out/check.json, and
     gpuprobe bench --suite smoke --json /out/bench.json (--device
     nvidia.com/gpu=all instead of --gpus all on a host set up for CDI only)
  4. copy the reports back to --out (default STATE_DIR/reports/NAME-TIMESTAMP)
  5. gpuprobe compare LOCAL REMOTE, where LOCAL is --local-report or made now by
     the local gpuprobe (GPUPROBE_BIN, build/gpuprobe, or PATH), and print it.
     Without a local gpuprobe, the report paths are printed and the step is
     reported as unavailable; that alone is not a failure.
Exit status: the preflight's when it stopped check (3: no usable driver, 1: a
failed host check); else the remote `gpuprobe check` status when it is not 0
(the remote environment has findings; the report is still fetched), else
compare's status, else 0. 1 for a failure of this script (ssh, build, copy).
  --host       only the host preflight, on this machine (no AWS, no ssh): exit
               0 passed (warnings allowed), 1 a check failed, 3 no usable NVIDIA
               driver; with --image TAG also that image's NVIDIA_REQUIRE_CUDA,
               --json FILE the findings as JSON, --strict warnings fail
  --no-local   no local report and no compare (used by sweep)
  --image TAG  image tag to build and run (default @TOOL@:check)
  --no-gpus    run without --gpus all (to see what a misconfigured run reports;
               the preflight is printed but does not stop check)
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
g=""
if [ "$gpus" = 1 ]; then
  g="--gpus all"
  hp=$dir/host-preflight.sh
  if [ -f "$hp" ]; then
    echo "== host preflight: $image against the driver" >&2
    bash "$hp" --only host-image --image "$image" >&2
    case $? in 0) ;; 3) exit 13 ;; *) exit 14 ;; esac
    g=$(bash "$hp" --gpu-flags 2>/dev/null) || g="--gpus all"
  fi
fi
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

# Sends scripts/lib/host-preflight.sh to the instance (~/RDIR/host-preflight.sh,
# where the remote check script finds it after the build), runs it there and
# prints its findings; its JSON comes back as OUT/host-preflight.json. Returns
# the preflight's status when the host cannot run GPU containers (a failed
# check) and GPUS is 1, else 0.
gpc_host_preflight() { # RDIR OUT GPUS
  local rdir=$1 out=$2 gpus=$3 q rc=0
  q=$(gpc_shquote "$rdir")
  echo "== host preflight on the instance"
  # RDIR is relative to $HOME, where the remote check script looks (cd first:
  # the login directory need not be $HOME)
  gpc_ssh "cd && mkdir -p $q/out && cat >$q/host-preflight.sh && bash $q/host-preflight.sh --json $q/out/host-preflight.json" \
    <"$GPC_LIB/host-preflight.sh" || rc=$?
  [[ $rc == 255 ]] && gpc_die "cannot run the host preflight on the instance (ssh failed)"
  gpc_ssh "cd && cat $q/out/host-preflight.json" </dev/null >"$out/host-preflight.json" 2>/dev/null || {
    rm -f "$out/host-preflight.json"
    gpc_warn "the host preflight wrote no JSON (exit $rc)"
  }
  [[ $rc == 0 ]] && return 0
  if [[ $rc == 2 ]]; then gpc_die "the host preflight refused its arguments (exit 2)"; fi
  if [[ $gpus == 0 ]]; then
    gpc_warn "the host preflight failed (exit $rc); going on because of --no-gpus"
    return 0
  fi
  gpc_warn "the instance cannot run GPU containers (host preflight exit $rc): apply the fix lines above, then run check again; nothing was built"
  return "$rc"
}

cmd_check() {
  local repo=$GPC_REPO source=auto gremote=origin local_report="" no_local=0 out="" image=$GPC_TOOL:check
  local gpus=1 bench=1 dockerfile="" host=0 image_set=0 hjson="" strict=0
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
      --image) gpc_need_arg "$@"; image=$2; image_set=1; shift 2 ;;
      --host) host=1; shift ;;
      --json) gpc_need_arg "$@"; hjson=$2; shift 2 ;;
      --strict) strict=1; shift ;;
      --dockerfile) gpc_need_arg "$@"; dockerfile=$2; shift 2 ;;
      --no-gpus) gpus=0; shift ;;
      --no-bench) bench=0; shift ;;
      *) gpc_die "check: unknown argument '$1'" ;;
    esac
  done
  if [[ $host == 1 ]]; then
    local hargs=()
    [[ $image_set == 1 ]] && hargs+=(--image "$image")
    [[ -n $hjson ]] && hargs+=(--json "$hjson")
    [[ $strict == 1 ]] && hargs+=(--strict)
    local hrc=0
    bash "$GPC_LIB/host-preflight.sh" ${hargs[@]+"${hargs[@]}"} || hrc=$?
    return "$hrc"
  fi
  [[ -z $hjson && $strict == 0 ]] || gpc_die "check: --json and --strict go with --host (the remote reports are written to --out)"
  [[ -d $repo ]] || gpc_die "--repo $repo is not a directory"
  [[ -z $local_report || -f $local_report ]] || gpc_die "--local-report $local_report does not exist"
  gpc_require jq ssh scp tar
  gpc_need_state
  [[ -n $out ]] || out="${GPC_REPORTS_DIR:-$GPC_STATE_DIR/reports}/$GPC_NAME-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$out"
  local rdir="${GPC_REMOTE_DIR:-gpuprobe-remote}/$GPC_NAME"

  gpc_say "waiting for ssh on $(gpc_ssh_target)"
  gpc_ssh_wait || gpc_die "cannot ssh to the instance"
  gpc_host_preflight "$rdir" "$out" "$gpus" || return $?
  gpc_sync_code "$repo" "$source" "$rdir" "$gremote"

  local result crc brc adir rrc=0
  result=$(gpc_ssh_script "$GPC_REMOTE_CHECK" "$rdir" "$image" "$gpus" "$bench" "$dockerfile" </dev/null) || rrc=$?
  case $rrc in
    0) ;;
    13 | 14)
      gpc_warn "the instance's driver cannot start $image (host-image above: the fix line says what to change); gpuprobe check did not run"
      return $((rrc == 13 ? 3 : 1))
      ;;
    *) gpc_die "the remote build/run failed (see above)" ;;
  esac
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
