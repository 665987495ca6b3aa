// Tensor-core GEMM, FP16 or BF16 in, FP32 accumulation, output in the input type, "TN" layout
// (both operands K-major, cublasGemmEx with CUBLAS_OP_T, CUBLAS_OP_N): C[i + j*m] = sum_p
// A[p + i*k] * B[p + j*k]. Built on the Ampere-style instructions every GPU with compute capability
// >= 8.0 has: cp.async (global -> shared copies that bypass registers, in a 4-stage ring),
// ldmatrix (shared -> register fragments), mma.sync.m16n8k16 (a warp-wide 16x8x16 product).
// On H100/H200, Hopper's wgmma is faster: matmul_wgmma.cu, same operation and layout.
//
// The tile hierarchy, the shared-memory swizzle and the fragment layouts are described, and their
// index math defined, in gpuprobe/kernels/detail/tc_layout.hpp; tests/unit/test_tc_layout.cpp
// emulates the kernel's data flow through those functions on the CPU. The instructions (inline
// PTX) are wrapped in tc_ptx.cuh; this file holds the loaders, the pipeline, the epilogue and the
// launcher, and tests/emu runs it unchanged on the CPU with emulated instructions.
//
// Two loaders (tc_tile_load.cuh, shared with matmul_wgmma.cu) share one kernel template: fast
// (k % 8 == 0, A and B 16-byte aligned: one cp.async per 16-byte chunk, zero-fill outside) and
// general (anything else: element-wise, bounds-checked loads, one st.shared.v4 per chunk;
// synchronous, so slower, but the pipeline structure is unchanged).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <climits>
#include <cstddef>
#include <cstdint>

#include "device_info.hpp"
#include "gpuprobe/kernels/detail/tc_layout.hpp"
#include "gpuprobe/kernels/matmul.hpp"
#include "tc_ptx.cuh"  // the PTX wrappers, GPUPROBE_TC_PTX
#include "tc_tile_load.cuh"  // load_tile (after tc_ptx.cuh)

