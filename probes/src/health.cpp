#include "gpuprobe/probes/health.hpp"

#include <algorithm>
#include <cstdio>
#include <initializer_list>

#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/probes/compat.hpp"

namespace gpuprobe {

Status worst(const std::vector<Finding>& fs) {
  Status s = Status::pass;
  for (const auto& f : fs) {
    if (f.status == Status::fail) return Status::fail;
    if (f.status == Status::warn) s = Status::warn;
  }
  return s;
}

std::vector<std::string> clock_event_reason_names(unsigned long long bits) {
  struct Bit { unsigned long long mask; const char* name; };
  static const Bit names[] = {
      {kClkGpuIdle, "idle"},
      {kClkAppSetting, "application clocks setting"},
      {kClkSwPowerCap, "power cap (SW)"},
      {kClkHwSlowdown, "HW slowdown"},
      {kClkSyncBoost, "sync boost"},
      {kClkSwThermal, "thermal (SW)"},
      {kClkHwThermal, "thermal (HW)"},
      {kClkHwPowerBrake, "power brake (HW)"},
      {kClkDisplay, "display clock setting"},
  };
  std::vector<std::string> out;
  for (const auto& b : names)
    if (bits & b.mask) out.emplace_back(b.name);
  return out;
}

std::string describe_clock_event_reasons(unsigned long long bits) {
  std::string out;
  for (const auto& n : clock_event_reason_names(bits)) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

std::string nvml_return_name(int code) {
  switch (code) {
    case 0: return "SUCCESS";
    case 1: return "UNINITIALIZED";
    case 2: return "INVALID_ARGUMENT";
    case 3: return "NOT_SUPPORTED";
    case 4: return "NO_PERMISSION";
    case 5: return "ALREADY_INITIALIZED";
    case 6: return "NOT_FOUND";
    case 7: return "INSUFFICIENT_SIZE";
    case 8: return "INSUFFICIENT_POWER";
    case 9: return "DRIVER_NOT_LOADED";
    case 10: return "TIMEOUT";
    case 11: return "IRQ_ISSUE";
    case 12: return "LIBRARY_NOT_FOUND";
    case 13: return "FUNCTION_NOT_FOUND";
    case 14: return "CORRUPTED_INFOROM";
    case 15: return "GPU_IS_LOST";
    case 16: return "RESET_REQUIRED";
    case 17: return "OPERATING_SYSTEM";
    case 18: return "LIB_RM_VERSION_MISMATCH";
    case 19: return "IN_USE";
    case 20: return "MEMORY";
    case 21: return "NO_DATA";
    case 22: return "VGPU_ECC_NOT_SUPPORTED";
    case 23: return "INSUFFICIENT_RESOURCES";
    case 24: return "FREQ_NOT_SUPPORTED";
    case 25: return "ARGUMENT_VERSION_MISMATCH";
    case 26: return "DEPRECATED";
    case 27: return "NOT_READY";
    case 28: return "GPU_NOT_FOUND";
    case 29: return "INVALID_STATE";
    case 30: return "RESET_TYPE_NOT_SUPPORTED";
    case 999: return "UNKNOWN";
    default: return "NVML_ERROR_" + std::to_string(code);
  }
}

std::vector<NvmlQuery> unavailable_queries(const std::vector<NvmlQuery>& qs) {
  std::vector<NvmlQuery> out;
  for (const auto& q : qs)
    if (q.code != kNvmlSuccess) out.push_back(q);
  return out;
}

namespace {

const char* const kLostHint =
    "the GPU needs a reset or the host a reboot: look for Xid 79 (fallen off the bus) in the host's dmesg; a GPU "
    "that keeps falling off needs service (power, seating, cooling); on EC2 stop/start the instance";
const char* const kResetHint = "reset the GPU (host: nvidia-smi -r, with no process using it) or reboot the host";
const char* const kFabricHint =
    "on the host: systemctl status nvidia-fabricmanager — it must be installed and running, at exactly the driver's "
    "version (its package must match the driver's); journalctl -u nvidia-fabricmanager says why it stopped";
const char* const kEccHint =
    "the GPU's memory has a fault ECC cannot correct: drain the GPU, reset it (host: nvidia-smi -r) so the row is "
    "remapped, and check nvidia-smi -q -d ECC,ROW_REMAPPER; if errors return the GPU needs service (on EC2 "
    "stop/start the instance)";

// " (NOT_SUPPORTED)": why the first of `names` that did not succeed failed; "" when none was tried.
std::string why_not_read(const std::vector<NvmlQuery>& qs, std::initializer_list<const char*> names) {
  for (const char* n : names)
    for (const auto& q : qs)
      if (q.name == n && q.code != kNvmlSuccess) return " (" + nvml_return_name(q.code) + ")";
  return "";
}

std::optional<int> code_of(const std::vector<NvmlQuery>& qs, const std::string& name) {
  for (const auto& q : qs)
    if (q.name == name) return q.code;
  return std::nullopt;
}

std::string fabric_state_name(int state) {
  switch (state) {
    case kNvmlFabricStateNotSupported: return "not supported";
    case kNvmlFabricStateNotStarted: return "not started";
    case kNvmlFabricStateInProgress: return "in progress";
    case kNvmlFabricStateCompleted: return "completed";
    default: return "state " + std::to_string(state);
  }
}

std::string survey_label(const NvmlGpuSurvey& g) {
  return "NVML GPU " + std::to_string(g.index) + (g.name.empty() ? "" : " (" + g.name + ")");
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

const char* fabric_manager_hint() { return kFabricHint; }

FabricSummary summarize_fabric(const std::vector<NvmlGpuSurvey>& gpus) {
  FabricSummary f;
  std::vector<std::pair<std::string, std::vector<std::string>>> by_state;  // state name, NVML indices
  std::vector<std::string> failed;
  for (const auto& g : gpus) {
    if (g.handle_code != kNvmlSuccess) continue;
    if (g.fabric_state == kNvmlFabricStateNotStarted || g.fabric_state == kNvmlFabricStateInProgress) {
      ++f.unregistered;
      const std::string state = fabric_state_name(*g.fabric_state);
      auto it = std::find_if(by_state.begin(), by_state.end(), [&](const auto& p) { return p.first == state; });
      if (it == by_state.end()) by_state.push_back({state, {std::to_string(g.index)}});
      else it->second.push_back(std::to_string(g.index));
    } else if (g.fabric_state == kNvmlFabricStateCompleted && g.fabric_status != kNvmlSuccess) {
      ++f.failed;
      failed.push_back(std::to_string(g.index) + " (" + nvml_return_name(g.fabric_status) + ")");
    } else if (g.fabric_state == kNvmlFabricStateCompleted) {
      ++f.registered;
    } else if (g.fabric_state == kNvmlFabricStateNotSupported || g.fabric_code == kNvmlErrorNotSupported) {
      ++f.no_fabric;
    }
  }
  std::vector<std::string> parts;
  for (const auto& [state, idx] : by_state)
    parts.push_back("registration " + state + " on NVML GPU" + (idx.size() == 1 ? " " : "s ") + join(idx, ", "));
  if (!failed.empty())
    parts.push_back("registration failed on NVML GPU" + std::string(failed.size() == 1 ? " " : "s ") + join(failed, ", "));
  f.text = join(parts, "; ");
  return f;
}

std::vector<Finding> evaluate_gpu_health(const std::string& gpu, const GpuHealth& h) {
  std::vector<Finding> fs;
  // A lost GPU answers nothing: whatever else is (not) in `h` was never read.
  for (const auto& q : h.queries)
    if (q.code == kNvmlErrorGpuIsLost)
      return {{Status::fail, "gpu_lost",
               gpu + ": NVML reports the GPU lost (GPU_IS_LOST on " + q.name + "): it fell off the bus or is inaccessible",
               kLostHint}};
  for (const auto& q : h.queries)
    if (q.code == kNvmlErrorResetRequired) {
      fs.push_back({Status::fail, "gpu_reset_required",
                    gpu + ": NVML reports the GPU needs a reset before it can be used again (RESET_REQUIRED on " + q.name + ")",
                    kResetHint});
      break;
    }
  if (h.ecc_volatile_uncorrected && *h.ecc_volatile_uncorrected > 0)
    fs.push_back({Status::fail, "ecc_dbe",
                  gpu + ": detected " + std::to_string(*h.ecc_volatile_uncorrected) +
                      " volatile double-bit ECC error(s) since the last driver load",
                  "results on this GPU cannot be trusted: drain it, reset it (host: nvidia-smi -r) and watch whether "
                  "errors return; on EC2 stop/start the instance to move to other hardware"});
  if (h.remap_failure && *h.remap_failure)
    fs.push_back({Status::fail, "row_remap_failure", gpu + ": a row remapping failed: the GPU memory needs service",
                  "on EC2 stop/start the instance to get other hardware; elsewhere contact the provider"});
  if (h.remap_pending && *h.remap_pending)
    fs.push_back({Status::warn, "row_remap_pending", gpu + ": row remappings are pending",
                  "reset the GPU (host: nvidia-smi -r, or reboot) so the remapping takes effect"});
  if (h.retired_pages_pending && *h.retired_pages_pending)
    fs.push_back({Status::warn, "page_retirement_pending", gpu + ": retired pages are pending",
                  "reset the GPU (host: nvidia-smi -r, or reboot) so the page retirement takes effect"});
  if (h.clock_event_reasons) {
    const unsigned long long bad = *h.clock_event_reasons & kClkThrottling;
    if (bad)
      fs.push_back({Status::warn, "clocks_throttled",
                    gpu + ": clocks held down by " + describe_clock_event_reasons(bad) +
                        (h.temperature_c ? " at " + std::to_string(*h.temperature_c) + " C" : ""),
                    "check cooling and power delivery on the host; benchmark numbers taken now will be low"});
  }
  if (h.clock_event_reasons && (*h.clock_event_reasons & kClkSwPowerCap))
    fs.push_back({Status::pass, "", gpu + ": clocks capped by the power limit (normal under full load)", ""});
  if (h.power_limit_w && h.default_power_limit_w && *h.power_limit_w < 0.9 * *h.default_power_limit_w) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s: power limit lowered to %.0f W of the board's default %.0f W", gpu.c_str(),
                  *h.power_limit_w, *h.default_power_limit_w);
    fs.push_back({Status::warn, "power_limit_lowered", msg,
                  "someone set a lower limit on the host (nvidia-smi -pl): benchmarks will be slower than the GPU's rating"});
  }
  if (h.mig_enabled && *h.mig_enabled)
    fs.push_back({Status::pass, "", gpu + ": MIG mode on (CUDA sees MIG instances, not the whole GPU)", ""});
  if (h.persistence_mode && !*h.persistence_mode)
    fs.push_back({Status::pass, "", gpu + ": persistence mode off (each first CUDA call re-initializes the GPU)",
                  "host: enable nvidia-persistenced for faster start-up"});
  return fs;
}

std::string describe_gpu_health(const GpuHealth& h) {
  std::vector<std::string> parts;
  if (h.ecc_volatile_uncorrected)
    parts.push_back(*h.ecc_volatile_uncorrected == 0 ? "no volatile ECC DBE"
                                                     : std::to_string(*h.ecc_volatile_uncorrected) + " volatile ECC DBE");
  else if (h.ecc_enabled && !*h.ecc_enabled)
    parts.push_back("ECC off");
  else
    parts.push_back("ECC errors not read" + why_not_read(h.queries, {"ecc_mode", "ecc_volatile_uncorrected"}));

  if (h.remap_pending)
    parts.push_back(*h.remap_pending ? "row remaps pending" : "no pending row remaps");
  else if (h.mig_enabled.value_or(false) && code_of(h.queries, "remapped_rows") == kNvmlErrorNotSupported)
    parts.push_back("row remapping not readable (MIG on)");  // documented: not supported with MIG enabled
  else if (h.retired_pages_pending)
    parts.push_back(*h.retired_pages_pending ? "page retirements pending" : "no pending page retirements");
  else
    parts.push_back("row remapping not read" + why_not_read(h.queries, {"remapped_rows", "retired_pages_pending"}));

  if (h.clock_event_reasons) {
    const unsigned long long bad = *h.clock_event_reasons & kClkThrottling;
    parts.push_back(bad ? "clocks held down by " + describe_clock_event_reasons(bad) : "no throttling");
  } else {
    parts.push_back("clock events not read" + why_not_read(h.queries, {"clock_event_reasons"}));
  }
  return join(parts, ", ");
}

std::string nvml_pass_message(const std::vector<std::pair<std::string, GpuHealth>>& examined) {
  if (examined.empty()) return "no GPU examined through NVML";
  // Group GPUs that read the same, in first-seen order.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;  // description, labels
  for (const auto& [label, h] : examined) {
    const std::string d = describe_gpu_health(h);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == d; });
    if (it == groups.end()) groups.push_back({d, {label}});
    else it->second.push_back(label);
  }
  const std::size_t n = examined.size();
  const std::string head = std::to_string(n) + (n == 1 ? " GPU" : " GPUs") + " examined through NVML";
  if (groups.size() == 1) return head + ": " + groups[0].first;
  std::vector<std::string> clauses;
  for (const auto& g : groups) clauses.push_back(join(g.second, ", ") + ": " + g.first);
  return head + ": " + join(clauses, "; ");
}

