// What gpu/include/gpuprobe/gpu/blas_dnn.hpp defines beside the cuBLAS, cuBLASLt and cuDNN
// tables: pure functions of those libraries' headers (structs and enums), tested without loading a
// library and without a GPU.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "conv_rules.hpp"  // bench/src/gpu: bench's rules for cuDNN's algorithms
#include "gpuprobe/bench/spec.hpp"
#include "gpuprobe/gpu/blas_dnn.hpp"

#include "test_util.hpp"

namespace gpuprobe {
namespace {

using bench::gpu::bench_conv_algo_rules;
using test_util::contains;

// ---- LibObject ---------------------------------------------------------------------------------

struct FakeObj {
  int id;
};
std::vector<int> g_destroyed;
int destroy_fake(FakeObj* o) {
  g_destroyed.push_back(o->id);
  return 0;
}
using FakeOwned = LibObject<FakeObj*, int>;

TEST(LibObject, DestroysWhatItOwnsOnce) {
  g_destroyed.clear();
  FakeObj a{1};
  {
    FakeOwned o(destroy_fake);
    EXPECT_EQ(o.get(), nullptr);
    *o.out() = &a;
    EXPECT_EQ(o.get(), &a);
  }
  EXPECT_EQ(g_destroyed, std::vector<int>{1});
}

TEST(LibObject, EmptyOrUnloadedDestroysNothing) {
  g_destroyed.clear();
  { FakeOwned empty(destroy_fake); }
  FakeObj a{1};
  {
    FakeOwned no_table(nullptr);  // the library never loaded: nothing was created either
    *no_table.out() = &a;
  }
  EXPECT_TRUE(g_destroyed.empty());
}

TEST(LibObject, OutAndResetFreeThePreviousObject) {
  g_destroyed.clear();
  FakeObj a{1}, b{2};
  FakeOwned o(destroy_fake);
  *o.out() = &a;
  *o.out() = &b;  // re-created: the first one is freed, not leaked
  EXPECT_EQ(g_destroyed, std::vector<int>{1});
  o.reset();
  EXPECT_EQ(g_destroyed, (std::vector<int>{1, 2}));
  EXPECT_EQ(o.get(), nullptr);
  o.reset();
  EXPECT_EQ(g_destroyed.size(), 2u);
}

// The situation of the review: a constructor that throws after creating a handle and descriptors
// (a Skip when cuBLASLt/cuDNN offers no algorithm). Members free them, descriptors before handle.
struct Holder {
  FakeOwned handle{destroy_fake};
  FakeOwned desc{destroy_fake};
  FakeObj h{1}, d{2};
  explicit Holder(bool fail) {
    *handle.out() = &h;
    *desc.out() = &d;
    if (fail) throw std::runtime_error("no algorithm");
  }
};

TEST(LibObject, ThrowingConstructorLeaksNothingAndKeepsTheOrder) {
  g_destroyed.clear();
  EXPECT_THROW(Holder(true), std::runtime_error);
  EXPECT_EQ(g_destroyed, (std::vector<int>{2, 1}));
  g_destroyed.clear();
  { Holder ok(false); }
  EXPECT_EQ(g_destroyed, (std::vector<int>{2, 1}));
}

// ---- cuBLAS / cuBLASLt ---------------------------------------------------------------------------

TEST(CublasRules, ReductionsStayInTheComputeType) {
  EXPECT_EQ(static_cast<int>(kCublasNoReducedPrecisionReduction),
            CUBLAS_DEFAULT_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
  EXPECT_EQ(kCublasNoReducedPrecisionReduction & 0xf, CUBLAS_DEFAULT_MATH);  // no TF32, not pedantic
  // cuBLASLt: no split-K, or split-K summed in the compute type; never in the output type.
  EXPECT_TRUE(kCublasLtReductionSchemeMask & CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE);
  EXPECT_FALSE(kCublasLtReductionSchemeMask & CUBLASLT_REDUCTION_SCHEME_INPLACE);
  EXPECT_FALSE(kCublasLtReductionSchemeMask & CUBLASLT_REDUCTION_SCHEME_OUTPUT_TYPE);
}

TEST(CublasLtFp8Shape, AlignedShapesPass) {
  for (int s : {256, 1024, 4096, 8192, 16384}) EXPECT_EQ(cublaslt_fp8_shape_problem(s, s, s), "") << s;
  EXPECT_EQ(cublaslt_fp8_shape_problem(3072, 1, 1024), "");  // n is not constrained
  EXPECT_EQ(cublaslt_fp8_shape_problem(7680, 16, 2560), "");
  EXPECT_EQ(cublaslt_fp8_shape_problem(8, 3, 16), "");
}

TEST(CublasLtFp8Shape, MisalignedShapesSayWhichDimensionAndWhy) {
  // m * 2 bytes of BF16 output: 5124 * 2 = 10248, 8 bytes short of a multiple of 16.
  const std::string m = cublaslt_fp8_shape_problem(5124, 9124, 2560);
  EXPECT_TRUE(contains(m, "m = 5124")) << m;
  EXPECT_TRUE(contains(m, "m % 8 == 0")) << m;
  EXPECT_TRUE(contains(m, "16-byte")) << m;
  EXPECT_FALSE(contains(m, "k = ")) << m;
  EXPECT_FALSE(contains(m, "GPU")) << m;  // the shape is the cause, not the GPU
  EXPECT_TRUE(contains(cublaslt_fp8_shape_problem(35, 8457, 2560), "m = 35"));
  const std::string k = cublaslt_fp8_shape_problem(64, 64, 24);
  EXPECT_TRUE(contains(k, "k = 24")) << k;
  EXPECT_TRUE(contains(k, "k % 16 == 0")) << k;
  EXPECT_FALSE(contains(k, "m = ")) << k;
  const std::string both = cublaslt_fp8_shape_problem(4, 64, 8);
  EXPECT_TRUE(contains(both, "k = 8") && contains(both, "m = 4")) << both;
}

TEST(CublasLtFp8Shape, TheBenchmarkTableSkipsExactlyTheTwoMisalignedDeepBenchShapes) {
  std::set<std::string> refused;
  const auto fp8 = bench::select_benchmarks(bench::Suite::full, "^matmul/cublaslt/fp8/");
  ASSERT_FALSE(fp8.empty());
  for (const auto& b : fp8)
    if (!cublaslt_fp8_shape_problem(b.gemm.m, b.gemm.n, b.gemm.k).empty())
      refused.insert(std::to_string(b.gemm.m) + "x" + std::to_string(b.gemm.n) + "x" + std::to_string(b.gemm.k));
  EXPECT_EQ(refused, (std::set<std::string>{"5124x9124x2560", "35x8457x2560"}));
}

// ---- cuDNN statuses and versions -----------------------------------------------------------------

TEST(CudnnRules, NotSupportedIsACategory) {
  for (int s : {3000, 3001, 3002, 3003, 3004, 3007, 3010, 3014})
    EXPECT_TRUE(cudnn_not_supported(static_cast<cudnnStatus_t>(s))) << s;
  for (int s : {0, 1008, 2000, 2002, 4000, 5000})
    EXPECT_FALSE(cudnn_not_supported(static_cast<cudnnStatus_t>(s))) << s;
}

TEST(CudnnRules, SubLibraryStatusesGetAHint) {
  EXPECT_TRUE(contains(cudnn_status_hint(CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED), "did not load"));
  EXPECT_TRUE(contains(cudnn_status_hint(CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED), "libcudnn_*.so.9"));
  EXPECT_TRUE(contains(cudnn_status_hint(CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH), "different versions"));
  EXPECT_FALSE(cudnn_status_hint(CUDNN_STATUS_NOT_INITIALIZED).empty());  // category 1000
  // What the 9.19 shim returns when libcudnn_cnn (or what it needs) is not found.
  EXPECT_TRUE(contains(cudnn_status_hint(CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE), "did not load"));
  for (int s : {0, 2000, 3000, 3002, 4000, 5000})
    EXPECT_EQ(cudnn_status_hint(static_cast<cudnnStatus_t>(s)), "") << s;
}

TEST(CudnnRules, VersionsOfBothFormulas) {
  EXPECT_EQ(cudnn_version_string(91900), "9.19.0");
  EXPECT_EQ(cudnn_version_string(90100), "9.1.0");
  EXPECT_EQ(cudnn_version_string(8907), "8.9.7");  // cuDNN 8: major*1000 + minor*100 + patch
  EXPECT_EQ(cudnn_version_string(100203), "10.2.3");
  EXPECT_EQ(cudnn_major_problem(91900), "");
  EXPECT_EQ(cudnn_major_problem(90000), "");
  const std::string eight = cudnn_major_problem(8907);
  EXPECT_TRUE(contains(eight, "cuDNN 8.9.7")) << eight;
  EXPECT_TRUE(contains(eight, "built for cuDNN 9")) << eight;
  EXPECT_FALSE(cudnn_major_problem(100000).empty());
}

TEST(CudnnRules, TransformAlgorithmsAreExactlyFftAndWinograd) {
  std::set<std::string> transform;
  for (int a = 0; a < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; ++a) {
    const auto algo = static_cast<cudnnConvolutionFwdAlgo_t>(a);
    EXPECT_STRNE(cudnn_algo_name(algo), "?") << a;
    if (cudnn_transform_algo(algo)) transform.insert(cudnn_algo_name(algo));
  }
  EXPECT_EQ(transform, (std::set<std::string>{"FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"}));
  EXPECT_STREQ(cudnn_math_name(CUDNN_FMA_MATH), "FMA_MATH");
  EXPECT_STREQ(cudnn_math_name(CUDNN_TENSOR_OP_MATH), "TENSOR_OP_MATH");
}

// ---- Choosing among cuDNN's results --------------------------------------------------------------

cudnnConvolutionFwdAlgoPerf_t perf(cudnnConvolutionFwdAlgo_t algo, cudnnMathType_t math, float ms,
                                   std::size_t memory = 0, cudnnStatus_t st = CUDNN_STATUS_SUCCESS) {
  cudnnConvolutionFwdAlgoPerf_t p{};
  p.algo = algo;
  p.status = st;
  p.time = ms;
  p.memory = memory;
  p.mathType = math;
  return p;
}

constexpr std::size_t kMiB = 1u << 20;

// What Find might return for an FP32 convolution, fastest first.
std::vector<cudnnConvolutionFwdAlgoPerf_t> fp32_results() {
  return {perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_TENSOR_OP_MATH, 0.5f),      // TF32
          perf(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, CUDNN_FMA_MATH, 0.6f, 8 * kMiB),    // transform
          perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_FMA_MATH, 0.7f, 0,
               CUDNN_STATUS_NOT_SUPPORTED_SHAPE),                                                 // failed
          perf(CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_FMA_MATH, 0.8f, 512 * kMiB),               // too big
          perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_DEFAULT_MATH, 0.85f),     // may be TF32
          perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_FMA_MATH, 0.9f, 4 * kMiB),  // this one
          perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_FMA_MATH, 1.2f)};
}

