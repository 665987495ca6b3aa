#!/usr/bin/env bats
# scripts/gpuprobe-k8s-sweep against stubs/kubectl: the calls it makes (apply, status reads and waits,
# logs, delete), what it collects and shows, and that the Jobs are deleted on success, on a failed
# Job, on a failed apply and on an interrupt.
load test_helper

setup() { k8s_sandbox; }

sweep() { "$K8S_REPO_ROOT/scripts/gpuprobe-k8s-sweep" "$@"; }

@test "help and usage errors" {
  run sweep --help
  [ "$status" -eq 0 ]
  [[ $output == *"Usage: gpuprobe-k8s-sweep --types"* ]]
  run sweep
  [ "$status" -eq 2 ]
  [[ $output == *"--types is required"* ]]
  run sweep --types x9.large
  [ "$status" -eq 2 ]
  [[ $output == *"'x9.large' is not in gpuprobe's catalog: give its GPU count as x9.large=N"* ]]
  run sweep --types g5.xlarge --timeout soon
  [ "$status" -eq 2 ]
  [ ! -s "$K8S_TEST_LOG" ]
}

@test "success: apply, wait, logs of every Job, fleet and compare, then the Jobs are deleted" {
  export K8S_TEST_STATES=g5-xlarge=complete,p5-48xlarge=complete
  run sweep --types g5.xlarge,p5.48xlarge --out out
  echo "$output"
  [ "$status" -eq 0 ]
  cat "$K8S_TEST_LOG"
  id=$(sed -n 's/^-n gpuprobe delete job -l app.kubernetes.io\/instance=\(s[0-9]*\) --ignore-not-found$/\1/p' "$K8S_TEST_LOG")
  [ -n "$id" ]
  # the order of the calls that touch the cluster
  grep -v '^kustomize' "$K8S_TEST_LOG" | sed 's/ -f .*jobs.yaml/ -f FILE/' >calls
  diff -u - calls <<EOF_CALLS
get namespace gpuprobe
apply -f FILE
-n gpuprobe get job gpuprobe-sweep-g5-xlarge-$id -o jsonpath={.status.succeeded}/{.status.failed}
-n gpuprobe get job gpuprobe-sweep-p5-48xlarge-$id -o jsonpath={.status.succeeded}/{.status.failed}
-n gpuprobe logs job/gpuprobe-sweep-g5-xlarge-$id
-n gpuprobe logs job/gpuprobe-sweep-p5-48xlarge-$id
-n gpuprobe delete job -l app.kubernetes.io/instance=$id --ignore-not-found
EOF_CALLS
  [ "$(grep -c '^kind: Job' "$BATS_TEST_TMPDIR/applied.yaml")" -eq 2 ]
  # the JSON lines (the table line left out), the bench reports for compare, both views
  [ "$(wc -l <out/g5.xlarge.jsonl)" -eq 2 ]
  [ -s out/p5.48xlarge-bench.json ]
  [ -s out/fleet.md ] && [ -s out/compare.md ]
  [[ $output == *"g5.xlarge: complete (2 reports)"* ]]
  [[ $output == *"PASS: "* ]]
  [[ $output == *"matmul/cublas/bf16"* ]]
}

@test "a failed Job is named, the others still collected, exit 1, and everything is deleted" {
  export K8S_TEST_STATES=g5-xlarge=complete,g6-xlarge=failed
  run sweep --types g5.xlarge,g6.xlarge --out out
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"g6.xlarge: FAILED (job/gpuprobe-sweep-g6-xlarge-s"* ]]
  [ "$(k8s_calls logs | wc -l)" -eq 2 ]
  [ "$(k8s_calls 'delete job -l app.kubernetes.io/instance=s[0-9]+ --ignore-not-found' | wc -l)" -eq 1 ]
}

@test "a Job that never finishes: waited on with kubectl wait until the timeout, reported, deleted" {
  export K8S_TEST_STATES=g5-xlarge=complete GPUPROBE_K8S_POLL_SECONDS=1
  run sweep --types g5.xlarge,g6.xlarge --timeout 2s --out out
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"g6.xlarge: did not finish within 2 s"* ]]
  [[ $output == *"g5.xlarge: complete (2 reports)"* ]]
  # only the unfinished Job is waited on
  k8s_calls wait | grep -q -- '--timeout=1s job/gpuprobe-sweep-g6-xlarge-s[0-9]*$'
  [ "$(k8s_calls delete | wc -l)" -eq 1 ]
}

@test "a failed apply still deletes whatever was created" {
  export K8S_TEST_FAIL='^apply'
  run sweep --types g5.xlarge --out out
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"kubectl apply failed"* ]]
  [ "$(k8s_calls 'delete job -l app.kubernetes.io/instance=' | wc -l)" -eq 1 ]
  [ "$(k8s_calls logs | wc -l)" -eq 0 ]
}

@test "an interrupt while waiting deletes the Jobs and the namespace it created" {
  export K8S_TEST_HANG=1 K8S_TEST_NO_NS=1 GPUPROBE_K8S_POLL_SECONDS=60
  "$K8S_REPO_ROOT/scripts/gpuprobe-k8s-sweep" --types g5.xlarge --namespace gpu-sweeps --out out >out.log 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q ' wait ' "$K8S_TEST_LOG" && break; sleep 0.1; done
  grep -q ' wait --for=condition=complete --timeout=60s job/gpuprobe-sweep-g5-xlarge-s' "$K8S_TEST_LOG"
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  cat out.log
  [ "$rc" -eq 143 ]
  cat "$K8S_TEST_LOG"
  [ "$(k8s_calls 'create namespace gpu-sweeps' | wc -l)" -eq 1 ]
  [ "$(k8s_calls 'delete job -l app.kubernetes.io/instance=s[0-9]+ --ignore-not-found' | wc -l)" -eq 1 ]
  [ "$(k8s_calls 'delete namespace gpu-sweeps' | wc -l)" -eq 1 ]
  [ "$(k8s_calls logs | wc -l)" -eq 0 ]
}

@test "shellcheck: the sweep script, the kubectl stub and the test helper are clean" {
  command -v shellcheck >/dev/null || skip "shellcheck not installed"
  run shellcheck -x "$K8S_REPO_ROOT/scripts/gpuprobe-k8s-sweep" "$K8S_TEST_DIR/stubs/kubectl" "$K8S_TEST_DIR/test_helper.bash"
  echo "$output"
  [ "$status" -eq 0 ]
}
