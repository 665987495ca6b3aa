// gpuprobe compare: does the other machine / container behave like mine? Environment differences
// with a severity, benchmarks matched by name and parameters with a noise-aware verdict, N-way
// tables with perf per dollar, and an exit code CI can act on (docs/compare.md).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/io.hpp"
#include "gpuprobe/report/verdict.hpp"

namespace gpuprobe::cli {

struct CompareCliOptions {
  std::vector<std::string> files;
  std::string tolerance = "5%";
  bool fail_on_regression = false;
  bool strict = false;
  std::string format = "text";
  std::string output = "-";
  std::vector<std::string> labels;
  std::string prices;
};

int run_compare(const CompareCliOptions& o) {
  if (o.files.size() < 2) {
    std::fprintf(stderr, "gpuprobe compare: give at least two reports (the first is the base)\n");
    return kExitUsage;
  }
  CompareOptions opts;
  opts.tolerance = parse_tolerance(o.tolerance);  // validated at parse time
  opts.fail_on_regression = o.fail_on_regression;
  opts.strict = o.strict;
  Comparison c;
  try {
    const auto reports = load_reports(o.files);
    const Catalog catalog = load_catalog(o.prices);
    c = compare_reports(reports, o.labels, opts.tolerance);
    attach_prices(c, catalog);
  } catch (const ReportError& e) {
    std::fprintf(stderr, "gpuprobe compare: %s\n", printable(e.what(), false).c_str());
    return kExitUsage;
  }
  const CompareOutcome outcome = compare_outcome(c, opts);
  std::string text;
  if (o.format == "markdown") text = render_compare_markdown(c, outcome);
  else if (o.format == "json") text = comparison_to_json(c, outcome).dump(2) + "\n";
  else text = render_compare_text(c, outcome);
  if (const std::string err = write_output(o.output, text); !err.empty()) {
    std::fprintf(stderr, "gpuprobe compare: %s\n", err.c_str());
    return kExitInternal;
  }
  // The verdict also goes to stderr when the result went elsewhere, so a CI log shows it.
  if (o.output != "-" || o.format != "text")
    std::fprintf(stderr, "%s [exit %d]\n", printable(outcome.line, false).c_str(), outcome.exit_code);
  return outcome.exit_code;
}

void setup_compare(CLI::App& app) {
  auto o = std::make_shared<CompareCliOptions>();
  auto* sub = app.add_subcommand(
      "compare", "Compare reports: environment differences, benchmark ratios and a verdict (the first report is the base)");
  sub->add_option("reports", o->files, "Report files (gpuprobe.report/1), two or more; one column per report")
      ->required()
      ->type_name("FILE");
  sub->add_option("--tolerance", o->tolerance, "Slowdown allowed before it counts as a regression: 5% or 0.05 (default 5%)")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            try {
              parse_tolerance(s);
              return "";
            } catch (const std::exception& e) {
              return e.what();
            }
          },
          "", "tolerance"))
      ->type_name("TOL");
  sub->add_flag("--fail-on-regression", o->fail_on_regression, "Exit 1 when a benchmark is slower than the base beyond the tolerance");
  sub->add_flag("--strict", o->strict, "Warning-level environment differences fail too (exit 1)");
  sub->add_option("--format", o->format, "Output: text (default), markdown, json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
  sub->add_option("-o,--output", o->output, "Write the result to FILE instead of stdout")->type_name("FILE");
  sub->add_option("--label", o->labels, "Labels of the reports in order, comma-separated (default: the report's label)")
      ->delimiter(',')
      ->allow_extra_args(false);
  sub->add_option("--prices", o->prices, "Price table replacing the built-in one (see gpuprobe instances)")->type_name("FILE");
  sub->footer("Exit codes: 0 same / no regression, 1 a failure-level environment difference, a failed benchmark, "
              "a regression with --fail-on-regression or a warning with --strict, 2 unreadable input, 5 cannot write output.");
  sub->callback([o] { throw CLI::RuntimeError(run_compare(*o)); });
}

}  // namespace gpuprobe::cli
