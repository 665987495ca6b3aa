// cuBLAS, cuBLASLt and cuDNN, loaded at run time (never linked) so the binary starts in an image
// without them. Shared by the checks (probes/src/checks) and the benchmarks (bench/src/gpu). Each
// table is loaded once per process; `probe.missing` says why a library is unusable. Below the
// tables: owners for their handles, and the rules gpuprobe applies to what they return — pure
// functions of the headers' structs and enums, unit-tested without a GPU (tests/unit/test_blas_dnn.cpp).
// Include only from .cpp files built with the CUDA headers.
#pragma once

#include <cublasLt.h>
#include <cublas_api.h>
#include <cudnn.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gpuprobe/gpu/gpu_libs.hpp"

namespace gpuprobe {

struct Cublas {
  LibraryProbe probe;
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasGetProperty) get_property = nullptr;
  decltype(&cublasSgemm_v2) sgemm = nullptr;
  // cublasGemmEx is overloaded in C++ (a legacy cudaDataType compute-type form): name the C one.
  using GemmExFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                      const void*, const void*, cudaDataType, int, const void*, cudaDataType, int,
                                      const void*, void*, cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
  GemmExFn gemm_ex = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
  std::string status(cublasStatus_t s) const;
};
const Cublas& cublas_lib();

struct CublasLt {
  LibraryProbe probe;
  decltype(&cublasLtCreate) create = nullptr;
  decltype(&cublasLtDestroy) destroy = nullptr;
  decltype(&cublasLtGetVersion) get_version = nullptr;
  decltype(&cublasLtMatmulDescCreate) desc_create = nullptr;
  decltype(&cublasLtMatmulDescDestroy) desc_destroy = nullptr;
  decltype(&cublasLtMatmulDescSetAttribute) desc_set = nullptr;
  decltype(&cublasLtMatrixLayoutCreate) layout_create = nullptr;
  decltype(&cublasLtMatrixLayoutDestroy) layout_destroy = nullptr;
  decltype(&cublasLtMatmulPreferenceCreate) pref_create = nullptr;
  decltype(&cublasLtMatmulPreferenceDestroy) pref_destroy = nullptr;
  decltype(&cublasLtMatmulPreferenceSetAttribute) pref_set = nullptr;
  decltype(&cublasLtMatmulAlgoGetHeuristic) heuristic = nullptr;
  decltype(&cublasLtMatmul) matmul = nullptr;
  decltype(&cublasLtGetStatusString) status_string = nullptr;
  std::string status(cublasStatus_t s) const;
};
const CublasLt& cublaslt_lib();

struct Cudnn {
  LibraryProbe probe;
  decltype(&cudnnGetVersion) get_version = nullptr;
  decltype(&cudnnGetErrorString) error_string = nullptr;
  decltype(&cudnnCreate) create = nullptr;
  decltype(&cudnnDestroy) destroy = nullptr;
  decltype(&cudnnSetStream) set_stream = nullptr;
  decltype(&cudnnCreateTensorDescriptor) create_tensor = nullptr;
  decltype(&cudnnSetTensor4dDescriptor) set_tensor = nullptr;
  decltype(&cudnnDestroyTensorDescriptor) destroy_tensor = nullptr;
  decltype(&cudnnCreateFilterDescriptor) create_filter = nullptr;
  decltype(&cudnnSetFilter4dDescriptor) set_filter = nullptr;
  decltype(&cudnnDestroyFilterDescriptor) destroy_filter = nullptr;
  decltype(&cudnnCreateConvolutionDescriptor) create_conv = nullptr;
  decltype(&cudnnSetConvolution2dDescriptor) set_conv = nullptr;
  decltype(&cudnnSetConvolutionMathType) set_math = nullptr;
  decltype(&cudnnDestroyConvolutionDescriptor) destroy_conv = nullptr;
  decltype(&cudnnGetConvolution2dForwardOutputDim) output_dim = nullptr;
  decltype(&cudnnGetConvolutionForwardAlgorithmMaxCount) algo_max_count = nullptr;
  decltype(&cudnnGetConvolutionForwardAlgorithm_v7) get_algo = nullptr;
  decltype(&cudnnFindConvolutionForwardAlgorithmEx) find_algo = nullptr;
  decltype(&cudnnGetConvolutionForwardWorkspaceSize) workspace_size = nullptr;
  decltype(&cudnnConvolutionForward) forward = nullptr;
  // Makes the shim load libcudnn_graph, _ops and _cnn and compare their versions; needs no GPU.
  // cudnn_lib() calls it before anything else: `probe.usable()` means those three loaded.
  decltype(&cudnnCnnVersionCheck) cnn_version_check = nullptr;
  std::string status(cudnnStatus_t s) const;
};
const Cudnn& cudnn_lib();

