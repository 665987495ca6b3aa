// Renderers of a Comparison: the terminal text of `gpuprobe compare` and Markdown (pull-request
// comment, CI step summary). Deterministic: no clock, no environment; golden-file tested.
#pragma once

#include <string>
#include <vector>

#include "gpuprobe/report/compare.hpp"

namespace gpuprobe {

std::string render_compare_text(const Comparison& c, const CompareOutcome& o);
std::string render_compare_markdown(const Comparison& c, const CompareOutcome& o);
// Machine-readable form ("schema": "gpuprobe.compare/1"), documented in docs/compare.md.
nlohmann::json comparison_to_json(const Comparison& c, const CompareOutcome& o);

// Small formatters shared by the text, Markdown and HTML renderers.
std::string format_value(double v);       // 771.2, 8192, 0.00123
std::string format_ratio(double ratio);   // ×0.47
std::string md_escape(const std::string& s);  // | and newlines, < > & as entities, control characters
// Control characters (ESC, …) become '?', so a hostile report cannot drive the terminal; newlines
// and tabs become spaces unless keep_newlines.
std::string printable(const std::string& s, bool keep_newlines);
// A cell of a benchmark row: "70.1 (×0.47 slower)", "150", "failed", "—".
std::string bench_cell_text(const BenchRow& row, std::size_t column);

using Table = std::vector<std::vector<std::string>>;  // rows of cells; the first row is the header

// The tables both renderers (and `gpuprobe report`) show. Columns: one per report.
Table report_rows(const Comparison& c);               // instance, GPUs, $/hour
Table env_table_rows(const Comparison& c, bool tag);  // severity, field, values, why (tag: FAIL/WARN/info)
Table bench_table_rows(const Comparison& c);          // benchmark, unit, a cell per report
// Perf per dollar: a "$/GPU-hour" row (each column's divisor of one-GPU values, or why it is unknown),
// then value / divisor per benchmark (perf_per_dollar), rows with a known divisor only.
Table per_dollar_rows(const Comparison& c);
// What perf per dollar divides by, for the table's heading: "value ÷ $/GPU-hour (…) for a one-GPU benchmark, …".
std::string per_dollar_note();
std::string bench_title(const BenchRow& row);         // "name (m=8192 n=8192)"
bool any_price(const Comparison& c);

// Plain text table: columns padded to their widest cell (UTF-8 aware).
std::string text_table(const std::vector<std::vector<std::string>>& rows, const std::string& indent = "");
// Markdown table; the first row is the header.
std::string markdown_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace gpuprobe
