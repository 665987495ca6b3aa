// The built-in catalog of AWS GPU instance types: GPU model and count, memory, compute capability,
// datasheet peaks (unknown where the reference gives none), and on-demand prices with the region
// and the date they were taken. `--prices FILE` replaces the price table. Source of the numbers:
// the project's reference facts (shared/reference/facts.md); docs/compare.md lists them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gpuprobe {

struct Comparison;

struct GpuModel {
  std::string name;  // "A10G"
  int cc_major = 0, cc_minor = 0;
  std::optional<double> memory_gb;  // per GPU, GB as the datasheet states it
  std::optional<double> peak_fp32_tflops, peak_tf32_tflops, peak_fp16_tflops, peak_mem_gb_s;  // dense
};

// How an instance type's GPUs reach each other, the host and other nodes: nominal figures from the
// datasheets and AWS pages named in `source`, as recorded on `as_of`; unknown (nullopt, "unknown")
// where no source confirmed them.
struct Interconnect {
  std::string gpu_link = "unknown";   // "none (one GPU)", "PCIe only", "NVLink 4 through NVSwitch"
  std::optional<double> nvlink_gb_s;  // NVLink per GPU, both directions together, GB/s
  std::string pcie = "unknown";       // each GPU's host link: "PCIe 4.0 x16"
  std::optional<int> efa_interfaces;  // EFA interfaces the type takes; 0: no EFA
  std::optional<double> efa_gbps;     // all of them together, Gbit/s
  std::string source;
  std::string as_of;
  // NVLink links each GPU should have active and their NVLink major version, for the topology
  // check: 0 links where the type's GPUs have no NVLink (PCIe only); nullopt where no source
  // confirmed it. `links_source` names the source, recorded on `as_of`.
  std::optional<int> nvlink_links;
  std::optional<int> nvlink_version;
  std::string links_source;
  // The link figures hold for every size of the family (its GPU model has no NVLink at all), so a
  // size the catalog does not list (g5.12xlarge beside g5.xlarge) is judged by them too.
  bool links_family_wide = false;
};

struct InstanceType {
  std::string name;    // "g5.xlarge"
  std::string family;  // "g5"
  int gpu_count = 1;   // GPUs of the whole instance
  GpuModel gpu;
  Interconnect interconnect;
};

struct PriceTable {
  std::string region;  // "us-east-1"
  std::string date;    // when the prices were taken, as precise as known
  std::string source;
  std::map<std::string, double> per_hour;  // instance type → on-demand Linux $/hour
};

struct Catalog {
  std::vector<InstanceType> instances;
  PriceTable prices;
};

const Catalog& builtin_catalog();

// Exact instance type; else nullptr.
const InstanceType* find_instance(const Catalog& c, const std::string& name);
// The family of an instance type ("g5.2xlarge" → "g5", "p6-b200.48xlarge" → "p6-b200"), and the
// first catalog entry of that family (GPU model known, price of another size: not used).
std::string family_of(const std::string& instance_type);
const InstanceType* find_family(const Catalog& c, const std::string& instance_type);
std::optional<double> price_of(const Catalog& c, const std::string& instance_type);

// Whether a CUDA toolkit major version can build for / run on a compute capability. CUDA 13 dropped
// cc < 7.5, CUDA 12 cc < 5.0, so p3 (V100, 7.0) needs a CUDA 12 image and p2 (K80, 3.7) CUDA 11.
struct CudaSupport {
  bool supported = false;
  std::string note;  // "", or "needs a CUDA 12 image", "needs CUDA ≤ 11 and driver ≤ R470"
};
CudaSupport cuda_support(int cc_major, int cc_minor, int cuda_major);
// "13.0.88" → 13; 0 when not a version.
int cuda_major_of(const std::string& version);

// A --prices document: {"region": "...", "date": "YYYY-MM-DD", "source": "...", "prices": {"g5.xlarge": 1.006}}.
// Throws std::invalid_argument naming the field. The table replaces the built-in one entirely.
PriceTable prices_from_json(const nlohmann::json& j);

// Fills columns' instance types (a label that names a known instance type counts), prices and the
// instance's GPU count (catalog types only: a type priced by --prices alone has an unknown count).
void attach_prices(Comparison& comparison, const Catalog& c);

// `gpuprobe instances` output.
std::string render_instances_text(const Catalog& c, int cuda_major, const std::string& cuda_version);
std::string render_instances_markdown(const Catalog& c, int cuda_major, const std::string& cuda_version);
nlohmann::json instances_to_json(const Catalog& c, int cuda_major, const std::string& cuda_version);

}  // namespace gpuprobe