Finding evaluate_nvml_handle_error(const std::string& gpu, const std::string& bus_id, int code,
                                   const std::string& error_text) {
  const std::string at = bus_id.empty() ? "" : " at PCI bus " + bus_id;
  const std::string err = " (" + nvml_return_name(code) + (error_text.empty() ? "" : ": " + error_text) + ")";
  switch (code) {
    case kNvmlErrorGpuIsLost:
      return {Status::fail, "gpu_lost", gpu + ": NVML cannot open the GPU" + at + ": it fell off the bus or is inaccessible" + err,
              kLostHint};
    case kNvmlErrorInsufficientPower:
      return {Status::fail, "gpu_power_cables",
              gpu + ": NVML reports the GPU's external power cables not properly attached" + err,
              "on the host: reseat the GPU's auxiliary power connectors (a cloud or colocation GPU: open a hardware "
              "ticket); until then the GPU does not work or runs far below its clocks"};
    case kNvmlErrorIrqIssue:
      return {Status::fail, "gpu_irq", gpu + ": the kernel detected an interrupt problem with the GPU" + err,
              "look at the host's dmesg for NVRM/Xid messages; check the MSI and IOMMU settings; a reboot usually "
              "clears it, a recurring one needs service"};
    case kNvmlErrorResetRequired:
      return {Status::fail, "gpu_reset_required", gpu + ": NVML reports the GPU needs a reset before it can be used" + err,
              kResetHint};
    case kNvmlErrorNoPermission:
      return {Status::warn, "nvml_no_permission", gpu + ": NVML may not open the GPU" + at + err,
              "the container or cgroup does not let NVML reach this GPU: start it through the NVIDIA Container "
              "Toolkit (--gpus) rather than with device mounts"};
    default:
      return {Status::warn, "nvml_no_handle",
              gpu + ": NVML does not know " + (bus_id.empty() ? std::string("the GPU (no PCI bus id)") : "PCI bus " + bus_id) + err,
              "NVML and CUDA disagree on the GPUs: compare nvidia-smi with the devices check"};
  }
}

