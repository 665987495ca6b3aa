// NVML readings for `gpuprobe burn`, once a second per GPU: clocks, power and its limit,
// temperature, clock-event reasons, volatile ECC counters, PCIe replays; and Xid events through an
// NVML event set. Host code over the NvmlLib table: unit tests drive it with stand-in functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/gpu/nvml_read.hpp"
#include "gpuprobe/report/burn.hpp"

namespace gpuprobe {

// One reading of `dev` at `t` seconds. A query that fails leaves its field unset; every query and
// its code go to `queries` when given. Stops at the first GPU_IS_LOST.
BurnSample nvml_burn_sample(const NvmlLib& n, nvmlDevice_t dev, double t, std::vector<NvmlQuery>* queries = nullptr);

// "pcie_replays: Not Supported; ecc_corrected: ...": the queries that failed, each once, "" when none.
std::string nvml_failed_queries(const NvmlLib& n, const std::vector<NvmlQuery>& queries);

// Critical Xid events of some GPUs through one NVML event set (nvmlEventSetCreate,
// nvmlDeviceRegisterEvents with the Xid event type, nvmlEventSetWait_v2, nvmlEventSetFree). A GPU
// or driver that does not support them (NOT_SUPPORTED, an entry point missing) is recorded in its
// note; wait() then only waits.
class NvmlXidWatch {
 public:
  NvmlXidWatch(const NvmlLib& n, std::vector<nvmlDevice_t> devs);
  ~NvmlXidWatch();
  NvmlXidWatch(const NvmlXidWatch&) = delete;
  NvmlXidWatch& operator=(const NvmlXidWatch&) = delete;
  // Waits up to `timeout` for events; returns those that came as (position in devs, Xid).
  std::vector<std::pair<std::size_t, std::uint64_t>> wait(std::chrono::milliseconds timeout);
  // "watched", or why GPU i's Xid events are not.
  const std::string& note(std::size_t i) const { return notes_[i]; }

 private:
  const NvmlLib& n_;
  std::vector<nvmlDevice_t> devs_;
  std::vector<std::string> notes_;
  nvmlEventSet_t set_ = nullptr;
  bool any_ = false;  // at least one GPU registered
};

}  // namespace gpuprobe
