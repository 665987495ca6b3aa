// The nccl benchmarks without a GPU: nccl-tests' bus-bandwidth factors (doc/PERFORMANCE.md of
// NVIDIA/nccl-tests) and the family's rows in the table.
#include <gtest/gtest.h>

#include "gpuprobe/bench/harness.hpp"
#include "gpuprobe/bench/nccl_busbw.hpp"
#include "gpuprobe/bench/spec.hpp"

namespace gpuprobe {
namespace {

TEST(Nccl, BusBandwidthFactorsOfNcclTests) {
  using bench::nccl_busbw_factor;
  // doc/PERFORMANCE.md: AllReduce 2(n-1)/n, ReduceScatter and AllGather (n-1)/n.
  EXPECT_DOUBLE_EQ(nccl_busbw_factor(NcclCollective::all_reduce, 8), 1.75);
  EXPECT_DOUBLE_EQ(nccl_busbw_factor(NcclCollective::all_reduce, 2), 1.0);
  EXPECT_DOUBLE_EQ(nccl_busbw_factor(NcclCollective::all_reduce, 4), 1.5);
  EXPECT_DOUBLE_EQ(nccl_busbw_factor(NcclCollective::all_gather, 8), 0.875);
  EXPECT_DOUBLE_EQ(nccl_busbw_factor(NcclCollective::reduce_scatter, 2), 0.5);
  // One rank: nothing crosses a link.
  EXPECT_DOUBLE_EQ(nccl_busbw_factor(NcclCollective::all_reduce, 1), 0.0);
  EXPECT_DOUBLE_EQ(nccl_busbw_factor(NcclCollective::all_gather, 1), 0.0);
  NcclCollective c;
  ASSERT_TRUE(bench::nccl_collective_from_string("reduce_scatter", c));
  EXPECT_EQ(c, NcclCollective::reduce_scatter);
  EXPECT_FALSE(bench::nccl_collective_from_string("broadcast", c));
}

TEST(Nccl, BenchTableRows) {
  const auto smoke = bench::select_benchmarks(bench::Suite::smoke, "^nccl/");
  ASSERT_EQ(smoke.size(), 1u);
  EXPECT_EQ(smoke[0].gb_name(), "nccl/nccl/all_reduce/bytes:33554432");
  EXPECT_EQ(smoke[0].unit(), "GB/s");
  EXPECT_TRUE(smoke[0].is_library());
  const auto standard = bench::select_benchmarks(bench::Suite::standard, "^nccl/");
  EXPECT_EQ(standard.size(), 9u);  // three collectives at 1, 32 and 256 MiB
  const auto full = bench::select_benchmarks(bench::Suite::full, "^nccl/");
  EXPECT_EQ(full.size(), 15u);
  for (const auto& b : full) EXPECT_DOUBLE_EQ(b.work, static_cast<double>(b.bytes));
}

// The report entry: the value is algbw (S / median time), busbw beside it from the workload's factor,
// and no peak (a host link's rate is not what a collective runs against).
TEST(NcclBench, EntryCarriesAlgbwBusbwAndNoPeak) {
  const auto specs = bench::select_benchmarks(bench::Suite::smoke, "^nccl/");
  ASSERT_EQ(specs.size(), 1u);
  bench::Measurement m;
  m.samples = {0.002, 0.001, 0.001};
  m.verification = {true, "exact"};
  m.details = {{"ranks", 8}, {"busbw_factor", bench::nccl_busbw_factor(NcclCollective::all_reduce, 8)}};
  const Benchmark e = bench::to_entry(specs[0], m, bench::GpuPeaks{}, 25.0);
  ASSERT_TRUE(e.value.has_value());
  EXPECT_DOUBLE_EQ(*e.value, 33554432 / 0.001 / 1e9);
  EXPECT_DOUBLE_EQ(e.details["busbw_gb_s"].get<double>(), *e.value * 1.75);
  EXPECT_FALSE(e.peak_percent.has_value());
  EXPECT_EQ(e.implementation, "library");
}

}  // namespace
}  // namespace gpuprobe