std::vector<Finding> evaluate_cuda_sees_none(const std::vector<NvmlGpuSurvey>& gpus, unsigned nvml_count) {
  std::vector<Finding> fs;
  std::vector<std::string> mig;
  for (const auto& g : gpus) {
    if (g.handle_code != kNvmlSuccess) {
      const Finding f = evaluate_nvml_handle_error(survey_label(g), "", g.handle_code, "");
      if (f.status == Status::fail) fs.push_back(f);
      continue;
    }
    if (g.mig_enabled.value_or(false)) mig.push_back(survey_label(g));
  }
  const FabricSummary fabric = summarize_fabric(gpus);
  if (fabric.unregistered + fabric.failed > 0)
    fs.push_back({Status::fail, "fabric_manager",
                  "the NVSwitch fabric is not initialized, so CUDA cannot use the GPUs: " + fabric.text, kFabricHint});
  if (!mig.empty())
    fs.push_back({Status::fail, "mig_no_instance",
                  join(mig, ", ") + ": MIG mode enabled but no MIG device is visible to CUDA",
                  "create GPU and compute instances on the host (nvidia-smi mig -cgi <profile> -C), pass their MIG "
                  "UUIDs in CUDA_VISIBLE_DEVICES (nvidia-smi -L lists them), or disable MIG (nvidia-smi -i <gpu> -mig 0, "
                  "then reset the GPU)"});
  if (fs.empty())
    fs.push_back({Status::warn, "nvml_only",
                  "NVML sees " + std::to_string(nvml_count) + " GPU(s); CUDA sees none",
                  "see the driver and devices checks for why CUDA cannot use them"});
  return fs;
}

