// Statistics of repeated timings and the rule that decides when to stop repeating
// (after nvbench: enough samples, enough time, low relative spread, or a time budget).
#pragma once

#include <cstddef>
#include <vector>

namespace gpuprobe::bench {

struct Summary {
  std::size_t n = 0;
  double median = 0, min = 0, max = 0, mean = 0, stdev = 0;
  double rel_spread = 0;  // sample standard deviation / mean
};
Summary summarize(std::vector<double> samples);

struct StopRule {
  std::size_t min_samples = 10;
  double min_seconds = 0.5;        // of accumulated sample time
  double max_seconds = 15.0;       // budget: stop even if still noisy
  double target_rel_spread = 0.005;
};
enum class StopReason { keep_going, converged, budget };
StopReason should_stop(const std::vector<double>& sample_seconds, double elapsed_seconds, const StopRule& rule);

}  // namespace gpuprobe::bench
