#include "gpuprobe/gpu/nvml_telemetry.hpp"

#include <set>
#include <thread>

namespace gpuprobe {

BurnSample nvml_burn_sample(const NvmlLib& n, nvmlDevice_t dev, double t, std::vector<NvmlQuery>* queries) {
  BurnSample s;
  s.t = t;
  bool lost = false;
  // One query: skipped once the GPU is lost; its code recorded.
  const auto q = [&](const char* name, bool bound, auto call) {
    if (lost) return false;
    const int code = bound ? call() : kNvmlErrorFunctionNotFound;
    if (queries) queries->push_back({name, code});
    lost = code == kNvmlErrorGpuIsLost;
    return code == kNvmlSuccess;
  };
  unsigned v = 0;
  unsigned long long ull = 0;
  if (q("sm_clock", n.nvmlDeviceGetClockInfo, [&] { return n.nvmlDeviceGetClockInfo(dev, kNvmlClockSm, &v); }))
    s.sm_clock_mhz = static_cast<int>(v);
  if (q("mem_clock", n.nvmlDeviceGetClockInfo, [&] { return n.nvmlDeviceGetClockInfo(dev, kNvmlClockMem, &v); }))
    s.mem_clock_mhz = static_cast<int>(v);
  if (q("power_usage", n.nvmlDeviceGetPowerUsage, [&] { return n.nvmlDeviceGetPowerUsage(dev, &v); }))
    s.power_w = v / 1000.0;
  if (q("power_limit", n.nvmlDeviceGetEnforcedPowerLimit, [&] { return n.nvmlDeviceGetEnforcedPowerLimit(dev, &v); }))
    s.power_limit_w = v / 1000.0;
  if (!lost) s.temperature_c = nvml_read_temperature(n, dev, queries);
  if (queries && !queries->empty() && queries->back().code == kNvmlErrorGpuIsLost) lost = true;
  if (q("clock_event_reasons", n.nvmlDeviceGetCurrentClocksEventReasons,
        [&] { return n.nvmlDeviceGetCurrentClocksEventReasons(dev, &ull); }))
    s.clock_event_reasons = ull;
  if (q("ecc_corrected", n.nvmlDeviceGetTotalEccErrors,
        [&] { return n.nvmlDeviceGetTotalEccErrors(dev, kNvmlMemoryErrorCorrected, kNvmlVolatileEcc, &ull); }))
    s.ecc_corrected = ull;
  if (q("ecc_uncorrected", n.nvmlDeviceGetTotalEccErrors,
        [&] { return n.nvmlDeviceGetTotalEccErrors(dev, kNvmlMemoryErrorUncorrected, kNvmlVolatileEcc, &ull); }))
    s.ecc_uncorrected = ull;
  if (q("pcie_replays", n.nvmlDeviceGetPcieReplayCounter, [&] { return n.nvmlDeviceGetPcieReplayCounter(dev, &v); }))
    s.pcie_replays = v;
  return s;
}

std::string nvml_failed_queries(const NvmlLib& n, const std::vector<NvmlQuery>& queries) {
  std::set<std::string> seen;
  std::string out;
  for (const auto& qr : queries) {
    if (qr.code == kNvmlSuccess || !seen.insert(qr.name).second) continue;
    const std::string why = qr.code == kNvmlErrorFunctionNotFound ? "not in this NVML" : n.error_string(qr.code);
    out += (out.empty() ? "" : "; ") + qr.name + ": " + why;
  }
  return out;
}

NvmlXidWatch::NvmlXidWatch(const NvmlLib& n, std::vector<nvmlDevice_t> devs)
    : n_(n), devs_(std::move(devs)), notes_(devs_.size()) {
  if (!n_.nvmlEventSetCreate || !n_.nvmlDeviceRegisterEvents || !n_.nvmlEventSetWait_v2 || !n_.nvmlEventSetFree) {
    for (auto& note : notes_) note = "not watched: this NVML lacks the event-set entry points";
    return;
  }
  const int created = n_.nvmlEventSetCreate(&set_);
  if (created != kNvmlSuccess) {
    set_ = nullptr;
    for (auto& note : notes_) note = "not watched: nvmlEventSetCreate: " + n_.error_string(created);
    return;
  }
  for (std::size_t i = 0; i < devs_.size(); ++i) {
    const int code = devs_[i] ? n_.nvmlDeviceRegisterEvents(devs_[i], kNvmlEventTypeXidCriticalError, set_)
                              : kNvmlErrorNotFound;
    notes_[i] = code == kNvmlSuccess ? "watched" : "not watched: nvmlDeviceRegisterEvents: " + n_.error_string(code);
    any_ = any_ || code == kNvmlSuccess;
  }
}

NvmlXidWatch::~NvmlXidWatch() {
  if (set_) n_.nvmlEventSetFree(set_);
}

std::vector<std::pair<std::size_t, std::uint64_t>> NvmlXidWatch::wait(std::chrono::milliseconds timeout) {
  std::vector<std::pair<std::size_t, std::uint64_t>> out;
  if (!any_) {
    std::this_thread::sleep_for(timeout);
    return out;
  }
  nvmlEventData_t data{};
  const int code = n_.nvmlEventSetWait_v2(set_, &data, static_cast<unsigned>(timeout.count()));
  if (code == kNvmlSuccess) {
    if (data.eventType & kNvmlEventTypeXidCriticalError)
      for (std::size_t i = 0; i < devs_.size(); ++i)
        if (devs_[i] == data.device) out.emplace_back(i, data.eventData);
  } else if (code != kNvmlErrorTimeout) {
    std::this_thread::sleep_for(timeout);  // an error that returns at once must not spin the sampler
  }
  return out;
}

}  // namespace gpuprobe
