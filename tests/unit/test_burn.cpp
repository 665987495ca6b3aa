// gpuprobe burn without a GPU: the duration parser, the verdicts on synthetic telemetry (throttle
// episodes, a power cap, a GPU that slows after 40 s, an outlier among 8, a wrong result, an Xid,
// a hang, uncorrected ECC), the exit codes, the engine with stand-in loads (watchdog, interruption,
// telemetry and Xid events), NVML telemetry through stand-in tables, the JSON round trip and the SVG.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <regex>
#include <stdexcept>
#include <thread>

#include "gpuprobe/bench/burn.hpp"
#include "gpuprobe/gpu/nvml_telemetry.hpp"
#include "gpuprobe/report/burn_render.hpp"
#include "gpuprobe/report/compare.hpp"
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/report_doc.hpp"
#include "gpuprobe/report/verdict.hpp"

namespace gpuprobe {
namespace {

using bench::format_duration;
using bench::parse_duration;

TEST(BurnDuration, UnitsAndCombinations) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("60s"), 60);
  EXPECT_EQ(parse_duration("5m"), 300);
  EXPECT_EQ(parse_duration("1h"), 3600);
  EXPECT_EQ(parse_duration("1h30m"), 5400);
  EXPECT_EQ(parse_duration("2m30s"), 150);
  EXPECT_EQ(parse_duration("1h0m5s"), 3605);
  EXPECT_EQ(parse_duration("5M"), 300);
}

TEST(BurnDuration, Errors) {
  for (const char* bad : {"", "m", "5x", "0", "0s", "-5", "5m30", "30s5m", "1h1h", "1.5m", "200h", "5 m", "12345678"})
    EXPECT_THROW(parse_duration(bad), std::invalid_argument) << bad;
  try {
    parse_duration("5x");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown unit"), std::string::npos) << e.what();
  }
}

TEST(BurnDuration, Format) {
  EXPECT_EQ(format_duration(90), "1m30s");
  EXPECT_EQ(format_duration(3600), "1h");
  EXPECT_EQ(format_duration(5.2), "5s");
  EXPECT_EQ(format_duration(0), "0s");
}

// A GPU that ran `seconds` at `rate`, steps every 0.5 s, a healthy reading every second.
BurnGpu steady_gpu(int index, double seconds = 60, double rate = 100) {
  BurnGpu g;
  g.index = index;
  g.name = "NVIDIA H100 80GB HBM3";
  g.unit = "TFLOP/s";
  g.sm_clock_max_mhz = 1980;
  for (double t = 0.5; t <= seconds; t += 0.5) g.series.push_back({t, rate, 0});
  g.steps = g.series.size();
  g.checked = g.steps * 1000;
  for (int t = 0; t < seconds; ++t) {
    BurnSample s;
    s.t = t;
    s.sm_clock_mhz = 1980;
    s.mem_clock_mhz = 2619;
    s.power_w = 500;
    s.power_limit_w = 700;
    s.temperature_c = 60;
    s.clock_event_reasons = 0;
    s.ecc_corrected = 0;
    s.ecc_uncorrected = 0;
    s.pcie_replays = 0;
    g.telemetry.push_back(s);
  }
  return g;
}

BurnRun run_of(std::vector<BurnGpu> gpus) {
  BurnRun r;
  r.load = "gemm-bf16";
  r.duration_s = r.elapsed_s = 60;
  r.gpus = std::move(gpus);
  bench::judge_burn(r);
  return r;
}

const BurnFinding* finding(const BurnGpu& g, const std::string& reason) {
  for (const auto& f : g.findings)
    if (f.reason == reason) return &f;
  return nullptr;
}

TEST(BurnVerdict, HealthyGpuExitsZero) {
  const BurnRun r = run_of({steady_gpu(0), steady_gpu(1)});
  EXPECT_EQ(r.gpus[0].verdict, "healthy");
  EXPECT_TRUE(r.gpus[0].findings.empty());
  const auto o = bench::burn_outcome(r);
  EXPECT_EQ(o.exit_code, kExitOk);
  EXPECT_EQ(o.line.rfind("HEALTHY", 0), 0u) << o.line;
}

