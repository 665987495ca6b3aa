// compare: environment-difference severities, benchmark matching, ratios and noise verdicts,
// tolerance parsing, N-way labels, the exit code; and the safe reader of report files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "gpuprobe/report/catalog.hpp"
#include "gpuprobe/report/compare.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/load.hpp"
#include "fixture_reports.hpp"

namespace gpuprobe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using gpuprobe::testing::data_dir;
using gpuprobe::testing::fixture;

json bench(const std::string& name, double value, double spread, const std::string& unit = "TFLOP/s") {
  return json{{"name", name}, {"params", {{"m", 1024}}}, {"unit", unit}, {"value", value},
              {"rel_spread", spread}, {"status", "ok"}, {"verified", true}};
}

Report with_benchmarks(json benches, const std::string& label = "") {
  Report r;
  r.label = label;
  r.benchmarks = benchmarks_from_json(benches);
  return r;
}

const EnvRow* row_of(const Comparison& c, const std::string& field) {
  for (const auto& e : c.env)
    if (e.field == field) return &e;
  return nullptr;
}

// --- severities ---------------------------------------------------------------------------------

TEST(Severity, InformationalFieldsStayInformational) {
  EXPECT_EQ(severity_of(FieldKind::info, "NVIDIA A10G", "NVIDIA L4"), Severity::info);
  EXPECT_EQ(severity_of(FieldKind::info, "host-a", "host-b"), Severity::info);
}

TEST(Severity, DriverBranchWarnsOnlyAcrossBranches) {
  std::string note;
  EXPECT_EQ(severity_of(FieldKind::driver_branch, "550.54.15", "580.65.06", &note), Severity::warning);
  EXPECT_EQ(note, "driver branch 550 → 580");
  EXPECT_EQ(severity_of(FieldKind::driver_branch, "580.65.06", "580.82.07"), Severity::info);
  EXPECT_EQ(severity_of(FieldKind::driver_branch, "580.65.06", ""), Severity::warning);
}

TEST(Severity, LibraryMajorVersionWarns) {
  EXPECT_EQ(severity_of(FieldKind::major_version, "8.9.7", "9.13.0"), Severity::warning);
  EXPECT_EQ(severity_of(FieldKind::major_version, "9.1.0", "9.13.0"), Severity::info);
}

TEST(Severity, CudaRuntimeDifferenceWarns) {
  EXPECT_EQ(severity_of(FieldKind::warning, "12.8", "13.0"), Severity::warning);
}

TEST(Severity, MissingLibraryFailsOnlyWhenTheBaseHadIt) {
  EXPECT_EQ(severity_of(FieldKind::library, "/usr/lib/libcudnn.so.9", "missing: not found"), Severity::failure);
  EXPECT_EQ(severity_of(FieldKind::library, "missing: not found", "/usr/lib/libcudnn.so.9"), Severity::info);
  EXPECT_EQ(severity_of(FieldKind::library, "/a/libcudnn.so.9", "/b/libcudnn.so.9"), Severity::info);
}

TEST(Severity, FrameworkVersionsAndTheirGpu) {
  std::string note;
  EXPECT_EQ(severity_of(FieldKind::framework, "2.6.0+cu124", "2.5.1+cu121", &note), Severity::warning);
  EXPECT_EQ(note, "2.6.0+cu124 → 2.5.1+cu121");
  EXPECT_EQ(severity_of(FieldKind::framework, "2.6.0+cu124", ""), Severity::failure);
  EXPECT_EQ(severity_of(FieldKind::framework, "", "2.6.0+cu124"), Severity::info);
  EXPECT_EQ(severity_of(FieldKind::available, "yes", "no"), Severity::failure);
  EXPECT_EQ(severity_of(FieldKind::available, "yes", ""), Severity::warning);
  EXPECT_EQ(severity_of(FieldKind::available, "no", "yes"), Severity::info);
}

