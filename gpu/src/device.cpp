#include "gpuprobe/gpu/device.hpp"

#include <string>

#include "gpuprobe/report/render.hpp"  // format_bytes

namespace gpuprobe {

DeviceBuffer::DeviceBuffer(std::size_t bytes) : bytes_(bytes) {
  const cudaError_t e = cudaMalloc(&p_, bytes ? bytes : 1);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // not sticky; clear it
    p_ = nullptr;
    throw AllocationFailed("out of device memory allocating " + format_bytes(bytes));
  }
  GPUPROBE_CUDA_CALL(e);
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    p_ = o.p_, bytes_ = o.bytes_;
    o.p_ = nullptr, o.bytes_ = 0;
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (p_) GPUPROBE_CUDA_CALL_NOEXCEPT(cudaFree(p_));
  p_ = nullptr;
  bytes_ = 0;
}

PinnedBuffer::PinnedBuffer(std::size_t bytes) {
  const cudaError_t e = cudaMallocHost(&p_, bytes ? bytes : 1);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    p_ = nullptr;
    throw AllocationFailed("cannot allocate " + format_bytes(bytes) + " of pinned host memory: " +
                           cudaGetErrorString(e));
  }
}

EventTimer::EventTimer() {
  GPUPROBE_CUDA_CALL(cudaEventCreate(&start_));
  GPUPROBE_CUDA_CALL(cudaEventCreate(&stop_));
}

EventTimer::~EventTimer() {
  GPUPROBE_CUDA_CALL_NOEXCEPT(cudaEventDestroy(start_));
  GPUPROBE_CUDA_CALL_NOEXCEPT(cudaEventDestroy(stop_));
}

double EventTimer::time(cudaStream_t stream, const std::function<void()>& enqueue) {
  GPUPROBE_CUDA_CALL(cudaEventRecord(start_, stream));
  enqueue();
  GPUPROBE_CUDA_CALL(cudaEventRecord(stop_, stream));
  GPUPROBE_CUDA_CALL(cudaEventSynchronize(stop_));
  GPUPROBE_CUDA_CALL(cudaGetLastError());  // a failed launch inside enqueue()
  float ms = 0;
  GPUPROBE_CUDA_CALL(cudaEventElapsedTime(&ms, start_, stop_));
  return ms * 1e-3;
}

}  // namespace gpuprobe
