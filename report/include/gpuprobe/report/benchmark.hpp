// One entry of a report's `benchmarks[]`: one benchmark at one set of parameters, as `gpuprobe bench`
// measured it and as compare/report read it back (from this binary's reports or another tool's).
//
//   { "name": "matmul/cublas/bf16", "params": {"m": 8192, "n": 8192, "k": 8192}, "unit": "TFLOP/s",
//     "value": 771.2, "min": 765.0, "max": 774.9, "rel_spread": 0.004, "peak_percent": 78.0,
//     "verified": true, "status": "ok", ... }
//
// The fields up to `status` are the shape every reader relies on (docs/compare.md): written always,
// null when unknown; an entry whose value there has the wrong type is an input error. The fields
// after it are what `gpuprobe bench` records beside the result: written only when set; read when
// they have the type below, otherwise kept as they are in `extra` like any field this struct does
// not know. JSON (de)serialization: report/src/report_json.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gpuprobe {

enum class BenchStatus { ok, failed, skipped };

// What a value measured: one GPU, or the whole node (an aggregate over all its GPUs, `bench --gpus`).
// Perf per dollar divides a one-GPU value by the price of one GPU of the instance and a node value by
// the instance's price. Written as `scope` ("gpu", "node") from schema 1.3; entries of older reports,
// which have no such field, are one-GPU.
enum class BenchScope { gpu, node };
const char* to_string(BenchScope s);

const char* to_string(BenchStatus s);

struct Benchmark {
  std::string name;                                  // "family/implementation/variant", required
  nlohmann::json params = nlohmann::json::object();  // sizes, dtype, …: part of the identity
  std::string unit;                                  // "TFLOP/s", "GB/s", "ms", …
  std::optional<double> value;                       // the median
  std::optional<double> min, max;
  std::optional<double> rel_spread;    // relative spread (noise) of the samples, 0.004 = 0.4 %
  std::optional<double> peak_percent;  // value as % of the GPU's datasheet peak, when known
  std::optional<bool> verified;        // result checked against a reference
  BenchStatus status = BenchStatus::ok;
  BenchScope scope = BenchScope::gpu;  // `scope`, written always (1.3)
  // The GPU a one-GPU entry measured, when the report holds entries of several GPUs (`bench --gpus`):
  // its index and UUID. Unset for the single GPU of a plain `bench` and for node entries. (1.3)
  std::optional<int> gpu;
  std::optional<std::string> gpu_uuid;

  std::optional<std::string> label;           // what the shape is, for people: "square", "resnet50 conv3_x"
  std::optional<std::string> implementation;  // "library" or "hand-written"
  // name of the library benchmark with the same params this one is measured against; with it,
  // baseline_percent = value / that one's value (written as null when that one has no value).
  std::optional<std::string> baseline;
  std::optional<double> baseline_percent;
  std::optional<std::string> reason;        // why skipped or failed
  std::optional<std::string> verification;  // what the check against the reference found
  nlohmann::json details = nlohmann::json::object();  // the implementation's facts (algorithm, …); {} = none
  std::optional<double> wall_seconds;       // set-up, warm-up, samples and verification
  std::optional<double> peak;               // the peak rate peak_percent is of, in `unit`
  struct Times {
    double median = 0, min = 0, max = 0;
    bool operator==(const Times&) const = default;
  };
  std::optional<Times> time_ms;             // one run, milliseconds
  std::optional<std::uint64_t> samples;     // timed runs
  std::optional<std::uint64_t> warmup_runs;
  std::optional<std::string> stop;          // "converged", "budget": why sampling ended
  struct Clocks {
    double median = 0, min = 0;
    std::optional<std::uint64_t> max;  // the GPU's maximum SM clock, when known
    bool operator==(const Clocks&) const = default;
  };
  std::optional<Clocks> sm_clock_mhz;       // SM clock while it ran (NVML)
  std::optional<bool> throttled;
  std::optional<std::vector<std::string>> throttle_reasons;  // "thermal (HW)", "HW slowdown", …
  std::optional<bool> power_capped;         // held at the SW power cap in some sample

  nlohmann::json extra = nlohmann::json::object();  // other fields, written back as read

  bool operator==(const Benchmark&) const = default;

  // Identity used to match benchmarks across reports: the name and the canonical params.
  std::string key() const;
  // key() and what the entry measured when that is not the one GPU of a plain run: " gpu 3" or
  // " node". compare pairs entries by it: GPU 0 with GPU 0, the node aggregate with the node aggregate.
  std::string match_key() const;
  // "gpu 3", "node" or "" (the one GPU of a plain run).
  std::string where_text() const;
  // "m=8192 n=8192 k=8192" (params in key order), "" without params.
  std::string params_text() const;
  // Relative noise: rel_spread, else half the (max-min) range over the value, else 0 (unknown).
  double noise() const;
};

// Time-like units (s, ms, us, µs, ns) are lower-is-better; everything else (rates) higher-is-better.
bool higher_is_better(const std::string& unit);

// The JSON of entries (report_json.cpp). benchmarks_from_json reads a report's benchmarks[] (null:
// none) and throws ReportError naming `benchmarks[i]` and the field for an entry not of the shape above.
nlohmann::json to_json(const Benchmark& b);
nlohmann::json to_json(const std::vector<Benchmark>& entries);
std::vector<Benchmark> benchmarks_from_json(const nlohmann::json& array);

}  // namespace gpuprobe
