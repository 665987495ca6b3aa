// The record of a `gpuprobe burn` run (the report's `burn` object, schema 1.3): what was asked, and
// per GPU the load's steps, the telemetry sampled once a second, the Xid events, and the verdict
// with its findings. Times are seconds since the burn started. Written and read in report_json.cpp;
// judged in bench/burn_verdict.cpp; drawn in burn_render.cpp. docs/burn.md, docs/report-schema.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gpuprobe {

// One telemetry reading of one GPU (NVML). A value NVML did not give is nullopt.
struct BurnSample {
  double t = 0;
  std::optional<int> sm_clock_mhz, mem_clock_mhz;
  std::optional<double> power_w, power_limit_w;
  std::optional<int> temperature_c;
  std::optional<std::uint64_t> clock_event_reasons;  // nvmlClocksEventReasons bits
  std::optional<std::uint64_t> ecc_corrected, ecc_uncorrected;  // volatile counters
  std::optional<std::uint64_t> pcie_replays;
  bool operator==(const BurnSample&) const = default;
};

// One step of load: when it ended, its rate (work / GPU seconds, in the GPU's `unit`) and how many
// of its checked results differed.
struct BurnStepPoint {
  double t = 0;
  double rate = 0;
  std::uint64_t mismatches = 0;
  bool operator==(const BurnStepPoint&) const = default;
};

struct XidEvent {
  double t = 0;
  std::uint64_t xid = 0;
  bool operator==(const XidEvent&) const = default;
};

// One finding of the verdict: severity "faulty", "throttled", "slow" or "info"; a reason code
// ("mismatch", "xid", "ecc_uncorrected", "load_error", "hung", "thermal", "power_brake", "hw_slowdown",
// "power_cap", "throughput_drop", "below_peak", "node_outlier", ...), one line of what was seen, and the fix.
struct BurnFinding {
  std::string severity;
  std::string reason;
  std::string message;
  std::string hint;
  bool operator==(const BurnFinding&) const = default;
};

struct BurnGpu {
  int index = 0;
  std::string name;
  std::string uuid;
  std::string load;  // the load's own description ("cuBLASLt bf16 GEMM 8192^3, ...")
  std::string unit;  // of the steps' rate: "TFLOP/s" or "GB/s"
  std::string verdict = "healthy";  // "healthy", "faulty", "throttled", "slow" (the worst finding)
  std::vector<BurnFinding> findings;
  std::uint64_t steps = 0, checked = 0, mismatches = 0;
  std::string error;                 // the load's error (prepare or step); "" when none
  bool hung = false;                 // a step did not return within the watchdog's bound
  std::optional<int> sm_clock_max_mhz;
  std::optional<double> peak;        // the GPU's peak rate in `unit`, when known
  std::optional<double> rate_first, rate_last;  // median rate of the first seconds and of the last part
  std::string telemetry_note;        // what NVML could not read ("" when all was read)
  std::string xid_note;              // "watched", or why Xid events were not watched
  std::vector<BurnSample> telemetry;
  std::vector<BurnStepPoint> series;
  std::vector<XidEvent> xids;
  bool operator==(const BurnGpu&) const = default;
};

struct BurnRun {
  std::string load;            // "gemm-bf16", ...
  double duration_s = 0;       // asked
  double elapsed_s = 0;        // ran
  bool interrupted = false;    // ended early by SIGINT/SIGTERM: a partial run
  double step_seconds = 0;     // GPU time one step aims at
  double hang_bound_s = 0;     // the watchdog's bound on one step
  std::vector<BurnGpu> gpus;
  bool operator==(const BurnRun&) const = default;
};

}  // namespace gpuprobe
