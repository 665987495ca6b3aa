// The fleet view (gpuprobe/report/fleet.hpp): reading JSON lines, the per-check counts with the
// failing nodes, the robust outlier rule (median, MAD, minimum deviation) and the renderers.
#include <gtest/gtest.h>

#include <cmath>

#include "fixture_reports.hpp"
#include "gpuprobe/report/fleet.hpp"

namespace gpuprobe {
namespace {

using gpuprobe::testing::fixture;

// A fleet of `nodes` copies of the g5 fixture (one A10G each), named node-0…, with benchmark values
// spread by ±1 % around the fixture's.
FleetInput fleet_of(std::size_t nodes) {
  const Report base = fixture("g5");
  FleetInput in;
  for (std::size_t i = 0; i < nodes; ++i) {
    Report r = base;
    r.label = "node-" + std::to_string(i);
    r.host.hostname = "ip-" + std::to_string(i);
    const double jitter = 1.0 + 0.01 * std::sin(static_cast<double>(i));
    for (auto& b : r.benchmarks) *b.value *= jitter;
    in.reports.push_back(std::move(r));
    in.origins.push_back("fleet.jsonl:" + std::to_string(i + 1));
  }
  return in;
}

const FleetBench* find_bench(const Fleet& f, const std::string& name) {
  for (const auto& b : f.benchmarks)
    if (b.name == name) return &b;
  return nullptr;
}

const FleetCheck* find_check(const Fleet& f, const std::string& id) {
  for (const auto& c : f.checks)
    if (c.id == id) return &c;
  return nullptr;
}

TEST(Fleet, MedianAndMad) {
  std::vector<double> v{1, 2, 3, 4, 100};
  const MedianMad m = median_mad(v);
  EXPECT_DOUBLE_EQ(m.median, 3);
  EXPECT_DOUBLE_EQ(m.mad, 1);  // |x - 3|: 2 1 0 1 97
  std::vector<double> even{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(median_mad(even).median, 2.5);
  std::vector<double> none;
  EXPECT_DOUBLE_EQ(median_mad(none).median, 0);
}

TEST(Fleet, ThresholdIsTheLargerOfMadAndMinimumDeviationOnTheSlowSide) {
  FleetOptions o;  // k 3.5, 5 %
  // 3.5 · 1.4826 · 10 = 51.9 > 5 % of 100
  EXPECT_NEAR(outlier_threshold(100, 10, true, o), 100 - 51.891, 1e-9);
  EXPECT_NEAR(outlier_threshold(100, 10, false, o), 100 + 51.891, 1e-9);
  // MAD 0 (a uniform fleet): the minimum deviation decides
  EXPECT_DOUBLE_EQ(outlier_threshold(100, 0, true, o), 95);
  EXPECT_DOUBLE_EQ(outlier_threshold(2, 0, false, o), 2.1);
}

TEST(Fleet, UniformFleetPassesAndFlagsNone) {
  const Fleet f = analyze_fleet(fleet_of(200));
  EXPECT_EQ(f.exit_code, 0) << f.verdict;
  EXPECT_EQ(f.nodes.size(), 200u);
  for (const auto& b : f.benchmarks) {
    EXPECT_TRUE(b.outliers.empty()) << b.name;
    EXPECT_EQ(b.count, 200u);
    EXPECT_EQ(b.gpu_model, "NVIDIA A10G");
  }
  const FleetCheck* driver = find_check(f, "driver");
  ASSERT_NE(driver, nullptr);
  EXPECT_EQ(driver->pass, 200u);
  EXPECT_TRUE(driver->failing.empty());
  EXPECT_EQ(f.verdict.rfind("PASS: 200 nodes", 0), 0u) << f.verdict;

  // Identical values: MAD 0 and still no outlier.
  FleetInput same = fleet_of(50);
  for (auto& r : same.reports)
    for (auto& b : r.benchmarks) b.value = 62.0;
  EXPECT_EQ(analyze_fleet(same).exit_code, 0);
}

TEST(Fleet, PlantedFailingNodeIsCountedAndNamed) {
  FleetInput in = fleet_of(1000);
  for (auto& c : in.reports[417].checks)
    if (c.id == "memory") {
      c.status = Status::fail;
      c.reason = "memory_errors";
      c.message = "3 bit flips";
    }
  in.reports[417].exit_code = 1;
  const Fleet f = analyze_fleet(in);
  EXPECT_EQ(f.exit_code, 1);
  const FleetCheck* mem = find_check(f, "memory");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->pass, 999u);
  EXPECT_EQ(mem->fail, 1u);
  ASSERT_EQ(mem->failing.size(), 1u);
  EXPECT_EQ(mem->failing[0].node, "node-417");
  EXPECT_EQ(mem->failing[0].reason, "memory_errors");
  EXPECT_TRUE(f.nodes[417].failed);
  EXPECT_EQ(f.nodes[417].why, "check memory failed (memory_errors)");
  EXPECT_EQ(f.nodes[417].origin, "fleet.jsonl:418");
  EXPECT_NE(f.verdict.find("1 of 1000 nodes failed"), std::string::npos) << f.verdict;
}

TEST(Fleet, PlantedSlowGpuIsTheOnlyOutlier) {
  FleetInput in = fleet_of(1000);
  for (auto& b : in.reports[42].benchmarks)
    if (b.name == "matmul/cublas/bf16") *b.value *= 0.8;
  const Fleet f = analyze_fleet(in);
  EXPECT_EQ(f.exit_code, 1);
  const FleetBench* mm = find_bench(f, "matmul/cublas/bf16");
  ASSERT_NE(mm, nullptr);
  ASSERT_EQ(mm->outliers.size(), 1u);
  EXPECT_EQ(mm->outliers[0].node, "node-42");
  EXPECT_NEAR(mm->outliers[0].deviation, -0.2, 0.02);
  EXPECT_NEAR(mm->median, 62.0, 0.7);
  EXPECT_TRUE(find_bench(f, "copy/d2d")->outliers.empty());
  EXPECT_NE(f.verdict.find("node-42"), std::string::npos) << f.verdict;
  // A faster node is no fault.
  FleetInput fast = fleet_of(100);
  for (auto& b : fast.reports[3].benchmarks) *b.value *= 1.5;
  EXPECT_EQ(analyze_fleet(fast).exit_code, 0);
}

TEST(Fleet, LowerIsBetterUnitsFlagTheSlowerTimes) {
  FleetInput in = fleet_of(30);
  for (std::size_t i = 0; i < in.reports.size(); ++i) {
    Benchmark b;
    b.name = "launch/empty";
    b.unit = "us";
    b.value = i == 7 ? 4.0 : 2.0 + 0.01 * static_cast<double>(i % 3);
    in.reports[i].benchmarks.push_back(b);
  }
  const Fleet f = analyze_fleet(in);
  const FleetBench* launch = find_bench(f, "launch/empty");
  ASSERT_NE(launch, nullptr);
  EXPECT_FALSE(launch->higher_better);
  ASSERT_EQ(launch->outliers.size(), 1u);
  EXPECT_EQ(launch->outliers[0].node, "node-7");
  EXPECT_GT(launch->outliers[0].deviation, 0.9);
}

TEST(Fleet, PerGpuEntriesAreNamedByIndexAndGroupedWithoutIt) {
  FleetInput in = fleet_of(20);
  for (auto& r : in.reports) {
    r.benchmarks.clear();
    r.gpus.resize(8, r.gpus.at(0));
    for (int g = 0; g < 8; ++g) {
      Benchmark b;
      b.name = "matmul/cublas/bf16";
      b.unit = "TFLOP/s";
      b.params = {{"m", 8192}, {"gpu", g}};
      b.value = 60.0 + 0.1 * g;
      r.benchmarks.push_back(b);
    }
  }
  in.reports[5].benchmarks[3].value = 40.0;
  in.reports[6].benchmarks[2].extra["gpu"] = 2;  // the field form
  const Fleet f = analyze_fleet(in);
  ASSERT_EQ(f.benchmarks.size(), 1u);
  EXPECT_EQ(f.benchmarks[0].count, 160u);
  EXPECT_EQ(f.benchmarks[0].params, "m=8192");
  ASSERT_EQ(f.benchmarks[0].outliers.size(), 1u);
  EXPECT_EQ(f.benchmarks[0].outliers[0].node, "node-5");
  EXPECT_EQ(f.benchmarks[0].outliers[0].gpu, 3);
}

TEST(Fleet, NodesNamedByLabelElseHostnameAndNewestReportCounts) {
  Report a = fixture("g5");  // label g5.xlarge: the instance type, gpuprobe's default
  Report older = a;
  older.created_at = "2026-01-01T00:00:00Z";
  for (auto& c : older.checks) c.status = Status::fail;  // an hour ago; fixed since
  FleetInput in;
  for (const Report* r : {&older, &a}) {
    in.reports.push_back(*r);
    in.origins.push_back("x");
  }
  const Fleet f = analyze_fleet(in);
  ASSERT_EQ(f.nodes.size(), 1u);
  EXPECT_EQ(f.nodes[0].name, "ip-10-0-1-5");
  EXPECT_EQ(f.nodes[0].instance_type, "g5.xlarge");
  EXPECT_EQ(f.reports_superseded, 1u);
  EXPECT_EQ(f.exit_code, 0) << f.verdict;
}

TEST(Fleet, JsonLinesWithTableLinesAndMalformedLines) {
  const std::string line = to_json(fixture("g5")).dump();
  const std::string text = "CHECK  RESULT\n" + line + "\n\n{\"schema\": \"gpuprobe.report/1\"\n{not json\n" + line + "\n";
  FleetInput in;
  read_fleet_text(text, "logs.txt", in);
  EXPECT_EQ(in.reports.size(), 2u);
  EXPECT_EQ(in.other_lines, 1u);
  ASSERT_EQ(in.problems.size(), 2u);
  EXPECT_EQ(in.problems[0].line, 4u);
  EXPECT_EQ(in.problems[1].line, 5u);
  EXPECT_EQ(in.problems[0].origin, "logs.txt");
  EXPECT_EQ(in.origins[1], "logs.txt:6");
  EXPECT_NE(in.problems[1].message.find("not valid JSON"), std::string::npos) << in.problems[1].message;
}

TEST(Fleet, ManyLinesParsedInParallelKeepTheInputOrder) {
  Report r = fixture("g5");
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    r.label = "node-" + std::to_string(i);
    text += (i == 500 ? std::string("{truncated") : to_json(r).dump()) + "\n";
  }
  FleetInput in;
  read_fleet_text(text, "-", in);
  ASSERT_EQ(in.reports.size(), 999u);
  for (std::size_t i = 0; i < in.reports.size(); ++i) {
    const std::size_t n = i < 500 ? i : i + 1;
    ASSERT_EQ(in.reports[i].label, "node-" + std::to_string(n));
    ASSERT_EQ(in.origins[i], "-:" + std::to_string(n + 1));
  }
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].line, 501u);
}

