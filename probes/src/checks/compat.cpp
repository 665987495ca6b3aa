// Check 2: does the driver support this binary's CUDA runtime? Names the driver branch or the
// nvidia/cuda image that would work.
#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/probes/compat.hpp"
#include "gpuprobe/report/render.hpp"

namespace gpuprobe::checks {

CheckResult compat(ProbeContext& ctx) {
  const DriverState& d = ctx.driver();
  if (!d.ok()) return skip_no_gpu(ctx);
  const RuntimeState& rt = ctx.runtime();
  const CompatAssessment a = assess_driver_runtime(d.cuda_version, rt.runtime_version, d.kernel_module);
  CheckResult r = outcome(a.status, a.reason, a.message, a.hint);
  r.measured = "driver CUDA " + format_cuda_version(d.cuda_version);
  r.expected = ">= runtime CUDA " + format_cuda_version(rt.runtime_version);
  // The runtime's own verdict: error 35 with a driver present means it really is too old.
  if (rt.attempted && rt.code == 35 && r.status != Status::fail) {
    r.status = Status::fail;
    r.reason = "driver_too_old";
    r.message = "the CUDA runtime rejects driver " + d.kernel_module + " (error 35): " + a.message;
  }
  return r;
}

}  // namespace gpuprobe::checks