TEST(BurnVerdict, ThermalEpisodeIsThrottledWithDurationAndClockLost) {
  BurnGpu g = steady_gpu(0);
  for (int t = 20; t < 36; ++t) {
    g.telemetry[t].clock_event_reasons = kClkHwThermal;
    g.telemetry[t].sm_clock_mhz = 1188;
  }
  const BurnRun r = run_of({g});
  EXPECT_EQ(r.gpus[0].verdict, "throttled");
  const BurnFinding* f = finding(r.gpus[0], "thermal");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("HW thermal slowdown for 16s of 1m"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("1188 MHz of 1980 MHz max (40 % lost)"), std::string::npos) << f->message;
  EXPECT_NE(f->hint.find("cooling"), std::string::npos);
  EXPECT_EQ(bench::burn_outcome(r).exit_code, kExitDegraded);
}

TEST(BurnVerdict, ShortEpisodeAndOtherBitsAreNotThrottling) {
  BurnGpu g = steady_gpu(0);
  g.telemetry[10].clock_event_reasons = kClkHwSlowdown;  // a moment, as at a P-state change
  g.telemetry[11].clock_event_reasons = kClkHwSlowdown;
  for (auto& s : g.telemetry) *s.clock_event_reasons |= kClkAppSetting;
  EXPECT_EQ(run_of({g}).gpus[0].verdict, "healthy");
}

TEST(BurnVerdict, PowerCapUnderLoadIsInfoUnlessTheClockCollapses) {
  BurnGpu g = steady_gpu(0);
  for (auto& s : g.telemetry) {
    s.clock_event_reasons = kClkSwPowerCap;
    s.sm_clock_mhz = 1700;
    s.power_w = 699;
  }
  BurnRun r = run_of({g});
  EXPECT_EQ(r.gpus[0].verdict, "healthy");
  const BurnFinding* f = finding(r.gpus[0], "power_cap");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, "info");
  EXPECT_NE(f->message.find("limit 700 W"), std::string::npos) << f->message;

  for (auto& s : g.telemetry) s.sm_clock_mhz = 990;  // half the clock lost to a lowered limit
  r = run_of({g});
  EXPECT_EQ(r.gpus[0].verdict, "throttled");
  EXPECT_EQ(finding(r.gpus[0], "power_cap")->severity, "throttled");
  EXPECT_NE(finding(r.gpus[0], "power_cap")->hint.find("nvidia-smi -pl"), std::string::npos);
}

TEST(BurnVerdict, GpuThatSlowsAfter40SecondsIsSlow) {
  BurnGpu g = steady_gpu(0);
  for (auto& p : g.series)
    if (p.t > 40) p.rate = 80;
  const BurnRun r = run_of({g});
  EXPECT_EQ(r.gpus[0].verdict, "slow");
  const BurnFinding* f = finding(r.gpus[0], "throughput_drop");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("20 % lower"), std::string::npos) << f->message;
  EXPECT_DOUBLE_EQ(*r.gpus[0].rate_first, 100);
  EXPECT_DOUBLE_EQ(*r.gpus[0].rate_last, 80);
  EXPECT_EQ(bench::burn_outcome(r).exit_code, kExitDegraded);
}

TEST(BurnVerdict, BelowPeakIsSlow) {
  BurnGpu g = steady_gpu(0, 60, 100);
  g.peak = 989;
  EXPECT_NE(finding(run_of({g}).gpus[0], "below_peak"), nullptr);
  g.peak = 200;
  EXPECT_EQ(finding(run_of({g}).gpus[0], "below_peak"), nullptr);
}

TEST(BurnVerdict, OutlierAmongEightIsSlowTheOthersHealthy) {
  std::vector<BurnGpu> gpus;
  for (int i = 0; i < 8; ++i) gpus.push_back(steady_gpu(i, 60, 100 + 0.3 * (i % 3)));
  for (auto& p : gpus[5].series) p.rate = 85;
  const BurnRun r = run_of(gpus);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(r.gpus[i].verdict, i == 5 ? "slow" : "healthy") << i;
  const BurnFinding* f = finding(r.gpus[5], "node_outlier");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("of this node's 8"), std::string::npos) << f->message;
  EXPECT_NE(bench::burn_outcome(r).line.find("GPU 5 (node_outlier)"), std::string::npos);
}

