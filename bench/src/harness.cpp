#include "gpuprobe/bench/harness.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "gpuprobe/gpu/gpu_libs.hpp"  // nvmlClocksEventReasons bits
#include "gpuprobe/probes/health.hpp"

namespace gpuprobe::bench {
namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Stops the clock sampler on every way out of measure().
struct SamplerGuard {
  ClockSampler* s = nullptr;
  bool running = false;
  ClockStats finish() {
    running = false;
    return s ? s->stop() : ClockStats{};
  }
  ~SamplerGuard() {
    if (running && s) s->stop();
  }
};

const char* stop_name(StopReason r) {
  switch (r) {
    case StopReason::converged: return "converged";
    case StopReason::budget: return "budget";
    case StopReason::keep_going: break;
  }
  return "none";
}

}  // namespace

std::vector<std::string> throttle_reason_names(unsigned long long r) {
  return clock_event_reason_names(r & kClkThrottling);
}
bool power_capped(unsigned long long r) { return (r & kClkSwPowerCap) != 0; }

Measurement measure(const BenchSpec& spec, const WorkloadFactory& make, const MeasureOptions& opt, ClockSampler* clocks) {
  Measurement m;
  const auto t0 = std::chrono::steady_clock::now();
  SamplerGuard guard{clocks};
  try {
    std::unique_ptr<Workload> inst = make ? make(spec) : nullptr;
    if (!inst) throw Skip("no implementation of " + spec.name() + " in this build");
    const auto w0 = std::chrono::steady_clock::now();
    do {
      inst->run();
      ++m.warmup_runs;
    } while (m.warmup_runs < 2 || since(w0) < opt.warmup_seconds);
    if (clocks) {
      clocks->start();
      guard.running = true;
    }
    const auto s0 = std::chrono::steady_clock::now();
    do {
      const double s = inst->run();
      if (!(s > 0) || !std::isfinite(s))
        throw std::runtime_error("the device timer returned " + std::to_string(s) + " s for one run");
      m.samples.push_back(s);
      m.stop = should_stop(m.samples, since(s0), opt.rule);
    } while (m.stop == StopReason::keep_going);
    if (clocks) m.clocks = guard.finish();
    m.verification = inst->verify();
    m.details = inst->details();
    if (!m.verification.ok) {
      m.status = BenchStatus::failed;
      m.reason = "wrong result: " + m.verification.detail;
    }
  } catch (const Skip& e) {
    m.status = BenchStatus::skipped;
    m.reason = e.what();
  } catch (const std::exception& e) {
    m.status = BenchStatus::failed;
    m.reason = e.what();
  }
  m.wall_seconds = since(t0);
  return m;
}

void merge_repetition(Measurement& into, const Measurement& more) {
  // A failure in any repetition fails the benchmark; a skip only counts when nothing ran.
  if (more.status == BenchStatus::failed && into.status != BenchStatus::failed) {
    into.status = more.status;
    into.reason = more.reason;
    into.verification = more.verification;
  } else if (into.status == BenchStatus::skipped && more.status == BenchStatus::ok) {
    into = more;
    return;
  }
  into.samples.insert(into.samples.end(), more.samples.begin(), more.samples.end());
  into.warmup_runs += more.warmup_runs;
  into.wall_seconds += more.wall_seconds;
  if (more.stop == StopReason::budget) into.stop = StopReason::budget;
  // Clocks: the first repetition's median stays (no per-sample clocks are kept); min, max and the
  // throttle reasons cover every repetition.
  into.clocks.samples += more.clocks.samples;
  if (more.clocks.samples) {
    into.clocks.sm_mhz_min = into.clocks.sm_mhz_min > 0 ? std::min(into.clocks.sm_mhz_min, more.clocks.sm_mhz_min)
                                                        : more.clocks.sm_mhz_min;
    into.clocks.sm_mhz_max = std::max(into.clocks.sm_mhz_max, more.clocks.sm_mhz_max);
  }
  into.clocks.power_capped = into.clocks.power_capped || more.clocks.power_capped;
  for (const auto& r : more.clocks.throttle_reasons)
    if (std::find(into.clocks.throttle_reasons.begin(), into.clocks.throttle_reasons.end(), r) ==
        into.clocks.throttle_reasons.end())
      into.clocks.throttle_reasons.push_back(r);
}

