// gpuprobe bench: matmul, conv and memory benchmarks on one GPU, library baselines beside the
// hand-written kernels of kernels/, every result verified, % of peak (docs/bench.md). The driver,
// compat, devices, nvml and environment checks run first and go into the same report. With --gpus,
// the same suite on several GPUs at once (one host thread each), the node aggregate and the GPUs
// slower than the node's others; the p2p family on every ordered pair of GPUs after the rest.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "cli.hpp"
#include "gpuprobe/bench/gbench.hpp"
#include "gpuprobe/bench/gpu.hpp"
#include "gpuprobe/bench/node.hpp"
#include "gpuprobe/bench/p2p.hpp"
#include "gpuprobe/bench/spec.hpp"
#include "gpuprobe/probes/check_table.hpp"
#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/runner.hpp"
#include "gpuprobe/report/catalog.hpp"
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
  std::string gpus;  // --gpus: "all" or "0,3"; empty: the one GPU of --device
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

std::chrono::milliseconds benchmark_bound(const BenchOptions& o) {
  return std::chrono::milliseconds(static_cast<long long>(kBenchmarkBound.count() * o.timeout_scale));
}

// What the phases of a run measured so far, for the report of a run the watchdog ends.
struct Done {
  std::mutex mutex;
  std::vector<Benchmark> entries;
  std::vector<Benchmark> copy() {
    std::lock_guard<std::mutex> lock(mutex);
    return entries;
  }
  void add(std::vector<Benchmark> more) {
    std::lock_guard<std::mutex> lock(mutex);
    entries.insert(entries.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
};

// The watchdog of one phase: a benchmark that hangs ends the run with exit 4 and a report of what was
// measured before it (`so_far`).
Watchdog make_dog(RunContext& run, std::function<std::vector<Benchmark>()> so_far) {
  return Watchdog([&run, so_far = std::move(so_far)](const CheckResult& hung) {
    run.clear_progress();
    run.check_row(hung);
    run.end_after_hang(hung, [&](Report& rep) {
      rep.benchmarks = so_far();
      return RunOutcome{kExitHung, hung.title + " hung: " + compute_verdict(rep.checks, false).line};
    });
  });
}

void show_progress(RunContext& run, std::chrono::steady_clock::time_point t0, std::size_t i, std::size_t n,
                   const std::string& what) {
  if (!run.shows_progress()) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::optional<double> eta;
  if (i > 1) eta = elapsed / static_cast<double>(i - 1) * static_cast<double>(n - i + 1);
  run.progress(bench::progress_line(i, n, what, elapsed, eta));
}

std::string gpu_line(const GpuInfo& gpu) {
  return "GPU " + std::to_string(gpu.index) + ": " + gpu.name + " (cc " + std::to_string(gpu.cc_major) + "." +
         std::to_string(gpu.cc_minor) + ", " + std::to_string(gpu.sm_count) + " SMs)";
}

// The benchmarks on `gpu` after the pre-checks passed, on Google Benchmark: each under the watchdog
// (a GPU that hangs inside one ends the run with exit 4 and a report of the benchmarks done so far),
// a progress line on a terminal, the table.
std::vector<Benchmark> measure_one(RunContext& run, const BenchOptions& o, bench::Suite suite,
                                   const std::vector<bench::BenchSpec>& specs, const GpuInfo& gpu, Done& done) {
  bench::Collector collected;
  bench::RunPlan plan;
  Watchdog dog = make_dog(run, [&] {
    auto e = done.copy();
    auto more = collected.entries(plan);
    e.insert(e.end(), more.begin(), more.end());
    return e;
  });
  const auto bound = benchmark_bound(o);
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
    show_progress(run, t0, i, n, s.gb_name());
  };
  plan.on_end = [&] { dog.disarm(); };
  run.show("\nbenchmarks on " + gpu_line(gpu) + ", suite " + o.suite + ", " + std::to_string(specs.size()) +
           " selected; peaks: " + plan.peaks.model + "\n");

  bench::register_benchmarks(plan, collected);
  bench::RecordingReporter recorder;
  bench::run_registered(recorder);
  dog.disarm();
  run.clear_progress();
  auto entries = collected.entries(plan);
  run.show("\n" + render_benchmark_table(entries, run.style()));
  return entries;
}

// One GPU's means of measuring.
struct Rig {
  GpuInfo gpu;
  bench::WorkloadFactory factory;
  std::unique_ptr<bench::ClockSampler> clocks;
  bench::GpuPeaks peaks;
  std::optional<double> pcie_gbps;
};
std::vector<Rig> rigs_of(const std::vector<GpuInfo>& gpus) {
  std::vector<Rig> rigs;
  for (const auto& g : gpus)
    rigs.push_back({g, bench::make_gpu_factory(g), bench::make_nvml_clock_sampler(g), bench::peaks_of(g),
                    bench::pcie_peak_of(g)});
  return rigs;
}

// --gpus: each benchmark on every GPU at the same time (one host thread per GPU, each with the
// workload's own stream), the next when all are done, so that the node aggregate is of GPUs working
// side by side. Per-GPU entries (their gpu and uuid) in table order, GPU by GPU; then the node table.
std::vector<Benchmark> measure_node(RunContext& run, const BenchOptions& o, bench::Suite suite,
                                    const std::vector<bench::BenchSpec>& specs, std::vector<Rig>& rigs, Done& done) {
  const std::size_t n = rigs.size();
  std::vector<std::vector<Benchmark>> per_gpu(n);
  std::mutex mutex;  // per_gpu, read by the watchdog
  Watchdog dog = make_dog(run, [&] {
    auto e = done.copy();
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& g : per_gpu) e.insert(e.end(), g.begin(), g.end());
    return e;
  });
  const auto bound = benchmark_bound(o);
  const auto opt = bench::measure_options_for(suite);
  std::string gpus_text;
  for (const auto& r : rigs) gpus_text += "\n  " + gpu_line(r.gpu) + "; peaks: " + r.peaks.model;
  run.show("\nbenchmarks on " + std::to_string(n) + " GPUs at once, suite " + o.suite + ", " +
           std::to_string(specs.size()) + " selected:" + gpus_text + "\n");
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& spec = specs[i];
    dog.arm({"benchmark", "benchmark " + spec.gb_name() + " on " + std::to_string(n) + " GPUs", bound, nullptr});
    show_progress(run, t0, i + 1, specs.size(), spec.gb_name());
    std::vector<bench::Measurement> m(n);
    std::vector<std::thread> threads;
    for (std::size_t g = 0; g < n; ++g)
      threads.emplace_back([&, g] { m[g] = bench::measure(spec, rigs[g].factory, opt, rigs[g].clocks.get()); });
    for (auto& t : threads) t.join();
    dog.disarm();
    std::lock_guard<std::mutex> lock(mutex);
    for (std::size_t g = 0; g < n; ++g) {
      Benchmark e = bench::to_entry(spec, m[g], rigs[g].peaks, rigs[g].pcie_gbps);
      e.gpu = rigs[g].gpu.index;
      if (!rigs[g].gpu.uuid.empty()) e.gpu_uuid = rigs[g].gpu.uuid;
      per_gpu[g].push_back(std::move(e));
    }
  }
  run.clear_progress();
  std::vector<Benchmark> entries;
  for (auto& g : per_gpu) {
    bench::add_baseline_percent(g);  // against the same GPU's library result
    entries.insert(entries.end(), g.begin(), g.end());
  }
  const auto node = bench::node_aggregates(entries, n);
  run.show("\n" + bench::render_node_table(entries, node));
  entries.insert(entries.end(), node.begin(), node.end());
  return entries;
}