TEST(BurnVerdict, PlantedWrongResultIsFaulty) {
  BurnGpu g = steady_gpu(0);
  g.series[30].mismatches = 3;
  g.mismatches = 3;
  const BurnRun r = run_of({steady_gpu(1), g});
  EXPECT_EQ(r.gpus[1].verdict, "faulty");
  ASSERT_NE(finding(r.gpus[1], "mismatch"), nullptr);
  EXPECT_NE(finding(r.gpus[1], "mismatch")->message.find("3 of 120000"), std::string::npos);
  const auto o = bench::burn_outcome(r);
  EXPECT_EQ(o.exit_code, kExitCheckFailed);
  EXPECT_EQ(o.line.rfind("FAULTY: GPU 0 (mismatch)", 0), 0u) << o.line;
}

TEST(BurnVerdict, XidEventIsFaultyWithTheCatalogsName) {
  BurnGpu g = steady_gpu(0);
  g.xids.push_back({33.2, 79});
  g.xids.push_back({34.0, 79});
  const BurnRun r = run_of({g});
  EXPECT_EQ(r.gpus[0].verdict, "faulty");
  ASSERT_EQ(r.gpus[0].findings.size(), 1u);  // one finding per distinct Xid
  EXPECT_NE(r.gpus[0].findings[0].message.find("Xid 79 (GPU has fallen off the bus) at 33s"), std::string::npos);
  EXPECT_EQ(bench::xid_info(48).name, "double-bit ECC error (DBE)");
  EXPECT_EQ(bench::xid_info(95).name, "uncontained ECC error");
  EXPECT_NE(bench::xid_info(12345).hint.find("Xid catalog"), std::string::npos);
}

TEST(BurnVerdict, UncorrectedEccRisingIsFaultyCorrectedIsInfo) {
  BurnGpu g = steady_gpu(0);
  for (std::size_t i = 30; i < g.telemetry.size(); ++i) g.telemetry[i].ecc_uncorrected = 2, g.telemetry[i].ecc_corrected = 5;
  const BurnRun r = run_of({g});
  EXPECT_EQ(r.gpus[0].verdict, "faulty");
  ASSERT_NE(finding(r.gpus[0], "ecc_uncorrected"), nullptr);
  EXPECT_EQ(finding(r.gpus[0], "ecc_corrected")->severity, "info");
}

TEST(BurnVerdict, HangIsFaultyAndExitsFour) {
  BurnGpu g = steady_gpu(0, 5);
  g.hung = true;
  g.error = "GPU 0 load step did not return within 10000 ms";
  const BurnRun r = run_of({g, steady_gpu(1)});
  EXPECT_EQ(r.gpus[0].verdict, "faulty");
  EXPECT_NE(finding(r.gpus[0], "hung"), nullptr);
  EXPECT_EQ(finding(r.gpus[0], "load_error"), nullptr);
  EXPECT_EQ(bench::burn_outcome(r).exit_code, kExitHung);
}

TEST(BurnVerdict, InterruptedRunExitsSevenUnlessFaulty) {
  BurnRun r = run_of({steady_gpu(0, 12)});
  r.interrupted = true;
  r.elapsed_s = 12;
  auto o = bench::burn_outcome(r);
  EXPECT_EQ(o.exit_code, kExitInterrupted);
  EXPECT_EQ(o.line.rfind("INTERRUPTED after 12s of 1m", 0), 0u) << o.line;
  r.gpus[0].mismatches = 1;
  bench::judge_burn(r);
  EXPECT_EQ(bench::burn_outcome(r).exit_code, kExitCheckFailed);
}

TEST(BurnVerdict, ProgressLine) {
  std::vector<bench::BurnProgress> p(2);
  p[0].index = 0, p[0].rate = 612.4, p[0].steps = 10;
  p[1].index = 3, p[1].hung = true;
  EXPECT_EQ(bench::burn_progress_line(42, 300, p, {"TFLOP/s", "TFLOP/s"}),
            "burn 42s of 5m, 4m18s left — GPU 0 612.4 TFLOP/s, GPU 3 HUNG");
}

// ---- the engine, with stand-in loads ----------------------------------------------------------

