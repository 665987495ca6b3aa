// The measurement harness without a GPU: fake workloads with scripted timings, a fake clock
// sampler, Google Benchmark driven through the real registration with a recording reporter.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>

#include "gpuprobe/bench/gbench.hpp"
#include "gpuprobe/bench/harness.hpp"

using namespace gpuprobe::bench;
using gpuprobe::BenchStatus;

namespace {

BenchSpec gemm_spec(int n = 1024) {
  BenchSpec s;
  s.family = Family::matmul;
  s.impl = "cublas";
  s.variant = "bf16";
  s.gemm = {n, n, n};
  s.params = {{"m", n}, {"n", n}, {"k", n}, {"dtype", "bf16"}};
  s.dtype = Dtype::bf16;
  s.work = 2.0 * n * n * static_cast<double>(n);
  return s;
}

// Returns the scripted sample times in turn (the last one forever), verifies as told.
class FakeWorkload : public Workload {
 public:
  FakeWorkload(std::vector<double> times, bool correct) : times_(std::move(times)), correct_(correct) {}
  double run() override {
    ++runs;
    const double t = times_[std::min(next_, times_.size() - 1)];
    ++next_;
    return t;
  }
  Verification verify() override { return {correct_, correct_ ? "ok" : "3 elements wrong"}; }
  nlohmann::json details() const override { return {{"algorithm", "fake"}}; }
  int runs = 0;

 private:
  std::vector<double> times_;
  std::size_t next_ = 0;
  bool correct_;
};

WorkloadFactory fake(std::vector<double> times, bool correct = true) {
  return [=](const BenchSpec&) { return std::make_unique<FakeWorkload>(times, correct); };
}

class FakeClocks : public ClockSampler {
 public:
  void start() override { ++starts; }
  ClockStats stop() override {
    ++stops;
    ClockStats s;
    s.samples = 7;
    s.sm_mhz_median = 1755;
    s.sm_mhz_min = 1410;
    s.sm_mhz_max = 1980;
    s.throttle_reasons = throttle_reason_names(0x40);  // thermal (HW)
    return s;
  }
  int starts = 0, stops = 0;
};

MeasureOptions quick() {
  MeasureOptions o;
  o.rule = {5, 0.0, 10.0, 0.01};
  o.warmup_seconds = 0;
  return o;
}

}  // namespace

TEST(Measure, WarmsUpThenSamplesUntilTheSpreadIsSmall) {
  FakeClocks clocks;
  // Two warm-up runs (the slow first launch is not a sample), then steady 1 ms samples.
  const Measurement m = measure(gemm_spec(), fake({0.5, 0.2, 0.001}), quick(), &clocks);
  EXPECT_EQ(m.status, BenchStatus::ok);
  EXPECT_EQ(m.warmup_runs, 2);
  EXPECT_EQ(m.samples.size(), 5u);
  for (double s : m.samples) EXPECT_DOUBLE_EQ(s, 0.001);
  EXPECT_EQ(m.stop, StopReason::converged);
  EXPECT_TRUE(m.verification.ok);
  EXPECT_EQ(m.details["algorithm"], "fake");
  EXPECT_EQ(clocks.starts, 1);
  EXPECT_EQ(clocks.stops, 1);
  EXPECT_EQ(m.clocks.samples, 7u);
}

TEST(Measure, NoisySamplesRunIntoTheBudget) {
  MeasureOptions o = quick();
  o.rule.max_seconds = 0.05;  // wall-clock budget of the loop
  std::vector<double> noisy;
  for (int i = 0; i < 100000; ++i) noisy.push_back(i % 2 ? 0.001 : 0.002);
  const Measurement m = measure(gemm_spec(), fake(noisy), o, nullptr);
  EXPECT_EQ(m.status, BenchStatus::ok);
  EXPECT_EQ(m.stop, StopReason::budget);
  EXPECT_GT(summarize(m.samples).rel_spread, 0.3);
}

