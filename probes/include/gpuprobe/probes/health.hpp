// Judgements on facts read from NVML, the PCIe link and the environment. Pure functions, so every
// rule is unit-tested without a GPU; the checks only gather the facts.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gpuprobe/gpu/nvml_read.hpp"  // the facts: GpuHealth, EccCounters, PcieLink, NvmlGpuSurvey
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

struct Finding {
  Status status = Status::pass;  // pass = informational
  std::string reason;
  std::string message;
  std::string hint;
};

// Worst status first: fail > warn > pass (skip never appears in findings).
Status worst(const std::vector<Finding>& fs);

// nvmlReturn_t as NVML names it, without the NVML_ERROR_ prefix: "NOT_SUPPORTED", "GPU_IS_LOST".
std::string nvml_return_name(int code);
// The queries that did not succeed, in order.
std::vector<NvmlQuery> unavailable_queries(const std::vector<NvmlQuery>& qs);

// A query that returned GPU_IS_LOST fails the GPU (gpu_lost) and nothing else is judged: the
// other facts were not read. RESET_REQUIRED fails as gpu_reset_required.
std::vector<Finding> evaluate_gpu_health(const std::string& gpu, const GpuHealth& h);
// What was actually read, for the pass message: "no volatile ECC DBE, no pending row remaps, no
// throttling"; an aspect not read says so and why ("row remapping not readable (MIG on)").
std::string describe_gpu_health(const GpuHealth& h);
// The nvml check's pass message over the GPUs examined (label, facts): "2 GPUs examined through
// NVML: <describe_gpu_health>" when every GPU read the same, else one clause per group of GPUs.
std::string nvml_pass_message(const std::vector<std::pair<std::string, GpuHealth>>& examined);

// nvmlDeviceGetHandleByPciBusId_v2 failed with `code`: GPU_IS_LOST, INSUFFICIENT_POWER, IRQ_ISSUE
// are hardware faults (fail); NO_PERMISSION and NOT_FOUND warn.
Finding evaluate_nvml_handle_error(const std::string& gpu, const std::string& bus_id, int code,
                                   const std::string& error_text);

// What NVML says about the NVSwitch fabric registration of the GPUs it could open.
struct FabricSummary {
  std::size_t unregistered = 0;  // NOT_STARTED or IN_PROGRESS
  std::size_t failed = 0;        // COMPLETED with an error
  std::size_t registered = 0;    // COMPLETED fine
  std::size_t no_fabric = 0;     // state NOT_SUPPORTED, or the query NOT_SUPPORTED
  std::string text;              // "registration not started on NVML GPUs 0, 1; ..."
};
FabricSummary summarize_fabric(const std::vector<NvmlGpuSurvey>& gpus);
// The fix for a fabric not registered: nvidia-fabricmanager on the host, at the driver's version.
const char* fabric_manager_hint();

// CUDA sees no GPU but NVML sees nvml_count: MIG on without a visible instance (mig_no_instance),
// an NVSwitch fabric not initialized (fabric_manager), a lost GPU (gpu_lost); else nvml_only.
std::vector<Finding> evaluate_cuda_sees_none(const std::vector<NvmlGpuSurvey>& gpus, unsigned nvml_count);
// cuInit returned 802 CUDA_ERROR_SYSTEM_NOT_READY. `survey`: what NVML read of every GPU, nullopt
// when NVML was not usable. fabric_manager when NVML confirms an NVSwitch fabric not (successfully)
// registered; otherwise system_not_ready, with the hint that fits what is known.
Finding evaluate_system_not_ready(const std::optional<std::vector<NvmlGpuSurvey>>& survey);

// ---- The memory check on ECC GPUs -------------------------------------------------------------------
std::vector<Finding> evaluate_ecc_during_test(const std::string& gpu, const EccCounters& before,
                                              const EccCounters& after);
// "ECC counters unchanged", "ECC off", "ECC counters not read (NOT_SUPPORTED)"; "" when they changed
// (the findings say how).
std::string describe_ecc_during_test(const EccCounters& before, const EccCounters& after);

// CUDA runtime codes the memory check tells apart (driver_types.h; no CUDA headers here).
inline constexpr int kCudaErrorMemoryAllocation = 2, kCudaErrorEccUncorrectable = 214;
// The memory test did not complete with `code`: 214 is an uncorrectable ECC error (ecc_uncorrectable),
// 2 another process holding memory, anything else memtest_error.
Finding evaluate_memtest_error(const std::string& gpu, int code, const std::string& error_name,
                               const std::string& error_text);
std::string describe_clock_event_reasons(unsigned long long bits);  // "thermal (HW), power brake"
// The same reasons one name each, in bit order ({} for none).
std::vector<std::string> clock_event_reason_names(unsigned long long bits);

// h2d_gbps: measured pinned host-to-device bandwidth in GB/s (1e9), or nullopt when not measured.
std::vector<Finding> evaluate_pcie(const std::string& gpu, const PcieLink& link, std::optional<double> h2d_gbps);

// Variables that distort results or hide GPUs. nvml_gpus / cuda_gpus: counts each API sees.
std::vector<Finding> evaluate_environment(const std::map<std::string, std::string>& env,
                                          std::optional<int> nvml_gpus, std::optional<int> cuda_gpus);

}  // namespace gpuprobe