std::vector<GpuInfo> two_gpus() {
  std::vector<GpuInfo> g(2);
  g[0].index = 0, g[1].index = 1;
  g[0].name = g[1].name = "stand-in";
  return g;
}

bench::BurnLoadFactory fake(const std::string& mode) {
  return [mode](const GpuInfo&, const bench::BurnLoadOptions& o) { return bench::make_fake_burn_load(mode, o); };
}

bench::BurnEngineOptions quick(double duration) {
  bench::BurnEngineOptions o;
  o.duration_s = duration;
  o.load_name = "gemm-bf16";
  o.load.step_seconds = 0.02;
  o.sample_interval = std::chrono::milliseconds(50);
  o.hang_bound_s = 0.3;
  return o;
}

// Telemetry that reads a fixed sample and reports Xid 48 on the second GPU once.
struct StubTelemetry : bench::BurnTelemetry {
  std::atomic<int> samples{0};
  bool sent = false;
  BurnSample sample(std::size_t, double t) override {
    ++samples;
    BurnSample s;
    s.t = t;
    s.sm_clock_mhz = 1500;
    return s;
  }
  std::vector<std::pair<std::size_t, std::uint64_t>> wait_xids(std::chrono::milliseconds timeout) override {
    std::this_thread::sleep_for(timeout);
    if (sent) return {};
    sent = true;
    return {{1, 48}};
  }
  std::string note(std::size_t) const override { return ""; }
  std::string xid_note(std::size_t) const override { return "watched"; }
};

TEST(BurnEngine, RunsEveryGpuUntilTheDeadlineWithTelemetryAndXids) {
  StubTelemetry tel;
  int ticks = 0;
  auto o = quick(0.4);
  o.on_tick = [&](double, const std::vector<bench::BurnProgress>& p) {
    ++ticks;
    EXPECT_EQ(p.size(), 2u);
  };
  const auto t0 = std::chrono::steady_clock::now();
  BurnRun r = bench::run_burn(two_gpus(), fake("ok"), &tel, o);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(took, 1.5);
  EXPECT_FALSE(r.interrupted);
  ASSERT_EQ(r.gpus.size(), 2u);
  for (const auto& g : r.gpus) {
    EXPECT_GE(g.steps, 5u);
    EXPECT_EQ(g.series.size(), g.steps);
    EXPECT_NEAR(g.series[1].rate, 100.0, 1e-9);  // the stand-in's rate, in TFLOP/s
    EXPECT_EQ(g.unit, "TFLOP/s");
    EXPECT_GE(g.telemetry.size(), 3u);
    EXPECT_EQ(g.xid_note, "watched");
  }
  ASSERT_EQ(r.gpus[1].xids.size(), 1u);
  EXPECT_EQ(r.gpus[1].xids[0].xid, 48u);
  EXPECT_GE(ticks, 3);
  bench::judge_burn(r);
  EXPECT_EQ(r.gpus[0].verdict, "healthy");
  EXPECT_EQ(r.gpus[1].verdict, "faulty");
}

TEST(BurnEngine, WrongResultIsCounted) {
  BurnRun r = bench::run_burn(two_gpus(), fake("wrong"), nullptr, quick(0.2));
  EXPECT_EQ(r.gpus[0].mismatches, 7u);
  EXPECT_EQ(r.gpus[0].telemetry_note, "NVML not available");
  bench::judge_burn(r);
  EXPECT_EQ(bench::burn_outcome(r).exit_code, kExitCheckFailed);
}

TEST(BurnEngine, LoadErrorsEndThatGpuOnly) {
  BurnRun r = bench::run_burn(two_gpus(), fake("error"), nullptr, quick(0.3));
  EXPECT_NE(r.gpus[0].error.find("illegal memory access"), std::string::npos);
  EXPECT_EQ(r.gpus[0].steps, 2u);
  r = bench::run_burn(two_gpus(), fake("unavailable"), nullptr, quick(0.3));
  EXPECT_NE(r.gpus[1].error.find("could not start the load"), std::string::npos);
  bench::judge_burn(r);
  EXPECT_EQ(r.gpus[1].verdict, "faulty");
}

