// The benchmark table: suites, filter, sizes, names and the baseline of every hand-written kernel.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "gpuprobe/bench/spec.hpp"

using namespace gpuprobe::bench;

namespace {

std::set<std::string> names(const std::vector<BenchSpec>& v) {
  std::set<std::string> s;
  for (const auto& b : v) s.insert(b.name());
  return s;
}

}  // namespace

TEST(BenchSpec, SuitesNestAndGrow) {
  const auto smoke = select_benchmarks(Suite::smoke, "");
  const auto standard = select_benchmarks(Suite::standard, "");
  const auto full = select_benchmarks(Suite::full, "");
  EXPECT_GT(smoke.size(), 15u);
  EXPECT_GT(standard.size(), smoke.size());
  EXPECT_GT(full.size(), standard.size());
  // Every family and every implementation of the table is in smoke at least once.
  for (const char* n : {"matmul/cublas/fp32", "matmul/cublas/tf32", "matmul/cublas/fp16", "matmul/cublas/bf16",
                        "matmul/cublaslt/fp8", "matmul/naive/fp32", "matmul/smem_tiled/fp32",
                        "matmul/register_blocked/fp32", "matmul/warp_tiled/fp32", "matmul/mma_sync/bf16", "matmul/wgmma/bf16",
                        "conv/cudnn/fp32", "conv/implicit_gemm/fp32", "conv/direct/fp32", "memory/memcpy/d2d",
                        "memory/stream/copy", "memory/stream/triad", "memory/stream/reduce",
                        "memory/memcpy/h2d_pinned", "memory/memcpy/d2h_pinned"})
    EXPECT_TRUE(names(smoke).count(n)) << n;
  // Pageable copies and the DeepBench shapes only from standard on.
  EXPECT_FALSE(names(smoke).count("memory/memcpy/h2d_pageable"));
  EXPECT_TRUE(names(standard).count("memory/memcpy/h2d_pageable"));
  // Every smoke benchmark is in standard and full too, with the same identity.
  std::set<std::string> full_ids;
  for (const auto& b : full) full_ids.insert(b.gb_name());
  for (const auto& b : smoke) EXPECT_TRUE(full_ids.count(b.gb_name())) << b.gb_name();
}

TEST(BenchSpec, NamesAreUniqueAndStable) {
  const auto full = all_benchmarks();
  std::set<std::string> seen;
  for (const auto& b : full) EXPECT_TRUE(seen.insert(b.gb_name()).second) << "duplicate " << b.gb_name();
  const auto bf16 = select_benchmarks(Suite::smoke, "^matmul/cublas/bf16/");
  ASSERT_EQ(bf16.size(), 1u);
  EXPECT_EQ(bf16[0].gb_name(), "matmul/cublas/bf16/m:4096/n:4096/k:4096");
  EXPECT_EQ(bf16[0].name(), "matmul/cublas/bf16");
  EXPECT_EQ(bf16[0].params["dtype"], "bf16");
  EXPECT_EQ(bf16[0].unit(), "TFLOP/s");
  EXPECT_DOUBLE_EQ(bf16[0].work, 2.0 * 4096.0 * 4096.0 * 4096.0);
  EXPECT_TRUE(bf16[0].is_library());
}

TEST(BenchSpec, EveryBaselineExistsWithTheSameParamsInTheSameSuite) {
  for (Suite s : {Suite::smoke, Suite::standard, Suite::full}) {
    const auto v = select_benchmarks(s, "");
    std::set<std::string> keys;
    for (const auto& b : v) keys.insert(b.name() + " " + b.params.dump());
    for (const auto& b : v) {
      if (b.baseline.empty()) continue;
      EXPECT_FALSE(b.is_library()) << b.name();
      nlohmann::json params = b.params;
      EXPECT_TRUE(keys.count(b.baseline + " " + params.dump()))
          << b.gb_name() << " in " << to_string(s) << " has no " << b.baseline;
    }
  }
}

