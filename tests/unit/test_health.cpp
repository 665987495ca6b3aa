// Judgements on GPU health facts, the PCIe link and the environment.
#include <gtest/gtest.h>

#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/probes/health.hpp"

#include "test_util.hpp"

namespace gpuprobe {
namespace {

using test_util::contains;
using test_util::find_reason;


std::size_t count_status(const std::vector<Finding>& fs, Status s) {
  std::size_t n = 0;
  for (const auto& f : fs) n += f.status == s;
  return n;
}

// ---- GPU health ----------------------------------------------------------------------------------

TEST(GpuHealth, EmptyFactsNoFindings) { EXPECT_TRUE(evaluate_gpu_health("gpu 0", GpuHealth{}).empty()); }

TEST(GpuHealth, VolatileDoubleBitEccFails) {
  GpuHealth h;
  h.ecc_volatile_uncorrected = 2;
  const auto fs = evaluate_gpu_health("gpu 0", h);
  const Finding* f = find_reason(fs, "ecc_dbe");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::fail);
  EXPECT_TRUE(contains(f->message, "volatile double-bit ECC")) << f->message;
  EXPECT_TRUE(contains(f->message, "2")) << f->message;
  EXPECT_TRUE(contains(f->message, "gpu 0")) << f->message;
  EXPECT_FALSE(f->hint.empty());
  EXPECT_EQ(worst(fs), Status::fail);
}

TEST(GpuHealth, ZeroEccIsFine) {
  GpuHealth h;
  h.ecc_volatile_uncorrected = 0;
  h.ecc_aggregate_uncorrected = 5;  // history only: not judged
  EXPECT_EQ(find_reason(evaluate_gpu_health("gpu 0", h), "ecc_dbe"), nullptr);
}

TEST(GpuHealth, RemapFailureFails) {
  GpuHealth h;
  h.remap_failure = true;
  const auto fs = evaluate_gpu_health("gpu 1", h);
  const Finding* f = find_reason(fs, "row_remap_failure");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::fail);
  EXPECT_EQ(worst(fs), Status::fail);
  h.remap_failure = false;
  EXPECT_TRUE(evaluate_gpu_health("gpu 1", h).empty());
}

TEST(GpuHealth, RemapPendingWarns) {
  GpuHealth h;
  h.remap_pending = true;
  const auto fs = evaluate_gpu_health("gpu 0", h);
  const Finding* f = find_reason(fs, "row_remap_pending");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_EQ(worst(fs), Status::warn);
}

TEST(GpuHealth, RetiredPagesPendingWarns) {
  GpuHealth h;
  h.retired_pages_pending = true;
  const auto fs = evaluate_gpu_health("gpu 0", h);
  ASSERT_NE(find_reason(fs, "page_retirement_pending"), nullptr);
  EXPECT_EQ(worst(fs), Status::warn);
}

TEST(GpuHealth, ThermalThrottleWarns) {
  GpuHealth h;
  h.clock_event_reasons = kClkHwThermal;
  h.temperature_c = 91;
  const auto fs = evaluate_gpu_health("gpu 0", h);
  const Finding* f = find_reason(fs, "clocks_throttled");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_TRUE(contains(f->message, "thermal (HW)")) << f->message;
  EXPECT_TRUE(contains(f->message, "91 C")) << f->message;
}

TEST(GpuHealth, BenignClockReasonsDoNotWarn) {
  GpuHealth h;
  h.clock_event_reasons = kClkGpuIdle | kClkSwPowerCap | kClkAppSetting | kClkSyncBoost | kClkDisplay;
  const auto fs = evaluate_gpu_health("gpu 0", h);
  EXPECT_EQ(find_reason(fs, "clocks_throttled"), nullptr);
  EXPECT_EQ(worst(fs), Status::pass);
}

TEST(GpuHealth, LoweredPowerLimitWarnsDefaultDoesNot) {
  GpuHealth h;
  h.power_limit_w = 300;
  h.default_power_limit_w = 700;
  auto fs = evaluate_gpu_health("gpu 0", h);
  const Finding* f = find_reason(fs, "power_limit_lowered");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_TRUE(contains(f->message, "300 W")) << f->message;
  EXPECT_TRUE(contains(f->message, "700 W")) << f->message;
  h.power_limit_w = 700;
  fs = evaluate_gpu_health("gpu 0", h);
  EXPECT_EQ(find_reason(fs, "power_limit_lowered"), nullptr);
  EXPECT_EQ(worst(fs), Status::pass);
  h.default_power_limit_w.reset();  // unknown default: nothing to judge
  h.power_limit_w = 100;
  EXPECT_EQ(find_reason(evaluate_gpu_health("gpu 0", h), "power_limit_lowered"), nullptr);
}

TEST(GpuHealth, PowerCapIsNotedButPasses) {
  GpuHealth h;
  h.clock_event_reasons = kClkSwPowerCap;
  const auto fs = evaluate_gpu_health("gpu 0", h);
  EXPECT_EQ(worst(fs), Status::pass);
  bool noted = false;
  for (const auto& f : fs) noted = noted || contains(f.message, "power limit");
  EXPECT_TRUE(noted);
}

