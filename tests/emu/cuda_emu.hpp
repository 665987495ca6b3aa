// cuda_emu: runs CUDA C++ kernel sources on the CPU, for the emulation tests (label emu).
//
// The kernels of kernels/src (fill.cu, matmul_simt.cu, conv.cu, memory.cu) are compiled unchanged
// as C++ after this header, except that tests/emu/prepare_source.cmake rewrites every launch
// `kernel<<<grid, block, shared, stream>>>(args)` into `CUDA_EMU_LAUNCH((grid, block, shared,
// stream), kernel)(args)` (same line, so diagnostics and sanitizer reports point at the .cu).
//
// What is emulated
//  * Launches: grid and block up to 3-D with CUDA's limits (an invalid configuration sets
//    cudaErrorInvalidConfiguration for cudaGetLastError and runs nothing); arguments are copied once
//    at the launch. Launches are synchronous: every stream is in order and always idle.
//  * Threads: block 0 of every grid runs one std::thread per CUDA thread. If any of them calls
//    __syncthreads(), __syncwarp() or a __shfl_*_sync(), the other blocks run the same way, one
//    block after the other (each block's threads concurrently, so ThreadSanitizer sees their
//    races); otherwise the kernel cannot communicate between threads and the remaining blocks run
//    one thread after the other on the launching thread (fast: fill kernels have millions of
//    threads). A kernel that synchronizes in later blocks only stops with a message.
//  * __syncthreads(): a barrier over the block. Reached by some threads while others of the block
//    have returned (or reached a different number of times) stops with a message instead of
//    hanging. Warps: 32 consecutive linear thread ids (x fastest); __syncwarp and
//    __shfl_sync / _up / _down / _xor (any type of up to 8 bytes, any width) with the full mask of
//    the warp only, and only while none of its lanes has returned.
//  * __shared__: a function-local static, one per kernel (template instance), reused by the next
//    block; shared arrays keep __align__. threadIdx / blockIdx / blockDim / gridDim / warpSize.
//  * atomicAdd (int, unsigned, unsigned long long, float, double) as std::atomic_ref; float4 and
//    make_float4 (CUDA's own headers); __ldg, __ldcs and the other cache-hinted loads and stores
//    (plain accesses, but a misaligned one stops with a message as it faults on a GPU; a plain
//    misaligned float4 dereference is caught by -fsanitize=alignment, see CMakeLists.txt);
//    __fadd_rn / __fmul_rn / __fmaf_rn (single rounding, no contraction), fmaf, integer min / max,
//    __float_as_uint / __uint_as_float; __launch_bounds__, __forceinline__, __restrict__.
//  * Runtime API (cuda_emu.cpp), host memory standing in for device memory: cudaMalloc (exactly
//    the bytes asked, 256-byte aligned, so AddressSanitizer sees any overrun), cudaFree,
//    cudaMemcpy(Async) and cudaMemset(Async) (device ranges checked against live allocations),
//    streams, cudaStreamSynchronize / cudaDeviceSynchronize (no-ops), cudaGetDeviceCount /
//    cudaGetDevice / cudaSetDevice (one device), cudaDeviceGetAttribute (4 SMs, or
//    $CUDA_EMU_SM_COUNT, so grids sized by SM count stay small; warp size, block and grid limits,
//    48 KiB shared memory per block), cudaGetLastError / cudaPeekAtLastError,
//    cudaGetErrorName / cudaGetErrorString.
//
// What it cannot show
//  * Timing and scheduling of real warps: lanes are not in lockstep, blocks never run
//    concurrently, so neither warp-synchronous code without __syncwarp nor inter-block
//    communication is exercised; in grids that never synchronize only block 0 runs concurrently.
//  * The GPU memory model: host memory is coherent (x86 ordering), so missing __threadfence or
//    volatile goes unnoticed; shared memory is not reset between blocks (a read before the first
//    write sees the previous block's data, not garbage); no caches, so cache hints do nothing.
//  * Performance: bank conflicts, coalescing, occupancy, register spills; __launch_bounds__ is
//    ignored (a block larger than its bound would fail to launch on a GPU, not here).
//  * Dynamic shared memory (a launch asking for it stops), dynamic parallelism, cooperative
//    groups, textures, half-precision types, tensor cores and inline PTX (asm): so
//    kernels/src/matmul_tensorcore.cu (mma.sync, ldmatrix, cp.async) is NOT covered; its index
//    math is covered by tests/unit/test_tc_layout.cpp, the kernel itself by the GPU tests only.
//  * Floating point: host float arithmetic is IEEE single like the GPU's, but transcendental
//    functions and -use_fast_math approximations differ (the kernels here use neither).
#pragma once

#include <cuda_runtime.h>  // dim3, uint3, float4, make_float4, cudaError_t, the API declarations

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- CUDA keywords: device code is host code here ---------------------------------------------
#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __forceinline__
#undef __launch_bounds__
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __forceinline__ inline
#define __launch_bounds__(...)

// ---- Built-in variables, set by the launcher for each emulated thread -------------------------
inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim{1, 1, 1};
inline thread_local dim3 gridDim{1, 1, 1};
inline constexpr int warpSize = 32;

namespace cuda_emu {

// What <<<grid, block, shared, stream>>> says.
struct LaunchConfig {
  LaunchConfig(dim3 g, dim3 b, std::size_t shared = 0, cudaStream_t s = nullptr)
      : grid(g), block(b), shared_bytes(shared), stream(s) {}
  dim3 grid, block;
  std::size_t shared_bytes;
  cudaStream_t stream;
};

namespace detail {

// A non-owning reference to what every emulated thread runs.
class ThreadBody {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cv_t<F>, ThreadBody>)  // copies stay copies
  explicit ThreadBody(F& f) : obj_(&f), call_([](void* o) { (*static_cast<F*>(o))(); }) {}
  void operator()() const { call_(obj_); }

