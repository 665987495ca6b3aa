// Hand-written GEMM kernels: a ladder a reader can learn from (matmul_simt.cu), and two tensor-core
// kernels (matmul_tensorcore.cu: mma.sync, cc >= 8.0; matmul_wgmma.cu: wgmma, cc 9.0). Every
// launcher is asynchronous on `stream`, accepts any m, n, k >= 1 and returns the launch error
// (cudaErrorInvalidValue for sizes < 1 or an unsupported device).
#pragma once

#include <cuda_runtime_api.h>

namespace gpuprobe::kernels {

// FP32 GEMM, C = A * B, column-major as cuBLAS (cublasSgemm with CUBLAS_OP_N, CUBLAS_OP_N):
// A is m x k (lda = m), B is k x n (ldb = k), C is m x n (ldc = m).
enum class Sgemm {
  naive,             // one thread per element of C, operands from global memory
  smem_tiled,        // 32x32 tiles of A and B staged in shared memory
  register_blocked,  // 128x128 block tile, 8x8 results per thread, float4 loads where aligned
  warp_tiled,        // block tile split into warp tiles, double-buffered shared memory
};
inline constexpr Sgemm kSgemmKernels[] = {Sgemm::naive, Sgemm::smem_tiled, Sgemm::register_blocked,
                                          Sgemm::warp_tiled};
const char* to_string(Sgemm kind);  // "naive", "smem_tiled", "register_blocked", "warp_tiled"
cudaError_t sgemm(Sgemm kind, int m, int n, int k, const float* A, const float* B, float* C, cudaStream_t stream);

// Tensor-core GEMM: FP16 or BF16 inputs, FP32 accumulation, output in the input type.
// "TN" layout, both operands K-major (cublasGemmEx with CUBLAS_OP_T, CUBLAS_OP_N):
// A is stored k x m column-major (lda = k), B is k x n column-major (ldb = k), C is m x n
// column-major (ldc = m): C[i + j*m] = sum_p A[p + i*k] * B[p + j*k].
// Needs compute capability >= 8.0 (mma.sync m16n8k16); other devices get cudaErrorInvalidDevice.
enum class Half { fp16, bf16 };
bool tc_gemm_supported(int cc_major, int cc_minor);
cudaError_t tc_gemm(Half type, int m, int n, int k, const void* A, const void* B, void* C, cudaStream_t stream);

// Hopper tensor-core GEMM (wgmma.mma_async, matmul_wgmma.cu): the same operation and layout as
// tc_gemm. Needs compute capability 9.0 exactly (other devices: cudaErrorInvalidDevice) and a
// build that carries sm_90a code (CMake GPUPROBE_WGMMA: AUTO builds it when CMAKE_CUDA_ARCHITECTURES
// names 90; without it, or when the driver cannot load that code: cudaErrorNoKernelImageForDevice).
bool wgmma_gemm_built();  // this build has the sm_90a code
bool wgmma_gemm_supported(int cc_major, int cc_minor);
cudaError_t wgmma_gemm(Half type, int m, int n, int k, const void* A, const void* B, void* C, cudaStream_t stream);

}  // namespace gpuprobe::kernels