TEST(BurnEngine, HungStepIsDeclaredAndTheRunStillEnds) {
  const auto t0 = std::chrono::steady_clock::now();
  BurnRun r = bench::run_burn(two_gpus(), fake("hang"), nullptr, quick(5));
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(took, 2.0);  // the hang bound (0.3 s), not the duration
  for (const auto& g : r.gpus) {
    EXPECT_TRUE(g.hung);
    EXPECT_EQ(g.steps, 2u);
    EXPECT_NE(g.error.find("did not return within 300 ms"), std::string::npos) << g.error;
  }
  bench::judge_burn(r);
  EXPECT_EQ(bench::burn_outcome(r).exit_code, kExitHung);
}

TEST(BurnEngine, StopFlagEndsTheRunInterrupted) {
  std::atomic<bool> stop{false};
  auto o = quick(30);
  o.stop = &stop;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  BurnRun r = bench::run_burn(two_gpus(), fake("ok"), nullptr, o);
  t.join();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  EXPECT_TRUE(r.interrupted);
  EXPECT_LT(r.elapsed_s, 1.0);
  EXPECT_GT(r.gpus[0].steps, 0u);
}

// ---- NVML telemetry through a stand-in table ---------------------------------------------------

std::map<std::string, int> nvml_code;
int nvml_rc(const char* fn) {
  auto it = nvml_code.find(fn);
  return it == nvml_code.end() ? kNvmlSuccess : it->second;
}
nvmlDevice_t dev(int i) { return reinterpret_cast<nvmlDevice_t>(static_cast<std::uintptr_t>(0x1000 + i)); }
std::vector<nvmlEventData_t> pending_events;

NvmlLib telemetry_table() {
  NvmlLib n;
  n.nvmlErrorString = [](int c) { return c == kNvmlErrorNotSupported ? "Not Supported" : "some error"; };
  n.nvmlDeviceGetClockInfo = [](nvmlDevice_t, int clk, unsigned* v) {
    *v = clk == kNvmlClockSm ? 1755 : 2619;
    return nvml_rc("clock");
  };
  n.nvmlDeviceGetPowerUsage = [](nvmlDevice_t, unsigned* mw) { *mw = 612000; return nvml_rc("power"); };
  n.nvmlDeviceGetEnforcedPowerLimit = [](nvmlDevice_t, unsigned* mw) { *mw = 700000; return nvml_rc("limit"); };
  n.nvmlDeviceGetTemperature = [](nvmlDevice_t, int, unsigned* t) { *t = 71; return nvml_rc("temp"); };
  n.nvmlDeviceGetCurrentClocksEventReasons = [](nvmlDevice_t, unsigned long long* r) {
    *r = kClkSwPowerCap;
    return nvml_rc("reasons");
  };
  n.nvmlDeviceGetTotalEccErrors = [](nvmlDevice_t, int type, int, unsigned long long* v) {
    *v = type == kNvmlMemoryErrorCorrected ? 3 : 0;
    return nvml_rc("ecc");
  };
  n.nvmlDeviceGetPcieReplayCounter = [](nvmlDevice_t, unsigned* v) { *v = 9; return nvml_rc("replay"); };
  n.nvmlEventSetCreate = [](nvmlEventSet_t* s) {
    *s = reinterpret_cast<nvmlEventSet_t>(0x42);
    return nvml_rc("create");
  };
  n.nvmlDeviceRegisterEvents = [](nvmlDevice_t d, unsigned long long types, nvmlEventSet_t) {
    if (types != kNvmlEventTypeXidCriticalError) return kNvmlErrorInvalidArgument;
    return d == dev(1) ? kNvmlErrorNotSupported : kNvmlSuccess;
  };
  n.nvmlEventSetWait_v2 = [](nvmlEventSet_t, nvmlEventData_t* data, unsigned) {
    if (pending_events.empty()) return kNvmlErrorTimeout;
    *data = pending_events.front();
    pending_events.erase(pending_events.begin());
    return kNvmlSuccess;
  };
  n.nvmlEventSetFree = [](nvmlEventSet_t) { return nvml_rc("free"); };
  return n;
}

