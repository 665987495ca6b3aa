// gpuprobe bench: matmul, conv and memory benchmarks on one GPU, library baselines beside the
// hand-written kernels of kernels/, every result verified, % of peak (docs/bench.md). The driver,
// compat, devices, nvml and environment checks run first and go into the same report.
#include <CLI/CLI.hpp>
#include <unistd.h>

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
#include "new_report.hpp"

namespace gpuprobe::cli {

struct BenchOptions {
  std::string suite = "standard";
  std::string filter;
  std::string sizes;
  std::string json_path;
  std::string junit_path;
  std::string label;
  int device = 0;
  double timeout_scale = 1.0;
  bool list = false;
  bool quiet = false;
  std::vector<std::string> gbench_flags;  // after `--`
};

namespace {

// The checks that tell whether there is a GPU to measure, and what it is.
const std::vector<std::string> kPreChecks = {"driver", "compat", "devices", "nvml", "environment"};

// The watchdog's bound on one run of one benchmark (instance set-up incl. cuDNN's Find, warm-up,
// samples up to the suite's budget, verification), before --timeout-scale. The longest legitimate
// one (the full suite's naive SGEMM at 16384^3: a few seconds a run) stays far below it.
constexpr std::chrono::milliseconds kBenchmarkBound{300000};

bench::CatalogOptions catalog_options(const BenchOptions& o) {
  bench::CatalogOptions c;
  if (!o.sizes.empty()) c.sizes = bench::parse_sizes(o.sizes);
  return c;
}

int list_benchmarks(const std::vector<bench::BenchSpec>& specs) {
  for (const auto& s : specs) std::printf("%-64s %-8s %s\n", s.gb_name().c_str(), s.unit().c_str(), s.label.c_str());
  std::printf("%zu benchmark%s\n", specs.size(), specs.size() == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace

int run_bench(const BenchOptions& o) {
  const bench::Suite suite = *bench::suite_from_string(o.suite);  // validated at parse time
  std::vector<bench::BenchSpec> specs;
  try {
    specs = bench::select_benchmarks(suite, o.filter, catalog_options(o));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "gpuprobe bench: %s\n", e.what());
    return kExitUsage;
  }
  if (o.list) return list_benchmarks(specs);
  if (o.json_path == "-" && o.junit_path == "-") {
    std::fprintf(stderr, "gpuprobe bench: --json - and --junit - cannot both write to stdout\n");
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
  // With the JSON (or JUnit) on stdout, everything for people goes to stderr.
  FILE* out = o.json_path == "-" || o.junit_path == "-" ? stderr : stdout;
  TableStyle style;
  style.color = want_color(fileno(out));

  const SystemView sys = SystemView::live();
  ReportSink sink(new_report("bench", collect_host_info(sys), o.label));
  ProbeOptions popts;
  popts.only = kPreChecks;
  popts.timeout_scale = o.timeout_scale;
  ProbeContext ctx(popts, sys, sink);
  auto finish = [&](Report& rep, int code, const std::string& line) {
    rep.exit_code = code;
    rep.verdict = line;
    int rc = code;
    if (const std::string err = write_report_files(rep, o.json_path, o.junit_path); !err.empty()) {
      std::fprintf(stderr, "gpuprobe bench: %s\n", err.c_str());
      rc = kExitInternal;
    }
    std::fprintf(o.quiet ? stderr : out, "%s\n", line.c_str());
    std::fflush(nullptr);
    return rc;
  };

  RunnerHooks hooks;
  hooks.on_result = [&](const CheckResult& r) {
    sink.with([&](Report& rep) { rep.checks.push_back(r); });
    if (!o.quiet) std::fputs(render_check_row(r, style).c_str(), out);
  };
  hooks.on_timeout = [&](const CheckResult& r) {
    // The stuck call cannot be cancelled: write the report so far, naming the check, and end.
    if (!o.quiet) std::fputs(render_check_row(r, style).c_str(), out);
    end_after_hang(sink, r, [&](Report& rep) {
      return finish(rep, kExitHung, compute_verdict(rep.checks, false).line + " — nothing to benchmark");
    });
  };
  run_checks(select_checks(runnable_checks(ctx), popts.only, {}), hooks);

  if (!ctx.gpus_usable()) {
    return sink.with([&](Report& rep) {
      const Verdict v = compute_verdict(rep.checks, false);
      const int code = v.exit_code == kExitOk || v.exit_code == kExitCheckFailed ? kExitNoGpu : v.exit_code;
      return finish(rep, code, v.line + " — nothing to benchmark");
    });
  }
  const auto gpus = ctx.gpus();
  const GpuInfo* gpu = nullptr;
  for (const auto& g : gpus)
    if (g.index == o.device) gpu = &g;
  if (!gpu) {
    std::fprintf(stderr, "gpuprobe bench: --device %d: this machine has %zu GPU(s) (0..%zu)\n", o.device, gpus.size(),
                 gpus.size() - 1);
    return kExitUsage;
  }

  bench::Collector collected;
  bench::RunPlan plan;
  // A GPU that hangs inside a benchmark must not hang the run: the watchdog writes the report with
  // the benchmarks done so far and the pre-checks, and ends the process with exit 4.
  const bool live = !o.quiet && isatty(STDERR_FILENO) == 1;
  Watchdog dog([&](const CheckResult& hung) {
    if (live) std::fputs("\r\033[K", stderr);
    if (!o.quiet) std::fputs(render_check_row(hung, style).c_str(), out);
    end_after_hang(sink, hung, [&](Report& rep) {
      rep.benchmarks = collected.entries(plan);
      return finish(rep, kExitHung, hung.title + " hung: " + compute_verdict(rep.checks, false).line);
    });
  });
  const auto bound = std::chrono::milliseconds(static_cast<long long>(kBenchmarkBound.count() * o.timeout_scale));
  plan.specs = specs;
  plan.factory = bench::make_gpu_factory(*gpu);
  plan.measure = bench::measure_options_for(suite);
  const auto sampler = bench::make_nvml_clock_sampler(*gpu);
  plan.clocks = sampler.get();
  plan.peaks = bench::peaks_of(*gpu);
  plan.pcie_gbps = bench::pcie_peak_of(*gpu);
  const auto t0 = std::chrono::steady_clock::now();
  plan.on_start = [&](std::size_t i, std::size_t n, const bench::BenchSpec& s) {
    dog.arm({"benchmark", "benchmark " + s.gb_name(), bound, nullptr});
    if (!live) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::optional<double> eta;
    if (i > 1) eta = elapsed / static_cast<double>(i - 1) * static_cast<double>(n - i + 1);
    std::fprintf(stderr, "\r\033[K%s", bench::progress_line(i, n, s.gb_name(), elapsed, eta).c_str());
    std::fflush(stderr);
  };
  plan.on_end = [&] { dog.disarm(); };
  if (!o.quiet)
    std::fprintf(out, "\nbenchmarks on GPU %d: %s (cc %d.%d, %d SMs), suite %s, %zu selected; peaks: %s\n", gpu->index,
                 gpu->name.c_str(), gpu->cc_major, gpu->cc_minor, gpu->sm_count, o.suite.c_str(), specs.size(),
                 plan.peaks.model.c_str());
  std::fflush(out);

  bench::register_benchmarks(plan, collected);
  bench::RecordingReporter recorder;
  bench::run_registered(recorder);
  dog.disarm();
  if (live) std::fputs("\r\033[K", stderr);
  const auto entries = collected.entries(plan);
  if (!o.quiet) std::fputs(("\n" + render_benchmark_table(entries, style)).c_str(), out);
  const Verdict v = benchmarks_verdict(entries);
  return sink.with([&](Report& rep) {
    rep.benchmarks = entries;
    bench::record_libraries(specs, rep.software);
    return finish(rep, v.exit_code, v.line);
  });
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
  sub->add_option("--json", o->json_path, "Write the JSON report to FILE ('-' for stdout; the table then goes to stderr)")
      ->type_name("FILE");
  sub->add_option("--junit", o->junit_path, "Write JUnit XML to FILE: the pre-checks, then one testcase per benchmark")
      ->type_name("FILE");
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
