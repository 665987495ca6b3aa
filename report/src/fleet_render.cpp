// The fleet view's renderers: text (terminal), Markdown (pull-request comment, CI step summary),
// one self-contained HTML page, and JSON (gpuprobe.fleet/1). The same tables in each; text, Markdown
// and HTML name a bounded number of nodes per cell (a fleet may have thousands), JSON names all.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/fleet.hpp"
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/report_doc.hpp"

namespace gpuprobe {

namespace {

// Nodes named in one cell or rows in one list of text and Markdown; HTML names more.
constexpr std::size_t kNamedText = 10;
constexpr std::size_t kNamedHtml = 100;
// Benchmarks charted on the HTML page (all are in its table).
constexpr std::size_t kMaxCharts = 50;

std::string pct(double fraction, bool sign) {
  char buf[32];
  std::snprintf(buf, sizeof buf, sign ? "%+.1f%%" : "%.1f%%", fraction * 100.0);
  return buf;
}

std::string gpu_text(const std::optional<int>& gpu) { return gpu ? "GPU " + std::to_string(*gpu) : "—"; }

std::string names(const std::vector<FleetCheckNode>& nodes, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < nodes.size() && i < limit; ++i) {
    out += (i ? ", " : "") + nodes[i].node;
    if (!nodes[i].reason.empty()) out += " (" + nodes[i].reason + ")";
  }
  if (nodes.size() > limit) out += ", and " + std::to_string(nodes.size() - limit) + " more";
  return out.empty() ? "—" : out;
}

std::string bench_name(const FleetBench& b) { return b.params.empty() ? b.name : b.name + " (" + b.params + ")"; }

std::string counts_line(const Fleet& f) {
  std::string s = std::to_string(f.nodes.size()) + (f.nodes.size() == 1 ? " node" : " nodes") + " from " +
                  std::to_string(f.reports_read) + (f.reports_read == 1 ? " report" : " reports");
  if (f.reports_superseded > 0) s += " (" + std::to_string(f.reports_superseded) + " older of the same node and command not counted)";
  if (!f.problems.empty()) s += ", " + std::to_string(f.problems.size()) + " unreadable line" + (f.problems.size() == 1 ? "" : "s");
  if (f.other_lines > 0) s += ", " + std::to_string(f.other_lines) + " other line" + (f.other_lines == 1 ? "" : "s") + " passed over";
  return s;
}

std::string rule_line(const Fleet& f) {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "outlier: slower than the median by more than %g x 1.4826 x MAD and more than %s of the median",
                f.options.mad_k, pct(f.options.min_deviation, false).c_str());
  return buf;
}

Table checks_rows(const Fleet& f, std::size_t limit) {
  Table t{{"check", "pass", "warn", "fail", "skip", "failed on"}};
  for (const auto& c : f.checks)
    t.push_back({c.id, std::to_string(c.pass), std::to_string(c.warn), std::to_string(c.fail), std::to_string(c.skip),
                 names(c.failing, limit)});
  return t;
}

Table bench_rows(const Fleet& f) {
  Table t{{"benchmark", "GPU", "unit", "n", "median", "spread", "min", "max", "threshold", "outliers"}};
  for (const auto& b : f.benchmarks) {
    const bool stats = b.count > 0;
    t.push_back({bench_name(b), b.gpu_model.empty() ? "—" : b.gpu_model,
                 b.unit + (b.higher_better ? "" : " (lower is better)"),
                 std::to_string(b.count) + (b.failed ? " (" + std::to_string(b.failed) + " failed)" : ""),
                 stats ? format_value(b.median) : "—", stats ? pct(b.spread, false) : "—",
                 stats ? format_value(b.min) : "—", stats ? format_value(b.max) : "—",
                 b.count >= 3 ? format_value(b.threshold) : "—", std::to_string(b.outliers.size())});
  }
  return t;
}

std::size_t outlier_count(const Fleet& f) {
  std::size_t n = 0;
  for (const auto& b : f.benchmarks) n += b.outliers.size();
  return n;
}

Table outlier_rows(const Fleet& f, std::size_t limit) {
  Table t{{"benchmark", "node", "GPU", "value", "vs median"}};
  for (const auto& b : f.benchmarks)
    for (const auto& o : b.outliers) {
      if (t.size() > limit) return t;
      t.push_back({bench_name(b), o.node, gpu_text(o.gpu), format_value(o.value) + " " + b.unit, pct(o.deviation, true)});
    }
  return t;
}

std::size_t failed_count(const Fleet& f) {
  return static_cast<std::size_t>(std::count_if(f.nodes.begin(), f.nodes.end(), [](const FleetNode& n) { return n.failed; }));
}

