// Check 8 (run early: later checks read the PCIe link and clocks it records): NVML loadable, and
// per GPU ECC double-bit errors, row remapping, retired pages, clock throttling, MIG, persistence.
#include <cstdio>

#include "check_util.hpp"
#include "checks.hpp"
#include "nvml_read.hpp"

namespace gpuprobe {

std::optional<nvmlDevice_t> nvml_handle_for(const NvmlLib& n, const GpuInfo& g) {
  nvmlDevice_t dev = nullptr;
  if (!g.pci_bus_id.empty() && n.nvmlDeviceGetHandleByPciBusId_v2(g.pci_bus_id.c_str(), &dev) == kNvmlSuccess)
    return dev;
  return std::nullopt;
}

PcieLink nvml_read_pcie(const NvmlLib& n, nvmlDevice_t dev) {
  PcieLink l;
  unsigned v = 0;
  if (n.nvmlDeviceGetCurrPcieLinkGeneration && n.nvmlDeviceGetCurrPcieLinkGeneration(dev, &v) == kNvmlSuccess) l.gen_current = static_cast<int>(v);
  if (n.nvmlDeviceGetMaxPcieLinkGeneration && n.nvmlDeviceGetMaxPcieLinkGeneration(dev, &v) == kNvmlSuccess) l.gen_max = static_cast<int>(v);
  if (n.nvmlDeviceGetCurrPcieLinkWidth && n.nvmlDeviceGetCurrPcieLinkWidth(dev, &v) == kNvmlSuccess) l.width_current = static_cast<int>(v);
  if (n.nvmlDeviceGetMaxPcieLinkWidth && n.nvmlDeviceGetMaxPcieLinkWidth(dev, &v) == kNvmlSuccess) l.width_max = static_cast<int>(v);
  return l;
}

void nvml_read_device(const NvmlLib& n, nvmlDevice_t dev, GpuInfo& g, GpuHealth& h) {
  unsigned v = 0;
  int mode = 0, pending = 0;
  unsigned long long ull = 0;
  if (n.nvmlDeviceGetClockInfo && n.nvmlDeviceGetClockInfo(dev, kNvmlClockSm, &v) == kNvmlSuccess) g.sm_clock_mhz = static_cast<int>(v);
  if (n.nvmlDeviceGetMaxClockInfo && n.nvmlDeviceGetMaxClockInfo(dev, kNvmlClockSm, &v) == kNvmlSuccess) g.sm_clock_max_mhz = static_cast<int>(v);
  if (n.nvmlDeviceGetClockInfo && n.nvmlDeviceGetClockInfo(dev, kNvmlClockMem, &v) == kNvmlSuccess) g.mem_clock_mhz = static_cast<int>(v);
  if (n.nvmlDeviceGetMaxClockInfo && n.nvmlDeviceGetMaxClockInfo(dev, kNvmlClockMem, &v) == kNvmlSuccess) g.mem_clock_max_mhz = static_cast<int>(v);
  if (n.nvmlDeviceGetEccMode && n.nvmlDeviceGetEccMode(dev, &mode, &pending) == kNvmlSuccess) g.ecc_enabled = mode != 0;
  if (g.ecc_enabled.value_or(false) && n.nvmlDeviceGetTotalEccErrors) {
    if (n.nvmlDeviceGetTotalEccErrors(dev, kNvmlMemoryErrorUncorrected, kNvmlVolatileEcc, &ull) == kNvmlSuccess)
      h.ecc_volatile_uncorrected = ull;
    if (n.nvmlDeviceGetTotalEccErrors(dev, kNvmlMemoryErrorUncorrected, kNvmlAggregateEcc, &ull) == kNvmlSuccess)
      h.ecc_aggregate_uncorrected = ull;
  }
  unsigned corr = 0, unc = 0, is_pending = 0, failure = 0;
  if (n.nvmlDeviceGetRemappedRows && n.nvmlDeviceGetRemappedRows(dev, &corr, &unc, &is_pending, &failure) == kNvmlSuccess) {
    h.remap_pending = is_pending != 0;
    h.remap_failure = failure != 0;
    h.remapped_rows_uncorrectable = unc;
  } else if (n.nvmlDeviceGetRetiredPagesPendingStatus &&
             n.nvmlDeviceGetRetiredPagesPendingStatus(dev, &mode) == kNvmlSuccess) {
    h.retired_pages_pending = mode != 0;  // pre-Ampere GPUs retire pages instead of remapping rows
  }
  if (n.nvmlDeviceGetCurrentClocksEventReasons && n.nvmlDeviceGetCurrentClocksEventReasons(dev, &ull) == kNvmlSuccess)
    h.clock_event_reasons = ull;
  unsigned mig = 0, mig_pending = 0;
  if (n.nvmlDeviceGetMigMode && n.nvmlDeviceGetMigMode(dev, &mig, &mig_pending) == kNvmlSuccess) g.mig_enabled = mig != 0;
  h.mig_enabled = g.mig_enabled;
  if (n.nvmlDeviceGetPersistenceMode && n.nvmlDeviceGetPersistenceMode(dev, &mode) == kNvmlSuccess) g.persistence_mode = mode != 0;
  h.persistence_mode = g.persistence_mode;
  if (n.nvmlDeviceGetTemperature && n.nvmlDeviceGetTemperature(dev, kNvmlTemperatureGpu, &v) == kNvmlSuccess) g.temperature_c = static_cast<int>(v);
  h.temperature_c = g.temperature_c;
  if (n.nvmlDeviceGetPowerUsage && n.nvmlDeviceGetPowerUsage(dev, &v) == kNvmlSuccess) g.power_w = v / 1000.0;
  if (n.nvmlDeviceGetEnforcedPowerLimit && n.nvmlDeviceGetEnforcedPowerLimit(dev, &v) == kNvmlSuccess) g.power_limit_w = v / 1000.0;
  h.power_limit_w = g.power_limit_w;
  if (n.nvmlDeviceGetPowerManagementDefaultLimit && n.nvmlDeviceGetPowerManagementDefaultLimit(dev, &v) == kNvmlSuccess)
    h.default_power_limit_w = v / 1000.0;
  const PcieLink l = nvml_read_pcie(n, dev);
  g.pcie_gen_current = l.gen_current;
  g.pcie_gen_max = l.gen_max;
  g.pcie_width_current = l.width_current;
  g.pcie_width_max = l.width_max;
}

namespace checks {

CheckResult nvml(ProbeContext& ctx) {
  const bool required = ctx.options().require.count("nvml") > 0;
  const NvmlLib& n = nvml_lib();
  ctx.sink().with([&](Report& r) {
    r.software.libraries["libnvidia-ml.so.1"] = n.lib.loaded() ? n.lib.path() : "missing: " + n.missing;
  });
  if (!n.lib.loaded()) {
    if (!ctx.driver().lib_loaded && !required)
      return skip("no NVML (libnvidia-ml.so.1) and no driver in this container", "no_gpu");
    auto r = outcome(required ? Status::fail : Status::warn, "missing_library",
                     "NVML (libnvidia-ml.so.1) is not in this container: no health, clock or PCIe readings",
                     "NVIDIA_DRIVER_CAPABILITIES must include 'utility' (nvidia/cuda images set compute,utility); "
                     "with docker use --gpus all, not a device mount");
    r.measured = n.missing;
    return r;
  }
  if (!n.missing.empty() || n.init_result != kNvmlSuccess) {
    const std::string why = !n.missing.empty() ? n.missing : "nvmlInit: " + n.error_string(n.init_result);
    auto r = outcome(ctx.driver().ok() || required ? Status::fail : Status::skip, "nvml_init",
                     "NVML loads but does not initialize: " + why,
                     "the driver libraries in the container may not match the host kernel module; check nvidia-smi");
    r.measured = why;
    return r;
  }
  // NVML calls stay outside the report lock: the watchdog needs that lock if one of them hangs.
  char drv[96] = {}, ver[96] = {};
  const bool have_drv = n.nvmlSystemGetDriverVersion && n.nvmlSystemGetDriverVersion(drv, sizeof drv) == kNvmlSuccess;
  const bool have_ver = n.nvmlSystemGetNVMLVersion && n.nvmlSystemGetNVMLVersion(ver, sizeof ver) == kNvmlSuccess;
  ctx.sink().with([&](Report& r) {
    if (have_drv) r.software.driver_version = std::string(drv);
    if (have_ver) r.software.nvml_version = std::string(ver);
  });
  unsigned nvml_count = 0;
  n.nvmlDeviceGetCount_v2(&nvml_count);

  std::vector<Finding> fs;
  std::vector<GpuInfo> gpus = ctx.gpus_usable() ? ctx.gpus() : std::vector<GpuInfo>{};
  nlohmann::json per_gpu = nlohmann::json::array();
  for (auto& g : gpus) {
    auto dev = nvml_handle_for(n, g);
    if (!dev) {
      fs.push_back({Status::warn, "nvml_no_handle", gpu_label(g) + ": NVML does not know PCI bus " + g.pci_bus_id, ""});
      continue;
    }
    GpuHealth h;
    nvml_read_device(n, *dev, g, h);
    auto more = evaluate_gpu_health(gpu_label(g), h);
    fs.insert(fs.end(), more.begin(), more.end());
    per_gpu.push_back({{"index", g.index},
                       {"ecc_volatile_uncorrected", h.ecc_volatile_uncorrected ? nlohmann::json(*h.ecc_volatile_uncorrected) : nlohmann::json()},
                       {"remap_pending", h.remap_pending ? nlohmann::json(*h.remap_pending) : nlohmann::json()},
                       {"clock_event_reasons", h.clock_event_reasons ? describe_clock_event_reasons(*h.clock_event_reasons) : ""}});
  }
  if (!gpus.empty()) ctx.sink().with([&](Report& r) { r.gpus = gpus; });
  char ok[128];
  std::snprintf(ok, sizeof ok, "%u GPU%s healthy per NVML (no ECC DBE, no pending remaps, no throttling)", nvml_count,
                nvml_count == 1 ? "" : "s");
  CheckResult r = from_findings(fs, gpus.empty() ? "NVML sees " + std::to_string(nvml_count) + " GPU(s); CUDA sees none" : ok);
  if (gpus.empty() && r.status == Status::pass) r.status = Status::warn, r.reason = "nvml_only";
  r.measured = std::to_string(nvml_count) + " GPU(s) via NVML";
  r.details["nvml_gpu_count"] = nvml_count;
  r.details["gpus"] = per_gpu;
  return r;
}

}  // namespace checks
}  // namespace gpuprobe
