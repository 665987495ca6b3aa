// Every benchmark of the smoke suite on the real GPU, through the same factory `gpuprobe bench`
// uses, at small sizes and a short stop rule: each runs and verifies, or is skipped with a reason
// (a dtype this GPU lacks, a library this image lacks). Label gpu; skips without a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include "gpu_test_util.hpp"
#include "gpuprobe/bench/gpu.hpp"

using namespace gpuprobe::bench;

namespace {

gpuprobe::GpuInfo describe_device0() { return gpuprobe::testing::describe_device(0); }

MeasureOptions short_rule() {
  MeasureOptions o;
  o.rule = {3, 0.0, 2.0, 0.05};  // budget well above 3 samples of the slowest (256 MiB host memset + copy)
  o.warmup_seconds = 0;
  return o;
}

}  // namespace

TEST(GpuBench, EverySmokeBenchmarkRunsVerifiedOrSkipsWithAReason) {
  GPUPROBE_REQUIRE_GPU();
  const auto gpu = describe_device0();
  SelectOptions small;
  small.sizes = {512};
  const auto specs = select_benchmarks(Suite::smoke, "", small);
  ASSERT_FALSE(specs.empty());
  const WorkloadFactory make = make_gpu_factory(gpu);
  const auto sampler = make_nvml_clock_sampler(gpu);
  int ran = 0;
  for (const auto& s : specs) {
    const Measurement m = measure(s, make, short_rule(), sampler.get());
    SCOPED_TRACE(s.gb_name());
    if (m.status == gpuprobe::BenchStatus::skipped) {
      EXPECT_FALSE(m.reason.empty());
      std::printf("skipped %s: %s\n", s.gb_name().c_str(), m.reason.c_str());
      continue;
    }
    EXPECT_EQ(m.status, gpuprobe::BenchStatus::ok) << m.reason;
    EXPECT_TRUE(m.verification.ok) << m.verification.detail;
    EXPECT_GE(m.samples.size(), 3u);
    const auto e = to_entry(s, m, peaks_of(gpu), pcie_peak_of(gpu));
    std::printf("%-70s %10.2f %s  %s\n", s.gb_name().c_str(), e.value.value_or(-1.0), s.unit().c_str(),
                m.verification.detail.c_str());
    ++ran;
  }
  // FP32 GEMMs, the FP32 convolutions and the memory benchmarks need nothing but a GPU.
  EXPECT_GE(ran, 10);
}

TEST(GpuBench, OutOfMemoryIsASkipNotACrash) {
  GPUPROBE_REQUIRE_GPU();
  const auto gpu = describe_device0();
  SelectOptions huge;
  huge.sizes = {131072};  // 3 x 64 GiB of FP32 for cuBLAS SGEMM: more than any GPU of 2026 holds
  const auto specs = select_benchmarks(Suite::smoke, "^matmul/cublas/fp32/", huge);
  ASSERT_EQ(specs.size(), 1u);
  std::size_t free_b = 0, total_b = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_b, &total_b), cudaSuccess);
  if (free_b > (3ull * 131072 * 131072 * 4)) GTEST_SKIP() << "this GPU holds even that";
  const Measurement m = measure(specs[0], make_gpu_factory(gpu), short_rule(), nullptr);
  EXPECT_EQ(m.status, gpuprobe::BenchStatus::skipped);
  EXPECT_NE(m.reason.find("device memory"), std::string::npos) << m.reason;
}

// The nccl family at 1 MiB over every GPU of the machine (one rank on a one-GPU machine): each
// collective verified, algbw the value, busbw beside it with nccl-tests' factor (0 for one rank).
// Without NCCL in the image each is a skip naming the fix.
TEST(GpuBench, NcclCollectivesOverEveryGpu) {
  GPUPROBE_REQUIRE_GPU();
  const auto gpu = describe_device0();
  const auto specs = select_benchmarks(Suite::standard, "^nccl/nccl/.*/bytes:1048576$");
  ASSERT_EQ(specs.size(), 3u);
  int gpus = 0;
  ASSERT_EQ(cudaGetDeviceCount(&gpus), cudaSuccess);
  const WorkloadFactory make = make_gpu_factory(gpu);
  for (const auto& s : specs) {
    SCOPED_TRACE(s.gb_name());
    const Measurement m = measure(s, make, short_rule(), nullptr);
    if (m.status == gpuprobe::BenchStatus::skipped) {
      EXPECT_NE(m.reason.find("nccl"), std::string::npos) << m.reason;
      std::printf("skipped %s: %s\n", s.gb_name().c_str(), m.reason.c_str());
      continue;
    }
    ASSERT_EQ(m.status, gpuprobe::BenchStatus::ok) << m.reason;
    EXPECT_TRUE(m.verification.ok) << m.verification.detail;
    const auto e = to_entry(s, m, peaks_of(gpu), pcie_peak_of(gpu));
    EXPECT_EQ(e.details.value("ranks", 0), gpus);
    EXPECT_FALSE(e.peak_percent.has_value());  // no link peak is claimed
    ASSERT_TRUE(e.details.contains("busbw_gb_s"));
    ASSERT_TRUE(e.details.contains("transports"));  // empty for one rank
    if (gpus == 1) {
      EXPECT_EQ(e.details["busbw_gb_s"].get<double>(), 0.0);
    }
    std::printf("%-50s algbw %8.2f GB/s  busbw %8.2f GB/s  %s  %s\n", s.gb_name().c_str(), e.value.value_or(-1.0),
                e.details["busbw_gb_s"].get<double>(), e.details["transports"].dump().c_str(),
                m.verification.detail.c_str());
  }
}
