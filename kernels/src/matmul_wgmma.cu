// Hopper tensor-core GEMM with wgmma: FP16 or BF16 in, FP32 accumulation, output in the input
// type, "TN" layout like tc_gemm (C[i + j*m] = sum_p A[p + i*k] * B[p + j*k]). wgmma.mma_async
// lets a warpgroup (4 warps) multiply 64 x 256 x 16 with both operands read straight from shared
// memory, asynchronously: no ldmatrix, no register fragments of A and B, and the next stage's
// loads overlap the tensor cores. mma.sync (matmul_tensorcore.cu) reaches only part of an H100's
// or H200's tensor-core rate; this kernel is the one meant to approach cuBLAS there.
//
// wgmma exists on compute capability 9.0 only and only in code compiled for the arch-specific
// target sm_90a, so this file is built for "90a-real" alone (kernels/CMakeLists.txt, option
// GPUPROBE_WGMMA); the launcher refuses every other device, and builds without sm_90a code.
//
// Deliberately simple for a Hopper kernel: operands come in with cp.async (not TMA), every warp
// both loads and computes (no producer/consumer warp specialization, no mbarriers, no thread-block
// clusters). The layouts, descriptors and fragment math live in
// gpuprobe/kernels/detail/wgmma_layout.hpp (unit-tested on the CPU); the instructions are wrapped
// in wgmma_ptx.cuh and tc_ptx.cuh, and tests/emu runs this file unchanged on the CPU with
// emulated instructions.
//
// The loaders are matmul_tensorcore.cu's (tc_tile_load.cuh): fast (k % 8 == 0, A and B 16-byte
// aligned) moves each 16-byte chunk with one cp.async, zero-filling chunks outside the matrix;
// general loads each element on its own, bounds-checked, and stores the chunk with st.shared.v4.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <climits>
#include <cstddef>
#include <cstdint>

#include "device_info.hpp"
#include "gpuprobe/kernels/detail/wgmma_layout.hpp"
#include "gpuprobe/kernels/matmul.hpp"
#include "tc_ptx.cuh"     // cp.async, st.shared.v4, shared_address
#include "tc_tile_load.cuh"  // load_tile (after tc_ptx.cuh)
#include "wgmma_ptx.cuh"  // wgmma, its fences, GPUPROBE_WGMMA_PTX

