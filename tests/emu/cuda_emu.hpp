// cuda_emu: runs CUDA C++ kernel sources on the CPU, for the emulation tests (label emu).
//
// The kernels of kernels/src (fill.cu, matmul_simt.cu, matmul_tensorcore.cu, conv.cu, memory.cu)
// are compiled unchanged as C++ after this header, except that tests/emu/prepare_source.cmake
// rewrites every launch `kernel<<<grid, block, shared, stream>>>(args)` into
// `CUDA_EMU_LAUNCH((grid, block, shared, stream), kernel)(args)` and every dynamic shared array
// `extern __shared__ [__align__(N)] T name[];` into a pointer to the block's dynamic shared memory
// (same lines, so diagnostics and sanitizer reports point at the .cu). matmul_tensorcore.cu gets
// its PTX instructions from tests/emu/tc_ptx.cuh instead of kernels/src/tc_ptx.cuh (found first
// on the include path): the same wrappers over this emulator's cuda_emu::cp_async, ldmatrix_x4,
// mma_m16n8k16 (end of this file); likewise tests/emu/wgmma_ptx.cuh for kernels/src/wgmma_ptx.cuh
// (wgmma, fence.proxy.async).
//
// What is emulated
//  * Launches: grid and block up to 3-D with CUDA's limits (an invalid configuration sets
//    cudaErrorInvalidConfiguration for cudaGetLastError and runs nothing); arguments are copied once
//    at the launch. Launches are synchronous: every stream is in order and always idle.
//  * Threads: block 0 of every grid runs one std::thread per CUDA thread. If any of them calls
//    __syncthreads(), __syncwarp(), a __shfl_*_sync() or a warp-wide PTX instruction, the other
//    blocks run the same way, one block after the other (each block's threads concurrently, so
//    ThreadSanitizer sees their races); otherwise the kernel cannot communicate between threads
//    and the remaining blocks run one thread after the other on the launching thread (fast: fill
//    kernels have millions of threads). A kernel that synchronizes in later blocks only stops with
//    a message.
//  * __syncthreads(): a barrier over the block. Reached by some threads while others of the block
//    have returned (or reached a different number of times) stops with a message instead of
//    hanging. Warps: 32 consecutive linear thread ids (x fastest); __syncwarp and
//    __shfl_sync / _up / _down / _xor (any type of up to 8 bytes, any width) with the full mask of
//    the warp only, and only while none of its lanes has returned.
//  * __shared__: a function-local static, one per kernel (template instance), reused by the next
//    block; shared arrays keep __align__. threadIdx / blockIdx / blockDim / gridDim / warpSize.
//  * extern __shared__ (dynamic shared memory): fresh for every block, exactly the bytes the
//    launch asks for (AddressSanitizer sees overruns), filled with 0xFF bytes (NaN in every float
//    type), so data read before it is written shows. More than 48 KiB needs the kernel's
//    cudaFuncSetAttribute(cudaFuncAttributeMaxDynamicSharedMemorySize) opt-in, as on a GPU
//    (without it the launch fails with cudaErrorInvalidValue); at most what the CUDA Programming
//    Guide gives for the compute capability (7.5: 64 KiB, 8.0/8.7: 163, 8.6/8.9: 99, 9.0: 227).
//  * PTX instructions (the tensor-core GEMM's): cvta.to.shared (addresses exist for dynamic
//    shared memory only), cp.async with zero-fill, commit_group and wait_group, st.shared.v4,
//    ldmatrix.x4 and mma.sync.m16n8k16 (f16 / bf16 in, f32 accumulate), after the PTX ISA's
//    definitions: fragment layouts, alignment and bounds of every shared and global address. A
//    cp.async lands only when wait_group retires its group (the latest a GPU may), so a missing or
//    miscounted wait reads the poison. Warp-wide instructions need all 32 lanes of a full warp.
//  * wgmma (compute capability 9.0 only, $CUDA_EMU_CC=9.0), after the PTX ISA (9.7.15):
//    wgmma.fence / commit_group / wait_group and mma_async.m64n256k16.f32.{f16,bf16} with both
//    operands K-major in shared memory, all four swizzle modes (none, 32, 64, 128 bytes) decoded
//    from the matrix descriptors by the canonical layouts, the swizzle applied to the shared address
//    bits. All 128 threads of a warpgroup (4 consecutive warps) must execute each with the same
//    operands. As late as a GPU may: mma_async records the operation and fills the thread's
//    accumulators with a NaN poison; wait_group N retires all but the newest N committed groups and
//    only then reads shared memory and computes D (products exact, sums of the 16 k in float in k
//    order, then D added: as mma_m16n8k16), so accumulators read before the wait are NaN and an
//    operand overwritten before the wait is what is multiplied. Stops with a message: no wgmma.fence
//    before the first mma_async; accumulators written while pending, or written after the wait and
//    used by another mma_async with no wgmma.fence between; operations not retired when the thread
//    returns; operand bytes outside dynamic shared memory; a descriptor with base offset != 0 (not
//    emulated) or a swizzle pattern not starting at its 256/512/1024-byte boundary; operand bytes
//    written by st.shared.v4 or a landed cp.async whose writer has not executed fence.proxy.async
//    before the mma_async (checked at the issue: the fence must precede it).
//  * atomicAdd (int, unsigned, unsigned long long, float, double) as std::atomic_ref; float4 and
//    make_float4 (CUDA's own headers); __ldg, __ldcs and the other cache-hinted loads and stores
//    (plain accesses, but a misaligned one stops with a message as it faults on a GPU; a plain
//    misaligned float4 dereference is caught by -fsanitize=alignment, see CMakeLists.txt);
//    __fadd_rn / __fmul_rn / __fmaf_rn (single rounding, no contraction), fmaf, integer min / max,
//    __float_as_uint / __uint_as_float; __nv_bfloat16 / __half and their conversions (CUDA's
//    headers, host side); __launch_bounds__, __forceinline__, __restrict__.
//  * Runtime API (cuda_emu.cpp), host memory standing in for device memory: cudaMalloc (exactly
//    the bytes asked, 256-byte aligned, so AddressSanitizer sees any overrun), cudaFree,
//    cudaMemcpy(Async) and cudaMemset(Async) (device ranges checked against live allocations),
//    streams, cudaStreamSynchronize / cudaDeviceSynchronize (no-ops), cudaGetDeviceCount /
//    cudaGetDevice / cudaSetDevice (one device), cudaDeviceGetAttribute (compute capability 8.6 or
//    $CUDA_EMU_CC; 4 SMs, or $CUDA_EMU_SM_COUNT, so grids sized by SM count stay small; warp size,
//    block and grid limits, 48 KiB shared memory per block, the opt-in maximum above), cudaFuncSetAttribute
//    (dynamic shared memory, carveout), cudaFuncGetAttributes (PTX and binary version = the
//    compute capability), cudaGetLastError / cudaPeekAtLastError, cudaGetErrorName /
//    cudaGetErrorString.
//
// What it cannot show
//  * Timing and scheduling of real warps: lanes are not in lockstep, blocks never run
//    concurrently, so neither warp-synchronous code without __syncwarp nor inter-block
//    communication is exercised; in grids that never synchronize only block 0 runs concurrently.
//  * The GPU memory model: host memory is coherent (x86 ordering), so missing __threadfence or
//    volatile goes unnoticed; static shared memory is not reset between blocks (a read before the
//    first write sees the previous block's data, not garbage); no caches, so cache hints do
//    nothing. A cp.async's source is read when it lands, not when issued.
//  * Performance: bank conflicts, coalescing, occupancy, register spills; __launch_bounds__ is
//    ignored (a block larger than its bound would fail to launch on a GPU, not here).
//  * The PTX wrappers themselves: tests/emu/tc_ptx.cuh and wgmma_ptx.cuh replace their kernels/src
//    namesakes, so an error in the inline asm (operand order, a wrong .row/.col or type qualifier,
//    the wgmma's scale / transpose immediates) shows on a GPU only. The internal summation order
//    and precision of mma and wgmma are not the GPU's (products exact here, sums in float in k
//    order).
//  * wgmma beyond the above: A from registers, MN-major (transposed) operands, other shapes and
//    types, sparse wgmma, a non-zero base offset. Register accesses only partly: a read of the
//    accumulators between wgmma.fence ordering and the next mma_async, or a write between a
//    wgmma.fence and the first mma_async on fresh accumulators, go unnoticed. The async-proxy check
//    sees st.shared.v4 and cp.async only: plain C++ stores to shared memory are not tracked. The
//    shared address of extern __shared__ memory is 0 here, aligned for any __align__ the array asks;
//    a GPU honours the declared alignment, not more (a kernel relying on more is not caught here).
//  * Dynamic parallelism, cooperative groups, textures, other inline PTX, TMA and mbarriers.
//  * Floating point: host float arithmetic is IEEE single like the GPU's, but transcendental
//    functions and -use_fast_math approximations differ (the kernels here use neither).
#pragma once

