// The live half of the frameworks check: each framework found on disk is imported by its own
// Python, in a subprocess of its own with a time bound, and asked what a user would ask in a
// notebook: is the GPU available, which ones, what did it warn, does a small matmul on the GPU
// agree with the CPU. The subprocesses start early and run beside the GPU checks.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/gpu/system.hpp"

namespace gpuprobe {

// One framework to ask: which one, and the interpreter whose site-packages holds it.
struct LiveRequest {
  std::string framework;  // "torch", "jax", "tensorflow", "cupy"
  std::string python;     // absolute path of the interpreter, e.g. /opt/venv/bin/python
};

struct LiveResult {
  std::string framework;
  std::string python;
  enum class Outcome {
    answered,       // the framework imported and answered (GPU or not)
    import_failed,  // importing it raised: import_error says what
    timed_out,      // killed after the time bound
    crashed,        // the interpreter died (signal, or exited without an answer)
    not_started,    // the interpreter could not be started
  } outcome = Outcome::not_started;
  double seconds = 0;             // wall time of the subprocess
  std::string version;            // as the imported module reports it (torch.__version__)
  std::string import_error;       // last line of the traceback: "ImportError: libcufile.so.0: cannot open ..."
  std::optional<bool> gpu_available;          // torch.cuda.is_available(), jax has a gpu backend, ...
  std::string backend;                        // jax.default_backend() ("cpu", "gpu"); torch: "cuda" or "rocm"
  int device_count = 0;
  std::vector<std::string> device_names;
  std::vector<std::string> arch_list;         // torch: the architectures it was built for ("sm_90"), also without a GPU
  // Warnings the framework emitted while answering: Python warnings ("UserWarning: CUDA
  // initialization: The NVIDIA driver on your system is too old ..."), log records at WARNING and
  // above (JAX's plugin errors), then the lines it wrote to stderr (TensorFlow's C++ log, absl's
  // prefix shortened to its severity: "E cuda_platform.cc:52] failed call to cuInit: ..."), each
  // once; those that mention CUDA, the GPU or the driver first.
  std::vector<std::string> warnings;
  // 256x256 float32 on the first GPU against float64 on the CPU; the error of each element
  // relative to sum_k |a_ik||b_kj|, allowed up to 2^-9 + 256 * 2^-24 (TF32 inputs, float32 sums).
  std::optional<bool> matmul_ok;
  std::optional<double> matmul_max_rel_error;
  // An exception after the import: the matmul's, or cupy's CUDARuntimeError where the device count
  // is asked without a usable driver ("cudaErrorInsufficientDriver: ..."); else "". For timed_out,
  // crashed and not_started: what happened to the subprocess.
  std::string error;
  std::string stderr_tail;                    // the last lines of its stderr, for timed_out/crashed
};
const char* to_string(LiveResult::Outcome o);  // "answered", "import_failed", ...

// Starts every request at once (construction returns at once); wait() collects the answers, each
// bounded by `bound` from its start; a subprocess past its bound is killed with its process group.
// Each runs with sys.env as its environment (LD_LIBRARY_PATH, CUDA_VISIBLE_DEVICES: the user's),
// stdin /dev/null, from "/", and none of the caller's other descriptors.
class LiveProbes {
 public:
  LiveProbes(std::vector<LiveRequest> requests, std::chrono::milliseconds bound, const SystemView& sys);
  ~LiveProbes();  // kills what still runs
  LiveProbes(const LiveProbes&) = delete;
  LiveProbes& operator=(const LiveProbes&) = delete;
  std::vector<LiveResult> wait();  // in the order of the requests; only the first call waits

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpuprobe
