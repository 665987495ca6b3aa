// Device code of `gpuprobe check`: a trivial kernel (arch check), a compute kernel verified bit for
// bit on the CPU (kernel check) and a pattern memory test (memory check). Each entry point returns
// the CUDA error code its caller turns into a diagnosis; inside, calls throw and owners hold every
// resource (code_of converts at the boundary).
#include <cuda_runtime.h>

#include <chrono>

#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/device.hpp"
#include "probe_kernels.hpp"

namespace gpuprobe::dev {
namespace {

constexpr unsigned kMarker = 0xC0FFEE11u;
constexpr int kMaxBad = 16;

__global__ void trivial_kernel(unsigned* out) { *out = kMarker; }

__host__ __device__ inline std::uint32_t mix32_impl(std::uint32_t x, std::uint32_t seed) {
  // murmur3 finalizer over index ^ seed: every bit of the result depends on every input bit.
  x ^= seed;
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

__global__ void compute_kernel(const float* __restrict__ x, float a, float b, std::uint32_t seed,
                               float* __restrict__ y, std::uint32_t* __restrict__ h, std::size_t n) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    y[i] = __fmaf_rn(a, x[i], b);
    h[i] = mix32_impl(static_cast<std::uint32_t>(i), seed);
  }
}

// Pattern of 32-bit word i (of the whole buffer) for each test.
__device__ __forceinline__ std::uint32_t pattern(int which, std::uint64_t i, std::uint32_t seed) {
  switch (which) {
    case 0: return 1u << ((i + seed) & 31u);                    // walking ones
    case 1: return ~(1u << ((i + seed) & 31u));                 // walking zeros
    case 2: return mix32_impl(static_cast<std::uint32_t>(i) ^ static_cast<std::uint32_t>(i >> 32) * 0x9e3779b9u, seed);
    default: {  // address in address: the word's byte offset (high bits folded in past 4 GiB)
      const std::uint64_t a = i * 4u;
      return static_cast<std::uint32_t>(a) ^ static_cast<std::uint32_t>(a >> 32) * 0x9e3779b9u;
    }
  }
}

__global__ void fill_kernel(uint4* buf, std::size_t n_vec, int which, std::uint32_t seed) {
  for (std::size_t v = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; v < n_vec;
       v += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::uint64_t i = v * 4;
    buf[v] = make_uint4(pattern(which, i, seed), pattern(which, i + 1, seed), pattern(which, i + 2, seed),
                        pattern(which, i + 3, seed));
  }
}

__global__ void verify_kernel(const uint4* buf, std::size_t n_vec, int which, std::uint32_t seed,
                              unsigned long long* errors, unsigned* n_bad, unsigned long long* bad) {
  // Atomics stay bounded however bad the memory is. The count is per thread in 64 bits and added
  // once per thread at the end (at most grid × block atomics; cannot wrap). An offset slot is
  // claimed only while slots look free, and a thread whose claim lands past the end stops trying:
  // at most kMaxBad + one atomic per thread on n_bad, instead of one per bad word serialized on a
  // single address (billions on a bad 141 GB GPU: long enough to outlast the check's bound and be
  // reported as a hang instead of memory_errors, and enough to wrap a 32-bit counter).
  unsigned long long local = 0;
  bool slots_full = false;
  for (std::size_t v = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; v < n_vec;
       v += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const uint4 got = buf[v];
    const std::uint32_t w[4] = {got.x, got.y, got.z, got.w};
    for (int k = 0; k < 4; ++k) {
      const std::uint64_t i = v * 4 + k;
      if (w[k] != pattern(which, i, seed)) {
        ++local;
        if (!slots_full) {
          if (*static_cast<volatile unsigned*>(n_bad) >= static_cast<unsigned>(kMaxBad)) {
            slots_full = true;
          } else {
            const unsigned slot = atomicAdd(n_bad, 1u);
            if (slot < static_cast<unsigned>(kMaxBad)) bad[slot] = i * 4;
            else slots_full = true;
          }
        }
      }
    }
  }
  if (local) atomicAdd(errors, local);
}

// Runs `body`, whose CUDA calls throw (GPUPROBE_CUDA_CALL, the owners of gpu/device.hpp), and
// returns what it threw as the code this file's callers map to diagnoses: 0 on success, the failed
// call's cudaError_t, cudaErrorMemoryAllocation when memory could not be had. The owners have freed
// everything by then.
template <class F>
int code_of(F&& body) {
  try {
    body();
    return cudaSuccess;
  } catch (const CudaError& e) {
    return e.code;
  } catch (const AllocationFailed&) {
    return cudaErrorMemoryAllocation;
  }
}

int grid_for(int device, std::size_t work, int block) {
  int sms = 1;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  const std::size_t want = (work + block - 1) / block;
  const std::size_t cap = static_cast<std::size_t>(sms) * 8;
  return static_cast<int>(want < cap ? (want ? want : 1) : cap);
}

}  // namespace

