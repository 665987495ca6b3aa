// Check 6: a kernel computes on fresh random data on every GPU; every element verified bit for bit
// against the CPU (fused multiply-add and an integer hash have exactly one right answer).
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstring>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "probe_kernels.hpp"

namespace gpuprobe::checks {

CheckResult kernel(ProbeContext& ctx) {
  if (!ctx.gpus_usable()) return skip_no_gpu(ctx);
  if (auto lost = skip_if_every_context_lost(ctx)) return *lost;
  constexpr std::size_t n = (1u << 20) + 37;  // not a multiple of any block size
  std::vector<Finding> fs;
  std::size_t total = 0;
  for (const auto& g : ctx.gpus()) {
    if (untested_lost_gpu(ctx, g, fs)) continue;
    const std::uint64_t seed = fresh_seed();
    const auto x = random_floats(n, seed);
    const float a = 1.0f + static_cast<float>(seed % 1000) / 997.0f, b = -0.5f;
    const auto hseed = static_cast<std::uint32_t>(seed >> 17);
    std::vector<float> y;
    std::vector<std::uint32_t> h;
    const int code = dev::run_compute_kernel(g.index, x, a, b, hseed, y, h);
    if (code != 0) {
      const auto e = static_cast<cudaError_t>(code);
      fs.push_back({Status::fail, "kernel_error",
                    gpu_label(g) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")",
                    code == cudaErrorNoKernelImageForDevice ? "see the arch check" : "check dmesg on the host for Xid errors"});
      continue;
    }
    std::size_t bad = 0, first = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const float want = std::fma(a, x[i], b);
      const bool ok = std::memcmp(&want, &y[i], sizeof want) == 0 && h[i] == dev::mix32(static_cast<std::uint32_t>(i), hseed);
      if (!ok && bad++ == 0) first = i;
    }
    total += n;
    if (bad)
      fs.push_back({Status::fail, "wrong_result",
                    gpu_label(g) + ": " + std::to_string(bad) + " of " + std::to_string(n) +
                        " elements wrong (first at " + std::to_string(first) + ")",
                    "a GPU that computes wrong answers on simple arithmetic is faulty: drain it and report it"});
  }
  CheckResult r = from_findings(fs, "FMA and integer hash kernel: all " + std::to_string(total) +
                                        " elements bit-exact on every GPU");
  r.measured = std::to_string(total) + " elements checked";
  return r;
}

}  // namespace gpuprobe::checks