// ---- Owners ------------------------------------------------------------------------------------
// Owns one handle or descriptor of these libraries and frees it with `destroy` (an entry of a table
// above) when the owner goes, including when the constructor of the object holding it throws after
// creating it (C++ runs no destructor for an object whose constructor threw, only those of its
// members). Members are destroyed in reverse order of declaration: declare a library's handle
// before its descriptors.
template <class T, class R>
class LibObject {
 public:
  explicit LibObject(R (*destroy)(T)) : destroy_(destroy) {}
  ~LibObject() { reset(); }
  LibObject(const LibObject&) = delete;
  LibObject& operator=(const LibObject&) = delete;
  T* out() {  // for create(&h): frees what it held first
    reset();
    return &h_;
  }
  T get() const { return h_; }
  void reset() {
    if (h_ && destroy_) destroy_(h_);
    h_ = nullptr;
  }

 private:
  T h_ = nullptr;
  R (*destroy_)(T);
};
using CublasHandle = LibObject<cublasHandle_t, cublasStatus_t>;
using CublasLtHandle = LibObject<cublasLtHandle_t, cublasStatus_t>;
using CublasLtMatmulDesc = LibObject<cublasLtMatmulDesc_t, cublasStatus_t>;
using CublasLtLayout = LibObject<cublasLtMatrixLayout_t, cublasStatus_t>;
using CublasLtPreference = LibObject<cublasLtMatmulPreference_t, cublasStatus_t>;
using CudnnHandle = LibObject<cudnnHandle_t, cudnnStatus_t>;
using CudnnTensorDesc = LibObject<cudnnTensorDescriptor_t, cudnnStatus_t>;
using CudnnFilterDesc = LibObject<cudnnFilterDescriptor_t, cudnnStatus_t>;
using CudnnConvDesc = LibObject<cudnnConvolutionDescriptor_t, cudnnStatus_t>;

// ---- When a library is missing ----------------------------------------------------------------
// What the cublas and cudnn checks say when the library is not found, or found but unusable: the
// message and the fix, for a container image (use an image tag that has it) or a machine (install
// it; container = detect_container(...).detected).
struct LibraryAdvice {
  std::string message, hint;
};
LibraryAdvice cublas_missing_advice(bool container);                         // not found or not loadable
LibraryAdvice cudnn_missing_advice(bool container);                          // not found
LibraryAdvice cudnn_incomplete_advice(bool container, const std::string& why);  // found, unusable

// ---- cuBLAS / cuBLASLt rules -------------------------------------------------------------------
// cuBLAS math mode of gpuprobe's GEMMs with a 16-bit output: split-K partial sums are reduced in the
// compute type (FP32), not rounded to the output type first — the rounding model of the Freivalds
// check (one rounding of each output) then holds for every algorithm cuBLAS picks.
inline constexpr cublasMath_t kCublasNoReducedPrecisionReduction =
    static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
// The same for cuBLASLt (CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, a uint32_t): no split-K
// (CUBLASLT_REDUCTION_SCHEME_NONE, 0, always allowed) or partial sums kept in the compute type;
// excludes INPLACE and OUTPUT_TYPE, which reduce in the output type.
inline constexpr std::uint32_t kCublasLtReductionSchemeMask =
    CUBLASLT_REDUCTION_SCHEME_NONE | CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE;

