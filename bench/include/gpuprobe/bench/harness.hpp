// The measurement harness of `gpuprobe bench`, independent of CUDA so that it is unit-tested on a
// machine without a GPU (with fake workloads and a fake clock sampler).
//
//   spec (spec.hpp) --WorkloadFactory--> Workload: prepare buffers, run() once = one timed sample,
//                                verify() the output of the last run
//   measure():  warm-up, then samples until the StopRule (stats.hpp) says converged or budget,
//               clocks sampled meanwhile, then verification
//   to_entry(): the report's benchmarks[] entry (gpuprobe/report/benchmark.hpp), failed results
//               carry no value
//
// Google Benchmark is the harness around it (gbench.hpp): one registered benchmark per spec.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuprobe/bench/peaks.hpp"
#include "gpuprobe/bench/spec.hpp"
#include "gpuprobe/bench/stats.hpp"
#include "gpuprobe/report/benchmark.hpp"

namespace gpuprobe::bench {

struct Verification {
  bool ok = false;
  std::string detail;  // "Freivalds: worst row 12 at 0.21 of tolerance", or what is wrong
};

// Thrown by a factory or a workload: the benchmark cannot run here (a dtype the GPU lacks, too
// little free memory, a library missing). Reported as skipped with the message.
struct Skip : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Workload {
 public:
  virtual ~Workload() = default;
  // One run, timed on the device: output poisoned and caches flushed before, outside the timing.
  // Returns seconds. Throws on an error (the benchmark then fails with the message).
  virtual double run() = 0;
  // Checks the output of the last run() against a reference.
  virtual Verification verify() = 0;
  // Facts worth keeping beside the result (the algorithm a library chose, the buffers' size…).
  virtual nlohmann::json details() const { return nlohmann::json::object(); }
};
using WorkloadFactory = std::function<std::unique_ptr<Workload>(const BenchSpec&)>;

// SM clock and throttling while a benchmark ran (NVML, sampled on a thread).
struct ClockStats {
  unsigned samples = 0;
  double sm_mhz_median = 0, sm_mhz_min = 0;
  unsigned sm_mhz_max = 0;                    // the GPU's maximum SM clock, 0 when unknown
  std::vector<std::string> throttle_reasons;  // seen in any sample: "thermal (HW)", "HW slowdown", …
  // The SW power cap held the clock down in some sample. Not throttling: a GPU running a heavy
  // kernel at its power limit is normal operation (the check calls it so too), but it explains a
  // clock below the maximum.
  bool power_capped = false;
  bool throttled() const { return !throttle_reasons.empty(); }
};
class ClockSampler {
 public:
  virtual ~ClockSampler() = default;
  virtual void start() = 0;
  virtual ClockStats stop() = 0;
};
// The reasons NVML reports (nvmlClocksEventReasons bits) that mean slowed down beyond normal
// operation: hardware slowdown, thermal (SW and HW), power brake. Idle, application clocks, sync
// boost, display and the SW power cap are not throttling. Returns their names (probes'
// clock_event_reason_names).
std::vector<std::string> throttle_reason_names(unsigned long long reasons);
bool power_capped(unsigned long long reasons);  // the SW power cap bit

struct MeasureOptions {
  StopRule rule;
  double warmup_seconds = 0.05;  // at least 2 runs and this long before the first sample
};
// Per suite: smoke (5+ samples, 0.5 s budget per benchmark), standard (10+, 2 s), full (20+, 5 s);
// each stops early once the relative spread is <= 0.5 % (smoke: 1 %) after its minimum time.
MeasureOptions measure_options_for(Suite s);

struct Measurement {
  BenchStatus status = BenchStatus::ok;
  std::string reason;            // why skipped or failed
  std::vector<double> samples;   // seconds of each timed run
  StopReason stop = StopReason::keep_going;
  int warmup_runs = 0;
  Verification verification;
  ClockStats clocks;
  nlohmann::json details = nlohmann::json::object();
  double wall_seconds = 0;       // set-up, warm-up, samples and verification
};

// Prepares the workload, warms up, samples until the stop rule says so, verifies. Never throws:
// Skip becomes skipped, any other exception (out of memory at run time, a library error) failed,
// a wrong result failed.
Measurement measure(const BenchSpec& spec, const WorkloadFactory& make, const MeasureOptions& opt, ClockSampler* clocks);

// Adds the samples of another repetition of the same benchmark (--benchmark_repetitions).
void merge_repetition(Measurement& into, const Measurement& more);

// The report's benchmarks[] entry. `pcie_gbps`: the link's theoretical rate, the peak of host<->device
// copies (of a p2p pair: the nominal rate of the link between the two GPUs, p2p.hpp). A latency
// benchmark's value is µs per operation, with no peak.
Benchmark to_entry(const BenchSpec& spec, const Measurement& m, const GpuPeaks& peaks, std::optional<double> pcie_gbps);

// For every entry with a baseline, sets baseline_percent = value / value of the entry named by the
// baseline with the same params (unset when that one did not run or failed).
void add_baseline_percent(std::vector<Benchmark>& entries);

// "[ 3/27] matmul/cublas/bf16/m:4096/n:4096/k:4096  elapsed 12 s  ETA 40 s"
std::string progress_line(std::size_t index, std::size_t count, const std::string& name, double elapsed_s,
                          std::optional<double> eta_s);

}  // namespace gpuprobe::bench