TEST(ChooseConvAlgo, Fp32BenchmarkTakesTheFastestFmaDirectResultThatFits) {
  const auto p = fp32_results();
  const ConvAlgoRules rules = bench_conv_algo_rules(CUDNN_DATA_FLOAT, 256 * kMiB);
  const ConvAlgoChoice c = choose_conv_fwd_algo(p.data(), static_cast<int>(p.size()), rules);
  ASSERT_EQ(c.index, 5);
  ASSERT_EQ(c.verdicts.size(), p.size());
  EXPECT_TRUE(contains(c.verdicts[0], "not FMA math")) << c.verdicts[0];
  EXPECT_TRUE(contains(c.verdicts[1], "transform-based")) << c.verdicts[1];
  EXPECT_TRUE(contains(c.verdicts[2], "failed: cuDNN status 3002")) << c.verdicts[2];
  EXPECT_TRUE(contains(c.verdicts[3], "512 MiB")) << c.verdicts[3];
  EXPECT_TRUE(contains(c.verdicts[4], "not FMA math")) << c.verdicts[4];
  EXPECT_EQ(c.verdicts[5], "");
  EXPECT_EQ(c.verdicts[6], "");  // acceptable, just slower
  const std::string s = c.summary(p.data());
  EXPECT_TRUE(contains(s, "IMPLICIT_PRECOMP_GEMM/FMA_MATH: chosen")) << s;
  EXPECT_TRUE(contains(s, "IMPLICIT_GEMM/FMA_MATH: usable")) << s;
  EXPECT_TRUE(contains(s, "WINOGRAD_NONFUSED/FMA_MATH: transform-based")) << s;
}