TEST(Measure, SkipFailureAndWrongResults) {
  const WorkloadFactory skipping = [](const BenchSpec&) -> std::unique_ptr<Workload> { throw Skip("needs cc 8.9"); };
  Measurement m = measure(gemm_spec(), skipping, quick(), nullptr);
  EXPECT_EQ(m.status, BenchStatus::skipped);
  EXPECT_EQ(m.reason, "needs cc 8.9");

  const WorkloadFactory failing = [](const BenchSpec&) -> std::unique_ptr<Workload> {
    throw std::runtime_error("cublasLtMatmul: CUBLAS_STATUS_EXECUTION_FAILED");
  };
  m = measure(gemm_spec(), failing, quick(), nullptr);
  EXPECT_EQ(m.status, BenchStatus::failed);
  EXPECT_NE(m.reason.find("EXECUTION_FAILED"), std::string::npos);

  m = measure(gemm_spec(), fake({0.001}, /*correct=*/false), quick(), nullptr);
  EXPECT_EQ(m.status, BenchStatus::failed);
  EXPECT_EQ(m.reason, "wrong result: 3 elements wrong");

  m = measure(gemm_spec(), nullptr, quick(), nullptr);
  EXPECT_EQ(m.status, BenchStatus::skipped);

  // A timer that reports nothing is an error, not an infinite throughput.
  m = measure(gemm_spec(), fake({0.001, 0.001, 0.0}), quick(), nullptr);
  EXPECT_EQ(m.status, BenchStatus::failed);
}

TEST(Measure, ClockSamplerStopsAlsoWhenTheRunThrows) {
  class Throwing : public Workload {
   public:
    double run() override {
      if (++n > 3) throw std::runtime_error("illegal address");
      return 0.001;
    }
    Verification verify() override { return {true, ""}; }
    int n = 0;
  };
  FakeClocks clocks;
  const Measurement m =
      measure(gemm_spec(), [](const BenchSpec&) { return std::make_unique<Throwing>(); }, quick(), &clocks);
  EXPECT_EQ(m.status, BenchStatus::failed);
  EXPECT_EQ(clocks.starts, 1);
  EXPECT_EQ(clocks.stops, 1);
}

TEST(Entry, ThroughputPeakAndClocks) {
  Measurement m;
  m.samples = {0.002, 0.001, 0.004};
  m.verification = {true, "Freivalds: verified"};
  m.stop = StopReason::converged;
  m.clocks.samples = 3;
  m.clocks.sm_mhz_median = 1700;
  m.clocks.throttle_reasons = {"thermal (HW)"};
  m.clocks.power_capped = true;
  GpuPeaks peaks;
  peaks.bf16 = 989.0;
  const BenchSpec s = gemm_spec(4096);
  const auto e = gpuprobe::to_json(to_entry(s, m, peaks, std::nullopt));
  const double flops = 2.0 * 4096.0 * 4096.0 * 4096.0;
  EXPECT_EQ(e["name"], "matmul/cublas/bf16");
  EXPECT_EQ(e["unit"], "TFLOP/s");
  EXPECT_DOUBLE_EQ(e["value"].get<double>(), flops / 0.002 / 1e12);  // the median sample
  EXPECT_DOUBLE_EQ(e["min"].get<double>(), flops / 0.004 / 1e12);
  EXPECT_DOUBLE_EQ(e["max"].get<double>(), flops / 0.001 / 1e12);
  EXPECT_NEAR(e["peak_percent"].get<double>(), 100.0 * flops / 0.002 / 1e12 / 989.0, 1e-9);
  EXPECT_EQ(e["verified"], true);
  EXPECT_EQ(e["status"], "ok");
  EXPECT_EQ(e["implementation"], "library");
  EXPECT_EQ(e["throttled"], true);
  EXPECT_EQ(e["throttle_reasons"][0], "thermal (HW)");
  EXPECT_EQ(e["power_capped"], true);
  EXPECT_NEAR(e["time_ms"]["median"].get<double>(), 2.0, 1e-12);
  // compare/report read it.
  const auto back = gpuprobe::benchmarks_from_json(nlohmann::json::array({e}));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].status, BenchStatus::ok);
  EXPECT_NEAR(*back[0].value, e["value"].get<double>(), 1e-9);
}

