// gpuprobe check: does the GPU stack of this container work? Runs the checks of probes/ in order,
// each under a watchdog, streams a table, writes the report (--json, --junit, …), and exits with a
// code CI can act on.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli.hpp"
#include "gpuprobe/probes/check_table.hpp"
#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/probes/options.hpp"
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/verdict.hpp"
#include "outputs.hpp"
#include "run_context.hpp"

namespace gpuprobe::cli {

struct CheckOptions {
  OutputOptions outputs;
  std::string label;
  int expect_gpus = -1;
  std::string min_cc, min_memory, require;
  std::string mem_fraction = "0.1";
  double timeout_scale = 1.0;
  std::vector<std::string> only, skip;
  bool strict = false;
  bool quiet = false;
  bool list = false;
};

namespace {

// A validator that runs one of the probes/options.hpp parsers and reports its message.
template <class Parse>
CLI::Validator parses_as(const char* name, Parse parse) {
  return CLI::Validator(
      [parse](std::string& s) -> std::string {
        try {
          parse(s);
          return "";
        } catch (const std::exception& e) {
          return e.what();
        }
      },
      "", name);
}

CLI::Validator known_check_id() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        std::string ids;
        for (const auto& c : check_table()) {
          if (s == c.id) return "";
          ids += (ids.empty() ? "" : ", ") + std::string(c.id);
        }
        return "unknown check '" + s + "' (checks: " + ids + ")";
      },
      "CHECK", "check id");
}

ProbeOptions to_probe_options(const CheckOptions& o) {
  ProbeOptions p;
  if (o.expect_gpus >= 0) p.expect_gpus = o.expect_gpus;
  if (!o.min_cc.empty()) p.min_cc = parse_compute_capability(o.min_cc);
  if (!o.min_memory.empty()) p.min_memory_bytes = parse_memory_size(o.min_memory);
  if (!o.require.empty()) p.require = parse_require_list(o.require);
  p.mem_fraction = parse_fraction(o.mem_fraction);
  p.timeout_scale = o.timeout_scale;
  p.only = o.only;
  p.skip = o.skip;
  return p;
}

}  // namespace

int run_check(const CheckOptions& o) {
  if (o.list) {
    for (const auto& c : check_table())
      std::printf("%-12s %6.0f s  %s\n", c.id, c.time_bound_ms * o.timeout_scale / 1000.0, c.title);
    return kExitOk;
  }
  SinkMultiplex outputs = open_outputs(o.outputs, kRunDocument);
  if (const std::string err = outputs_usage_error(outputs); !err.empty()) {
    std::fprintf(stderr, "gpuprobe check: %s\n", err.c_str());
    return kExitUsage;
  }
  const ProbeOptions popts = to_probe_options(o);  // validated at parse time: cannot throw here
  const SystemView sys = SystemView::live();
  // The summary under the table: host, GPUs and software, then the verdict with its exit code.
  RunContext run("check", collect_host_info(sys), o.label, std::move(outputs), o.quiet,
                 [](const Report& r, const TableStyle& s) { return "\n" + render_header(r, s) + render_verdict(r, s); });
  ProbeContext ctx(popts, sys, run.report());
  const auto checks = select_checks(runnable_checks(ctx), popts.only, popts.skip);
  const RunContext::Decide verdict = [&](Report& rep) {
    const Verdict v = compute_verdict(rep.checks, o.strict);
    return RunOutcome{v.exit_code, v.line};
  };
  run_checks(checks, run.hooks(verdict));
  return run.finish(verdict);
}

void setup_check(CLI::App& app) {
  auto o = std::make_shared<CheckOptions>();
  auto* sub = app.add_subcommand("check", "Verify the GPU stack: driver, runtime, devices, memory, transfers, "
                                          "NVML health, cuBLAS and cuDNN (default of the Docker image)");
  add_output_options(*sub, kRunDocument, o->outputs, "; the table then goes to stderr");
  sub->add_option("--label", o->label, "Label of this machine in comparisons (default: EC2 instance type, else hostname)");
  sub->add_option("--expect-gpus", o->expect_gpus, "Fail unless at least N GPUs are visible (warn if more)")
      ->check(CLI::Range(0, 1024))
      ->type_name("N");
  sub->add_option("--min-cc", o->min_cc, "Fail if a GPU's compute capability is below X.Y")
      ->check(parses_as("X.Y", [](const std::string& s) { parse_compute_capability(s); }))
      ->type_name("X.Y");
  sub->add_option("--min-memory", o->min_memory, "Fail if a GPU has less memory (e.g. 16GiB, 80G, 24000MiB)")
      ->check(parses_as("SIZE", [](const std::string& s) { parse_memory_size(s); }))
      ->type_name("SIZE");
  sub->add_option("--require", o->require, "Libraries that must be present and work: cublas,cudnn,nvml")
      ->check(parses_as("LIBS", [](const std::string& s) { parse_require_list(s); }))
      ->type_name("LIBS");
  sub->add_option("--mem-fraction", o->mem_fraction, "Share of free GPU memory the memory test covers (default 0.1)")
      ->check(parses_as("FRACTION", [](const std::string& s) { parse_fraction(s); }))
      ->type_name("FRACTION");
  sub->add_option("--timeout-scale", o->timeout_scale, "Multiply every check's time bound (default 1)")
      ->check(CLI::Range(0.001, 100.0));
  sub->add_option("--only", o->only, "Run only these checks (comma-separated)")->delimiter(',')->check(known_check_id());
  sub->add_option("--skip", o->skip, "Do not run these checks (comma-separated)")->delimiter(',')->check(known_check_id());
  sub->add_flag("--strict", o->strict, "Treat warnings as failures (exit 1)");
  sub->add_flag("-q,--quiet", o->quiet, "No table; only the verdict line on stderr");
  sub->add_flag("--list", o->list, "List the checks and their time bounds, then exit");
  sub->callback([o] { throw CLI::RuntimeError(run_check(*o)); });
}

}  // namespace gpuprobe::cli
