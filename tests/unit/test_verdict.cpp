// compute_verdict: the exit-code contract CI systems act on (docs/exit-codes.md).
#include <gtest/gtest.h>

#include "gpuprobe/report/verdict.hpp"

#include "test_util.hpp"

namespace gpuprobe {
namespace {

CheckResult check(const std::string& id, Status s, const std::string& reason = "", const std::string& msg = "") {
  CheckResult c;
  c.id = id;
  c.status = s;
  c.reason = reason;
  c.message = msg;
  return c;
}

using test_util::contains;

TEST(Verdict, AllPass) {
  const auto v = compute_verdict({check("driver", Status::pass), check("memory", Status::pass)}, false);
  EXPECT_EQ(v.exit_code, kExitOk);
  EXPECT_EQ(v.line.rfind("PASS", 0), 0u) << v.line;
  EXPECT_EQ(v.passed, 2);
  EXPECT_EQ(v.warned + v.failed + v.skipped, 0);
}

TEST(Verdict, WarningsPassUnlessStrict) {
  const std::vector<CheckResult> cs = {check("driver", Status::pass), check("pcie", Status::warn)};
  const auto v = compute_verdict(cs, false);
  EXPECT_EQ(v.exit_code, kExitOk);
  EXPECT_EQ(v.line.rfind("PASS", 0), 0u) << v.line;
  EXPECT_TRUE(contains(v.line, "pcie")) << v.line;
  EXPECT_EQ(v.warned, 1);

  const auto s = compute_verdict(cs, true);
  EXPECT_EQ(s.exit_code, kExitCheckFailed);
  EXPECT_TRUE(contains(s.line, "FAIL")) << s.line;
  EXPECT_TRUE(contains(s.line, "strict")) << s.line;
  EXPECT_TRUE(contains(s.line, "pcie")) << s.line;
}

TEST(Verdict, StrictWithoutWarningsStillPasses) {
  const auto v = compute_verdict({check("driver", Status::pass)}, true);
  EXPECT_EQ(v.exit_code, kExitOk);
}

TEST(Verdict, FailureNamesTheCheck) {
  const auto v = compute_verdict(
      {check("driver", Status::pass), check("memory", Status::fail, "memory_mismatch"), check("pcie", Status::warn)},
      false);
  EXPECT_EQ(v.exit_code, kExitCheckFailed);
  EXPECT_EQ(v.line.rfind("FAIL", 0), 0u) << v.line;
  EXPECT_TRUE(contains(v.line, "memory")) << v.line;
  EXPECT_EQ(v.passed, 1);
  EXPECT_EQ(v.warned, 1);
  EXPECT_EQ(v.failed, 1);
  EXPECT_EQ(v.skipped, 0);
}

TEST(Verdict, SeveralFailuresAllNamed) {
  const auto v = compute_verdict({check("gemm", Status::fail), check("conv", Status::fail)}, false);
  EXPECT_EQ(v.exit_code, kExitCheckFailed);
  EXPECT_TRUE(contains(v.line, "gemm")) << v.line;
  EXPECT_TRUE(contains(v.line, "conv")) << v.line;
}

TEST(Verdict, NoDriverWinsOverOtherFailures) {
  for (const char* reason : {"no_driver", "no_device", "driver_stub", "kernel_module_missing", "device_nodes_missing",
                             "capabilities_no_compute"}) {
    SCOPED_TRACE(reason);
    const auto v = compute_verdict({check("memory", Status::fail, "memory_mismatch"),
                                    check("driver", Status::fail, reason, "no NVIDIA driver in this container"),
                                    check("gemm", Status::skip)},
                                   true);
    EXPECT_EQ(v.exit_code, kExitNoGpu);
    EXPECT_TRUE(contains(v.line, "no NVIDIA driver in this container")) << v.line;
    EXPECT_EQ(v.failed, 2);
    EXPECT_EQ(v.skipped, 1);
  }
}

TEST(Verdict, ADriverTooOldWithoutAGpuIsStillNoGpu) {
  // NVIDIA's 535 libcuda without a kernel module: cuDriverGetVersion answers, so compat judges it.
  const auto v = compute_verdict({check("driver", Status::fail, "kernel_module_missing",
                                        "driver library 535.261.03 (CUDA 12.2) loads but sees no GPU: ..."),
                                  check("compat", Status::fail, "driver_too_old")},
                                 false);
  EXPECT_EQ(v.exit_code, kExitNoGpu);
  EXPECT_EQ(v.line.rfind("NO GPU: driver library 535.261.03", 0), 0u) << v.line;
}

TEST(Verdict, NoGpuReasonOnAWarningDoesNotCount) {
  const auto v = compute_verdict({check("driver", Status::warn, "no_driver"), check("x", Status::pass)}, false);
  EXPECT_EQ(v.exit_code, kExitOk);
}

TEST(Verdict, TimeoutWinsOverEverything) {
  const auto v = compute_verdict({check("driver", Status::fail, "no_driver"), check("memory", Status::fail, "timeout"),
                                  check("pcie", Status::warn), check("gemm", Status::pass)},
                                 true);
  EXPECT_EQ(v.exit_code, kExitHung);
  EXPECT_EQ(v.line.rfind("HUNG", 0), 0u) << v.line;
  EXPECT_TRUE(contains(v.line, "memory")) << v.line;
  EXPECT_EQ(v.passed, 1);
  EXPECT_EQ(v.warned, 1);
  EXPECT_EQ(v.failed, 2);
}

TEST(Verdict, AllSkippedIsNotAPass) {
  const auto v = compute_verdict({check("a", Status::skip), check("b", Status::skip)}, false);
  EXPECT_EQ(v.exit_code, kExitCheckFailed);
  EXPECT_TRUE(contains(v.line, "no check ran")) << v.line;
  EXPECT_EQ(v.skipped, 2);
}

TEST(Verdict, EmptyListIsNotAPass) {
  const auto v = compute_verdict({}, false);
  EXPECT_EQ(v.exit_code, kExitCheckFailed);
  EXPECT_TRUE(contains(v.line, "no check ran")) << v.line;
}

TEST(Verdict, OnlyWarningsAndSkipsDidRun) {
  // A warning is a check that ran: no "no check ran" failure without --strict.
  const std::vector<CheckResult> cs = {check("a", Status::warn), check("b", Status::skip)};
  const auto v = compute_verdict(cs, false);
  EXPECT_EQ(v.exit_code, kExitOk);
  EXPECT_FALSE(contains(v.line, "no check ran")) << v.line;
  EXPECT_TRUE(contains(v.line, "(a)")) << v.line;
  const auto s = compute_verdict(cs, true);
  EXPECT_EQ(s.exit_code, kExitCheckFailed);
  EXPECT_TRUE(contains(s.line, "strict")) << s.line;
}

TEST(Verdict, CountsInLine) {
  const auto v = compute_verdict({check("a", Status::pass), check("b", Status::pass), check("c", Status::warn),
                                  check("d", Status::skip), check("e", Status::skip), check("f", Status::skip)},
                                 false);
  EXPECT_EQ(v.passed, 2);
  EXPECT_EQ(v.warned, 1);
  EXPECT_EQ(v.failed, 0);
  EXPECT_EQ(v.skipped, 3);
  EXPECT_TRUE(contains(v.line, "2 passed, 1 warned, 0 failed, 3 skipped")) << v.line;
}

TEST(Verdict, ChecksSkippedForWantOfAGpuAreNoGpuNotNothingRan) {
  // gpuprobe check --only cublas,cudnn on a machine without a GPU.
  const auto v = compute_verdict({check("cublas", Status::skip, "no_gpu", "cuBLAS 13.1.0 present; no GPU"),
                                  check("cudnn", Status::skip, "no_gpu", "cuDNN 9.19.0 present; no GPU")},
                                 false);
  EXPECT_EQ(v.exit_code, kExitNoGpu);
  EXPECT_EQ(v.line, "NO GPU: cublas: cuBLAS 13.1.0 present; no GPU (0 passed, 0 warned, 0 failed, 2 skipped)");
}

TEST(Verdict, ANoGpuSkipBesideChecksThatPassedIsStillNoGpu) {
  const auto v = compute_verdict({check("environment", Status::pass),
                                  check("kernel", Status::skip, "no_gpu", "no usable CUDA driver")},
                                 true);
  EXPECT_EQ(v.exit_code, kExitNoGpu);
  EXPECT_TRUE(contains(v.line, "NO GPU: kernel: no usable CUDA driver")) << v.line;
}

TEST(Verdict, AFailureOtherThanNoGpuWinsOverANoGpuSkip) {
  const auto v = compute_verdict({check("environment", Status::fail, "shm_small", "/dev/shm is 64 MiB"),
                                  check("kernel", Status::skip, "no_gpu", "no usable CUDA driver")},
                                 false);
  EXPECT_EQ(v.exit_code, kExitCheckFailed);
  EXPECT_EQ(v.line.rfind("FAIL: environment", 0), 0u) << v.line;
}

TEST(Verdict, SkippedForOtherReasonsIsStillNothingRan) {
  const auto v = compute_verdict({check("kernel", Status::skip, "context_lost", "every GPU's context lost"),
                                  check("memory", Status::skip)},
                                 false);
  EXPECT_EQ(v.exit_code, kExitCheckFailed);
  EXPECT_TRUE(contains(v.line, "no check ran")) << v.line;
}

TEST(Verdict, NoGpuReasons) {
  EXPECT_TRUE(is_no_gpu_reason("no_driver"));
  EXPECT_TRUE(is_no_gpu_reason("no_device"));
  EXPECT_TRUE(is_no_gpu_reason("driver_stub"));
  EXPECT_TRUE(is_no_gpu_reason("kernel_module_missing"));
  EXPECT_TRUE(is_no_gpu_reason("device_nodes_missing"));
  EXPECT_TRUE(is_no_gpu_reason("capabilities_no_compute"));
  EXPECT_FALSE(is_no_gpu_reason("no_gpu"));  // a skip's reason, not a failure's
  EXPECT_FALSE(is_no_gpu_reason("driver_too_old"));
  EXPECT_FALSE(is_no_gpu_reason(""));
}


TEST(Verdict, BenchmarksFailedOrNothingMeasuredIsExitOne) {
  auto entry = [](const char* st) { return nlohmann::json{{"name", "x"}, {"status", st}}; };
  auto v = benchmarks_verdict(benchmarks_from_json(nlohmann::json::array({entry("ok"), entry("ok"), entry("skipped")})));
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.line, "OK: 2 benchmarks measured and verified, 1 skipped");
  v = benchmarks_verdict(benchmarks_from_json(nlohmann::json::array({entry("ok"), entry("failed")})));
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(v.line.rfind("FAIL: 1 of 2 benchmarks failed (x)", 0), 0u) << v.line;
  v = benchmarks_verdict(benchmarks_from_json(nlohmann::json::array({entry("skipped")})));
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_EQ(v.line, "FAIL: nothing measured (1 of 1 benchmarks skipped)");
}

}  // namespace
}  // namespace gpuprobe
