// `gpuprobe report`: one self-contained HTML file (inline SVG bar charts, inline styles, no script,
// no external resource) and Markdown for a pull-request comment or a CI step summary, from N
// reports. Deterministic (no clock); golden-file tested.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/report/compare.hpp"

namespace gpuprobe {

struct Bar {
  std::string label;
  std::optional<double> value;  // nullopt: drawn as "n/a", no bar
  std::string text;             // printed after the bar
  int color = 0;                // palette index
};

// A horizontal bar chart as an inline <svg> element. Bars scale to max_value (else the largest
// value). Each bar is <rect class="bar" data-value="…">; an absent value draws no rect.
std::string svg_bar_chart(const std::string& title, const std::vector<Bar>& bars, std::optional<double> max_value);

// Palette colour of report i ("#4e79a7", …), the same in every chart.
const char* palette_color(std::size_t i);

// The checks of N reports as a grid: every check id in first-seen order, and per report the
// result of each id (nullptr where that report did not run it). Map lookups: linear in the input.
struct CheckGrid {
  std::vector<std::string> ids;
  std::vector<std::map<std::string, const CheckResult*>> by_report;
  const CheckResult* at(std::size_t report, const std::string& id) const;
};
CheckGrid check_grid(const std::vector<Report>& reports);

std::string render_reports_html(const std::vector<Report>& reports, const Comparison& c);
std::string render_reports_markdown(const std::vector<Report>& reports, const Comparison& c);

}  // namespace gpuprobe
