// gpuprobe compare: environment differences with a severity, benchmarks matched by name and params
// with a noise-aware verdict, and the exit code. Two reports or N (one column per report; the first
// is the base). Pure logic on Report values; renderers are in compare_render.hpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/report/benchmark.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

enum class Severity { info, warning, failure };
const char* to_string(Severity s);

// How a fingerprint field's difference is judged (see severity_of).
enum class FieldKind {
  info,           // GPU model, hostname, kernel, …: informational
  warning,        // CUDA runtime / driver CUDA version, MIG mode: warning
  driver_branch,  // driver "580.65.06": another branch (580 vs 550) warns, same branch is info
  major_version,  // cuBLAS / cuDNN "9.13.0": another major warns, else info
  library,        // a library found in the base and missing in the other: failure
  check,          // pass/warn in one and fail in the other: failure; pass vs warn: warning
  gpu_count,      // fewer GPUs than the base: failure
  framework,      // a framework's version ("2.15.0+cu132"): missing where the base has it: failure; another: warning
  available,      // "yes"/"no" (a framework reaches the GPU): yes in the base, no here: failure
};

struct FingerprintField {
  std::string key;    // "software.driver_version", "check.cudnn", "gpu0.name", "library.cudnn"
  std::string value;  // "" when absent
  FieldKind kind = FieldKind::info;
};

// The comparable environment of a report, in a stable order.
std::vector<FingerprintField> fingerprint(const Report& r);

// Severity of a difference between the base's value and another report's value of one field.
// `note` (optional) receives a short explanation, e.g. "driver branch 550 → 580".
Severity severity_of(FieldKind kind, const std::string& base, const std::string& other, std::string* note = nullptr);

// Label of a report in comparisons: its `label`, else the EC2 instance type, else the hostname.
std::string report_label(const Report& r);
// Labels for N reports: overrides (from --label) first, else report_label; duplicates get " #2", " #3".
std::vector<std::string> unique_labels(const std::vector<Report>& reports, const std::vector<std::string>& overrides);

// Tolerance: "5%", "5 %", "0.05", "0" → fraction. Throws std::invalid_argument with a message fit
// for the user ("5" alone is ambiguous and rejected).
double parse_tolerance(const std::string& s);

enum class BenchVerdict {
  faster, slower, same,
  failed,       // ok (and verified) in the base, failed or not verified here: a failure
  base_failed,  // failed in the base, ok here: informational
  skipped,      // skipped on either side
  missing,      // not in this report
  unknown,      // no value, zero base, or another unit
};
const char* to_string(BenchVerdict v);

// nvbench's compare rule: the relative difference against the smaller of the two noises (a side
// without a spread does not count; neither: 0). Within it SAME, else FASTER / SLOWER by direction.
BenchVerdict noise_verdict(double base_value, double base_noise, double value, double noise, bool higher_better);

struct BenchCell {
  std::optional<Benchmark> bench;  // nullopt: not in this report
  double ratio = 0.0;              // value / base value (0 when not computable)
  double rel_diff = 0.0;           // (value - base) / base
  double noise = 0.0;              // the noise the verdict used
  BenchVerdict verdict = BenchVerdict::unknown;
  bool regression = false;         // slower, and the slowdown exceeds the tolerance
};

struct BenchRow {
  std::string key, name, params, unit;
  bool higher_better = true;
  std::vector<BenchCell> cells;  // one per report; cells[0] is the base (verdict same)
};

struct EnvRow {
  std::string field;
  std::vector<std::string> values;  // one per report
  Severity severity = Severity::info;  // the worst against the base
  std::string note;
};

struct Column {
  std::string label;
  std::string instance_type;            // EC2 instance type from DMI, else the label if it is one
  std::string gpus;                     // "8× NVIDIA H100 80GB HBM3", "none"
  std::optional<double> price_per_hour;  // from the catalog / --prices; nullopt: unknown
  std::optional<int> instance_gpus;      // GPUs of the instance type (catalog); nullopt: unknown
};

// The price of one GPU of the column's instance: $/hour ÷ its GPUs; nullopt when either is unknown.
std::optional<double> price_per_gpu_hour(const Column& col);

struct Comparison {
  std::vector<Column> columns;  // [0] is the base
  std::vector<EnvRow> env;      // only fields that differ somewhere
  std::vector<BenchRow> benchmarks;
  double tolerance = 0.05;
  std::string prices_note;  // where prices come from, e.g. "us-east-1 on-demand $/hour, taken 2025-06"
};

// The environment of N reports as rows (field, value per report, worst severity against
// reports[0]); `all` false keeps only the fields whose values differ.
std::vector<EnvRow> environment_rows(const std::vector<Report>& reports, bool all);

// Compares reports[1..] against reports[0].
Comparison compare_reports(const std::vector<Report>& reports, const std::vector<std::string>& labels,
                           double tolerance);

// Perf per dollar of one cell, for higher-is-better units: a one-GPU value / price_per_gpu_hour (a
// single GPU's result divided by the price of all eight of a p5 would rank it 8× too low), a node
// value / the instance's $/hour; nullopt when that divisor is unknown.
std::optional<double> perf_per_dollar(const BenchRow& row, std::size_t column, const Comparison& c);

struct CompareOptions {
  double tolerance = 0.05;
  bool fail_on_regression = false;
  bool strict = false;  // warning-level environment differences fail too
};

struct CompareOutcome {
  int exit_code = 0;
  std::string line;  // one line, e.g. "REGRESSION: 1 benchmark slower than the base beyond 5% (…)"
  int env_failures = 0, env_warnings = 0, env_info = 0;
  int faster = 0, slower = 0, same = 0, failed = 0, regressions = 0;
};

CompareOutcome compare_outcome(const Comparison& c, const CompareOptions& o);

// "5%", "0.4%", "12.5%".
std::string format_percent(double fraction);

}  // namespace gpuprobe
