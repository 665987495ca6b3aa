// The frameworks check's background part: the files are read at once (tens of milliseconds), and
// every framework found is asked live in a subprocess of its own, started before the GPU checks
// so that its import (seconds for torch or TensorFlow) overlaps them.
#include <chrono>

#include "gpuprobe/probes/context.hpp"

namespace gpuprobe {

FrameworksRun& ProbeContext::frameworks() {
  if (frameworks_) return *frameworks_;
  frameworks_ = std::make_unique<FrameworksRun>();
  FrameworksRun& run = *frameworks_;
  const auto t0 = std::chrono::steady_clock::now();
  run.found = find_frameworks(sys_);
  run.scan_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<LiveRequest> requests;
  for (std::size_t i = 0; i < run.found.size(); ++i) {
    if (run.found[i].python.empty()) continue;
    requests.push_back({run.found[i].name, run.found[i].python});
    run.live_index.push_back(i);
  }
  // A cold import of torch takes about 3 s, of TensorFlow longer; the bound catches a hang.
  const auto bound = std::chrono::milliseconds(static_cast<long long>(30000 * opts_.timeout_scale));
  if (!requests.empty()) run.live = std::make_unique<LiveProbes>(std::move(requests), bound, sys_);
  return run;
}

}  // namespace gpuprobe
