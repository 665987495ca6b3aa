#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/burn_render.hpp"
#include "gpuprobe/report/report_doc.hpp"

namespace gpuprobe {
namespace {

std::string status_md(const CheckResult& c) {
  const std::string s = to_string(c.status);
  return c.status == Status::fail ? "**" + s + "**" : s;
}

Table checks_rows(const std::vector<Report>& reports, const Comparison& c) {
  const CheckGrid grid = check_grid(reports);
  Table t;
  std::vector<std::string> h{"check"};
  for (const auto& col : c.columns) h.push_back(col.label);
  t.push_back(h);
  for (const auto& id : grid.ids) {
    std::vector<std::string> row{id};
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const CheckResult* r = grid.at(i, id);
      row.push_back(r ? status_md(*r) : "—");
    }
    t.push_back(row);
  }
  return t;
}

Table peak_rows(const Comparison& c) {
  Table t;
  std::vector<std::string> h{"benchmark"};
  for (const auto& col : c.columns) h.push_back(col.label);
  t.push_back(h);
  for (const auto& row : c.benchmarks) {
    std::vector<std::string> r{bench_title(row)};
    bool any = false;
    for (const auto& cell : row.cells) {
      if (cell.bench && cell.bench->status == BenchStatus::ok && cell.bench->peak_percent) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f%%", *cell.bench->peak_percent);
        r.push_back(buf);
        any = true;
      } else {
        r.push_back("—");
      }
    }
    if (any) t.push_back(r);
  }
  return t;
}

}  // namespace

const CheckResult* CheckGrid::at(std::size_t report, const std::string& id) const {
  if (report >= by_report.size()) return nullptr;
  auto it = by_report[report].find(id);
  return it == by_report[report].end() ? nullptr : it->second;
}

CheckGrid check_grid(const std::vector<Report>& reports) {
  CheckGrid g;
  std::set<std::string> known;
  for (const auto& r : reports) {
    std::map<std::string, const CheckResult*> m;
    for (const auto& ch : r.checks) {
      if (known.insert(ch.id).second) g.ids.push_back(ch.id);
      m.emplace(ch.id, &ch);  // a repeated id: the first counts
    }
    g.by_report.push_back(std::move(m));
  }
  return g;
}

std::string render_reports_markdown(const std::vector<Report>& reports, const Comparison& c) {
  std::ostringstream os;
  os << "### gpuprobe report\n\n";
  Table t = report_rows(c);
  std::vector<std::string> driver{"driver"}, verdict{"verdict"};
  for (const auto& r : reports) {
    driver.push_back(r.software.driver_version.value_or("none"));
    verdict.push_back(r.verdict.empty() ? "—" : r.verdict);
  }
  t.push_back(driver);
  t.push_back(verdict);
  os << markdown_table(t) << "\n";
  if (any_price(c)) os << "Prices: " << md_escape(c.prices_note) << ".\n\n";
  for (const auto& r : reports)  // `gpuprobe burn`: its table per GPU
    if (r.burn) os << render_burn_markdown(*r.burn) << "\n";
  os << "#### Checks\n\n" << markdown_table(checks_rows(reports, c)) << "\n";
  os << "#### Benchmarks\n\n";
  if (c.benchmarks.empty()) {
    os << "No benchmarks in these reports.\n\n";
  } else {
    os << markdown_table(bench_table_rows(c)) << "\n";
    const Table peaks = peak_rows(c);
    if (peaks.size() > 1) os << "% of datasheet peak:\n\n" << markdown_table(peaks) << "\n";
    if (any_price(c)) {
      const auto pd = per_dollar_rows(c);
      if (pd.size() > 1) os << "Perf per dollar (" << md_escape(per_dollar_note()) << "):\n\n" << markdown_table(pd) << "\n";
    }
  }
  if (c.columns.size() > 1) {
    os << "<details><summary>Environment differences (" << c.env.size() << ")</summary>\n\n";
    if (c.env.empty()) os << "None.\n";
    else os << markdown_table(env_table_rows(c, false));
    os << "\n</details>\n";
  }
  return os.str();
}

}  // namespace gpuprobe
