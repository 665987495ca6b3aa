// The burn section of a report (`gpuprobe burn`): a compact table per GPU for the terminal and
// Markdown, and per GPU its time series as inline SVG line charts (SM clock, power, temperature,
// throughput) for the HTML page. Deterministic; unit-tested for structure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/report/burn.hpp"

namespace gpuprobe {

std::string render_burn_text(const BurnRun& b);
std::string render_burn_markdown(const BurnRun& b);
// <h2>Burn</h2>, the table, and per GPU its findings and four <svg class="series"> charts.
std::string render_burn_html(const BurnRun& b);

// One line chart over time as an inline <svg class="series">: a <polyline> through the points whose
// value is set (one point each), and a dashed line at `reference` (a maximum clock, a power limit).
std::string svg_line_chart(const std::string& title, const std::vector<double>& t,
                           const std::vector<std::optional<double>>& values, std::optional<double> reference,
                           const std::string& color);

}  // namespace gpuprobe