TEST(Fleet, AnIndentedReportFileIsOneReport) {
  FleetInput in;
  read_fleet_text(to_json(fixture("p5")).dump(2) + "\n", "p5.json", in);
  ASSERT_EQ(in.reports.size(), 1u);
  EXPECT_TRUE(in.problems.empty());
  EXPECT_EQ(in.reports[0].label, "p5.48xlarge");
}

TEST(Fleet, RenderersNameTheFailuresAndBoundTheirLists) {
  FleetInput in = fleet_of(300);
  for (std::size_t i = 0; i < 25; ++i)
    for (auto& c : in.reports[i * 10].checks)
      if (c.id == "cudnn") c.status = Status::fail;
  in.problems.push_back({"fleet.jsonl", 9, "not valid JSON"});
  const Fleet f = analyze_fleet(in);
  const std::string md = render_fleet_markdown(f);
  EXPECT_NE(md.find("### gpuprobe fleet"), std::string::npos);
  EXPECT_NE(md.find("node-0, node-10"), std::string::npos);
  EXPECT_NE(md.find("and 15 more"), std::string::npos);
  EXPECT_NE(md.find("fleet.jsonl:9"), std::string::npos);
  const std::string text = render_fleet_text(f);
  EXPECT_NE(text.find("cudnn"), std::string::npos);
  EXPECT_NE(text.find("FAIL: 25 of 300 nodes failed"), std::string::npos) << text;
  const std::string html = render_fleet_html(f);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("node-240"), std::string::npos);
  const nlohmann::json j = fleet_to_json(f);
  EXPECT_EQ(j["schema"], "gpuprobe.fleet/1");
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["nodes"].size(), 300u);
  EXPECT_EQ(j["problems"][0]["line"], 9);
}

}  // namespace
}  // namespace gpuprobe
