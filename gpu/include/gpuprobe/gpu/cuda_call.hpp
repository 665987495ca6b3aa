// CUDA runtime errors, and how each kind of gpuprobe code handles them. Include only from .cpp/.cu
// files built with the CUDA headers.
//
// One way per kind of code:
//   * Host code of a check or a benchmark: GPUPROBE_CUDA_CALL, which throws CudaError (call, file,
//     line). The caller turns the exception into the result: the check runner (probes/src/
//     check_table.cpp) into a failed check, bench's measure() into a failed benchmark.
//   * "Cannot run here" is not an error: a benchmark throws bench::Skip; the owners of gpu/device.hpp
//     throw AllocationFailed when memory cannot be had, which the bench factory turns into Skip and
//     a check reports as a failure.
//   * Resources are held by owners (gpu/device.hpp for memory, streams and events, LibObject in
//     gpu/blas_dnn.hpp for cuBLAS/cuDNN handles and descriptors), never freed by hand, so every path
//     out of a function, a throw included, releases them.
//   * Clean-up (destructors, paths that already handle an error): GPUPROBE_CUDA_CALL_NOEXCEPT. It never
//     throws (a destructor must not) and does not end the process as nvbench's NVBENCH_CUDA_CALL_NOEXCEPT
//     does (the report must still be written): it reports a failure on stderr, once per error code in
//     the process (after a lost context every clean-up fails the same way).
//   * Library statuses (cuBLAS, cuDNN) are not CUDA errors: the code that called the library names
//     the call and words the status with the library's own text (Cublas::status, Cudnn::status and
//     cudnn_status_hint), as a finding of a check or an exception of a benchmark.
//   * The hand-written kernels' launchers (kernels/) return cudaError_t as the CUDA runtime's own
//     calls do, which keeps kernels/ (also compiled for the CPU emulator of tests/emu) free of
//     gpuprobe's error types: their callers wrap them in GPUPROBE_CUDA_CALL.
//   * Where the error code itself is the fact reported (the driver and runtime bring-up, the GPU
//     enumeration, the lost-context probe): the call's cudaError_t is returned or recorded, never
//     thrown. The probes' device code (probes/device) returns codes to callers that map them to
//     diagnoses; inside, it follows the first and third rules and turns what was thrown into the
//     code at its entry points.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>

namespace gpuprobe {

struct CudaError : std::runtime_error {
  CudaError(cudaError_t code, const std::string& what_call, const char* file, int line)
      : std::runtime_error(std::string(cudaGetErrorName(code)) + " (" + std::to_string(static_cast<int>(code)) +
                           ", '" + cudaGetErrorString(code) + "') from " + what_call + " at " + file + ":" +
                           std::to_string(line)),
        code(code) {}
  cudaError_t code;
};

// What GPUPROBE_CUDA_CALL_NOEXCEPT does with a failure: one line on stderr, the first time each
// error code is seen in this process. cudaErrorCudartUnloading is left out: an owner destroyed while
// the process exits, after the runtime shut down, has nothing left to free.
inline void report_cleanup_error(cudaError_t code, const char* what_call, const char* file, int line) noexcept {
  if (code == cudaErrorCudartUnloading) return;
  static std::mutex m;
  static std::set<int> seen;
  try {
    std::lock_guard<std::mutex> lk(m);
    if (!seen.insert(static_cast<int>(code)).second) return;
  } catch (...) {
    return;
  }
  std::fprintf(stderr, "gpuprobe: clean-up call %s failed: %s (%d, '%s') at %s:%d\n", what_call,
               cudaGetErrorName(code), static_cast<int>(code), cudaGetErrorString(code), file, line);
}

}  // namespace gpuprobe

#define GPUPROBE_CUDA_CALL(expr)                                            \
  do {                                                                      \
    const cudaError_t gpuprobe_err_ = (expr);                               \
    if (gpuprobe_err_ != cudaSuccess)                                       \
      throw ::gpuprobe::CudaError(gpuprobe_err_, #expr, __FILE__, __LINE__); \
  } while (0)

#define GPUPROBE_CUDA_CALL_NOEXCEPT(expr)                                              \
  do {                                                                                 \
    const cudaError_t gpuprobe_err_ = (expr);                                          \
    if (gpuprobe_err_ != cudaSuccess)                                                  \
      ::gpuprobe::report_cleanup_error(gpuprobe_err_, #expr, __FILE__, __LINE__);      \
  } while (0)
