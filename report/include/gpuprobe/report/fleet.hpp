// gpuprobe fleet: many nodes' reports as one view (docs/fleet.md). Reports come as JSON lines (one
// report per line, as the Kubernetes manifests print them; the lines that do not start with '{' are
// the table the pod also logged and are passed over) or as indented report files. Per check: how many
// nodes passed, warned, failed, skipped, and which failed. Per benchmark and GPU model: the
// distribution over the fleet (median, MAD) and the nodes/GPUs slower than a robust threshold.
// Pure logic on text and Report values; renderers in fleet_render.cpp, the subcommand in app/cmd_fleet.cpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

inline constexpr const char* kFleetSchema = "gpuprobe.fleet/1";

// A line that starts with '{' but is not a readable report: named with its input and line number.
struct FleetProblem {
  std::string origin;  // the file, "-" for stdin
  std::size_t line = 0;
  std::string message;
};

struct FleetInput {
  std::vector<Report> reports;
  std::vector<std::string> origins;   // "FILE:LINE" of each report, in the same order
  std::vector<FleetProblem> problems;
  std::size_t other_lines = 0;        // non-blank lines not starting with '{' (the table in a pod log)
};

// Adds the reports of one input's text to `into`. A text whose first non-blank line is "{" alone is
// one indented report (what `--json FILE` writes); any other text is JSON lines. Each report is
// read by parse_report_text (depth guard, schema, field types); one that fails is a FleetProblem.
void read_fleet_text(std::string_view text, const std::string& origin, FleetInput& into);

// Reads files ("-": stdin) with read_fleet_text. Throws ReportError for a file that cannot be read.
FleetInput load_fleet(const std::vector<std::string>& paths);

struct FleetOptions {
  double mad_k = 3.5;          // flagged beyond k robust standard deviations (1.4826·MAD) …
  double min_deviation = 0.05; // … and beyond this fraction of the median
};

struct FleetNode {
  std::string name;           // report_label: label, else cloud instance type, else hostname
  std::string hostname;
  std::string instance_type;  // host.cloud.instance_type, "" when unknown
  std::string origin;         // "FILE:LINE" of its newest report
  std::size_t reports = 0;    // the reports of this node that count (newest of each command)
  bool failed = false;
  std::string why;            // the first failure: "check ecc: fail (…)", "exit 4: …"
};

struct FleetCheckNode {
  std::string node;
  std::string reason;   // the check's reason code
  std::string message;
};

struct FleetCheck {
  std::string id, title;
  std::size_t pass = 0, warn = 0, fail = 0, skip = 0;
  std::vector<FleetCheckNode> failing;  // in node order
  std::vector<FleetCheckNode> warning;
};

struct FleetOutlier {
  std::string node;
  std::optional<int> gpu;  // the GPU index when the entry carries one
  double value = 0;
  double deviation = 0;    // (value - median) / median, signed
};

struct FleetBench {
  std::string key, name, params, unit;
  std::string gpu_model;    // the GPU's name (else the instance type) the distribution is of
  bool higher_better = true;
  std::size_t count = 0;    // values measured (one per node and GPU)
  std::size_t failed = 0;   // entries with status failed
  double median = 0, mad = 0, min = 0, max = 0;
  double spread = 0;        // 1.4826·MAD / |median|: the fleet's robust relative spread
  double threshold = 0;     // values worse than this are outliers
  std::vector<FleetOutlier> outliers;  // worst first
  std::vector<std::size_t> bins;       // a histogram: values per tenth of [min, max] (one bin when min == max)
};

struct Fleet {
  std::vector<FleetNode> nodes;
  std::vector<FleetCheck> checks;       // ids in first-seen order
  std::vector<FleetBench> benchmarks;   // first-seen order
  std::vector<FleetProblem> problems;
  std::size_t reports_read = 0;         // every readable report
  std::size_t reports_superseded = 0;   // older reports of a node and command, not counted
  std::size_t other_lines = 0;
  FleetOptions options;
  int exit_code = 0;                    // 0 every node passed, no outlier; 1 otherwise
  std::string verdict;                  // one line
};

// The median and the median absolute deviation of `values` (reordered). Empty: {0, 0}.
struct MedianMad {
  double median = 0, mad = 0;
};
MedianMad median_mad(std::vector<double>& values);

// The value beyond which a measurement is an outlier: median ∓ max(k·1.4826·MAD, min_deviation·|median|),
// below for higher-is-better units, above for lower-is-better ones (time).
double outlier_threshold(double median, double mad, bool higher_better, const FleetOptions& o);

// The GPU index of a benchmark entry: its `gpu` (Benchmark::gpu, schema 1.3), else params.gpu;
// nullopt when neither is an integer.
std::optional<int> bench_gpu_index(const Benchmark& b);

// The fleet view of the input's reports.
Fleet analyze_fleet(const FleetInput& in, const FleetOptions& o = {});

// Renderers (fleet_render.cpp): deterministic, no clock.
std::string render_fleet_text(const Fleet& f);
std::string render_fleet_markdown(const Fleet& f);
std::string render_fleet_html(const Fleet& f);
nlohmann::json fleet_to_json(const Fleet& f);  // "schema": "gpuprobe.fleet/1", docs/fleet.md

}  // namespace gpuprobe