std::uint32_t mix32(std::uint32_t i, std::uint32_t seed) { return mix32_impl(i, seed); }

int launch_trivial(int device, bool* marker_ok) {
  unsigned h = 0;
  const int e = code_of([&] {
    GPUPROBE_CUDA_CALL(cudaSetDevice(device));
    DeviceBuffer d(sizeof(unsigned));
    GPUPROBE_CUDA_CALL(cudaMemset(d.get(), 0, sizeof(unsigned)));
    trivial_kernel<<<1, 1>>>(d.as<unsigned>());
    GPUPROBE_CUDA_CALL(cudaGetLastError());
    GPUPROBE_CUDA_CALL(cudaDeviceSynchronize());
    GPUPROBE_CUDA_CALL(cudaMemcpy(&h, d.get(), sizeof h, cudaMemcpyDeviceToHost));
  });
  *marker_ok = (e == cudaSuccess && h == kMarker);
  return e;
}

int run_compute_kernel(int device, const std::vector<float>& x, float a, float b, std::uint32_t seed,
                       std::vector<float>& y, std::vector<std::uint32_t>& h) {
  return code_of([&] {
    GPUPROBE_CUDA_CALL(cudaSetDevice(device));
    const std::size_t n = x.size();
    Stream st;
    DeviceBuffer dx(n * sizeof(float)), dy(n * sizeof(float)), dh(n * sizeof(std::uint32_t));
    // Poison the outputs so an element the kernel skipped cannot pass.
    GPUPROBE_CUDA_CALL(cudaMemsetAsync(dy.get(), 0xff, n * sizeof(float), st.get()));
    GPUPROBE_CUDA_CALL(cudaMemsetAsync(dh.get(), 0xa5, n * sizeof(std::uint32_t), st.get()));
    GPUPROBE_CUDA_CALL(cudaMemcpyAsync(dx.get(), x.data(), n * sizeof(float), cudaMemcpyHostToDevice, st.get()));
    const int block = 256;
    compute_kernel<<<grid_for(device, n, block), block, 0, st.get()>>>(dx.as<float>(), a, b, seed, dy.as<float>(),
                                                                        dh.as<std::uint32_t>(), n);
    GPUPROBE_CUDA_CALL(cudaGetLastError());
    y.assign(n, 0.0f);
    h.assign(n, 0u);
    GPUPROBE_CUDA_CALL(cudaMemcpyAsync(y.data(), dy.get(), n * sizeof(float), cudaMemcpyDeviceToHost, st.get()));
    GPUPROBE_CUDA_CALL(cudaMemcpyAsync(h.data(), dh.get(), n * sizeof(std::uint32_t), cudaMemcpyDeviceToHost, st.get()));
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(st.get()));
  });
}

