// TEMPORARY, deleted when the burn load (bench/src/burn_load.cpp, bench/src/gpu/burn_load.cpp) is
// merged: minimal definitions of bench/burn_load.hpp so that the binary links without it.
#include <stdexcept>

#include "gpuprobe/bench/burn_load.hpp"

namespace gpuprobe::bench {

const char* to_string(BurnLoadKind k) {
  switch (k) {
    case BurnLoadKind::gemm_fp32: return "gemm-fp32";
    case BurnLoadKind::gemm_bf16: return "gemm-bf16";
    case BurnLoadKind::memory: return "memory";
    case BurnLoadKind::mixed: return "mixed";
  }
  return "?";
}

bool parse_burn_load_kind(const std::string& name, BurnLoadKind& out) {
  for (const auto k : {BurnLoadKind::gemm_fp32, BurnLoadKind::gemm_bf16, BurnLoadKind::memory, BurnLoadKind::mixed})
    if (name == to_string(k)) {
      out = k;
      return true;
    }
  return false;
}

std::unique_ptr<BurnLoad> make_gpu_burn_load(const GpuInfo&, const BurnLoadOptions&) {
  throw std::runtime_error("burn load not built");
}

}  // namespace gpuprobe::bench
