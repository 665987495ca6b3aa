#!/usr/bin/env bats
load test_helper

@test "version prints version, toolkit and architectures" {
  run "$GPUPROBE" version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "gpuprobe "* ]]
  [[ "$output" == *"built with CUDA "* ]]
  [[ "$output" == *"architectures: "* ]]
  [[ "$output" == *"Hopper wgmma GEMM: "* ]]
}

@test "version says whether the wgmma GEMM's sm_90a code is in, as the architecture list implies" {
  run "$GPUPROBE" version --json
  [ "$status" -eq 0 ]
  # GPUPROBE_WGMMA defaults to on exactly when the list names 9.0 (kernels/CMakeLists.txt).
  echo "$output" | python3 -c 'import json,sys; j=json.load(sys.stdin); archs=j["cuda_architectures"].split(","); assert j["wgmma_sm90a"] == any(a.startswith("90") or a.startswith("all") for a in archs), j'
}

@test "version --json is machine-readable" {
  run "$GPUPROBE" version --json
  [ "$status" -eq 0 ]
  echo "$output" | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["version"] and j["cuda_architectures"]'
}
