// The shape of one `benchmarks[]` entry that compare/report read. Proposal for the bench issue,
// documented in docs/compare.md:
//   { "name": "matmul/cublas/bf16", "params": {"m": 8192, "n": 8192, "k": 8192}, "unit": "TFLOP/s",
//     "value": 771.2, "min": 765.0, "max": 774.9, "rel_spread": 0.004, "peak_percent": 78.0,
//     "verified": true, "status": "ok" }
// Unknown fields are ignored; absent optional fields are null.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gpuprobe {

enum class BenchStatus { ok, failed, skipped };

const char* to_string(BenchStatus s);

struct Benchmark {
  std::string name;
  nlohmann::json params = nlohmann::json::object();  // sizes, dtype, …: part of the identity
  std::string unit;                                  // "TFLOP/s", "GB/s", "ms", …
  std::optional<double> value;                       // the median
  std::optional<double> min, max;
  std::optional<double> rel_spread;    // relative spread (noise) of the samples, 0.004 = 0.4 %
  std::optional<double> peak_percent;  // value as % of the GPU's datasheet peak, when known
  std::optional<bool> verified;        // result checked against a reference
  BenchStatus status = BenchStatus::ok;

  // Identity used to match benchmarks across reports: the name and the canonical params.
  std::string key() const;
  // "m=8192 n=8192 k=8192" (params in key order), "" without params.
  std::string params_text() const;
  // Relative noise: rel_spread, else half the (max-min) range over the value, else 0 (unknown).
  double noise() const;
};

// Time-like units (s, ms, us, µs, ns) are lower-is-better; everything else (rates) higher-is-better.
bool higher_is_better(const std::string& unit);

// Reads the benchmarks[] array of a report. An entry not of the shape above throws ReportError
// naming its index and field.
std::vector<Benchmark> benchmarks_from_json(const nlohmann::json& array);

}  // namespace gpuprobe
