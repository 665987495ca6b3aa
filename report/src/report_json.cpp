#include "gpuprobe/report/report.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <limits>
#include <type_traits>

namespace gpuprobe {
namespace {

using nlohmann::json;

template <class T>
void put(json& j, const char* key, const std::optional<T>& v) {
  j[key] = v ? json(*v) : json(nullptr);
}

// One value of a field. Integers are range-checked here: nlohmann's get<int>() of 1e300 or of -1
// into an unsigned field would be an undefined or silently wrapping conversion.
template <class T>
T convert(const json& v, const char* key) {
  try {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      const auto bad = [&] {
        return ReportError(std::string("field '") + key + "': " + v.dump().substr(0, 40) +
                           " is not a valid integer here");
      };
      if (!v.is_number()) throw ReportError(std::string("field '") + key + "': expected a number, got " + v.type_name());
      if (v.is_number_float()) {
        const double d = v.get<double>();
        if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(std::numeric_limits<T>::min()) ||
            d >= std::ldexp(1.0, std::numeric_limits<T>::digits))
          throw bad();
        return static_cast<T>(d);
      }
      if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) throw bad();
        return static_cast<T>(u);
      }
      const auto i = v.get<std::int64_t>();
      if ((std::is_unsigned_v<T> && i < 0) ||
          (std::is_signed_v<T> && (i < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
                                   i > static_cast<std::int64_t>(std::numeric_limits<T>::max()))))
        throw bad();
      return static_cast<T>(i);
    } else {
      return v.get<T>();
    }
  } catch (const json::exception& e) {
    throw ReportError(std::string("field '") + key + "': " + e.what());
  }
}

template <class T>
void get(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  out = convert<T>(*it, key);
}

template <class T>
void get(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    out.reset();
    return;
  }
  out = convert<T>(*it, key);
}

const json& object_at(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return empty;
  if (!it->is_object()) throw ReportError(std::string("field '") + key + "' must be an object");
  return *it;
}

const json& array_at(const json& j, const char* key) {
  static const json empty = json::array();
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return empty;
  if (!it->is_array()) throw ReportError(std::string("field '") + key + "' must be an array");
  return *it;
}

json cloud_to_json(const CloudInfo& c) {
  json j{{"provider", c.provider}, {"instance_type", c.instance_type}};
  put(j, "region", c.region);
  return j;
}

json host_to_json(const HostInfo& h) {
  return json{
      {"hostname", h.hostname},
      {"os", h.os},
      {"kernel", h.kernel},
      {"cpu_model", h.cpu_model},
      {"cpu_count", h.cpu_count},
      {"memory_total_bytes", h.memory_total_bytes},
      {"container",
       {{"detected", h.container.detected},
        {"runtime", h.container.runtime},
        {"evidence", h.container.evidence}}},
      {"ec2",
       {{"detected", h.ec2.detected},
        {"instance_type", h.ec2.instance_type},
        {"sys_vendor", h.ec2.sys_vendor},
        {"product_name", h.ec2.product_name}}},
      {"cloud", h.cloud ? cloud_to_json(*h.cloud) : json(nullptr)},
      {"nvidia_env", h.nvidia_env},
      {"device_nodes", h.device_nodes},
  };
}

HostInfo host_from_json(const json& j) {
  HostInfo h;
  get(j, "hostname", h.hostname);
  get(j, "os", h.os);
  get(j, "kernel", h.kernel);
  get(j, "cpu_model", h.cpu_model);
  get(j, "cpu_count", h.cpu_count);
  get(j, "memory_total_bytes", h.memory_total_bytes);
  const json& c = object_at(j, "container");
  get(c, "detected", h.container.detected);
  get(c, "runtime", h.container.runtime);
  get(c, "evidence", h.container.evidence);
  const json& e = object_at(j, "ec2");
  get(e, "detected", h.ec2.detected);
  get(e, "instance_type", h.ec2.instance_type);
  get(e, "sys_vendor", h.ec2.sys_vendor);
  get(e, "product_name", h.ec2.product_name);
  // host.cloud when the report has it (null: no cloud), else what host.ec2 says (version 1).
  if (j.contains("cloud")) {
    if (!j["cloud"].is_null()) {
      const json& c = object_at(j, "cloud");
      CloudInfo cloud;
      get(c, "provider", cloud.provider);
      get(c, "instance_type", cloud.instance_type);
      get(c, "region", cloud.region);
      h.cloud = std::move(cloud);
    }
  } else {
    h.cloud = cloud_from_ec2(h.ec2);
  }
  get(j, "nvidia_env", h.nvidia_env);
  get(j, "device_nodes", h.device_nodes);
  return h;
}

