// The table of checks `gpuprobe check` runs, in order, with their time bounds.
#pragma once

#include <vector>

#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/runner.hpp"

namespace gpuprobe {

struct CheckSpec {
  const char* id;
  const char* title;
  int time_bound_ms;
  CheckResult (*fn)(ProbeContext&);
  // Background work the check needs, begun when the run starts (when the check is selected), so
  // that it runs beside the checks before it; nullptr for most.
  void (*start)(ProbeContext&) = nullptr;
};

const std::vector<CheckSpec>& check_table();
// Binds the table to a context, scaling time bounds by options().timeout_scale.
std::vector<RunnableCheck> runnable_checks(ProbeContext& ctx);

}  // namespace gpuprobe
