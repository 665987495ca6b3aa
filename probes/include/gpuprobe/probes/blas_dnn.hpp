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
#include <string>

#include "gpuprobe/probes/gpu_libs.hpp"

namespace gpuprobe {

struct Cublas {
  LibraryProbe probe;
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
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

// ---- cuDNN rules -------------------------------------------------------------------------------
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

}  // namespace gpuprobe
