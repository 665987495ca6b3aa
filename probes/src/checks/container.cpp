// Check 12: container (or machine) limits that break training once the GPU works: /dev/shm, memlock and
// stack ulimits, NVIDIA_DRIVER_CAPABILITIES without utility. File reads only.
#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/probes/container_limits.hpp"
#include "gpuprobe/probes/host_info.hpp"

namespace gpuprobe::checks {

CheckResult container(ProbeContext& ctx) {
  const SystemView& sys = ctx.system();
  const bool in_container = detect_container(sys).detected;
  const ContainerLimits l = read_container_limits(sys);
  const std::vector<Finding> fs = evaluate_container_limits(l, in_container);
  CheckResult r = from_findings(fs, in_container ? "/dev/shm, memlock and stack ulimits suit training in this container"
                                                 : "/dev/shm suits training on this machine");
  // Each warning here is fixed by a flag of its own, and a container usually lacks several at once
  // (Docker's defaults: all three): the fix names every one, not only the first warning's.
  std::string hint;
  for (const auto& f : fs)
    if (f.status != Status::pass && !f.hint.empty() && hint.find(f.hint) == std::string::npos)
      hint += (hint.empty() ? "" : " — and ") + f.hint;
  if (!hint.empty()) r.hint = hint;
  auto opt = [](const std::optional<std::uint64_t>& v) -> nlohmann::json { return v ? nlohmann::json(*v) : nullptr; };
  r.details["in_container"] = in_container;
  r.details["shm_mounted"] = l.shm_mounted;
  r.details["shm_bytes"] = opt(l.shm_bytes);
  r.details["ipc_namespace"] = l.ipc_namespace.empty() ? nlohmann::json(nullptr) : nlohmann::json(l.ipc_namespace);
  r.details["host_ipc"] = l.host_ipc ? nlohmann::json(*l.host_ipc) : nlohmann::json(nullptr);
  if (l.limits_known) {  // null = unlimited
    r.details["memlock_bytes"] = opt(l.memlock_bytes);
    r.details["stack_bytes"] = opt(l.stack_bytes);
  }
  if (l.shm_bytes) r.measured = "/dev/shm " + std::to_string(*l.shm_bytes >> 20) + " MiB";
  return r;
}

}  // namespace gpuprobe::checks
