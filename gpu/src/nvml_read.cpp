#include "gpuprobe/gpu/nvml_read.hpp"

#include <algorithm>
#include <thread>

namespace gpuprobe {

namespace {

// Runs one NVML query when its entry point is bound, records its code, and stops running queries
// once the GPU is reported lost (every later one would say the same, and might be slow to say it).
class Reader {
 public:
  explicit Reader(std::vector<NvmlQuery>* qs) : qs_(qs) {}
  template <class Fn, class Call>
  bool operator()(const char* name, Fn fn, Call&& call) {
    if (lost_) return false;
    const int code = fn ? call() : kNvmlErrorFunctionNotFound;
    record(name, code);
    return code == kNvmlSuccess;
  }
  void record(const char* name, int code) {
    if (qs_) qs_->push_back({name, code});
    if (code == kNvmlErrorGpuIsLost) lost_ = true;
  }
  bool lost() const { return lost_; }

 private:
  std::vector<NvmlQuery>* qs_;
  bool lost_ = false;
};

PcieLink read_pcie(const NvmlLib& n, nvmlDevice_t dev, Reader& rd) {
  PcieLink l;
  unsigned v = 0;
  if (rd("pcie_gen_current", n.nvmlDeviceGetCurrPcieLinkGeneration, [&] { return n.nvmlDeviceGetCurrPcieLinkGeneration(dev, &v); }))
    l.gen_current = static_cast<int>(v);
  if (rd("pcie_gen_max", n.nvmlDeviceGetMaxPcieLinkGeneration, [&] { return n.nvmlDeviceGetMaxPcieLinkGeneration(dev, &v); }))
    l.gen_max = static_cast<int>(v);
  if (rd("pcie_width_current", n.nvmlDeviceGetCurrPcieLinkWidth, [&] { return n.nvmlDeviceGetCurrPcieLinkWidth(dev, &v); }))
    l.width_current = static_cast<int>(v);
  if (rd("pcie_width_max", n.nvmlDeviceGetMaxPcieLinkWidth, [&] { return n.nvmlDeviceGetMaxPcieLinkWidth(dev, &v); }))
    l.width_max = static_cast<int>(v);
  return l;
}

// ECC mode (current), and row remapping (Ampere and newer): read the same way by the nvml check and
// by the memory check around its test.
std::optional<bool> read_ecc_mode(const NvmlLib& n, nvmlDevice_t dev, Reader& rd) {
  int mode = 0, pending = 0;
  if (!rd("ecc_mode", n.nvmlDeviceGetEccMode, [&] { return n.nvmlDeviceGetEccMode(dev, &mode, &pending); }))
    return std::nullopt;
  return mode != 0;
}
struct RemappedRows {
  unsigned correctable = 0, uncorrectable = 0;
  bool pending = false, failure = false;
};
std::optional<RemappedRows> read_remapped_rows(const NvmlLib& n, nvmlDevice_t dev, Reader& rd) {
  unsigned corr = 0, unc = 0, is_pending = 0, failure = 0;
  if (!rd("remapped_rows", n.nvmlDeviceGetRemappedRows,
          [&] { return n.nvmlDeviceGetRemappedRows(dev, &corr, &unc, &is_pending, &failure); }))
    return std::nullopt;
  return RemappedRows{corr, unc, is_pending != 0, failure != 0};
}

std::optional<int> read_temperature(const NvmlLib& n, nvmlDevice_t dev, Reader& rd) {
  if (rd.lost()) return std::nullopt;
  int code_v = kNvmlErrorFunctionNotFound;
  if (n.nvmlDeviceGetTemperatureV) {
    nvmlTemperature_v1_t t{};
    t.version = kNvmlTemperatureV1;
    t.sensorType = kNvmlTemperatureGpu;
    code_v = n.nvmlDeviceGetTemperatureV(dev, &t);
    if (code_v == kNvmlSuccess || code_v == kNvmlErrorGpuIsLost || !n.nvmlDeviceGetTemperature) {
      rd.record("temperature", code_v);
      if (code_v == kNvmlSuccess) return t.temperature;
      return std::nullopt;
    }
    // Any other failure (a struct version this driver does not take, ...): the old call decides.
  }
  unsigned v = 0;
  if (rd("temperature", n.nvmlDeviceGetTemperature, [&] { return n.nvmlDeviceGetTemperature(dev, kNvmlTemperatureGpu, &v); }))
    return static_cast<int>(v);
  return std::nullopt;
}

}  // namespace

NvmlHandle nvml_handle_for(const NvmlLib& n, const GpuInfo& g) {
  NvmlHandle h;
  if (g.pci_bus_id.empty()) {
    h.code = kNvmlErrorNotFound;
  } else if (!n.nvmlDeviceGetHandleByPciBusId_v2) {
    h.code = kNvmlErrorFunctionNotFound;
  } else {
    h.code = n.nvmlDeviceGetHandleByPciBusId_v2(g.pci_bus_id.c_str(), &h.dev);
    if (h.code != kNvmlSuccess) h.dev = nullptr;
  }
  return h;
}

PcieLink nvml_read_pcie(const NvmlLib& n, nvmlDevice_t dev, std::vector<NvmlQuery>* queries) {
  Reader rd(queries);
  return read_pcie(n, dev, rd);
}

std::optional<int> nvml_read_temperature(const NvmlLib& n, nvmlDevice_t dev, std::vector<NvmlQuery>* queries) {
  Reader rd(queries);
  return read_temperature(n, dev, rd);
}

void nvml_read_device(const NvmlLib& n, nvmlDevice_t dev, GpuInfo& g, GpuHealth& h) {
  Reader rd(&h.queries);
  unsigned v = 0;
  int mode = 0;
  unsigned long long ull = 0;
  if (rd("sm_clock", n.nvmlDeviceGetClockInfo, [&] { return n.nvmlDeviceGetClockInfo(dev, kNvmlClockSm, &v); }))
    g.sm_clock_mhz = static_cast<int>(v);
  if (rd("sm_clock_max", n.nvmlDeviceGetMaxClockInfo, [&] { return n.nvmlDeviceGetMaxClockInfo(dev, kNvmlClockSm, &v); }))
    g.sm_clock_max_mhz = static_cast<int>(v);
  if (rd("mem_clock", n.nvmlDeviceGetClockInfo, [&] { return n.nvmlDeviceGetClockInfo(dev, kNvmlClockMem, &v); }))
    g.mem_clock_mhz = static_cast<int>(v);
  if (rd("mem_clock_max", n.nvmlDeviceGetMaxClockInfo, [&] { return n.nvmlDeviceGetMaxClockInfo(dev, kNvmlClockMem, &v); }))
    g.mem_clock_max_mhz = static_cast<int>(v);
  g.ecc_enabled = read_ecc_mode(n, dev, rd);
  h.ecc_enabled = g.ecc_enabled;
  if (g.ecc_enabled.value_or(false)) {
    if (rd("ecc_volatile_uncorrected", n.nvmlDeviceGetTotalEccErrors, [&] {
          return n.nvmlDeviceGetTotalEccErrors(dev, kNvmlMemoryErrorUncorrected, kNvmlVolatileEcc, &ull);
        }))
      h.ecc_volatile_uncorrected = ull;
    if (rd("ecc_aggregate_uncorrected", n.nvmlDeviceGetTotalEccErrors, [&] {
          return n.nvmlDeviceGetTotalEccErrors(dev, kNvmlMemoryErrorUncorrected, kNvmlAggregateEcc, &ull);
        }))
      h.ecc_aggregate_uncorrected = ull;
  }
  if (const auto rows = read_remapped_rows(n, dev, rd)) {
    h.remap_pending = rows->pending;
    h.remap_failure = rows->failure;
    h.remapped_rows_uncorrectable = rows->uncorrectable;
  } else if (rd("retired_pages_pending", n.nvmlDeviceGetRetiredPagesPendingStatus,
                [&] { return n.nvmlDeviceGetRetiredPagesPendingStatus(dev, &mode); })) {
    h.retired_pages_pending = mode != 0;  // pre-Ampere GPUs retire pages instead of remapping rows
  }
  if (rd("clock_event_reasons", n.nvmlDeviceGetCurrentClocksEventReasons,
         [&] { return n.nvmlDeviceGetCurrentClocksEventReasons(dev, &ull); }))
    h.clock_event_reasons = confirm_clock_event_reasons(ull, [&]() -> std::optional<unsigned long long> {
      unsigned long long again = 0;
      if (n.nvmlDeviceGetCurrentClocksEventReasons(dev, &again) != kNvmlSuccess) return std::nullopt;
      return again;
    });
  unsigned mig = 0, mig_pending = 0;
  if (rd("mig_mode", n.nvmlDeviceGetMigMode, [&] { return n.nvmlDeviceGetMigMode(dev, &mig, &mig_pending); }))
    g.mig_enabled = mig != 0;
  h.mig_enabled = g.mig_enabled;
  if (rd("persistence_mode", n.nvmlDeviceGetPersistenceMode, [&] { return n.nvmlDeviceGetPersistenceMode(dev, &mode); }))
    g.persistence_mode = mode != 0;
  h.persistence_mode = g.persistence_mode;
  g.temperature_c = read_temperature(n, dev, rd);
  h.temperature_c = g.temperature_c;
  if (rd("power_usage", n.nvmlDeviceGetPowerUsage, [&] { return n.nvmlDeviceGetPowerUsage(dev, &v); }))
    g.power_w = v / 1000.0;
  if (rd("power_limit", n.nvmlDeviceGetEnforcedPowerLimit, [&] { return n.nvmlDeviceGetEnforcedPowerLimit(dev, &v); }))
    g.power_limit_w = v / 1000.0;
  h.power_limit_w = g.power_limit_w;
  if (rd("default_power_limit", n.nvmlDeviceGetPowerManagementDefaultLimit,
         [&] { return n.nvmlDeviceGetPowerManagementDefaultLimit(dev, &v); }))
    h.default_power_limit_w = v / 1000.0;
  const PcieLink l = read_pcie(n, dev, rd);
  g.pcie_gen_current = l.gen_current;
  g.pcie_gen_max = l.gen_max;
  g.pcie_width_current = l.width_current;
  g.pcie_width_max = l.width_max;
}

unsigned long long confirm_clock_event_reasons(unsigned long long first,
                                               const std::function<std::optional<unsigned long long>()>& read,
                                               int more, std::chrono::milliseconds interval) {
  unsigned long long kept = first & kClkThrottling;
  for (int i = 0; i < more && kept != 0; ++i) {
    std::this_thread::sleep_for(interval);
    if (const auto r = read()) kept &= *r;
  }
  return (first & ~kClkThrottling) | kept;
}

EccCounters nvml_read_ecc_counters(const NvmlLib& n, nvmlDevice_t dev) {
  EccCounters c;
  Reader rd(&c.queries);
  c.ecc_enabled = read_ecc_mode(n, dev, rd);
  if (c.ecc_enabled.value_or(true)) {  // mode unknown: the counters may still answer
    unsigned long long ull = 0;
    if (rd("ecc_volatile_corrected", n.nvmlDeviceGetTotalEccErrors, [&] {
          return n.nvmlDeviceGetTotalEccErrors(dev, kNvmlMemoryErrorCorrected, kNvmlVolatileEcc, &ull);
        }))
      c.corrected = ull;
    if (rd("ecc_volatile_uncorrected", n.nvmlDeviceGetTotalEccErrors, [&] {
          return n.nvmlDeviceGetTotalEccErrors(dev, kNvmlMemoryErrorUncorrected, kNvmlVolatileEcc, &ull);
        }))
      c.uncorrected = ull;
  }
  if (const auto rows = read_remapped_rows(n, dev, rd)) {
    c.rows_remapped_correctable = rows->correctable;
    c.rows_remapped_uncorrectable = rows->uncorrectable;
    c.remap_pending = rows->pending;
    c.remap_failure = rows->failure;
  }
  return c;
}

std::vector<NvmlGpuSurvey> nvml_survey_gpus(const NvmlLib& n, unsigned count) {
  std::vector<NvmlGpuSurvey> out;
  count = std::min(count, 64u);  // a garbage count must not turn into a long loop
  for (unsigned i = 0; i < count; ++i) {
    NvmlGpuSurvey s;
    s.index = i;
    nvmlDevice_t dev = nullptr;
    s.handle_code = n.nvmlDeviceGetHandleByIndex_v2 ? n.nvmlDeviceGetHandleByIndex_v2(i, &dev) : kNvmlErrorFunctionNotFound;
    if (s.handle_code != kNvmlSuccess) {
      out.push_back(s);
      continue;
    }
    char name[96] = {};
    if (n.nvmlDeviceGetName && n.nvmlDeviceGetName(dev, name, sizeof name) == kNvmlSuccess) s.name = name;
    unsigned mig = 0, mig_pending = 0;
    if (n.nvmlDeviceGetMigMode && n.nvmlDeviceGetMigMode(dev, &mig, &mig_pending) == kNvmlSuccess) s.mig_enabled = mig != 0;
    // Fabric state: the versioned call (v2 layout, which newer drivers still accept), else the
    // deprecated unversioned one. Both are optional: drivers before Hopper support have neither.
    if (n.nvmlDeviceGetGpuFabricInfoV) {
      nvmlGpuFabricInfo_v2_t f{};
      f.version = kNvmlGpuFabricInfoV2;
      s.fabric_code = n.nvmlDeviceGetGpuFabricInfoV(dev, &f);
      if (s.fabric_code == kNvmlSuccess) s.fabric_state = f.state, s.fabric_status = f.status;
    }
    if (n.nvmlDeviceGetGpuFabricInfo && s.fabric_code != kNvmlSuccess && s.fabric_code != kNvmlErrorNotSupported &&
        s.fabric_code != kNvmlErrorGpuIsLost) {
      nvmlGpuFabricInfo_t f{};
      s.fabric_code = n.nvmlDeviceGetGpuFabricInfo(dev, &f);
      if (s.fabric_code == kNvmlSuccess) s.fabric_state = f.state, s.fabric_status = f.status;
    }
    if (s.fabric_code == -1) s.fabric_code = kNvmlErrorFunctionNotFound;
    out.push_back(s);
  }
  return out;
}

}  // namespace gpuprobe