// The p2p family on every ordered pair of `rigs`, one pair at a time (a pair measured alone, not
// beside other traffic), with the smoke suite's sampling (5+ samples, at most 0.5 s a pair: 56 pairs
// on an 8-GPU node). One GPU: each spec is one skipped entry, "one GPU: no peer pairs".
std::vector<Benchmark> measure_p2p(RunContext& run, const BenchOptions& o, const std::vector<bench::BenchSpec>& specs,
                                   std::vector<Rig>& rigs, const HostInfo& host, Done& done) {
  std::vector<Benchmark> entries;
  std::mutex mutex;
  std::vector<int> gpus;
  for (const auto& r : rigs) gpus.push_back(r.gpu.index);
  if (gpus.size() < 2) {
    for (const auto& s : specs) {
      bench::Measurement m;
      m.status = BenchStatus::skipped;
      m.reason = bench::kP2pOneGpu;
      entries.push_back(bench::to_entry(s, m, {}, std::nullopt));
    }
    run.show("\np2p: " + std::string(bench::kP2pOneGpu) + " (" + std::to_string(specs.size()) + " skipped)\n");
    return entries;
  }
  const InstanceType* type =
      host.cloud ? find_instance(builtin_catalog(), host.cloud->instance_type) : nullptr;
  std::vector<bench::BenchSpec> pairs;
  for (const auto& s : specs) {
    auto p = bench::p2p_pair_specs(s, gpus);
    pairs.insert(pairs.end(), p.begin(), p.end());
  }
  Watchdog dog = make_dog(run, [&] {
    auto e = done.copy();
    std::lock_guard<std::mutex> lock(mutex);
    e.insert(e.end(), entries.begin(), entries.end());
    return e;
  });
  const auto bound = benchmark_bound(o);
  const auto opt = bench::measure_options_for(bench::Suite::smoke);
  auto rig_of = [&](int index) -> Rig& {
    for (auto& r : rigs)
      if (r.gpu.index == index) return r;
    return rigs.front();
  };
  std::string link_what;
  run.show("\np2p on " + std::to_string(gpus.size() * (gpus.size() - 1)) + " GPU pairs, " +
           std::to_string(pairs.size()) + " runs\n");
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& spec = pairs[i];
    dog.arm({"benchmark", "benchmark " + spec.gb_name(), bound, nullptr});
    show_progress(run, t0, i + 1, pairs.size(), spec.gb_name());
    Rig& src = rig_of(spec.src);
    Rig& dst = rig_of(spec.dst);
    // The link's nominal rate, of the slower GPU's PCIe link where the GPUs share no NVLink.
    std::optional<double> pcie = src.pcie_gbps && dst.pcie_gbps ? std::min(*src.pcie_gbps, *dst.pcie_gbps)
                                                                  : std::optional<double>{};
    const bench::P2pLink link = bench::p2p_link(type, pcie);
    link_what = link.what;
    std::optional<double> peak;
    if (link.gb_s) peak = *link.gb_s * (spec.variant == "bidi" ? 2 : 1);
    const bench::Measurement m = bench::measure(spec, src.factory, opt, nullptr);
    dog.disarm();
    Benchmark e = bench::to_entry(spec, m, src.peaks, peak);
    e.details["link"] = link.what;
    std::lock_guard<std::mutex> lock(mutex);
    entries.push_back(std::move(e));
  }
  run.clear_progress();
  run.show("link: " + link_what + "\n" + bench::render_p2p_matrices(entries));
  return entries;
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

  if (!o.gpus.empty() && !o.gbench_flags.empty()) {
    std::fprintf(stderr, "gpuprobe bench: Google Benchmark's flags (after --) apply to one GPU, not to --gpus\n");
    return kExitUsage;
  }

  const SystemView sys = SystemView::live();
  const HostInfo host = collect_host_info(sys);
  // The summary under the tables: the verdict line.
  RunContext run("bench", host, o.label, std::move(outputs), o.quiet,
                 [](const Report& r, const TableStyle&) { return r.verdict + "\n"; });
  ProbeOptions popts;
  popts.only = kGpuPreChecks;
  popts.timeout_scale = o.timeout_scale;
  ProbeContext ctx(popts, sys, run.report());
  // Without a usable GPU there is nothing to benchmark: the pre-checks' verdict.
  run_checks(select_checks(runnable_checks(ctx), popts.only, {}), run.hooks(no_gpu_outcome(true, "benchmark")));
  if (!ctx.gpus_usable()) return run.finish(no_gpu_outcome(false, "benchmark"));

  const auto gpus = ctx.gpus();
  std::vector<GpuInfo> selected;
  if (o.gpus.empty()) {
    for (const auto& g : gpus)
      if (g.index == o.device) selected.push_back(g);
    if (selected.empty()) {
      std::fprintf(stderr, "gpuprobe bench: --device %d: this machine has %zu GPU(s) (0..%zu)\n", o.device, gpus.size(),
                   gpus.size() - 1);
      return kExitUsage;
    }
  } else {
    try {
      for (int i : bench::resolve_gpu_list(o.gpus, static_cast<int>(gpus.size())))
        for (const auto& g : gpus)
          if (g.index == i) selected.push_back(g);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "gpuprobe bench: %s\n", e.what());
      return kExitUsage;
    }
  }
  // p2p pairs the GPUs of --gpus, else every GPU of the machine.
  // With --gpus, NCCL's collectives (every GPU of the process, one rank each) run once, after the
  // per-GPU benchmarks rather than beside them.
  std::vector<bench::BenchSpec> one_gpu, p2p, nccl;
  for (const auto& s : specs)
    (s.family == bench::Family::p2p                        ? p2p
     : s.family == bench::Family::nccl && !o.gpus.empty() ? nccl
                                                           : one_gpu)
        .push_back(s);

  Done done;
  std::vector<Rig> rigs = rigs_of(o.gpus.empty() && !p2p.empty() ? gpus : selected);
  if (!one_gpu.empty())
    done.add(o.gpus.empty() ? measure_one(run, o, suite, one_gpu, selected.front(), done)
                            : measure_node(run, o, suite, one_gpu, rigs, done));
  if (!nccl.empty()) done.add(measure_one(run, o, suite, nccl, selected.front(), done));
  if (!p2p.empty()) done.add(measure_p2p(run, o, p2p, rigs, host, done));

  std::vector<Benchmark> entries = done.copy();
  // The verdict counts what each GPU and pair measured; a node aggregate repeats them.
  std::vector<Benchmark> counted;
  for (const auto& e : entries)
    if (e.scope == BenchScope::gpu) counted.push_back(e);
  Verdict v = benchmarks_verdict(counted);
  // Nothing measured for one reason (bench --filter p2p on one GPU): the verdict says it.
  if (v.passed == 0 && v.failed == 0 && !counted.empty() && counted.front().reason &&
      std::all_of(counted.begin(), counted.end(), [&](const Benchmark& e) { return e.reason == counted.front().reason; }))
    v.line += ": " + *counted.front().reason;
  if (const auto slow = bench::node_outliers(counted); !slow.empty())
    v.line += "; " + bench::outliers_text(slow);
  std::vector<bench::BenchSpec> ran = one_gpu;
  return run.finish([&](Report& rep) {
    rep.benchmarks = std::move(entries);
    bench::record_libraries(ran, rep.software);
    return RunOutcome{v.exit_code, v.line};
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
  add_output_options(*sub, kRunDocument, o->outputs, "; the tables then go to stderr");
  sub->add_option("--label", o->label, "Label of this machine in comparisons (default: EC2 instance type, else hostname)");
  auto* device = sub->add_option("--device", o->device, "Index of the GPU to measure (default 0)")->check(CLI::Range(0, 1023));
  sub->add_option("--gpus", o->gpus,
                  "Measure these GPUs at once: all, or indices (0,3); per GPU, the node's sum, and GPUs slower "
                  "than the node's others")
      ->type_name("all|N,N,...")
      ->excludes(device)
      ->check(CLI::Validator([](std::string& s) { return bench::check_gpu_list(s); }, "all|N,N,...", "gpus"));
  sub->add_option("--timeout-scale", o->timeout_scale, "Multiply the time bounds of the pre-checks and of each benchmark (5 min) (default 1)")
      ->check(CLI::Range(0.001, 100.0));
  sub->add_flag("--list", o->list, "List the benchmarks selected by --suite/--filter/--sizes, then exit");
  sub->add_flag("-q,--quiet", o->quiet, "No tables; only the verdict line on stderr");
  sub->add_option("gbench_flags", o->gbench_flags, "Google Benchmark flags after --, e.g. -- --benchmark_repetitions=5");
  sub->callback([o] { throw CLI::RuntimeError(run_bench(*o)); });
}

}  // namespace gpuprobe::cli
