// gpuprobe bench: matmul, conv and memory benchmarks on one GPU, library baselines beside the
// hand-written kernels of kernels/, every result verified, % of peak (docs/bench.md). The driver,
// compat, devices, nvml and environment checks run first and go into the same report.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <memory>

#include "cli.hpp"
#include "gpuprobe/bench/gbench.hpp"
#include "gpuprobe/bench/gpu.hpp"
#include "gpuprobe/bench/spec.hpp"
#include "gpuprobe/probes/check_table.hpp"
#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/runner.hpp"
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/verdict.hpp"
#include "outputs.hpp"
#include "run_context.hpp"

namespace gpuprobe::cli {

struct BenchOptions {
  std::string suite = "standard";
  std::string filter;
  std::string sizes;
  OutputOptions outputs;
  std::string label;
  int device = 0;
  double timeout_scale = 1.0;
  bool list = false;
  bool quiet = false;
  std::vector<std::string> gbench_flags;  // after `--`
};

namespace {

// The watchdog's bound on one run of one benchmark (workload set-up incl. cuDNN's Find, warm-up,
// samples up to the suite's budget, verification), before --timeout-scale. The longest legitimate
// one (the full suite's naive SGEMM at 16384^3: a few seconds a run) stays far below it.
constexpr std::chrono::milliseconds kBenchmarkBound{300000};

bench::SelectOptions select_options(const BenchOptions& o) {
  bench::SelectOptions c;
  if (!o.sizes.empty()) c.sizes = bench::parse_sizes(o.sizes);
  return c;
}

int list_benchmarks(const std::vector<bench::BenchSpec>& specs) {
  for (const auto& s : specs) std::printf("%-64s %-8s %s\n", s.gb_name().c_str(), s.unit().c_str(), s.label.c_str());
  std::printf("%zu benchmark%s\n", specs.size(), specs.size() == 1 ? "" : "s");
  return kExitOk;
}

// The benchmarks on `gpu` after the pre-checks passed: each under the watchdog (a GPU that hangs
// inside one ends the run with exit 4 and a report of the benchmarks done so far), a progress line
// on a terminal, the table, and the verdict of the benchmarks.
int measure(RunContext& run, const BenchOptions& o, bench::Suite suite, const std::vector<bench::BenchSpec>& specs,
            const GpuInfo& gpu) {
  bench::Collector collected;
  bench::RunPlan plan;
  Watchdog dog([&](const CheckResult& hung) {
    run.clear_progress();
    run.check_row(hung);
    run.end_after_hang(hung, [&](Report& rep) {
      rep.benchmarks = collected.entries(plan);
      return RunOutcome{kExitHung, hung.title + " hung: " + compute_verdict(rep.checks, false).line};
    });
  });
  const auto bound = std::chrono::milliseconds(static_cast<long long>(kBenchmarkBound.count() * o.timeout_scale));
  plan.specs = specs;
  plan.factory = bench::make_gpu_factory(gpu);
  plan.measure = bench::measure_options_for(suite);
  const auto sampler = bench::make_nvml_clock_sampler(gpu);
  plan.clocks = sampler.get();
  plan.peaks = bench::peaks_of(gpu);
  plan.pcie_gbps = bench::pcie_peak_of(gpu);
  const auto t0 = std::chrono::steady_clock::now();
  plan.on_start = [&](std::size_t i, std::size_t n, const bench::BenchSpec& s) {
    dog.arm({"benchmark", "benchmark " + s.gb_name(), bound, nullptr});
    if (!run.shows_progress()) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::optional<double> eta;
    if (i > 1) eta = elapsed / static_cast<double>(i - 1) * static_cast<double>(n - i + 1);
    run.progress(bench::progress_line(i, n, s.gb_name(), elapsed, eta));
  };
  plan.on_end = [&] { dog.disarm(); };
  run.show("\nbenchmarks on GPU " + std::to_string(gpu.index) + ": " + gpu.name + " (cc " + std::to_string(gpu.cc_major) +
           "." + std::to_string(gpu.cc_minor) + ", " + std::to_string(gpu.sm_count) + " SMs), suite " + o.suite + ", " +
           std::to_string(specs.size()) + " selected; peaks: " + plan.peaks.model + "\n");

  bench::register_benchmarks(plan, collected);
  bench::RecordingReporter recorder;
  bench::run_registered(recorder);
  dog.disarm();
  run.clear_progress();
  auto entries = collected.entries(plan);
  run.show("\n" + render_benchmark_table(entries, run.style()));
  const Verdict v = benchmarks_verdict(entries);
  return run.finish([&](Report& rep) {
    rep.benchmarks = std::move(entries);
    bench::record_libraries(specs, rep.software);
    return RunOutcome{v.exit_code, v.line};
  });
}

}  // namespace

int run_bench(const BenchOptions& o) {
  const bench::Suite suite = *bench::suite_from_string(o.suite);  // validated at parse time
  std::vector<bench::BenchSpec> specs;
  try {
    specs = bench::select_benchmarks(suite, o.filter, select_options(o));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "gpuprobe bench: %s\n", e.what());
    return kExitUsage;
  }
  if (o.list) return list_benchmarks(specs);
  SinkMultiplex outputs = open_outputs(o.outputs, kRunDocument);
  if (const std::string err = outputs_usage_error(outputs); !err.empty()) {
    std::fprintf(stderr, "gpuprobe bench: %s\n", err.c_str());
    return kExitUsage;
  }
  try {
    bench::init_google_benchmark(o.gbench_flags);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "gpuprobe bench: %s (Google Benchmark's flags go after --, e.g. -- --benchmark_repetitions=5)\n",
                 e.what());
    return kExitUsage;
  }
  if (specs.empty()) {
    std::fprintf(stderr, "gpuprobe bench: no benchmark of suite '%s' matches --filter '%s' (see --list)\n",
                 o.suite.c_str(), o.filter.c_str());
    return kExitUsage;
  }

  const SystemView sys = SystemView::live();
  // The summary under the tables: the verdict line.
  RunContext run("bench", collect_host_info(sys), o.label, std::move(outputs), o.quiet,
                 [](const Report& r, const TableStyle&) { return r.verdict + "\n"; });
  ProbeOptions popts;
  popts.only = kGpuPreChecks;
  popts.timeout_scale = o.timeout_scale;
  ProbeContext ctx(popts, sys, run.report());
  // Without a usable GPU there is nothing to benchmark: the pre-checks' verdict.
  run_checks(select_checks(runnable_checks(ctx), popts.only, {}), run.hooks(no_gpu_outcome(true, "benchmark")));
  if (!ctx.gpus_usable()) return run.finish(no_gpu_outcome(false, "benchmark"));

  const auto gpus = ctx.gpus();
  for (const auto& g : gpus)
    if (g.index == o.device) return measure(run, o, suite, specs, g);
  std::fprintf(stderr, "gpuprobe bench: --device %d: this machine has %zu GPU(s) (0..%zu)\n", o.device, gpus.size(),
               gpus.size() - 1);
  return kExitUsage;
}

