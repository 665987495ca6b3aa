// Check 2: does the driver support this binary's CUDA runtime? Names the driver branch or the
// nvidia/cuda image that would work.
#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/probes/compat.hpp"
#include "gpuprobe/probes/container_limits.hpp"
#include "gpuprobe/report/render.hpp"

namespace gpuprobe::checks {

CheckResult compat(ProbeContext& ctx) {
  const DriverState& d = ctx.driver();
  // Judged whenever the driver's CUDA version is known, GPU or not: a driver too old for this
  // binary is worth knowing before the GPU is fixed.
  if (!d.version_known()) return skip_no_gpu(ctx);
  const RuntimeState& rt = ctx.runtime();
  // The library's own version: the CUDA version judged is its answer.
  const std::string version =
      !d.lib_version.empty() || !ctx.driver_version() ? d.lib_version : ctx.driver_version()->version;
  const CompatAssessment a = assess_driver_runtime(d.cuda_version, rt.runtime_version, version);
  CheckResult r = outcome(a.status, a.reason, a.message, a.hint);
  r.measured = "driver CUDA " + format_cuda_version(d.cuda_version);
  r.expected = ">= runtime CUDA " + format_cuda_version(rt.runtime_version);
  // The runtime's own verdict: error 35 with a driver present means it really is too old.
  if (rt.attempted && rt.code == 35 && r.status != Status::fail) {
    r.status = Status::fail;
    r.reason = "driver_too_old";
    r.message = "the CUDA runtime rejects driver " + version + " (error 35): " + a.message;
  }
  const SystemView& sys = ctx.system();
  // cuDriverGetVersion answers for the libcuda loaded: the image's cuda-compat one, when it is.
  if (const auto compat = find_cuda_compat(sys); const CompatLibrary* c = loaded_compat_library(compat, sys, d.lib_path))
    r.message += "; driver CUDA " + format_cuda_version(d.cuda_version) + " is " + describe_compat_library(*c) +
                 (d.kernel_module.empty() ? "" : ", standing in for the host's kernel module " + d.kernel_module);
  // The image's own requirement (nvidia/cuda images): what nvidia-container-cli judges on the host.
  if (const auto require = sys.getenv("NVIDIA_REQUIRE_CUDA"); require && !trim(*require).empty()) {
    const std::string judged = ctx.driver_version() ? ctx.driver_version()->version : version;
    const RequireCuda req = assess_require_cuda(*require, d.cuda_version, judged);
    const auto disable = sys.getenv("NVIDIA_DISABLE_REQUIRE");
    // Go's strconv.ParseBool, which the toolkit reads it with.
    const bool disabled = disable && (*disable == "1" || *disable == "t" || *disable == "T" || *disable == "true" ||
                                      *disable == "TRUE" || *disable == "True");
    r.details["nvidia_require_cuda"] = {
        {"value", req.value},
        {"met", req.met == Truth::yes ? "yes" : req.met == Truth::no ? "no" : "unknown"},
        {"not_evaluated", req.not_evaluated}};
    if (const auto f = evaluate_require_cuda(req, d.cuda_version, judged, disabled)) {
      if (f->status == Status::warn && r.status == Status::pass) {
        r.status = f->status;
        r.reason = f->reason;
        r.message = f->message + "; " + r.message;
        r.hint = f->hint;
      } else {
        r.message += "; " + f->message;
      }
    }
  }
  if (!d.ok())
    r.message += "; no GPU to confirm it on (see the driver check)";
  else if (!rt.ok())
    r.message += "; no GPU to confirm it on (see the devices check)";
  return r;
}

}  // namespace gpuprobe::checks
