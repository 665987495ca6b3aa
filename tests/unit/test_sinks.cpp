// The output formats (gpuprobe/report/sink.hpp): the registry table is consistent with what each
// sink renders, each sink renders what the renderer it stands for renders, and the multiplex writes
// one document to every output, reporting each one it could not write.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "fixture_reports.hpp"
#include "gpuprobe/report/catalog.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/report_doc.hpp"
#include "gpuprobe/report/sink.hpp"

namespace gpuprobe {
namespace {

namespace fs = std::filesystem;
using gpuprobe::testing::data_dir;
using gpuprobe::testing::fixture;
using gpuprobe::testing::fixtures;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One document of each kind, built from the committed fixtures.
struct Documents {
  std::vector<Report> reports = fixtures({"local", "remote", "p5"});
  Comparison comparison = [this] {
    Comparison c = compare_reports(reports, {}, 0.05);
    attach_prices(c, builtin_catalog());
    return c;
  }();
  CompareOutcome outcome = compare_outcome(comparison, CompareOptions{});
  Catalog catalog = builtin_catalog();
  Fleet fleet = [this] {
    FleetInput in;
    in.reports = reports;
    in.origins.assign(reports.size(), "fleet.jsonl");
    return analyze_fleet(in);
  }();

  // Renders the document kind `doc` with `s`.
  std::string render(const Sink& s, Document doc) const {
    switch (doc) {
      case kRunDocument: return s.render_run(reports[0]);
      case kComparisonDocument: return s.render_comparison({comparison, outcome});
      case kReportSetDocument: return s.render_report_set({reports, comparison});
      case kCatalogDocument: return s.render_catalog({catalog, 13, "13.0.88"});
      case kFleetDocument: return s.render_fleet({fleet});
    }
    return "";
  }
};

const Document kAllDocuments[] = {kRunDocument, kComparisonDocument, kReportSetDocument, kCatalogDocument,
                                  kFleetDocument};

TEST(Sinks, RegistryRowsAreWellFormed) {
  std::set<std::string_view> names;
  for (const auto& f : formats()) {
    EXPECT_TRUE(names.insert(f.name).second) << "two rows named " << f.name;
    EXPECT_FALSE(f.description.empty()) << f.name;
    EXPECT_NE(f.documents, 0u) << f.name << " renders nothing";
    ASSERT_NE(f.make, nullptr) << f.name;
    EXPECT_EQ(find_format(f.name), &f);
  }
  EXPECT_EQ(find_format("yaml"), nullptr);
  for (Document d : kAllDocuments) EXPECT_FALSE(formats_for(d).empty()) << "no format renders document " << d;
}

TEST(Sinks, EachFormatRendersExactlyTheDocumentsItsRowLists) {
  const Documents docs;
  for (const auto& f : formats()) {
    const auto sink = f.make();
    for (Document d : kAllDocuments) {
      if (f.documents & d) EXPECT_FALSE(docs.render(*sink, d).empty()) << f.name << " document " << d;
      else EXPECT_THROW(docs.render(*sink, d), std::logic_error) << f.name << " document " << d;
    }
  }
}

TEST(Sinks, RenderWhatTheirRenderersRender) {
  const Documents docs;
  const Report& run = docs.reports[0];
  const ComparisonDoc cmp{docs.comparison, docs.outcome};
  EXPECT_EQ(find_format("json")->make()->render_run(run), to_json(run).dump(2) + "\n");
  EXPECT_EQ(find_format("junit")->make()->render_run(run), render_junit(run));
  EXPECT_EQ(find_format("text")->make()->render_comparison(cmp), render_compare_text(docs.comparison, docs.outcome));
  EXPECT_EQ(find_format("markdown")->make()->render_comparison(cmp),
            render_compare_markdown(docs.comparison, docs.outcome));
  EXPECT_EQ(find_format("json")->make()->render_comparison(cmp),
            comparison_to_json(docs.comparison, docs.outcome).dump(2) + "\n");
  EXPECT_EQ(find_format("text")->make()->render_catalog({docs.catalog, 13, "13.0.88"}),
            render_instances_text(docs.catalog, 13, "13.0.88"));
  // `gpuprobe report local remote p5` as in the golden files of test_html and test_markdown.
  EXPECT_EQ(find_format("html")->make()->render_report_set({docs.reports, docs.comparison}),
            slurp(data_dir() / "golden" / "report.html"));
  EXPECT_EQ(find_format("markdown")->make()->render_report_set({docs.reports, docs.comparison}),
            slurp(data_dir() / "golden" / "report.md"));
  EXPECT_EQ(find_format("text")->make()->render_fleet({docs.fleet}), render_fleet_text(docs.fleet));
  EXPECT_EQ(find_format("markdown")->make()->render_fleet({docs.fleet}), render_fleet_markdown(docs.fleet));
  EXPECT_EQ(find_format("html")->make()->render_fleet({docs.fleet}), render_fleet_html(docs.fleet));
  EXPECT_EQ(find_format("json")->make()->render_fleet({docs.fleet}), fleet_to_json(docs.fleet).dump(2) + "\n");
}

class SinkMultiplexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gpuprobe-sinks-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                        "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SinkMultiplexTest, WritesTheDocumentToEveryOutput) {
  const Report run = fixture("local");
  SinkMultiplex m;
  EXPECT_TRUE(m.empty());
  m.add(*find_format("junit"), (dir_ / "r.xml").string());
  m.add(*find_format("json"), (dir_ / "r.json").string());
  ASSERT_EQ(m.outputs().size(), 2u);
  EXPECT_EQ(m.outputs()[0].format->name, "junit");  // the order added
  EXPECT_TRUE(m.to_stdout().empty());
  EXPECT_TRUE(m.write(run).empty());
  EXPECT_EQ(slurp(dir_ / "r.json"), to_json(run).dump(2) + "\n");
  EXPECT_EQ(slurp(dir_ / "r.xml"), render_junit(run));
}

TEST_F(SinkMultiplexTest, ReportsEachOutputItCouldNotWriteAndWritesTheOthers) {
  const Report run = fixture("local");
  SinkMultiplex m;
  m.add(*find_format("json"), (dir_ / "missing" / "r.json").string());
  m.add(*find_format("junit"), (dir_ / "r.xml").string());
  m.add(*find_format("json"), (dir_ / "also-missing" / "r.json").string());
  const auto errors = m.write(run);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("cannot write " + (dir_ / "missing" / "r.json").string()), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("also-missing"), std::string::npos) << errors[1];
  EXPECT_EQ(slurp(dir_ / "r.xml"), render_junit(run));
}

TEST_F(SinkMultiplexTest, NamesTheOutputsOnStdout) {
  SinkMultiplex m;
  m.add(*find_format("html"), "page.html");
  m.add(*find_format("markdown"), "-");
  const auto out = m.to_stdout();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->format->name, "markdown");
}

}  // namespace
}  // namespace gpuprobe
