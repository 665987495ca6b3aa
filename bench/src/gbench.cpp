#include "gpuprobe/bench/gbench.hpp"

#include <stdexcept>

namespace gpuprobe::bench {

void register_benchmarks(const RunPlan& plan, Collector& out) {
  ::benchmark::ClearRegisteredBenchmarks();
  out.slots.assign(plan.specs.size(), std::nullopt);
  for (std::size_t i = 0; i < plan.specs.size(); ++i) {
    const BenchSpec& spec = plan.specs[i];
    auto fn = [&plan, &out, i](::benchmark::State& state) {
      const BenchSpec& s = plan.specs[i];
      if (plan.on_start) plan.on_start(i + 1, plan.specs.size(), s);
      Measurement m;
      for (auto _ : state) {
        m = measure(s, plan.factory, plan.measure, plan.clocks);
        if (m.status == BenchStatus::ok) state.SetIterationTime(summarize(m.samples).median);
      }
      if (m.status != BenchStatus::ok) {
        const std::string why = std::string(to_string(m.status)) + ": " + m.reason;
        state.SkipWithError(why.c_str());
      } else {
        if (s.work_kind == Work::flops)
          state.counters["FLOP/s"] = ::benchmark::Counter(s.work, ::benchmark::Counter::kIsIterationInvariantRate);
        else if (s.work_kind == Work::bytes)
          state.SetBytesProcessed(static_cast<std::int64_t>(s.work));
        const Benchmark e = to_entry(s, m, plan.peaks, plan.pcie_gbps);
        if (e.peak_percent) state.counters["peak_%"] = *e.peak_percent;
        state.counters["spread_%"] = 100.0 * e.rel_spread.value_or(0.0);
        state.counters["samples"] = static_cast<double>(m.samples.size());
        state.counters["verified"] = m.verification.ok ? 1 : 0;
        if (m.clocks.samples) state.counters["sm_MHz"] = m.clocks.sm_mhz_median;
      }
      {
        const std::lock_guard<std::mutex> lock(out.mutex);
        auto& slot = out.slots[i];
        if (!slot) slot = std::move(m);
        else merge_repetition(*slot, m);
      }
      if (plan.on_end) plan.on_end();
    };
    ::benchmark::RegisterBenchmark(spec.gb_name().c_str(), fn)
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(::benchmark::kMillisecond);
  }
}

std::vector<Benchmark> Collector::entries(const RunPlan& plan) const {
  const std::lock_guard<std::mutex> lock(mutex);
  std::vector<Benchmark> all;
  for (std::size_t i = 0; i < slots.size() && i < plan.specs.size(); ++i)
    if (slots[i]) all.push_back(to_entry(plan.specs[i], *slots[i], plan.peaks, plan.pcie_gbps));
  add_baseline_percent(all);
  return all;
}

void RecordingReporter::ReportRuns(const std::vector<Run>& runs) {
  for (const auto& r : runs) {
    Row row;
    row.name = r.benchmark_name();
    row.real_time = r.GetAdjustedRealTime();
    row.aggregate = r.run_type == Run::RT_Aggregate;
    for (const auto& [k, c] : r.counters) row.counters[k] = c.value;
    rows.push_back(std::move(row));
  }
}

void init_google_benchmark(const std::vector<std::string>& raw_flags) {
  std::vector<std::string> storage;
  storage.emplace_back("gpuprobe bench");
  storage.insert(storage.end(), raw_flags.begin(), raw_flags.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(storage.size());
  ::benchmark::Initialize(&argc, argv.data());
  // Initialize removes what it understood; anything left is not a Google Benchmark flag.
  if (argc > 1) {
    std::string left;
    for (int i = 1; i < argc; ++i) {
      if (!left.empty()) left += ' ';
      left += argv[i];
    }
    throw std::invalid_argument("not a Google Benchmark flag: " + left);
  }
}

std::size_t run_registered(::benchmark::BenchmarkReporter& display) { return ::benchmark::RunSpecifiedBenchmarks(&display); }

std::size_t run_google_benchmark(const std::vector<std::string>& raw_flags, ::benchmark::BenchmarkReporter& display) {
  init_google_benchmark(raw_flags);
  return run_registered(display);
}

}  // namespace gpuprobe::bench