TEST(Entry, FailedAndSkippedCarryNoThroughput) {
  Measurement m;
  m.samples = {0.001, 0.001};
  m.status = BenchStatus::failed;
  m.reason = "wrong result: Freivalds: WRONG";
  m.verification = {false, "Freivalds: WRONG"};
  GpuPeaks peaks;
  peaks.bf16 = 989.0;
  auto e = gpuprobe::to_json(to_entry(gemm_spec(), m, peaks, std::nullopt));
  EXPECT_TRUE(e["value"].is_null());
  EXPECT_TRUE(e["min"].is_null());
  EXPECT_TRUE(e["max"].is_null());
  EXPECT_TRUE(e["peak_percent"].is_null());
  EXPECT_EQ(e["verified"], false);
  EXPECT_EQ(e["status"], "failed");
  EXPECT_EQ(e["reason"], "wrong result: Freivalds: WRONG");
  EXPECT_NO_THROW(gpuprobe::benchmarks_from_json(nlohmann::json::array({e})));

  Measurement skipped;
  skipped.status = BenchStatus::skipped;
  skipped.reason = "FP8 needs compute capability 8.9";
  e = gpuprobe::to_json(to_entry(gemm_spec(), skipped, peaks, std::nullopt));
  EXPECT_EQ(e["status"], "skipped");
  EXPECT_TRUE(e["value"].is_null());
  EXPECT_TRUE(e["verified"].is_null());
}

TEST(Entry, MemoryPeaksAreDramOrPcie) {
  BenchSpec d2d;
  d2d.family = Family::memory;
  d2d.impl = "memcpy";
  d2d.variant = "d2d";
  d2d.work_kind = Work::bytes;
  d2d.bytes = 1ull << 30;
  d2d.work = 2.0 * d2d.bytes;
  d2d.device_memory_peak = true;
  Measurement m;
  m.samples = {d2d.work / 4.0e12};  // 4 TB/s
  m.verification = {true, ""};
  GpuPeaks peaks;
  peaks.mem_gbps = 4800;
  auto e = gpuprobe::to_json(to_entry(d2d, m, peaks, 63.0));
  EXPECT_EQ(e["unit"], "GB/s");
  EXPECT_NEAR(e["value"].get<double>(), 4000.0, 1e-6);
  EXPECT_NEAR(e["peak_percent"].get<double>(), 100.0 * 4000 / 4800, 1e-9);
  BenchSpec h2d = d2d;
  h2d.variant = "h2d_pinned";
  h2d.device_memory_peak = false;
  h2d.work = static_cast<double>(h2d.bytes);
  m.samples = {h2d.work / 50e9};
  e = gpuprobe::to_json(to_entry(h2d, m, peaks, 63.0));
  EXPECT_NEAR(e["peak_percent"].get<double>(), 100.0 * 50 / 63, 1e-9);
}

TEST(Entry, BaselinePercentMatchesNameAndParams) {
  nlohmann::json in = nlohmann::json::array();
  in.push_back({{"name", "matmul/cublas/fp32"}, {"params", {{"m", 4096}}}, {"value", 50.0}});
  in.push_back({{"name", "matmul/cublas/fp32"}, {"params", {{"m", 8192}}}, {"value", 60.0}});
  in.push_back({{"name", "matmul/warp_tiled/fp32"}, {"params", {{"m", 4096}}}, {"value", 45.0},
                {"baseline", "matmul/cublas/fp32"}});
  in.push_back({{"name", "matmul/warp_tiled/fp32"}, {"params", {{"m", 2048}}}, {"value", 40.0},
                {"baseline", "matmul/cublas/fp32"}});
  in.push_back({{"name", "matmul/naive/fp32"}, {"params", {{"m", 8192}}}, {"value", nullptr},
                {"baseline", "matmul/cublas/fp32"}});
  auto typed = gpuprobe::benchmarks_from_json(in);
  add_baseline_percent(typed);
  const nlohmann::json entries = gpuprobe::to_json(typed);
  EXPECT_NEAR(entries[2]["baseline_percent"].get<double>(), 90.0, 1e-12);
  EXPECT_TRUE(entries[3]["baseline_percent"].is_null());  // no baseline at that size
  EXPECT_TRUE(entries[4]["baseline_percent"].is_null());  // failed: no value
  EXPECT_FALSE(entries[0].contains("baseline_percent"));
}

TEST(Harness, ThrottleReasons) {
  EXPECT_TRUE(throttle_reason_names(0).empty());
  EXPECT_TRUE(throttle_reason_names(0x1 | 0x2 | 0x10 | 0x100).empty()) << "idle, app clocks, sync boost, display";
  EXPECT_EQ(throttle_reason_names(0x4 | 0x40), (std::vector<std::string>{"thermal (HW)"}))
      << "the SW power cap is normal operation at full load, not throttling";
  EXPECT_EQ(throttle_reason_names(0x8 | 0x20 | 0x80).size(), 3u);
  EXPECT_TRUE(power_capped(0x4));
  EXPECT_FALSE(power_capped(0x40 | 0x8 | 0x1));
}