int memtest(int device, std::size_t bytes, std::uint32_t seed, MemtestResult& out) {
  out = MemtestResult{};
  int test_error = cudaSuccess;  // of the pattern passes; what they measured is kept either way
  const int setup_error = code_of([&] {
    GPUPROBE_CUDA_CALL(cudaSetDevice(device));
    bytes &= ~static_cast<std::size_t>(15);  // whole uint4s
    if (bytes == 0) throw CudaError(cudaErrorInvalidValue, "memtest of less than 16 bytes", __FILE__, __LINE__);
    DeviceBuffer buf(bytes);  // out of memory comes back as cudaErrorMemoryAllocation: the caller retries smaller
    Stream st;
    DeviceBuffer errors((1 + kMaxBad) * sizeof(unsigned long long));  // [0] error count, [1..16] bad offsets
    DeviceBuffer n_bad(sizeof(unsigned));
    // The verify pass must read what device memory holds, not what L2 still holds from the fill.
    // Verifying in reverse order would be wrong: the fill's tail, written last, is what L2 holds, and
    // a reversed pass reads it first. Fill and verify in the same direction already put the rest of
    // the buffer's traffic between each word's write and its read, but L2's replacement policy is
    // undocumented (it may keep dirty lines over clean ones) and a small buffer fits in L2 outright.
    // So between the two, write a scratch buffer of twice the L2 size (cudaMemsetAsync, as nvbench
    // does): about 2 x 50 MB of writes per pattern on an H200, microseconds on HBM. The dirty lines it
    // leaves only cost the verify pass time, which is not measured here (bench, which times the next
    // kernel, flushes with a read sweep instead).
    // If there is no room for it the test runs without, and says so (l2_flushed).
    DeviceBuffer scratch;
    int l2 = 0;
    std::size_t scratch_bytes = 0;
    if (cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device) == cudaSuccess && l2 > 0) {
      scratch_bytes = 2 * static_cast<std::size_t>(l2);
      try {
        scratch = DeviceBuffer(scratch_bytes);
      } catch (const AllocationFailed&) {  // the error is cleared already
      } catch (const CudaError&) {
        (void)cudaGetLastError();
      }
    }
    out.l2_flushed = scratch.get() != nullptr;
    const std::size_t n_vec = bytes / 16;
    const int block = 256;
    const int grid = grid_for(device, n_vec, block);
    auto* counts = errors.as<unsigned long long>();
    const auto t0 = std::chrono::steady_clock::now();
    unsigned long long total = 0;
    test_error = code_of([&] {
      for (int p = 0; p < 4; ++p) {
        GPUPROBE_CUDA_CALL(cudaMemsetAsync(counts, 0, errors.bytes(), st.get()));
        GPUPROBE_CUDA_CALL(cudaMemsetAsync(n_bad.get(), 0, sizeof(unsigned), st.get()));
        fill_kernel<<<grid, block, 0, st.get()>>>(buf.as<uint4>(), n_vec, p, seed);
        if (scratch.get()) GPUPROBE_CUDA_CALL(cudaMemsetAsync(scratch.get(), p, scratch_bytes, st.get()));
        verify_kernel<<<grid, block, 0, st.get()>>>(buf.as<uint4>(), n_vec, p, seed, counts, n_bad.as<unsigned>(),
                                                    counts + 1);
        GPUPROBE_CUDA_CALL(cudaGetLastError());
        unsigned long long h[1 + kMaxBad] = {};
        unsigned nb = 0;
        GPUPROBE_CUDA_CALL(cudaMemcpyAsync(h, counts, sizeof h, cudaMemcpyDeviceToHost, st.get()));
        GPUPROBE_CUDA_CALL(cudaMemcpyAsync(&nb, n_bad.get(), sizeof nb, cudaMemcpyDeviceToHost, st.get()));
        GPUPROBE_CUDA_CALL(cudaStreamSynchronize(st.get()));
        out.errors_by_pattern.push_back(h[0]);
        total += h[0];
        for (unsigned k = 0; k < nb && k < static_cast<unsigned>(kMaxBad) && out.first_bad.size() < kMaxBad; ++k)
          out.first_bad.push_back(h[1 + k]);
      }
    });
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.errors = total;
    out.bytes_tested = bytes;
  });
  return setup_error != cudaSuccess ? setup_error : test_error;
}

}  // namespace gpuprobe::dev
