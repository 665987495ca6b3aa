#include "gpuprobe/bench/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gpuprobe::bench {

Summary summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.stdev = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  s.rel_spread = s.mean != 0 ? s.stdev / s.mean : 0;
  return s;
}

StopReason should_stop(const std::vector<double>& samples, double elapsed, const StopRule& rule) {
  if (elapsed >= rule.max_seconds) return StopReason::budget;
  if (samples.size() < rule.min_samples) return StopReason::keep_going;
  const double total = std::accumulate(samples.begin(), samples.end(), 0.0);
  if (total < rule.min_seconds) return StopReason::keep_going;
  return summarize(samples).rel_spread <= rule.target_rel_spread ? StopReason::converged : StopReason::keep_going;
}

}  // namespace gpuprobe::bench