#include <cuda_bf16.h>     // __nv_bfloat16 (before the keywords below are redefined)
#include <cuda_fp16.h>     // __half
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

// Runs the grid (cuda_emu.cpp); an invalid configuration only records the launch error. `kernel`
// identifies the kernel function for its attributes (cudaFuncSetAttribute).
void run_grid(const LaunchConfig& config, const void* kernel, ThreadBody body);

// What a kernel name or kernel function pointer in a launch identifies. (Tag only makes a call
// dependent, so that CUDA_EMU_LAUNCH can ask whether it resolves: a function template whose
// arguments are deduced from the launch's arguments does not, and has no identity here.)
template <class Tag, class R, class... A>
const void* kernel_key(R (*kernel)(A...)) {
  return reinterpret_cast<const void*>(kernel);
}

// The running block's dynamic shared memory (extern __shared__), which prepare_source.cmake
// turns into a pointer: `extern __shared__ __align__(N) T name[];` becomes
// `T* const name = ::cuda_emu::detail::dynamic_shared<T>(N);`.
void* dynamic_shared_base(std::size_t alignment);
template <class T>
T* dynamic_shared(std::size_t alignment = 0) {
  return static_cast<T*>(dynamic_shared_base(alignment > alignof(T) ? alignment : alignof(T)));
}