json framework_to_json(const FrameworkInfo& f) {
  json j{{"name", f.name},
         {"version", f.version},
         {"distribution", f.distribution},
         {"build", f.build},
         {"cuda", f.cuda.empty() ? json() : json(f.cuda)},
         {"archs", f.archs},
         {"location", f.location},
         {"python", f.python},
         {"missing_libraries", f.missing_libraries},
         {"live", json()}};
  if (f.live) {
    json l{{"outcome", *f.live},
           {"device_count", f.device_count},
           {"devices", f.devices},
           {"warnings", f.warnings},
           {"error", f.error}};
    put(l, "seconds", f.live_seconds);
    put(l, "gpu_available", f.gpu_available);
    put(l, "matmul_ok", f.matmul_ok);
    j["live"] = l;
  }
  return j;
}

FrameworkInfo framework_from_json(const json& j) {
  FrameworkInfo f;
  if (!j.is_object()) return f;
  get(j, "name", f.name);
  get(j, "version", f.version);
  get(j, "distribution", f.distribution);
  get(j, "build", f.build);
  get(j, "cuda", f.cuda);
  get(j, "archs", f.archs);
  get(j, "location", f.location);
  get(j, "python", f.python);
  get(j, "missing_libraries", f.missing_libraries);
  if (const auto it = j.find("live"); it != j.end() && it->is_object()) {
    const json& l = *it;
    f.live = std::string();
    get(l, "outcome", *f.live);
    get(l, "seconds", f.live_seconds);
    get(l, "gpu_available", f.gpu_available);
    get(l, "device_count", f.device_count);
    get(l, "devices", f.devices);
    get(l, "warnings", f.warnings);
    get(l, "matmul_ok", f.matmul_ok);
    get(l, "error", f.error);
  }
  return f;
}

json software_to_json(const SoftwareInfo& s) {
  json j{
      {"gpuprobe_version", s.gpuprobe_version},
      {"gpuprobe_revision", s.gpuprobe_revision},
      {"cuda_architectures", s.cuda_architectures},
      {"cuda_toolkit", s.cuda_toolkit},
      {"libraries", s.libraries},
  };
  put(j, "driver_version", s.driver_version);
  put(j, "cuda_driver_version", s.cuda_driver_version);
  put(j, "cuda_runtime_version", s.cuda_runtime_version);
  put(j, "cublas_version", s.cublas_version);
  put(j, "cudnn_version", s.cudnn_version);
  put(j, "nvml_version", s.nvml_version);
  if (!s.frameworks.empty()) {
    json fw = json::array();
    for (const auto& f : s.frameworks) fw.push_back(framework_to_json(f));
    j["frameworks"] = fw;
  }
  return j;
}

SoftwareInfo software_from_json(const json& j) {
  SoftwareInfo s;
  get(j, "gpuprobe_version", s.gpuprobe_version);
  get(j, "gpuprobe_revision", s.gpuprobe_revision);
  get(j, "cuda_architectures", s.cuda_architectures);
  get(j, "cuda_toolkit", s.cuda_toolkit);
  get(j, "libraries", s.libraries);
  get(j, "driver_version", s.driver_version);
  get(j, "cuda_driver_version", s.cuda_driver_version);
  get(j, "cuda_runtime_version", s.cuda_runtime_version);
  get(j, "cublas_version", s.cublas_version);
  get(j, "cudnn_version", s.cudnn_version);
  get(j, "nvml_version", s.nvml_version);
  if (const auto it = j.find("frameworks"); it != j.end() && it->is_array())
    for (const auto& f : *it) s.frameworks.push_back(framework_from_json(f));
  return s;
}

