// gpuprobe burn: every selected GPU under verified load for a duration, telemetry once a second,
// and a verdict per GPU (healthy, faulty, throttled, slow) with an exit code CI can act on
// (docs/burn.md). The driver, compat, devices, nvml and environment checks run first and go into
// the same report. SIGINT/SIGTERM end the run after the steps in flight, with a partial report.
//
// Test hook: GPUPROBE_BURN_FAKE=ok|wrong|slow|hang|error|unavailable runs the burn on stand-in loads
// (bench/src/burn_fake.cpp) and made-up GPUs, without the pre-checks or NVML, so the CLI tests can
// exercise the run, its signals, its watchdog and its outputs on a machine without a GPU.
// GPUPROBE_BURN_FAKE_GPUS (default 2) sets how many; GPUPROBE_BURN_FAKE_HANG_S (default 2) the hang
// bound. Nothing else reads them.
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli.hpp"
#include "gpuprobe/bench/burn.hpp"
#include "gpuprobe/bench/node.hpp"
#include "gpuprobe/probes/check_table.hpp"
#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/runner.hpp"
#include "gpuprobe/report/burn_render.hpp"
#include "gpuprobe/report/compare.hpp"
#include "gpuprobe/report/verdict.hpp"
#include "outputs.hpp"
#include "run_context.hpp"

