#pragma once

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include "gpuprobe/probes/gpu_libs.hpp"

// Skips the test unless a driver is loadable and CUDA sees a GPU.
#define GPUPROBE_REQUIRE_GPU()                                                             \
  do {                                                                                     \
    if (!::gpuprobe::cuda_driver_lib().missing.empty())                                    \
      GTEST_SKIP() << "no NVIDIA driver here: " << ::gpuprobe::cuda_driver_lib().missing;  \
    int n_ = 0;                                                                            \
    const cudaError_t e_ = cudaGetDeviceCount(&n_);                                        \
    if (e_ != cudaSuccess || n_ == 0) GTEST_SKIP() << "no usable GPU: " << cudaGetErrorName(e_); \
  } while (0)