json gpu_to_json(const GpuInfo& g) {
  json j{
      {"index", g.index},
      {"name", g.name},
      {"uuid", g.uuid},
      {"pci_bus_id", g.pci_bus_id},
      {"compute_capability", std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor)},
      {"sm_count", g.sm_count},
      {"memory_total_bytes", g.memory_total_bytes},
      {"memory_free_bytes", g.memory_free_bytes},
      {"l2_cache_bytes", g.l2_cache_bytes},
      {"memory_bus_width_bits", g.memory_bus_width_bits},
  };
  put(j, "sm_clock_mhz", g.sm_clock_mhz);
  put(j, "sm_clock_max_mhz", g.sm_clock_max_mhz);
  put(j, "mem_clock_mhz", g.mem_clock_mhz);
  put(j, "mem_clock_max_mhz", g.mem_clock_max_mhz);
  put(j, "ecc_enabled", g.ecc_enabled);
  put(j, "mig_enabled", g.mig_enabled);
  put(j, "persistence_mode", g.persistence_mode);
  put(j, "pcie_gen_current", g.pcie_gen_current);
  put(j, "pcie_gen_max", g.pcie_gen_max);
  put(j, "pcie_width_current", g.pcie_width_current);
  put(j, "pcie_width_max", g.pcie_width_max);
  put(j, "temperature_c", g.temperature_c);
  put(j, "power_w", g.power_w);
  put(j, "power_limit_w", g.power_limit_w);
  return j;
}

GpuInfo gpu_from_json(const json& j) {
  GpuInfo g;
  get(j, "index", g.index);
  get(j, "name", g.name);
  get(j, "uuid", g.uuid);
  get(j, "pci_bus_id", g.pci_bus_id);
  std::string cc;
  get(j, "compute_capability", cc);
  if (!cc.empty()) {
    auto dot = cc.find('.');
    try {
      g.cc_major = std::stoi(cc.substr(0, dot));
      g.cc_minor = dot == std::string::npos ? 0 : std::stoi(cc.substr(dot + 1));
    } catch (const std::exception&) {
      throw ReportError("field 'compute_capability': not of the form X.Y: '" + cc + "'");
    }
  }
  get(j, "sm_count", g.sm_count);
  get(j, "memory_total_bytes", g.memory_total_bytes);
  get(j, "memory_free_bytes", g.memory_free_bytes);
  get(j, "l2_cache_bytes", g.l2_cache_bytes);
  get(j, "memory_bus_width_bits", g.memory_bus_width_bits);
  get(j, "sm_clock_mhz", g.sm_clock_mhz);
  get(j, "sm_clock_max_mhz", g.sm_clock_max_mhz);
  get(j, "mem_clock_mhz", g.mem_clock_mhz);
  get(j, "mem_clock_max_mhz", g.mem_clock_max_mhz);
  get(j, "ecc_enabled", g.ecc_enabled);
  get(j, "mig_enabled", g.mig_enabled);
  get(j, "persistence_mode", g.persistence_mode);
  get(j, "pcie_gen_current", g.pcie_gen_current);
  get(j, "pcie_gen_max", g.pcie_gen_max);
  get(j, "pcie_width_current", g.pcie_width_current);
  get(j, "pcie_width_max", g.pcie_width_max);
  get(j, "temperature_c", g.temperature_c);
  get(j, "power_w", g.power_w);
  get(j, "power_limit_w", g.power_limit_w);
  return g;
}

json check_to_json(const CheckResult& c) {
  return json{
      {"id", c.id},           {"title", c.title},       {"status", to_string(c.status)},
      {"reason", c.reason},   {"measured", c.measured}, {"expected", c.expected},
      {"message", c.message}, {"hint", c.hint},         {"duration_ms", c.duration_ms},
      {"details", c.details},
  };
}

CheckResult check_from_json(const json& j) {
  if (!j.is_object()) throw ReportError("a check must be an object");
  CheckResult c;
  get(j, "id", c.id);
  if (c.id.empty()) throw ReportError("a check has no 'id'");
  get(j, "title", c.title);
  std::string status;
  get(j, "status", status);
  auto st = status_from_string(status);
  if (!st) throw ReportError("check '" + c.id + "': unknown status '" + status + "'");
  c.status = *st;
  get(j, "reason", c.reason);
  get(j, "measured", c.measured);
  get(j, "expected", c.expected);
  get(j, "message", c.message);
  get(j, "hint", c.hint);
  get(j, "duration_ms", c.duration_ms);
  if (auto it = j.find("details"); it != j.end() && !it->is_null()) c.details = *it;
  return c;
}

