// Helpers of the GPU benchmarks on top of gpu/device.hpp's owners: the free-memory test that skips a
// benchmark too big for this GPU, the L2 flush, the timed run, host-side regeneration and read-back.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gpuprobe/bench/harness.hpp"
#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/device.hpp"
#include "gpuprobe/kernels/random.hpp"

namespace gpuprobe::bench::gpu {

// Throws Skip unless `bytes` (plus a margin for libraries and the flush buffer) fit in the free
// device memory of the current device.
void require_free_memory(std::uint64_t bytes, const std::string& what);

// Evicts operands from L2 before a timed run (as nvbench does): a memset over a buffer twice the
// L2 size, enqueued on the stream before the start event.
class L2Flush {
 public:
  explicit L2Flush(std::size_t l2_bytes);
  void operator()(cudaStream_t stream);

 private:
  DeviceBuffer buf_;   // twice L2, written once, then only read
  DeviceBuffer sink_;  // what kernels::read_sweep never writes
};

// What every device benchmark instance times with: a dedicated stream, an event timer and the L2
// flush. timed_run runs `prepare` (poisoning the output), flushes L2, then times `enqueue` alone.
class TimedWork {
 public:
  explicit TimedWork(std::size_t l2_bytes) : flush_(l2_bytes) {}
  cudaStream_t stream() const { return stream_.get(); }
  double timed_run(const std::function<void()>& prepare, const std::function<void()>& enqueue);
  // The usual case: the output is one device buffer, poisoned with 0xFF bytes (NaN in every float type).
  double timed_run(const DeviceBuffer& out, const std::function<void()>& enqueue);

 private:
  Stream stream_;
  EventTimer timer_;
  L2Flush flush_;
};

// Runs f(begin, end) over [0, n) split across the host's cores (host-side regeneration and checks
// of large buffers).
void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& f);

// A device value back to the host, synchronously on `stream`.
template <class T>
T read_back(const T* device_ptr, cudaStream_t stream) {
  T v{};
  GPUPROBE_CUDA_CALL(cudaMemcpyAsync(&v, device_ptr, sizeof(T), cudaMemcpyDeviceToHost, stream));
  GPUPROBE_CUDA_CALL(cudaStreamSynchronize(stream));
  return v;
}

// The values fill_random(t, seed) put on the device, regenerated on the host: out[i] for i < n.
void regenerate(kernels::Elem t, std::uint64_t seed, float* out, std::size_t n);
inline std::vector<float> regenerate(kernels::Elem t, std::uint64_t seed, std::size_t n) {
  std::vector<float> v(n);
  regenerate(t, seed, v.data(), n);
  return v;
}

// A device buffer of elements of type t (f32, f16 or bf16) copied back and widened to float.
std::vector<float> read_back_as_float(const DeviceBuffer& buf, kernels::Elem t);

}  // namespace gpuprobe::bench::gpu
