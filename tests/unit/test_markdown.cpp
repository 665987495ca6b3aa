// Markdown and text renderings of compare and report, against golden files in tests/data/golden/.
// Regenerate after an intended change: GPUPROBE_UPDATE_GOLDEN=1 build/gpuprobe_unit_tests, then
// review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gpuprobe/report/catalog.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/load.hpp"
#include "fixture_reports.hpp"
#include "gpuprobe/report/report_doc.hpp"

namespace gpuprobe {
namespace {

namespace fs = std::filesystem;

using gpuprobe::testing::data_dir;

using gpuprobe::testing::fixtures;

Comparison comparison_of(const std::vector<Report>& reports, double tol = 0.05) {
  Comparison c = compare_reports(reports, {}, tol);
  attach_prices(c, builtin_catalog());
  return c;
}

void expect_golden(const std::string& name, const std::string& actual) {
  const fs::path p = data_dir() / "golden" / name;
  if (const char* u = std::getenv("GPUPROBE_UPDATE_GOLDEN"); u && *u) {
    std::ofstream(p, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(p, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << p << " (GPUPROBE_UPDATE_GOLDEN=1 writes it)";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), actual) << "rendering differs from " << p;
}

TEST(CompareMarkdown, TwoWayGolden) {
  const auto r = fixtures({"local", "remote"});
  const Comparison c = comparison_of(r);
  expect_golden("compare-local-remote.md", render_compare_markdown(c, compare_outcome(c, {})));
}

TEST(CompareMarkdown, NWayGolden) {
  const auto r = fixtures({"g4dn", "g5", "g6", "p5"});
  const Comparison c = comparison_of(r);
  expect_golden("compare-nway.md", render_compare_markdown(c, compare_outcome(c, {})));
}

TEST(CompareText, RegressionGolden) {
  const auto r = fixtures({"base", "new"});
  const Comparison c = comparison_of(r);
  CompareOptions o;
  o.fail_on_regression = true;
  expect_golden("compare-base-new.txt", render_compare_text(c, compare_outcome(c, o)));
}

TEST(ReportMarkdown, Golden) {
  const auto r = fixtures({"local", "remote", "p5"});
  expect_golden("report.md", render_reports_markdown(r, comparison_of(r)));
}

TEST(Markdown, EscapesTableBreakersAndHtml) {
  EXPECT_EQ(md_escape("a|b\nc<script>&`"), "a\\|b c&lt;script&gt;&amp;\\`");
  const std::string t = markdown_table({{"h1", "h2"}, {"x|y", "z"}});
  EXPECT_EQ(t, "| h1 | h2 |\n|---|---|\n| x\\|y | z |\n");
}

TEST(Markdown, HostileLabelsStayInsideTheirCell) {
  auto r = fixtures({"g5", "g6"});
  r[1].label = "evil | <img src=x onerror=alert(1)>\n# heading";
  const Comparison c = comparison_of(r);
  const std::string md = render_compare_markdown(c, compare_outcome(c, {}));
  EXPECT_EQ(md.find("<img"), std::string::npos);
  EXPECT_EQ(md.find("\n# heading"), std::string::npos);
}

TEST(CompareText, NoTerminalEscapesFromAReport) {
  auto r = fixtures({"g5", "g6"});
  r[1].label = "evil\x1b]0;pwned\x07\x1b[2J";
  r[1].host.hostname = "a\nb";
  const Comparison c = comparison_of(r);
  const std::string t = render_compare_text(c, compare_outcome(c, {}));
  EXPECT_EQ(t.find('\x1b'), std::string::npos);
  EXPECT_EQ(t.find('\x07'), std::string::npos);
  EXPECT_NE(t.find("evil?]0;pwned??[2J"), std::string::npos);
  EXPECT_EQ(md_escape("a\x1b[1mb"), "a?[1mb");
}

TEST(Format, Values) {
  EXPECT_EQ(format_value(771.24), "771.2");
  EXPECT_EQ(format_value(2950), "2950");
  EXPECT_EQ(format_value(2.1), "2.10");
  EXPECT_EQ(format_value(0.00123), "0.00123");
  EXPECT_EQ(format_ratio(0.4666), "×0.47");
  EXPECT_EQ(format_ratio(1.0024), "×1.002");
  const std::string t = text_table({{"a", "bb"}, {"ccc", "d"}});
  EXPECT_EQ(t, "a    bb\nccc  d\n");
}

}  // namespace
}  // namespace gpuprobe
