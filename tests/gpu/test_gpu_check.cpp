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
