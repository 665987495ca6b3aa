// Peak rates per GPU and the timing statistics of gpuprobe bench.
#include <gtest/gtest.h>

#include "gpuprobe/bench/peaks.hpp"
#include "gpuprobe/bench/stats.hpp"

namespace gpuprobe::bench {
namespace {

TEST(Peaks, DatasheetGpusOfTheAwsFamilies) {
  const auto h100 = peaks_for("NVIDIA H100 80GB HBM3", 9, 0, 132, 1980);
  EXPECT_TRUE(h100.from_datasheet);
  EXPECT_EQ(h100.model, "H100 SXM");
  EXPECT_NEAR(*h100.bf16, 989, 1);
  EXPECT_NEAR(*h100.fp32, 67, 0.5);
  EXPECT_NEAR(*h100.mem_gbps, 3350, 1);
  const auto h200 = peaks_for("NVIDIA H200", 9, 0, 132, 1980);
  EXPECT_EQ(h200.model, "H200 SXM");
  EXPECT_NEAR(*h200.mem_gbps, 4800, 1);
  // Variants with other peaks are not given the SXM row they contain the name of.
  for (const char* variant : {"NVIDIA H200 NVL", "NVIDIA H100 NVL", "NVIDIA GH200 480GB", "NVIDIA GH200 144G HBM3e"}) {
    const auto p = peaks_for(variant, 9, 0, 132, 1980);
    EXPECT_FALSE(p.from_datasheet) << variant;
    EXPECT_EQ(p.model.rfind("estimate", 0), 0u) << variant << ": " << p.model;
    EXPECT_FALSE(p.bf16.has_value()) << variant;
    EXPECT_NEAR(*p.fp32, 2.0 * 132 * 128 * 1980e6 / 1e12, 1e-9) << variant;
  }
  EXPECT_EQ(peaks_for("NVIDIA H100 PCIe", 9, 0, 114, 1755).model, "H100 PCIe");
  EXPECT_EQ(peaks_for("NVIDIA L40S", 8, 9, 142, 2520).model, "L40S");
  EXPECT_EQ(peaks_for("NVIDIA L4", 8, 9, 58, 2040).model, "L4");
  EXPECT_EQ(peaks_for("NVIDIA A100-SXM4-80GB", 8, 0, 108, 1410).model, "A100 SXM 80GB");
  EXPECT_EQ(peaks_for("NVIDIA A100-SXM4-40GB", 8, 0, 108, 1410).model, "A100 SXM 40GB");
  const auto t4 = peaks_for("Tesla T4", 7, 5, 40, 1590);
  EXPECT_EQ(t4.model, "T4");
  EXPECT_FALSE(t4.bf16.has_value());  // Turing has no BF16 tensor cores
  EXPECT_NEAR(*t4.tflops(Dtype::fp16), 65, 0.5);
  EXPECT_FALSE(peaks_for("Tesla V100-SXM2-16GB", 7, 0, 80, 1530).tf32.has_value());
}

TEST(Peaks, UnknownGpuGetsAnFp32EstimateAndNothingInvented) {
  const auto p = peaks_for("NVIDIA Future GPU", 12, 0, 100, 2000);
  EXPECT_FALSE(p.from_datasheet);
  EXPECT_NEAR(*p.fp32, 2.0 * 100 * 128 * 2000e6 / 1e12, 1e-9);
  EXPECT_FALSE(p.bf16.has_value());
  EXPECT_FALSE(p.mem_gbps.has_value());
  EXPECT_FALSE(peaks_for("NVIDIA Future GPU", 12, 0, 100, 0).fp32.has_value());  // clock unknown
}

TEST(Peaks, DtypeNames) {
  for (Dtype d : {Dtype::fp32, Dtype::tf32, Dtype::fp16, Dtype::bf16, Dtype::fp8})
    EXPECT_EQ(dtype_from_string(to_string(d)), d);
  EXPECT_FALSE(dtype_from_string("int8").has_value());
}

TEST(Stats, Summary) {
  const auto s = summarize({4, 1, 3, 2});
  EXPECT_EQ(s.n, 4u);
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 4);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.stdev, 1.2909944, 1e-6);
  EXPECT_NEAR(s.rel_spread, 1.2909944 / 2.5, 1e-6);
  EXPECT_DOUBLE_EQ(summarize({5, 1, 3}).median, 3);
  EXPECT_EQ(summarize({}).n, 0u);
  EXPECT_DOUBLE_EQ(summarize({7}).stdev, 0);
}

TEST(Stats, StopRule) {
  StopRule rule;  // 10 samples, 0.5 s, 0.5 % spread, 15 s budget
  std::vector<double> steady(10, 0.06);
  EXPECT_EQ(should_stop(steady, 0.7, rule), StopReason::converged);
  EXPECT_EQ(should_stop(std::vector<double>(9, 0.06), 0.6, rule), StopReason::keep_going);   // too few
  EXPECT_EQ(should_stop(std::vector<double>(10, 0.01), 0.2, rule), StopReason::keep_going);  // too short
  std::vector<double> noisy = {0.05, 0.07, 0.05, 0.07, 0.05, 0.07, 0.05, 0.07, 0.05, 0.07};
  EXPECT_EQ(should_stop(noisy, 1.0, rule), StopReason::keep_going);
  EXPECT_EQ(should_stop(noisy, 15.0, rule), StopReason::budget);
}

}  // namespace
}  // namespace gpuprobe::bench
