#pragma once

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::testing {
// Device `index` as the GPU tests need it (name, compute capability, SMs, L2, bus id), from the
// CUDA runtime.
inline GpuInfo describe_device(int index) {
  cudaDeviceProp p{};
  EXPECT_EQ(cudaGetDeviceProperties(&p, index), cudaSuccess);
  GpuInfo g;
  g.index = index;
  g.name = p.name;
  g.cc_major = p.major;
  g.cc_minor = p.minor;
  g.sm_count = p.multiProcessorCount;
  g.l2_cache_bytes = static_cast<std::uint64_t>(p.l2CacheSize);
  char bus[32] = {};
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, index) == cudaSuccess) g.pci_bus_id = bus;
  return g;
}

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
