// Loading cuBLAS and cuDNN takes hundreds of milliseconds from a cold page cache (libcublasLt and
// cuDNN's engine libraries are hundreds of megabytes). Once the driver is known to work, a
// background thread loads them while the driver, device, memory and transfer checks use the GPU;
// the cublas and cudnn checks then find them loaded. dlopen of a loaded library returns the same
// handle, so nothing else changes.
#include <cublas_api.h>
#include <cudnn_version.h>

#include <string>
#include <vector>

#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/dynlib.hpp"
#include "gpuprobe/probes/runner.hpp"

namespace gpuprobe {

std::vector<std::string> prefetch_sonames(bool cublas, bool cudnn) {
  std::vector<std::string> names;
  if (cublas) names.push_back("libcublas.so." + std::to_string(CUBLAS_VER_MAJOR));  // pulls in libcublasLt
  if (cudnn)
    for (const char* lib : {"libcudnn.so.", "libcudnn_graph.so.", "libcudnn_ops.so.", "libcudnn_cnn.so.",
                            "libcudnn_heuristic.so.", "libcudnn_engines_precompiled.so."})
      names.push_back(lib + std::to_string(CUDNN_MAJOR));
  return names;
}

void ProbeContext::start_prefetch() {
  const auto names = prefetch_sonames(is_selected("cublas", opts_.only, opts_.skip),
                                      is_selected("cudnn", opts_.only, opts_.skip));
  const auto off = sys_.getenv("GPUPROBE_NO_PREFETCH");
  if (names.empty() || prefetch_.joinable() || (off && !off->empty() && *off != "0")) return;
  prefetch_ = std::thread([names] {
    for (const auto& n : names) DynLib::open({n});  // a failure is the checks' to report
  });
}

ProbeContext::~ProbeContext() {
  if (prefetch_.joinable()) prefetch_.join();
}

}  // namespace gpuprobe