namespace gpuprobe::kernels {
namespace {

#if GPUPROBE_TC_PTX
using namespace tc_ptx;  // the instruction wrappers
using tile::from_float;
#endif  // GPUPROBE_TC_PTX

// One block computes a kBlockM x kBlockN tile of C; see tc_layout.hpp for the hierarchy.
template <class T, bool kFast>
__global__ void __launch_bounds__(tc::kThreads, 2)
    tc_gemm_kernel(int m, int n, int k, const T* __restrict__ A, const T* __restrict__ B, T* __restrict__ C) {
#if GPUPROBE_TC_PTX
  extern __shared__ __align__(128) unsigned char smem_raw[];
  const std::uint32_t smem = shared_address(smem_raw);

  const tc::BlockPlace place = tc::place_block(static_cast<int>(blockIdx.x), m, n, tc::kBlockM, tc::kBlockN);
  const int m0 = place.m0, n0 = place.n0;
  const int rows_a = place.rows, rows_b = place.cols;  // rows of this block's A and B tiles that exist
  const T* A_blk = A + static_cast<std::size_t>(m0) * k;
  const T* B_blk = B + static_cast<std::size_t>(n0) * k;

  const int tid = static_cast<int>(threadIdx.x);
  const int warp = tid >> 5;
  const int lane = tid & 31;
  const int wm = tc::warp_m_index(warp);
  const int wn = tc::warp_n_index(warp);
  const int ktiles = tc::ceil_div(k, tc::kBlockK);

  // Stage s: A tile at smem + s * kStageBytes, B tile right after it.
  auto load_stage = [&](int stage, int kt) {
    const int k0 = kt * tc::kBlockK;
    const std::uint32_t base = smem + static_cast<std::uint32_t>(stage * tc::kStageBytes);
    tile::load_tile<tc::LoadLayout, T, kFast, tc::kLoadsPerThread>(base, A_blk, rows_a, k, k0, k - k0, tid);
    tile::load_tile<tc::LoadLayout, T, kFast, tc::kLoadsPerThread>(base + tc::kTileBytes, B_blk, rows_b, k, k0,
                                                                    k - k0, tid);
  };

  float acc[tc::kFragsM][tc::kFragsN][4];
#pragma unroll
  for (int mi = 0; mi < tc::kFragsM; ++mi)
#pragma unroll
    for (int ni = 0; ni < tc::kFragsN; ++ni)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[mi][ni][i] = 0.0f;

  // Prologue: K steps 0 .. kStages-2 in flight. One commit group per K step, empty ones included,
  // so that "group g" always means "K step g" and wait_group can count.
#pragma unroll
  for (int s = 0; s < tc::kStages - 1; ++s) {
    if (s < ktiles) load_stage(s, s);
    if constexpr (kFast) cp_async_commit();
  }

  for (int kt = 0; kt < ktiles; ++kt) {
    // Groups committed so far: kStages-1+kt. Leaving kStages-2 in flight means group kt (this
    // thread's part of K step kt) has landed; the barrier makes every thread's part visible, and
    // also guarantees that all warps are done with the stage computed in the previous iteration,
    // which is the one the next load overwrites.
    if constexpr (kFast) cp_async_wait<tc::kStages - 2>();
    __syncthreads();
    const int next = kt + tc::kStages - 1;
    if (next < ktiles) load_stage(next % tc::kStages, next);
    if constexpr (kFast) cp_async_commit();

    const std::uint32_t a_s = smem + static_cast<std::uint32_t>((kt % tc::kStages) * tc::kStageBytes);
    const std::uint32_t b_s = a_s + tc::kTileBytes;
#pragma unroll
    for (int ks = 0; ks < tc::kKSteps; ++ks) {
      std::uint32_t a[tc::kFragsM][4];
      std::uint32_t b[tc::kFragsN][2];
#pragma unroll
      for (int mi = 0; mi < tc::kFragsM; ++mi)
        ldsm_x4(a[mi], a_s + static_cast<std::uint32_t>(tc::a_ldsm_offset(wm, lane, ks, mi)) * 2u);
#pragma unroll
      for (int nj = 0; nj < tc::kLdsmB; ++nj) {
        std::uint32_t r[4];
        ldsm_x4(r, b_s + static_cast<std::uint32_t>(tc::b_ldsm_offset(wn, lane, ks, nj)) * 2u);
#pragma unroll
        for (int q = 0; q < 4; ++q) b[tc::b_ldsm_ntile(nj, q)][tc::b_ldsm_reg(q)] = r[q];
      }
#pragma unroll
      for (int mi = 0; mi < tc::kFragsM; ++mi)
#pragma unroll
        for (int ni = 0; ni < tc::kFragsN; ++ni) mma_16816<T>(acc[mi][ni], a[mi], b[ni]);
    }
  }
  if constexpr (kFast) cp_async_wait<0>();  // only empty groups can remain; leave none behind

  // Epilogue: straight from the accumulators, bounds-checked, rounded to the output type. In a
  // column-major C the 8 lanes of a group (same t) write 8 consecutive rows of one column.
  T* C_blk = C + m0 + static_cast<std::size_t>(n0) * m;
#pragma unroll
  for (int mi = 0; mi < tc::kFragsM; ++mi)
#pragma unroll
    for (int ni = 0; ni < tc::kFragsN; ++ni)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int r = tc::acc_row(wm, mi, lane, i);
        const int c = tc::acc_col(wn, ni, lane, i);
        if (r < rows_a && c < rows_b) C_blk[r + static_cast<std::size_t>(c) * m] = from_float<T>(acc[mi][ni][i]);
      }
#else
  // Compiled for an architecture without these instructions: the launcher never runs this (it
  // refuses devices below 8.0 and code whose PTX target is below 8.0).
  (void)m, (void)n, (void)k, (void)A, (void)B, (void)C;
#endif
}

// ---- Launcher ------------------------------------------------------------------------------------

// Per device: 1 usable, 2 compute capability below 8.0, 3 this binary carries no sm_80+ code for
// it (e.g. built for 7.5 only and JIT-compiled: the kernel body would be empty).
detail::DeviceVerdicts g_device_state;

template <class T, bool kFast>
cudaError_t ptx_version(int* version) {
  cudaFuncAttributes attr{};
  const cudaError_t e = cudaFuncGetAttributes(&attr, tc_gemm_kernel<T, kFast>);
  *version = attr.ptxVersion;
  return e;
}

cudaError_t device_state(int* state) {
  return g_device_state.get(state, [](int /*dev*/, int major, int minor, int* s) {
    cudaError_t e;
    *s = 1;
    if (!tc_gemm_supported(major, minor)) {
      *s = 2;
      return cudaSuccess;
    }
    int v[4] = {};
    if ((e = ptx_version<__half, true>(&v[0])) != cudaSuccess) return e;
    if ((e = ptx_version<__half, false>(&v[1])) != cudaSuccess) return e;
    if ((e = ptx_version<__nv_bfloat16, true>(&v[2])) != cudaSuccess) return e;
    if ((e = ptx_version<__nv_bfloat16, false>(&v[3])) != cudaSuccess) return e;
    for (int x : v)
      if (x < 80) *s = 3;
    return cudaSuccess;
  });
}

template <class T, bool kFast>
cudaError_t launch(int blocks, int m, int n, int k, const void* A, const void* B, void* C, cudaStream_t stream) {
  const auto kernel = tc_gemm_kernel<T, kFast>;
  // 64 KiB of dynamic shared memory needs the opt-in; set on every call (cheap, and it survives a
  // cudaDeviceReset that would invalidate a cached "already set").
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, tc::kSmemBytes);
  if (e != cudaSuccess) return e;
  // A hint (two blocks per SM want 128 KiB of the unified L1/shared memory); ignore a refusal.
  if (cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout, cudaSharedmemCarveoutMaxShared) !=
      cudaSuccess)
    (void)cudaGetLastError();
  kernel<<<blocks, tc::kThreads, tc::kSmemBytes, stream>>>(m, n, k, static_cast<const T*>(A),
                                                           static_cast<const T*>(B), static_cast<T*>(C));
  return cudaGetLastError();
}

}  // namespace