// Why cuBLASLt's FP8 kernels cannot take an m x n x k GEMM in gpuprobe's FP8 layout ("TN": A stored
// k x m with lda = k, B k x n with ldb = k, both E4M3, 1 byte; C = D m x n BF16 with ldc = m), or ""
// when they can. cuBLASLt needs 16-byte aligned dimensions for FP8 (cublasLtMatmul and "Tensor Core
// Usage" in the cuBLAS docs): k * 1 byte and m * 2 bytes multiples of 16, i.e. k % 16 == 0 and
// m % 8 == 0; n is not constrained.
std::string cublaslt_fp8_shape_problem(std::int64_t m, std::int64_t n, std::int64_t k);

// ---- cuDNN rules -------------------------------------------------------------------------------
// cuDNN 9 statuses come in categories (CUDNN_STATUS_CATEGORY): 3000 and 3001..3014 all mean "not
// supported" (a shape, layout, data type, architecture ... cuDNN cannot do).
bool cudnn_not_supported(cudnnStatus_t s);
// A hint for statuses that mean a broken install: category 1000 (a sub-library that did not load or
// is of another version) and 3009 (NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE: what the shim returns when a
// sub-library is not found); "" for any other status.
std::string cudnn_status_hint(cudnnStatus_t s);
// cudnnGetVersion() as a version string: 9.x returns major*10000 + minor*100 + patch (91900 ->
// "9.19.0"), 8.x major*1000 + minor*100 + patch (8907 -> "8.9.7").
std::string cudnn_version_string(std::size_t v);
// "" when cudnnGetVersion() `v` is of the major gpuprobe is built for (CUDNN_MAJOR); otherwise why
// the library must not be used (its statuses, version formula and sub-libraries differ).
std::string cudnn_major_problem(std::size_t v);

const char* cudnn_algo_name(cudnnConvolutionFwdAlgo_t a);
const char* cudnn_math_name(cudnnMathType_t m);
// FFT, FFT_TILING, WINOGRAD, WINOGRAD_NONFUSED: transform-based algorithms. They do fewer
// multiplications than a direct convolution and round differently, so neither a FLOP count of
// 2*N*K*P*Q*C*R*S nor an error bound for dot products of R*S*C terms describes them.
bool cudnn_transform_algo(cudnnConvolutionFwdAlgo_t a);

// What gpuprobe accepts from the (algorithm, math type) pairs cudnnFind*/cudnnGet* return: the
// default for a check; bench's own in bench/src/gpu/conv_rules.hpp.
struct ConvAlgoRules {
  bool fma_math_only = false;        // only CUDNN_FMA_MATH entries (FP32 without TF32)
  bool direct_products_only = false;  // no transform-based algorithm (cudnn_transform_algo)
  std::size_t max_workspace = std::numeric_limits<std::size_t>::max();  // bytes
  std::string describe() const;  // for a benchmark's details
};
struct ConvAlgoChoice {
  int index = -1;                     // the entry chosen, -1 when none qualifies
  std::vector<std::string> verdicts;  // per entry: "" when acceptable, else why it was passed over
  // Every entry with its verdict ("IMPLICIT_GEMM/DEFAULT_MATH: not FMA math ..."; "; "-separated).
  std::string summary(const cudnnConvolutionFwdAlgoPerf_t* perf) const;
};
// The first acceptable entry of `perf` (cuDNN sorts them best first): status SUCCESS, then the rules.
// `status_name` names a status in the verdicts (the numeric code when empty).
ConvAlgoChoice choose_conv_fwd_algo(const cudnnConvolutionFwdAlgoPerf_t* perf, int count, const ConvAlgoRules& rules,
                                    const std::function<std::string(cudnnStatus_t)>& status_name = {});

}  // namespace gpuprobe