TEST(Compare, FrameworksAreEnvironmentRows) {
  Report local, remote;
  FrameworkInfo t;
  t.name = "torch";
  t.version = "2.6.0+cu124";
  t.gpu_available = true;
  local.software.frameworks = {t};
  t.version = "2.5.1+cu121";
  t.gpu_available = false;
  FrameworkInfo again = t;  // a second environment holding torch: the first one counts
  again.version = "1.0";
  remote.software.frameworks = {t, again};
  const auto rows = environment_rows({local, remote}, false);
  auto row = [&](const std::string& key) -> const EnvRow* {
    for (const auto& r : rows)
      if (r.field == key) return &r;
    return nullptr;
  };
  ASSERT_TRUE(row("framework.torch"));
  EXPECT_EQ(row("framework.torch")->values, (std::vector<std::string>{"2.6.0+cu124", "2.5.1+cu121"}));
  EXPECT_EQ(row("framework.torch")->severity, Severity::warning);
  ASSERT_TRUE(row("framework.torch.gpu"));
  EXPECT_EQ(row("framework.torch.gpu")->severity, Severity::failure);
}

TEST(Severity, CheckPassingInOneAndFailingInTheOtherFails) {
  EXPECT_EQ(severity_of(FieldKind::check, "pass", "fail"), Severity::failure);
  EXPECT_EQ(severity_of(FieldKind::check, "fail", "pass"), Severity::failure);
  EXPECT_EQ(severity_of(FieldKind::check, "warn", "fail"), Severity::failure);
  EXPECT_EQ(severity_of(FieldKind::check, "pass", "warn"), Severity::warning);
  EXPECT_EQ(severity_of(FieldKind::check, "pass", "skip"), Severity::info);
  EXPECT_EQ(severity_of(FieldKind::check, "skip", "fail"), Severity::info);
}

TEST(Severity, FewerGpusThanTheBaseFails) {
  EXPECT_EQ(severity_of(FieldKind::gpu_count, "8", "4"), Severity::failure);
  EXPECT_EQ(severity_of(FieldKind::gpu_count, "4", "8"), Severity::info);
}

TEST(EnvDiff, LocalVsRemoteFixture) {
  const Comparison c = compare_reports({fixture("local"), fixture("remote")}, {}, 0.05);
  ASSERT_NE(row_of(c, "check.cudnn"), nullptr);
  EXPECT_EQ(row_of(c, "check.cudnn")->severity, Severity::failure);
  EXPECT_EQ(row_of(c, "library.cudnn")->severity, Severity::failure);
  EXPECT_EQ(row_of(c, "software.driver_version")->severity, Severity::warning);
  EXPECT_EQ(row_of(c, "host.hostname")->severity, Severity::info);
  EXPECT_EQ(row_of(c, "check.driver"), nullptr);  // equal fields are not listed
  const auto o = compare_outcome(c, {});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.env_failures, 2);
  EXPECT_NE(o.line.find("DIFFERENT"), std::string::npos);
}

TEST(EnvDiff, IdenticalReportsHaveNoDifferences) {
  const Report r = fixture("base");
  const Comparison c = compare_reports({r, r}, {}, 0.05);
  EXPECT_TRUE(c.env.empty());
  EXPECT_EQ(compare_outcome(c, {}).exit_code, 0);
}

TEST(EnvDiff, FewerGpusIsAFailureAndWarningsFailOnlyWhenStrict) {
  Report base = fixture("p5");
  Report other = base;
  other.gpus.resize(4);
  Comparison c = compare_reports({base, other}, {}, 0.05);
  EXPECT_EQ(row_of(c, "gpus.count")->severity, Severity::failure);

  other = base;
  other.software.driver_version = "550.1.2";
  c = compare_reports({base, other}, {}, 0.05);
  EXPECT_EQ(compare_outcome(c, {}).exit_code, 0);
  CompareOptions strict;
  strict.strict = true;
  EXPECT_EQ(compare_outcome(c, strict).exit_code, 1);
}

// --- benchmarks ---------------------------------------------------------------------------------