TEST(BenchSpec, WorkIsCountedPerFamily) {
  for (const auto& b : all_benchmarks()) {
    EXPECT_GT(b.work, 0) << b.gb_name();
    switch (b.family) {
      case Family::matmul:
        EXPECT_DOUBLE_EQ(b.work, 2.0 * b.gemm.m * b.gemm.n * static_cast<double>(b.gemm.k));
        EXPECT_EQ(b.unit(), "TFLOP/s");
        break;
      case Family::conv:
        EXPECT_TRUE(b.conv.valid()) << b.gb_name();
        EXPECT_DOUBLE_EQ(b.work, b.conv.flops());
        break;
      case Family::memory:
        EXPECT_EQ(b.unit(), "GB/s");
        EXPECT_GE(b.work, static_cast<double>(b.bytes));
        EXPECT_GE(b.bytes, 256ull << 20) << "memory buffers must dwarf any L2";
        break;
      case Family::nccl:  // algbw: nccl-tests' size S per collective
        EXPECT_EQ(b.unit(), "GB/s");
        EXPECT_DOUBLE_EQ(b.work, static_cast<double>(b.bytes));
        break;
      case Family::p2p:  // bytes over the link (both ways: twice), or the copies of a latency run
        EXPECT_EQ(b.unit(), b.variant == "latency" ? "us" : "GB/s");
        EXPECT_DOUBLE_EQ(b.work, b.variant == "latency" ? 100.0 : (b.variant == "bidi" ? 2.0 : 1.0) * static_cast<double>(b.bytes));
        break;
    }
  }
  // Counting convention: a copy reads and writes, triad reads two arrays and writes one.
  const auto copy = select_benchmarks(Suite::smoke, "^memory/stream/copy/");
  const auto triad = select_benchmarks(Suite::smoke, "^memory/stream/triad/");
  ASSERT_EQ(copy.size(), 1u);
  ASSERT_EQ(triad.size(), 1u);
  EXPECT_DOUBLE_EQ(copy[0].work, 2.0 * copy[0].bytes);
  EXPECT_DOUBLE_EQ(triad[0].work, 3.0 * triad[0].bytes);
}

TEST(BenchSpec, ResNetLayerShapes) {
  const auto v = select_benchmarks(Suite::full, "^conv/cudnn/fp32/");
  std::map<std::string, gpuprobe::ConvShape> by_label;
  for (const auto& b : v) by_label[b.label] = b.conv;
  ASSERT_TRUE(by_label.count("resnet50 conv2_x 3x3"));
  const auto& c2 = by_label["resnet50 conv2_x 3x3"];
  EXPECT_EQ(c2.p(), 56);
  EXPECT_EQ(c2.q(), 56);
  const auto& c1 = by_label["resnet50 conv1 7x7/2"];
  EXPECT_EQ(c1.p(), 112);  // 224 -> 112 with pad 3, stride 2
  const auto& c3s = by_label["resnet50 conv3_x 3x3/2"];
  EXPECT_EQ(c3s.p(), 28);
  // 3x3 conv FLOPs: 2 * N*P*Q*K * R*S*C
  EXPECT_DOUBLE_EQ(c2.flops(), 2.0 * 32 * 56 * 56 * 64 * 9 * 64);
}

TEST(BenchSpec, FilterIsARegexSearchOverGoogleBenchmarkNames) {
  const auto bf16 = select_benchmarks(Suite::standard, "matmul/.*bf16");
  ASSERT_FALSE(bf16.empty());
  for (const auto& b : bf16) {
    EXPECT_EQ(b.family, Family::matmul);
    EXPECT_EQ(b.variant, "bf16");
  }
  EXPECT_TRUE(select_benchmarks(Suite::smoke, "no-such-benchmark").empty());
  EXPECT_THROW(select_benchmarks(Suite::smoke, "(["), std::invalid_argument);
}

TEST(BenchSpec, SizesReplaceTheSquareGemmSizes) {
  SelectOptions o;
  o.sizes = {512, 8192};
  const auto v = select_benchmarks(Suite::smoke, "^matmul/", o);
  std::set<int> sizes;
  for (const auto& b : v) {
    EXPECT_EQ(b.label, "square") << "no DeepBench shapes with --sizes";
    EXPECT_EQ(b.gemm.m, b.gemm.n);
    sizes.insert(b.gemm.m);
  }
  EXPECT_EQ(sizes, (std::set<int>{512, 8192}));
  // Convolutions and memory are not sized by --sizes and stay.
  EXPECT_FALSE(select_benchmarks(Suite::smoke, "^conv/", o).empty());
}

TEST(BenchSpec, ParseSizes) {
  EXPECT_EQ(parse_sizes("4096"), std::vector<int>{4096});
  EXPECT_EQ(parse_sizes("4096,8192"), (std::vector<int>{4096, 8192}));
  for (const char* bad : {"", ",", "4096,", "-1", "0", "4k", "70000", "1 024", "4096,,8192"})
    EXPECT_THROW(parse_sizes(bad), std::invalid_argument) << bad;
}

TEST(BenchSpec, SuiteNames) {
  for (Suite s : {Suite::smoke, Suite::standard, Suite::full}) EXPECT_EQ(suite_from_string(to_string(s)), s);
  EXPECT_FALSE(suite_from_string("quick").has_value());
}