namespace gpuprobe::cli {

struct BurnCliOptions {
  std::string duration = "5m";
  std::string load;  // "" = bf16 where every selected GPU has it, else fp32
  std::string gpus = "all";
  OutputOptions outputs;
  std::string label;
  double timeout_scale = 1.0;
  bool quiet = false;
};

namespace {

constexpr Document kBurnDocuments = static_cast<Document>(kRunDocument | kReportSetDocument);

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

// SIGINT and SIGTERM ask the run to end; a second one ends the process (SA_RESETHAND).
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The GPUs of --gpus ("all" or "0,3", bench's syntax and checks) among those present.
// Throws std::invalid_argument naming what is wrong.
std::vector<GpuInfo> select_gpus(const std::string& spec, const std::vector<GpuInfo>& all) {
  std::vector<GpuInfo> out;
  for (int i : bench::resolve_gpu_list(spec, static_cast<int>(all.size())))
    for (const auto& g : all)
      if (g.index == i) out.push_back(g);
  return out;
}

bench::BurnLoadKind default_kind(const std::vector<GpuInfo>& gpus) {
  for (const auto& g : gpus)
    if (g.cc_major < 8) return bench::BurnLoadKind::gemm_fp32;  // no BF16 tensor cores before Ampere
  return bench::BurnLoadKind::gemm_bf16;
}

double env_number(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const double d = std::strtod(v, &end);
  return end && *end == '\0' && d > 0 ? d : fallback;
}

// The report set's outputs (--html, --markdown) of the finished report: one report, compared with nothing.
bool write_report_set(const SinkMultiplex& outputs, const Report& rep) {
  if (outputs.empty()) return true;
  const std::vector<Report> reports{rep};
  const Comparison c = compare_reports(reports, {}, 0.05);
  return write_outputs(outputs, ReportSetDoc{reports, c}, "burn");
}

}  // namespace

int run_burn_cmd(const BurnCliOptions& o) {
  const double duration = bench::parse_duration(o.duration);  // validated at parse time
  SinkMultiplex run_outputs = open_outputs(o.outputs, kRunDocument);
  const SinkMultiplex set_outputs = open_outputs(o.outputs, kReportSetDocument);
  if (run_outputs.to_stdout().size() + set_outputs.to_stdout().size() > 1) {
    std::fprintf(stderr, "gpuprobe burn: only one output can write to stdout\n");
    return kExitUsage;
  }
  const char* fake = std::getenv("GPUPROBE_BURN_FAKE");
  const bool faking = fake && *fake;
  if (faking && !bench::is_fake_burn_mode(fake)) {
    std::fprintf(stderr, "gpuprobe burn: GPUPROBE_BURN_FAKE=%s: not a stand-in load (ok, wrong, slow, hang, error, unavailable)\n", fake);
    return kExitUsage;
  }

  const SystemView sys = SystemView::live();
  RunContext run("burn", collect_host_info(sys), o.label, std::move(run_outputs), o.quiet,
                 [](const Report& r, const TableStyle&) {
                   return (r.burn ? "\n" + render_burn_text(*r.burn) : std::string()) + r.verdict + "\n";
                 },
                 !set_outputs.to_stdout().empty());  // --html - / --markdown -: the display goes to stderr
  std::vector<GpuInfo> all;
  bench::BurnLoadFactory factory;
  std::unique_ptr<bench::BurnTelemetry> telemetry;
  bench::BurnEngineOptions eo;
  if (faking) {
    const int n = static_cast<int>(env_number("GPUPROBE_BURN_FAKE_GPUS", 2));
    for (int i = 0; i < n && i < 64; ++i) {
      GpuInfo g;
      g.index = i;
      g.name = "stand-in GPU";
      g.cc_major = 9;
      all.push_back(g);
    }
    const std::string mode = fake;
    factory = [mode](const GpuInfo&, const bench::BurnLoadOptions& lo) { return bench::make_fake_burn_load(mode, lo); };
    eo.load.step_seconds = 0.1;
    eo.hang_bound_s = env_number("GPUPROBE_BURN_FAKE_HANG_S", 2);
  } else {
    ProbeOptions popts;
    popts.only = kGpuPreChecks;
    popts.timeout_scale = o.timeout_scale;
    ProbeContext ctx(popts, sys, run.report());
    run_checks(select_checks(runnable_checks(ctx), popts.only, {}), run.hooks(no_gpu_outcome(true, "burn")));
    if (!ctx.gpus_usable()) {
      const int rc = run.finish(no_gpu_outcome(false, "burn"));
      Report rep;
      run.report().with([&](Report& r) { rep = r; });
      return write_report_set(set_outputs, rep) ? rc : kExitInternal;
    }
    all = ctx.gpus();
    factory = bench::make_gpu_burn_load;
    telemetry = bench::make_nvml_burn_telemetry(nvml_lib(), all);
  }
  std::vector<GpuInfo> gpus;
  try {
    gpus = select_gpus(o.gpus, all);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "gpuprobe burn: %s\n", e.what());
    return kExitUsage;
  }
  if (telemetry && gpus.size() != all.size()) telemetry = bench::make_nvml_burn_telemetry(nvml_lib(), gpus);
  bench::BurnLoadKind kind = default_kind(gpus);
  if (!o.load.empty()) bench::parse_burn_load_kind(o.load, kind);  // validated at parse time
  eo.duration_s = duration;
  eo.load_name = bench::to_string(kind);
  eo.load.kind = kind;
  eo.stop = &g_stop;
  std::vector<std::string> units(gpus.size(), faking ? "TFLOP/s" : kind == bench::BurnLoadKind::memory ? "GB/s" : "");
  if (kind == bench::BurnLoadKind::gemm_bf16 || kind == bench::BurnLoadKind::gemm_fp32) units.assign(gpus.size(), "TFLOP/s");
  eo.on_tick = [&](double elapsed, const std::vector<bench::BurnProgress>& p) {
    if (run.shows_progress()) run.progress(bench::burn_progress_line(elapsed, duration, p, units));
  };
  if (telemetry == nullptr && !faking)
    run.show("\nNVML is not usable here: the burn runs without telemetry (clocks, power, temperature, Xid events)\n");
  run.show("\nburn: " + std::to_string(gpus.size()) + " GPU" + (gpus.size() == 1 ? "" : "s") + ", load " + eo.load_name +
           ", " + bench::format_duration(duration) + " (Ctrl-C ends it early with a partial report)\n");
  install_stop_handlers();
  BurnRun burn = bench::run_burn(gpus, factory, telemetry.get(), eo);
  run.clear_progress();
  for (auto& g : burn.gpus)
    for (const auto& info : gpus)
      if (info.index == g.index && !faking) g.peak = bench::burn_peak(info, kind);
  bench::judge_burn(burn);
  const bool hung = std::any_of(burn.gpus.begin(), burn.gpus.end(), [](const BurnGpu& g) { return g.hung; });
  const bench::BurnOutcome outcome = bench::burn_outcome(burn);
  int rc = run.finish([&](Report& rep) {
    rep.burn = burn;
    return RunOutcome{outcome.exit_code, outcome.line};
  });
  Report rep;
  run.report().with([&](Report& r) { rep = r; });
  if (!write_report_set(set_outputs, rep)) rc = kExitInternal;
  if (hung) {  // a thread is stuck in a GPU call: end without waiting for it
    std::fflush(nullptr);
    std::_Exit(rc);
  }
  return rc;
}

void setup_burn(CLI::App& app) {
  auto o = std::make_shared<BurnCliOptions>();
  auto* sub = app.add_subcommand("burn", "Keep every GPU under verified load for a while: tells a faulty, throttling "
                                         "or slow GPU from a healthy one, and exits accordingly");
  sub->add_option("--duration", o->duration, "How long: 90 (seconds), 60s, 5m, 1h30m (default 5m)")
      ->type_name("TIME")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            try {
              bench::parse_duration(s);
              return "";
            } catch (const std::exception& e) {
              return e.what();
            }
          },
          "", "duration"));
  sub->add_option("--load", o->load,
                  "gemm-fp32, gemm-bf16, memory or mixed (default gemm-bf16 where every selected GPU has BF16 "
                  "tensor cores, else gemm-fp32)")
      ->type_name("LOAD")
      ->check(CLI::IsMember({"gemm-fp32", "gemm-bf16", "memory", "mixed"}));
  sub->add_option("--gpus", o->gpus, "Which GPUs: all, or indices like 0,3 (default all)")
      ->type_name("all|N,N")
      ->check(CLI::Validator([](std::string& s) { return bench::check_gpu_list(s); }, "", "gpus"));
  add_output_options(*sub, kBurnDocuments, o->outputs, "; the table then goes to stderr");
  sub->add_option("--label", o->label, "Label of this machine in comparisons (default: EC2 instance type, else hostname)");
  sub->add_option("--timeout-scale", o->timeout_scale, "Multiply the time bounds of the pre-checks (default 1)")
      ->check(CLI::Range(0.001, 100.0));
  sub->add_flag("-q,--quiet", o->quiet, "No table; only the verdict line on stderr");
  sub->footer(
      "Exit codes: 0 every GPU healthy, 1 a GPU faulty (wrong result, Xid, uncorrected ECC, load error),\n"
      "2 usage error, 3 no GPU / no driver, 4 a GPU hung, 5 an output could not be written,\n"
      "6 a GPU throttled or slow, 7 interrupted (SIGINT/SIGTERM; a partial report). docs/burn.md");
  sub->callback([o] { throw CLI::RuntimeError(run_burn_cmd(*o)); });
}

}  // namespace gpuprobe::cli