Benchmark to_entry(const BenchSpec& spec, const Measurement& m, const GpuPeaks& peaks, std::optional<double> pcie) {
  Benchmark e;
  e.name = spec.name();
  e.params = spec.params;
  e.unit = spec.unit();
  e.label = spec.label;
  e.implementation = spec.is_library() ? "library" : "hand-written";
  e.status = m.status;
  if (!spec.baseline.empty()) e.baseline = spec.baseline;
  if (!m.reason.empty()) e.reason = m.reason;
  if (!m.verification.detail.empty()) e.verification = m.verification.detail;
  e.details = m.details;
  e.wall_seconds = m.wall_seconds;
  if (m.status == BenchStatus::skipped) return e;
  if (m.status == BenchStatus::failed) {
    // Never a throughput for a failed benchmark; say whether it got as far as verification.
    if (!m.verification.detail.empty()) e.verified = false;
    return e;
  }
  const Summary s = summarize(m.samples);
  double value = 0;
  if (spec.work_kind == Work::latency) {
    // µs per operation: the run's time over the operations it made.
    value = s.median / spec.work * 1e6;
    e.min = s.min / spec.work * 1e6;
    e.max = s.max / spec.work * 1e6;
  } else {
    const double scale = spec.work_kind == Work::flops ? 1e12 : 1e9;
    value = spec.work / s.median / scale;
    e.min = spec.work / s.max / scale;
    e.max = spec.work / s.min / scale;
  }
  e.value = value;
  e.rel_spread = s.rel_spread;
  e.verified = m.verification.ok;
  std::optional<double> peak;
  if (spec.work_kind == Work::flops && spec.dtype) peak = peaks.tflops(*spec.dtype);
  else if (spec.work_kind == Work::bytes && spec.family != Family::nccl)
    peak = spec.device_memory_peak ? peaks.mem_gbps : pcie;
  if (peak && *peak > 0) {
    e.peak_percent = 100.0 * value / *peak;
    e.peak = *peak;
  }
  // NCCL collectives: the value is nccl-tests' algbw; its busbw beside it (bench/nccl_busbw.hpp).
  if (e.details.is_object() && e.details.contains("busbw_factor") && e.details["busbw_factor"].is_number())
    e.details["busbw_gb_s"] = value * e.details["busbw_factor"].get<double>();
  e.time_ms = Benchmark::Times{s.median * 1e3, s.min * 1e3, s.max * 1e3};
  e.samples = s.n;
  e.warmup_runs = static_cast<std::uint64_t>(std::max(m.warmup_runs, 0));
  e.stop = stop_name(m.stop);
  if (m.clocks.samples) {
    e.sm_clock_mhz = Benchmark::Clocks{m.clocks.sm_mhz_median, m.clocks.sm_mhz_min, std::nullopt};
    if (m.clocks.sm_mhz_max) e.sm_clock_mhz->max = m.clocks.sm_mhz_max;
    e.throttled = m.clocks.throttled();
    e.throttle_reasons = m.clocks.throttle_reasons;
    e.power_capped = m.clocks.power_capped;
  }
  return e;
}

void add_baseline_percent(std::vector<Benchmark>& entries) {
  std::map<std::string, double> values;  // Benchmark::key() -> value of entries that ran
  for (const auto& e : entries)
    if (e.value) values[e.key()] = *e.value;
  for (auto& e : entries) {
    if (!e.baseline) continue;
    Benchmark base;
    base.name = *e.baseline;
    base.params = e.params;
    const auto it = values.find(base.key());
    e.baseline_percent.reset();
    if (e.value && it != values.end() && it->second > 0) e.baseline_percent = 100.0 * *e.value / it->second;
  }
}

MeasureOptions measure_options_for(Suite s) {
  MeasureOptions o;
  switch (s) {
    case Suite::smoke:
      o.rule = {5, 0.02, 0.5, 0.01};
      o.warmup_seconds = 0.02;
      break;
    case Suite::standard:
      o.rule = {10, 0.1, 2.0, 0.005};
      o.warmup_seconds = 0.05;
      break;
    case Suite::full:
      o.rule = {20, 0.5, 5.0, 0.005};
      o.warmup_seconds = 0.1;
      break;
  }
  return o;
}

std::string progress_line(std::size_t index, std::size_t count, const std::string& name, double elapsed,
                          std::optional<double> eta) {
  char buf[64];
  const int width = static_cast<int>(std::to_string(count).size());
  std::snprintf(buf, sizeof buf, "[%*zu/%zu] ", width, index, count);
  std::string s = buf;
  s += name;
  std::snprintf(buf, sizeof buf, "  elapsed %.0f s", elapsed);
  s += buf;
  if (eta) {
    std::snprintf(buf, sizeof buf, "  ETA %.0f s", *eta);
    s += buf;
  }
  return s;
}

}  // namespace gpuprobe::bench
