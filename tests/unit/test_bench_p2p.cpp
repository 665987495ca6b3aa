// The p2p family's host side: the pairs, the link's nominal rate, the matrix text, latency entries.
#include <gtest/gtest.h>

#include "gpuprobe/bench/harness.hpp"
#include "gpuprobe/bench/p2p.hpp"
#include "gpuprobe/report/render.hpp"

using namespace gpuprobe;
using namespace gpuprobe::bench;

namespace {
BenchSpec family(const std::string& name) {
  for (const auto& s : select_benchmarks(Suite::standard, "^p2p/"))
    if (s.name() == name) return s;
  ADD_FAILURE() << name;
  return {};
}
}  // namespace

TEST(P2p, TheFamilyIsInStandardAndFullNotSmoke) {
  EXPECT_EQ(select_benchmarks(Suite::standard, "^p2p/").size(), 5u);
  EXPECT_EQ(select_benchmarks(Suite::full, "^p2p/").size(), 5u);
  EXPECT_TRUE(select_benchmarks(Suite::smoke, "^p2p/").empty());
  const BenchSpec bidi = family("p2p/memcpy/bidi");
  EXPECT_EQ(bidi.unit(), "GB/s");
  EXPECT_DOUBLE_EQ(bidi.work, 2.0 * 64 * 1024 * 1024);
  EXPECT_EQ(family("p2p/memcpy/latency").unit(), "us");
  EXPECT_EQ(bidi.gb_name(), "p2p/memcpy/bidi/bytes:67108864");
}

TEST(P2p, EveryOrderedPair) {
  const BenchSpec uni = family("p2p/sm/uni");
  EXPECT_TRUE(p2p_pair_specs(uni, {0}).empty());
  const auto pairs = p2p_pair_specs(uni, {0, 2, 3});
  ASSERT_EQ(pairs.size(), 6u);
  EXPECT_EQ(pairs[0].src, 0);
  EXPECT_EQ(pairs[0].dst, 2);
  EXPECT_EQ(pairs[2].src, 2);
  EXPECT_EQ(pairs[2].dst, 0);
  EXPECT_EQ(pairs[0].params, (nlohmann::json{{"bytes", 67108864}, {"src", 0}, {"dst", 2}}));
  EXPECT_EQ(pairs[5].gb_name(), "p2p/sm/uni/bytes:67108864/src:3/dst:2");
  EXPECT_EQ(shape_text(pairs[5].params), "3→2 64 MiB");
}

// p5: NVLink 4, 900 GB/s per GPU counting both directions: 450 one way. A one-GPU type or one the
// catalog does not know: no nominal rate.
TEST(P2p, NominalLinkRate) {
  const Catalog& c = builtin_catalog();
  const P2pLink p5 = p2p_link(find_instance(c, "p5.48xlarge"), 63.0);
  ASSERT_TRUE(p5.gb_s);
  EXPECT_DOUBLE_EQ(*p5.gb_s, 450);
  EXPECT_NE(p5.what.find("NVLink 4"), std::string::npos);
  EXPECT_DOUBLE_EQ(*p2p_link(find_instance(c, "p4d.24xlarge"), 31.5).gb_s, 300);
  EXPECT_FALSE(p2p_link(find_instance(c, "g6.xlarge"), 31.5).gb_s);
  EXPECT_FALSE(p2p_link(nullptr, 31.5).gb_s);
  InstanceType pcie_only;
  pcie_only.name = "g5.12xlarge";
  pcie_only.interconnect.gpu_link = "PCIe only";
  EXPECT_DOUBLE_EQ(*p2p_link(&pcie_only, 31.5).gb_s, 31.5);
  EXPECT_FALSE(p2p_link(&pcie_only, std::nullopt).gb_s);
}

// A latency entry is µs per copy: the run's time over its copies, lower is better, no peak.
TEST(P2p, LatencyEntry) {
  BenchSpec lat = p2p_pair_specs(family("p2p/memcpy/latency"), {0, 1})[0];
  Measurement m;
  m.samples = {200e-6, 210e-6, 190e-6};
  m.verification = {true, "1 of 1 copied words as sent"};
  const Benchmark e = to_entry(lat, m, {}, 450.0);
  EXPECT_EQ(e.unit, "us");
  EXPECT_NEAR(*e.value, 2.0, 1e-12);
  EXPECT_NEAR(*e.min, 1.9, 1e-12);
  EXPECT_NEAR(*e.max, 2.1, 1e-12);
  EXPECT_FALSE(e.peak_percent);
  EXPECT_FALSE(higher_is_better(e.unit));
}

TEST(P2p, MatrixText) {
  std::vector<Benchmark> entries;
  const auto pairs = p2p_pair_specs(family("p2p/memcpy/uni"), {0, 1, 2});
  for (const auto& s : pairs) {
    Benchmark b;
    b.name = s.name();
    b.params = s.params;
    b.unit = "GB/s";
    b.value = 400 + s.src * 10 + s.dst;
    b.peak_percent = 90;
    if (s.src == 2 && s.dst == 0) {
      b.status = BenchStatus::failed;
      b.value.reset();
    }
    entries.push_back(b);
  }
  Benchmark one;
  one.name = "p2p/sm/uni";
  one.status = BenchStatus::skipped;
  one.reason = kP2pOneGpu;
  entries.push_back(one);
  const std::string t = render_p2p_matrices(entries);
  EXPECT_NE(t.find("p2p/sm/uni: skipped (one GPU: no peer pairs)"), std::string::npos) << t;
  EXPECT_NE(t.find("p2p/memcpy/uni 64 MiB [GB/s, % of the link], row → column"), std::string::npos) << t;
  EXPECT_NE(t.find("     0          -    401 90%    402 90%\n"), std::string::npos) << t;
  EXPECT_NE(t.find("     2       FAIL    421 90%          -\n"), std::string::npos) << t;
}
