#include "gpuprobe/probes/blas_dnn.hpp"

namespace gpuprobe {

std::string Cublas::status(cublasStatus_t s) const {
  return status_string ? std::string(status_string(s)) : "cuBLAS status " + std::to_string(static_cast<int>(s));
}

std::string CublasLt::status(cublasStatus_t s) const {
  return status_string ? std::string(status_string(s)) : "cuBLASLt status " + std::to_string(static_cast<int>(s));
}

std::string Cudnn::status(cudnnStatus_t s) const {
  return error_string ? std::string(error_string(s)) : "cuDNN status " + std::to_string(static_cast<int>(s));
}

const Cublas& cublas_lib() {
  static const Cublas lib = [] {
    Cublas c;
    c.probe.lib = DynLib::open({"libcublas.so." + std::to_string(CUBLAS_VER_MAJOR), "libcublas.so"});
    if (!c.probe.lib.loaded()) {
      c.probe.missing = c.probe.lib.error();
      return c;
    }
    const DynLib& l = c.probe.lib;
    const bool ok = l.bind(c.create, "cublasCreate_v2") && l.bind(c.destroy, "cublasDestroy_v2") &&
                    l.bind(c.set_stream, "cublasSetStream_v2") && l.bind(c.get_property, "cublasGetProperty") &&
                    l.bind(c.sgemm, "cublasSgemm_v2") && l.bind(c.gemm_ex, "cublasGemmEx");
    l.bind(c.status_string, "cublasGetStatusString");
    if (!ok) {
      c.probe.missing = l.path() + " lacks the GEMM entry points gpuprobe uses";
      return c;
    }
    int ma = 0, mi = 0, pa = 0;
    c.get_property(MAJOR_VERSION, &ma);
    c.get_property(MINOR_VERSION, &mi);
    c.get_property(PATCH_LEVEL, &pa);
    c.probe.version = std::to_string(ma) + "." + std::to_string(mi) + "." + std::to_string(pa);
    return c;
  }();
  return lib;
}

const CublasLt& cublaslt_lib() {
  static const CublasLt lib = [] {
    CublasLt c;
    c.probe.lib = DynLib::open({"libcublasLt.so." + std::to_string(CUBLAS_VER_MAJOR), "libcublasLt.so"});
    if (!c.probe.lib.loaded()) {
      c.probe.missing = c.probe.lib.error();
      return c;
    }
    const DynLib& l = c.probe.lib;
    const bool ok = l.bind(c.create, "cublasLtCreate") && l.bind(c.destroy, "cublasLtDestroy") &&
                    l.bind(c.get_version, "cublasLtGetVersion") && l.bind(c.desc_create, "cublasLtMatmulDescCreate") &&
                    l.bind(c.desc_destroy, "cublasLtMatmulDescDestroy") &&
                    l.bind(c.desc_set, "cublasLtMatmulDescSetAttribute") &&
                    l.bind(c.layout_create, "cublasLtMatrixLayoutCreate") &&
                    l.bind(c.layout_destroy, "cublasLtMatrixLayoutDestroy") &&
                    l.bind(c.pref_create, "cublasLtMatmulPreferenceCreate") &&
                    l.bind(c.pref_destroy, "cublasLtMatmulPreferenceDestroy") &&
                    l.bind(c.pref_set, "cublasLtMatmulPreferenceSetAttribute") &&
                    l.bind(c.heuristic, "cublasLtMatmulAlgoGetHeuristic") && l.bind(c.matmul, "cublasLtMatmul");
    l.bind(c.status_string, "cublasLtGetStatusString");
    if (!ok) {
      c.probe.missing = l.path() + " lacks the matmul entry points gpuprobe uses";
      return c;
    }
    const std::size_t v = c.get_version();  // major*10000 + minor*100 + patch
    c.probe.version = std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." + std::to_string(v % 100);
    return c;
  }();
  return lib;
}

const Cudnn& cudnn_lib() {
  static const Cudnn lib = [] {
    Cudnn c;
    c.probe.lib = DynLib::open({"libcudnn.so." + std::to_string(CUDNN_MAJOR), "libcudnn.so"});
    if (!c.probe.lib.loaded()) {
      c.probe.missing = c.probe.lib.error();
      return c;
    }
    const DynLib& l = c.probe.lib;
    const bool ok =
        l.bind(c.get_version, "cudnnGetVersion") && l.bind(c.error_string, "cudnnGetErrorString") &&
        l.bind(c.create, "cudnnCreate") && l.bind(c.destroy, "cudnnDestroy") && l.bind(c.set_stream, "cudnnSetStream") &&
        l.bind(c.create_tensor, "cudnnCreateTensorDescriptor") && l.bind(c.set_tensor, "cudnnSetTensor4dDescriptor") &&
        l.bind(c.destroy_tensor, "cudnnDestroyTensorDescriptor") &&
        l.bind(c.create_filter, "cudnnCreateFilterDescriptor") && l.bind(c.set_filter, "cudnnSetFilter4dDescriptor") &&
        l.bind(c.destroy_filter, "cudnnDestroyFilterDescriptor") &&
        l.bind(c.create_conv, "cudnnCreateConvolutionDescriptor") &&
        l.bind(c.set_conv, "cudnnSetConvolution2dDescriptor") && l.bind(c.set_math, "cudnnSetConvolutionMathType") &&
        l.bind(c.destroy_conv, "cudnnDestroyConvolutionDescriptor") &&
        l.bind(c.output_dim, "cudnnGetConvolution2dForwardOutputDim") &&
        l.bind(c.get_algo, "cudnnGetConvolutionForwardAlgorithm_v7") &&
        l.bind(c.find_algo, "cudnnFindConvolutionForwardAlgorithmEx") &&
        l.bind(c.workspace_size, "cudnnGetConvolutionForwardWorkspaceSize") &&
        l.bind(c.forward, "cudnnConvolutionForward");
    if (!c.get_version) {
      c.probe.missing = l.path() + " is not a cuDNN library";
      return c;
    }
    const std::size_t v = c.get_version();  // cuDNN 9: major*10000 + minor*100 + patch
    c.probe.version = std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." + std::to_string(v % 100);
    if (!ok) c.probe.missing = l.path() + " lacks the convolution entry points gpuprobe uses";
    return c;
  }();
  return lib;
}

}  // namespace gpuprobe
