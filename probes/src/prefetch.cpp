// Loading cuBLAS and cuDNN takes hundreds of milliseconds from a cold page cache (libcublasLt and
// cuDNN's engine libraries are hundreds of megabytes). Once the driver is known to work, a
// background thread loads them while the driver, device, memory and transfer checks use the GPU;
// the cublas and cudnn checks then find them loaded (the same function-local statics), and the
// cuDNN engines the shim would load at the first convolution are already mapped.
#include <cublas_api.h>
#include <cudnn_version.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gpuprobe/gpu/blas_dnn.hpp"
#include "gpuprobe/gpu/dynlib.hpp"
#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/runner.hpp"

namespace gpuprobe {

std::vector<std::string> cudnn_prefetch_sonames() {
  std::vector<std::string> names;
  for (const char* lib : {"libcudnn_heuristic.so.", "libcudnn_engines_precompiled.so."})
    names.push_back(lib + std::to_string(CUDNN_MAJOR));
  return names;
}

void ProbeContext::start_prefetch() {
  const bool cublas = is_selected("cublas", opts_.only, opts_.skip);
  const bool cudnn = is_selected("cudnn", opts_.only, opts_.skip);
  const auto off = sys_.getenv("GPUPROBE_NO_PREFETCH");
  if ((!cublas && !cudnn) || prefetch_.joinable() || (off && !off->empty() && *off != "0")) return;
  prefetch_ = std::thread([cublas, cudnn] {
    // Through the loaders the checks use (the loader's paths, else a CUDA toolkit folder, else a pip
    // wheel), so that what is loaded here is what they will use, never a stray copy of a
    // sub-library from elsewhere.
    // Failures are the checks' to report.
    if (cublas) (void)cublas_lib();  // libcublas and libcublasLt
    if (cudnn) {
      const Cudnn& dnn = cudnn_lib();  // the shim; graph, ops and cnn through cudnnCnnVersionCheck
      if (dnn.probe.usable()) {
        // What the shim loads only when a convolution is planned, from its own folder.
        const std::string dir = std::filesystem::path(dnn.probe.lib.path()).parent_path().string();
        for (const auto& n : cudnn_prefetch_sonames()) (void)DynLib::open({dir + "/" + n});
      }
    }
  });
}

ProbeContext::~ProbeContext() {
  if (prefetch_.joinable()) prefetch_.join();
}

}  // namespace gpuprobe