namespace gpuprobe::kernels {
namespace {

#if GPUPROBE_WGMMA_PTX
using namespace tc_ptx;
using namespace wgmma_ptx;
using tile::from_float;
#endif  // GPUPROBE_WGMMA_PTX

// One block computes a kBlockM x kBlockN tile of C; wgmma_layout.hpp describes the hierarchy.
// vec_c: m % 8 == 0 and C 16-byte aligned, so every 8-row chunk of a column of C is one aligned
// 16-byte store.
template <class T, bool kFast>
__global__ void __launch_bounds__(wg::kThreads, 1)
    wgmma_gemm_kernel(int m, int n, int k, const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C,
                      bool vec_c) {
#if GPUPROBE_WGMMA_PTX
  // 1024-byte aligned (the swizzle pattern's period): the driver honours the .align of the extern
  // shared array, as DeepGEMM relies on too (a misaligned base would fail verification, not crash).
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  const std::uint32_t smem = shared_address(smem_raw);

  const tc::BlockPlace place = tc::place_block(static_cast<int>(blockIdx.x), m, n, wg::kBlockM, wg::kBlockN);
  const int m0 = place.m0, n0 = place.n0;
  const int rows_a = place.rows, rows_b = place.cols;  // rows of this block's A and B tiles that exist
  const T* A_blk = A + static_cast<std::size_t>(m0) * k;
  const T* B_blk = B + static_cast<std::size_t>(n0) * k;

  const int tid = static_cast<int>(threadIdx.x);
  const int group = tid >> 7;  // warpgroup
  const int t = tid & 127;     // thread within the warpgroup
  const int ktiles = tc::ceil_div(k, wg::kBlockK);

  auto load_stage = [&](int stage, int kt) {
    const int k0 = kt * wg::kBlockK;
    const std::uint32_t base = smem + static_cast<std::uint32_t>(stage * wg::kStageBytes);
    tile::load_tile<wg::LoadLayout, T, kFast, wg::kALoads>(base, A_blk, rows_a, k, k0, k - k0, tid);
    tile::load_tile<wg::LoadLayout, T, kFast, wg::kBLoads>(base + wg::kATileBytes, B_blk, rows_b, k, k0, k - k0,
                                                           tid);
  };

  float acc[wg::kAccRegs];
#pragma unroll
  for (int i = 0; i < wg::kAccRegs; ++i) acc[i] = 0.0f;

  // Prologue: K steps 0 .. kStages-3 in flight, one cp.async group per K step (empty ones too, so
  // that group g is K step g).
#pragma unroll
  for (int s = 0; s < wg::kStages - 2; ++s) {
    if (s < ktiles) load_stage(s, s);
    if constexpr (kFast) cp_async_commit();
  }

  for (int kt = 0; kt < ktiles; ++kt) {
    // cp.async groups committed so far: kStages-2+kt; leaving kStages-3 in flight means K step kt
    // has landed (this thread's part). The proxy fence makes this thread's writes of it (landed
    // cp.async, or st.shared of the general loader) visible to wgmma, and the barrier makes all
    // threads' parts visible. The barrier also orders this iteration's loads after every
    // warpgroup's wgmma_wait<1> of the previous iteration, which retired the batch of step kt-2:
    // the stage loaded below ((kt+2) % 4 == (kt-2) % 4) is read by no pending wgmma. Pending at any
    // time: the batch of step kt-1 (stage (kt-1) % 4), this step's (kt % 4) and the loads of kt+1
    // and kt+2: four different stages.
    if constexpr (kFast) cp_async_wait<wg::kStages - 3>();
    fence_proxy_async();
    __syncthreads();

    // This step's products first, so that the tensor cores start before the loads are issued (the
    // general loader's loads wait for global memory).
    const std::uint32_t stage = smem + static_cast<std::uint32_t>((kt % wg::kStages) * wg::kStageBytes);
    fence_operand(acc);
    wgmma_fence();
#pragma unroll
    for (int s = 0; s < wg::kKSteps; ++s)
      wgmma_m64n256k16<T>(acc, wg::make_desc(wg::a_operand(stage, group, s)), wg::make_desc(wg::b_operand(stage, s)),
                          true);
    wgmma_commit();

    const int next = kt + wg::kStages - 2;
    if (next < ktiles) load_stage(next % wg::kStages, next);
    if constexpr (kFast) cp_async_commit();

    wgmma_wait<1>();  // the batch of step kt-1 has retired; this one may still run
    fence_operand(acc);
  }
  wgmma_wait<0>();
  fence_operand(acc);
  if constexpr (kFast) cp_async_wait<0>();  // only empty groups can remain; leave none behind
  __syncthreads();  // every warpgroup is done with the stages: the staging tile reuses them

  // Epilogue: accumulators -> column-major staging tile (rounded to T) -> coalesced stores.
  T* const staging = reinterpret_cast<T*>(smem_raw);
#pragma unroll
  for (int i = 0; i < wg::kAccRegs; ++i)
    staging[wg::staging_offset(wg::acc_row(group, t, i), wg::acc_col(t, i))] = from_float<T>(acc[i]);
  __syncthreads();

  T* const C_blk = C + m0 + static_cast<std::size_t>(n0) * m;
#pragma unroll 4
  for (int i = 0; i < wg::kCStores; ++i) {
    const int col = wg::store_col(tid, i);
    const int r0 = wg::store_chunk(tid, i) * wg::kChunkElems;
    if (col >= rows_b || r0 >= rows_a) continue;
    const T* s = staging + wg::staging_offset(r0, col);
    T* d = C_blk + static_cast<std::size_t>(col) * m + r0;
    if (vec_c) {  // m % 8 == 0, and m0 and r0 are multiples of 8: all 8 rows exist
      *reinterpret_cast<uint4*>(d) = *reinterpret_cast<const uint4*>(s);
    } else {
      for (int e = 0; e < wg::kChunkElems && r0 + e < rows_a; ++e) d[e] = s[e];
    }
  }
#else
  // Not compiled for sm_90a: never launched (the launcher checks the device and the binary).
  (void)m, (void)n, (void)k, (void)A, (void)B, (void)C, (void)vec_c;
#endif
}

// ---- Launcher ------------------------------------------------------------------------------------

#if defined(GPUPROBE_WGMMA_BUILT)
constexpr bool kBuilt = true;  // this file was compiled for sm_90a (kernels/CMakeLists.txt)
#else
constexpr bool kBuilt = false;
#endif

// Per device: 1 usable, 2 not compute capability 9.0, 3 no sm_90a code loads on it.
detail::DeviceVerdicts g_device_state;

cudaError_t device_state(int* state) {
  return g_device_state.get(state, [](int /*dev*/, int major, int minor, int* s) {
    *s = 1;
    if (!wgmma_gemm_supported(major, minor)) {
      *s = 2;
      return cudaSuccess;
    }
    // The kernel's binary must be sm_90a's (binaryVersion 90); failing to find an image for this
    // device means the same: nothing of ours can run here.
    const void* kernels[] = {reinterpret_cast<const void*>(wgmma_gemm_kernel<__half, true>),
                             reinterpret_cast<const void*>(wgmma_gemm_kernel<__half, false>),
                             reinterpret_cast<const void*>(wgmma_gemm_kernel<__nv_bfloat16, true>),
                             reinterpret_cast<const void*>(wgmma_gemm_kernel<__nv_bfloat16, false>)};
    for (const void* kernel : kernels) {
      cudaFuncAttributes attr{};
      const cudaError_t e = cudaFuncGetAttributes(&attr, kernel);
      if (e == cudaErrorNoKernelImageForDevice || e == cudaErrorInvalidDeviceFunction) {
        (void)cudaGetLastError();
        *s = 3;
      } else if (e != cudaSuccess) {
        return e;
      } else if (attr.binaryVersion != 90) {
        *s = 3;
      }
    }
    return cudaSuccess;
  });
}

template <class T, bool kFast>
cudaError_t launch(int blocks, int m, int n, int k, const void* A, const void* B, void* C, bool vec_c,
                   cudaStream_t stream) {
  const auto kernel = wgmma_gemm_kernel<T, kFast>;
  // 192 KiB of dynamic shared memory needs the opt-in; set on every call (cheap, and it survives a
  // cudaDeviceReset that would invalidate a cached "already set").
  const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, wg::kSmemBytes);
  if (e != cudaSuccess) return e;
  kernel<<<blocks, wg::kThreads, wg::kSmemBytes, stream>>>(m, n, k, static_cast<const T*>(A), static_cast<const T*>(B),
                                                           static_cast<T*>(C), vec_c);
  return cudaGetLastError();
}

}  // namespace

