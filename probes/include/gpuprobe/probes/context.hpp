// State shared by the checks of one `gpuprobe check` run. Driver and runtime are brought up lazily
// and once: whichever check needs them first pays (under its own watchdog), and a check selected on
// its own with --only still works.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gpuprobe/gpu/system.hpp"
#include "gpuprobe/probes/frameworks.hpp"
#include "gpuprobe/probes/health.hpp"
#include "gpuprobe/probes/options.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

// The report under construction; the watchdog thread reads it while a check may be stuck. Never
// call into a GPU library inside with(): a hang there would keep the watchdog from the report.
class SharedReport {
 public:
  explicit SharedReport(Report r) : report_(std::move(r)) {}
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
  std::string lib_version;      // from the loaded library's real file name (libcuda.so.535.261.03), "" when none
  bool ok() const { return lib_loaded && !is_stub && init_code == 0; }
  // The library loaded, is not the stub, and cuDriverGetVersion answered: the driver's CUDA version
  // is known, GPU or no GPU.
  bool version_known() const { return lib_loaded && !is_stub && cuda_version > 0; }
  // The driver's version as best known without NVML: the kernel module's, else the library's.
  const std::string& version() const { return kernel_module.empty() ? lib_version : kernel_module; }
  // The version of the library that answered (cuDriverGetVersion is its answer, not the kernel
  // module's): its file name's, else the kernel module's.
  const std::string& library_version() const { return lib_version.empty() ? kernel_module : lib_version; }
};

// Where a driver version was read, best first: NVML asks the running driver; /proc/driver/nvidia/version
// names the loaded kernel module; the real file names of libcuda.so.1 and libnvidia-ml.so.1 name the
// user-space libraries (all there is without a kernel module).
enum class DriverVersionSource { nvml, kernel_module, libcuda_file_name, nvml_file_name };
const char* to_string(DriverVersionSource s);  // "nvml", "kernel_module", "libcuda_file_name", "nvml_file_name"
struct DriverVersion {
  std::string version;
  DriverVersionSource source = DriverVersionSource::nvml;
};

struct RuntimeState {
  bool attempted = false;
  int code = 0;  // cudaGetDeviceCount result
  std::string name, text;
  int runtime_version = 0;
  int device_count = 0;
  bool ok() const { return attempted && code == 0 && device_count > 0; }
};

// The frameworks check's work: what was found on disk, and the live subprocesses asking each.
// Started at the beginning of the run (CheckSpec::start) so that the imports, seconds each, run
// beside the GPU checks; the check itself collects the answers.
struct FrameworksRun {
  std::vector<FrameworkInstall> found;
  double scan_seconds = 0;  // the static part: reading the files
  std::unique_ptr<LiveProbes> live;      // null when nothing could be asked
  std::vector<std::size_t> live_index;   // live answer i belongs to found[live_index[i]]
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
  ProbeContext(ProbeOptions opts, SystemView sys, SharedReport& shared)
      : opts_(std::move(opts)), sys_(std::move(sys)), shared_(shared) {}
  ~ProbeContext();
  ProbeContext(const ProbeContext&) = delete;
  ProbeContext& operator=(const ProbeContext&) = delete;

  const ProbeOptions& options() const { return opts_; }
  const SystemView& system() const { return sys_; }
  SharedReport& report() { return shared_; }

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
  // is asked whether its context still works (lost_context_error, gpu/lost_context.hpp), and the
  // ones that fail are recorded against `check`. Does nothing before the GPUs are enumerated.
  void note_lost_contexts(const std::string& check);
  const LostContext* lost_context(int gpu) const;  // nullptr: not lost

  // Finds the frameworks and starts asking them, once; later calls return the same run.
  FrameworksRun& frameworks();

  // software.driver_version, from the best source seen so far: a later check may know a better
  // one (NVML) than an earlier one (a library's file name), never the reverse.
  void note_driver_version(const std::string& version, DriverVersionSource from);
  const std::optional<DriverVersion>& driver_version() const { return driver_version_; }