TEST(ChooseConvAlgo, HalfBenchmarkTakesAnyMathTypeButNoTransform) {
  const auto p = fp32_results();
  for (cudnnDataType_t dt : {CUDNN_DATA_HALF, CUDNN_DATA_BFLOAT16}) {
    const ConvAlgoRules rules = bench_conv_algo_rules(dt, 256 * kMiB);
    EXPECT_FALSE(rules.fma_math_only);
    EXPECT_TRUE(rules.direct_products_only);
    const ConvAlgoChoice c = choose_conv_fwd_algo(p.data(), static_cast<int>(p.size()), rules);
    EXPECT_EQ(c.index, 0);  // the tensor-core entry
  }
  std::vector<cudnnConvolutionFwdAlgoPerf_t> fft = {
      perf(CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, CUDNN_TENSOR_OP_MATH, 0.1f),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, CUDNN_TENSOR_OP_MATH, 0.2f),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_TENSOR_OP_MATH, 0.3f),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_TENSOR_OP_MATH, 0.4f)};
  EXPECT_EQ(choose_conv_fwd_algo(fft.data(), 4, bench_conv_algo_rules(CUDNN_DATA_HALF, 256 * kMiB)).index, 3);
}

TEST(ChooseConvAlgo, NothingAcceptableSaysWhyForEveryEntry) {
  std::vector<cudnnConvolutionFwdAlgoPerf_t> p = {
      perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_TENSOR_OP_MATH, 0.1f),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_FMA_MATH, 0.2f),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_DIRECT, CUDNN_FMA_MATH, 0.3f, 0, CUDNN_STATUS_NOT_SUPPORTED)};
  const ConvAlgoChoice c = choose_conv_fwd_algo(p.data(), 3, bench_conv_algo_rules(CUDNN_DATA_FLOAT, 256 * kMiB),
                                                [](cudnnStatus_t st) { return "NAME" + std::to_string(int(st)); });
  EXPECT_EQ(c.index, -1);
  const std::string s = c.summary(p.data());
  EXPECT_TRUE(contains(s, "IMPLICIT_GEMM/TENSOR_OP_MATH: not FMA math")) << s;
  EXPECT_TRUE(contains(s, "FFT/FMA_MATH: transform-based")) << s;
  EXPECT_TRUE(contains(s, "DIRECT/FMA_MATH: failed: NAME3000")) << s;  // the status named by the table
  EXPECT_EQ(choose_conv_fwd_algo(p.data(), 0, ConvAlgoRules{}).summary(p.data()), "cuDNN returned no algorithm");
}

