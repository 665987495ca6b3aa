#!/usr/bin/env bats
# gpuprobe instances: the built-in catalog, support by this build's CUDA, prices with their date.

load test_helper
bats_require_minimum_version 1.5.0

@test "lists every family with GPUs, cc, price and the date the prices were taken" {
  run "$GPUPROBE" instances
  [ "$status" -eq 0 ]
  for t in p2.xlarge p3.2xlarge g4dn.xlarge g5.xlarge g6.xlarge g6e.xlarge p4d.24xlarge p5.48xlarge \
           p5e.48xlarge p5en.48xlarge p6-b200.48xlarge; do
    [[ "$output" == *"$t"* ]]
  done
  [[ "$output" == *"us-east-1"*"taken 2025-06"* ]]
  [[ "$output" == *"1× A10G"* ]]
}

@test "CUDA 13 builds: p2 and p3 are flagged as needing an older CUDA image" {
  local cuda
  cuda=$("$GPUPROBE" version --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cuda_toolkit"].split(".")[0])')
  run "$GPUPROBE" instances --json
  [ "$status" -eq 0 ]
  echo "$output" > "$TEST_TMP/i.json"
  [ "$(json "$TEST_TMP/i.json" "[i for i in r['instances'] if i['instance_type']=='g4dn.xlarge'][0]['supported_by_this_build']")" = "true" ]
  if [ "$cuda" -ge 13 ]; then
    [ "$(json "$TEST_TMP/i.json" "[i for i in r['instances'] if i['instance_type']=='p3.2xlarge'][0]['supported_by_this_build']")" = "false" ]
    [[ "$(json "$TEST_TMP/i.json" "[i for i in r['instances'] if i['instance_type']=='p3.2xlarge'][0]['support_note']")" == *"CUDA 12"* ]]
    [[ "$(json "$TEST_TMP/i.json" "[i for i in r['instances'] if i['instance_type']=='p2.xlarge'][0]['support_note']")" == *"CUDA 11"* ]]
  fi
  [ "$(json "$TEST_TMP/i.json" "r['prices']['region']")" = "us-east-1" ]
  [ "$(json "$TEST_TMP/i.json" "[i for i in r['instances'] if i['instance_type']=='p5e.48xlarge'][0]['price_per_hour']")" = "null" ]
}

@test "shows each type's interconnect with its sources, unknown where not confirmed" {
  run "$GPUPROBE" instances
  [ "$status" -eq 0 ]
  [[ "$output" == *"p5.48xlarge"*"NVLink 4 through NVSwitch"*"900"*"PCIe 5.0 x16"*"32 × EFA, 3200 Gbps"* ]]
  [[ "$output" == *"p4d.24xlarge"*"NVLink 3 through NVSwitch"*"600"*"4 × EFA, 400 Gbps"* ]]
  [[ "$output" == *"g4dn.xlarge"*"none (one GPU)"*"PCIe 3.0 x16"*"none"* ]]
  [[ "$output" == *"p6-b200.48xlarge"*"3200 Gbps (interfaces unknown)"* ]]
  [[ "$output" == *"interconnect sources (recorded 2026-12"*"p5.48xlarge: H100 SXM datasheet"* ]]
  run "$GPUPROBE" instances --json "$TEST_TMP/i.json"
  [ "$status" -eq 0 ]
  [ "$(json "$TEST_TMP/i.json" "[i for i in r['instances'] if i['instance_type']=='p5.48xlarge'][0]['interconnect']['nvlink_gb_per_s']")" = "900.0" ]
  [ "$(json "$TEST_TMP/i.json" "[i for i in r['instances'] if i['instance_type']=='p5.48xlarge'][0]['interconnect']['efa_interfaces']")" = "32" ]
  [ "$(json "$TEST_TMP/i.json" "[i for i in r['instances'] if i['instance_type']=='g5.xlarge'][0]['interconnect']['pcie']")" = "unknown" ]
  [ "$(json "$TEST_TMP/i.json" "[i for i in r['instances'] if i['instance_type']=='p6-b200.48xlarge'][0]['interconnect']['efa_interfaces']")" = "null" ]
  run "$GPUPROBE" instances --markdown -
  [ "$status" -eq 0 ]
  [[ "$output" == *"#### Interconnect"* ]]
  [[ "$output" == *"| p5.48xlarge | NVLink 4 through NVSwitch | 900 | PCIe 5.0 x16 | 32 × EFA, 3200 Gbps | H100 SXM datasheet"* ]]
  [[ "$output" == *"| p5.48xlarge | 8× H100 SXM 80GB | 80 GB | 9.0 | 55.040 |"* ]]
}

@test "--prices replaces the price table (region and date printed); a bad file is exit 2" {
  cat > "$TEST_TMP/p.json" <<'JSON'
{"region": "eu-west-1", "date": "2026-11-01", "source": "test", "prices": {"g5.xlarge": 1.234}}
JSON
  run "$GPUPROBE" instances --prices "$TEST_TMP/p.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"eu-west-1"*"taken 2026-11-01"* ]]
  [[ "$output" == *"1.234"* ]]
  echo '{"region": "x"}' > "$TEST_TMP/bad.json"
  run "$GPUPROBE" instances --prices "$TEST_TMP/bad.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"bad.json"*"'date' is required"* ]]
  run "$GPUPROBE" instances --prices /nonexistent.json
  [ "$status" -eq 2 ]
}

@test "prices reach compare's perf per dollar" {
  local data="$BATS_TEST_DIRNAME/../data/reports"
  cat > "$TEST_TMP/p.json" <<'JSON'
{"region": "eu-west-1", "date": "2026-11-01", "prices": {"g5.xlarge": 2.0, "g6.xlarge": 1.0}}
JSON
  run "$GPUPROBE" compare "$data/g5.json" "$data/g6.json" --prices "$TEST_TMP/p.json" --format json -o "$TEST_TMP/c.json"
  [ "$status" -eq 0 ]
  [ "$(json "$TEST_TMP/c.json" "r['benchmarks'][0]['cells'][0]['perf_per_dollar']")" = "31.0" ]
  [ "$(json "$TEST_TMP/c.json" "r['benchmarks'][0]['cells'][1]['perf_per_dollar']")" = "100.0" ]
}

@test "outputs: --json without FILE prints JSON (as --json -); --json FILE and --text FILE write the same bytes" {
  "$GPUPROBE" instances > "$TEST_TMP/old.txt"
  "$GPUPROBE" instances --json > "$TEST_TMP/old.json"
  "$GPUPROBE" instances --json - > "$TEST_TMP/dash.json"
  run "$GPUPROBE" instances --json "$TEST_TMP/i.json" --text "$TEST_TMP/i.txt"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  cmp "$TEST_TMP/old.json" "$TEST_TMP/dash.json"
  cmp "$TEST_TMP/old.json" "$TEST_TMP/i.json"
  cmp "$TEST_TMP/old.txt" "$TEST_TMP/i.txt"
  run "$GPUPROBE" instances --json --prices "$BATS_TEST_DIRNAME/../data/reports/base.json"
  [ "$status" -eq 2 ]
  run "$GPUPROBE" instances --json /nonexistent/dir/i.json
  [ "$status" -eq 5 ]
  [[ "$output" == *"gpuprobe instances: cannot write /nonexistent/dir/i.json"* ]]
}
