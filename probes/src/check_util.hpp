// Small helpers shared by the checks (internal to probes/).
#pragma once

#include <string>
#include <vector>

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

// The skip every GPU check returns when the driver or runtime is not usable; the driver/devices
// checks carry the diagnosis.
inline CheckResult skip_no_gpu(ProbeContext& ctx) {
  if (!ctx.driver().ok()) return skip("no usable CUDA driver (see the driver check)", "no_gpu");
  return skip("no usable GPU (see the devices check)", "no_gpu");
}

inline std::string gpu_label(const GpuInfo& g) { return "GPU " + std::to_string(g.index) + " (" + g.name + ")"; }

// Turns findings into one result: the worst status, the worst finding's reason and hint, and every
// message joined.
CheckResult from_findings(const std::vector<Finding>& fs, const std::string& ok_message);

}  // namespace gpuprobe::checks