Finding evaluate_system_not_ready(const std::optional<std::vector<NvmlGpuSurvey>>& survey) {
  if (survey && !survey->empty()) {
    const FabricSummary f = summarize_fabric(*survey);
    const std::size_t n = survey->size();
    if (f.unregistered + f.failed > 0)
      return {Status::fail, "fabric_manager",
              "the NVSwitch fabric is not initialized (cuInit: 802 CUDA_ERROR_SYSTEM_NOT_READY); NVML: " +
                  std::to_string(f.unregistered + f.failed) + " of " + std::to_string(n) + " GPUs not registered — " + f.text,
              std::string(kFabricHint) +
                  (f.failed ? "; a failed registration often needs the GPUs reset once Fabric Manager runs" : "")};
    if (f.no_fabric == n)
      return {Status::fail, "system_not_ready",
              "the driver reports the system not ready (cuInit: 802 CUDA_ERROR_SYSTEM_NOT_READY); NVML shows no NVSwitch "
              "fabric on these GPUs, so Fabric Manager is not the cause",
              "a driver daemon the system needs is not running: on the host check systemctl status "
              "nvidia-persistenced and the kernel log (dmesg) for NVRM errors; a reboot after a driver install often "
              "clears it"};
    if (f.registered == n)
      return {Status::fail, "system_not_ready",
              "the driver reports the system not ready (cuInit: 802 CUDA_ERROR_SYSTEM_NOT_READY) although NVML reports "
              "every GPU registered with the NVSwitch fabric",
              "on the host: systemctl status nvidia-fabricmanager nvidia-persistenced, and dmesg for NVRM errors"};
  }
  return {Status::fail, "system_not_ready",
          "the driver is loaded but reports the system not ready (cuInit: 802 CUDA_ERROR_SYSTEM_NOT_READY): on NVSwitch "
          "systems (HGX/DGX H100, H200, B200) the Fabric Manager has not initialized the NVLink fabric",
          "NVSwitch systems: systemctl status nvidia-fabricmanager on the host — it must run, at exactly the "
          "driver's version; other systems: systemctl status nvidia-persistenced, and dmesg for NVRM errors"};
}

