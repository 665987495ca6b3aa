// gpuprobe report: one self-contained HTML page (inline SVG charts) and/or Markdown (pull-request
// comment, CI step summary) from one or more reports.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/io.hpp"
#include "gpuprobe/report/verdict.hpp"
#include "outputs.hpp"

namespace gpuprobe::cli {

struct ReportCliOptions {
  std::vector<std::string> files;
  OutputOptions outputs;
  std::vector<std::string> labels;
  std::string prices;
};

int run_report(const ReportCliOptions& o) {
  const SinkMultiplex outputs = open_outputs(o.outputs, kReportSetDocument);
  if (outputs.empty()) {
    std::fprintf(stderr, "gpuprobe report: give %s ('-' for stdout)\n", output_options_text(kReportSetDocument).c_str());
    return kExitUsage;
  }
  if (const std::string err = outputs_usage_error(outputs); !err.empty()) {
    std::fprintf(stderr, "gpuprobe report: %s\n", err.c_str());
    return kExitUsage;
  }
  std::vector<Report> reports;
  Comparison c;
  try {
    reports = load_reports(o.files);
    const Catalog catalog = load_catalog(o.prices);
    c = compare_reports(reports, o.labels, 0.05);
    attach_prices(c, catalog);
  } catch (const ReportError& e) {
    std::fprintf(stderr, "gpuprobe report: %s\n", printable(e.what(), false).c_str());
    return kExitUsage;
  }
  return write_outputs(outputs, ReportSetDoc{reports, c}, "report") ? kExitOk : kExitInternal;
}

void setup_report(CLI::App& app) {
  auto o = std::make_shared<ReportCliOptions>();
  auto* sub = app.add_subcommand("report", "Render reports as one self-contained HTML page (charts) and/or Markdown");
  sub->add_option("reports", o->files, "Report files (gpuprobe.report/1), one or more")->required()->type_name("FILE");
  add_output_options(*sub, kReportSetDocument, o->outputs);
  sub->add_option("--label", o->labels, "Labels of the reports in order, comma-separated")->delimiter(',')
      ->allow_extra_args(false);
  sub->add_option("--prices", o->prices, "Price table replacing the built-in one (see gpuprobe instances)")->type_name("FILE");
  sub->footer("Exit codes: 0 written, 2 unreadable input or no output named, 5 cannot write output.");
  sub->callback([o] { throw CLI::RuntimeError(run_report(*o)); });
}

}  // namespace gpuprobe::cli
