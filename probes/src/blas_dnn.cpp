#include "gpuprobe/probes/blas_dnn.hpp"

#include <filesystem>
#include <system_error>

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
    // Only the major gpuprobe is built for: an unversioned libcudnn.so may be another major (cuDNN 8
    // numbers its statuses and versions differently and has other sub-libraries).
    c.probe.lib = DynLib::open({"libcudnn.so." + std::to_string(CUDNN_MAJOR)});
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
        l.bind(c.forward, "cudnnConvolutionForward") && l.bind(c.cnn_version_check, "cudnnCnnVersionCheck");
    if (!c.get_version || !c.cnn_version_check) {
      c.probe.missing = l.path() + " is not a cuDNN " + std::to_string(CUDNN_MAJOR) + " library";
      return c;
    }
    // libcudnn.so.9 is a shim: it loads libcudnn_graph, _ops and _cnn (next to itself, or from the
    // loader's paths) at the first call into each and forwards the call. When the sub-library does not
    // load, some entry points end the process (cuDNN 9.19: cudnnGetVersion and cudnnGetErrorString print
    // "Invalid handle. Cannot load symbol ..." and abort). cudnnCnnVersionCheck returns a status
    // instead, needs no GPU, and loads _cnn with the _ops and _graph it depends on, comparing their
    // versions: ask it first, and call nothing else unless it succeeds.
    if (const cudnnStatus_t st = c.cnn_version_check(); st != CUDNN_STATUS_SUCCESS) {
      std::error_code ec;
      const auto real = std::filesystem::canonical(l.path(), ec);
      if (!ec) c.probe.version = version_from_library_path(real.string());
      const std::string hint = cudnn_status_hint(st);
      c.probe.missing = l.path() + ": cudnnCnnVersionCheck returned status " + std::to_string(static_cast<int>(st)) +
                        (hint.empty() ? "" : " (" + hint + ")");
      return c;
    }
    const std::size_t v = c.get_version();
    c.probe.version = cudnn_version_string(v);
    if (const std::string wrong = cudnn_major_problem(v); !wrong.empty())
      c.probe.missing = l.path() + " " + wrong;
    else if (!ok)
      c.probe.missing = l.path() + " lacks the convolution entry points gpuprobe uses";
    return c;
  }();
  return lib;
}

// ---- cuDNN rules -------------------------------------------------------------------------------

std::string cudnn_status_hint(cudnnStatus_t s) {
  const std::string sub = "libcudnn_*.so." + std::to_string(CUDNN_MAJOR);
  switch (s) {
    case CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED:
    case CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE:
      return "a cuDNN sub-library (" + sub +
             ") did not load: the install is incomplete, or its files are not next to libcudnn.so." +
             std::to_string(CUDNN_MAJOR) + " nor on the loader's paths";
    case CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH:
      return "the cuDNN sub-libraries (" + sub +
             ") are of different versions: two cuDNN installs are mixed (LD_LIBRARY_PATH, pip wheels, system packages)";
    default:
      if (CUDNN_STATUS_CATEGORY(s) == 1000 && s != CUDNN_STATUS_SUCCESS)
        return "cuDNN could not initialise: check that its sub-libraries (" + sub + ") are complete and of one version";
      return "";
  }
}

std::string cudnn_version_string(std::size_t v) {
  const std::size_t major = v >= 10000 ? v / 10000 : v / 1000;
  const std::size_t minor = v >= 10000 ? (v % 10000) / 100 : (v % 1000) / 100;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
}

std::string cudnn_major_problem(std::size_t v) {
  const std::size_t major = v >= 10000 ? v / 10000 : v / 1000;
  if (major == static_cast<std::size_t>(CUDNN_MAJOR)) return "";
  return "is cuDNN " + cudnn_version_string(v) + "; gpuprobe is built for cuDNN " + std::to_string(CUDNN_MAJOR) +
         " (install libcudnn" + std::to_string(CUDNN_MAJOR) + ")";
}

}  // namespace gpuprobe
