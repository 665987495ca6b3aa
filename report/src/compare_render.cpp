#include "gpuprobe/report/compare_render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace gpuprobe {
namespace {

std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

const char* severity_tag(Severity s) {
  switch (s) {
    case Severity::failure: return "FAIL";
    case Severity::warning: return "WARN";
    case Severity::info: return "info";
  }
  return "?";
}

}  // namespace

std::string bench_title(const BenchRow& row) {
  return row.params.empty() ? row.name : row.name + " (" + row.params + ")";
}

namespace {

std::vector<std::string> header_row(const Comparison& c, const std::string& first) {
  std::vector<std::string> h{first};
  for (std::size_t i = 0; i < c.columns.size(); ++i) h.push_back(c.columns[i].label + (i == 0 ? " (base)" : ""));
  return h;
}

std::string price_text(const Column& col) {
  if (!col.price_per_hour) return "unknown";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", *col.price_per_hour);
  return buf;
}

}  // namespace

bool any_price(const Comparison& c) {
  for (const auto& col : c.columns)
    if (col.price_per_hour) return true;
  return false;
}

namespace {

std::string note_line(const Comparison& c) {
  return "tolerance " + format_percent(c.tolerance) +
         "; a difference within the smaller of the two noises (rel. spread) is \"same\" (nvbench's rule)";
}

}  // namespace

// Rows: reports (instance, GPUs, price), environment, benchmarks, perf per dollar.
Table report_rows(const Comparison& c) {
  std::vector<std::vector<std::string>> rows{header_row(c, "")};
  std::vector<std::string> inst{"instance"}, gpus{"GPUs"}, price{"$/hour"};
  for (const auto& col : c.columns) {
    inst.push_back(col.instance_type.empty() ? "unknown" : col.instance_type);
    gpus.push_back(col.gpus);
    price.push_back(price_text(col));
  }
  rows.push_back(inst);
  rows.push_back(gpus);
  rows.push_back(price);
  return rows;
}

Table env_table_rows(const Comparison& c, bool tag) {
  std::vector<std::vector<std::string>> rows;
  auto h = header_row(c, "field");
  h.insert(h.begin(), "severity");
  h.push_back("why");
  rows.push_back(h);
  for (const auto& e : c.env) {
    std::vector<std::string> r{tag ? severity_tag(e.severity) : to_string(e.severity), e.field};
    for (const auto& v : e.values) r.push_back(v.empty() ? "—" : v);
    r.push_back(e.note);
    rows.push_back(r);
  }
  return rows;
}

Table bench_table_rows(const Comparison& c) {
  std::vector<std::vector<std::string>> rows;
  auto h = header_row(c, "benchmark");
  h.insert(h.begin() + 1, "unit");
  rows.push_back(h);
  for (const auto& row : c.benchmarks) {
    std::vector<std::string> r{bench_title(row), row.unit};
    for (std::size_t i = 0; i < row.cells.size(); ++i) r.push_back(bench_cell_text(row, i));
    rows.push_back(r);
  }
  return rows;
}

namespace {

bool node_scope(const BenchRow& row, std::size_t column) {
  const auto& b = row.cells[column].bench;
  return b && b->scope == BenchScope::node;
}

// The divisor of a one-GPU value in one column: "6.880 = 55.040 ÷ 8 GPUs", or why it is unknown.
std::string gpu_hour_text(const Column& col) {
  if (!col.price_per_hour) return "unknown: no price";
  if (!col.instance_gpus)
    return "unknown: GPUs of " + (col.instance_type.empty() ? std::string("this instance") : col.instance_type) +
           " not in the catalog";
  const auto per_gpu = price_per_gpu_hour(col);
  if (!per_gpu) return "unknown";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.3f = %.3f ÷ %d GPU%s", *per_gpu, *col.price_per_hour, *col.instance_gpus,
                *col.instance_gpus == 1 ? "" : "s");
  return buf;
}

}  // namespace