TEST(NoiseVerdict, NvbenchRule) {
  // 1 % apart, noises 2 % and 0.5 %: the smaller (0.5 %) decides: slower.
  EXPECT_EQ(noise_verdict(100, 0.02, 99, 0.005, true), BenchVerdict::slower);
  // Within the smaller noise: same.
  EXPECT_EQ(noise_verdict(100, 0.02, 99.6, 0.005, true), BenchVerdict::same);
  EXPECT_EQ(noise_verdict(100, 0.01, 103, 0.01, true), BenchVerdict::faster);
  // Lower is better (time): a larger value is slower.
  EXPECT_EQ(noise_verdict(2.0, 0.01, 2.5, 0.01, false), BenchVerdict::slower);
  EXPECT_EQ(noise_verdict(2.0, 0.01, 1.5, 0.01, false), BenchVerdict::faster);
  // One side without a spread: the other side's counts; neither: any difference counts.
  EXPECT_EQ(noise_verdict(100, 0, 99, 0.02, true), BenchVerdict::same);
  EXPECT_EQ(noise_verdict(100, 0, 99.9, 0, true), BenchVerdict::slower);
  EXPECT_EQ(noise_verdict(0, 0.01, 1, 0.01, true), BenchVerdict::unknown);
}

TEST(Benchmarks, MatchedByNameAndParamsWithRatio) {
  json a = json::array({bench("mm", 100, 0.01), bench("copy", 200, 0.01, "GB/s")});
  json b = json::array({bench("copy", 300, 0.01, "GB/s"), bench("mm", 50, 0.01)});
  b[1]["params"]["m"] = 2048;  // other params: another benchmark
  const Comparison c = compare_reports({with_benchmarks(a), with_benchmarks(b)}, {}, 0.05);
  ASSERT_EQ(c.benchmarks.size(), 3u);
  EXPECT_EQ(c.benchmarks[0].name, "mm");
  EXPECT_EQ(c.benchmarks[0].cells[1].verdict, BenchVerdict::missing);
  EXPECT_EQ(c.benchmarks[1].name, "copy");
  EXPECT_DOUBLE_EQ(c.benchmarks[1].cells[1].ratio, 1.5);
  EXPECT_EQ(c.benchmarks[1].cells[1].verdict, BenchVerdict::faster);
  EXPECT_EQ(c.benchmarks[2].params, "m=2048");
}

TEST(Benchmarks, RegressionOnlyBeyondTolerance) {
  const Comparison c = compare_reports({fixture("base"), fixture("new")}, {}, 0.05);
  ASSERT_EQ(c.benchmarks.size(), 3u);
  EXPECT_EQ(c.benchmarks[0].cells[1].verdict, BenchVerdict::slower);  // 7 % slower
  EXPECT_TRUE(c.benchmarks[0].cells[1].regression);
  EXPECT_EQ(c.benchmarks[1].cells[1].verdict, BenchVerdict::slower);  // 2.3 % slower, beyond noise
  EXPECT_FALSE(c.benchmarks[1].cells[1].regression);                 // within the tolerance
  EXPECT_EQ(c.benchmarks[2].cells[1].verdict, BenchVerdict::same);
  EXPECT_EQ(compare_outcome(c, {}).exit_code, 0);  // without --fail-on-regression
  CompareOptions o;
  o.fail_on_regression = true;
  const auto out = compare_outcome(c, o);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.regressions, 1);
  EXPECT_NE(out.line.find("REGRESSION"), std::string::npos);
  // A wider tolerance forgives it.
  const Comparison wide = compare_reports({fixture("base"), fixture("new")}, {}, 0.10);
  EXPECT_EQ(compare_outcome(wide, o).exit_code, 0);
}

TEST(Benchmarks, FailedOrUnverifiedHereIsAFailure) {
  json a = json::array({bench("mm", 100, 0.01)});
  json b = json::array({bench("mm", 100, 0.01)});
  b[0]["verified"] = false;
  Comparison c = compare_reports({with_benchmarks(a), with_benchmarks(b)}, {}, 0.05);
  EXPECT_EQ(c.benchmarks[0].cells[1].verdict, BenchVerdict::failed);
  EXPECT_EQ(compare_outcome(c, {}).exit_code, 1);
  b[0]["verified"] = true;
  b[0]["status"] = "skipped";
  c = compare_reports({with_benchmarks(a), with_benchmarks(b)}, {}, 0.05);
  EXPECT_EQ(c.benchmarks[0].cells[1].verdict, BenchVerdict::skipped);
  EXPECT_EQ(compare_outcome(c, {}).exit_code, 0);
}