TEST(ChooseConvAlgo, CheckRulesTakeTheFirstResultThatSucceeded) {
  // The cudnn check: the heuristic's order, only the status matters (its math type is then set).
  std::vector<cudnnConvolutionFwdAlgoPerf_t> p = {
      perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_TENSOR_OP_MATH, -1, 0, CUDNN_STATUS_NOT_SUPPORTED),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, CUDNN_DEFAULT_MATH, -1, 1u << 30),
      perf(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_DEFAULT_MATH, -1)};
  EXPECT_EQ(choose_conv_fwd_algo(p.data(), 3, ConvAlgoRules{}).index, 1);
  p[1].status = CUDNN_STATUS_INTERNAL_ERROR;
  EXPECT_EQ(choose_conv_fwd_algo(p.data(), 3, ConvAlgoRules{}).index, 2);
}

TEST(ChooseConvAlgo, RulesDescribeThemselves) {
  const std::string f = bench_conv_algo_rules(CUDNN_DATA_FLOAT, 256 * kMiB).describe();
  EXPECT_TRUE(contains(f, "FMA math only")) << f;
  EXPECT_TRUE(contains(f, "no FFT, FFT_TILING, WINOGRAD or WINOGRAD_NONFUSED")) << f;
  EXPECT_TRUE(contains(f, "direct products")) << f;
  EXPECT_TRUE(contains(f, "256 MiB")) << f;
  const std::string h = bench_conv_algo_rules(CUDNN_DATA_HALF, 64 * kMiB).describe();
  EXPECT_FALSE(contains(h, "FMA")) << h;
  EXPECT_TRUE(contains(h, "64 MiB")) << h;
  EXPECT_FALSE(contains(ConvAlgoRules{}.describe(), "MiB"));
}

