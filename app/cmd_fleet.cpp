// gpuprobe fleet: many nodes' reports (JSON lines from `kubectl logs`, or report files) as one view:
// per check the nodes that failed, per benchmark the fleet's distribution and the nodes/GPUs slower
// than it, and an exit code CI can act on (docs/fleet.md).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "cli.hpp"
#include "gpuprobe/report/compare.hpp"
#include "gpuprobe/report/compare_render.hpp"
#include "gpuprobe/report/fleet.hpp"
#include "gpuprobe/report/verdict.hpp"
#include "outputs.hpp"

namespace gpuprobe::cli {

struct FleetCliOptions {
  std::vector<std::string> files;
  OutputOptions outputs;
  double mad_k = FleetOptions{}.mad_k;
  std::string min_deviation = "5%";
};

int run_fleet(const FleetCliOptions& o) {
  SinkMultiplex outputs = open_outputs(o.outputs, kFleetDocument);
  if (outputs.empty()) outputs.add(*find_format("text"), "-");
  if (const std::string err = outputs_usage_error(outputs); !err.empty()) {
    std::fprintf(stderr, "gpuprobe fleet: %s\n", err.c_str());
    return kExitUsage;
  }
  FleetOptions opts;
  opts.mad_k = o.mad_k;
  try {
    opts.min_deviation = parse_tolerance(o.min_deviation);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "gpuprobe fleet: --min-deviation: %s\n", e.what());
    return kExitUsage;
  }
  FleetInput in;
  try {
    in = load_fleet(o.files);
  } catch (const ReportError& e) {
    std::fprintf(stderr, "gpuprobe fleet: %s\n", printable(e.what(), false).c_str());
    return kExitUsage;
  }
  for (const auto& p : in.problems)
    std::fprintf(stderr, "gpuprobe fleet: %s:%zu: %s\n", printable(p.origin, false).c_str(), p.line,
                 printable(p.message, false).c_str());
  if (in.reports.empty()) {
    std::fprintf(stderr, "gpuprobe fleet: no report in the input (%zu unreadable line%s, %zu other line%s)\n",
                 in.problems.size(), in.problems.size() == 1 ? "" : "s", in.other_lines, in.other_lines == 1 ? "" : "s");
    return kExitUsage;
  }
  const Fleet fleet = analyze_fleet(in, opts);
  if (!write_outputs(outputs, FleetDoc{fleet}, "fleet")) return kExitInternal;
  // The verdict also goes to stderr unless the text went to stdout, so a CI log shows it.
  const auto out = outputs.to_stdout();
  if (out.empty() || out[0]->format->name != "text")
    std::fprintf(stderr, "%s [exit %d]\n", printable(fleet.verdict, false).c_str(), fleet.exit_code);
  return fleet.exit_code;
}

void setup_fleet(CLI::App& app) {
  auto o = std::make_shared<FleetCliOptions>();
  auto* sub = app.add_subcommand(
      "fleet", "Many nodes' reports as one view: failing nodes per check, each benchmark's distribution, slow GPUs");
  sub->add_option("inputs", o->files, "JSON lines (one report per line; other lines are passed over) or report files; '-': stdin")
      ->required()
      ->type_name("FILE");
  add_output_options(*sub, kFleetDocument, o->outputs, "; text to stdout when no output is named");
  sub->add_option("--mad", o->mad_k, "Outlier beyond K robust standard deviations (1.4826 x MAD) from the median (default 3.5)")
      ->check(CLI::PositiveNumber)
      ->type_name("K");
  sub->add_option("--min-deviation", o->min_deviation,
                  "And beyond this fraction of the median, so a uniform fleet flags none: 5% or 0.05 (default 5%)")
      ->type_name("TOL");
  sub->footer("Exit codes: 0 every node passed and no result is an outlier, 1 a node failed a check or a benchmark "
              "or a result is slower than the fleet, 2 usage error or no readable report, 5 cannot write output.");
  sub->callback([o] { throw CLI::RuntimeError(run_fleet(*o)); });
}

}  // namespace gpuprobe::cli