TEST(Benchmarks, MalformedEntryIsAnInputError) {
  json bad = json::array({json{{"name", "x"}, {"value", "fast"}}});
  EXPECT_THROW(with_benchmarks(bad), ReportError);
  EXPECT_THROW(benchmarks_from_json(json::array({42})), ReportError);
  EXPECT_THROW(benchmarks_from_json(json::array({json{{"unit", "x"}}})), ReportError);
  EXPECT_THROW(benchmarks_from_json(json::array({json{{"name", "x"}, {"status", "great"}}})), ReportError);
  EXPECT_TRUE(benchmarks_from_json(json::array()).empty());
}

TEST(Benchmarks, NoiseFallsBackToTheRange) {
  auto b = benchmarks_from_json(json::array({json{{"name", "x"}, {"value", 100.0}, {"min", 98.0}, {"max", 102.0}}}));
  EXPECT_DOUBLE_EQ(b[0].noise(), 0.02);
  EXPECT_TRUE(higher_is_better("TFLOP/s"));
  EXPECT_FALSE(higher_is_better("ms"));
  EXPECT_FALSE(higher_is_better("us"));
}

TEST(Benchmarks, ReportsWithoutBenchmarksCompareTheEnvironmentOnly) {
  const Comparison c = compare_reports({fixture("nobench"), fixture("base")}, {}, 0.05);
  EXPECT_TRUE(c.benchmarks.empty() == false);  // base has some: rows with the base cell missing
  EXPECT_EQ(c.benchmarks[0].cells[1].verdict, BenchVerdict::missing);
  const Comparison none = compare_reports({fixture("nobench"), fixture("nobench")}, {}, 0.05);
  EXPECT_TRUE(none.benchmarks.empty());
  EXPECT_EQ(compare_outcome(none, {}).exit_code, 0);
}

// --- tolerance, labels --------------------------------------------------------------------------

TEST(Tolerance, Parses) {
  EXPECT_DOUBLE_EQ(parse_tolerance("5%"), 0.05);
  EXPECT_DOUBLE_EQ(parse_tolerance("5 %"), 0.05);
  EXPECT_DOUBLE_EQ(parse_tolerance("0.5%"), 0.005);
  EXPECT_DOUBLE_EQ(parse_tolerance("0.05"), 0.05);
  EXPECT_DOUBLE_EQ(parse_tolerance("0"), 0.0);
  for (const char* bad : {"", "%", "5", "abc", "-5%", "1.2.3", "100%", "5%%", "1e-2"})
    EXPECT_THROW(parse_tolerance(bad), std::invalid_argument) << bad;
}

TEST(Labels, FromReportThenInstanceTypeThenHostname) {
  Report r;
  r.host.hostname = "box";
  EXPECT_EQ(report_label(r), "box");
  r.host.cloud = CloudInfo{"aws", "g5.xlarge", std::nullopt};
  EXPECT_EQ(report_label(r), "g5.xlarge");
  r.label = "mine";
  EXPECT_EQ(report_label(r), "mine");
  EXPECT_EQ(report_label(Report{}), "report");
}

TEST(Labels, OverridesAndDuplicates) {
  const Report g5 = fixture("g5");
  const auto l = unique_labels({g5, g5, g5}, {"", "B"});
  EXPECT_EQ(l, (std::vector<std::string>{"g5.xlarge", "B", "g5.xlarge #2"}));
}

TEST(NWay, OneColumnPerReportAgainstTheFirst) {
  const Comparison c = compare_reports({fixture("g4dn"), fixture("g5"), fixture("g6"), fixture("p5")}, {}, 0.05);
  ASSERT_EQ(c.columns.size(), 4u);
  EXPECT_EQ(c.columns[3].label, "p5.48xlarge");
  EXPECT_EQ(c.columns[3].instance_type, "p5.48xlarge");
  EXPECT_EQ(c.columns[3].gpus, "8× NVIDIA H100 80GB HBM3");
  for (const auto& row : c.benchmarks) EXPECT_EQ(row.cells.size(), 4u);
  EXPECT_NEAR(c.benchmarks[0].cells[3].ratio, 19.0, 1e-9);
  EXPECT_EQ(row_of(c, "gpus.count")->severity, Severity::info);  // more GPUs than the base
}

