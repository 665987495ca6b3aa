#include "gpuprobe/gpu/blas_dnn.hpp"

#include <cuda_runtime_api.h>  // CUDART_VERSION

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
    c.probe.lib = open_library({"libcublas.so." + std::to_string(CUBLAS_VER_MAJOR), "libcublas.so"},
                               {"libcublasLt.so." + std::to_string(CUBLAS_VER_MAJOR)});
    if (!c.probe.lib.loaded()) {
      c.probe.missing = c.probe.lib.error();
      return c;
    }
    const DynLib& l = c.probe.lib;
    const bool ok = l.bind(c.create, "cublasCreate_v2") && l.bind(c.destroy, "cublasDestroy_v2") &&
                    l.bind(c.set_stream, "cublasSetStream_v2") && l.bind(c.set_math_mode, "cublasSetMathMode") &&
                    l.bind(c.get_property, "cublasGetProperty") &&
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
    c.probe.lib = open_library({"libcublasLt.so." + std::to_string(CUBLAS_VER_MAJOR), "libcublasLt.so"});
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
    // cuDNN's wheels for CUDA 12 and 13 both hold libcudnn.so.9: prefer the one for this build's CUDA.
    c.probe.lib = open_library({"libcudnn.so." + std::to_string(CUDNN_MAJOR)}, {},
                               "nvidia_cudnn_cu" + std::to_string(CUDART_VERSION / 1000));
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
        l.bind(c.algo_max_count, "cudnnGetConvolutionForwardAlgorithmMaxCount") &&
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

// ---- When a library is missing ----------------------------------------------------------------

LibraryAdvice cublas_missing_advice(bool container) {
  const std::string major = std::to_string(CUBLAS_VER_MAJOR);
  const std::string soname = "libcublas.so." + major;
  if (container)
    return {"this image has no usable cuBLAS (" + soname + ")",
            "use an nvidia/cuda:*-runtime-* or *-devel-* tag (the *-base-* images have no cuBLAS), or install "
            "libcublas for CUDA " + major};
  return {"this machine has no usable cuBLAS (" + soname + ")",
          "install cuBLAS for CUDA " + major + " (NVIDIA's libcublas-" + major +
              "-* package, or the CUDA toolkit); if it is installed elsewhere, add its folder to LD_LIBRARY_PATH"};
}

LibraryAdvice cudnn_missing_advice(bool container) {
  const std::string major = std::to_string(CUDNN_MAJOR), cuda = std::to_string(CUDART_VERSION / 1000);
  if (container)
    return {"this image has no cuDNN: use an nvidia/cuda:*-cudnn-* tag",
            "e.g. nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04, or install libcudnn" + major + " for your CUDA major"};
  return {"this machine has no cuDNN (libcudnn.so." + major + ")",
          "install cuDNN " + major + " for CUDA " + cuda + " (NVIDIA's libcudnn" + major + "-cuda-" + cuda +
              " package, or its tarball's libraries into the CUDA toolkit); if it is installed elsewhere, add its "
              "folder to LD_LIBRARY_PATH"};
}

LibraryAdvice cudnn_incomplete_advice(bool container, const std::string& why) {
  const std::string major = std::to_string(CUDNN_MAJOR);
  return {"cuDNN is found but unusable: " + why,
          "install all of cuDNN " + major + " (libcudnn" + major + ": every libcudnn_*.so." + major +
              " of one version, in one folder)" + (container ? ", or use an nvidia/cuda:*-cudnn-* image" : "")};
}

// ---- cuBLASLt rules ----------------------------------------------------------------------------

std::string cublaslt_fp8_shape_problem(std::int64_t m, std::int64_t /*n*/, std::int64_t k) {
  std::string broken;
  if (k % 16 != 0)
    broken = "k = " + std::to_string(k) + " (rows of the 1-byte E4M3 A and B, lda = ldb = k: k % 16 == 0 needed)";
  if (m % 8 != 0)
    broken += (broken.empty() ? "" : " and ") + std::string("m = ") + std::to_string(m) +
              " (rows of the 2-byte BF16 output, ldc = m: m % 8 == 0 needed)";
  if (broken.empty()) return "";
  return "cuBLASLt's FP8 GEMMs need every dimension 16-byte aligned; this shape breaks it with " + broken;
}

