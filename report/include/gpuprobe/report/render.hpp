// Renderers of a Report: the human table (terminal) and JUnit XML (CI systems).
#pragma once

#include <iosfwd>
#include <string>

#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

struct TableStyle {
  bool color = false;  // ANSI colours; the caller decides (TTY, NO_COLOR, TERM=dumb)
  bool hints = true;   // print the fix under each warned or failed check
};

// Decide colour the way users expect: a terminal, NO_COLOR unset or empty, TERM not "dumb".
bool want_color(int fd);

// One row of the check table, as streamed while checks run.
std::string render_check_row(const CheckResult& c, const TableStyle& style);
// The header block: host, GPUs, software.
std::string render_header(const Report& r, const TableStyle& style);
// The verdict line, coloured by outcome.
std::string render_verdict(const Report& r, const TableStyle& style);

// The table of a report's benchmarks[] entries (`gpuprobe bench`): shape, value, % of peak, % of
// the baseline, spread, and verified / FAILED / skipped with the reason (coloured as check rows).
std::string render_benchmark_table(const std::vector<Benchmark>& entries, const TableStyle& style);
// A benchmark's params for people: "4096x4096x4096" (GEMM), "n32 28x28x128 k128 3x3 /1 p1" (conv),
// "1 GiB" (memory), "0→1 64 MiB" (a GPU pair).
std::string shape_text(const nlohmann::json& params);

std::string render_junit(const Report& r);
std::string xml_escape(const std::string& s);

// How output names a cloud provider's machines: "aws" -> "EC2"; another provider by its id.
std::string cloud_machine_name(const std::string& provider);

// Human-readable sizes and versions used across renderers.
std::string format_bytes(std::uint64_t bytes);
std::string format_cuda_version(int v);  // 13000 -> "13.0", 12080 -> "12.8"

}  // namespace gpuprobe
