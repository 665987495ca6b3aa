// burn's load without a GPU: the load names and the sizing and checking rules of burn_plan.hpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gpuprobe/bench/burn_load.hpp"
#include "gpuprobe/bench/burn_plan.hpp"

namespace gpuprobe::bench {
namespace {

constexpr std::uint64_t GiB = 1ull << 30, MiB = 1ull << 20;

TEST(BurnLoad, NamesRoundTripAndUnknownNamesAreRefused) {
  for (BurnLoadKind k : {BurnLoadKind::gemm_fp32, BurnLoadKind::gemm_bf16, BurnLoadKind::memory, BurnLoadKind::mixed}) {
    BurnLoadKind back = k == BurnLoadKind::memory ? BurnLoadKind::mixed : BurnLoadKind::memory;
    ASSERT_TRUE(parse_burn_load_kind(to_string(k), back)) << to_string(k);
    EXPECT_EQ(back, k);
  }
  EXPECT_STREQ(to_string(BurnLoadKind::gemm_fp32), "gemm-fp32");
  EXPECT_STREQ(to_string(BurnLoadKind::gemm_bf16), "gemm-bf16");
  EXPECT_STREQ(to_string(BurnLoadKind::memory), "memory");
  EXPECT_STREQ(to_string(BurnLoadKind::mixed), "mixed");
  BurnLoadKind out = BurnLoadKind::memory;
  for (const char* bad : {"", "gemm", "GEMM-BF16", "gemm_bf16", "memory ", "bf16"}) {
    EXPECT_FALSE(parse_burn_load_kind(bad, out)) << bad;
    EXPECT_EQ(out, BurnLoadKind::memory) << "left as it was";
  }
}

TEST(BurnLoad, DefaultOptionsAreTheVerifiedTensorCoreGemm) {
  const BurnLoadOptions o;
  EXPECT_EQ(o.kind, BurnLoadKind::gemm_bf16);
  EXPECT_GT(o.step_seconds, 0);
  EXPECT_GT(o.memory_fraction, 0);
  EXPECT_LE(o.memory_fraction, 1);
}

// BF16: 8 bytes per n^2 (A, B, C, reference); FP32: 16.
TEST(BurnPlan, GemmSizeFollowsTheSmCountAndShrinksToFitMemory) {
  EXPECT_EQ(burn_gemm_size(132, 79 * GiB, 8), 8192);   // H100
  EXPECT_EQ(burn_gemm_size(132, 79 * GiB, 16), 8192);
  EXPECT_EQ(burn_gemm_size(108, 39 * GiB, 8), 8192);   // A100 40 GB
  EXPECT_EQ(burn_gemm_size(64, 20 * GiB, 16), 8192);   // from 64 SMs on
  EXPECT_EQ(burn_gemm_size(40, 15 * GiB, 16), 4096);   // T4
  EXPECT_EQ(burn_gemm_size(16, 8 * GiB, 8), 4096);
  EXPECT_EQ(burn_gemm_size(10, 4 * GiB, 8), 2048);     // a small GPU
  // 8192^2 x 16 bytes = 1 GiB: needs 2 GiB free; with less, 4096 (256 MiB, needs 512 MiB).
  EXPECT_EQ(burn_gemm_size(132, 2 * GiB, 16), 8192);
  EXPECT_EQ(burn_gemm_size(132, 2 * GiB - 1, 16), 4096);
  EXPECT_EQ(burn_gemm_size(132, 512 * MiB, 16), 4096);
  EXPECT_EQ(burn_gemm_size(132, 300 * MiB, 16), 2048);
  EXPECT_EQ(burn_gemm_size(132, 32 * MiB, 16), 1024);  // the smallest
  EXPECT_EQ(burn_gemm_size(132, 32 * MiB - 1, 16), 0);
  EXPECT_EQ(burn_gemm_size(0, 0, 8), 0);
  // The size never exceeds the SM rule's, and its buffers always fit in half the free memory.
  for (int sm : {1, 15, 16, 63, 64, 200})
    for (std::uint64_t free_b : {std::uint64_t{0}, 100 * MiB, 1 * GiB, 3 * GiB, 100 * GiB})
      for (std::uint64_t bpe : {8ull, 16ull}) {
        const int n = burn_gemm_size(sm, free_b, bpe);
        if (n == 0) continue;
        EXPECT_LE(std::uint64_t(n) * n * bpe, free_b / 2);
        EXPECT_LE(n, sm >= 64 ? 8192 : sm >= 16 ? 4096 : 2048);
        EXPECT_EQ(n % 1024, 0);
      }
}

TEST(BurnPlan, RepeatsFillTheStep) {
  EXPECT_EQ(burn_repeats(0.5, 0.0017), 294);  // BF16 8192^3 on an H100
  EXPECT_EQ(burn_repeats(0.5, 0.02), 25);
  EXPECT_EQ(burn_repeats(0.5, 0.3), 2);       // rounded to the nearest
  EXPECT_EQ(burn_repeats(0.5, 0.4), 1);
  EXPECT_EQ(burn_repeats(0.5, 2.0), 1);       // a run longer than a step: one per step
  EXPECT_EQ(burn_repeats(0.5, 1e-9), kBurnMaxRepeats);
  EXPECT_EQ(burn_repeats(0.5, 0.0), 1);
  EXPECT_EQ(burn_repeats(0.5, -1.0), 1);
  EXPECT_EQ(burn_repeats(0.5, std::numeric_limits<double>::quiet_NaN()), 1);
  EXPECT_EQ(burn_repeats(0.5, std::numeric_limits<double>::infinity()), 1);
  EXPECT_EQ(burn_repeats(0.0, 0.01), 1);
}

TEST(BurnPlan, MemoryWordsShareTheFractionOfFreeMemory) {
  // Half of 80 GiB: 40 GiB over two buffers of 32-bit words.
  EXPECT_EQ(burn_memory_words(80 * GiB, 0.5), 20 * GiB / 4);
  EXPECT_EQ(burn_memory_words(16 * GiB, 0.25), 2 * GiB / 4);
  // All of it: less the 256 MiB margin.
  EXPECT_EQ(burn_memory_words(16 * GiB, 1.0), (16 * GiB - 256 * MiB) / 2 / 4);
  EXPECT_EQ(burn_memory_words(16 * GiB, 7.0), burn_memory_words(16 * GiB, 1.0));  // clamped
  // Rounded down to whole MiB of words.
  EXPECT_EQ(burn_memory_words(16 * GiB + 3, 0.5) % (MiB / 4), 0u);
  // Too little: 0.
  EXPECT_EQ(burn_memory_words(300 * MiB, 1.0), 0u);
  EXPECT_EQ(burn_memory_words(256 * MiB + 128 * MiB, 1.0), 64 * MiB / 4);
  EXPECT_EQ(burn_memory_words(80 * GiB, 0.0), 0u);
  EXPECT_EQ(burn_memory_words(80 * GiB, -0.5), 0u);
  EXPECT_EQ(burn_memory_words(80 * GiB, std::numeric_limits<double>::quiet_NaN()), 0u);
  EXPECT_EQ(burn_memory_words(0, 0.5), 0u);
}

TEST(BurnPlan, CheckModeFromTwoRunsOnTheSameOperands) {
  EXPECT_EQ(burn_check_mode(true, true), BurnCheck::bitwise);
  EXPECT_EQ(burn_check_mode(false, true), BurnCheck::freivalds);  // right, but not reproducible
  EXPECT_EQ(burn_check_mode(false, false), BurnCheck::wrong);
}

TEST(BurnPlan, ErrorTextSaysWhenTheContextIsLost) {
  EXPECT_EQ(burn_error_text("cudaErrorLaunchFailure (719, 'unspecified launch failure') from x", ""),
            "cudaErrorLaunchFailure (719, 'unspecified launch failure') from x");
  const std::string lost = burn_error_text("cublasLtMatmul: CUBLAS_STATUS_EXECUTION_FAILED", "cudaErrorIllegalAddress");
  EXPECT_NE(lost.find("cublasLtMatmul: CUBLAS_STATUS_EXECUTION_FAILED"), std::string::npos);
  EXPECT_NE(lost.find("context is lost (cudaErrorIllegalAddress)"), std::string::npos) << lost;
}

}  // namespace
}  // namespace gpuprobe::bench