// --- perf per dollar ---------------------------------------------------------------------------

// `gpuprobe compare g4dn.json g5.json g6.json p5.json`: every benchmark there ran on one GPU, so each
// is divided by the price of one GPU. p5.48xlarge: $55.04/hour ÷ 8 GPUs = $6.88 per GPU-hour;
// BF16 GEMM 760 / 6.88 = 110.465… TFLOP/s per $/GPU-hour and d2d copy 2950 / 6.88 = 428.779… GB/s
// (not 760 / 55.04 = 13.81, the price of eight GPUs for the work of one). g6.xlarge (1 GPU, $0.805):
// 100 / 0.805 = 124.22…; g4dn.xlarge (1 GPU, $0.526): 40 / 0.526 = 76.05….
TEST(PerfPerDollar, OneGpuBenchmarkIsDividedByThePriceOfOneGpu) {
  Comparison c = compare_reports({fixture("g4dn"), fixture("g5"), fixture("g6"), fixture("p5")}, {}, 0.05);
  attach_prices(c, builtin_catalog());
  ASSERT_EQ(c.columns[3].instance_gpus, 8);
  EXPECT_EQ(c.columns[2].instance_gpus, 1);
  EXPECT_NEAR(*price_per_gpu_hour(c.columns[3]), 6.88, 1e-12);
  const BenchRow& mm = c.benchmarks[0];
  ASSERT_EQ(mm.name, "matmul/cublas/bf16");
  EXPECT_NEAR(*perf_per_dollar(mm, 3, c), 110.4651, 1e-4);
  EXPECT_NEAR(*perf_per_dollar(c.benchmarks[1], 3, c), 428.7791, 1e-4);
  EXPECT_NEAR(*perf_per_dollar(mm, 2, c), 124.2236, 1e-4);
  EXPECT_NEAR(*perf_per_dollar(mm, 0, c), 76.0456, 1e-4);

  const Table t = per_dollar_rows(c);
  ASSERT_EQ(t.size(), 4u);  // header, $/GPU-hour, two benchmarks
  EXPECT_EQ(t[1][0], "$/GPU-hour");
  EXPECT_EQ(t[1][5], "6.880 = 55.040 ÷ 8 GPUs");
  EXPECT_EQ(t[1][2], "0.526 = 0.526 ÷ 1 GPU");
  EXPECT_EQ(t[2][1], "TFLOP/s per $/GPU-hour");
  EXPECT_EQ(t[2][5], "110.5");
  EXPECT_EQ(t[3][5], "428.8");
}

// A node aggregate is divided by the whole instance's price: 760 / 55.04 = 13.808…
TEST(PerfPerDollar, NodeAggregateIsDividedByTheInstancePrice) {
  Comparison c = compare_reports({fixture("g6"), fixture("p5")}, {}, 0.05);
  attach_prices(c, builtin_catalog());
  c.benchmarks[0].cells[1].bench->scope = BenchScope::node;
  EXPECT_NEAR(*perf_per_dollar(c.benchmarks[0], 1, c), 13.8081, 1e-4);
  const Table t = per_dollar_rows(c);
  EXPECT_EQ(t[2][1], "TFLOP/s per $/GPU-hour");   // the row's first cell (g6) is one GPU
  EXPECT_EQ(t[2][3], "13.81 (per $/hour, node)");  // this cell says its own divisor
}