// Block-level and warp-level synchronization of the calling emulated thread (cuda_emu.cpp).
void syncthreads();
void syncwarp(unsigned mask);
// Publishes `bits` for the warp and returns those of lane `src_lane` (its own when out of range).
std::uint64_t warp_exchange(unsigned mask, std::uint64_t bits, unsigned src_lane);
unsigned lane_id();
bool device_memory(const void* p, std::size_t n);  // [p, p + n) inside one live cudaMalloc allocation
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
  Launch(const LaunchConfig& config, const void* key, Kernel kernel) : config_(config), key_(key), kernel_(kernel) {}
  template <class... Args>
  void operator()(Args&&... args) const {
    const std::tuple<std::decay_t<Args>...> params(std::forward<Args>(args)...);
    auto thread = [&] { std::apply(kernel_, params); };
    run_grid(config_, key_, ThreadBody(thread));
  }

 private:
  LaunchConfig config_;
  const void* key_;
  Kernel kernel_;
};

}  // namespace detail
}  // namespace cuda_emu

// What prepare_source.cmake writes for `KERNEL<<<CONFIG>>>`; the argument list follows it.
#define CUDA_EMU_LAUNCH(CONFIG, ...)                                                         \
  ::cuda_emu::detail::Launch(                                                                \
      ::cuda_emu::LaunchConfig CONFIG,                                                       \
      [&](auto cuda_emu_tag_) -> const void* {                                               \
        if constexpr (requires {                                                             \
                        ::cuda_emu::detail::kernel_key<decltype(cuda_emu_tag_)>(__VA_ARGS__); \
                      })                                                                     \
          return ::cuda_emu::detail::kernel_key<decltype(cuda_emu_tag_)>(__VA_ARGS__);       \
        else                                                                                 \
          return nullptr;                                                                    \
      }(0),                                                                                  \
      [&](const auto&... cuda_emu_args_) { __VA_ARGS__(cuda_emu_args_...); })