TEST(Harness, ProgressLine) {
  EXPECT_EQ(progress_line(3, 27, "matmul/cublas/bf16/m:4096/n:4096/k:4096", 12.4, 40.2),
            "[ 3/27] matmul/cublas/bf16/m:4096/n:4096/k:4096  elapsed 12 s  ETA 40 s");
  EXPECT_EQ(progress_line(1, 5, "a", 0, std::nullopt), "[1/5] a  elapsed 0 s");
}

TEST(MeasureOptions, SuitesGetLongerBudgets) {
  const auto s = measure_options_for(Suite::smoke), d = measure_options_for(Suite::standard),
             f = measure_options_for(Suite::full);
  EXPECT_LT(s.rule.max_seconds, d.rule.max_seconds);
  EXPECT_LT(d.rule.max_seconds, f.rule.max_seconds);
  EXPECT_LE(d.rule.target_rel_spread, 0.01);
  EXPECT_GE(s.rule.min_samples, 5u);
}

// Google Benchmark as the harness: the real registration, run with a recording reporter.
TEST(GoogleBenchmark, RegistersTheTableAndReportsRatesFromTheMedian) {
  RunPlan plan;
  plan.specs = {gemm_spec(1024), gemm_spec(2048)};
  plan.specs[1].impl = "cublaslt";
  plan.factory = fake({0.010, 0.010, 0.002, 0.001, 0.003});
  plan.measure = quick();
  plan.measure.rule.target_rel_spread = 10;  // converge at the minimum sample count
  plan.peaks.bf16 = 100;
  std::vector<std::string> started;
  plan.on_start = [&](std::size_t i, std::size_t n, const BenchSpec& s) {
    started.push_back(std::to_string(i) + "/" + std::to_string(n) + " " + s.gb_name());
  };
  Collector col;
  register_benchmarks(plan, col);
  RecordingReporter rec;
  EXPECT_EQ(run_google_benchmark({}, rec), 2u);
  ASSERT_EQ(rec.rows.size(), 2u);
  EXPECT_EQ(rec.rows[0].name, "matmul/cublas/bf16/m:1024/n:1024/k:1024/iterations:1/manual_time");
  EXPECT_EQ(started, (std::vector<std::string>{"1/2 matmul/cublas/bf16/m:1024/n:1024/k:1024",
                                                "2/2 matmul/cublaslt/bf16/m:2048/n:2048/k:2048"}));
  // Samples after 2 warm-ups: 0.002, 0.001, 0.003, 0.003, 0.003 -> median 3 ms.
  EXPECT_NEAR(rec.rows[0].real_time, 3.0, 1e-9);  // milliseconds
  EXPECT_NEAR(rec.rows[0].counters["FLOP/s"], 2.0 * 1024 * 1024 * 1024 / 0.003, 1e3);
  EXPECT_EQ(rec.rows[0].counters["verified"], 1);
  EXPECT_EQ(rec.rows[0].counters["samples"], 5);
  const auto entries = gpuprobe::to_json(col.entries(plan));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_NEAR(entries[0]["value"].get<double>(), 2.0 * 1024 * 1024 * 1024 / 0.003 / 1e12, 1e-12);
  EXPECT_NEAR(entries[0]["peak_percent"].get<double>(), entries[0]["value"].get<double>(), 1e-12);
}

