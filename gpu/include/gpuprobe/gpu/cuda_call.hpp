// CUDA runtime error handling, after nvbench's NVBENCH_CUDA_CALL pair: the throwing form for code
// whose caller turns the exception into a failed check, the noexcept form for clean-up paths.
// Include only from .cpp/.cu files built with the CUDA headers.
#pragma once

#include <cuda_runtime_api.h>

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

}  // namespace gpuprobe

#define GPUPROBE_CUDA_CALL(expr)                                            \
  do {                                                                      \
    const cudaError_t gpuprobe_err_ = (expr);                               \
    if (gpuprobe_err_ != cudaSuccess)                                       \
      throw ::gpuprobe::CudaError(gpuprobe_err_, #expr, __FILE__, __LINE__); \
  } while (0)

// Clean-up paths: never throws; a failure is ignored on purpose after the error that led here.
#define GPUPROBE_CUDA_CALL_NOEXCEPT(expr) \
  do {                                    \
    (void)(expr);                         \
  } while (0)
