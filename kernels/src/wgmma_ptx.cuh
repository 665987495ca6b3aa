// The Hopper instructions of the wgmma GEMM (matmul_wgmma.cu) as small inline-PTX wrappers:
// wgmma.mma_async (a warpgroup-wide 64xNx16 product with both operands read from shared memory
// through matrix descriptors), its fence / commit_group / wait_group, and the proxy fence that
// makes ordinary shared-memory writes (st.shared, cp.async) visible to the asynchronous proxy
// wgmma reads through. cp.async, st.shared.v4 and the shared-address conversion come from
// tc_ptx.cuh.
//
// GPUPROBE_WGMMA_PTX is 1 only in device code compiled for the arch-specific target sm_90a
// (__CUDA_ARCH_FEAT_SM90_ALL): wgmma exists on compute capability 9.0 only, and only in code
// built for "90a" (CMake: CUDA_ARCHITECTURES 90a-real). Everywhere else it is 0 and the kernel
// body is compiled out.
//
// The emulation tests (tests/emu) compile matmul_wgmma.cu on the CPU with their own
// tests/emu/wgmma_ptx.cuh in place of this file (same names and signatures, implemented by the
// emulator after the PTX ISA's definitions), so keep the two in step: any instruction the kernel
// uses goes through a wrapper declared here.
//
// Descriptors (PTX ISA, "Matrix Descriptor Format" of wgmma; built by
// gpuprobe/kernels/detail/wgmma_layout.hpp, not here): a 64-bit value per operand with the
// shared-memory start address >> 4 (bits 0-13), the leading- and stride-dimension byte offsets
// >> 4 (bits 16-29, 32-45), the base offset (bits 49-51) and the swizzle mode (bits 62-63:
// 0 none, 1 128-byte, 2 64-byte, 3 32-byte).
#pragma once

#include <cstdint>
#include <type_traits>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define GPUPROBE_WGMMA_PTX 1
#else
#define GPUPROBE_WGMMA_PTX 0
#endif

#if GPUPROBE_WGMMA_PTX
namespace gpuprobe::kernels::wgmma_ptx {

// Orders this thread's earlier generic-proxy writes to shared memory (st.shared, completed
// cp.async) before later asynchronous-proxy reads of it (wgmma operands). Every writing thread
// executes it after its writes and before the barrier that publishes them.
__device__ __forceinline__ void fence_proxy_async() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

// Orders earlier register and shared-memory accesses of the warpgroup before the wgmma.mma_async
// that follow; required before the first wgmma.mma_async of a batch (PTX ISA: wgmma.fence).
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }

// A compiler-only fence on the accumulators (no instruction): the "memory" clobbers of the other
// wrappers order memory, not registers, so without it the compiler could move an ordinary access to
// the accumulators (zeroing, the epilogue's reads) across wgmma.fence or wgmma.wait_group. CUTLASS's
// warpgroup_fence_operand, DeepGEMM's equivalent: before wgmma_fence and after every wgmma_wait.
template <int N>
__device__ __forceinline__ void fence_operand(float (&d)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// Closes the batch of wgmma.mma_async issued by this warpgroup since the last commit.
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }

// Waits until at most N committed batches of this warpgroup are pending. Until a batch retires,
// its accumulator registers must not be read or written and its shared-memory operands must not
// be overwritten.
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}

#define GPUPROBE_WGMMA_M64N256K16(TYPE)                                                                               \
  asm volatile(                                                                                                       \
      "{\n"                                                                                                           \
      ".reg .pred p;\n"                                                                                               \
      "setp.ne.b32 p, %130, 0;\n"                                                                                     \
      "wgmma.mma_async.sync.aligned.m64n256k16.f32." TYPE "." TYPE " {"                                               \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                                        \
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "                              \
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "                              \
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "                              \
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "                              \
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "                              \
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "                  \
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"                \
      "}, %128, %129, p, 1, 1, 0, 0;\n"                                                                               \
      "}\n"                                                                                                           \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),               \
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),         \
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),       \
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),       \
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),       \
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),       \
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),       \
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),       \
        "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),       \
        "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),       \
        "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),       \
        "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),       \
        "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),   \
        "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),\
        "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),\
        "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])\
      : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate))                                                   \
      : "memory")

// d (+)= A * B for one m64n256k16 tile of the warpgroup, fp32 accumulators; T is __half or
// __nv_bfloat16. A (64 x 16) and B (256 x 16, i.e. the 16 x 256 operand stored N-major by rows
// of k) are both K-major in shared memory, described by desc_a and desc_b; no transpose, scale
// 1. accumulate == false: d = A * B (d's earlier contents ignored). All 128 threads of the
// warpgroup execute it with the same descriptors; thread t holds d[i] = D[row][col] with
// row = 16 * (t / 32) + (t % 32) / 4 + 8 * ((i / 2) % 2), col = 8 * (i / 4) + 2 * (t % 4) + i % 2.
template <class T>
__device__ __forceinline__ void wgmma_m64n256k16(float (&d)[128], std::uint64_t desc_a, std::uint64_t desc_b,
                                                 bool accumulate) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    GPUPROBE_WGMMA_M64N256K16("bf16");
  } else {
    static_assert(std::is_same_v<T, __half>, "wgmma_m64n256k16: __half or __nv_bfloat16");
    GPUPROBE_WGMMA_M64N256K16("f16");
  }
}
#undef GPUPROBE_WGMMA_M64N256K16

}  // namespace gpuprobe::kernels::wgmma_ptx
#endif  // GPUPROBE_WGMMA_PTX