namespace {
std::optional<unsigned long long> increase(const std::optional<unsigned long long>& a,
                                           const std::optional<unsigned long long>& b) {
  if (a && b && *b > *a) return *b - *a;
  return std::nullopt;
}
}  // namespace

std::vector<Finding> evaluate_ecc_during_test(const std::string& gpu, const EccCounters& before,
                                              const EccCounters& after) {
  std::vector<Finding> fs;
  if (auto d = increase(before.uncorrected, after.uncorrected))
    fs.push_back({Status::fail, "ecc_uncorrectable",
                  gpu + ": " + std::to_string(*d) + " uncorrectable ECC error(s) during the memory test (NVML volatile count " +
                      std::to_string(*before.uncorrected) + " -> " + std::to_string(*after.uncorrected) + ")",
                  kEccHint});
  if (after.remap_failure.value_or(false) && !before.remap_failure.value_or(false))
    fs.push_back({Status::fail, "row_remap_failure", gpu + ": a row remapping failed during the memory test",
                  "the GPU memory needs service: on EC2 stop/start the instance, elsewhere contact the provider"});
  if (auto d = increase(before.corrected, after.corrected))
    fs.push_back({Status::warn, "ecc_corrected",
                  gpu + ": " + std::to_string(*d) + " single-bit ECC error(s) corrected during the memory test",
                  "ECC corrected them, so results stay right, but memory that fails under a pattern test is degrading: "
                  "watch nvidia-smi -q -d ECC,ROW_REMAPPER; a pending row remap takes effect at the next GPU reset"});
  auto rows = [](const EccCounters& c) -> std::optional<unsigned long long> {
    if (!c.rows_remapped_correctable || !c.rows_remapped_uncorrectable) return std::nullopt;
    return static_cast<unsigned long long>(*c.rows_remapped_correctable) + *c.rows_remapped_uncorrectable;
  };
  const auto new_rows = increase(rows(before), rows(after));
  const bool newly_pending = after.remap_pending.value_or(false) && before.remap_pending && !*before.remap_pending;
  if (new_rows || newly_pending)
    fs.push_back({Status::warn, "row_remap_pending",
                  gpu + ": the memory test caused " + (new_rows ? std::to_string(*new_rows) + " row(s)" : std::string("rows")) +
                      " to be marked for remapping",
                  "reset the GPU (host: nvidia-smi -r, or reboot) so the remapping takes effect"});
  return fs;
}

