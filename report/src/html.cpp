#include <algorithm>
#include <cstdio>
#include <sstream>

#include "gpuprobe/report/burn_render.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/report_doc.hpp"

namespace gpuprobe {
namespace {

const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

std::string esc(const std::string& s) { return xml_escape(s); }

std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

const char* kStyle = R"(body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.pass{background:#e3f4e1}.warn{background:#fff3cd}.fail{background:#f8d7da;font-weight:bold}.skip{color:#777}
.sev-failure{background:#f8d7da}.sev-warning{background:#fff3cd}.sev-info{background:#eef3fb}
figure.chart{margin:.8em 0}svg.bars text{font-size:12px;fill:#222}svg.bars text.t{font-weight:bold}
.legend span{display:inline-block;margin-right:1em}.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
.muted{color:#666;font-size:.85em})";

std::string table_html(const Table& t, const std::vector<std::string>& row_classes = {}) {
  std::ostringstream os;
  os << "<table>\n";
  for (std::size_t r = 0; r < t.size(); ++r) {
    const char* cell = r == 0 ? "th" : "td";
    os << "<tr";
    if (r > 0 && r - 1 < row_classes.size() && !row_classes[r - 1].empty()) os << " class=\"" << row_classes[r - 1] << "\"";
    os << ">";
    for (const auto& v : t[r]) os << "<" << cell << ">" << esc(v) << "</" << cell << ">";
    os << "</tr>\n";
  }
  os << "</table>\n";
  return os.str();
}

std::string legend(const Comparison& c) {
  std::ostringstream os;
  os << "<p class=\"legend\">";
  for (std::size_t i = 0; i < c.columns.size(); ++i)
    os << "<span><i class=\"swatch\" style=\"background:" << palette_color(i) << "\"></i>" << esc(c.columns[i].label)
       << "</span>";
  os << "</p>\n";
  return os.str();
}

// A page stays usable (and its size bounded) with thousands of benchmarks: the first ones are
// charted, all are in the table.
constexpr std::size_t kMaxCharts = 100;

std::string throughput_charts(const Comparison& c) {
  std::ostringstream os;
  for (std::size_t n = 0; n < c.benchmarks.size() && n < kMaxCharts; ++n) {
    const auto& row = c.benchmarks[n];
    std::vector<Bar> bars;
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const auto& b = row.cells[i].bench;
      Bar bar{c.columns[i].label, std::nullopt, b ? bench_cell_text(row, i) : "not in this report", static_cast<int>(i)};
      if (b && b->status == BenchStatus::ok && b->value && *b->value >= 0) {
        bar.value = *b->value;
        bar.text = format_value(*b->value) + " " + row.unit;
        const auto& cell = row.cells[i];
        if (i > 0 && cell.ratio > 0)
          bar.text += " (" + format_ratio(cell.ratio) + " " + to_string(cell.verdict) + (cell.regression ? ", REGRESSION" : "") + ")";
      }
      bars.push_back(bar);
    }
    os << "<figure class=\"chart\" data-kind=\"throughput\">"
       << svg_bar_chart(bench_title(row) + " [" + row.unit + (row.higher_better ? ", higher is better]" : ", lower is better]"),
                        bars, std::nullopt)
       << "</figure>\n";
  }
  if (c.benchmarks.size() > kMaxCharts)
    os << "<p class=\"muted\">" << c.benchmarks.size() - kMaxCharts << " more benchmarks are in the table only.</p>\n";
  return os.str();
}

std::string peak_charts(const Comparison& c) {
  std::ostringstream os;
  for (std::size_t i = 0; i < c.columns.size() && i < kMaxCharts; ++i) {
    std::vector<Bar> bars;
    bool any = false;
    for (std::size_t n = 0; n < c.benchmarks.size() && n < kMaxCharts; ++n) {
      const auto& row = c.benchmarks[n];
      const auto& b = row.cells[i].bench;
      Bar bar{bench_title(row), std::nullopt, "peak unknown", static_cast<int>(i)};
      if (b && b->status == BenchStatus::ok && b->peak_percent) {
        bar.value = std::clamp(*b->peak_percent, 0.0, 1000.0);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f%%", *b->peak_percent);
        bar.text = buf;
        any = true;
      }
      bars.push_back(bar);
    }
    if (!any) continue;
    os << "<figure class=\"chart\" data-kind=\"peak\">" << svg_bar_chart("% of peak: " + c.columns[i].label, bars, 100.0)
       << "</figure>\n";
  }
  return os.str();
}

std::string status_class(const std::string& s) { return s == "pass" || s == "warn" || s == "fail" || s == "skip" ? s : ""; }

std::string checks_table(const std::vector<Report>& reports, const Comparison& c) {
  const CheckGrid grid = check_grid(reports);
  std::ostringstream os;
  os << "<table>\n<tr><th>check</th>";
  for (const auto& col : c.columns) os << "<th>" << esc(col.label) << "</th>";
  os << "</tr>\n";
  for (const auto& id : grid.ids) {
    os << "<tr><td>" << esc(id) << "</td>";
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const CheckResult* found = grid.at(i, id);
      if (!found) {
        os << "<td class=\"skip\">—</td>";
        continue;
      }
      const std::string st = to_string(found->status);
      os << "<td class=\"" << status_class(st) << "\" title=\"" << esc(found->hint) << "\">" << esc(st) << ": "
         << esc(found->message) << "</td>";
    }
    os << "</tr>\n";
  }
  os << "</table>\n";
  return os.str();
}

std::string environment_table(const std::vector<Report>& reports, const Comparison& c) {
  const auto rows = environment_rows(reports, true);
  Table t;
  std::vector<std::string> h{"field"};
  for (const auto& col : c.columns) h.push_back(col.label);
  t.push_back(h);
  std::vector<std::string> classes;
  for (const auto& e : rows) {
    std::vector<std::string> r{e.field};
    bool differs = false;
    for (const auto& v : e.values) {
      r.push_back(v.empty() ? "—" : v);
      differs = differs || v != e.values[0];
    }
    t.push_back(r);
    classes.push_back(differs ? std::string("sev-") + to_string(e.severity) : "");
  }
  return table_html(t, classes);
}

}  // namespace

const char* palette_color(std::size_t i) { return kPalette[i % (sizeof kPalette / sizeof kPalette[0])]; }

std::string svg_bar_chart(const std::string& title, const std::vector<Bar>& bars, std::optional<double> max_value) {
  const double label_w = 270, bar_w = 380, row_h = 26, top = 28, width = 1000;
  double maxv = max_value.value_or(0.0);
  for (const auto& b : bars)
    if (b.value) maxv = std::max(maxv, *b.value);
  const double height = top + row_h * static_cast<double>(bars.size()) + 8;
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bars\" width=\"" << px(width) << "\" height=\"" << px(height)
     << "\" viewBox=\"0 0 " << px(width) << " " << px(height) << "\" role=\"img\" aria-label=\"" << esc(title) << "\">"
     << "<text class=\"t\" x=\"0\" y=\"16\">" << esc(title) << "</text>";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = top + row_h * static_cast<double>(i);
    std::string label = b.label;
    if (label.size() > 36) {
      std::size_t cut = 33;
      while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
      label = label.substr(0, cut) + "...";
    }
    os << "<text x=\"" << px(label_w - 8) << "\" y=\"" << px(y + 15) << "\" text-anchor=\"end\">" << esc(label) << "</text>";
    double w = 0;
    if (b.value) {
      w = maxv > 0 ? *b.value / maxv * bar_w : 0.0;
      if (*b.value > 0 && w < 1) w = 1;
      os << "<rect class=\"bar\" x=\"" << px(label_w) << "\" y=\"" << px(y + 2) << "\" width=\"" << px(w)
         << "\" height=\"" << px(row_h - 6) << "\" fill=\"" << palette_color(static_cast<std::size_t>(b.color))
         << "\" data-value=\"" << format_value(*b.value) << "\"/>";
    }
    os << "<text x=\"" << px(label_w + w + 6) << "\" y=\"" << px(y + 15) << "\">" << esc(b.value ? b.text : "n/a: " + b.text)
       << "</text>";
  }
  os << "</svg>";
  return os.str();
}

std::string render_reports_html(const std::vector<Report>& reports, const Comparison& c) {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
     << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
     << "<title>gpuprobe report: ";
  for (std::size_t i = 0; i < c.columns.size(); ++i) os << (i ? ", " : "") << esc(c.columns[i].label);
  os << "</title>\n<style>\n" << kStyle << "\n</style>\n</head>\n<body>\n<h1>gpuprobe report</h1>\n";
  os << "<h2>Reports</h2>\n";
  Table t = report_rows(c);
  std::vector<std::string> driver{"driver"}, created{"created"}, verdict{"verdict"};
  for (const auto& r : reports) {
    driver.push_back(r.software.driver_version.value_or("none"));
    created.push_back(r.created_at);
    verdict.push_back(r.verdict);
  }
  t.push_back(driver);
  t.push_back(created);
  t.push_back(verdict);
  os << table_html(t);
  if (any_price(c)) os << "<p class=\"muted\">Prices: " << esc(c.prices_note) << ".</p>\n";
  os << "<h2>Benchmarks</h2>\n";
  if (c.benchmarks.empty()) {
    os << "<p>No benchmarks in these reports (run <code>gpuprobe bench</code>).</p>\n";
  } else {
    os << legend(c) << "<h3>Throughput per benchmark</h3>\n" << throughput_charts(c);
    const std::string peaks = peak_charts(c);
    os << "<h3>% of peak per report</h3>\n" << (peaks.empty() ? "<p>No benchmark reports a % of peak.</p>\n" : peaks);
    os << "<h3>Table</h3>\n" << table_html(bench_table_rows(c));
    if (any_price(c)) {
      const auto pd = per_dollar_rows(c);
      if (pd.size() > 1)
        os << "<h3>Perf per dollar</h3>\n<p class=\"muted\">Perf per dollar = " << esc(per_dollar_note()) << ".</p>\n"
           << table_html(pd);
    }
  }
  for (const auto& r : reports)  // `gpuprobe burn`: its time series per GPU
    if (r.burn) os << (reports.size() > 1 ? "<p class=\"muted\">" + esc(r.label) + "</p>\n" : "") << render_burn_html(*r.burn);
  os << "<h2>Checks</h2>\n" << checks_table(reports, c);
  os << "<h2>Environment</h2>\n";
  if (c.columns.size() > 1)
    os << "<p class=\"muted\">Rows that differ from the first report are shaded by severity "
          "(failure red, warning yellow, informational blue).</p>\n";
  os << environment_table(reports, c);
  os << "<p class=\"muted\">Generated by gpuprobe report from " << reports.size() << " report"
     << (reports.size() == 1 ? "" : "s") << "; self-contained (no scripts, fonts or external styles).</p>\n";
  os << "</body>\n</html>\n";
  return os.str();
}

}  // namespace gpuprobe
