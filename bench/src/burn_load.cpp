// The host side of burn's per-GPU load: the load names and the sizing rules (burn_plan.hpp).
#include <algorithm>
#include <cmath>

#include "gpuprobe/bench/burn_load.hpp"
#include "gpuprobe/bench/burn_plan.hpp"

namespace gpuprobe::bench {

const char* to_string(BurnLoadKind k) {
  switch (k) {
    case BurnLoadKind::gemm_fp32: return "gemm-fp32";
    case BurnLoadKind::gemm_bf16: return "gemm-bf16";
    case BurnLoadKind::memory: return "memory";
    case BurnLoadKind::mixed: return "mixed";
  }
  return "unknown";
}

bool parse_burn_load_kind(const std::string& name, BurnLoadKind& out) {
  for (BurnLoadKind k : {BurnLoadKind::gemm_fp32, BurnLoadKind::gemm_bf16, BurnLoadKind::memory, BurnLoadKind::mixed})
    if (name == to_string(k)) {
      out = k;
      return true;
    }
  return false;
}

int burn_gemm_size(int sm_count, std::uint64_t free_bytes, std::uint64_t bytes_per_n2) {
  int n = sm_count >= 64 ? 8192 : sm_count >= 16 ? 4096 : 2048;
  const auto fits = [&](int side) {
    return static_cast<std::uint64_t>(side) * static_cast<std::uint64_t>(side) * bytes_per_n2 <= free_bytes / 2;
  };
  while (n > 1024 && !fits(n)) n /= 2;
  return fits(n) ? n : 0;
}

int burn_repeats(double step_seconds, double seconds_per_run) {
  if (!(seconds_per_run > 0) || !std::isfinite(seconds_per_run) || !(step_seconds > 0)) return 1;
  const double r = std::round(step_seconds / seconds_per_run);
  return static_cast<int>(std::clamp(r, 1.0, static_cast<double>(kBurnMaxRepeats)));
}

std::uint64_t burn_memory_words(std::uint64_t free_bytes, double fraction) {
  constexpr std::uint64_t margin = 256ull << 20, mib_words = (1ull << 20) / 4, min_words = (64ull << 20) / 4;
  if (!(fraction > 0)) return 0;  // NaN too
  fraction = std::min(fraction, 1.0);
  const double usable = std::min(static_cast<double>(free_bytes) * fraction,
                                 static_cast<double>(free_bytes > margin ? free_bytes - margin : 0));
  const auto words = static_cast<std::uint64_t>(usable / 2 / 4) / mib_words * mib_words;
  return words < min_words ? 0 : words;
}

BurnCheck burn_check_mode(bool second_equals_first, bool second_passes_freivalds) {
  if (second_equals_first) return BurnCheck::bitwise;
  return second_passes_freivalds ? BurnCheck::freivalds : BurnCheck::wrong;
}

std::string burn_error_text(const std::string& what, const std::string& lost) {
  if (lost.empty()) return what;
  return what + "; the GPU's CUDA context is lost (" + lost + "): every CUDA call on it fails until the process ends";
}

}  // namespace gpuprobe::bench