TEST(GpuHealth, ThrottleMessageNamesOnlyTheBadReasons) {
  GpuHealth h;
  h.clock_event_reasons = kClkGpuIdle | kClkHwPowerBrake;
  const Finding* f = find_reason(evaluate_gpu_health("gpu 0", h), "clocks_throttled");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(contains(f->message, "power brake (HW)")) << f->message;
  EXPECT_FALSE(contains(f->message, "idle")) << f->message;
}

TEST(GpuHealth, PersistenceOffIsInformational) {
  GpuHealth h;
  h.persistence_mode = false;
  const auto fs = evaluate_gpu_health("gpu 0", h);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::pass);
  EXPECT_TRUE(contains(fs[0].message, "persistence mode off")) << fs[0].message;
  EXPECT_EQ(worst(fs), Status::pass);
  h.persistence_mode = true;
  EXPECT_TRUE(evaluate_gpu_health("gpu 0", h).empty());
}

TEST(GpuHealth, MigOnIsInformational) {
  GpuHealth h;
  h.mig_enabled = true;
  const auto fs = evaluate_gpu_health("gpu 0", h);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::pass);
  EXPECT_TRUE(contains(fs[0].message, "MIG")) << fs[0].message;
}

TEST(Worst, Ordering) {
  EXPECT_EQ(worst({}), Status::pass);
  EXPECT_EQ(worst({{Status::pass, "", "a", ""}}), Status::pass);
  EXPECT_EQ(worst({{Status::pass, "", "a", ""}, {Status::warn, "w", "b", ""}}), Status::warn);
  EXPECT_EQ(worst({{Status::fail, "f", "a", ""}, {Status::warn, "w", "b", ""}}), Status::fail);
  EXPECT_EQ(worst({{Status::warn, "w", "b", ""}, {Status::fail, "f", "a", ""}, {Status::pass, "", "c", ""}}),
            Status::fail);
}

TEST(DescribeClockEventReasons, Names) {
  EXPECT_EQ(describe_clock_event_reasons(0), "none");
  EXPECT_EQ(describe_clock_event_reasons(kClkHwThermal), "thermal (HW)");
  EXPECT_EQ(describe_clock_event_reasons(kClkSwThermal | kClkHwPowerBrake), "thermal (SW), power brake (HW)");
}

// ---- PCIe ----------------------------------------------------------------------------------------

PcieLink link(int gen, int gen_max, int width, int width_max) {
  PcieLink l;
  l.gen_current = gen;
  l.gen_max = gen_max;
  l.width_current = width;
  l.width_max = width_max;
  return l;
}

TEST(Pcie, NarrowLinkWarns) {
  const auto fs = evaluate_pcie("gpu 0", link(4, 4, 8, 16), std::nullopt);
  const Finding* f = find_reason(fs, "pcie_degraded");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_TRUE(contains(f->message, "x8")) << f->message;
  EXPECT_TRUE(contains(f->message, "x16")) << f->message;
}

TEST(Pcie, LowGenWithGoodBandwidthIsIdleDownclock) {
  // Gen1 read back after the transfers, but the measured bandwidth shows a Gen5 link.
  const auto fs = evaluate_pcie("gpu 0", link(1, 5, 16, 16), 50.0);
  EXPECT_EQ(find_reason(fs, "pcie_degraded"), nullptr);
  EXPECT_EQ(worst(fs), Status::pass);
}

TEST(Pcie, LowGenWithoutBandwidthWarns) {
  const auto fs = evaluate_pcie("gpu 0", link(1, 5, 16, 16), std::nullopt);
  const Finding* f = find_reason(fs, "pcie_degraded");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_TRUE(contains(f->message, "Gen1")) << f->message;
  EXPECT_TRUE(contains(f->message, "Gen5")) << f->message;
}

TEST(Pcie, LowGenWithLowBandwidthWarns) {
  const auto fs = evaluate_pcie("gpu 0", link(3, 5, 16, 16), 12.0);
  ASSERT_NE(find_reason(fs, "pcie_degraded"), nullptr);
}

TEST(Pcie, SlowTransfersWarn) {
  const auto fs = evaluate_pcie("gpu 0", link(5, 5, 16, 16), 20.0);
  const Finding* f = find_reason(fs, "pcie_slow");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_TRUE(contains(f->message, "Gen5 x16")) << f->message;
  EXPECT_TRUE(contains(f->message, "20.0 GB/s")) << f->message;
  EXPECT_EQ(find_reason(fs, "pcie_degraded"), nullptr);
}

TEST(Pcie, GoodTransfersPass) {
  const auto fs = evaluate_pcie("gpu 0", link(5, 5, 16, 16), 55.0);
  EXPECT_EQ(worst(fs), Status::pass);
  EXPECT_EQ(count_status(fs, Status::warn), 0u);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_TRUE(contains(fs[0].message, "55.0 GB/s")) << fs[0].message;
}