Table failed_rows(const Fleet& f, std::size_t limit) {
  Table t{{"node", "instance", "why", "report"}};
  for (const auto& n : f.nodes) {
    if (!n.failed) continue;
    if (t.size() > limit) break;
    t.push_back({n.name, n.instance_type.empty() ? "—" : n.instance_type, n.why, n.origin});
  }
  return t;
}

Table problem_rows(const Fleet& f, std::size_t limit) {
  Table t{{"line", "problem"}};
  for (const auto& p : f.problems) {
    if (t.size() > limit) break;
    t.push_back({p.origin + ":" + std::to_string(p.line), p.message});
  }
  return t;
}

std::string more(std::size_t total, std::size_t shown) {
  return total > shown ? "… and " + std::to_string(total - shown) + " more (all in --json)\n" : "";
}

// The sections in order, for text and Markdown: title, table, rows shown, rows in all.
struct Section {
  std::string title;
  Table table;
  std::size_t total;
};

std::vector<Section> sections(const Fleet& f, std::size_t limit) {
  std::vector<Section> s;
  if (failed_count(f) > 0) s.push_back({"Failed nodes", failed_rows(f, limit), failed_count(f)});
  s.push_back({"Checks", checks_rows(f, limit), f.checks.size()});
  if (!f.benchmarks.empty()) s.push_back({"Benchmarks", bench_rows(f), f.benchmarks.size()});
  if (outlier_count(f) > 0) s.push_back({"Slower than the fleet", outlier_rows(f, limit), outlier_count(f)});
  if (!f.problems.empty()) s.push_back({"Unreadable lines", problem_rows(f, limit), f.problems.size()});
  return s;
}

const char* kStyle = R"(body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.verdict-pass{background:#e3f4e1;padding:.5em}.verdict-fail{background:#f8d7da;padding:.5em;font-weight:bold}
figure.chart{margin:.8em 0}svg.bars text{font-size:12px;fill:#222}svg.bars text.t{font-weight:bold}.muted{color:#666;font-size:.85em})";

std::string html_table(const Table& t) {
  std::ostringstream os;
  os << "<table>\n";
  for (std::size_t r = 0; r < t.size(); ++r) {
    const char* cell = r == 0 ? "th" : "td";
    os << "<tr>";
    for (const auto& v : t[r]) os << "<" << cell << ">" << xml_escape(printable(v, false)) << "</" << cell << ">";
    os << "</tr>\n";
  }
  os << "</table>\n";
  return os.str();
}

// A benchmark's histogram over the fleet as bars: how many values fall in each range.
std::string histogram(const FleetBench& b) {
  const std::size_t n = b.bins.size();
  const double w = n > 0 ? (b.max - b.min) / static_cast<double>(n) : 0.0;
  std::vector<Bar> bars;
  for (std::size_t i = 0; i < n; ++i) {
    const double lo = b.min + w * static_cast<double>(i), hi = n == 1 ? b.max : lo + w;
    const bool beyond = b.count >= 3 && b.bins[i] > 0 && (b.higher_better ? hi <= b.threshold : lo >= b.threshold);
    bars.push_back({n == 1 ? format_value(lo) : format_value(lo) + " to " + format_value(hi), static_cast<double>(b.bins[i]),
                    std::to_string(b.bins[i]) + (beyond ? " (beyond the threshold)" : ""), beyond ? 3 : 0});
  }
  return "<figure class=\"chart\">" +
         svg_bar_chart(bench_name(b) + " on " + (b.gpu_model.empty() ? "?" : b.gpu_model) + " [" + b.unit + "]: values per range",
                       bars, std::nullopt) +
         "</figure>\n";
}

}  // namespace

std::string render_fleet_text(const Fleet& f) {
  std::ostringstream os;
  os << "fleet: " << counts_line(f) << "\n";
  for (const auto& s : sections(f, kNamedText)) {
    os << "\n" << s.title << "\n" << text_table(s.table, "  ") << more(s.total, s.table.size() - 1);
    if (s.title == "Benchmarks") os << "  " << rule_line(f) << "\n";
  }
  os << "\n" << printable(f.verdict, false) << "\n";
  return os.str();
}

std::string render_fleet_markdown(const Fleet& f) {
  std::ostringstream os;
  os << "### gpuprobe fleet\n\n**" << md_escape(f.verdict) << "** (exit " << f.exit_code << ")\n\n"
     << md_escape(counts_line(f)) << ".\n\n";
  for (const auto& s : sections(f, kNamedText)) {
    os << "#### " << s.title << "\n\n" << markdown_table(s.table) << more(s.total, s.table.size() - 1) << "\n";
    if (s.title == "Benchmarks") os << md_escape(rule_line(f)) << ".\n\n";
  }
  return os.str();
}