// --- benchmarks[]: the shape is described in gpuprobe/report/benchmark.hpp ------------------------

// The fields every reader relies on: a wrong type is an input error naming the entry.
std::optional<double> bench_number(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) throw ReportError(where + ": '" + key + "' must be a number or null");
  const double v = it->get<double>();
  if (!std::isfinite(v)) throw ReportError(where + ": '" + key + "' is not finite");
  return v;
}

std::string bench_string(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) throw ReportError(where + ": '" + key + "' must be a string");
  return it->get<std::string>();
}

BenchStatus bench_status(const json& j, const std::string& where) {
  const std::string s = bench_string(j, "status", where);
  if (s.empty() || s == "ok") return BenchStatus::ok;
  if (s == "failed") return BenchStatus::failed;
  if (s == "skipped") return BenchStatus::skipped;
  throw ReportError(where + ": unknown status '" + s + "' (ok, failed, skipped)");
}

constexpr const char* kBenchShapeKeys[] = {"name", "params",     "unit",         "value",    "min",
                                           "max",  "rel_spread", "peak_percent", "verified", "status"};

// The fields `gpuprobe bench` adds: a value of the member's type moves out of `rest` into the
// member; anything else (null, another type) stays in `rest`, which becomes Benchmark::extra.
template <class T, bool (json::*is)() const noexcept>
std::optional<T> as(const json& v) {
  if ((v.*is)()) return v.get<T>();
  return std::nullopt;
}
constexpr auto as_number = as<double, &json::is_number>;
constexpr auto as_count = as<std::uint64_t, &json::is_number_unsigned>;
constexpr auto as_bool = as<bool, &json::is_boolean>;
constexpr auto as_string = as<std::string, &json::is_string>;
// A GPU index: a non-negative integer (up to 2^20).
std::optional<int> as_index(const json& v) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > (1 << 20)) return std::nullopt;
  return v.get<int>();
}
std::optional<std::vector<std::string>> as_strings(const json& v) {
  if (!v.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string()) return std::nullopt;
    out.push_back(s.get<std::string>());
  }
  return out;
}
// An object of exactly these number fields; `optional_last` may be absent.
bool number_fields(const json& v, std::initializer_list<const char*> keys, bool optional_last) {
  if (!v.is_object()) return false;
  std::size_t seen = 0, i = 0;
  for (const char* k : keys) {
    ++i;
    const auto it = v.find(k);
    if (it == v.end() && optional_last && i == keys.size()) continue;
    if (it == v.end() || !it->is_number()) return false;
    ++seen;
  }
  return seen == v.size();
}
std::optional<Benchmark::Times> as_times(const json& v) {
  if (!number_fields(v, {"median", "min", "max"}, false)) return std::nullopt;
  return Benchmark::Times{v["median"].get<double>(), v["min"].get<double>(), v["max"].get<double>()};
}
std::optional<Benchmark::Clocks> as_clocks(const json& v) {
  if (!number_fields(v, {"median", "min", "max"}, true)) return std::nullopt;
  Benchmark::Clocks c{v["median"].get<double>(), v["min"].get<double>(), std::nullopt};
  if (v.contains("max")) {
    if (!v["max"].is_number_unsigned()) return std::nullopt;
    c.max = v["max"].get<std::uint64_t>();
  }
  return c;
}

template <class T, class Read>
bool take(json& rest, const char* key, std::optional<T>& out, Read read) {
  const auto it = rest.find(key);
  if (it == rest.end()) return false;
  out = read(*it);
  if (!out) return false;
  rest.erase(it);
  return true;
}