 private:
  void* obj_;
  void (*call_)(void*);
};

// Runs the grid (cuda_emu.cpp); an invalid configuration only records the launch error.
void run_grid(const LaunchConfig& config, ThreadBody body);

// Block-level and warp-level synchronization of the calling emulated thread (cuda_emu.cpp).
void syncthreads();
void syncwarp(unsigned mask);
// Publishes `bits` for the warp and returns those of lane `src_lane` (its own when out of range).
std::uint64_t warp_exchange(unsigned mask, std::uint64_t bits, unsigned src_lane);
unsigned lane_id();
[[noreturn]] void misaligned(const char* what, const void* p, std::size_t alignment);

template <class T>
inline void check_aligned(const T* p, const char* what) {
  if (reinterpret_cast<std::uintptr_t>(p) % alignof(T) != 0) misaligned(what, p, alignof(T));
}

template <class T>
T shuffle(unsigned mask, T var, unsigned src_lane) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "__shfl_*_sync: at most 8 bytes");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof var);
  bits = warp_exchange(mask, bits, src_lane);
  std::memcpy(&var, &bits, sizeof var);
  return var;
}

// `kernel<<<config>>>(args)` becomes Launch{config, kernel}(args): the arguments are copied once,
// as CUDA does, and every thread calls the kernel with those copies.
template <class Kernel>
class Launch {
 public:
  Launch(const LaunchConfig& config, Kernel kernel) : config_(config), kernel_(kernel) {}
  template <class... Args>
  void operator()(Args&&... args) const {
    const std::tuple<std::decay_t<Args>...> params(std::forward<Args>(args)...);
    auto thread = [&] { std::apply(kernel_, params); };
    run_grid(config_, ThreadBody(thread));
  }

 private:
  LaunchConfig config_;
  Kernel kernel_;
};

}  // namespace detail
}  // namespace cuda_emu

// What prepare_source.cmake writes for `KERNEL<<<CONFIG>>>`; the argument list follows it.
#define CUDA_EMU_LAUNCH(CONFIG, ...)                                     \
  ::cuda_emu::detail::Launch(::cuda_emu::LaunchConfig CONFIG,            \
                             [&](const auto&... cuda_emu_args_) { __VA_ARGS__(cuda_emu_args_...); })

// ---- Device functions ---------------------------------------------------------------------------
inline void __syncthreads() { cuda_emu::detail::syncthreads(); }
inline void __syncwarp(unsigned mask = 0xFFFFFFFFu) { cuda_emu::detail::syncwarp(mask); }

template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {
  const unsigned lane = cuda_emu::detail::lane_id(), w = static_cast<unsigned>(width);
  return cuda_emu::detail::shuffle(mask, var, (lane & ~(w - 1)) + (static_cast<unsigned>(src_lane) & (w - 1)));
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  const unsigned lane = cuda_emu::detail::lane_id(), w = static_cast<unsigned>(width);
  return cuda_emu::detail::shuffle(mask, var, (lane & (w - 1)) >= delta ? lane - delta : lane);
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  const unsigned lane = cuda_emu::detail::lane_id(), w = static_cast<unsigned>(width);
  return cuda_emu::detail::shuffle(mask, var, (lane & (w - 1)) + delta < w ? lane + delta : lane);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
  const unsigned lane = cuda_emu::detail::lane_id(), w = static_cast<unsigned>(width);
  const unsigned src = lane ^ static_cast<unsigned>(lane_mask);
  return cuda_emu::detail::shuffle(mask, var, src < (lane & ~(w - 1)) + w ? src : lane);  // no later groups
}

template <class T>
T atomicAdd(T* address, T val) {
  static_assert(std::is_same_v<T, int> || std::is_same_v<T, unsigned> || std::is_same_v<T, unsigned long long> ||
                    std::is_same_v<T, float> || std::is_same_v<T, double>,
                "atomicAdd: a type CUDA has it for");
  return std::atomic_ref<T>(*address).fetch_add(val);
}

// Loads and stores with cache hints: plain accesses, aligned as the GPU requires.
#define CUDA_EMU_LOAD(name)                       \
  template <class T>                              \
  T name(const T* p) {                            \
    cuda_emu::detail::check_aligned(p, #name);    \
    return *p;                                    \
  }
#define CUDA_EMU_STORE(name)                      \
  template <class T>                              \
  void name(T* p, T value) {                      \
    cuda_emu::detail::check_aligned(p, #name);    \
    *p = value;                                   \
  }
CUDA_EMU_LOAD(__ldg)
CUDA_EMU_LOAD(__ldca)
CUDA_EMU_LOAD(__ldcg)
CUDA_EMU_LOAD(__ldcs)
CUDA_EMU_LOAD(__ldlu)
CUDA_EMU_LOAD(__ldcv)
CUDA_EMU_STORE(__stwb)
CUDA_EMU_STORE(__stcg)
CUDA_EMU_STORE(__stcs)
CUDA_EMU_STORE(__stwt)
#undef CUDA_EMU_LOAD
#undef CUDA_EMU_STORE

// Round-to-nearest arithmetic that the compiler may not fuse with anything else.
inline float __fadd_rn(float a, float b) {
  volatile float r = a + b;
  return r;
}
inline float __fmul_rn(float a, float b) {
  volatile float r = a * b;
  return r;
}
inline float __fmaf_rn(float a, float b, float c) { return std::fmaf(a, b, c); }

inline unsigned __float_as_uint(float f) {
  unsigned u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float __uint_as_float(unsigned u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// CUDA's integer min / max overloads (std::min / std::max stay as they are).
inline int min(int a, int b) { return a < b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
