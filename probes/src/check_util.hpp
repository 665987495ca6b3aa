// Small helpers shared by the checks (internal to probes/).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/gpu/dynlib.hpp"
#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/health.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::checks {

inline CheckResult pass(std::string message, std::string measured = "", std::string expected = "") {
  CheckResult r;
  r.status = Status::pass;
  r.message = std::move(message);
  r.measured = std::move(measured);
  r.expected = std::move(expected);
  return r;
}

inline CheckResult outcome(Status s, std::string reason, std::string message, std::string hint) {
  CheckResult r;
  r.status = s;
  r.reason = std::move(reason);
  r.message = std::move(message);
  r.hint = std::move(hint);
  return r;
}
inline CheckResult fail(std::string reason, std::string message, std::string hint) {
  return outcome(Status::fail, std::move(reason), std::move(message), std::move(hint));
}
inline CheckResult warn(std::string reason, std::string message, std::string hint) {
  return outcome(Status::warn, std::move(reason), std::move(message), std::move(hint));
}
inline CheckResult skip(std::string message, std::string reason = "") {
  return outcome(Status::skip, std::move(reason), std::move(message), "");
}

// The skip every GPU check returns when the driver or runtime is not usable: what is missing in a
// few words; the driver/devices checks carry the diagnosis. Its reason, no_gpu, makes a run whose
// selected checks all skipped for it end with exit 3 (no GPU), not "no check ran".
inline CheckResult skip_no_gpu(ProbeContext& ctx) {
  const DriverState& d = ctx.driver();
  const std::string see = " (the driver check says why)";
  if (!d.lib_loaded) return skip("no usable CUDA driver: libcuda.so.1 does not load" + see, "no_gpu");
  if (d.is_stub)
    return skip("no usable CUDA driver: the toolkit's link stub loaded instead of libcuda" + see, "no_gpu");
  if (!d.ok()) {
    const std::string err = d.init_name + " (" + std::to_string(d.init_code) + ")";
    return skip("no usable CUDA driver: cuInit returned " + err + see, "no_gpu");
  }
  return skip("no usable GPU (see the devices check)", "no_gpu");
}

// The EC2 instance type the host facts found ("" when not on EC2 or not known).
inline std::string instance_type_of(ProbeContext& ctx) {
  return ctx.report().with([](Report& r) { return r.host.cloud ? r.host.cloud->instance_type : std::string(); });
}

inline std::string gpu_label(const GpuInfo& g) { return "GPU " + std::to_string(g.index) + " (" + g.name + ")"; }

// GPUs whose CUDA context an earlier check lost (ProbeContext::note_lost_contexts) are not tested
// again. In the loop over the GPUs: true, with the finding that says so, for such a GPU.
inline bool untested_lost_gpu(ProbeContext& ctx, const GpuInfo& g, std::vector<Finding>& fs) {
  const LostContext* lost = ctx.lost_context(g.index);
  if (!lost) return false;
  fs.push_back(lost_context_finding(gpu_label(g), *lost));
  return true;
}
// Before the loop: the skip result when every GPU's context is lost (nothing left to test).
inline std::optional<CheckResult> skip_if_every_context_lost(ProbeContext& ctx) {
  const auto gpus = ctx.gpus();
  if (gpus.empty()) return std::nullopt;
  for (const auto& g : gpus)
    if (!ctx.lost_context(g.index)) return std::nullopt;
  const LostContext& first = *ctx.lost_context(gpus.front().index);
  return skip("not run: every GPU's CUDA context has been lost (" + first.name + " since the " + first.check +
                  " check; see that check)",
              "context_lost");
}

// Turns findings into one result: the worst status, the worst finding's reason and hint, and every
// message joined.
CheckResult from_findings(const std::vector<Finding>& fs, const std::string& ok_message);

// Where the cublas/cudnn check's library came from: details.library_source, and
// details.library_folder when not through the loader.
inline void record_library_source(CheckResult& r, LibSource source, const std::string& folder) {
  r.details["library_source"] = lib_source_name(source);
  if (!folder.empty()) r.details["library_folder"] = folder;
}

// The driver version reported and where it was read (details.driver_version, driver_version_source),
// for the driver and nvml checks.
inline void record_driver_version(CheckResult& r, const ProbeContext& ctx) {
  if (const auto& v = ctx.driver_version()) {
    r.details["driver_version"] = v->version;
    r.details["driver_version_source"] = to_string(v->source);
  }
}

// A library that came from a CUDA toolkit folder the loader does not search:
// gpuprobe loads it by path, programs linked against it do not start. A warning, not a pass.
inline void warn_if_off_loader_path(std::vector<Finding>& fs, const std::string& what, const std::string& soname,
                                    const DynLib& lib, const SystemView& sys) {
  if (lib.source() != LibSource::cuda_toolkit) return;
  fs.push_back({Status::warn, "not_on_loader_path", what + " is " + toolkit_library_note(lib.found_in(), sys),
                "until then, programs linked against it stop at start with \"" + soname +
                    ": cannot open shared object file\"; gpuprobe loaded it by path"});
}

}  // namespace gpuprobe::checks
