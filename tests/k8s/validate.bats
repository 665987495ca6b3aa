#!/usr/bin/env bats
# The Kubernetes manifests of docker/k8s, the kustomization and the sweep's rendered Jobs, checked
# with the real kubectl (tests/k8s/kubectl-validate: kubectl's typed API objects, offline); and a
# planted typo or wrong type is caught.
load test_helper

setup() { k8s_require_kubectl; }

@test "every manifest under docker/k8s is valid" {
  run "$K8S_TEST_DIR/kubectl-validate" "$K8S_REPO_ROOT"/docker/k8s/{namespace,job-smoke,daemonset-check}.yaml \
    "$K8S_REPO_ROOT/docker/k8s/sweep/job.yaml"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(grep -c ': valid$' <<<"$output")" -eq 4 ]
}

@test "the kustomization renders the namespace, the smoke Job and the DaemonSet, all valid" {
  "$K8S_TEST_KUBECTL" kustomize "$K8S_REPO_ROOT/docker/k8s" >"$BATS_TEST_TMPDIR/all.yaml"
  grep -q '^kind: Namespace' "$BATS_TEST_TMPDIR/all.yaml"
  grep -q '^kind: Job' "$BATS_TEST_TMPDIR/all.yaml"
  grep -q '^kind: DaemonSet' "$BATS_TEST_TMPDIR/all.yaml"
  run "$K8S_TEST_DIR/kubectl-validate" "$BATS_TEST_TMPDIR/all.yaml"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "a misspelt field is rejected with its path" {
  sed 's/^      nodeSelector:/      nodeSelectr:/' "$K8S_REPO_ROOT/docker/k8s/sweep/job.yaml" >"$BATS_TEST_TMPDIR/typo.yaml"
  grep -q nodeSelectr "$BATS_TEST_TMPDIR/typo.yaml"
  run "$K8S_TEST_DIR/kubectl-validate" "$BATS_TEST_TMPDIR/typo.yaml"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"Job/gpuprobe-sweep: field spec.template.spec.nodeSelectr is not in the Job API type"* ]]
}

@test "a field at the wrong level and a value of the wrong type are rejected" {
  sed 's/^      restartPolicy: Never/      restartPolicy: Never\n      backoffLimit: 0/' \
    "$K8S_REPO_ROOT/docker/k8s/job-smoke.yaml" >"$BATS_TEST_TMPDIR/level.yaml"
  run "$K8S_TEST_DIR/kubectl-validate" "$BATS_TEST_TMPDIR/level.yaml"
  [ "$status" -eq 1 ]
  [[ $output == *"field spec.template.spec.backoffLimit"* ]]
  sed 's/^  backoffLimit: 0/  backoffLimit: zero/' "$K8S_REPO_ROOT/docker/k8s/job-smoke.yaml" >"$BATS_TEST_TMPDIR/type.yaml"
  run "$K8S_TEST_DIR/kubectl-validate" "$BATS_TEST_TMPDIR/type.yaml"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"Job/gpuprobe-smoke"* ]]
}

@test "the sweep's rendered Jobs are valid: one per type, pinned to it, holding its GPUs" {
  k8s_sandbox
  run "$K8S_REPO_ROOT/scripts/gpuprobe-k8s-sweep" --types g5.xlarge,p5.48xlarge,x9.large=2 --render \
    --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/gpuprobe:0.1.0 --namespace gpu-sweeps
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/jobs.yaml"
  [ "$(grep -c '^kind: Job' "$BATS_TEST_TMPDIR/jobs.yaml")" -eq 3 ]
  run "$K8S_TEST_DIR/kubectl-validate" "$BATS_TEST_TMPDIR/jobs.yaml"
  echo "$output"
  [ "$status" -eq 0 ]
  # type, GPU count, image and namespace of each Job, as kubectl reads them
  KUBECONFIG=/dev/null "$K8S_TEST_KUBECTL" annotate --local -f "$BATS_TEST_TMPDIR/jobs.yaml" x=y -o json |
    jq -r '[.metadata.name, .metadata.namespace, .spec.template.spec.nodeSelector["node.kubernetes.io/instance-type"],
            (.spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"] | tostring),
            .spec.template.spec.containers[0].image, .spec.template.spec.containers[0].env[0].value] | join(" ")' \
    >"$BATS_TEST_TMPDIR/fields"
  cat "$BATS_TEST_TMPDIR/fields"
  img=123456789012.dkr.ecr.us-east-1.amazonaws.com/gpuprobe:0.1.0
  grep -Eq "^gpuprobe-sweep-g5-xlarge-s[0-9]+ gpu-sweeps g5.xlarge 1 $img g5.xlarge$" "$BATS_TEST_TMPDIR/fields"
  grep -Eq "^gpuprobe-sweep-p5-48xlarge-s[0-9]+ gpu-sweeps p5.48xlarge 8 $img p5.48xlarge$" "$BATS_TEST_TMPDIR/fields"
  grep -Eq "^gpuprobe-sweep-x9-large-s[0-9]+ gpu-sweeps x9.large 2 $img x9.large$" "$BATS_TEST_TMPDIR/fields"
  # rendering asks no cluster
  [ -z "$(grep -v '^kustomize' "$K8S_TEST_LOG")" ]
}