std::string describe_ecc_during_test(const EccCounters& before, const EccCounters& after) {
  if ((before.ecc_enabled && !*before.ecc_enabled) || (after.ecc_enabled && !*after.ecc_enabled)) return "ECC off";
  if (before.corrected && after.corrected && before.uncorrected && after.uncorrected) {
    if (*after.corrected == *before.corrected && *after.uncorrected == *before.uncorrected)
      return "ECC counters unchanged";
    return "";
  }
  std::string why = why_not_read(before.queries, {"ecc_mode", "ecc_volatile_corrected", "ecc_volatile_uncorrected"});
  if (why.empty()) why = why_not_read(after.queries, {"ecc_mode", "ecc_volatile_corrected", "ecc_volatile_uncorrected"});
  return "ECC counters not read" + why;
}

Finding evaluate_memtest_error(const std::string& gpu, int code, const std::string& error_name,
                               const std::string& error_text) {
  const std::string err = error_name + " (" + error_text + ")";
  if (code == kCudaErrorEccUncorrectable)
    return {Status::fail, "ecc_uncorrectable", gpu + ": uncorrectable ECC error during the memory test: " + err,
            std::string(kEccHint) + "; this process's CUDA context on the GPU is unusable from here on"};
  if (code == kCudaErrorMemoryAllocation)
    return {Status::fail, "memtest_error", gpu + ": memory test could not run: " + err,
            "another process holds the GPU memory: see nvidia-smi on the host"};
  return {Status::fail, "memtest_error", gpu + ": memory test could not run: " + err,
          "check dmesg on the host for Xid errors"};
}

std::vector<Finding> evaluate_pcie(const std::string& gpu, const PcieLink& l, std::optional<double> h2d_gbps) {
  std::vector<Finding> fs;
  if (!l.gen_current || !l.width_current) {
    fs.push_back({Status::pass, "", gpu + ": PCIe link not reported by NVML", ""});
    return fs;
  }
  char link[64];
  std::snprintf(link, sizeof link, "Gen%d x%d", *l.gen_current, *l.width_current);
  if (l.width_max && *l.width_current < *l.width_max)
    fs.push_back({Status::warn, "pcie_degraded",
                  gpu + ": PCIe link width x" + std::to_string(*l.width_current) + " is below its maximum x" +
                      std::to_string(*l.width_max),
                  "reseat the card or move to another slot/riser; on a cloud instance report it or stop/start"});
  // The generation drops at idle to save power; it was read right after the transfers, so a lower
  // generation now is a real downgrade only if the bandwidth shows it too.
  const double cur_bw = pcie_link_gbps(*l.gen_current, *l.width_current);
  if (l.gen_max && *l.gen_current < *l.gen_max) {
    const double max_bw = pcie_link_gbps(*l.gen_max, l.width_max.value_or(*l.width_current));
    if (!h2d_gbps || *h2d_gbps < 0.6 * max_bw)
      fs.push_back({Status::warn, "pcie_degraded",
                    gpu + ": PCIe link at Gen" + std::to_string(*l.gen_current) + " under load, below its Gen" +
                        std::to_string(*l.gen_max) + " maximum",
                    "check the slot, riser and BIOS PCIe settings on the host"});
  }
  if (h2d_gbps && cur_bw > 0) {
    const double share = *h2d_gbps / cur_bw;
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s: H2D %.1f GB/s = %.0f%% of %s (%.1f GB/s theoretical)", gpu.c_str(), *h2d_gbps,
                  100.0 * share, link, cur_bw);
    if (share < 0.5)
      fs.push_back({Status::warn, "pcie_slow", msg,
                    "pinned H2D should reach 70-90% of the link; check NUMA placement (run on the GPU's socket), "
                    "IOMMU settings and other traffic on the link"});
    else
      fs.push_back({Status::pass, "", msg, ""});
  }
  return fs;
}

