// The p2p family of `gpuprobe bench`: copies between two GPUs, measured on every ordered pair of the
// GPUs of the run (src → dst), with the copy engine (cudaMemcpyPeerAsync) and with SM copies (a
// kernel on one GPU reading the other's memory), one direction and both at once, and the latency
// of 4-byte copies; every copied byte verified (bench/src/gpu/p2p.cpp, kernels/src/p2p.cu). The
// nominal rate of the pair's link, for "% of peak", from the instance catalog. Host-only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/bench/spec.hpp"
#include "gpuprobe/report/benchmark.hpp"
#include "gpuprobe/report/catalog.hpp"

namespace gpuprobe::bench {

// The reason the family is skipped on a machine (or a --gpus list) of one GPU.
inline constexpr const char* kP2pOneGpu = "one GPU: no peer pairs";

// The spec of the table measured on each ordered pair of `gpus` (src ≠ dst, in order 0→1, 0→2, …,
// 1→0, …): src/dst set and params "src", "dst" added (part of the identity: compare pairs 0→1 with
// 0→1). Empty with fewer than two GPUs.
std::vector<BenchSpec> p2p_pair_specs(const BenchSpec& family_spec, const std::vector<int>& gpus);

// The nominal rate of the link between two GPUs of `type`, GB/s, for one direction (both
// directions: twice). NVLink through NVSwitch (p4d, p5, …): the catalog's NVLink rate per GPU,
// which counts both directions, halved. PCIe only: the slower GPU's PCIe link (`pcie_gbps`, its
// theoretical rate per direction). nullopt when the type is not in the catalog or its link is not
// confirmed there ("unknown": no % of peak rather than a guess).
struct P2pLink {
  std::optional<double> gb_s;  // one direction
  std::string what;            // "NVLink 4 through NVSwitch, 450 GB/s per direction", "unknown"
};
P2pLink p2p_link(const InstanceType* type, std::optional<double> pcie_gbps);

// The text of the p2p results: one matrix per benchmark (name and bytes), rows the source GPU,
// columns the destination, each cell the value (GB/s, or µs for latency) and its % of the link's
// nominal rate when known; "FAIL" or "skip" where the pair did not measure, "-" on the diagonal.
// Entries without a pair (the family skipped on one GPU) are listed by their reason.
std::string render_p2p_matrices(const std::vector<Benchmark>& entries);

}  // namespace gpuprobe::bench