TEST(GoogleBenchmark, RepetitionsAddSamplesAndFailuresStick) {
  RunPlan plan;
  plan.specs = {gemm_spec(512)};
  int made = 0;
  plan.factory = [&](const BenchSpec&) -> std::unique_ptr<Workload> {
    ++made;
    return std::make_unique<FakeWorkload>(std::vector<double>{0.001}, /*correct=*/made != 2);
  };
  plan.measure = quick();
  int starts = 0, ends = 0;  // the bench watchdog is armed and disarmed around every run
  plan.on_start = [&](std::size_t, std::size_t, const BenchSpec&) { ++starts; };
  plan.on_end = [&] {
    ++ends;
    EXPECT_EQ(ends, starts) << "on_end follows its own on_start";
  };
  Collector col;
  register_benchmarks(plan, col);
  RecordingReporter rec;
  run_google_benchmark({"--benchmark_repetitions=3", "--benchmark_report_aggregates_only=false"}, rec);
  EXPECT_EQ(made, 3);
  EXPECT_EQ(starts, 3);
  EXPECT_EQ(ends, 3) << "also after the failed repetition";
  ASSERT_TRUE(col.slots[0].has_value());
  EXPECT_EQ(col.slots[0]->status, BenchStatus::failed) << "the second repetition computed a wrong result";
  EXPECT_EQ(col.slots[0]->samples.size(), 15u);
  // Reset the global flag for the tests that follow.
  run_google_benchmark({"--benchmark_repetitions=1"}, rec);
}

TEST(GoogleBenchmark, UnknownFlagsAreRefused) {
  ::benchmark::ClearRegisteredBenchmarks();
  RecordingReporter rec;
  EXPECT_THROW(run_google_benchmark({"--benchmark_no_such_flag=1"}, rec), std::invalid_argument);
  EXPECT_THROW(run_google_benchmark({"stray"}, rec), std::invalid_argument);
}

// The entries `gpuprobe bench` writes, byte for byte: keys, which are null or absent in each
// state, integers against floating point. Reports already written and read elsewhere depend on it.
namespace {

std::string written(std::vector<gpuprobe::Benchmark> entries) {
  add_baseline_percent(entries);
  return gpuprobe::to_json(entries).dump();
}

}  // namespace

