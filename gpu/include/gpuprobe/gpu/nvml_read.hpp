// Reading GPU facts through NVML's function table (gpu_libs.hpp). Host code that takes the table as
// an argument: unit tests drive it with stand-in functions, so every nvmlReturn_t path is tested
// without a GPU. Every query's return code is kept: a report must not claim what it did not read.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

// ---- What is read -------------------------------------------------------------------------------
// Facts only; probes/health.hpp judges them.

// One NVML query and the nvmlReturn_t it gave (kNvmlErrorFunctionNotFound, 13, when this driver's
// NVML lacks the entry point). Kept so a report says what it read and what it could not.
struct NvmlQuery {
  std::string name;  // "ecc_mode", "remapped_rows", ...
  int code = 0;
};

struct GpuHealth {
  std::optional<bool> ecc_enabled;
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
  std::vector<NvmlQuery> queries;               // every query made, with its code
};

// What NVML says about a GPU found by index, for when CUDA cannot use any GPU.
struct NvmlGpuSurvey {
  unsigned index = 0;
  int handle_code = 0;  // nvmlDeviceGetHandleByIndex_v2
  std::string name;     // "" when not read
  std::optional<bool> mig_enabled;
  std::optional<int> fabric_state;  // kNvmlFabricState*; nullopt when not read
  int fabric_status = 0;            // the registration's nvmlReturn_t, meaningful when COMPLETED
  int fabric_code = -1;             // the fabric query's nvmlReturn_t; -1 when not attempted
};

// Volatile ECC counters and row-remapping state, read before and after the pattern test: with ECC
// on, a single-bit fault is corrected in hardware (only the counter shows it) and a double-bit one
// raises an error instead of a wrong word.
struct EccCounters {
  std::optional<bool> ecc_enabled;
  std::optional<unsigned long long> corrected, uncorrected;  // volatile: since the driver loaded
  std::optional<unsigned> rows_remapped_correctable, rows_remapped_uncorrectable;
  std::optional<bool> remap_pending, remap_failure;
  std::vector<NvmlQuery> queries;
};

struct PcieLink {
  std::optional<int> gen_current, gen_max, width_current, width_max;
};

// ---- Reading ------------------------------------------------------------------------------------

// A device handle and the nvmlReturn_t of its lookup.
struct NvmlHandle {
  nvmlDevice_t dev = nullptr;
  int code = kNvmlErrorUninitialized;
  explicit operator bool() const { return code == kNvmlSuccess && dev != nullptr; }
  nvmlDevice_t operator*() const { return dev; }
};
// NVML handle of a CUDA device, matched by PCI bus id (CUDA and NVML number GPUs differently);
// code NOT_FOUND when the GPU has no bus id.
NvmlHandle nvml_handle_for(const NvmlLib& n, const GpuInfo& g);
// Fills clocks, ECC/MIG/persistence modes, PCIe, temperature, power into `g`; health facts into `h`,
// and every query with its code into h.queries. Stops querying at the first GPU_IS_LOST.
void nvml_read_device(const NvmlLib& n, nvmlDevice_t dev, GpuInfo& g, GpuHealth& h);
// `queries`, when given, receives each query's code.
PcieLink nvml_read_pcie(const NvmlLib& n, nvmlDevice_t dev, std::vector<NvmlQuery>* queries = nullptr);
// GPU temperature in C: nvmlDeviceGetTemperatureV (NVML 13), else the deprecated
// nvmlDeviceGetTemperature. One "temperature" entry in `queries`: the code of the call that decided.
std::optional<int> nvml_read_temperature(const NvmlLib& n, nvmlDevice_t dev,
                                         std::vector<NvmlQuery>* queries = nullptr);
// Clock-event reasons that mean throttling (HW slowdown, thermal, power brake) seen in one reading
// are confirmed before they are reported: NVML documents HW slowdown as also set for a moment
// during P-state or clock changes (which the checks cause: a context was just created). Returns
// `first` with those bits kept only if every one of `more` further readings (`read`, `interval`
// apart) has them too; a failed reading keeps them. Other bits pass through unchanged.
unsigned long long confirm_clock_event_reasons(unsigned long long first,
                                               const std::function<std::optional<unsigned long long>()>& read,
                                               int more = 4, std::chrono::milliseconds interval = std::chrono::milliseconds(50));

// Volatile ECC counters and row-remapping state (the memory check reads them around its test).
EccCounters nvml_read_ecc_counters(const NvmlLib& n, nvmlDevice_t dev);
// Every GPU NVML enumerates, by index (at most 64): handle, name, MIG mode, NVLink fabric state.
// For when CUDA cannot use any GPU and only NVML can say why.
std::vector<NvmlGpuSurvey> nvml_survey_gpus(const NvmlLib& n, unsigned count);

}  // namespace gpuprobe
