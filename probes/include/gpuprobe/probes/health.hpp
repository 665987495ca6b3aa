// Judgements on facts read from NVML, the PCIe link and the environment. Pure functions, so every
// rule is unit-tested without a GPU; the checks only gather the facts.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

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

struct GpuHealth {
  std::optional<unsigned long long> ecc_volatile_uncorrected;
  std::optional<unsigned long long> ecc_aggregate_uncorrected;
  std::optional<bool> remap_pending;
  std::optional<bool> remap_failure;
  std::optional<unsigned> remapped_rows_uncorrectable;
  std::optional<bool> retired_pages_pending;
  std::optional<unsigned long long> clock_event_reasons;
  std::optional<bool> mig_enabled;
  std::optional<bool> persistence_mode;
  std::optional<int> temperature_c;
  std::optional<double> power_limit_w;          // enforced
  std::optional<double> default_power_limit_w;  // the board's default
};
std::vector<Finding> evaluate_gpu_health(const std::string& gpu, const GpuHealth& h);
std::string describe_clock_event_reasons(unsigned long long bits);  // "thermal (HW), power brake"
// The same reasons one name each, in bit order ({} for none).
std::vector<std::string> clock_event_reason_names(unsigned long long bits);

struct PcieLink {
  std::optional<int> gen_current, gen_max, width_current, width_max;
};
// h2d_gbps: measured pinned host-to-device bandwidth in GB/s (1e9), or nullopt when not measured.
std::vector<Finding> evaluate_pcie(const std::string& gpu, const PcieLink& link, std::optional<double> h2d_gbps);

// Variables that distort results or hide GPUs. nvml_gpus / cuda_gpus: counts each API sees.
std::vector<Finding> evaluate_environment(const std::map<std::string, std::string>& env,
                                          std::optional<int> nvml_gpus, std::optional<int> cuda_gpus);

}  // namespace gpuprobe
