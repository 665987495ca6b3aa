// Every benchmark of the smoke suite on the real GPU, through the same factory `gpuprobe bench`
// uses, at small sizes and a short stop rule: each runs and verifies, or is skipped with a reason
// (a dtype this GPU lacks, a library this image lacks). Label gpu; skips without a GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <thread>

#include "gpu_test_util.hpp"
#include "gpuprobe/bench/gpu.hpp"
#include "gpuprobe/bench/node.hpp"
#include "gpuprobe/bench/p2p.hpp"

using namespace gpuprobe::bench;

namespace {

using gpuprobe::testing::describe_device;
gpuprobe::GpuInfo describe_device0() { return gpuprobe::testing::describe_device(0); }

// A skip must say why (and is printed); anything else must have run and verified. True when it ran.
bool ran_verified(const BenchSpec& s, const Measurement& m) {
  if (m.status == gpuprobe::BenchStatus::skipped) {
    EXPECT_FALSE(m.reason.empty());
    std::printf("skipped %s: %s\n", s.gb_name().c_str(), m.reason.c_str());
    return false;
  }
  EXPECT_EQ(m.status, gpuprobe::BenchStatus::ok) << m.reason;
  EXPECT_TRUE(m.verification.ok) << m.verification.detail;
  return true;
}

int device_count() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

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
    if (!ran_verified(s, m)) continue;
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

// bench --gpus: one benchmark on every GPU at once, one host thread each (on one GPU: that one),
// then the node's sum over them.
TEST(GpuBench, EveryGpuAtOnceAndTheNodeSum) {
  GPUPROBE_REQUIRE_GPU();
  const int n = device_count();
  const auto specs = select_benchmarks(Suite::smoke, "^memory/stream/copy/");
  ASSERT_FALSE(specs.empty());
  std::vector<Measurement> m(static_cast<std::size_t>(n));
  std::vector<WorkloadFactory> make;
  for (int g = 0; g < n; ++g) make.push_back(make_gpu_factory(describe_device(g)));
  std::vector<std::thread> threads;
  for (int g = 0; g < n; ++g)
    threads.emplace_back([&, g] { m[static_cast<std::size_t>(g)] = measure(specs[0], make[static_cast<std::size_t>(g)], short_rule(), nullptr); });
  for (auto& t : threads) t.join();
  std::vector<gpuprobe::Benchmark> entries;
  for (int g = 0; g < n; ++g) {
    const auto& mg = m[static_cast<std::size_t>(g)];
    EXPECT_EQ(mg.status, gpuprobe::BenchStatus::ok) << "GPU " << g << ": " << mg.reason;
    auto e = to_entry(specs[0], mg, peaks_of(describe_device(g)), std::nullopt);
    e.gpu = g;
    std::printf("GPU %d: %.1f GB/s\n", g, e.value.value_or(-1));
    entries.push_back(e);
  }
  const auto node = node_aggregates(entries, static_cast<std::size_t>(n));
  ASSERT_EQ(node.size(), 1u);
  ASSERT_TRUE(node[0].value);
  std::printf("node: %.1f GB/s over %d GPU(s)\n", *node[0].value, n);
}

// The p2p family on the first two GPUs, both orders: each copy runs and every word arrives, or the
// benchmark is skipped with its reason (SM copies without peer access). One GPU: nothing to pair.
TEST(GpuBench, P2pPairsRunVerified) {
  GPUPROBE_REQUIRE_GPU();
  if (device_count() < 2) GTEST_SKIP() << kP2pOneGpu;
  const WorkloadFactory make = make_gpu_factory(describe_device(0));
  const WorkloadFactory make1 = make_gpu_factory(describe_device(1));
  for (const auto& family : select_benchmarks(Suite::standard, "^p2p/")) {
    for (const auto& s : p2p_pair_specs(family, {0, 1})) {
      SCOPED_TRACE(s.gb_name());
      const Measurement m = measure(s, s.src == 0 ? make : make1, short_rule(), nullptr);
      if (!ran_verified(s, m)) continue;
      const auto e = to_entry(s, m, {}, std::nullopt);
      std::printf("%-50s %10.2f %s  %s  %s\n", s.gb_name().c_str(), e.value.value_or(-1.0), s.unit().c_str(),
                  m.details.value("path", "").c_str(), m.verification.detail.c_str());
    }
  }
}
