// The instance catalog: lookups, CUDA support by compute capability, prices and their override,
// perf per dollar in comparisons.
#include <gtest/gtest.h>

#include <stdexcept>

#include "gpuprobe/report/catalog.hpp"
#include "gpuprobe/report/compare.hpp"

namespace gpuprobe {
namespace {

using nlohmann::json;

TEST(Catalog, HasEveryFamilyOfTheIssue) {
  const Catalog& c = builtin_catalog();
  for (const char* name : {"p2.xlarge", "p3.2xlarge", "g4dn.xlarge", "g5.xlarge", "g6.xlarge", "g6e.xlarge",
                           "p4d.24xlarge", "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge"})
    EXPECT_NE(find_instance(c, name), nullptr) << name;
  EXPECT_EQ(find_instance(c, "g5.2xlarge"), nullptr);
}

TEST(Catalog, LookupsAndFacts) {
  const Catalog& c = builtin_catalog();
  const InstanceType* p5 = find_instance(c, "p5.48xlarge");
  ASSERT_NE(p5, nullptr);
  EXPECT_EQ(p5->gpu_count, 8);
  EXPECT_EQ(p5->gpu.cc_major, 9);
  EXPECT_EQ(*p5->gpu.memory_gb, 80);
  EXPECT_EQ(*p5->gpu.peak_mem_gb_s, 3350);
  const InstanceType* g5 = find_instance(c, "g5.xlarge");
  EXPECT_FALSE(g5->gpu.peak_fp32_tflops.has_value());  // the reference gives a range: unknown, not invented
  EXPECT_FALSE(find_instance(c, "p6-b200.48xlarge")->gpu.memory_gb.has_value());
  EXPECT_EQ(family_of("g5.2xlarge"), "g5");
  EXPECT_EQ(family_of("p6-b200.48xlarge"), "p6-b200");
  ASSERT_NE(find_family(c, "g5.12xlarge"), nullptr);
  EXPECT_EQ(find_family(c, "g5.12xlarge")->gpu.name, "A10G");
  EXPECT_EQ(find_family(c, "x1.large"), nullptr);
}

TEST(Catalog, PricesWithRegionAndDate) {
  const Catalog& c = builtin_catalog();
  EXPECT_EQ(c.prices.region, "us-east-1");
  EXPECT_FALSE(c.prices.date.empty());
  EXPECT_DOUBLE_EQ(*price_of(c, "g5.xlarge"), 1.006);
  EXPECT_DOUBLE_EQ(*price_of(c, "p5en.48xlarge"), 63.296);
  EXPECT_FALSE(price_of(c, "p5e.48xlarge").has_value());  // not in the reference: unknown
  EXPECT_FALSE(price_of(c, "g5.2xlarge").has_value());
}

TEST(Catalog, CudaSupportByComputeCapability) {
  EXPECT_TRUE(cuda_support(7, 5, 13).supported);   // T4
  EXPECT_FALSE(cuda_support(7, 0, 13).supported);  // V100: CUDA 13 dropped cc < 7.5
  EXPECT_NE(cuda_support(7, 0, 13).note.find("CUDA 12"), std::string::npos);
  EXPECT_TRUE(cuda_support(7, 0, 12).supported);
  EXPECT_FALSE(cuda_support(3, 7, 12).supported);  // K80
  EXPECT_NE(cuda_support(3, 7, 13).note.find("CUDA 11"), std::string::npos);
  EXPECT_TRUE(cuda_support(3, 7, 11).supported);
  EXPECT_TRUE(cuda_support(10, 0, 13).supported);
  EXPECT_FALSE(cuda_support(10, 0, 11).supported);
  EXPECT_EQ(cuda_major_of("13.0.88"), 13);
  EXPECT_EQ(cuda_major_of("12"), 12);
  EXPECT_EQ(cuda_major_of("x"), 0);
}

TEST(Catalog, PricesFile) {
  const PriceTable t = prices_from_json(
      json{{"region", "eu-west-1"}, {"date", "2026-11-01"}, {"prices", {{"g5.xlarge", 1.2}, {"g5.2xlarge", 1.5}}}});
  EXPECT_EQ(t.region, "eu-west-1");
  EXPECT_DOUBLE_EQ(t.per_hour.at("g5.2xlarge"), 1.5);
  EXPECT_THROW(prices_from_json(json::array()), std::invalid_argument);
  EXPECT_THROW(prices_from_json(json{{"region", "x"}, {"prices", json::object()}}), std::invalid_argument);  // no date
  EXPECT_THROW(prices_from_json(json{{"region", "x"}, {"date", "d"}, {"prices", {{"a", -1}}}}), std::invalid_argument);
  EXPECT_THROW(prices_from_json(json{{"region", "x"}, {"date", "d"}, {"prices", {{"a", "1"}}}}), std::invalid_argument);
}

TEST(Catalog, PerfPerDollarInAComparison) {
  Report a, b;
  a.host.cloud = CloudInfo{"aws", "g6.xlarge", std::nullopt};
  b.label = "g5.xlarge";  // a label that names an instance type counts (Xen instances lack it in DMI)
  a.benchmarks = benchmarks_from_json(json::array({json{{"name", "mm"}, {"unit", "TFLOP/s"}, {"value", 80.5}}}));
  b.benchmarks = benchmarks_from_json(json::array({json{{"name", "mm"}, {"unit", "TFLOP/s"}, {"value", 100.6}}}));
  Comparison c = compare_reports({a, b}, {}, 0.05);
  attach_prices(c, builtin_catalog());
  EXPECT_EQ(c.columns[1].instance_type, "g5.xlarge");
  EXPECT_DOUBLE_EQ(*perf_per_dollar(c.benchmarks[0], 0, c), 80.5 / 0.805);
  EXPECT_DOUBLE_EQ(*perf_per_dollar(c.benchmarks[0], 1, c), 100.6 / 1.006);
  EXPECT_NE(c.prices_note.find("us-east-1"), std::string::npos);
  // No price, or a lower-is-better unit: none.
  Catalog no_prices = builtin_catalog();
  no_prices.prices.per_hour.clear();
  attach_prices(c, no_prices);
  EXPECT_FALSE(perf_per_dollar(c.benchmarks[0], 0, c).has_value());
}

// The interconnect of each type with its source and date; unknown where no source confirmed it.
TEST(Catalog, InterconnectWithSourcesUnknownWhereNotConfirmed) {
  const Catalog& c = builtin_catalog();
  for (const auto& i : c.instances) {
    EXPECT_FALSE(i.interconnect.source.empty()) << i.name;
    EXPECT_FALSE(i.interconnect.as_of.empty()) << i.name;
    // One-GPU types have no GPU-to-GPU link; eight-GPU types go through NVSwitch.
    if (i.gpu_count == 1) EXPECT_EQ(i.interconnect.gpu_link, "none (one GPU)") << i.name;
    else EXPECT_NE(i.interconnect.gpu_link.find("NVSwitch"), std::string::npos) << i.name;
  }
  const Interconnect& p5 = find_instance(c, "p5.48xlarge")->interconnect;
  EXPECT_EQ(p5.gpu_link, "NVLink 4 through NVSwitch");
  EXPECT_EQ(*p5.nvlink_gb_s, 900);  // H100 SXM datasheet, per GPU, both directions
  EXPECT_EQ(*p5.efa_interfaces, 32);
  EXPECT_EQ(*p5.efa_gbps, 3200);
  const Interconnect& p4d = find_instance(c, "p4d.24xlarge")->interconnect;
  EXPECT_EQ(p4d.gpu_link, "NVLink 3 through NVSwitch");
  EXPECT_EQ(*p4d.nvlink_gb_s, 600);
  EXPECT_EQ(*p4d.efa_gbps, 400);
  EXPECT_EQ(find_instance(c, "g5.xlarge")->interconnect.pcie, "unknown");  // A10G: no NVIDIA datasheet
  EXPECT_FALSE(find_instance(c, "p6-b200.48xlarge")->interconnect.efa_interfaces.has_value());
  EXPECT_EQ(*find_instance(c, "g4dn.xlarge")->interconnect.efa_interfaces, 0);
}

TEST(Catalog, GpuCountReachesTheComparison) {
  Report r;
  r.label = "p5.48xlarge";
  Comparison c = compare_reports({r}, {}, 0.05);
  attach_prices(c, builtin_catalog());
  EXPECT_EQ(c.columns[0].instance_gpus, 8);
  EXPECT_NEAR(*price_per_gpu_hour(c.columns[0]), 55.04 / 8, 1e-12);
  Catalog priced_only = builtin_catalog();  // priced by a --prices file, not in the catalog: count unknown
  priced_only.prices.per_hour = {{"g5.12xlarge", 5.672}};
  Report g;
  g.label = "g5.12xlarge";
  Comparison d = compare_reports({g}, {}, 0.05);
  attach_prices(d, priced_only);
  EXPECT_TRUE(d.columns[0].price_per_hour.has_value());
  EXPECT_FALSE(d.columns[0].instance_gpus.has_value());
  EXPECT_FALSE(price_per_gpu_hour(d.columns[0]).has_value());
}

TEST(Catalog, InstancesMarkdownHasTheInterconnectWithItsSources) {
  const std::string md = render_instances_markdown(builtin_catalog(), 13, "13.0.88");
  EXPECT_NE(md.find("| p4d.24xlarge | NVLink 3 through NVSwitch | 600 | PCIe 4.0 x16 | 4 × EFA, 400 Gbps | A100 datasheet"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("taken 2025-06"), std::string::npos);
}

TEST(Catalog, InstancesJson) {
  const json j = instances_to_json(builtin_catalog(), 13, "13.0.88");
  EXPECT_EQ(j["prices"]["region"], "us-east-1");
  EXPECT_EQ(j["instances"].size(), builtin_catalog().instances.size());
  for (const auto& i : j["instances"])
    if (i["instance_type"] == "p3.2xlarge") {
      EXPECT_FALSE(i["supported_by_this_build"].get<bool>());
    }
  for (const auto& i : j["instances"])
    if (i["instance_type"] == "p5.48xlarge") {
      EXPECT_EQ(i["gpu_count"], 8);
      EXPECT_EQ(i["interconnect"]["gpu_link"], "NVLink 4 through NVSwitch");
      EXPECT_EQ(i["interconnect"]["nvlink_gb_per_s"], 900.0);
      EXPECT_EQ(i["interconnect"]["efa_interfaces"], 32);
      EXPECT_FALSE(i["interconnect"]["source"].get<std::string>().empty());
    }
}

}  // namespace
}  // namespace gpuprobe
