// The rules of the nccl and efa checks: pure functions of what NCCL's log said, the environment, the
// instance type's catalog entry and the files a machine shows (SystemView, fakeable). Unit-tested
// without a GPU in tests/unit/test_nccl.cpp; the checks are probes/src/checks/{nccl,efa}.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/gpu/nccl_lib.hpp"
#include "gpuprobe/gpu/system.hpp"
#include "gpuprobe/probes/health.hpp"

namespace gpuprobe {

// ---- nccl --------------------------------------------------------------------------------------
// What the transport verdict stands on.
struct NcclTransportFacts {
  int ranks = 0;                      // one per local GPU
  std::string instance_type;          // "" when not known
  std::string gpu_link;               // the catalog's Interconnect::gpu_link; "" when the type is not in it
  NcclLog log;                        // parse_nccl_log of the run's NCCL_DEBUG=INFO output
  std::vector<std::string> env;       // nccl_transport_env
};
// The catalog says this type's GPUs are joined by NVLink ("NVLink 4 through NVSwitch").
bool nvlink_type(const std::string& gpu_link);
// The findings about how NCCL joined the local GPUs:
//  - one rank: nothing to connect (pass);
//  - SHM or NET between GPUs of this machine on a type whose GPUs have NVLink: fail (nccl_no_p2p),
//    with the cause (NCCL_P2P_DISABLE set; else P2P blocked: ACS or the IOMMU, or the GPUs cut off
//    from each other by the container or the virtual machine);
//  - the same on another type: a warning when NCCL_P2P_DISABLE / NCCL_SHM_DISABLE caused it, else
//    a pass that says so (PCIe-only GPUs without P2P, e.g. most virtual machines, use SHM);
//  - no connection in the log: a pass saying the transport is unknown.
std::vector<Finding> nccl_transport_findings(const NcclTransportFacts& f);
// One line for the check's message: "P2P/CUMEM/read between 8 GPUs" or "no transport (one rank)".
std::string nccl_transport_summary(const NcclTransportFacts& f);

// ---- efa ---------------------------------------------------------------------------------------
// What a machine shows of AWS's Elastic Fabric Adapter.
struct EfaView {
  std::vector<std::string> uverbs;         // /dev/infiniband/uverbs* (the device nodes a process opens)
  std::vector<std::string> efa_devices;    // /sys/class/infiniband/<name> whose driver is efa (or named *efa*)
  std::vector<std::string> rdma_devices;   // every /sys/class/infiniband entry
  std::string libfabric;                   // the libfabric.so.1 found, "" when none
  bool libfabric_from_efa_installer = false;  // under /opt/amazon/efa: AWS's build, the efa provider built in
  std::string efa_provider;                // a libefa-fi.so beside it (libfabric/), "" when none
  std::string ofi_nccl_plugin;             // the aws-ofi-nccl plugin NCCL would load, "" when none
  bool plugin_on_loader_path = false;      // NCCL finds it (it dlopens it by name)
  std::string net_plugin_env;              // NCCL_NET_PLUGIN, "" when unset
};
// Reads them: /dev/infiniband, /sys/class/infiniband, libfabric.so.1 in /opt/amazon/efa/lib{,64}
// or through the loader's paths, and the NCCL net plugin (libnccl-net-<NCCL_NET_PLUGIN>.so, else
// libnccl-net-ofi.so or libnccl-net.so, in LD_LIBRARY_PATH, /opt/amazon/ofi-nccl/lib{,64},
// /opt/aws-ofi-nccl/lib and the loader's paths).
EfaView read_efa_view(const SystemView& sys);

struct EfaFacts {
  EfaView view;
  std::string instance_type;           // "" when not known
  std::optional<int> efa_interfaces;   // the catalog's; nullopt: type unknown to it
  bool in_container = false;
  std::string nccl_network;            // what the nccl check's NCCL chose ("AWS Libfabric", "Socket"), "" unknown
};
// The findings: on a type with EFA each missing piece (device nodes in the container, the EFA
// interfaces on the instance, libfabric with the efa provider, the aws-ofi-nccl plugin, NCCL's
// choice of network) is a warning with its fix; on a type unknown to the catalog, what is there
// (pass). Types without EFA are the check's skip, not judged here.
std::vector<Finding> efa_findings(const EfaFacts& f);

}  // namespace gpuprobe
