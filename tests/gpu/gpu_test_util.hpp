#pragma once

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "gpuprobe/gpu/gpu_libs.hpp"

namespace gpuprobe::testing {
// Set (to anything but "0") where a GPU must be there, as scripts/device-run.sh does on the GPU
// machine: then a driver that cannot be loaded or a GPU CUDA cannot use fails the test instead of
// skipping it, so a broken GPU machine cannot report all green.
inline bool gpu_expected() {
  const char* v = std::getenv("GPUPROBE_EXPECT_GPU");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}
}  // namespace gpuprobe::testing

// Skips the test unless a driver is loadable and CUDA sees a GPU (fails instead with
// GPUPROBE_EXPECT_GPU set).
#define GPUPROBE_REQUIRE_GPU()                                                                        \
  do {                                                                                                \
    if (!::gpuprobe::cuda_driver_lib().missing.empty()) {                                             \
      if (::gpuprobe::testing::gpu_expected())                                                        \
        FAIL() << "GPUPROBE_EXPECT_GPU is set but there is no NVIDIA driver: "                        \
               << ::gpuprobe::cuda_driver_lib().missing;                                              \
      GTEST_SKIP() << "no NVIDIA driver here: " << ::gpuprobe::cuda_driver_lib().missing;             \
    }                                                                                                 \
    int n_ = 0;                                                                                       \
    const cudaError_t e_ = cudaGetDeviceCount(&n_);                                                   \
    if (e_ != cudaSuccess || n_ == 0) {                                                               \
      if (::gpuprobe::testing::gpu_expected())                                                        \
        FAIL() << "GPUPROBE_EXPECT_GPU is set but CUDA cannot use a GPU: " << cudaGetErrorName(e_);   \
      GTEST_SKIP() << "no usable GPU: " << cudaGetErrorName(e_);                                      \
    }                                                                                                 \
  } while (0)
