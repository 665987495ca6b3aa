// Check 11: environment variables that distort results or hide GPUs.
#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/gpu_libs.hpp"

namespace gpuprobe::checks {

CheckResult environment(ProbeContext& ctx) {
  std::optional<int> nvml_count, cuda_count;
  const NvmlLib& n = nvml_lib();
  unsigned c = 0;
  if (n.usable() && n.nvmlDeviceGetCount_v2(&c) == kNvmlSuccess) nvml_count = static_cast<int>(c);
  if (ctx.driver().ok()) cuda_count = ctx.runtime().device_count;
  const auto fs = evaluate_environment(ctx.system().env, nvml_count, cuda_count);
  CheckResult r = from_findings(fs, "no variable that distorts results (CUDA_LAUNCH_BLOCKING, CUDA_VISIBLE_DEVICES, "
                                    "NVIDIA_TF32_OVERRIDE, CUDA_FORCE_PTX_JIT, …)");
  if (!fs.empty()) r.measured = std::to_string(fs.size()) + " finding(s)";
  return r;
}

}  // namespace gpuprobe::checks