template <class T>
void put_set(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

json benchmark_to_json(const Benchmark& b) {
  json j = b.extra.is_object() ? b.extra : json::object();
  j["name"] = b.name;
  j["params"] = b.params;
  j["unit"] = b.unit;
  put(j, "value", b.value);
  put(j, "min", b.min);
  put(j, "max", b.max);
  put(j, "rel_spread", b.rel_spread);
  put(j, "peak_percent", b.peak_percent);
  put(j, "verified", b.verified);
  j["status"] = to_string(b.status);
  j["scope"] = to_string(b.scope);
  put_set(j, "gpu", b.gpu);
  put_set(j, "gpu_uuid", b.gpu_uuid);
  put_set(j, "label", b.label);
  put_set(j, "implementation", b.implementation);
  if (b.baseline) {
    j["baseline"] = *b.baseline;
    if (b.baseline_percent || !j.contains("baseline_percent")) put(j, "baseline_percent", b.baseline_percent);
  }
  put_set(j, "reason", b.reason);
  put_set(j, "verification", b.verification);
  if (!b.details.empty()) j["details"] = b.details;
  put_set(j, "wall_seconds", b.wall_seconds);
  put_set(j, "peak", b.peak);
  if (b.time_ms) j["time_ms"] = {{"median", b.time_ms->median}, {"min", b.time_ms->min}, {"max", b.time_ms->max}};
  put_set(j, "samples", b.samples);
  put_set(j, "warmup_runs", b.warmup_runs);
  put_set(j, "stop", b.stop);
  if (b.sm_clock_mhz) {
    json c = {{"median", b.sm_clock_mhz->median}, {"min", b.sm_clock_mhz->min}};
    if (b.sm_clock_mhz->max) c["max"] = *b.sm_clock_mhz->max;
    j["sm_clock_mhz"] = std::move(c);
  }
  put_set(j, "throttled", b.throttled);
  put_set(j, "throttle_reasons", b.throttle_reasons);
  put_set(j, "power_capped", b.power_capped);
  return j;
}

Benchmark benchmark_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw ReportError(where + " must be an object");
  Benchmark b;
  b.name = bench_string(j, "name", where);
  if (b.name.empty()) throw ReportError(where + " has no 'name'");
  if (auto it = j.find("params"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw ReportError(where + ": 'params' must be an object");
    b.params = *it;
  }
  b.unit = bench_string(j, "unit", where);
  b.value = bench_number(j, "value", where);
  b.min = bench_number(j, "min", where);
  b.max = bench_number(j, "max", where);
  b.rel_spread = bench_number(j, "rel_spread", where);
  b.peak_percent = bench_number(j, "peak_percent", where);
  if (auto it = j.find("verified"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) throw ReportError(where + ": 'verified' must be true, false or null");
    b.verified = it->get<bool>();
  }
  b.status = bench_status(j, where);

  json rest = j;
  for (const char* k : kBenchShapeKeys) rest.erase(k);
  if (auto it = rest.find("scope"); it != rest.end() && (*it == "gpu" || *it == "node")) {
    b.scope = *it == "node" ? BenchScope::node : BenchScope::gpu;
    rest.erase(it);
  }
  take(rest, "gpu", b.gpu, as_index);
  take(rest, "gpu_uuid", b.gpu_uuid, as_string);
  take(rest, "label", b.label, as_string);
  take(rest, "implementation", b.implementation, as_string);
  if (take(rest, "baseline", b.baseline, as_string)) {
    // Written with the baseline, null when not known: a null here is read as that.
    if (auto it = rest.find("baseline_percent"); it != rest.end() && it->is_null()) rest.erase(it);
    else take(rest, "baseline_percent", b.baseline_percent, as_number);
  }
  take(rest, "reason", b.reason, as_string);
  take(rest, "verification", b.verification, as_string);
  if (auto it = rest.find("details"); it != rest.end() && it->is_object() && !it->empty()) {
    b.details = std::move(*it);
    rest.erase(it);
  }
  take(rest, "wall_seconds", b.wall_seconds, as_number);
  take(rest, "peak", b.peak, as_number);
  take(rest, "time_ms", b.time_ms, as_times);
  take(rest, "samples", b.samples, as_count);
  take(rest, "warmup_runs", b.warmup_runs, as_count);
  take(rest, "stop", b.stop, as_string);
  take(rest, "sm_clock_mhz", b.sm_clock_mhz, as_clocks);
  take(rest, "throttled", b.throttled, as_bool);
  take(rest, "throttle_reasons", b.throttle_reasons, as_strings);
  take(rest, "power_capped", b.power_capped, as_bool);
  b.extra = std::move(rest);
  return b;
}

}  // namespace

const char* to_string(Status s) {
  switch (s) {
    case Status::pass: return "pass";
    case Status::warn: return "warn";
    case Status::fail: return "fail";
    case Status::skip: return "skip";
  }
  return "?";
}