TEST(NvmlTelemetry, OneSampleReadsEveryField) {
  nvml_code.clear();
  const NvmlLib n = telemetry_table();
  std::vector<NvmlQuery> qs;
  const BurnSample s = nvml_burn_sample(n, dev(0), 12.5, &qs);
  EXPECT_EQ(s.t, 12.5);
  EXPECT_EQ(s.sm_clock_mhz, 1755);
  EXPECT_EQ(s.mem_clock_mhz, 2619);
  EXPECT_EQ(s.power_w, 612.0);
  EXPECT_EQ(s.power_limit_w, 700.0);
  EXPECT_EQ(s.temperature_c, 71);
  EXPECT_EQ(s.clock_event_reasons, kClkSwPowerCap);
  EXPECT_EQ(s.ecc_corrected, 3u);
  EXPECT_EQ(s.ecc_uncorrected, 0u);
  EXPECT_EQ(s.pcie_replays, 9u);
  EXPECT_EQ(nvml_failed_queries(n, qs), "");
}

TEST(NvmlTelemetry, NotSupportedIsToleratedAndNamedLostStops) {
  nvml_code = {{"replay", kNvmlErrorNotSupported}, {"ecc", kNvmlErrorNotSupported}};
  NvmlLib n = telemetry_table();
  std::vector<NvmlQuery> qs;
  BurnSample s = nvml_burn_sample(n, dev(0), 1, &qs);
  EXPECT_FALSE(s.pcie_replays);
  EXPECT_FALSE(s.ecc_corrected);
  EXPECT_EQ(s.sm_clock_mhz, 1755);
  EXPECT_EQ(nvml_failed_queries(n, qs), "ecc_corrected: Not Supported; ecc_uncorrected: Not Supported; pcie_replays: Not Supported");
  n.nvmlDeviceGetPcieReplayCounter = nullptr;
  qs.clear();
  nvml_code.clear();
  nvml_burn_sample(n, dev(0), 1, &qs);
  EXPECT_EQ(nvml_failed_queries(n, qs), "pcie_replays: not in this NVML");
  nvml_code = {{"power", kNvmlErrorGpuIsLost}};
  qs.clear();
  s = nvml_burn_sample(n, dev(0), 1, &qs);
  EXPECT_EQ(qs.size(), 3u);  // sm clock, mem clock, power: then nothing more is asked
  EXPECT_FALSE(s.temperature_c);
  nvml_code.clear();
}

