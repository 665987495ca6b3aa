// Facts about the current device the launchers size their grids by, asked once per device.
// Host code, included by the .cu files of kernels/src.
#pragma once

#include <cuda_runtime_api.h>

#include <atomic>

namespace gpuprobe::kernels::detail {

// Number of SMs of the current device; 128 when it cannot be asked (the launch then still works,
// only sized less well).
inline int sm_count() {
  constexpr int kMaxDevices = 64;
  static std::atomic<int> cache[kMaxDevices];  // static storage: zero-initialized, 0 = not asked
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= kMaxDevices) return 128;
  int sms = cache[dev].load(std::memory_order_relaxed);
  if (sms == 0) {
    if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || sms <= 0) return 128;
    cache[dev].store(sms, std::memory_order_relaxed);
  }
  return sms;
}

}  // namespace gpuprobe::kernels::detail
