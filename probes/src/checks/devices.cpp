// Check 3: how many GPUs, what they are, and whether they meet --expect-gpus / --min-cc / --min-memory.
// The first check to enumerate the GPUs (ProbeContext::gpus(): a context on each), so a GPU that
// cannot be queried or opened (busy in exclusive-process mode, prohibited) is reported here.
#include <sstream>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/report/render.hpp"

namespace gpuprobe::checks {

CheckResult devices(ProbeContext& ctx) {
  if (!ctx.driver().ok()) return skip_no_gpu(ctx);
  const RuntimeState& rt = ctx.runtime();
  const ProbeOptions& o = ctx.options();
  if (rt.code != 0) {
    const std::string err = rt.name + " (" + std::to_string(rt.code) + "): " + rt.text;
    CheckResult r;
    if (rt.code == 35)
      r = fail("driver_too_old", "the CUDA runtime refuses this driver: " + err, "see the compat check");
    else if (rt.code == 100)
      r = fail("no_device", "the CUDA runtime sees no GPU: " + err,
               "start the container with --gpus all; check CUDA_VISIBLE_DEVICES");
    else
      r = fail("runtime_init", "cudaGetDeviceCount failed: " + err, "check the host: nvidia-smi, dmesg for Xid errors");
    r.measured = err;
    return r;
  }
  const auto gpus = ctx.gpus();
  std::vector<Finding> fs;
  for (const GpuProblem& p : ctx.gpu_problems()) fs.push_back(diagnose_gpu_problem(p));
  if (gpus.empty()) {
    if (!fs.empty()) return from_findings(fs, "");
    return fail("no_device", "no GPU visible to CUDA", "start the container with --gpus all");
  }

  const int n = static_cast<int>(gpus.size());
  if (o.expect_gpus) {
    if (n < *o.expect_gpus)
      fs.push_back({Status::fail, "gpu_count", "expected " + std::to_string(*o.expect_gpus) + " GPUs, found " + std::to_string(n),
                    "check --gpus (all, or the count) on docker run, CUDA_VISIBLE_DEVICES and nvidia-smi on the host"});
    else if (n > *o.expect_gpus)
      fs.push_back({Status::warn, "gpu_count", "expected " + std::to_string(*o.expect_gpus) + " GPUs, found " + std::to_string(n),
                    "pass the count you expect, or restrict with --gpus '\"device=0\"'"});
  }
  for (const auto& g : gpus) {
    if (o.min_cc && g.cc_major * 10 + g.cc_minor < o.min_cc->as_int())
      fs.push_back({Status::fail, "min_cc",
                    gpu_label(g) + " has compute capability " + std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor) +
                        ", below the required " + std::to_string(o.min_cc->major) + "." + std::to_string(o.min_cc->minor),
                    "choose an instance type whose GPU meets the requirement (see gpuprobe instances)"});
    if (o.min_memory_bytes && g.memory_total_bytes < *o.min_memory_bytes)
      fs.push_back({Status::fail, "min_memory",
                    gpu_label(g) + " has " + format_bytes(g.memory_total_bytes) + ", below the required " +
                        format_bytes(*o.min_memory_bytes),
                    "choose an instance type with more GPU memory"});
  }
  std::ostringstream summary;
  // "1 × NVIDIA H200 (cc 9.0, 139.8 GiB)"; mixed GPUs are listed one by one.
  bool same = true;
  for (const auto& g : gpus) same = same && g.name == gpus[0].name;
  if (same)
    summary << n << " x " << gpus[0].name << " (cc " << gpus[0].cc_major << "." << gpus[0].cc_minor << ", "
            << format_bytes(gpus[0].memory_total_bytes) << ", " << gpus[0].sm_count << " SMs)";
  else
    for (const auto& g : gpus) summary << (g.index ? "; " : "") << gpu_label(g);
  CheckResult r = from_findings(fs, summary.str());
  r.measured = std::to_string(n) + " GPU" + (n == 1 ? "" : "s");
  if (o.expect_gpus) r.expected = std::to_string(*o.expect_gpus) + " GPUs";
  return r;
}

}  // namespace gpuprobe::checks