Table per_dollar_rows(const Comparison& c) {
  std::vector<std::vector<std::string>> rows;
  auto h = header_row(c, "benchmark");
  h.insert(h.begin() + 1, "unit");
  rows.push_back(h);
  bool any_gpu_scope = false;
  for (const auto& row : c.benchmarks) {
    if (!row.higher_better) continue;
    // The unit names the divisor of the row's first measured cell; a cell of the other scope says its own.
    std::optional<bool> row_node;
    for (std::size_t i = 0; i < row.cells.size() && !row_node; ++i)
      if (row.cells[i].bench) row_node = node_scope(row, i);
    std::vector<std::string> r{bench_title(row), row.unit + (row_node.value_or(false) ? " per $/hour (node)" : " per $/GPU-hour")};
    bool any = false;
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const auto v = perf_per_dollar(row, i, c);
      any = any || v.has_value();
      std::string cell = v ? format_value(*v) : "—";
      if (v && node_scope(row, i) != row_node.value_or(false))
        cell += node_scope(row, i) ? " (per $/hour, node)" : " (per $/GPU-hour)";
      const auto& b = row.cells[i].bench;
      if (b && b->value && b->status == BenchStatus::ok && !node_scope(row, i) && c.columns[i].price_per_hour)
        any_gpu_scope = true;  // a one-GPU value with a price: its divisor, or why it is unknown, is shown
      r.push_back(cell);
    }
    if (any) rows.push_back(r);
  }
  if (any_gpu_scope) {
    std::vector<std::string> d{"$/GPU-hour", "$/hour ÷ GPUs"};
    for (const auto& col : c.columns) d.push_back(gpu_hour_text(col));
    rows.insert(rows.begin() + 1, d);
  }
  return rows;
}

std::string per_dollar_note() {
  return "value ÷ $/GPU-hour (on-demand $/hour ÷ the instance's GPUs) for a one-GPU benchmark, ÷ the "
         "instance's $/hour for a node aggregate";
}

std::string format_value(double v) {
  char buf[48];
  const double a = std::fabs(v);
  if (a >= 1000) std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (a >= 100) std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (a >= 1) std::snprintf(buf, sizeof buf, "%.2f", v);
  else if (a == 0) std::snprintf(buf, sizeof buf, "0");
  else std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string format_ratio(double ratio) {
  char buf[32];
  // Three decimals near 1, so that a 0.3 % difference does not read "×1.00 faster".
  std::snprintf(buf, sizeof buf, std::fabs(ratio - 1.0) < 0.01 ? "×%.3f" : "×%.2f", ratio);
  return buf;
}

std::string printable(const std::string& s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\n' && keep_newlines) out += '\n';
    else if (c == '\n' || c == '\r' || c == '\t') out += ' ';
    else if (c < 0x20 || c == 0x7f) out += '?';  // no terminal escape sequences from a report
    else out += static_cast<char>(c);
  }
  return out;
}

std::string md_escape(const std::string& raw) {
  const std::string s = printable(raw, false);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '|': out += "\\|"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\n': case '\r': out += ' '; break;
      case '`': out += "\\`"; break;
      default: out += c;
    }
  }
  return out;
}

std::string bench_cell_text(const BenchRow& row, std::size_t i) {
  const BenchCell& cell = row.cells.at(i);
  if (!cell.bench) return "—";
  const Benchmark& b = *cell.bench;
  if (b.status != BenchStatus::ok) return to_string(b.status);
  std::string v = b.value ? format_value(*b.value) : "no value";
  if (b.verified == false) v += " (not verified)";
  if (i == 0) return v;
  switch (cell.verdict) {
    case BenchVerdict::faster:
    case BenchVerdict::slower:
    case BenchVerdict::same:
      v += " (" + format_ratio(cell.ratio) + " " + to_string(cell.verdict) + (cell.regression ? ", REGRESSION" : "") + ")";
      break;
    case BenchVerdict::failed: v += " (FAILED)"; break;
    default: break;
  }
  return v;
}

namespace {

// A text cell: printable, and at most kMaxCell code points (a 200 KB GPU list would otherwise pad
// every row of its column to 200 KB).
constexpr std::size_t kMaxCell = 120;

std::string text_cell(const std::string& raw) {
  std::string s = printable(raw, false);
  if (display_width(s) <= kMaxCell) return s;
  std::size_t cps = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++cps > kMaxCell - 3) break;
  }
  return s.substr(0, i) + "...";
}

}  // namespace

std::string text_table(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> w;
  for (const auto& r : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line.push_back(text_cell(r[i]));
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], display_width(line.back()));
    }
    cells.push_back(std::move(line));
  }
  std::ostringstream os;
  for (const auto& r : cells) {
    std::string line = indent;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - display_width(r[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << line << "\n";
  }
  return os.str();
}

std::string markdown_table(const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream os;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    os << "|";
    for (const auto& cell : rows[r]) os << " " << md_escape(cell) << " |";
    os << "\n";
    if (r == 0) {
      os << "|";
      for (std::size_t i = 0; i < rows[0].size(); ++i) os << (i == 0 ? "---|" : "---|");
      os << "\n";
    }
  }
  return os.str();
}

