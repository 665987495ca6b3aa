// Judgements on how the GPUs of a machine reach each other: P2P between every pair (CUDA's and
// NVML's view), each GPU's NVLink links and their error counters, and the NVSwitch fabric, against
// what the instance type should have (catalog). Pure functions, unit-tested on fixture NVML
// answers; the topology check only gathers the facts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuprobe/gpu/nvml_topology.hpp"
#include "gpuprobe/probes/health.hpp"  // Finding
#include "gpuprobe/report/catalog.hpp"

namespace gpuprobe {

// What the instance type should have, from the catalog.
struct TopologyExpectation {
  std::string instance_type;          // "" when the machine does not say
  std::string matched;                // the instance type when the catalog knows its links; "" otherwise
  std::optional<int> nvlink_links;    // active NVLink links per GPU; 0: PCIe only; nullopt: unknown
  std::optional<int> nvlink_version;  // NVLink major version
  bool nvswitch = false;              // the GPUs are joined through NVSwitch (Fabric Manager needed)
  std::string source;                 // where the figures come from, with the date they were recorded
  bool known() const { return nvlink_links.has_value(); }
  bool expects_nvlink() const { return nvlink_links.value_or(0) > 0; }
};
// The exact type's entry; else, for a family whose every size is PCIe only (links_family_wide),
// the family's entry; else unknown.
TopologyExpectation expected_topology(const Catalog& c, const std::string& instance_type);

// One CUDA GPU as NVML saw it.
struct TopologyGpu {
  int index = 0;                     // CUDA index
  std::string label;                 // "GPU 0 (NVIDIA H100 80GB HBM3)"
  std::string bus_id;
  int handle_code = kNvmlSuccess;    // the NVML handle lookup
  std::optional<NvLinkRead> nvlink;  // nullopt: not read (NVML not usable, no handle)
};

// One pair of CUDA GPUs, a < b.
struct TopologyPair {
  int a = 0, b = 0;
  std::optional<bool> cuda_ab, cuda_ba;  // cudaDeviceCanAccessPeer(a, b) and (b, a); nullopt: the call failed
  std::string cuda_error;                // the failed call's error name
  std::optional<NvmlPairRead> nvml;      // NVML's view of a → b; nullopt: not read
  bool cuda_both() const { return cuda_ab.value_or(false) && cuda_ba.value_or(false); }
};

struct TopologyFacts {
  std::vector<TopologyGpu> gpus;
  std::vector<TopologyPair> pairs;
  bool nvml_usable = false;
  std::string nvml_missing;           // why NVML is not usable
  std::vector<NvmlGpuSurvey> fabric;  // every NVML GPU's NVSwitch fabric registration
};

// Every finding, pass ones (information) included. Reasons: topology_fabric_manager,
// topology_nvlink_missing, topology_nvlink_down, topology_nvlink_uneven, topology_nvlink_errors,
// topology_nvlink_unread, topology_nvlink_version, topology_p2p_denied, topology_p2p_not_nvlink,
// topology_p2p_asymmetric, topology_p2p_query, topology_p2p_pcie (see docs/checks.md).
std::vector<Finding> evaluate_topology(const TopologyFacts& f, const TopologyExpectation& e);
// What was found, for the pass message: "8 GPUs, 28 pairs: P2P between every pair; NVLink 18 of 18
// active on every GPU (NVLink 4.0, to NVSwitch); no NVLink errors".
std::string describe_topology(const TopologyFacts& f);
// details: `expected` (figures and source), `p2p[]` (per pair), `gpus[]` (per GPU, its links),
// `fabric[]`, `unavailable[]` (NVML queries that failed).
nlohmann::json topology_details(const TopologyFacts& f, const TopologyExpectation& e);

}  // namespace gpuprobe
