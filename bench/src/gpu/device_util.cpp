#include "device_util.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "gpuprobe/gpu/float16.hpp"
#include "gpuprobe/kernels/memory.hpp"
#include "gpuprobe/report/render.hpp"

namespace gpuprobe::bench::gpu {

void require_free_memory(std::uint64_t bytes, const std::string& what) {
  std::size_t free_b = 0, total_b = 0;
  GPUPROBE_CUDA_CALL(cudaMemGetInfo(&free_b, &total_b));
  constexpr std::uint64_t margin = 512ull << 20;  // library workspaces, the L2 flush buffer
  if (bytes + margin > free_b)
    throw Skip(what + " needs " + format_bytes(bytes) + " of device memory; " + format_bytes(free_b) + " free");
}

// A read sweep, not a memset: a memset over 2 x L2 would leave L2 full of its own dirty lines, whose
// write-back would then fall inside the timed region (a few % of a 1 GiB copy on an H200). Reading
// evicts the dirty lines the poisoned output left, during the flush, and leaves clean ones.
L2Flush::L2Flush(std::size_t l2_bytes) : buf_(std::max<std::size_t>(2 * l2_bytes, 8u << 20)), sink_(sizeof(float)) {
  GPUPROBE_CUDA_CALL(cudaMemset(buf_.get(), 0, buf_.bytes()));
}

void L2Flush::operator()(cudaStream_t stream) {
  GPUPROBE_CUDA_CALL(kernels::read_sweep(buf_.bytes() / sizeof(float), buf_.as<float>(), sink_.as<float>(), stream));
}

double TimedWork::timed_run(const std::function<void()>& prepare, const std::function<void()>& enqueue) {
  prepare();
  flush_(stream());
  return timer_.time(stream(), enqueue);
}

double TimedWork::timed_run(const DeviceBuffer& out, const std::function<void()>& enqueue) {
  return timed_run([&] { GPUPROBE_CUDA_CALL(cudaMemsetAsync(out.get(), 0xFF, out.bytes(), stream())); }, enqueue);
}

void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& f) {
  const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 32);
  if (n < (1u << 16) || threads == 1) {
    f(0, n);
    return;
  }
  std::vector<std::thread> pool;
  const std::size_t chunk = (n + threads - 1) / threads;
  for (std::size_t t = 0; t < threads; ++t) {
    const std::size_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back(f, b, e);
  }
  for (auto& th : pool) th.join();
}

void regenerate(kernels::Elem t, std::uint64_t seed, float* out, std::size_t n) {
  parallel_for(n, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) out[i] = kernels::random_value(t, seed, i);
  });
}

std::vector<float> read_back_as_float(const DeviceBuffer& buf, kernels::Elem t) {
  if (t == kernels::Elem::e4m3) throw std::logic_error("read_back_as_float: outputs are never FP8");
  const std::size_t es = kernels::elem_size(t), n = buf.bytes() / es;
  std::vector<unsigned char> raw(buf.bytes());
  GPUPROBE_CUDA_CALL(cudaMemcpy(raw.data(), buf.get(), raw.size(), cudaMemcpyDeviceToHost));
  std::vector<float> out(n);
  parallel_for(n, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) {
      const unsigned char* p = raw.data() + i * es;
      std::uint16_t h = 0;
      switch (t) {
        case kernels::Elem::f32: std::memcpy(&out[i], p, 4); break;
        case kernels::Elem::f16: std::memcpy(&h, p, 2), out[i] = half_to_float(h); break;
        case kernels::Elem::bf16: std::memcpy(&h, p, 2), out[i] = bf16_to_float(h); break;
        case kernels::Elem::e4m3: break;  // refused above
      }
    }
  });
  return out;
}

}  // namespace gpuprobe::bench::gpu