// ---- The runtime's C++ overloads that take a kernel (cuda_runtime.h has them for nvcc only) -------
template <class T>
cudaError_t cudaFuncSetAttribute(T* entry, cudaFuncAttribute attr, int value) {
  return ::cudaFuncSetAttribute(reinterpret_cast<const void*>(entry), attr, value);
}
template <class T>
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* attr, T* entry) {
  return ::cudaFuncGetAttributes(attr, reinterpret_cast<const void*>(entry));
}

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

// ---- PTX instructions of the tensor-core GEMM (tests/emu/tc_ptx.cuh wraps them) -----------------
// Implemented after the PTX ISA's definitions (cuda_emu.cpp). Shared-state-space addresses exist
// for the block's dynamic shared memory only: address = offset into it. Every access through them
// is checked against its size and the instruction's alignment.
namespace cuda_emu {

// cvta.to.shared: the shared address of a pointer into the block's dynamic shared memory.
std::uint32_t shared_address(const void* p);

// cp.async.{ca,cg}.shared.global [dst], [src], cp_size, src_bytes: copies src_bytes (<= cp_size)
// bytes from global memory (which must lie in a cudaMalloc allocation) and zero-fills the rest of
// cp_size. Deferred as on a GPU, and as late as a GPU may: nothing lands in shared memory until
// cp_async_wait retires the copy's group; copies never committed to a group never land.
void cp_async(std::uint32_t dst, const void* src, int cp_size, int src_bytes);
void cp_async_commit();        // cp.async.commit_group
void cp_async_wait(int n);     // cp.async.wait_group n: all but the newest n groups have landed

// st.shared.v4.b32
void st_shared_v4(std::uint32_t dst, std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d);

// ldmatrix.sync.aligned.m8n8.x4.shared.b16, by the whole warp (32 lanes, all active).
void ldmatrix_x4(std::uint32_t (&r)[4], std::uint32_t address);

// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32 with d as C and D, by the whole
// warp. Products and sums in float, in k order (a GPU's internal order and precision are not
// specified beyond FP32 accumulation; tests allow for that).
enum class MmaInput { f16, bf16 };
void mma_m16n8k16(MmaInput type, float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]);

// ---- Hopper: wgmma and the async proxy (tests/emu/wgmma_ptx.cuh wraps them) ----------------------
// Each needs compute capability 9.0 (wgmma: sm_90a; fence.proxy.async: sm_90 or newer).

// fence.proxy.async.shared::cta: this thread's earlier st.shared.v4 and landed cp.async become
// visible to the async proxy (wgmma's operand reads).
void fence_proxy_async();

// wgmma.fence / commit_group / wait_group N (.sync.aligned): all 128 threads of a warpgroup (four
// consecutive warps, the first a multiple of 4) execute the same one. wait_group N retires all but
// the newest N committed wgmma-groups of this thread: only then are their products computed.
void wgmma_fence();
void wgmma_commit();
void wgmma_wait(int n);

// wgmma.mma_async.sync.aligned.m64n256k16.f32.{f16,bf16}.{f16,bf16} with A and B K-major in shared
// memory (descriptors; no transpose, scale-a = scale-b = 1), d the thread's 128 accumulators,
// accumulate as scale-d. Until wgmma_wait retires it, d holds a NaN poison that must not be written.
void wgmma_m64n256k16(MmaInput type, float (&d)[128], std::uint64_t desc_a, std::uint64_t desc_b, bool accumulate);

// For the emulator's own tests: the emulated device's compute capability from the next launch on
// (what $CUDA_EMU_CC sets at start-up). Host code only, between launches.
void set_compute_capability(int major, int minor);

}  // namespace cuda_emu
