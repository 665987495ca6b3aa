// State shared by the checks of one `gpuprobe check` run. Driver and runtime are brought up lazily
// and once: whichever check needs them first pays (under its own watchdog), and a check selected on
// its own with --only still works.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gpuprobe/probes/health.hpp"
#include "gpuprobe/probes/options.hpp"
#include "gpuprobe/probes/system.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

// The report under construction; the watchdog thread reads it while a check may be stuck. Never
// call into a GPU library inside with(): a hang there would keep the watchdog from the report.
class ReportSink {
 public:
  explicit ReportSink(Report r) : report_(std::move(r)) {}
  template <class F>
  auto with(F&& f) {
    std::lock_guard<std::timed_mutex> lk(m_);
    return f(report_);
  }
  // For the watchdog: gives up after `wait` rather than block forever; false when it gave up.
  template <class F>
  bool try_with_for(std::chrono::milliseconds wait, F&& f) {
    std::unique_lock<std::timed_mutex> lk(m_, wait);
    if (!lk.owns_lock()) return false;
    f(report_);
    return true;
  }
  Report snapshot() {
    std::lock_guard<std::timed_mutex> lk(m_);
    return report_;
  }

 private:
  std::timed_mutex m_;
  Report report_;
};

struct DriverState {
  bool lib_loaded = false;
  std::string lib_path;
  std::string load_error;
  bool is_stub = false;         // the toolkit's link stub (lib64/stubs/libcuda.so) was loaded
  int init_code = -1;           // cuInit result
  std::string init_name, init_text;
  int cuda_version = 0;         // cuDriverGetVersion
  std::string kernel_module;    // from /proc/driver/nvidia/version, e.g. "580.65.06"
  bool ok() const { return lib_loaded && !is_stub && init_code == 0; }
};

struct RuntimeState {
  bool attempted = false;
  int code = 0;  // cudaGetDeviceCount result
  std::string name, text;
  int runtime_version = 0;
  int device_count = 0;
  bool ok() const { return attempted && code == 0 && device_count > 0; }
};

// A CUDA call about one GPU that failed while enumerating the GPUs.
struct GpuProblem {
  int index = 0;
  std::string call;  // "cudaGetDeviceProperties", "cudaSetDevice", "cudaMemGetInfo"
  int code = 0;      // cudaError_t
  std::string name, text;
};
// What the devices check says about it: a GPU another process holds in exclusive-process compute
// mode (or one set to prohibited) is cudaErrorDevicesUnavailable, which otherwise would surface
// later as an unexplained launch failure.
Finding diagnose_gpu_problem(const GpuProblem& p);

// A GPU whose CUDA context a check lost: after a sticky error (an illegal address, a launch
// failure, an uncorrectable ECC error, ...) every later CUDA call on that GPU fails the same way
// until the process ends, so the later checks do not test it again, and say why, instead of
// failing each with the same error.
struct LostContext {
  int code = 0;       // cudaError_t
  std::string name;   // cudaGetErrorName
  std::string check;  // the check after which it was found lost
};
// What a later check reports for such a GPU (a warning: that GPU goes untested there; the check
// that lost it has failed already).
Finding lost_context_finding(const std::string& gpu_label, const LostContext& lost);

class ProbeContext {
 public:
  ProbeContext(ProbeOptions opts, SystemView sys, ReportSink& sink)
      : opts_(std::move(opts)), sys_(std::move(sys)), sink_(sink) {}
  ~ProbeContext();
  ProbeContext(const ProbeContext&) = delete;
  ProbeContext& operator=(const ProbeContext&) = delete;

  const ProbeOptions& options() const { return opts_; }
  const SystemView& system() const { return sys_; }
  ReportSink& sink() { return sink_; }

  const DriverState& driver();    // dlopen libcuda + cuInit, once
  // cudaRuntimeGetVersion + cudaGetDeviceCount, once. Cheap: creates no context.
  const RuntimeState& runtime();
  bool gpus_usable() { return driver().ok() && runtime().ok(); }
  // The GPUs CUDA sees, with their properties and free memory, into report.gpus: enumerated once,
  // by the first check that asks (the devices check, in the normal order). Enumeration creates a
  // context on every GPU (hundreds of ms each), so it stays out of the short-bounded compat check.
  // Empty when !gpus_usable().
  std::vector<GpuInfo> gpus();
  const std::vector<GpuProblem>& gpu_problems();  // what went wrong in enumeration, per GPU

  // After each check (check_table.cpp, still under that check's time bound): every enumerated GPU
  // is asked whether its context still works (cudaDeviceSynchronize; asked twice, so that an
  // asynchronous error a check left behind is not taken for a lost context), and the ones that
  // fail are recorded against `check`. Does nothing before the GPUs are enumerated.
  void note_lost_contexts(const std::string& check);
  const LostContext* lost_context(int gpu) const;  // nullptr: not lost

 private:
  ProbeOptions opts_;
  SystemView sys_;
  ReportSink& sink_;
  // Starts loading cuBLAS/cuDNN (those of the selected checks) in the background; see prefetch.cpp.
  void start_prefetch();

  std::optional<DriverState> driver_;
  std::optional<RuntimeState> runtime_;
  void enumerate_gpus();
  std::optional<std::vector<GpuProblem>> gpu_problems_;  // set once enumerated
  std::map<int, LostContext> lost_;
  std::thread prefetch_;
};

// The cuDNN libraries start_prefetch() loads by name from the shim's folder, beyond cublas_lib() and
// cudnn_lib() themselves: the ones cuDNN loads only when a convolution is planned.
std::vector<std::string> cudnn_prefetch_sonames();

// Parses the version from /proc/driver/nvidia/version ("... Kernel Module  580.65.06  ...").
std::string parse_kernel_module_version(const std::string& text);

}  // namespace gpuprobe