std::optional<Status> status_from_string(const std::string& s) {
  if (s == "pass") return Status::pass;
  if (s == "warn") return Status::warn;
  if (s == "fail") return Status::fail;
  if (s == "skip") return Status::skip;
  return std::nullopt;
}

std::optional<CloudInfo> cloud_from_ec2(const Ec2Info& e) {
  if (!e.detected) return std::nullopt;
  return CloudInfo{"aws", e.instance_type, std::nullopt};
}

std::string schema_problem(const std::string& schema) {
  const std::string major = kReportSchemaMajor;
  if (schema == major) return "";
  // Same major with a minor ("1.2"): fields were only added, readable.
  if (schema.rfind(major + ".", 0) == 0 && schema.size() > major.size() + 1 &&
      schema.find_first_not_of("0123456789", major.size() + 1) == std::string::npos)
    return "";
  return "report schema \"" + schema + "\" is not supported by this gpuprobe (reads \"" + major + "\" and \"" +
         major + ".N\")";
}

nlohmann::json to_json(const Benchmark& b) { return benchmark_to_json(b); }

nlohmann::json to_json(const std::vector<Benchmark>& entries) {
  json out = json::array();
  for (const auto& b : entries) out.push_back(benchmark_to_json(b));
  return out;
}

std::vector<Benchmark> benchmarks_from_json(const nlohmann::json& array) {
  std::vector<Benchmark> out;
  if (array.is_null()) return out;
  if (!array.is_array()) throw ReportError("'benchmarks' must be an array");
  out.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i)
    out.push_back(benchmark_from_json(array[i], "benchmarks[" + std::to_string(i) + "]"));
  return out;
}

// --- burn: the shape is described in gpuprobe/report/burn.hpp --------------------------------------
// Each object's fields are listed once (a *_fields function calling f(key, member)) and that list is
// both written and read, so the writer and the reader cannot drift apart.
namespace {

template <class T>
void put_field(json& j, const char* key, const T& v) {
  j[key] = v;
}
template <class T>
void put_field(json& j, const char* key, const std::optional<T>& v) {
  put(j, key, v);
}

template <class T, class Fields>
json fields_to_json(const T& x, Fields fields) {
  json j = json::object();
  fields(x, [&](const char* key, const auto& v) { put_field(j, key, v); });
  return j;
}

template <class T, class Fields>
T fields_from_json(const json& j, const char* what, Fields fields) {
  if (!j.is_object()) throw ReportError(std::string("burn: ") + what + " must be an object");
  T x;
  fields(x, [&](const char* key, auto& v) { get(j, key, v); });
  return x;
}

template <class T, class Fields>
json array_to_json(const std::vector<T>& v, Fields fields) {
  json a = json::array();
  for (const auto& x : v) a.push_back(fields_to_json(x, fields));
  return a;
}

template <class T, class Fields>
std::vector<T> array_from_json(const json& j, const char* key, const char* what, Fields fields) {
  std::vector<T> out;
  for (const auto& x : array_at(j, key)) out.push_back(fields_from_json<T>(x, what, fields));
  return out;
}

const auto sample_fields = [](auto& s, auto&& f) {
  f("t", s.t);
  f("sm_clock_mhz", s.sm_clock_mhz);
  f("mem_clock_mhz", s.mem_clock_mhz);
  f("power_w", s.power_w);
  f("power_limit_w", s.power_limit_w);
  f("temperature_c", s.temperature_c);
  f("clock_event_reasons", s.clock_event_reasons);
  f("ecc_corrected", s.ecc_corrected);
  f("ecc_uncorrected", s.ecc_uncorrected);
  f("pcie_replays", s.pcie_replays);
};
const auto finding_fields = [](auto& x, auto&& f) {
  f("severity", x.severity);
  f("reason", x.reason);
  f("message", x.message);
  f("hint", x.hint);
};
const auto point_fields = [](auto& p, auto&& f) {
  f("t", p.t);
  f("rate", p.rate);
  f("mismatches", p.mismatches);
};
const auto xid_fields = [](auto& x, auto&& f) {
  f("t", x.t);
  f("xid", x.xid);
};
const auto gpu_fields = [](auto& g, auto&& f) {
  f("index", g.index);
  f("name", g.name);
  f("uuid", g.uuid);
  f("load", g.load);
  f("unit", g.unit);
  f("verdict", g.verdict);
  f("steps", g.steps);
  f("checked", g.checked);
  f("mismatches", g.mismatches);
  f("error", g.error);
  f("hung", g.hung);
  f("sm_clock_max_mhz", g.sm_clock_max_mhz);
  f("peak", g.peak);
  f("rate_first", g.rate_first);
  f("rate_last", g.rate_last);
  f("telemetry_note", g.telemetry_note);
  f("xid_note", g.xid_note);
};
const auto run_fields = [](auto& b, auto&& f) {
  f("load", b.load);
  f("duration_s", b.duration_s);
  f("elapsed_s", b.elapsed_s);
  f("interrupted", b.interrupted);
  f("step_seconds", b.step_seconds);
  f("hang_bound_s", b.hang_bound_s);
};

json burn_to_json(const BurnRun& b) {
  json j = fields_to_json(b, run_fields);
  j["gpus"] = json::array();
  for (const auto& g : b.gpus) {
    json gj = fields_to_json(g, gpu_fields);
    gj["findings"] = array_to_json(g.findings, finding_fields);
    gj["telemetry"] = array_to_json(g.telemetry, sample_fields);
    gj["series"] = array_to_json(g.series, point_fields);
    gj["xids"] = array_to_json(g.xids, xid_fields);
    j["gpus"].push_back(std::move(gj));
  }
  return j;
}

BurnRun burn_from_json(const json& j) {
  BurnRun b = fields_from_json<BurnRun>(j, "'burn'", run_fields);
  for (const auto& gj : array_at(j, "gpus")) {
    BurnGpu g = fields_from_json<BurnGpu>(gj, "a GPU", gpu_fields);
    g.findings = array_from_json<BurnFinding>(gj, "findings", "a finding", finding_fields);
    g.telemetry = array_from_json<BurnSample>(gj, "telemetry", "a telemetry sample", sample_fields);
    g.series = array_from_json<BurnStepPoint>(gj, "series", "a series point", point_fields);
    g.xids = array_from_json<XidEvent>(gj, "xids", "an Xid event", xid_fields);
    b.gpus.push_back(std::move(g));
  }
  return b;
}

}  // namespace

