// An independent timing of one cuBLAS GEMM, for the target "cuBLAS BF16 8192^3 through gpuprobe
// within 2 % of the same GEMM timed independently": linked to cuBLAS directly, none of gpuprobe's
// harness (no Google Benchmark, no L2 flush, no poisoning, no dlopen). scripts/device-run.sh runs it
// beside `gpuprobe bench --filter '^matmul/cublas/bf16/' --sizes 8192`. Same GEMM, same settings:
// BF16 "TN", FP32 compute, CUBLAS_GEMM_DEFAULT, and the math mode gpuprobe sets for its 16-bit
// output GEMMs (no split-K reduction in BF16), so the two numbers time the same kernel choice.
//   usage: gpuprobe_cublas_reference [N] [RUNS]   (default 8192, 50); prints the median TFLOP/s
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CHECK(x)                                                                   \
  do {                                                                             \
    auto e_ = (x);                                                                 \
    if (e_ != 0) {                                                                 \
      std::fprintf(stderr, "%s failed: %d at line %d\n", #x, static_cast<int>(e_), __LINE__); \
      return 1;                                                                    \
    }                                                                              \
  } while (0)

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 8192;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 50;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "no GPU\n");
    return 77;
  }
  const std::size_t elems = static_cast<std::size_t>(n) * n;
  __nv_bfloat16 *a, *b, *c;
  CHECK(cudaMalloc(&a, elems * 2));
  CHECK(cudaMalloc(&b, elems * 2));
  CHECK(cudaMalloc(&c, elems * 2));
  {
    std::vector<__nv_bfloat16> h(elems);
    unsigned s = 12345;
    for (auto& v : h) {
      s = s * 1664525u + 1013904223u;
      v = __float2bfloat16(static_cast<float>(static_cast<int>(s >> 9) % 2001 - 1000) / 1000.0f);
    }
    CHECK(cudaMemcpy(a, h.data(), elems * 2, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(b, h.data(), elems * 2, cudaMemcpyHostToDevice));
  }
  cublasHandle_t handle;
  CHECK(cublasCreate(&handle));
  cudaStream_t stream;
  CHECK(cudaStreamCreate(&stream));
  CHECK(cublasSetStream(handle, stream));
  CHECK(cublasSetMathMode(handle, static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH |
                                                             CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)));
  const float one = 1.0f, zero = 0.0f;
  auto gemm = [&] {
    return cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &one, a, CUDA_R_16BF, n, b, CUDA_R_16BF, n, &zero,
                        c, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  };
  for (int i = 0; i < 10; ++i) CHECK(gemm());
  CHECK(cudaStreamSynchronize(stream));
  cudaEvent_t t0, t1;
  CHECK(cudaEventCreate(&t0));
  CHECK(cudaEventCreate(&t1));
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    CHECK(cudaEventRecord(t0, stream));
    CHECK(gemm());
    CHECK(cudaEventRecord(t1, stream));
    CHECK(cudaEventSynchronize(t1));
    float m = 0;
    CHECK(cudaEventElapsedTime(&m, t0, t1));
    ms.push_back(m);
  }
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2];
  const double tflops = 2.0 * n * static_cast<double>(n) * n / (med * 1e-3) / 1e12;
  std::printf("cublasGemmEx BF16 TN (DISALLOW_REDUCED_PRECISION_REDUCTION) %dx%dx%d: median %.4f ms (min %.4f, max %.4f) over %d runs = %.1f TFLOP/s\n", n, n,
              n, med, ms.front(), ms.back(), runs, tflops);
  return 0;
}
