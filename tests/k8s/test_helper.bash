# shellcheck shell=bash disable=SC2154 # status, output, lines come from bats' run
# Test harness for the Kubernetes manifests and scripts/gpuprobe-k8s-sweep (bats). No cluster: the
# manifests are checked with the real kubectl offline (kubectl-validate), and the sweep runs against
# stubs/kubectl, which logs its calls and answers from the test's settings (kustomize is the real one).

K8S_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
K8S_REPO_ROOT=$(cd "$K8S_TEST_DIR/../.." && pwd)

# The real kubectl: GPUPROBE_TEST_KUBECTL, else Debian's (kubernetes-client), else any on PATH.
k8s_real_kubectl() {
  if [[ -n ${GPUPROBE_TEST_KUBECTL:-} ]]; then printf '%s\n' "$GPUPROBE_TEST_KUBECTL"
  elif [[ -x /usr/bin/kubectl && ! -L /usr/bin/kubectl ]]; then printf '%s\n' /usr/bin/kubectl
  else command -v kubectl; fi
}

k8s_require_kubectl() {
  K8S_TEST_KUBECTL=$(k8s_real_kubectl) || K8S_TEST_KUBECTL=""
  if [[ -z $K8S_TEST_KUBECTL ]]; then
    # CI sets GPUPROBE_REQUIRE_KUBECTL=1: there a missing kubectl is a failure, not a skip
    [[ ${GPUPROBE_REQUIRE_KUBECTL:-0} != 1 ]] || { echo "no kubectl, and GPUPROBE_REQUIRE_KUBECTL=1" >&2; return 1; }
    skip "no kubectl (apt-get install kubernetes-client)"
  fi
  export K8S_TEST_KUBECTL KUBECTL=$K8S_TEST_KUBECTL KUBECONFIG=/dev/null
}

# A sandbox per test: the stub first on PATH, its call log, the reports the Jobs' logs hold.
k8s_sandbox() {
  k8s_require_kubectl
  command -v jq >/dev/null || skip "no jq (apt-get install jq)"
  export GPUPROBE_BIN=${GPUPROBE:-$K8S_REPO_ROOT/build/gpuprobe}
  [[ -x $GPUPROBE_BIN ]] || skip "no gpuprobe binary at $GPUPROBE_BIN (build it first)"
  export PATH="$K8S_TEST_DIR/stubs:$PATH"
  export K8S_TEST_LOG="$BATS_TEST_TMPDIR/kubectl-calls.log" GPUPROBE_K8S_POLL_SECONDS=1
  : >"$K8S_TEST_LOG"
  export K8S_TEST_REPORTS="$BATS_TEST_TMPDIR/reports.jsonl"
  # a check and a bench report of the g5 fixture, one JSON line each
  jq -c '.command = "check" | .benchmarks = []' "$K8S_REPO_ROOT/tests/data/reports/g5.json" >"$K8S_TEST_REPORTS"
  jq -c '.' "$K8S_REPO_ROOT/tests/data/reports/g5.json" >>"$K8S_TEST_REPORTS"
  unset K8S_TEST_STATES K8S_TEST_FAIL K8S_TEST_NO_NS K8S_TEST_HANG
  cd "$BATS_TEST_TMPDIR" || return 1
}

# The logged calls that start with the given words (after -n NS), one per line.
k8s_calls() { grep -E "^(-n [^ ]+ )?$1" "$K8S_TEST_LOG" || true; }