// bench --gpus all on the p5 as its report says it: eight per-GPU entries at 760 and the node
// aggregate 6080, read back from JSON. Each GPU's entry is divided by $/GPU-hour (110.5), the
// aggregate by the instance's $/hour (6080 / 55.04 = 110.5 as well): the same machine, the same
// value per dollar, whichever is compared. A plain run's entry (no gpu) stays its own row.
TEST(PerfPerDollar, P5NodeReportPairsGpusAndAggregate) {
  Report p5 = fixture("p5");
  const Benchmark one = p5.benchmarks[0];
  std::vector<Benchmark> entries;
  for (int g = 0; g < 8; ++g) {
    Benchmark b = one;
    b.gpu = g;
    entries.push_back(b);
  }
  Benchmark node = one;
  node.scope = BenchScope::node;
  node.value = 8 * *one.value;
  node.min = node.max = node.rel_spread = std::nullopt;
  entries.push_back(node);
  p5.benchmarks = benchmarks_from_json(to_json(entries));
  Report again = p5;
  again.benchmarks[8].value = 7 * *one.value;  // one GPU's worth slower
  again.benchmarks[3].value = 0.5 * *one.value;

  Comparison c = compare_reports({p5, again}, {"p5", "p5 again"}, 0.05);
  attach_prices(c, builtin_catalog());
  ASSERT_EQ(c.benchmarks.size(), 9u);
  for (int g = 0; g < 8; ++g) {
    const BenchRow& row = c.benchmarks[static_cast<std::size_t>(g)];
    EXPECT_EQ(row.params, "k=8192 m=8192 n=8192; gpu " + std::to_string(g));
    EXPECT_NEAR(*perf_per_dollar(row, 0, c), 110.4651, 1e-4);
    EXPECT_EQ(row.cells[1].verdict, g == 3 ? BenchVerdict::slower : BenchVerdict::same) << g;
  }
  const BenchRow& agg = c.benchmarks[8];
  EXPECT_EQ(agg.params, "k=8192 m=8192 n=8192; node");
  EXPECT_NEAR(*perf_per_dollar(agg, 0, c), 110.4651, 1e-4);
  EXPECT_NEAR(*perf_per_dollar(agg, 1, c), 7 * 760 / 55.04, 1e-9);
  EXPECT_EQ(agg.cells[1].verdict, BenchVerdict::slower);
  const Table t = per_dollar_rows(c);
  EXPECT_EQ(t[2][1], "TFLOP/s per $/GPU-hour");
  EXPECT_EQ(t[10][1], "TFLOP/s per $/hour (node)");
  EXPECT_EQ(t[10][2], "110.5");

  // Against a plain single-GPU report (no gpu on its entry), the per-GPU rows do not pair with it.
  Comparison mixed = compare_reports({fixture("p5"), p5}, {}, 0.05);
  EXPECT_EQ(mixed.benchmarks[0].cells[1].verdict, BenchVerdict::missing);
}

// A type priced by --prices but outside the catalog: its GPU count is unknown, and so is the price
// of one of its GPUs; the table says why rather than dividing by a guess.
TEST(PerfPerDollar, UnknownGpuCountIsSaid) {
  Report r = fixture("g5");
  r.host.cloud->instance_type = "g5.12xlarge";
  Comparison c = compare_reports({r}, {"g5.12xlarge"}, 0.05);
  Catalog cat = builtin_catalog();
  cat.prices.per_hour = {{"g5.12xlarge", 5.672}};
  attach_prices(c, cat);
  ASSERT_TRUE(c.columns[0].price_per_hour.has_value());
  EXPECT_FALSE(c.columns[0].instance_gpus.has_value());
  EXPECT_FALSE(perf_per_dollar(c.benchmarks[0], 0, c).has_value());
  c.benchmarks[0].cells[0].bench->scope = BenchScope::node;  // the instance's price is known
  EXPECT_NEAR(*perf_per_dollar(c.benchmarks[0], 0, c), 62.0 / 5.672, 1e-12);
  c.benchmarks[0].cells[0].bench->scope = BenchScope::gpu;
  const Table t = per_dollar_rows(c);
  ASSERT_EQ(t.size(), 2u);  // header and the divisor row: no benchmark has a value per dollar
  EXPECT_EQ(t[1][1 + 1], "unknown: GPUs of g5.12xlarge not in the catalog");
}

TEST(Format, Percent) {
  EXPECT_EQ(format_percent(0.05), "5%");
  EXPECT_EQ(format_percent(0.004), "0.4%");
  EXPECT_EQ(format_percent(0.125), "12.5%");
}

