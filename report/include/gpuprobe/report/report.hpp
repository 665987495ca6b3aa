// The report: what probes and benchmarks produce, what report/ serializes, compares and renders.
// Field-by-field documentation: docs/report-schema.md. Keep the two in step.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuprobe/report/benchmark.hpp"
#include "gpuprobe/report/burn.hpp"

namespace gpuprobe {

// The version this binary writes. It reads every "gpuprobe.report/1" and "gpuprobe.report/1.N":
// within a major version fields are only added (docs/report-schema.md lists what each minor adds).
inline constexpr const char* kReportSchema = "gpuprobe.report/1.3";
inline constexpr const char* kReportSchemaMajor = "gpuprobe.report/1";

enum class Status { pass, warn, fail, skip };

const char* to_string(Status s);
std::optional<Status> status_from_string(const std::string& s);

struct ContainerInfo {
  bool detected = false;
  std::string runtime;                // docker, podman, kubernetes, containerd, lxc, or "" when unknown
  std::vector<std::string> evidence;  // e.g. "/.dockerenv", "/proc/1/cgroup: kubepods"
};

// AWS's own evidence (DMI), written as host.ec2 too so that readers of version 1 find it.
struct Ec2Info {
  bool detected = false;
  std::string instance_type;  // from DMI product_name on Nitro instances; "" on Xen (p2/p3) instances
  std::string sys_vendor;
  std::string product_name;
};

// The cloud machine this ran on, from local evidence only (never the network). Every provider
// fills the same three fields; renderers and compare read only these.
struct CloudInfo {
  std::string provider;               // "aws"
  std::string instance_type;          // "g5.xlarge"; "" when the machine does not say (EC2 on Xen)
  std::optional<std::string> region;  // from the environment (AWS_REGION, AWS_DEFAULT_REGION); unset: unknown
  bool operator==(const CloudInfo&) const = default;
};

// The cloud an EC2 detection means; nullopt when EC2 was not detected. Reports of version 1
// carry only host.ec2: the reader derives host.cloud with this.
std::optional<CloudInfo> cloud_from_ec2(const Ec2Info& e);

struct HostInfo {
  std::string hostname;
  std::string os;      // PRETTY_NAME from os-release
  std::string kernel;  // kernel release
  std::string cpu_model;
  int cpu_count = 0;
  std::uint64_t memory_total_bytes = 0;
  ContainerInfo container;
  Ec2Info ec2;
  std::optional<CloudInfo> cloud;  // nullopt: not on a cloud gpuprobe recognizes
  std::map<std::string, std::string> nvidia_env;  // NVIDIA_VISIBLE_DEVICES etc., only those set
  std::vector<std::string> device_nodes;          // /dev/nvidia*
};

// A Python framework (PyTorch, JAX, TensorFlow, CuPy) the frameworks check found, read from its
// files, with its live answer when it was asked (schema 1.2).
struct FrameworkInfo {
  std::string name;          // "torch", "jax", "tensorflow", "cupy"
  std::string version;       // "2.15.0+cu132"
  std::string distribution;  // the pip distribution: "torch", "jaxlib", "cupy_cuda13x"
  std::string build;         // "cuda", "cpu", "rocm", "unknown"
  std::string cuda;          // the CUDA it was built for ("13.2", "13"), "" when unknown or none
  std::vector<std::string> archs;              // "sm_90", ..., when its files list them
  std::string location;                        // its site-packages folder
  std::string python;                          // the interpreter that imports it, "" when none found
  std::vector<std::string> missing_libraries;  // CUDA libraries it links that the loader would not find
  // Its live answer: nullopt when it was not asked.
  std::optional<std::string> live;      // "answered", "import_failed", "timed_out", "crashed", "not_started"
  std::optional<double> live_seconds;
  std::optional<bool> gpu_available;
  int device_count = 0;
  std::vector<std::string> devices;     // device names, as the framework reports them
  std::vector<std::string> warnings;    // what it warned while answering
  std::optional<bool> matmul_ok;        // a GPU matmul agreed with the CPU
  std::string error;                    // the import error, or an error after import; "" when none
  bool operator==(const FrameworkInfo&) const = default;
};

struct SoftwareInfo {
  std::string gpuprobe_version;
  std::string gpuprobe_revision;
  std::string cuda_architectures;  // compiled into this binary, CMake syntax: "75-real,90"
  std::string cuda_toolkit;        // toolkit the binary was built with
  std::optional<std::string> driver_version;    // e.g. "580.65.06"
  std::optional<int> cuda_driver_version;       // cuDriverGetVersion, e.g. 13000
  std::optional<int> cuda_runtime_version;      // cudaRuntimeGetVersion, e.g. 13000
  std::optional<std::string> cublas_version;    // e.g. "13.0.0"
  std::optional<std::string> cudnn_version;     // e.g. "9.13.0"
  std::optional<std::string> nvml_version;
  std::map<std::string, std::string> libraries; // library -> path it was loaded from, or "missing: why"
  std::vector<FrameworkInfo> frameworks;        // the frameworks check's findings, most specific env first
};

struct GpuInfo {
  int index = 0;
  std::string name;
  std::string uuid;
  std::string pci_bus_id;
  int cc_major = 0;
  int cc_minor = 0;
  int sm_count = 0;
  std::uint64_t memory_total_bytes = 0;
  std::uint64_t memory_free_bytes = 0;
  std::uint64_t l2_cache_bytes = 0;
  int memory_bus_width_bits = 0;
  std::optional<int> sm_clock_mhz;
  std::optional<int> sm_clock_max_mhz;
  std::optional<int> mem_clock_mhz;
  std::optional<int> mem_clock_max_mhz;
  std::optional<bool> ecc_enabled;
  std::optional<bool> mig_enabled;
  std::optional<bool> persistence_mode;
  std::optional<int> pcie_gen_current;
  std::optional<int> pcie_gen_max;
  std::optional<int> pcie_width_current;
  std::optional<int> pcie_width_max;
  std::optional<int> temperature_c;
  std::optional<double> power_w;
  std::optional<double> power_limit_w;
};

struct CheckResult {
  std::string id;
  std::string title;
  Status status = Status::skip;
  std::string reason;    // machine-readable cause, e.g. "no_driver", "driver_too_old", "timeout"; "" when ok
  std::string measured;  // what was seen, human readable
  std::string expected;  // what was wanted
  std::string message;   // one line
  std::string hint;      // how to fix it; empty when nothing to fix
  double duration_ms = 0.0;
  nlohmann::json details = nlohmann::json::object();  // per-GPU numbers and the like
};

struct Report {
  std::string schema = kReportSchema;
  std::string label;       // --label, else the cloud instance type, else hostname
  std::string created_at;  // ISO 8601 UTC
  std::string command;     // "check", "bench", ...
  HostInfo host;
  SoftwareInfo software;
  std::vector<GpuInfo> gpus;
  std::vector<CheckResult> checks;
  std::vector<Benchmark> benchmarks;  // filled by `gpuprobe bench`
  std::optional<BurnRun> burn;        // filled by `gpuprobe burn` (schema 1.3)
  int exit_code = 0;
  std::string verdict;  // one line
};

// JSON (de)serialization. from_json throws ReportError on a document of another schema or a
// malformed one; the message names what is wrong.
struct ReportError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Schema compatibility: "gpuprobe.report/1" and any "gpuprobe.report/1.N" (fields added only) are
// readable; anything else is rejected naming the versions read. Returns the message, "" when readable.
std::string schema_problem(const std::string& schema);

nlohmann::json to_json(const Report& r);
Report report_from_json(const nlohmann::json& j);
std::string now_iso8601_utc();

}  // namespace gpuprobe
