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
#include "outputs.hpp"

namespace gpuprobe::cli {

struct CompareCliOptions {
  std::vector<std::string> files;
  std::string tolerance = "5%";
  bool fail_on_regression = false;
  bool strict = false;
  OutputOptions outputs;
  std::string format;  // --format F -o FILE: the same as --F FILE
  std::string output;
  std::vector<std::string> labels;
  std::string prices;
};

namespace {

// The outputs asked for: --text/--json/--markdown FILE, and --format F -o FILE (either may be left
// out: text, stdout); text on stdout when none is named. "" or the usage error.
std::string compare_outputs(const CompareCliOptions& o, SinkMultiplex& outputs) {
  outputs = open_outputs(o.outputs, kComparisonDocument);
  if (!o.format.empty() || !o.output.empty()) {
    const std::string format = o.format.empty() ? "text" : o.format;
    if (output_given(o.outputs, format)) return "--format " + format + " and --" + format + " both name a " + format + " output";
    outputs.add(*find_format(format), o.output.empty() ? "-" : o.output);
  }
  if (outputs.empty()) outputs.add(*find_format("text"), "-");
  return outputs_usage_error(outputs);
}

}  // namespace

int run_compare(const CompareCliOptions& o) {
  if (o.files.size() < 2) {
    std::fprintf(stderr, "gpuprobe compare: give at least two reports (the first is the base)\n");
    return kExitUsage;
  }
  SinkMultiplex outputs;
  if (const std::string err = compare_outputs(o, outputs); !err.empty()) {
    std::fprintf(stderr, "gpuprobe compare: %s\n", err.c_str());
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
  if (!write_outputs(outputs, ComparisonDoc{c, outcome}, "compare")) return kExitInternal;
  // The verdict also goes to stderr unless the text went to stdout, so a CI log shows it.
  const auto out = outputs.to_stdout();
  if (out.empty() || out[0]->format->name != "text")
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
  add_output_options(*sub, kComparisonDocument, o->outputs, "; text to stdout when no output is named");
  std::vector<std::string> names;
  for (const Format* f : formats_for(kComparisonDocument)) names.emplace_back(f->name);
  sub->add_option("--format", o->format, "--format F -o FILE is --F FILE; --format F alone writes F to stdout")
      ->check(CLI::IsMember(names));
  sub->add_option("-o,--output", o->output, "-o FILE alone writes text to FILE (see --format)")
      ->type_name("FILE");
  sub->add_option("--label", o->labels, "Labels of the reports in order, comma-separated (default: the report's label)")
      ->delimiter(',')
      ->allow_extra_args(false);
  sub->add_option("--prices", o->prices, "Price table replacing the built-in one (see gpuprobe instances)")->type_name("FILE");
  sub->footer("Exit codes: 0 same / no regression, 1 a failure-level environment difference, a failed benchmark, "
              "a regression with --fail-on-regression or a warning with --strict, 2 unreadable input, 5 cannot write output.");
  sub->callback([o] { throw CLI::RuntimeError(run_compare(*o)); });
}

}  // namespace gpuprobe::cli
