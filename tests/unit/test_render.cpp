// Renderers: JUnit XML, the check table rows, and the small formatters.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "gpuprobe/report/render.hpp"

#include "test_util.hpp"

namespace gpuprobe {
namespace {

using test_util::contains;

std::size_t count_of(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

// A small XML well-formedness checker: balanced tags, quoted attributes, only the five predefined
// entities, no raw '<' or '&' in text or attribute values, no forbidden control characters.
// Returns "" when well-formed, else what is wrong.
std::string xml_problem(const std::string& x) {
  auto entity_ok = [&](std::size_t amp) {
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"})
      if (x.compare(amp, std::string(e).size(), e) == 0) return true;
    return false;
  };
  for (unsigned char ch : x)
    if (ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') return "control character in document";
  std::vector<std::string> stack;
  std::size_t i = 0;
  if (x.compare(0, 5, "<?xml") == 0) {
    i = x.find("?>");
    if (i == std::string::npos) return "unterminated XML declaration";
    i += 2;
  }
  bool seen_root = false;
  while (i < x.size()) {
    if (x[i] == '<') {
      const std::size_t end = x.find('>', i);
      if (end == std::string::npos) return "unterminated tag";
      std::string tag = x.substr(i + 1, end - i - 1);
      if (!tag.empty() && tag[0] == '/') {
        const std::string name = tag.substr(1);
        if (stack.empty() || stack.back() != name) return "mismatched closing tag </" + name + ">";
        stack.pop_back();
      } else {
        const bool self_closing = !tag.empty() && tag.back() == '/';
        if (self_closing) tag.pop_back();
        std::size_t p = 0;
        while (p < tag.size() && !std::isspace(static_cast<unsigned char>(tag[p]))) ++p;
        const std::string name = tag.substr(0, p);
        if (name.empty()) return "empty tag name";
        if (stack.empty() && seen_root) return "second root element";
        seen_root = true;
        // attributes: name="value"
        while (p < tag.size()) {
          while (p < tag.size() && std::isspace(static_cast<unsigned char>(tag[p]))) ++p;
          if (p >= tag.size()) break;
          const std::size_t eq = tag.find('=', p);
          if (eq == std::string::npos || eq + 1 >= tag.size() || tag[eq + 1] != '"')
            return "unquoted attribute in <" + name + ">";
          const std::size_t close = tag.find('"', eq + 2);
          if (close == std::string::npos) return "unterminated attribute in <" + name + ">";
          const std::string value = tag.substr(eq + 2, close - eq - 2);
          if (contains(value, "<")) return "raw '<' in attribute";
          for (std::size_t a = value.find('&'); a != std::string::npos; a = value.find('&', a + 1)) {
            const std::size_t abs = i + 1 + eq + 2 + a;
            if (!entity_ok(abs)) return "bad entity in attribute";
          }
          p = close + 1;
        }
        if (!self_closing) stack.push_back(name);
      }
      i = end + 1;
    } else {
      if (x[i] == '&' && !entity_ok(i)) return "bad entity in text";
      if (x[i] == '>' && !stack.empty()) {
        // '>' is allowed in text, but the renderer escapes it; keep that promise.
        return "raw '>' in text";
      }
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(x[i]))) return "text outside the root element";
      ++i;
    }
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (!seen_root) return "no root element";
  return "";
}

CheckResult make_check(const std::string& id, Status s, const std::string& msg, const std::string& hint = "",
                       const std::string& reason = "") {
  CheckResult c;
  c.id = id;
  c.status = s;
  c.message = msg;
  c.hint = hint;
  c.reason = reason;
  c.duration_ms = 12.0;
  return c;
}

Report sample_report() {
  Report r;
  r.command = "check";
  r.label = "lab & <el>";
  r.created_at = "2026-01-02T03:04:05Z";
  r.host.hostname = "host\"1'";
  r.verdict = "FAIL: memory";
  r.exit_code = 1;
  r.software.driver_version = "580.65.06";
  GpuInfo g;
  g.name = "NVIDIA <A10G> & co";
  r.gpus.push_back(g);
  r.checks.push_back(make_check("driver", Status::pass, "ok"));
  r.checks.push_back(make_check("memory", Status::fail, "a & b < c > d \"q\" 'a'", "reset <it>", "mem&bad"));
  r.checks.push_back(make_check("cudnn", Status::skip, "cuDNN \x01missing\x1f"));
  r.checks.push_back(make_check("pcie", Status::warn, "slow\tlink", "reseat"));
  return r;
}

TEST(XmlChecker, SelfTest) {
  EXPECT_EQ(xml_problem("<a><b x=\"1\"/>t &amp; u</a>"), "");
  EXPECT_NE(xml_problem("<a><b></a>"), "");
  EXPECT_NE(xml_problem("<a x=\"1 < 2\"/>"), "");
  EXPECT_NE(xml_problem("<a>x & y</a>"), "");
  EXPECT_NE(xml_problem("<a>\x01</a>"), "");
}

TEST(RenderJunit, WellFormedWithOneTestcasePerCheck) {
  const Report r = sample_report();
  const std::string xml = render_junit(r);
  EXPECT_EQ(xml_problem(xml), "") << xml;
  EXPECT_EQ(count_of(xml, "<testcase "), r.checks.size());
  EXPECT_EQ(count_of(xml, "</testcase>"), r.checks.size());
  EXPECT_EQ(count_of(xml, "<failure "), 1u);
  EXPECT_EQ(count_of(xml, "<skipped "), 1u);
  EXPECT_TRUE(contains(xml, "tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\"")) << xml;
  EXPECT_TRUE(contains(xml, "name=\"driver\""));
  EXPECT_TRUE(contains(xml, "name=\"memory\""));
  EXPECT_TRUE(contains(xml, "name=\"cudnn\""));
  EXPECT_TRUE(contains(xml, "name=\"pcie\""));
  EXPECT_TRUE(contains(xml, "classname=\"gpuprobe.check\""));
}

TEST(RenderJunit, FailureCarriesMessageTypeAndHint) {
  const std::string xml = render_junit(sample_report());
  const std::string esc_msg = "a &amp; b &lt; c &gt; d &quot;q&quot; &apos;a&apos;";
  EXPECT_TRUE(contains(xml, "<failure message=\"" + esc_msg + "\" type=\"mem&amp;bad\">")) << xml;
  EXPECT_TRUE(contains(xml, "fix: reset &lt;it&gt;")) << xml;
  EXPECT_TRUE(contains(xml, "<skipped message=\"cuDNN ?missing?\"/>")) << xml;
  // Properties are escaped too.
  EXPECT_TRUE(contains(xml, "value=\"lab &amp; &lt;el&gt;\"")) << xml;
  EXPECT_TRUE(contains(xml, "hostname=\"host&quot;1&apos;\"")) << xml;
  EXPECT_TRUE(contains(xml, "value=\"NVIDIA &lt;A10G&gt; &amp; co\"")) << xml;
  EXPECT_FALSE(contains(xml, "\x01"));
}

TEST(RenderJunit, BenchReportAddsOneTestcasePerBenchmark) {
  Report r = sample_report();
  r.command = "bench";
  r.benchmarks = benchmarks_from_json(nlohmann::json::array(
      {{{"name", "matmul/cublas/bf16"}, {"params", {{"m", 4096}, {"n", 4096}, {"k", 4096}}}, {"unit", "TFLOP/s"},
        {"value", 771.25}, {"peak_percent", 78.0}, {"rel_spread", 0.004}, {"status", "ok"}, {"verified", true},
        {"wall_seconds", 1.5}, {"verification", "Freivalds: verified"}},
       {{"name", "matmul/warp_tiled/fp32"}, {"params", {{"m", 4096}}}, {"status", "failed"}, {"verified", false},
        {"value", nullptr}, {"reason", "wrong result: <worst row 3>"}},
       {{"name", "matmul/cublaslt/fp8"}, {"status", "skipped"}, {"reason", "needs cc 8.9"}}}));
  const std::string xml = render_junit(r);
  EXPECT_EQ(xml_problem(xml), "") << xml;
  EXPECT_EQ(count_of(xml, "<testsuite "), 2u);
  EXPECT_EQ(count_of(xml, "<testcase "), r.checks.size() + 3);
  EXPECT_TRUE(contains(xml, "classname=\"gpuprobe.bench.benchmarks\" name=\"matmul/cublas/bf16 k=4096 m=4096 n=4096\" time=\"1.500\""))
      << xml;
  EXPECT_TRUE(contains(xml, "771.2 TFLOP/s, 78.0 % of peak, spread 0.40 %")) << xml;
  EXPECT_TRUE(contains(xml, "<failure message=\"wrong result: &lt;worst row 3&gt;\" type=\"wrong_result\">")) << xml;
  EXPECT_TRUE(contains(xml, "<skipped message=\"needs cc 8.9\"/>")) << xml;
  // The totals count checks and benchmarks together.
  EXPECT_TRUE(contains(xml, "<testsuites name=\"gpuprobe\" tests=\"7\" failures=\"2\" errors=\"0\" skipped=\"2\"")) << xml;
}

TEST(RenderBenchmarkTable, ShapesValuesAndResults) {
  nlohmann::json entries = nlohmann::json::array();
  entries.push_back({{"name", "matmul/cublas/bf16"}, {"params", {{"m", 4096}, {"n", 4096}, {"k", 4096}}},
                     {"unit", "TFLOP/s"}, {"value", 771.25}, {"peak_percent", 78.0}, {"rel_spread", 0.004},
                     {"verified", true}, {"status", "ok"}});
  entries.push_back({{"name", "matmul/cublaslt/fp8"}, {"params", {{"m", 4096}, {"n", 4096}, {"k", 4096}}},
                     {"unit", "TFLOP/s"}, {"value", nullptr}, {"status", "skipped"}, {"reason", "needs cc 8.9"}});
  entries.push_back({{"name", "memory/memcpy/d2d"}, {"params", {{"bytes", 1073741824}}}, {"unit", "GB/s"},
                     {"value", nullptr}, {"status", "failed"}, {"reason", "wrong result: 12 elements"}});
  const std::string t = render_benchmark_table(benchmarks_from_json(entries), TableStyle{false, true});
  EXPECT_NE(t.find("4096x4096x4096"), std::string::npos) << t;
  EXPECT_NE(t.find("771.25"), std::string::npos);
  EXPECT_NE(t.find("78.0"), std::string::npos);
  EXPECT_NE(t.find("0.40%"), std::string::npos);
  EXPECT_NE(t.find("verified"), std::string::npos);
  EXPECT_NE(t.find("skipped: needs cc 8.9"), std::string::npos);
  EXPECT_NE(t.find("1 GiB"), std::string::npos);
  EXPECT_NE(t.find("FAILED: wrong result: 12 elements"), std::string::npos);
  EXPECT_EQ(t.find("\033["), std::string::npos) << "no colour when not asked";
  EXPECT_NE(render_benchmark_table(benchmarks_from_json(entries), TableStyle{true, true}).find("\033[1;31m"), std::string::npos);
}

TEST(RenderBenchmarkTable, ThrottledIsMarkedAndAPowerCapIsOnlyNoted) {
  nlohmann::json entries = nlohmann::json::array();
  entries.push_back({{"name", "matmul/cublas/bf16"}, {"params", {{"m", 8192}, {"n", 8192}, {"k", 8192}}},
                     {"unit", "TFLOP/s"}, {"value", 700.0}, {"verified", true}, {"status", "ok"},
                     {"throttled", false}, {"throttle_reasons", nlohmann::json::array()}, {"power_capped", true}});
  entries.push_back({{"name", "matmul/cublas/fp16"}, {"params", {{"m", 8192}, {"n", 8192}, {"k", 8192}}},
                     {"unit", "TFLOP/s"}, {"value", 500.0}, {"verified", true}, {"status", "ok"},
                     {"throttled", true}, {"throttle_reasons", {"thermal (HW)"}}, {"power_capped", false}});
  const std::string t = render_benchmark_table(benchmarks_from_json(entries), TableStyle{false, true});
  EXPECT_NE(t.find("verified (power capped)"), std::string::npos) << t;
  EXPECT_NE(t.find("verified (throttled: thermal (HW))"), std::string::npos) << t;
  EXPECT_EQ(t.find("throttled: power"), std::string::npos) << t;
}

TEST(RenderJunit, EmptyReport) {
  Report r;
  const std::string xml = render_junit(r);
  EXPECT_EQ(xml_problem(xml), "") << xml;
  EXPECT_EQ(count_of(xml, "<testcase "), 0u);
  EXPECT_TRUE(contains(xml, "tests=\"0\""));
}

TEST(XmlEscape, SpecialCharacters) {
  EXPECT_EQ(xml_escape("&"), "&amp;");
  EXPECT_EQ(xml_escape("<"), "&lt;");
  EXPECT_EQ(xml_escape(">"), "&gt;");
  EXPECT_EQ(xml_escape("\""), "&quot;");
  EXPECT_EQ(xml_escape("'"), "&apos;");
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(xml_escape("plain text 123"), "plain text 123");
  EXPECT_EQ(xml_escape(""), "");
}

TEST(XmlEscape, ControlCharacters) {
  EXPECT_EQ(xml_escape(std::string("a\x01z", 3)), "a?z");
  EXPECT_EQ(xml_escape(std::string("\x00", 1)), "?");
  EXPECT_EQ(xml_escape("\x1b[31m"), "?[31m");
  // Tab, newline and carriage return are allowed in XML 1.0.
  EXPECT_EQ(xml_escape("a\tb\nc\rd"), "a\tb\nc\rd");
  // Non-ASCII UTF-8 passes through.
  EXPECT_EQ(xml_escape("\xc2\xb5s"), "\xc2\xb5s");
}

TEST(RenderCheckRow, ContainsIdTagAndMessage) {
  const TableStyle plain{false, true};
  struct Case { Status s; const char* tag; bool fix; };
  for (const Case& k : {Case{Status::pass, "PASS", false}, Case{Status::warn, "WARN", true},
                        Case{Status::fail, "FAIL", true}, Case{Status::skip, "SKIP", false}}) {
    SCOPED_TRACE(k.tag);
    const CheckResult c = make_check("memory", k.s, "3 words wrong", "drain the GPU");
    const std::string row = render_check_row(c, plain);
    EXPECT_EQ(row.rfind(k.tag, 0), 0u) << row;
    EXPECT_TRUE(contains(row, "memory")) << row;
    EXPECT_TRUE(contains(row, "3 words wrong")) << row;
    EXPECT_EQ(contains(row, "fix: drain the GPU"), k.fix) << row;
    EXPECT_EQ(count_of(row, "\n"), k.fix ? 2u : 1u) << row;
  }
}

TEST(RenderCheckRow, NoFixLineWithoutHintOrWhenHintsOff) {
  const CheckResult no_hint = make_check("memory", Status::fail, "broken");
  EXPECT_FALSE(contains(render_check_row(no_hint, TableStyle{false, true}), "fix:"));
  const CheckResult with_hint = make_check("memory", Status::fail, "broken", "reset");
  EXPECT_FALSE(contains(render_check_row(with_hint, TableStyle{false, false}), "fix:"));
}

TEST(RenderCheckRow, MeasuredAppendedOnlyWhenNotInMessage) {
  CheckResult c = make_check("pcie", Status::pass, "H2D fine");
  c.measured = "24.1 GB/s";
  EXPECT_TRUE(contains(render_check_row(c, TableStyle{}), "[24.1 GB/s]"));
  c.message = "H2D 24.1 GB/s";
  EXPECT_FALSE(contains(render_check_row(c, TableStyle{}), "["));
}

TEST(RenderCheckRow, AnsiOnlyWithColor) {
  for (Status s : {Status::pass, Status::warn, Status::fail, Status::skip}) {
    const CheckResult c = make_check("gemm", s, "msg", "hint");
    EXPECT_FALSE(contains(render_check_row(c, TableStyle{false, true}), "\033")) << to_string(s);
    const std::string colored = render_check_row(c, TableStyle{true, true});
    EXPECT_TRUE(contains(colored, "\033[")) << to_string(s);
    EXPECT_TRUE(contains(colored, "\033[0m")) << to_string(s);
  }
}

TEST(RenderHeaderAndVerdict, AnsiOnlyWithColor) {
  const Report r = sample_report();
  EXPECT_FALSE(contains(render_header(r, TableStyle{false, true}), "\033"));
  EXPECT_TRUE(contains(render_header(r, TableStyle{true, true}), "\033["));
  const std::string v = render_verdict(r, TableStyle{false, true});
  EXPECT_FALSE(contains(v, "\033"));
  EXPECT_TRUE(contains(v, "FAIL: memory"));
  EXPECT_TRUE(contains(v, "[exit 1]"));
  EXPECT_TRUE(contains(render_verdict(r, TableStyle{true, true}), "\033["));
}

TEST(Format, Bytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.0 KiB");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(1024ULL * 1024), "1.0 MiB");
  EXPECT_EQ(format_bytes(80ULL * 1024 * 1024 * 1024), "80.0 GiB");
  EXPECT_EQ(format_bytes(2ULL * 1024 * 1024 * 1024 * 1024), "2.0 TiB");
  // TiB is the largest unit.
  EXPECT_EQ(format_bytes(2048ULL * 1024 * 1024 * 1024 * 1024), "2048.0 TiB");
}

TEST(Format, CudaVersion) {
  EXPECT_EQ(format_cuda_version(13000), "13.0");
  EXPECT_EQ(format_cuda_version(12080), "12.8");
  EXPECT_EQ(format_cuda_version(12040), "12.4");
  EXPECT_EQ(format_cuda_version(11020), "11.2");
  EXPECT_EQ(format_cuda_version(13010), "13.1");
  EXPECT_EQ(format_cuda_version(0), "?");
  EXPECT_EQ(format_cuda_version(-1), "?");
}

}  // namespace
}  // namespace gpuprobe