void setup_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  auto* sub = app.add_subcommand("bench", "Benchmark matmul, conv and memory on one GPU: cuBLAS/cuDNN baselines "
                                          "beside hand-written kernels, every result verified, % of peak");
  sub->add_option("--suite", o->suite, "smoke (<= 30 s), standard (<= 3 min) or full (default standard)")
      ->check(CLI::IsMember({"smoke", "standard", "full"}));
  sub->add_option("--filter", o->filter, "Only benchmarks whose name matches REGEX (e.g. 'matmul/.*bf16'; see --list)")
      ->type_name("REGEX");
  sub->add_option("--sizes", o->sizes, "Square GEMM sizes instead of the suite's (e.g. 4096,8192)")
      ->type_name("N,N,...")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            try {
              bench::parse_sizes(s);
              return "";
            } catch (const std::exception& e) {
              return e.what();
            }
          },
          "N,N,...", "sizes"));
  add_output_options(*sub, kRunDocument, o->outputs, "; the tables then go to stderr");
  sub->add_option("--label", o->label, "Label of this machine in comparisons (default: EC2 instance type, else hostname)");
  sub->add_option("--device", o->device, "Index of the GPU to measure (default 0)")->check(CLI::Range(0, 1023));
  sub->add_option("--timeout-scale", o->timeout_scale, "Multiply the time bounds of the pre-checks and of each benchmark (5 min) (default 1)")
      ->check(CLI::Range(0.001, 100.0));
  sub->add_flag("--list", o->list, "List the benchmarks selected by --suite/--filter/--sizes, then exit");
  sub->add_flag("-q,--quiet", o->quiet, "No tables; only the verdict line on stderr");
  sub->add_option("gbench_flags", o->gbench_flags, "Google Benchmark flags after --, e.g. -- --benchmark_repetitions=5");
  sub->callback([o] { throw CLI::RuntimeError(run_bench(*o)); });
}

}  // namespace gpuprobe::cli