// --- reading files ------------------------------------------------------------------------------

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = fs::temp_directory_path() / ("gpuprobe-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                         "-" + std::to_string(counter_++) + ".json");
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { fs::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

std::string error_of(const std::string& text) {
  try {
    parse_report_text(text, "r.json");
  } catch (const ReportError& e) {
    return e.what();
  }
  return "";
}

TEST(Load, RejectsWhatIsNotAReportWithAMessage) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("  \n").find("empty"), std::string::npos);
  EXPECT_NE(error_of("{\"schema\": \"gpuprobe.rep").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[1,2,3]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(error_of("{}").find("no 'schema'"), std::string::npos);
  EXPECT_NE(error_of("{\"schema\": \"gpuprobe.report/1\", \"gpus\": 3}").find("'gpus'"), std::string::npos);
  EXPECT_EQ(error_of("{\"schema\": \"gpuprobe.report/1\"}"), "");
  EXPECT_EQ(error_of("{\"schema\": \"gpuprobe.report/1\"}").find("r.json"), std::string::npos);
  EXPECT_EQ(error_of("{}").rfind("r.json: ", 0), 0u);  // messages name the file
}

TEST(Load, DepthBombIsRejectedBeforeParsing) {
  const std::string bomb(100000, '[');
  EXPECT_NE(error_of(bomb).find("nested deeper than 64"), std::string::npos);
  EXPECT_NE(error_of(std::string(100000, '{')).find("nested deeper"), std::string::npos);
  // Brackets inside strings do not count.
  EXPECT_EQ(json_depth_problem("{\"a\": \"[[[[[[[[[[\\\"[[[[\"}", 2), "");
  EXPECT_NE(json_depth_problem("[[[", 2), "");
  EXPECT_EQ(json_depth_problem("[[]]", 2), "");
}

TEST(Load, SchemaVersions) {
  EXPECT_EQ(schema_problem("gpuprobe.report/1"), "");
  EXPECT_EQ(schema_problem("gpuprobe.report/1.3"), "");
  const std::string p = schema_problem("gpuprobe.report/2");
  EXPECT_NE(p.find("gpuprobe.report/2"), std::string::npos);
  EXPECT_NE(p.find("gpuprobe.report/1"), std::string::npos);
  EXPECT_NE(schema_problem("gpuprobe.report/1.x"), "");
  EXPECT_NE(schema_problem("gpuprobe.report/10"), "");
  EXPECT_NE(schema_problem("other/1"), "");
  EXPECT_EQ(fixture("schema-1.3").label, "future-minor");
  EXPECT_THROW(fixture("schema-2"), ReportError);
}

TEST(Load, SizeCapAndMissingFiles) {
  TempFile big(std::string(2000, ' ') + "{\"schema\": \"gpuprobe.report/1\"}");
  EXPECT_THROW(load_report_file(big.path(), 1000), ReportError);
  EXPECT_NO_THROW(load_report_file(big.path(), 1 << 20));
  EXPECT_THROW(load_report_file("/nonexistent/r.json"), ReportError);
  EXPECT_THROW(load_report_file(fs::temp_directory_path().string()), ReportError);
  try {
    load_report_file(big.path(), 1000);
  } catch (const ReportError& e) {
    EXPECT_NE(std::string(e.what()).find("larger than the 1000 bytes"), std::string::npos) << e.what();
  }
}

TEST(Load, WrongTypesAreReportErrorsNotCrashes) {
  for (const char* doc : {R"({"schema":"gpuprobe.report/1","host":{"cpu_count":"many"}})",
                          R"({"schema":"gpuprobe.report/1","checks":[{"id":"x","status":"maybe"}]})",
                          R"({"schema":"gpuprobe.report/1","gpus":[{"compute_capability":"x.y"}]})",
                          R"({"schema":"gpuprobe.report/1","software":{"libraries":{"a":1}}})",
                          // Float-to-integer conversions that would be undefined (found by the fuzzer):
                          R"({"schema":"gpuprobe.report/1","host":{"memory_total_bytes":3.4e109}})",
                          R"({"schema":"gpuprobe.report/1","host":{"cpu_count":-1e300}})",
                          R"({"schema":"gpuprobe.report/1","exit_code":1e20})",
                          R"({"schema":"gpuprobe.report/1","gpus":[{"l2_cache_bytes":-5.5}]})",
                          R"({"schema":"gpuprobe.report/1","software":{"cuda_driver_version":9e99}})"}) {
    EXPECT_NE(error_of(doc), "") << doc;
  }
}

}  // namespace
}  // namespace gpuprobe
