// `gpuprobe burn`, host side: the engine that keeps every selected GPU under load until a deadline
// (one thread per GPU, each step under a watchdog), samples telemetry once a second on a thread of
// its own, and the verdicts over what it recorded (faulty, throttled, slow; pure functions). No CUDA
// here: the load comes from a factory (bench/src/gpu/burn_load.cpp on a GPU, stand-ins in tests and
// in the app's test hook), the telemetry from a BurnTelemetry (gpu/nvml_telemetry.hpp through NVML).
// docs/burn.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gpuprobe/bench/burn_load.hpp"
#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/report/burn.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::bench {

// "5m", "60s", "1h30m", "2m30s", "90" (seconds): a duration in seconds. Units s, m, h, each at most
// once, largest first. Throws std::invalid_argument naming what is wrong (empty, unknown unit, zero,
// more than 7 days).
double parse_duration(const std::string& text);
// 90 -> "1m30s", 3600 -> "1h", 5.2 -> "5s": for progress lines and verdicts.
std::string format_duration(double seconds);

using BurnLoadFactory = std::function<std::unique_ptr<BurnLoad>(const GpuInfo&, const BurnLoadOptions&)>;

// Where the engine's telemetry comes from. Called from the sampler thread only.
class BurnTelemetry {
 public:
  virtual ~BurnTelemetry() = default;
  // One reading of GPU `i` (the engine's order of GPUs) at `t` seconds since the start.
  virtual BurnSample sample(std::size_t i, double t) = 0;
  // Waits up to `timeout` for Xid events; returns those that came, as (GPU i, Xid). May return at once.
  virtual std::vector<std::pair<std::size_t, std::uint64_t>> wait_xids(std::chrono::milliseconds timeout) = 0;
  // What could not be read for GPU i ("" when everything was), and whether Xids are watched ("watched" or why not).
  virtual std::string note(std::size_t i) const = 0;
  virtual std::string xid_note(std::size_t i) const = 0;
};

// The telemetry of `gpus` through NVML (gpu/nvml_telemetry.hpp); nullptr when NVML is not usable.
std::unique_ptr<BurnTelemetry> make_nvml_burn_telemetry(const NvmlLib& n, const std::vector<GpuInfo>& gpus);

// Live progress of one GPU, for the once-a-second line.
struct BurnProgress {
  int index = 0;  // the GPU's CUDA index
  std::uint64_t steps = 0, mismatches = 0;
  std::optional<double> rate;  // of the last step
  bool hung = false, failed = false;
};

struct BurnEngineOptions {
  double duration_s = 60;
  std::string load_name;  // recorded in the report ("gemm-bf16", ...)
  BurnLoadOptions load;
  std::chrono::milliseconds sample_interval{1000};
  // A step that does not return within this bound is declared hung; 0: max(10 s, 20 x step_seconds).
  double hang_bound_s = 0;
  // Set by the signal handler: the run ends after the steps in flight and is marked interrupted.
  const std::atomic<bool>* stop = nullptr;
  // Once per sample interval on the engine's thread: seconds since the start and each GPU's progress.
  std::function<void(double elapsed, const std::vector<BurnProgress>&)> on_tick;
};

// The hang bound the engine uses for `o`.
double burn_hang_bound(const BurnEngineOptions& o);

// Runs the burn on `gpus` and returns its record (verdicts not yet judged: judge_burn). A GPU whose
// step hangs is left to its thread (the call cannot be cancelled) and marked hung; the run still
// ends on time. `telemetry` may be null (no NVML).
BurnRun run_burn(const std::vector<GpuInfo>& gpus, const BurnLoadFactory& factory, BurnTelemetry* telemetry,
                 const BurnEngineOptions& o);

// Stand-in loads, for tests and for the app's test hook (GPUPROBE_BURN_FAKE): "ok" (a steady rate),
// "wrong" (one step with a wrong result), "slow" (the rate falls by a third after `slow_after_s`),
// "hang" (a step that never returns after the second), "error" (a load error on the third step),
// "unavailable" (prepare throws). Steps sleep step_seconds. Throws std::invalid_argument for another mode.
std::unique_ptr<BurnLoad> make_fake_burn_load(const std::string& mode, const BurnLoadOptions& opts,
                                              double slow_after_s = 2.0);
// Whether `mode` names a stand-in load.
bool is_fake_burn_mode(const std::string& mode);

// ---- Verdicts ---------------------------------------------------------------------------------
struct BurnThresholds {
  double throttle_min_s = 3;       // a throttling reason active this long makes the GPU throttled
  double power_cap_clock_loss = 0.35;  // SW power cap: throttled only beyond this SM clock loss (else info)
  double first_window_s = 10;      // "the first seconds" the sustained rate is compared against
  double last_fraction = 0.25;     // "the last part": this share of the run's steps
  double drop = 0.10;              // slow: last part below the first seconds by more than this
  double min_peak_fraction = 0.35; // slow: last part below this share of the GPU's peak
  double mad_k = 3.5;              // slow: beyond k robust standard deviations of the node's
  double min_deviation = 0.05;     //   same-model GPUs, and beyond this fraction of their median
};

// What NVIDIA's Xid catalog says about an Xid: its name and what to do.
struct XidInfo {
  std::string name;
  std::string hint;
};
XidInfo xid_info(std::uint64_t xid);

// The peak rate of `gpu` for `kind` in the load's unit (TFLOP/s or GB/s) from bench/peaks; nullopt
// when unknown or when the load mixes units.
std::optional<double> burn_peak(const GpuInfo& gpu, BurnLoadKind kind);

// Fills each GPU's findings, rate_first/rate_last and verdict: per GPU (faulty, throttled, slow
// against its own first seconds and its peak), then across the node (slow: an outlier among GPUs of
// the same model). Idempotent.
void judge_burn(BurnRun& run, const BurnThresholds& th = {});

// The exit code and one-line verdict of a judged run: 4 a GPU hung, 1 a GPU faulty, 7 interrupted,
// 6 a GPU throttled or slow, 0 every GPU healthy (docs/exit-codes.md).
struct BurnOutcome {
  int exit_code = 0;
  std::string line;
};
BurnOutcome burn_outcome(const BurnRun& run);

// The terminal's progress line: "burn 0:42 of 5:00, 4:18 left — GPU 0 612 TFLOP/s, GPU 1 HUNG".
std::string burn_progress_line(double elapsed, double duration, const std::vector<BurnProgress>& p,
                               const std::vector<std::string>& units);

}  // namespace gpuprobe::bench
