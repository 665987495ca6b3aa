// Reading how GPUs reach each other through NVML's function table (gpu_libs.hpp): the PCIe path and
// P2P status of each pair of GPUs, and each GPU's NVLink links (state, version, what is at the other
// end, error counters). Host code that takes the table as an argument, like nvml_read.hpp: unit
// tests drive it with stand-in functions. Every query's nvmlReturn_t is kept.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/gpu/nvml_read.hpp"  // NvmlQuery

namespace gpuprobe {

// One NVLink link of a GPU, as NVML answered for it.
struct NvLinkLinkState {
  unsigned link = 0;
  std::optional<bool> active;       // nvmlDeviceGetNvLinkState; nullopt when that query failed
  std::optional<unsigned> version;  // nvmlNvlinkVersion_t as NVML answers it (4 = 3.0, 6 = 4.0)
  std::string remote_bus_id;        // PCI bus id at the other end (a GPU or an NVSwitch); "" when not read
  std::optional<int> remote_type;   // kNvmlNvLinkDeviceType*; nullopt when not read
  // The data-link layer's error counters since the driver loaded; nullopt when not read.
  std::optional<unsigned long long> replay, recovery, crc_flit, crc_data;
};

// A GPU's NVLink links, asked from link 0 up to NVML_NVLINK_MAX_LINKS - 1. The first state query
// that answers NOT_SUPPORTED (no NVLink, or no more links), INVALID_ARGUMENT (past the GPU's last
// link), FUNCTION_NOT_FOUND (an NVML without the entry point) or GPU_IS_LOST ends the reading.
// Version, remote end and counters are asked for links whose state was read; the remote end only
// for active links.
struct NvLinkRead {
  int first_code = kNvmlSuccess;  // link 0's state query
  int end_code = kNvmlSuccess;    // the state query that ended the reading (SUCCESS: all 18 answered)
  std::vector<NvLinkLinkState> links;
  std::vector<NvmlQuery> queries;  // every query made, with its code: "nvlink_state[3]", ...
  int active_count() const;
  int inactive_count() const;
};
NvLinkRead nvml_read_nvlinks(const NvmlLib& n, nvmlDevice_t dev);

// What NVML says of the ordered pair of GPUs a → b.
struct NvmlPairRead {
  std::optional<int> topology;  // kNvmlTopology*, the common ancestor on the PCIe tree
  // kNvmlP2PStatus* for each capability, indexed by kNvmlP2PCaps* (read, write, NVLink, atomics)
  std::array<std::optional<int>, 4> p2p;
  std::vector<NvmlQuery> queries;
};
NvmlPairRead nvml_read_pair(const NvmlLib& n, nvmlDevice_t a, nvmlDevice_t b);

// "internal", "PCIe switch" (SINGLE), "PCIe switches" (MULTIPLE), "host bridge", "NUMA node",
// "across CPU sockets" (SYSTEM); "level N" otherwise. nvidia-smi topo -m's PIX, PXB, PHB, NODE, SYS.
std::string nvml_topology_name(int level);
// "OK", "CHIPSET_NOT_SUPPORTED", "GPU_NOT_SUPPORTED", "IOH_TOPOLOGY_NOT_SUPPORTED",
// "DISABLED_BY_REGKEY", "NOT_SUPPORTED", "UNKNOWN"; "status N" otherwise.
std::string nvml_p2p_status_name(int status);
// "read", "write", "nvlink", "atomics": the capability index's name.
const char* nvml_p2p_caps_name(int index);
// NVLink's major version from NVML's nvmlNvlinkVersion_t (1 → 1.0, 2 → 2.0, 3 → 2.2, 4 → 3.0,
// 5 → 3.1, 6 → 4.0, 7 → 5.0, 8 → 6.0); nullopt for 0 (INVALID) and unknown values.
std::optional<int> nvlink_version_major(unsigned nvml_version);
std::string nvlink_version_name(unsigned nvml_version);  // "3.0"; "unknown (N)"
// "GPU", "NVSwitch", "IBM NPU", "unknown".
std::string nvlink_remote_type_name(int type);

}  // namespace gpuprobe
