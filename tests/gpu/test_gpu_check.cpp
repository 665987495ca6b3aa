// Every check of `gpuprobe check` run through the real table on a real GPU: none may fail on a
// healthy machine, and each must have measured something.
#include "gpu_test_util.hpp"
#include "gpuprobe/probes/check_table.hpp"
#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/runner.hpp"

using namespace gpuprobe;

TEST(GpuCheck, AllChecksPassOrWarnOnAHealthyGpu) {
  GPUPROBE_REQUIRE_GPU();
  SharedReport shared(Report{});
  ProbeOptions opts;
  opts.mem_fraction = 0.05;
  ProbeContext ctx(opts, SystemView::live(), shared);
  RunnerHooks hooks;
  hooks.on_timeout = [](const CheckResult& r) { ADD_FAILURE() << r.id << " timed out"; };
  const auto results = run_checks(runnable_checks(ctx), hooks);
  ASSERT_EQ(results.size(), check_table().size());
  for (const auto& r : results) {
    EXPECT_NE(r.status, Status::fail) << r.id << ": " << r.message << " / " << r.hint;
    if (r.id == "environment" || r.id == "nvml") continue;  // may legitimately skip nothing / warn
    if (r.id == "cublas" || r.id == "cudnn") {
      // present in the device image: they must have computed, not skipped
      EXPECT_NE(r.status, Status::skip) << r.id << ": " << r.message;
    }
  }
  const Report rep = shared.snapshot();
  ASSERT_FALSE(rep.gpus.empty());
  EXPECT_GT(rep.gpus[0].sm_count, 0);
  EXPECT_GT(rep.gpus[0].memory_total_bytes, 0u);
  EXPECT_TRUE(rep.software.cuda_driver_version.has_value());
}

// The nccl check alone: with NCCL in the image, an all-reduce over every GPU (one rank on a one-GPU
// machine) verified; without it, a skip or a warning that names the fix, never a failure.
TEST(GpuCheck, NcclAllReduceOverEveryGpu) {
  GPUPROBE_REQUIRE_GPU();
  SharedReport shared(Report{});
  ProbeOptions opts;
  opts.only = {"devices", "nccl", "efa"};
  ProbeContext ctx(opts, SystemView::live(), shared);
  const auto results = run_checks(select_checks(runnable_checks(ctx), opts.only, {}), RunnerHooks{});
  int gpus = 0;
  ASSERT_EQ(cudaGetDeviceCount(&gpus), cudaSuccess);
  bool saw = false;
  for (const auto& r : results) {
    if (r.id == "efa") {
      EXPECT_NE(r.status, Status::fail) << r.message;
    }
    if (r.id != "nccl") continue;
    saw = true;
    std::printf("nccl: %s: %s\n", to_string(r.status), r.message.c_str());
    if (r.reason == "missing_library" || r.reason == "not_needed") {
      EXPECT_FALSE(r.hint.empty());
      continue;
    }
    EXPECT_EQ(r.status, Status::pass) << r.message << " / " << r.hint;
    EXPECT_EQ(r.details.value("ranks", 0), gpus);
    EXPECT_FALSE(r.details.value("version", std::string()).empty());
  }
  EXPECT_TRUE(saw);
}