std::string render_fleet_html(const Fleet& f) {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
     << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
     << "<title>gpuprobe fleet: " << f.nodes.size() << " nodes</title>\n<style>\n" << kStyle
     << "\n</style>\n</head>\n<body>\n<h1>gpuprobe fleet</h1>\n"
     << "<p class=\"verdict-" << (f.exit_code == 0 ? "pass" : "fail") << "\">" << xml_escape(printable(f.verdict, false))
     << "</p>\n<p>" << xml_escape(printable(counts_line(f), false)) << ".</p>\n";
  for (const auto& s : sections(f, kNamedHtml)) {
    os << "<h2>" << s.title << "</h2>\n" << html_table(s.table);
    if (s.total > s.table.size() - 1) os << "<p class=\"muted\">" << xml_escape(more(s.total, s.table.size() - 1)) << "</p>\n";
    if (s.title == "Benchmarks") os << "<p class=\"muted\">" << xml_escape(rule_line(f)) << ".</p>\n";
  }
  if (!f.benchmarks.empty()) {
    os << "<h2>Distributions</h2>\n";
    for (std::size_t i = 0; i < f.benchmarks.size() && i < kMaxCharts; ++i)
      if (f.benchmarks[i].count > 0) os << histogram(f.benchmarks[i]);
    if (f.benchmarks.size() > kMaxCharts)
      os << "<p class=\"muted\">" << f.benchmarks.size() - kMaxCharts << " more benchmarks are in the table only.</p>\n";
  }
  os << "<p class=\"muted\">Generated by gpuprobe fleet; self-contained (no scripts, fonts or external styles).</p>\n"
     << "</body>\n</html>\n";
  return os.str();
}

nlohmann::json fleet_to_json(const Fleet& f) {
  using nlohmann::json;
  auto check_nodes = [](const std::vector<FleetCheckNode>& v) {
    json a = json::array();
    for (const auto& n : v) a.push_back({{"node", n.node}, {"reason", n.reason}, {"message", n.message}});
    return a;
  };
  json j = {{"schema", kFleetSchema},
            {"exit_code", f.exit_code},
            {"verdict", f.verdict},
            {"reports_read", f.reports_read},
            {"reports_superseded", f.reports_superseded},
            {"other_lines", f.other_lines},
            {"outlier_rule", {{"mad_k", f.options.mad_k}, {"min_deviation", f.options.min_deviation}}}};
  json nodes = json::array();
  for (const auto& n : f.nodes)
    nodes.push_back({{"name", n.name}, {"hostname", n.hostname}, {"instance_type", n.instance_type}, {"origin", n.origin},
                     {"reports", n.reports}, {"failed", n.failed}, {"why", n.why}});
  j["nodes"] = std::move(nodes);
  json checks = json::array();
  for (const auto& c : f.checks)
    checks.push_back({{"id", c.id}, {"title", c.title}, {"pass", c.pass}, {"warn", c.warn}, {"fail", c.fail},
                      {"skip", c.skip}, {"failing", check_nodes(c.failing)}, {"warning", check_nodes(c.warning)}});
  j["checks"] = std::move(checks);
  json benches = json::array();
  for (const auto& b : f.benchmarks) {
    json outliers = json::array();
    for (const auto& o : b.outliers)
      outliers.push_back({{"node", o.node}, {"gpu", o.gpu ? json(*o.gpu) : json(nullptr)}, {"value", o.value},
                          {"deviation", o.deviation}});
    const bool stats = b.count > 0;
    auto num = [stats](double v) { return stats ? json(v) : json(nullptr); };
    benches.push_back({{"name", b.name}, {"params", b.params}, {"unit", b.unit}, {"gpu_model", b.gpu_model},
                       {"higher_is_better", b.higher_better}, {"count", b.count}, {"failed", b.failed},
                       {"median", num(b.median)}, {"mad", num(b.mad)}, {"spread", num(b.spread)}, {"min", num(b.min)},
                       {"max", num(b.max)}, {"threshold", b.count >= 3 ? json(b.threshold) : json(nullptr)},
                       {"outliers", std::move(outliers)}});
  }
  j["benchmarks"] = std::move(benches);
  json problems = json::array();
  for (const auto& p : f.problems) problems.push_back({{"origin", p.origin}, {"line", p.line}, {"message", p.message}});
  j["problems"] = std::move(problems);
  return j;
}

}  // namespace gpuprobe
