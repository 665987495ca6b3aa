// Owners of CUDA runtime objects, shared by the checks and the benchmarks: device memory, pinned
// host memory, a stream, and a pair of events that times work on a stream. Each frees what it holds
// when it goes, with GPUPROBE_CUDA_CALL_NOEXCEPT (cuda_call.hpp: reported, never thrown). Creation
// throws: AllocationFailed when memory cannot be had (the caller decides whether that is a failure,
// as in a check, or a skip, as for a benchmark too big for this GPU), CudaError for any other error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <functional>
#include <stdexcept>

#include "gpuprobe/gpu/cuda_call.hpp"

namespace gpuprobe {

// cudaMalloc returned cudaErrorMemoryAllocation, or cudaMallocHost failed. what() says how much:
// "out of device memory allocating 1.0 GiB", "cannot allocate 64.0 MiB of pinned host memory: ...".
struct AllocationFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes);  // on the current device
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_) { o.p_ = nullptr, o.bytes_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  void* get() const { return p_; }
  template <class T>
  T* as() const { return static_cast<T*>(p_); }
  std::size_t bytes() const { return bytes_; }
  void reset();

 private:
  void* p_ = nullptr;
  std::size_t bytes_ = 0;
};

class PinnedBuffer {
 public:
  explicit PinnedBuffer(std::size_t bytes);
  ~PinnedBuffer() { GPUPROBE_CUDA_CALL_NOEXCEPT(cudaFreeHost(p_)); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void* get() const { return p_; }

 private:
  void* p_ = nullptr;
};

// A non-blocking stream on the current device.
class Stream {
 public:
  Stream() { GPUPROBE_CUDA_CALL(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() { GPUPROBE_CUDA_CALL_NOEXCEPT(cudaStreamDestroy(s_)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

// Times work enqueued on `stream` between two events.
class EventTimer {
 public:
  EventTimer();
  ~EventTimer();
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  // Records the start event, calls `enqueue`, records the stop event and waits for it; throws
  // CudaError when a call (or a launch inside `enqueue`) failed. Returns seconds.
  double time(cudaStream_t stream, const std::function<void()>& enqueue);

 private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

}  // namespace gpuprobe
