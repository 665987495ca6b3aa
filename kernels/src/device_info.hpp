// Host helpers the launchers of kernels/src share: facts about the current device they size their
// grids by (asked once per device), a per-device verdict cache, and the alignment test of their
// vectorized paths. Host code, included by the .cu files of kernels/src.
#pragma once

#include <cuda_runtime_api.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace gpuprobe::kernels::detail {

// Whether p may be read or written with 16-byte vector accesses (float4, uint4, cp.async 16).
inline bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

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

// A launcher's verdict about each device ("can my kernel run here, and if not, why"), worked out
// once per device: the first time a device asks, get() reads its compute capability and calls
// classify(device, cc_major, cc_minor, &verdict) (which may query the runtime further and sets a
// non-zero verdict; an error of either is returned and nothing is cached).
class DeviceVerdicts {
 public:
  template <class Classify>
  cudaError_t get(int* verdict, Classify classify) {
    int dev = 0;
    if (const cudaError_t e = cudaGetDevice(&dev); e != cudaSuccess) return e;
    std::lock_guard<std::mutex> lock(m_);
    if (dev >= 0 && static_cast<std::size_t>(dev) < verdicts_.size() && verdicts_[dev] != 0) {
      *verdict = verdicts_[dev];
      return cudaSuccess;
    }
    int major = 0, minor = 0, v = 0;
    cudaError_t e;
    if ((e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev)) != cudaSuccess) return e;
    if ((e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev)) != cudaSuccess) return e;
    if ((e = classify(dev, major, minor, &v)) != cudaSuccess) return e;
    if (dev >= 0) {
      if (static_cast<std::size_t>(dev) >= verdicts_.size()) verdicts_.resize(dev + 1, 0);
      verdicts_[dev] = v;
    }
    *verdict = v;
    return cudaSuccess;
  }

 private:
  std::mutex m_;
  std::vector<int> verdicts_;
};

}  // namespace gpuprobe::kernels::detail