bool tc_gemm_supported(int cc_major, int cc_minor) {
  (void)cc_minor;
  return cc_major >= 8;
}

cudaError_t tc_gemm(Half type, int m, int n, int k, const void* A, const void* B, void* C, cudaStream_t stream) {
  if (m < 1 || n < 1 || k < 1 || A == nullptr || B == nullptr || C == nullptr) return cudaErrorInvalidValue;
  if (type != Half::fp16 && type != Half::bf16) return cudaErrorInvalidValue;
  const long long blocks =
      static_cast<long long>(tc::ceil_div(m, tc::kBlockM)) * static_cast<long long>(tc::ceil_div(n, tc::kBlockN));
  if (blocks > INT_MAX) return cudaErrorInvalidValue;  // C would need > 2^45 bytes anyway

  int state = 0;
  const cudaError_t e = device_state(&state);
  if (e != cudaSuccess) return e;
  if (state == 2) return cudaErrorInvalidDevice;
  if (state == 3) return cudaErrorNoKernelImageForDevice;

  const bool fast = k % tc::kChunkElems == 0 && detail::aligned16(A) && detail::aligned16(B);
  const int nb = static_cast<int>(blocks);
  if (type == Half::bf16)
    return fast ? launch<__nv_bfloat16, true>(nb, m, n, k, A, B, C, stream)
                : launch<__nv_bfloat16, false>(nb, m, n, k, A, B, C, stream);
  return fast ? launch<__half, true>(nb, m, n, k, A, B, C, stream)
              : launch<__half, false>(nb, m, n, k, A, B, C, stream);
}

}  // namespace gpuprobe::kernels
