// The HTML page of `gpuprobe report`: self-contained (no script, no external resource), charts with
// non-empty bars, escaping of hostile strings, and a golden file (GPUPROBE_UPDATE_GOLDEN=1 rewrites).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "gpuprobe/report/catalog.hpp"
#include "gpuprobe/report/load.hpp"
#include "fixture_reports.hpp"
#include "gpuprobe/report/report_doc.hpp"

namespace gpuprobe {
namespace {

namespace fs = std::filesystem;

using gpuprobe::testing::data_dir;

using gpuprobe::testing::fixtures;

std::string html_of(const std::vector<Report>& r) {
  Comparison c = compare_reports(r, {}, 0.05);
  attach_prices(c, builtin_catalog());
  return render_reports_html(r, c);
}

std::size_t count_of(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

TEST(Html, SelfContained) {
  const std::string h = html_of(fixtures({"local", "remote", "p5"}));
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* banned : {"<script", "<link", "@import", "src=", "url(", "http://", "https://"}) {
    std::string rest = h;
    // The SVG namespace is an identifier, not a fetch.
    for (std::size_t p; (p = rest.find("http://www.w3.org/2000/svg")) != std::string::npos;) rest.erase(p, 26);
    EXPECT_EQ(rest.find(banned), std::string::npos) << banned;
  }
  EXPECT_NE(h.find("<style>"), std::string::npos);
  EXPECT_NE(h.find("</html>"), std::string::npos);
}

TEST(Html, ChartsHaveNonEmptyBars) {
  const std::string h = html_of(fixtures({"local", "remote", "p5"}));
  // 3 benchmarks → 3 throughput charts; 3 reports with % of peak → 3 peak charts.
  EXPECT_EQ(count_of(h, "data-kind=\"throughput\""), 3u);
  EXPECT_EQ(count_of(h, "data-kind=\"peak\""), 3u);
  const std::regex bar("<rect class=\"bar\"[^>]* width=\"([0-9.]+)\"");
  int bars = 0;
  for (auto it = std::sregex_iterator(h.begin(), h.end(), bar); it != std::sregex_iterator(); ++it) {
    ++bars;
    EXPECT_GT(std::stod((*it)[1].str()), 0.0);
  }
  EXPECT_GE(bars, 8);  // launch/empty is absent from p5: no bar there
  EXPECT_NE(h.find("<th>check</th>"), std::string::npos);
  EXPECT_NE(h.find("software.driver_version"), std::string::npos);
}

TEST(Html, BarScaleAndMissingValues) {
  const std::string svg = svg_bar_chart("t", {{"a", 100.0, "100", 0}, {"b", 50.0, "50", 1}, {"c", std::nullopt, "x", 2}},
                                        std::nullopt);
  EXPECT_NE(svg.find("width=\"380.0\""), std::string::npos);  // the largest fills the bar area
  EXPECT_NE(svg.find("width=\"190.0\""), std::string::npos);
  EXPECT_EQ(count_of(svg, "<rect"), 2u);
  EXPECT_NE(svg.find("n/a: x"), std::string::npos);
}

TEST(Html, EscapesHostileStrings) {
  auto r = fixtures({"g5", "g6"});
  r[0].label = "<script>alert(1)</script>";
  r[1].checks[0].message = "\"><img src=x onerror=alert(1)>";
  r[1].checks[0].hint = "\" onmouseover=\"alert(1)";
  const std::string h = html_of(r);
  EXPECT_EQ(h.find("<script>alert"), std::string::npos);
  EXPECT_EQ(h.find("<img"), std::string::npos);
  EXPECT_EQ(h.find("\" onmouseover"), std::string::npos);
  EXPECT_NE(h.find("&lt;script&gt;"), std::string::npos);
}

TEST(Html, WithoutBenchmarks) {
  const std::string h = html_of(fixtures({"nobench"}));
  EXPECT_NE(h.find("No benchmarks"), std::string::npos);
  EXPECT_EQ(h.find("<svg"), std::string::npos);
}

TEST(Html, Golden) {
  const std::string h = html_of(fixtures({"local", "remote", "p5"}));
  const fs::path p = data_dir() / "golden" / "report.html";
  if (const char* u = std::getenv("GPUPROBE_UPDATE_GOLDEN"); u && *u) {
    std::ofstream(p, std::ios::binary) << h;
    return;
  }
  std::ifstream in(p, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << p;
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), h);
}

}  // namespace
}  // namespace gpuprobe
