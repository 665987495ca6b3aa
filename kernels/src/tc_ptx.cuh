// The instructions of the tensor-core GEMM (matmul_tensorcore.cu) as small inline-PTX wrappers:
// cp.async (global -> shared, asynchronous, in commit groups), st.shared.v4, ldmatrix.x4 and
// mma.sync.m16n8k16, plus the generic -> shared address conversion they all take.
//
// GPUPROBE_TC_PTX is 1 where these instructions exist (device code for sm_80 and newer) and 0
// elsewhere (host pass, older targets); the kernel body is compiled only under it.
//
// The emulation tests (tests/emu) compile matmul_tensorcore.cu on the CPU with their own
// tests/emu/tc_ptx.cuh in place of this file (same names and signatures, implemented by the
// emulator after the PTX ISA's definitions), so keep the two in step: any instruction the kernel
// uses goes through a wrapper declared here.
#pragma once

#include <cstdint>
#include <type_traits>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#define GPUPROBE_TC_PTX 1
#else
#define GPUPROBE_TC_PTX 0
#endif

#if GPUPROBE_TC_PTX
namespace gpuprobe::kernels::tc_ptx {

// The shared-state-space address of a pointer into shared memory (what ldmatrix, cp.async and
// st.shared take).
__device__ __forceinline__ std::uint32_t shared_address(const void* p) {
  return static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
}

// 16-byte asynchronous copy global -> shared. src_bytes is 16 or 0; with 0 nothing is read from
// src (which must still be a valid pointer) and the 16 destination bytes are zeroed.
__device__ __forceinline__ void cp_async_16(std::uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global.L2::128B [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(__cvta_generic_to_global(src)), "r"(src_bytes)
               : "memory");
}
// Closes the group of this thread's cp.async issued since the last commit (possibly empty).
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
// Wait until at most N of this thread's committed groups are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void st_shared_v4(std::uint32_t dst, std::uint32_t a, std::uint32_t b, std::uint32_t c,
                                             std::uint32_t d) {
  asm volatile("st.shared.v4.b32 [%0], {%1, %2, %3, %4};\n" ::"r"(dst), "r"(a), "r"(b), "r"(c), "r"(d) : "memory");
}

// Four 8x8 matrices of 16-bit elements; lane l supplies the address of row l%8 of matrix l/8.
__device__ __forceinline__ void ldsm_x4(std::uint32_t (&r)[4], std::uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr)
               : "memory");
}

// d += a * b for one m16n8k16 tile, fp32 accumulators; T is __half or __nv_bfloat16.
template <class T>
__device__ __forceinline__ void mma_16816(float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  } else {
    static_assert(std::is_same_v<T, __half>, "mma_16816: __half or __nv_bfloat16");
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
}

}  // namespace gpuprobe::kernels::tc_ptx
#endif  // GPUPROBE_TC_PTX
