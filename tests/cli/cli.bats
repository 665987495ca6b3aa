#!/usr/bin/env bats
load test_helper

@test "no subcommand is a usage error" {
  run "$GPUPROBE"
  [ "$status" -eq 2 ]
  [[ "$output" == *"subcommand"* ]]
}

@test "unknown subcommand or option is a usage error" {
  run "$GPUPROBE" frobnicate
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown subcommand 'frobnicate'"* ]]
  [[ "$output" == *"check"* ]]
  run "$GPUPROBE" frobnicate --help   # not the top-level help with exit 0
  [ "$status" -eq 2 ]
  run "$GPUPROBE" check --no-such-flag
  [ "$status" -eq 2 ]
}

@test "--help lists the subcommands and the exit codes" {
  run "$GPUPROBE" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"check"* ]]
  [[ "$output" == *"version"* ]]
  [[ "$output" == *"3 no GPU / no driver"* ]]
}

@test "--version" {
  run "$GPUPROBE" --version
  [ "$status" -eq 0 ]
  [[ "$output" == "gpuprobe "* ]]
}

@test "the binary needs no CUDA library to start" {
  run ldd "$GPUPROBE"
  [[ "$output" != *libcuda* ]]
  [[ "$output" != *libcudart* ]]
  [[ "$output" != *libcublas* ]]
  [[ "$output" != *libcudnn* ]]
  [[ "$output" != *libnvidia-ml* ]]
}