nlohmann::json to_json(const Report& r) {
  json checks = json::array();
  for (const auto& c : r.checks) checks.push_back(check_to_json(c));
  json gpus = json::array();
  for (const auto& g : r.gpus) gpus.push_back(gpu_to_json(g));
  json out{
      {"schema", r.schema},     {"label", r.label},
      {"created_at", r.created_at}, {"command", r.command},
      {"verdict", r.verdict},   {"exit_code", r.exit_code},
      {"host", host_to_json(r.host)}, {"software", software_to_json(r.software)},
      {"gpus", gpus},           {"checks", checks},
      {"benchmarks", to_json(r.benchmarks)},
  };
  if (r.burn) out["burn"] = burn_to_json(*r.burn);  // only in reports of `gpuprobe burn`
  return out;
}

Report report_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw ReportError("a report must be a JSON object");
  auto it = j.find("schema");
  if (it == j.end() || !it->is_string())
    throw ReportError("not a gpuprobe report: no 'schema' field (expected \"" + std::string(kReportSchema) +
                      "\")");
  const std::string schema = it->get<std::string>();
  if (auto problem = schema_problem(schema); !problem.empty()) throw ReportError(problem);
  Report r;
  r.schema = schema;
  get(j, "label", r.label);
  get(j, "created_at", r.created_at);
  get(j, "command", r.command);
  get(j, "verdict", r.verdict);
  get(j, "exit_code", r.exit_code);
  r.host = host_from_json(object_at(j, "host"));
  r.software = software_from_json(object_at(j, "software"));
  for (const auto& g : array_at(j, "gpus")) {
    if (!g.is_object()) throw ReportError("a gpu must be an object");
    r.gpus.push_back(gpu_from_json(g));
  }
  for (const auto& c : array_at(j, "checks")) r.checks.push_back(check_from_json(c));
  r.benchmarks = benchmarks_from_json(array_at(j, "benchmarks"));
  if (const json& b = object_at(j, "burn"); !b.empty()) r.burn = burn_from_json(b);
  return r;
}

std::string now_iso8601_utc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace gpuprobe
