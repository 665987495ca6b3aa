// Compatibility knowledge, pure functions: driver vs runtime, binary architectures vs device,
// which CUDA versions support which compute capabilities, PCIe link bandwidth.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

// ---- driver vs runtime ---------------------------------------------------------------------------
// CUDA versions are encoded as in the CUDA API: 1000 * major + 10 * minor (13000 = 13.0, 12080 = 12.8).
struct CompatAssessment {
  Status status = Status::pass;
  std::string reason;  // "", "driver_too_old", "minor_version_compat"
  std::string message;
  std::string hint;
};

// Minimum driver branch for minor-version compatibility within a CUDA major (13.x: 580, 12.x: 525,
// 11.x: 450), and the driver a CUDA release shipped with. Empty when unknown.
std::optional<int> min_driver_branch_for_major(int cuda_major);
std::string ga_driver_for_cuda(int cuda_version);
// The newest nvidia/cuda image line a driver supporting `driver_cuda` runs, e.g. "12.4.1" for 12040.
std::string image_version_for_driver(int driver_cuda);

CompatAssessment assess_driver_runtime(int driver_cuda, int runtime_cuda, const std::string& driver_version);

// ---- architectures -------------------------------------------------------------------------------
struct ArchEntry {
  int sm = 0;           // 90 for sm_90
  char suffix = 0;      // 'a' (arch-specific) or 'f' (family) or 0
  bool sass = false;    // real code present
  bool ptx = false;     // virtual (PTX) present
};

// Parse a CMake CUDA_ARCHITECTURES list ("75-real;90", "90a-real,100f"). nullopt when it holds
// symbolic values (all, all-major, native) or anything else unparseable.
std::optional<std::vector<ArchEntry>> parse_arch_list(const std::string& list);

enum class ArchSupport { sass_exact, sass_compatible, ptx_jit, none };
struct ArchAssessment {
  ArchSupport support = ArchSupport::none;
  int via_sm = 0;  // the entry that serves the device
};
ArchAssessment assess_arch(int cc_major, int cc_minor, const std::vector<ArchEntry>& archs);
std::string describe_archs(const std::vector<ArchEntry>& archs);  // "sm_75, sm_90 + PTX compute_90"

// Oldest compute capability a CUDA major release still builds and runs (CUDA 13: 7.5, 12: 5.0, 11: 3.5).
int min_cc_for_cuda_major(int cuda_major);
// A short name of the GPUs of a compute capability, for messages ("V100 (p3)").
std::string gpus_of_cc(int cc_major, int cc_minor);

// ---- PCIe ----------------------------------------------------------------------------------------
// Theoretical one-direction bandwidth of a link in GB/s (1e9 bytes), after line encoding.
double pcie_link_gbps(int gen, int width);

}  // namespace gpuprobe