TEST(Pcie, NoLinkInfoPasses) {
  const auto fs = evaluate_pcie("gpu 0", PcieLink{}, 20.0);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::pass);
  EXPECT_TRUE(contains(fs[0].message, "not reported")) << fs[0].message;
}

// ---- environment ---------------------------------------------------------------------------------

using Env = std::map<std::string, std::string>;

TEST(Environment, EmptyEnvNoFindings) {
  EXPECT_TRUE(evaluate_environment({}, std::nullopt, std::nullopt).empty());
  EXPECT_TRUE(evaluate_environment({}, 8, 8).empty());
}

TEST(Environment, LaunchBlocking) {
  const auto on = evaluate_environment(Env{{"CUDA_LAUNCH_BLOCKING", "1"}}, std::nullopt, std::nullopt);
  const Finding* f = find_reason(on, "env_launch_blocking");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_TRUE(evaluate_environment(Env{{"CUDA_LAUNCH_BLOCKING", "0"}}, std::nullopt, std::nullopt).empty());
  EXPECT_TRUE(evaluate_environment(Env{{"CUDA_LAUNCH_BLOCKING", ""}}, std::nullopt, std::nullopt).empty());
}

TEST(Environment, VisibleDevicesHidingGpus) {
  const auto fs = evaluate_environment(Env{{"CUDA_VISIBLE_DEVICES", "0,1"}}, 8, 2);
  const Finding* f = find_reason(fs, "env_visible_devices");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_TRUE(contains(f->message, "hides 6 of 8")) << f->message;
}

TEST(Environment, VisibleDevicesEmptyHidesAll) {
  for (const char* v : {"", "-1", "none"}) {
    SCOPED_TRACE(v);
    const auto fs = evaluate_environment(Env{{"CUDA_VISIBLE_DEVICES", v}}, std::nullopt, std::nullopt);
    const Finding* f = find_reason(fs, "env_visible_devices");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->status, Status::warn);
  }
}

TEST(Environment, VisibleDevicesShowingAllIsInformational) {
  const auto fs = evaluate_environment(Env{{"CUDA_VISIBLE_DEVICES", "0,1"}}, 2, 2);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::pass);
}

TEST(Environment, Tf32Override) {
  const auto fs = evaluate_environment(Env{{"NVIDIA_TF32_OVERRIDE", "0"}}, std::nullopt, std::nullopt);
  ASSERT_NE(find_reason(fs, "env_tf32_off"), nullptr);
  EXPECT_EQ(worst(fs), Status::warn);
  EXPECT_TRUE(evaluate_environment(Env{{"NVIDIA_TF32_OVERRIDE", "1"}}, std::nullopt, std::nullopt).empty());
}

TEST(Environment, StubsOnLibraryPath) {
  const auto fs = evaluate_environment(
      Env{{"LD_LIBRARY_PATH", "/usr/local/nvidia/lib64:/usr/local/cuda/lib64/stubs"}}, std::nullopt, std::nullopt);
  const Finding* f = find_reason(fs, "env_stubs_on_path");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_TRUE(evaluate_environment(Env{{"LD_LIBRARY_PATH", "/usr/local/cuda/lib64"}}, std::nullopt, std::nullopt)
                  .empty());
}

TEST(Environment, NvidiaVisibleDevicesVoid) {
  for (const char* v : {"void", "none", ""}) {
    SCOPED_TRACE(v);
    const auto fs = evaluate_environment(Env{{"NVIDIA_VISIBLE_DEVICES", v}}, std::nullopt, std::nullopt);
    ASSERT_NE(find_reason(fs, "env_nvidia_visible"), nullptr);
  }
  EXPECT_TRUE(evaluate_environment(Env{{"NVIDIA_VISIBLE_DEVICES", "all"}}, std::nullopt, std::nullopt).empty());
}

TEST(Environment, DriverCapabilitiesWithoutCompute) {
  const auto fs = evaluate_environment(Env{{"NVIDIA_DRIVER_CAPABILITIES", "utility"}}, std::nullopt, std::nullopt);
  const Finding* f = find_reason(fs, "env_driver_caps");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, Status::warn);
  for (const char* ok : {"compute,utility", "all"})
    EXPECT_TRUE(evaluate_environment(Env{{"NVIDIA_DRIVER_CAPABILITIES", ok}}, std::nullopt, std::nullopt).empty())
        << ok;
}

TEST(Environment, ForceJitAndCacheDisable) {
  const auto fs = evaluate_environment(Env{{"CUDA_FORCE_PTX_JIT", "1"}, {"CUDA_CACHE_DISABLE", "1"}}, std::nullopt,
                                       std::nullopt);
  EXPECT_NE(find_reason(fs, "env_force_jit"), nullptr);
  EXPECT_NE(find_reason(fs, "env_cache_disable"), nullptr);
  EXPECT_EQ(count_status(fs, Status::warn), 2u);
}

TEST(Environment, UnrelatedVariablesIgnored) {
  EXPECT_TRUE(evaluate_environment(Env{{"HOME", "/root"}, {"PATH", "/usr/bin"}}, 1, 1).empty());
}

}  // namespace
}  // namespace gpuprobe