TEST(NvmlTelemetry, XidEventsThroughAnEventSet) {
  nvml_code.clear();
  const NvmlLib n = telemetry_table();
  NvmlXidWatch w(n, {dev(0), dev(1)});
  EXPECT_EQ(w.note(0), "watched");
  EXPECT_EQ(w.note(1), "not watched: nvmlDeviceRegisterEvents: Not Supported");
  EXPECT_TRUE(w.wait(std::chrono::milliseconds(1)).empty());  // timeout
  pending_events.push_back({dev(0), kNvmlEventTypeXidCriticalError, 79, 0, 0});
  const auto got = w.wait(std::chrono::milliseconds(1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, 0u);
  EXPECT_EQ(got[0].second, 79u);

  NvmlLib old = n;
  old.nvmlEventSetWait_v2 = nullptr;
  NvmlXidWatch none(old, {dev(0)});
  EXPECT_EQ(none.note(0), "not watched: this NVML lacks the event-set entry points");
  EXPECT_TRUE(none.wait(std::chrono::milliseconds(1)).empty());
}

// ---- the report: JSON round trip, text, HTML -----------------------------------------------------

Report burn_report() {
  Report rep;
  rep.command = "burn";
  rep.label = "node-a";
  BurnGpu g = steady_gpu(0, 20);
  g.name = "GPU <A&B>";
  g.xids.push_back({3.5, 79});
  g.load = "stand-in";
  g.peak = 989;
  g.telemetry[4].sm_clock_mhz.reset();
  g.telemetry_note = "not read: pcie_replays: Not Supported";
  g.xid_note = "watched";
  rep.burn = run_of({g, steady_gpu(1, 20)});
  rep.burn->interrupted = true;
  rep.burn->step_seconds = 0.5;
  rep.burn->hang_bound_s = 10;
  return rep;
}

TEST(BurnReport, JsonRoundTrip) {
  const Report rep = burn_report();
  const nlohmann::json j = to_json(rep);
  EXPECT_EQ(j["schema"], "gpuprobe.report/1.3");
  EXPECT_EQ(j["burn"]["gpus"][0]["telemetry"][4]["sm_clock_mhz"], nullptr);
  EXPECT_EQ(j["burn"]["gpus"][0]["xids"][0]["xid"], 79);
  const Report back = report_from_json(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.burn);
  EXPECT_EQ(*back.burn, *rep.burn);
  Report check;
  EXPECT_FALSE(to_json(check).contains("burn"));  // only burn reports carry it
  EXPECT_FALSE(report_from_json(to_json(check)).burn);
}

TEST(BurnReport, MalformedBurnIsAReportError) {
  nlohmann::json j = to_json(burn_report());
  j["burn"]["gpus"][0]["telemetry"] = nlohmann::json::array({1});
  EXPECT_THROW(report_from_json(j), ReportError);
  j = to_json(burn_report());
  j["burn"]["gpus"][0]["steps"] = -1;
  EXPECT_THROW(report_from_json(j), ReportError);
}

TEST(BurnReport, TextTableAndFindings) {
  const std::string t = render_burn_text(*burn_report().burn);
  EXPECT_NE(t.find("burn: gemm-bf16, 60 s of 60 s (INTERRUPTED: partial)"), std::string::npos) << t;
  EXPECT_NE(t.find("GPU  verdict"), std::string::npos) << t;
  EXPECT_NE(t.find("1980/1980"), std::string::npos) << t;
  EXPECT_NE(t.find("GPU 0 faulty (xid): Xid 79"), std::string::npos) << t;
  EXPECT_NE(t.find("fix: the GPU stopped answering on PCIe"), std::string::npos) << t;
}

TEST(BurnReport, HtmlDrawsFourChartsPerGpuAndEscapes) {
  const Report rep = burn_report();
  const std::vector<Report> reports{rep};
  const Comparison c = compare_reports(reports, {}, 0.05);
  const std::string html = render_reports_html(reports, c);
  const std::regex svg("<svg[^>]*class=\"series\"");
  EXPECT_EQ(std::distance(std::sregex_iterator(html.begin(), html.end(), svg), std::sregex_iterator()), 8);
  EXPECT_NE(html.find("GPU 0: GPU &lt;A&amp;B&gt; — faulty"), std::string::npos);
  EXPECT_EQ(html.find("<A&B>"), std::string::npos);
  // The clock chart of GPU 0: one point per reading that has a clock (20 readings, one without).
  const auto at = html.find("aria-label=\"SM clock [MHz]\"");
  ASSERT_NE(at, std::string::npos);
  const auto pts = html.find("points=\"", at) + 8;
  const std::string points = html.substr(pts, html.find('"', pts) - pts);
  EXPECT_EQ(std::count(points.begin(), points.end(), ',') , 19);
  EXPECT_NE(html.find("class=\"ref\""), std::string::npos);  // the max clock and the power limit
  const std::string md = render_reports_markdown(reports, c);
  EXPECT_NE(md.find("#### Burn"), std::string::npos);
  EXPECT_NE(md.find("| 0 | faulty |"), std::string::npos) << md;
}

TEST(BurnReport, JunitHasATestcasePerGpuFailedUnlessHealthy) {
  const std::string x = render_junit(burn_report());
  EXPECT_NE(x.find("<testsuite name=\"gpuprobe.burn.gpus\" tests=\"2\" failures=\"1\""), std::string::npos) << x;
  EXPECT_NE(x.find("GPU 0 GPU &lt;A&amp;B&gt;"), std::string::npos);
  EXPECT_NE(x.find("xid: Xid 79"), std::string::npos);
}

TEST(BurnReport, LineChartWithoutReadings) {
  const std::string s = svg_line_chart("t <x>", {0, 1}, {std::nullopt, std::nullopt}, std::nullopt, "#000");
  EXPECT_EQ(s.find("<polyline"), std::string::npos);
  EXPECT_NE(s.find("no readings"), std::string::npos);
  EXPECT_NE(s.find("t &lt;x&gt;"), std::string::npos);
}

}  // namespace
}  // namespace gpuprobe
