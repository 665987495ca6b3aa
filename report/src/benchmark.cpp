#include "gpuprobe/report/benchmark.hpp"

#include <cmath>

#include "gpuprobe/report/report.hpp"

namespace gpuprobe {
namespace {

using nlohmann::json;

std::optional<double> number_at(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) throw ReportError(where + ": '" + key + "' must be a number or null");
  const double v = it->get<double>();
  if (!std::isfinite(v)) throw ReportError(where + ": '" + key + "' is not finite");
  return v;
}

std::string string_at(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) throw ReportError(where + ": '" + key + "' must be a string");
  return it->get<std::string>();
}

BenchStatus status_at(const json& j, const std::string& where) {
  const std::string s = string_at(j, "status", where);
  if (s.empty() || s == "ok") return BenchStatus::ok;
  if (s == "failed") return BenchStatus::failed;
  if (s == "skipped") return BenchStatus::skipped;
  throw ReportError(where + ": unknown status '" + s + "' (ok, failed, skipped)");
}

Benchmark benchmark_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw ReportError(where + " must be an object");
  Benchmark b;
  b.name = string_at(j, "name", where);
  if (b.name.empty()) throw ReportError(where + " has no 'name'");
  if (auto it = j.find("params"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw ReportError(where + ": 'params' must be an object");
    b.params = *it;
  }
  b.unit = string_at(j, "unit", where);
  b.value = number_at(j, "value", where);
  b.min = number_at(j, "min", where);
  b.max = number_at(j, "max", where);
  b.rel_spread = number_at(j, "rel_spread", where);
  b.peak_percent = number_at(j, "peak_percent", where);
  if (auto it = j.find("verified"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) throw ReportError(where + ": 'verified' must be true, false or null");
    b.verified = it->get<bool>();
  }
  b.status = status_at(j, where);
  return b;
}

}  // namespace

const char* to_string(BenchStatus s) {
  switch (s) {
    case BenchStatus::ok: return "ok";
    case BenchStatus::failed: return "failed";
    case BenchStatus::skipped: return "skipped";
  }
  return "?";
}

std::string Benchmark::key() const { return params.empty() ? name : name + " " + params.dump(); }

std::string Benchmark::params_text() const {
  std::string out;
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (!out.empty()) out += ' ';
    out += it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  }
  return out;
}

double Benchmark::noise() const {
  if (rel_spread && *rel_spread >= 0) return *rel_spread;
  if (min && max && value && *value > 0 && *max >= *min) return (*max - *min) / (2.0 * *value);
  return 0.0;
}

bool higher_is_better(const std::string& unit) {
  for (const char* t : {"s", "ms", "us", "µs", "ns", "sec", "seconds"})
    if (unit == t) return false;
  return true;
}

std::vector<Benchmark> benchmarks_from_json(const json& array) {
  std::vector<Benchmark> out;
  if (array.is_null()) return out;
  if (!array.is_array()) throw ReportError("'benchmarks' must be an array");
  out.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i)
    out.push_back(benchmark_from_json(array[i], "benchmarks[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace gpuprobe
