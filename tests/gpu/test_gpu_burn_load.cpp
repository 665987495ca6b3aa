// burn's load on the real GPU (device 0): every kind runs a few short steps with no mismatch and a
// positive throughput, then counts the error planted in what it checks against. Label gpu; skips
// without a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>

#include "burn_load_testing.hpp"
#include "gpu_test_util.hpp"
#include "gpuprobe/bench/burn_load.hpp"

using namespace gpuprobe::bench;

namespace {

gpuprobe::GpuInfo describe_device0() { return gpuprobe::testing::describe_device(0); }

BurnLoadOptions short_steps(BurnLoadKind kind) {
  BurnLoadOptions o;
  o.kind = kind;
  o.step_seconds = 0.1;
  o.memory_fraction = 0.25;
  return o;
}

class GpuBurnLoadKinds : public ::testing::TestWithParam<BurnLoadKind> {};

TEST_P(GpuBurnLoadKinds, StepsRunCleanAndAPlantedErrorIsCounted) {
  GPUPROBE_REQUIRE_GPU();
  const auto gpu = describe_device0();
  const BurnLoadKind kind = GetParam();
  const auto load = make_gpu_burn_load(gpu, short_steps(kind));
  ASSERT_TRUE(load);
  try {
    load->prepare();
  } catch (const std::runtime_error& e) {
    if (kind == BurnLoadKind::gemm_bf16 && gpu.cc_major < 8) GTEST_SKIP() << e.what();
    FAIL() << "prepare: " << e.what();
  }
  std::printf("%s: %s\n", to_string(kind), load->describe().c_str());
  EXPECT_FALSE(load->describe().empty());
  EXPECT_EQ(load->unit(), kind == BurnLoadKind::memory ? "GB/s" : "TFLOP/s");
  const double scale = kind == BurnLoadKind::memory ? 1e9 : 1e12;

  for (int i = 0; i < 3; ++i) {
    const BurnStep s = load->step();
    SCOPED_TRACE("step " + std::to_string(i));
    ASSERT_EQ(s.error, "");
    EXPECT_GT(s.seconds, 0);
    EXPECT_LT(s.seconds, 5.0);
    EXPECT_GT(s.work, 0);
    EXPECT_GT(s.checked, 0u);
    EXPECT_EQ(s.mismatches, 0u);
    std::printf("  step %d: %.3f s, %.1f %s, %llu checked, %llu mismatches\n", i, s.seconds, s.work / s.seconds / scale,
                load->unit().c_str(), s.checked, s.mismatches);
  }

  const bool gemm_planted = gpuprobe::bench::gpu::plant_burn_error(*load);
  const bool has_gemm = kind != BurnLoadKind::memory, has_memory = kind == BurnLoadKind::memory || kind == BurnLoadKind::mixed;
  if (has_gemm && !gemm_planted) std::printf("  GEMM checked by Freivalds: no reference output to corrupt\n");
  const BurnStep bad = load->step();
  ASSERT_EQ(bad.error, "");
  std::printf("  after planting: %llu of %llu mismatches\n", bad.mismatches, bad.checked);
  unsigned long long want_min = 0;
  if (has_gemm && gemm_planted) want_min += 1;  // one word per GEMM of the step
  if (has_memory) want_min += 1;                // exactly one word
  EXPECT_GE(bad.mismatches, want_min);
  if (kind == BurnLoadKind::memory) {
    EXPECT_EQ(bad.mismatches, 1u);
  }

  // The memory load restored its buffer: counted once. The GEMM's reference stays corrupted.
  const BurnStep after = load->step();
  ASSERT_EQ(after.error, "");
  if (kind == BurnLoadKind::memory) {
    EXPECT_EQ(after.mismatches, 0u);
  }
  if (has_gemm && gemm_planted) {
    EXPECT_EQ(after.mismatches, bad.mismatches - (has_memory ? 1u : 0u));
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, GpuBurnLoadKinds,
                         ::testing::Values(BurnLoadKind::gemm_fp32, BurnLoadKind::gemm_bf16, BurnLoadKind::memory,
                                           BurnLoadKind::mixed),
                         [](const auto& info) {
                           std::string n = to_string(info.param);
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(GpuBurnLoad, AGpuThatIsNotThereCannotBePrepared) {
  GPUPROBE_REQUIRE_GPU();
  auto gpu = describe_device0();
  int n = 0;
  ASSERT_EQ(cudaGetDeviceCount(&n), cudaSuccess);
  gpu.index = n;  // one past the last
  const auto load = make_gpu_burn_load(gpu, short_steps(BurnLoadKind::memory));
  EXPECT_THROW(load->prepare(), std::runtime_error);
  const BurnStep s = load->step();
  EXPECT_NE(s.error, "");  // not prepared: an error, not a crash
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the failed prepare() left an error behind for the next launch";
}

}  // namespace