TEST(Entry, WrittenJsonIsStable) {
  GpuPeaks peaks;
  peaks.bf16 = 989.0;
  peaks.mem_gbps = 3350.0;
  BenchSpec lib = gemm_spec(4096);
  lib.label = "square";
  BenchSpec hand = lib;
  hand.impl = "simt_warp_tiled";
  hand.baseline = "matmul/cublas/bf16";
  BenchSpec orphan = hand;
  orphan.params["m"] = 8;

  Measurement ok;
  ok.samples = {0.002, 0.001, 0.004};
  ok.verification = {true, "Freivalds: worst row 3 at 0.25 of tolerance"};
  ok.stop = StopReason::converged;
  ok.warmup_runs = 4;
  ok.wall_seconds = 0.75;
  ok.details = {{"algorithm", 7}, {"workspace_bytes", 1048576}};
  ok.clocks.samples = 3;
  ok.clocks.sm_mhz_median = 1700;
  ok.clocks.sm_mhz_min = 1650.5;
  ok.clocks.sm_mhz_max = 1980;
  ok.clocks.throttle_reasons = {"thermal (HW)"};
  ok.clocks.power_capped = true;

  Measurement plain;  // no clocks, no details, no verification text, no known peak
  plain.samples = {0.5};
  plain.verification = {true, ""};
  plain.stop = StopReason::budget;
  plain.wall_seconds = 2;

  Measurement unclocked_max = ok;  // clocks sampled, the maximum unknown
  unclocked_max.clocks.sm_mhz_max = 0;
  unclocked_max.clocks.throttle_reasons.clear();
  unclocked_max.clocks.power_capped = false;

  Measurement wrong;
  wrong.samples = {0.001};
  wrong.status = BenchStatus::failed;
  wrong.reason = "wrong result: Freivalds: WRONG";
  wrong.verification = {false, "Freivalds: WRONG"};
  wrong.wall_seconds = 0.25;
  Measurement error;
  error.status = BenchStatus::failed;
  error.reason = "illegal address";
  Measurement skipped;
  skipped.status = BenchStatus::skipped;
  skipped.reason = "FP8 needs compute capability 8.9";

  BenchSpec no_peak = lib;
  no_peak.dtype.reset();
  const std::string got = written({to_entry(lib, ok, peaks, std::nullopt), to_entry(hand, plain, peaks, std::nullopt),
                                   to_entry(orphan, wrong, peaks, std::nullopt), to_entry(no_peak, plain, peaks, 63.0),
                                   to_entry(lib, unclocked_max, peaks, std::nullopt),
                                   to_entry(hand, error, peaks, std::nullopt), to_entry(lib, skipped, peaks, std::nullopt)});
  const std::string want =
      R"x([{"details":{"algorithm":7,"workspace_bytes":1048576},"implementation":"library","label":"square","max":137.438953472,"min":34.359738368,"name":"matmul/cublas/bf16","params":{"dtype":"bf16","k":4096,"m":4096,"n":4096},"peak":989.0,"peak_percent":6.948379851971689,"power_capped":true,"rel_spread":0.6546536707079772,"samples":3,"scope":"gpu","sm_clock_mhz":{"max":1980,"median":1700.0,"min":1650.5},"status":"ok","stop":"converged","throttle_reasons":["thermal (HW)"],"throttled":true,"time_ms":{"max":4.0,"median":2.0,"min":1.0},"unit":"TFLOP/s","value":68.719476736,"verification":"Freivalds: worst row 3 at 0.25 of tolerance","verified":true,"wall_seconds":0.75,"warmup_runs":4},)x"
      R"x({"baseline":"matmul/cublas/bf16","baseline_percent":0.39999999999999997,"implementation":"hand-written","label":"square","max":0.274877906944,"min":0.274877906944,"name":"matmul/simt_warp_tiled/bf16","params":{"dtype":"bf16","k":4096,"m":4096,"n":4096},"peak":989.0,"peak_percent":0.027793519407886755,"rel_spread":0.0,"samples":1,"scope":"gpu","status":"ok","stop":"budget","time_ms":{"max":500.0,"median":500.0,"min":500.0},"unit":"TFLOP/s","value":0.274877906944,"verified":true,"wall_seconds":2.0,"warmup_runs":0},)x"
      R"x({"baseline":"matmul/cublas/bf16","baseline_percent":null,"implementation":"hand-written","label":"square","max":null,"min":null,"name":"matmul/simt_warp_tiled/bf16","params":{"dtype":"bf16","k":4096,"m":8,"n":4096},"peak_percent":null,"reason":"wrong result: Freivalds: WRONG","rel_spread":null,"scope":"gpu","status":"failed","unit":"TFLOP/s","value":null,"verification":"Freivalds: WRONG","verified":false,"wall_seconds":0.25},)x"
      R"x({"implementation":"library","label":"square","max":0.274877906944,"min":0.274877906944,"name":"matmul/cublas/bf16","params":{"dtype":"bf16","k":4096,"m":4096,"n":4096},"peak_percent":null,"rel_spread":0.0,"samples":1,"scope":"gpu","status":"ok","stop":"budget","time_ms":{"max":500.0,"median":500.0,"min":500.0},"unit":"TFLOP/s","value":0.274877906944,"verified":true,"wall_seconds":2.0,"warmup_runs":0},)x"
      R"x({"details":{"algorithm":7,"workspace_bytes":1048576},"implementation":"library","label":"square","max":137.438953472,"min":34.359738368,"name":"matmul/cublas/bf16","params":{"dtype":"bf16","k":4096,"m":4096,"n":4096},"peak":989.0,"peak_percent":6.948379851971689,"power_capped":false,"rel_spread":0.6546536707079772,"samples":3,"scope":"gpu","sm_clock_mhz":{"median":1700.0,"min":1650.5},"status":"ok","stop":"converged","throttle_reasons":[],"throttled":false,"time_ms":{"max":4.0,"median":2.0,"min":1.0},"unit":"TFLOP/s","value":68.719476736,"verification":"Freivalds: worst row 3 at 0.25 of tolerance","verified":true,"wall_seconds":0.75,"warmup_runs":4},)x"
      R"x({"baseline":"matmul/cublas/bf16","baseline_percent":null,"implementation":"hand-written","label":"square","max":null,"min":null,"name":"matmul/simt_warp_tiled/bf16","params":{"dtype":"bf16","k":4096,"m":4096,"n":4096},"peak_percent":null,"reason":"illegal address","rel_spread":null,"scope":"gpu","status":"failed","unit":"TFLOP/s","value":null,"verified":null,"wall_seconds":0.0},)x"
      R"x({"implementation":"library","label":"square","max":null,"min":null,"name":"matmul/cublas/bf16","params":{"dtype":"bf16","k":4096,"m":4096,"n":4096},"peak_percent":null,"reason":"FP8 needs compute capability 8.9","rel_spread":null,"scope":"gpu","status":"skipped","unit":"TFLOP/s","value":null,"verified":null,"wall_seconds":0.0}])x";
  EXPECT_EQ(got, want);
}
