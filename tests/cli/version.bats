#!/usr/bin/env bats
load test_helper

@test "version prints version, toolkit and architectures" {
  run "$GPUPROBE" version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "gpuprobe "* ]]
  [[ "$output" == *"built with CUDA "* ]]
  [[ "$output" == *"architectures: "* ]]
}

@test "version --json is machine-readable" {
  run "$GPUPROBE" version --json
  [ "$status" -eq 0 ]
  echo "$output" | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["version"] and j["cuda_architectures"]'
}
