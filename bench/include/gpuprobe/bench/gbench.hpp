// Google Benchmark as the harness of `gpuprobe bench`: each selected spec is registered from the
// table with benchmark::RegisterBenchmark, timed manually (CUDA events: UseManualTime), one
// iteration per repetition because the adaptive loop of measure() runs inside it (warm-up,
// samples until the spread is small or the budget is spent, verification). Google Benchmark's
// reported time is the median sample; FLOP/s and bytes/s are kIsRate counters; its flags
// (--benchmark_repetitions, --benchmark_out, --benchmark_filter, …) stay reachable after `--`.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/bench/harness.hpp"

namespace gpuprobe::bench {

struct RunPlan {
  std::vector<BenchSpec> specs;
  WorkloadFactory factory;
  MeasureOptions measure;
  ClockSampler* clocks = nullptr;
  GpuPeaks peaks;
  std::optional<double> pcie_gbps;
  // Called before each benchmark runs (index counts from 1; again for each repetition), for the
  // progress line and the per-benchmark watchdog.
  std::function<void(std::size_t index, std::size_t count, const BenchSpec&)> on_start;
  // Called after each run of a benchmark has been collected (ok, skipped or failed alike).
  std::function<void()> on_end;
};

// What the registered benchmarks measured, one slot per spec (repetitions merged).
struct Collector {
  std::vector<std::optional<Measurement>> slots;  // written under `mutex`
  // The report's benchmarks[] of everything that ran, in table order, with "% of baseline". Takes
  // the mutex: the bench watchdog calls it from its own thread while a benchmark is stuck.
  std::vector<Benchmark> entries(const RunPlan& plan) const;
  mutable std::mutex mutex;
};

// Clears Google Benchmark's registry and registers plan.specs. `plan` and `out` must outlive the run.
void register_benchmarks(const RunPlan& plan, Collector& out);

// Records what Google Benchmark reports (and prints nothing): the runs' names, times, counters.
class RecordingReporter : public ::benchmark::BenchmarkReporter {
 public:
  struct Row {
    std::string name;
    double real_time = 0;  // in the run's time unit
    std::map<std::string, double> counters;
    bool aggregate = false;
  };
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override;
  std::vector<Row> rows;
};

// Hands `raw_flags` (Google Benchmark's own, e.g. --benchmark_repetitions=5) to
// benchmark::Initialize. Throws std::invalid_argument naming what it does not know. Call it before
// anything else runs, so a typo is a usage error, not a late surprise.
void init_google_benchmark(const std::vector<std::string>& raw_flags);
// Runs what is registered, reporting to `display` (and to the file of --benchmark_out when given).
std::size_t run_registered(::benchmark::BenchmarkReporter& display);
// Both in turn.
std::size_t run_google_benchmark(const std::vector<std::string>& raw_flags, ::benchmark::BenchmarkReporter& display);

}  // namespace gpuprobe::bench