// ---- When a library is missing ----------------------------------------------------------------

TEST(MissingLibraryAdvice, AnImageIsToldTheTagAMachineWhatToInstall) {
  const std::string cublas = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  const LibraryAdvice image = cublas_missing_advice(true), machine = cublas_missing_advice(false);
  EXPECT_EQ(image.message, "this image has no usable cuBLAS (" + cublas + ")");
  EXPECT_TRUE(contains(image.hint, "nvidia/cuda:*-runtime-*")) << image.hint;
  EXPECT_EQ(machine.message, "this machine has no usable cuBLAS (" + cublas + ")");
  EXPECT_FALSE(contains(machine.hint, "nvidia/cuda:")) << machine.hint;
  EXPECT_TRUE(contains(machine.hint, "libcublas-" + std::to_string(CUBLAS_VER_MAJOR) + "-")) << machine.hint;
  EXPECT_TRUE(contains(machine.hint, "LD_LIBRARY_PATH")) << machine.hint;

  const LibraryAdvice dnn_image = cudnn_missing_advice(true), dnn_machine = cudnn_missing_advice(false);
  EXPECT_EQ(dnn_image.message, "this image has no cuDNN: use an nvidia/cuda:*-cudnn-* tag");
  EXPECT_EQ(dnn_machine.message, "this machine has no cuDNN (libcudnn.so." + std::to_string(CUDNN_MAJOR) + ")");
  EXPECT_FALSE(contains(dnn_machine.hint, "nvidia/cuda:")) << dnn_machine.hint;
  EXPECT_TRUE(contains(dnn_machine.hint, "libcudnn" + std::to_string(CUDNN_MAJOR) + "-cuda-")) << dnn_machine.hint;

  const LibraryAdvice inc_image = cudnn_incomplete_advice(true, "x"), inc_machine = cudnn_incomplete_advice(false, "x");
  EXPECT_EQ(inc_image.message, "cuDNN is found but unusable: x");
  EXPECT_EQ(inc_machine.message, inc_image.message);
  EXPECT_TRUE(contains(inc_image.hint, "nvidia/cuda:*-cudnn-* image")) << inc_image.hint;
  EXPECT_FALSE(contains(inc_machine.hint, "nvidia/cuda:")) << inc_machine.hint;
  EXPECT_TRUE(contains(inc_machine.hint, "in one folder")) << inc_machine.hint;
}

}  // namespace
}  // namespace gpuprobe
