#include "gpuprobe/report/report.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
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
// into an unsigned field would be an undefined or silently wrapping conversion (found by fuzzing).
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
  get(j, "nvidia_env", h.nvidia_env);
  get(j, "device_nodes", h.device_nodes);
  return h;
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

std::string schema_problem(const std::string& schema) {
  const std::string family = "gpuprobe.report/";
  const std::string ours = kReportSchema;
  if (schema == ours) return "";
  if (schema.rfind(family, 0) == 0) {
    const std::string version = schema.substr(family.size());
    // Same major with a minor ("1.2"): fields were only added, readable.
    if (version.rfind("1.", 0) == 0 && version.size() > 2 &&
        version.find_first_not_of("0123456789", 2) == std::string::npos)
      return "";
  }
  return "report schema \"" + schema + "\" is not supported by this gpuprobe (reads \"" + ours + "\" and \"" +
         ours + ".N\")";
}

nlohmann::json to_json(const Report& r) {
  json checks = json::array();
  for (const auto& c : r.checks) checks.push_back(check_to_json(c));
  json gpus = json::array();
  for (const auto& g : r.gpus) gpus.push_back(gpu_to_json(g));
  return json{
      {"schema", r.schema},     {"label", r.label},
      {"created_at", r.created_at}, {"command", r.command},
      {"verdict", r.verdict},   {"exit_code", r.exit_code},
      {"host", host_to_json(r.host)}, {"software", software_to_json(r.software)},
      {"gpus", gpus},           {"checks", checks},
      {"benchmarks", r.benchmarks},
  };
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
  r.benchmarks = array_at(j, "benchmarks");
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