bool wgmma_gemm_built() { return kBuilt; }

bool wgmma_gemm_supported(int cc_major, int cc_minor) { return cc_major == 9 && cc_minor == 0; }

cudaError_t wgmma_gemm(Half type, int m, int n, int k, const void* A, const void* B, void* C, cudaStream_t stream) {
  if (m < 1 || n < 1 || k < 1 || A == nullptr || B == nullptr || C == nullptr) return cudaErrorInvalidValue;
  if (type != Half::fp16 && type != Half::bf16) return cudaErrorInvalidValue;
  const long long blocks =
      static_cast<long long>(tc::ceil_div(m, wg::kBlockM)) * static_cast<long long>(tc::ceil_div(n, wg::kBlockN));
  if (blocks > INT_MAX) return cudaErrorInvalidValue;

  int state = 0;
  const cudaError_t e = device_state(&state);
  if (e != cudaSuccess) return e;
  if (state == 2) return cudaErrorInvalidDevice;
  if (state == 3 || !kBuilt) return cudaErrorNoKernelImageForDevice;

  const bool fast = k % wg::kChunkElems == 0 && detail::aligned16(A) && detail::aligned16(B);
  const bool vec_c = m % wg::kChunkElems == 0 && detail::aligned16(C);
  const int nb = static_cast<int>(blocks);
  if (type == Half::bf16)
    return fast ? launch<__nv_bfloat16, true>(nb, m, n, k, A, B, C, vec_c, stream)
                : launch<__nv_bfloat16, false>(nb, m, n, k, A, B, C, vec_c, stream);
  return fast ? launch<__half, true>(nb, m, n, k, A, B, C, vec_c, stream)
              : launch<__half, false>(nb, m, n, k, A, B, C, vec_c, stream);
}

}  // namespace gpuprobe::kernels
