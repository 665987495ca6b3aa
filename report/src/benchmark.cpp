#include "gpuprobe/report/benchmark.hpp"

namespace gpuprobe {

const char* to_string(BenchStatus s) {
  switch (s) {
    case BenchStatus::ok: return "ok";
    case BenchStatus::failed: return "failed";
    case BenchStatus::skipped: return "skipped";
  }
  return "?";
}

const char* to_string(BenchScope s) { return s == BenchScope::node ? "node" : "gpu"; }

std::string Benchmark::key() const { return params.empty() ? name : name + " " + params.dump(); }

std::string Benchmark::where_text() const {
  if (scope == BenchScope::node) return "node";
  return gpu ? "gpu " + std::to_string(*gpu) : "";
}

std::string Benchmark::match_key() const {
  const std::string where = where_text();
  return where.empty() ? key() : key() + " " + where;
}

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

}  // namespace gpuprobe
