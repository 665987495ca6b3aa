// The node view of `bench --gpus`: the GPU list, the node aggregate and the outliers within a node.
#include <gtest/gtest.h>

#include "gpuprobe/bench/node.hpp"
#include "gpuprobe/report/load.hpp"

using namespace gpuprobe;
using namespace gpuprobe::bench;

namespace {

Benchmark gpu_entry(int gpu, double value, const std::string& name = "matmul/cublas/bf16") {
  Benchmark b;
  b.name = name;
  b.params = {{"m", 8192}, {"n", 8192}, {"k", 8192}};
  b.unit = "TFLOP/s";
  b.gpu = gpu;
  b.value = value;
  b.min = value - 1;
  b.max = value + 1;
  b.peak = 989;
  b.verified = true;
  return b;
}

std::vector<Benchmark> node_of(const std::vector<double>& values) {
  std::vector<Benchmark> v;
  for (std::size_t i = 0; i < values.size(); ++i) v.push_back(gpu_entry(static_cast<int>(i), values[i]));
  return v;
}

}  // namespace

TEST(GpuList, AllAndIndices) {
  EXPECT_EQ(resolve_gpu_list("all", 4), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(resolve_gpu_list("3,0", 4), (std::vector<int>{0, 3}));
  EXPECT_EQ(resolve_gpu_list("0", 1), (std::vector<int>{0}));
  EXPECT_EQ(check_gpu_list("0,3"), "");
}

TEST(GpuList, BadListsAreSaid) {
  for (const char* bad : {"", "x", "0,", ",1", "0,,1", "-1", "1.5", "0,0", "1024", "all,0"})
    EXPECT_NE(check_gpu_list(bad), "") << bad;
  EXPECT_NE(check_gpu_list("0,0").find("named twice"), std::string::npos);
  EXPECT_THROW(resolve_gpu_list("0,x", 8), std::invalid_argument);
  try {
    resolve_gpu_list("0,3", 2);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--gpus 0,3: this machine has 2 GPU(s) (0..1)");
  }
}

// Eight H100s at ~760 TFLOP/s, one at 600: the slow one is named, the sum is the node's.
TEST(NodeView, SumAndSlowGpu) {
  auto v = node_of({760, 762, 758, 761, 600, 759, 760, 763});
  const auto agg = node_aggregates(v, 8);
  ASSERT_EQ(agg.size(), 1u);
  const Benchmark& n = agg[0];
  EXPECT_EQ(n.scope, BenchScope::node);
  EXPECT_FALSE(n.gpu.has_value());
  EXPECT_EQ(n.status, BenchStatus::ok);
  EXPECT_DOUBLE_EQ(*n.value, 5923);
  EXPECT_DOUBLE_EQ(*n.min, 5915);
  EXPECT_DOUBLE_EQ(*n.max, 5931);
  EXPECT_DOUBLE_EQ(*n.peak, 8 * 989.0);
  EXPECT_NEAR(*n.peak_percent, 100.0 * 5923 / (8 * 989.0), 1e-9);
  EXPECT_EQ(n.verified, true);
  EXPECT_EQ(n.details["gpus"], 8);
  EXPECT_DOUBLE_EQ(n.details["per_gpu_median"].get<double>(), 760);
  ASSERT_EQ(n.details["outliers"].size(), 1u);
  EXPECT_EQ(n.details["outliers"][0]["gpu"], 4);

  const auto out = node_outliers(v);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].gpu, 4);
  EXPECT_DOUBLE_EQ(out[0].median, 760);
  EXPECT_NEAR(out[0].deviation, -160.0 / 760, 1e-12);
}

// Within the 5 % floor no GPU is an outlier however small the MAD; fewer than three GPUs: never.
TEST(NodeView, NoOutlierWithinTheFloorOrWithTwoGpus) {
  EXPECT_TRUE(node_outliers(node_of({760, 760, 760, 730})).empty());  // -3.9 %
  EXPECT_EQ(node_outliers(node_of({760, 760, 760, 700})).size(), 1u);  // -7.9 %
  EXPECT_TRUE(node_outliers(node_of({760, 100})).empty());
  // A faster GPU is not a problem.
  EXPECT_TRUE(node_outliers(node_of({760, 760, 760, 900})).empty());
}

TEST(NodeView, AFailedOrSkippedGpuHasNoNodeSum) {
  auto v = node_of({760, 760, 760});
  v[1].status = BenchStatus::failed;
  v[1].value.reset();
  auto agg = node_aggregates(v, 3);
  ASSERT_EQ(agg.size(), 1u);
  EXPECT_EQ(agg[0].status, BenchStatus::failed);
  EXPECT_EQ(agg[0].reason, "failed on GPU 1");
  EXPECT_FALSE(agg[0].value.has_value());

  v = node_of({760, 760, 760});
  v[0].status = v[2].status = BenchStatus::skipped;
  v[0].value.reset();
  v[2].value.reset();
  agg = node_aggregates(v, 3);
  EXPECT_EQ(agg[0].status, BenchStatus::skipped);
  EXPECT_EQ(agg[0].reason, "not measured on GPUs 0,2: no node sum");

  agg = node_aggregates(node_of({760, 760}), 3);
  EXPECT_EQ(agg[0].status, BenchStatus::skipped);
  EXPECT_EQ(agg[0].reason, "measured on 2 of 3 GPUs");
}

// Benchmarks apart, times have no sum, single-GPU entries (no gpu) are not grouped.
TEST(NodeView, PerBenchmarkAndUnit) {
  auto v = node_of({760, 762});
  v.push_back(gpu_entry(0, 2950, "memory/memcpy/d2d"));
  v.push_back(gpu_entry(1, 2940, "memory/memcpy/d2d"));
  Benchmark t = gpu_entry(0, 3, "p2p/memcpy/latency");
  t.unit = "us";
  v.push_back(t);
  Benchmark plain = gpu_entry(0, 1);
  plain.gpu.reset();
  v.push_back(plain);
  const auto agg = node_aggregates(v, 2);
  ASSERT_EQ(agg.size(), 2u);
  EXPECT_EQ(agg[0].name, "matmul/cublas/bf16");
  EXPECT_DOUBLE_EQ(*agg[0].value, 1522);
  EXPECT_EQ(agg[1].name, "memory/memcpy/d2d");
  EXPECT_DOUBLE_EQ(*agg[1].value, 5890);
}

// The --gpus table: one row per benchmark, the sum, each GPU's value, the slow GPU; the verdict's words.
TEST(NodeView, TableAndVerdictText) {
  auto v = node_of({760, 762, 758, 600});
  const auto node = node_aggregates(v, 4);
  const std::string t = render_node_table(v, node);
  EXPECT_NE(t.find("per GPU (0 1 2 3)"), std::string::npos) << t;
  EXPECT_NE(t.find("matmul/cublas/bf16"), std::string::npos) << t;
  EXPECT_NE(t.find("8192x8192x8192"), std::string::npos) << t;
  EXPECT_NE(t.find("2880 TFLOP/s  760 762 758 600  GPU 3 -21%"), std::string::npos) << t;
  EXPECT_EQ(outliers_text(node_outliers(v)), "slow GPU in the node: GPU 3 (matmul/cublas/bf16 -21%)");
}