std::string render_compare_text(const Comparison& c, const CompareOutcome& o) {
  std::ostringstream os;
  os << "reports (" << c.columns.size() << "; the first is the base)\n" << text_table(report_rows(c), "  ");
  if (any_price(c)) os << "  prices: " << c.prices_note << "\n";
  os << "\nenvironment: ";
  if (c.env.empty()) os << "no differences\n";
  else os << c.env.size() << " difference" << (c.env.size() == 1 ? "" : "s") << "\n" << text_table(env_table_rows(c, true), "  ");
  os << "\nbenchmarks: ";
  if (c.benchmarks.empty()) {
    os << "none in these reports (environment compared only)\n";
  } else {
    os << c.benchmarks.size() << " (" << note_line(c) << ")\n" << text_table(bench_table_rows(c), "  ");
    if (any_price(c)) {
      const auto pd = per_dollar_rows(c);
      if (pd.size() > 1) os << "\nperf per dollar (" << per_dollar_note() << ")\n" << text_table(pd, "  ");
    }
  }
  os << "\n" << o.line << " [exit " << o.exit_code << "]\n";
  return printable(os.str(), true);
}

std::string render_compare_markdown(const Comparison& c, const CompareOutcome& o) {
  std::ostringstream os;
  os << "### gpuprobe compare\n\n**" << md_escape(o.line) << "** (exit " << o.exit_code << ")\n\n";
  os << markdown_table(report_rows(c)) << "\n";
  if (any_price(c)) os << "Prices: " << md_escape(c.prices_note) << ".\n\n";
  os << "#### Environment\n\n";
  if (c.env.empty()) os << "No differences.\n\n";
  else os << markdown_table(env_table_rows(c, false)) << "\n";
  os << "#### Benchmarks\n\n";
  if (c.benchmarks.empty()) {
    os << "No benchmarks in these reports: environment compared only.\n";
  } else {
    os << md_escape(note_line(c)) << ".\n\n" << markdown_table(bench_table_rows(c));
    if (any_price(c)) {
      const auto pd = per_dollar_rows(c);
      if (pd.size() > 1)
        os << "\n#### Perf per dollar\n\n" << md_escape("Perf per dollar = " + per_dollar_note()) << ".\n\n"
           << markdown_table(pd);
    }
  }
  return os.str();
}

nlohmann::json comparison_to_json(const Comparison& c, const CompareOutcome& o) {
  using nlohmann::json;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json cols = json::array();
  for (const auto& col : c.columns)
    cols.push_back({{"label", col.label}, {"instance_type", col.instance_type}, {"gpus", col.gpus},
                    {"price_per_hour", opt(col.price_per_hour)},
                    {"instance_gpu_count", col.instance_gpus ? json(*col.instance_gpus) : json(nullptr)},
                    {"price_per_gpu_hour", opt(price_per_gpu_hour(col))}});
  json env = json::array();
  for (const auto& e : c.env)
    env.push_back({{"field", e.field}, {"values", e.values}, {"severity", to_string(e.severity)}, {"note", e.note}});
  json benches = json::array();
  for (const auto& row : c.benchmarks) {
    json cells = json::array();
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      const auto& cell = row.cells[i];
      const bool has = cell.bench.has_value();
      const auto per_dollar = perf_per_dollar(row, i, c);
      cells.push_back({{"value", has ? opt(cell.bench->value) : json(nullptr)},
                       {"status", has ? json(to_string(cell.bench->status)) : json(nullptr)},
                       {"ratio", cell.ratio > 0 ? json(cell.ratio) : json(nullptr)},
                       {"noise", cell.noise},
                       {"verdict", to_string(cell.verdict)},
                       {"regression", cell.regression},
                       {"perf_per_dollar", opt(per_dollar)},
                       {"perf_per_dollar_divisor",
                        per_dollar ? json(cell.bench->scope == BenchScope::node ? "price_per_hour" : "price_per_gpu_hour")
                            : json(nullptr)}});
    }
    benches.push_back({{"name", row.name}, {"params", row.params}, {"unit", row.unit},
                       {"higher_is_better", row.higher_better}, {"cells", cells}});
  }
  return json{{"schema", "gpuprobe.compare/1"},
              {"verdict", o.line},
              {"exit_code", o.exit_code},
              {"tolerance", c.tolerance},
              {"prices", c.prices_note},
              {"columns", cols},
              {"environment", env},
              {"benchmarks", benches},
              {"counts",
               {{"env_failures", o.env_failures}, {"env_warnings", o.env_warnings}, {"env_info", o.env_info},
                {"faster", o.faster}, {"slower", o.slower}, {"same", o.same}, {"failed", o.failed},
                {"regressions", o.regressions}}}};
}

}  // namespace gpuprobe