// ---- cuDNN rules -------------------------------------------------------------------------------

bool cudnn_not_supported(cudnnStatus_t s) { return CUDNN_STATUS_CATEGORY(s) == CUDNN_STATUS_NOT_SUPPORTED; }

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

namespace {
// cudnnGetVersion(): 9.x and later major*10000 + minor*100 + patch, 8.x major*1000 + minor*100 + patch.
std::size_t cudnn_major(std::size_t v) { return v >= 10000 ? v / 10000 : v / 1000; }
}  // namespace

std::string cudnn_version_string(std::size_t v) {
  const std::size_t minor = v >= 10000 ? (v % 10000) / 100 : (v % 1000) / 100;
  return std::to_string(cudnn_major(v)) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
}

std::string cudnn_major_problem(std::size_t v) {
  if (cudnn_major(v) == static_cast<std::size_t>(CUDNN_MAJOR)) return "";
  return "is cuDNN " + cudnn_version_string(v) + "; gpuprobe is built for cuDNN " + std::to_string(CUDNN_MAJOR) +
         " (install libcudnn" + std::to_string(CUDNN_MAJOR) + ")";
}

const char* cudnn_algo_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "?";
  }
}

const char* cudnn_math_name(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_DEFAULT_MATH: return "DEFAULT_MATH";
    case CUDNN_TENSOR_OP_MATH: return "TENSOR_OP_MATH";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: return "TENSOR_OP_MATH_ALLOW_CONVERSION";
    case CUDNN_FMA_MATH: return "FMA_MATH";
    default: return "?";
  }
}

bool cudnn_transform_algo(cudnnConvolutionFwdAlgo_t a) {
  return a == CUDNN_CONVOLUTION_FWD_ALGO_FFT || a == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD || a == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
}

std::string ConvAlgoRules::describe() const {
  std::string s = "the fastest result that succeeded";
  if (fma_math_only) s += ", FMA math only (no TF32)";
  if (direct_products_only)
    s += ", no FFT, FFT_TILING, WINOGRAD or WINOGRAD_NONFUSED (the verification's tolerance and the FLOP count "
         "assume direct products)";
  if (max_workspace != std::numeric_limits<std::size_t>::max())
    s += ", workspace <= " + std::to_string(max_workspace >> 20) + " MiB";
  return s;
}

ConvAlgoChoice choose_conv_fwd_algo(const cudnnConvolutionFwdAlgoPerf_t* perf, int count, const ConvAlgoRules& rules,
                                    const std::function<std::string(cudnnStatus_t)>& status_name) {
  auto mib = [](std::size_t b) { return std::to_string((b + (1u << 20) - 1) >> 20) + " MiB"; };
  ConvAlgoChoice c;
  for (int i = 0; i < count; ++i) {
    const cudnnConvolutionFwdAlgoPerf_t& p = perf[i];
    std::string why;
    if (p.status != CUDNN_STATUS_SUCCESS)
      why = "failed: " + (status_name ? status_name(p.status) : "cuDNN status " + std::to_string(static_cast<int>(p.status)));
    else if (rules.direct_products_only && cudnn_transform_algo(p.algo))
      why = "transform-based (fewer multiplications than counted, rounding outside the verification's model)";
    else if (rules.fma_math_only && p.mathType != CUDNN_FMA_MATH)
      why = "not FMA math (FP32 must not use TF32 tensor cores)";
    else if (p.memory > rules.max_workspace)
      why = "needs " + mib(p.memory) + " of workspace, over the " + mib(rules.max_workspace) + " allowed";
    if (why.empty() && c.index < 0) c.index = i;
    c.verdicts.push_back(std::move(why));
  }
  return c;
}

std::string ConvAlgoChoice::summary(const cudnnConvolutionFwdAlgoPerf_t* perf) const {
  std::string s;
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    if (!s.empty()) s += "; ";
    s += std::string(cudnn_algo_name(perf[i].algo)) + "/" + cudnn_math_name(perf[i].mathType) + ": " +
         (static_cast<int>(i) == index ? "chosen" : verdicts[i].empty() ? "usable" : verdicts[i]);
  }
  return s.empty() ? "cuDNN returned no algorithm" : s;
}

}  // namespace gpuprobe