std::vector<Finding> evaluate_environment(const std::map<std::string, std::string>& env,
                                          std::optional<int> nvml_gpus, std::optional<int> cuda_gpus) {
  std::vector<Finding> fs;
  auto get = [&](const char* k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  if (auto v = get("CUDA_LAUNCH_BLOCKING"); v && *v != "0" && !v->empty())
    fs.push_back({Status::warn, "env_launch_blocking", "CUDA_LAUNCH_BLOCKING=" + *v + " serializes every kernel launch",
                  "unset CUDA_LAUNCH_BLOCKING outside debugging: it makes every benchmark slow"});
  if (auto v = get("CUDA_VISIBLE_DEVICES")) {
    if (nvml_gpus && cuda_gpus && *cuda_gpus < *nvml_gpus)
      fs.push_back({Status::warn, "env_visible_devices",
                    "CUDA_VISIBLE_DEVICES=" + *v + " hides " + std::to_string(*nvml_gpus - *cuda_gpus) + " of " +
                        std::to_string(*nvml_gpus) + " GPUs from CUDA",
                    "unset CUDA_VISIBLE_DEVICES to use every GPU of this container"});
    else if (v->empty() || *v == "-1" || *v == "none")
      fs.push_back({Status::warn, "env_visible_devices", "CUDA_VISIBLE_DEVICES='" + *v + "' hides every GPU from CUDA",
                    "unset CUDA_VISIBLE_DEVICES"});
    else
      fs.push_back({Status::pass, "", "CUDA_VISIBLE_DEVICES=" + *v, ""});
  }
  if (auto v = get("NVIDIA_TF32_OVERRIDE"); v && *v == "0")
    fs.push_back({Status::warn, "env_tf32_off", "NVIDIA_TF32_OVERRIDE=0 disables TF32 tensor cores in cuBLAS/cuDNN",
                  "unset it unless FP32-exact results are required: FP32 GEMMs run several times slower"});
  if (auto v = get("CUDA_FORCE_PTX_JIT"); v && *v == "1")
    fs.push_back({Status::warn, "env_force_jit", "CUDA_FORCE_PTX_JIT=1 ignores SASS and JIT-compiles every kernel",
                  "unset CUDA_FORCE_PTX_JIT outside compatibility testing"});
  if (auto v = get("CUDA_CACHE_DISABLE"); v && *v == "1")
    fs.push_back({Status::warn, "env_cache_disable", "CUDA_CACHE_DISABLE=1 recompiles PTX at every start",
                  "unset CUDA_CACHE_DISABLE"});
  if (auto v = get("CUDA_DEVICE_MAX_CONNECTIONS"); v && *v == "1")
    fs.push_back({Status::pass, "", "CUDA_DEVICE_MAX_CONNECTIONS=1 (one hardware queue: streams serialize)", ""});
  if (auto v = get("CUDA_MPS_PIPE_DIRECTORY"))
    fs.push_back({Status::pass, "", "CUDA_MPS_PIPE_DIRECTORY set: this process may share GPUs through MPS", ""});
  if (auto v = get("LD_LIBRARY_PATH"); v && v->find("/stubs") != std::string::npos)
    fs.push_back({Status::warn, "env_stubs_on_path", "LD_LIBRARY_PATH contains a stubs folder: " + *v,
                  "remove the toolkit's lib64/stubs from LD_LIBRARY_PATH; its libcuda.so is a link stub, not a driver"});
  if (auto v = get("NVIDIA_VISIBLE_DEVICES"); v && (*v == "none" || *v == "void" || v->empty()))
    fs.push_back({Status::warn, "env_nvidia_visible", "NVIDIA_VISIBLE_DEVICES='" + *v + "': the container toolkit mounts no GPU",
                  "start the container with --gpus all (or NVIDIA_VISIBLE_DEVICES=all with the nvidia runtime)"});
  if (auto v = get("NVIDIA_DRIVER_CAPABILITIES"); v && v->find("compute") == std::string::npos &&
                                                   v->find("all") == std::string::npos)
    fs.push_back({Status::warn, "env_driver_caps", "NVIDIA_DRIVER_CAPABILITIES=" + *v + " lacks 'compute': no CUDA driver",
                  "set NVIDIA_DRIVER_CAPABILITIES=compute,utility (the nvidia/cuda images' default)"});
  return fs;
}

}  // namespace gpuprobe
