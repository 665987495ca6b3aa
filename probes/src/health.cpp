#include "gpuprobe/probes/health.hpp"

#include <cstdio>

#include "gpuprobe/probes/compat.hpp"
#include "gpuprobe/probes/gpu_libs.hpp"

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

std::vector<Finding> evaluate_gpu_health(const std::string& gpu, const GpuHealth& h) {
  std::vector<Finding> fs;
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
    const unsigned long long bad = *h.clock_event_reasons & (kClkHwSlowdown | kClkSwThermal | kClkHwThermal | kClkHwPowerBrake);
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