 private:
  ProbeOptions opts_;
  SystemView sys_;
  SharedReport& shared_;
  // Starts loading cuBLAS/cuDNN (those of the selected checks) in the background; see prefetch.cpp.
  void start_prefetch();

  std::optional<DriverState> driver_;
  std::optional<RuntimeState> runtime_;
  void enumerate_gpus();
  std::optional<std::vector<GpuProblem>> gpu_problems_;  // set once enumerated
  std::map<int, LostContext> lost_;
  std::optional<DriverVersion> driver_version_;
  std::unique_ptr<FrameworksRun> frameworks_;
  std::thread prefetch_;
};

// The cuDNN libraries start_prefetch() loads by name from the shim's folder, beyond cublas_lib() and
// cudnn_lib() themselves: the ones cuDNN loads only when a convolution is planned.
std::vector<std::string> cudnn_prefetch_sonames();

// Parses the version from /proc/driver/nvidia/version ("... Kernel Module  580.65.06  ...").
std::string parse_kernel_module_version(const std::string& text);

// The driver version a driver library's file name carries, symlinks followed: ".../libcuda.so.1"
// (a link to libcuda.so.535.261.03) -> "535.261.03"; the same for libnvidia-ml.so.1. "" when the
// real name carries none (the toolkit's stub, WSL's libcuda.so.1, a copy renamed).
std::string driver_version_from_library_file(const std::string& path);

// ---- why the driver stack reaches no GPU ---------------------------------------------------------
// What the machine shows of the NVIDIA kernel driver.
struct KernelDriverView {
  bool module_loaded = false;             // /proc/driver/nvidia exists
  std::string module_version;             // from /proc/driver/nvidia/version
  std::vector<std::string> device_nodes;  // /dev/nvidia*
  bool in_container = false;              // detect_container
  bool has_control_node() const;          // /dev/nvidiactl
  bool has_gpu_node() const;              // /dev/nvidia0, /dev/nvidia1, ...
  // Module, control node and at least one GPU node: what a driver library needs to reach a GPU.
  bool complete() const { return module_loaded && has_control_node() && has_gpu_node(); }
};
KernelDriverView read_kernel_driver_view(const SystemView& sys);

// A driver library loads but reaches no GPU (cuInit 100 CUDA_ERROR_NO_DEVICE, nvmlInit 9
// NVML_ERROR_DRIVER_NOT_LOADED). Says which part is missing: the kernel module
// (kernel_module_missing: on the host, even from inside a container), its device nodes
// (device_nodes_missing: not passed into the container, or not created on the host), else the GPUs
// are hidden (no_device: NVIDIA_VISIBLE_DEVICES, CUDA_VISIBLE_DEVICES, MIG). `symptom` opens the
// message ("driver library 535.261.03 (CUDA 12.2) loads but sees no GPU"); `libs_version` is the
// user-space libraries' version, "" when unknown; `kernel_side_works`: NVML initialized, which
// proves module and nodes whatever this view of /proc and /dev shows. The driver and the nvml
// checks both explain through this, in the same words.
Finding diagnose_no_gpu_behind_driver(const SystemView& sys, const std::string& symptom,
                                      const std::string& libs_version, bool kernel_side_works);

// Whether NVIDIA_DRIVER_CAPABILITIES lets the NVIDIA Container Toolkit mount libcuda.so.1
// ("compute"): unset or empty means the toolkit's default, utility and compute; "all" is everything.
bool capabilities_include_compute(const std::optional<std::string>& caps);

// libcuda.so.1 does not load. `nvml_path`: the libnvidia-ml.so.1 that does load ("" when none),
// `nvml_version` the driver version it carries ("" when unknown). capabilities_no_compute when
// NVIDIA_DRIVER_CAPABILITIES leaves out compute while other driver parts are here, else no_driver,
// worded for what is here (NVML alone, device nodes alone, nothing) and for a container or not.
Finding diagnose_missing_libcuda(const SystemView& sys, const std::string& nvml_path, const std::string& nvml_version);

}  // namespace gpuprobe
