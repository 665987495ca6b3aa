// Check 8: pinned H2D / D2H and D2D bandwidth on every GPU, data verified, H2D judged against what
// the PCIe link (read from NVML right after the copies) should deliver.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/device.hpp"
#include "gpuprobe/gpu/nvml_read.hpp"
#include "gpuprobe/gpu/seed.hpp"

namespace gpuprobe::checks {
namespace {

constexpr std::size_t kHostBytes = 64u << 20;   // per H2D/D2H copy
constexpr std::size_t kDevBytes = 256u << 20;   // per D2D copy
constexpr int kReps = 5;

// One GPU's copies: what they run on and between, made on the current device.
struct Buffers {
  Stream stream;
  EventTimer timer;
  PinnedBuffer h_src{kHostBytes}, h_dst{kHostBytes};
  DeviceBuffer d_a{kDevBytes}, d_b{kDevBytes};
  cudaStream_t s() const { return stream.get(); }
};

// Median bandwidth in GB/s of `reps` copies, `counted` bytes each.
double time_copies(Buffers& b, void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, double counted) {
  std::vector<double> gbps;
  for (int i = 0; i < kReps + 1; ++i) {
    const double seconds =
        b.timer.time(b.s(), [&] { GPUPROBE_CUDA_CALL(cudaMemcpyAsync(dst, src, bytes, kind, b.s())); });
    if (i > 0 && seconds > 0) gbps.push_back(counted / seconds / 1e9);  // first copy is the warm-up
  }
  std::sort(gbps.begin(), gbps.end());
  return gbps.empty() ? 0 : gbps[gbps.size() / 2];
}

}  // namespace

CheckResult transfer(ProbeContext& ctx) {
  if (!ctx.gpus_usable()) return skip_no_gpu(ctx);
  if (auto lost = skip_if_every_context_lost(ctx)) return *lost;
  const NvmlLib& nvml = nvml_lib();
  std::vector<Finding> fs;
  nlohmann::json per_gpu = nlohmann::json::array();
  std::string summary;
  for (const auto& g : ctx.gpus()) {
    if (untested_lost_gpu(ctx, g, fs)) continue;
    GPUPROBE_CUDA_CALL(cudaSetDevice(g.index));
    Buffers b;
    // Random content, so a copy that moves nothing or the wrong bytes cannot pass.
    std::uint64_t x = fresh_seed() | 1;
    auto* words = static_cast<std::uint64_t*>(b.h_src.get());
    for (std::size_t i = 0; i < kHostBytes / 8; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      words[i] = x;
    }
    std::memset(b.h_dst.get(), 0x5a, kHostBytes);

    const double h2d = time_copies(b, b.d_a.get(), b.h_src.get(), kHostBytes, cudaMemcpyHostToDevice, kHostBytes);
    // Read the link while it is still trained up from the copies.
    PcieLink link;
    if (nvml.usable())
      if (auto dev = nvml_handle_for(nvml, g)) link = nvml_read_pcie(nvml, *dev);
    const double d2h = time_copies(b, b.h_dst.get(), b.d_a.get(), kHostBytes, cudaMemcpyDeviceToHost, kHostBytes);
    const bool roundtrip_ok = std::memcmp(b.h_src.get(), b.h_dst.get(), kHostBytes) == 0;

    // D2D: fill the source from the verified block, copy, check every block of the destination.
    for (std::size_t off = 0; off < kDevBytes; off += kHostBytes)
      GPUPROBE_CUDA_CALL(cudaMemcpyAsync(static_cast<char*>(b.d_b.get()) + off, b.d_a.get(), kHostBytes, cudaMemcpyDeviceToDevice, b.s()));
    GPUPROBE_CUDA_CALL(cudaMemsetAsync(b.d_a.get(), 0, kDevBytes, b.s()));  // poison the destination
    const double d2d = time_copies(b, b.d_a.get(), b.d_b.get(), kDevBytes, cudaMemcpyDeviceToDevice, 2.0 * kDevBytes);
    bool d2d_ok = true;
    for (std::size_t off = 0; off < kDevBytes && d2d_ok; off += kHostBytes) {
      std::memset(b.h_dst.get(), 0, kHostBytes);
      GPUPROBE_CUDA_CALL(cudaMemcpyAsync(b.h_dst.get(), static_cast<char*>(b.d_a.get()) + off, kHostBytes, cudaMemcpyDeviceToHost, b.s()));
      GPUPROBE_CUDA_CALL(cudaStreamSynchronize(b.s()));
      d2d_ok = std::memcmp(b.h_src.get(), b.h_dst.get(), kHostBytes) == 0;
    }

    if (!roundtrip_ok)
      fs.push_back({Status::fail, "transfer_corrupt", gpu_label(g) + ": data changed on the H2D/D2H round trip",
                    "faulty link or memory: check dmesg for Xid/AER errors on the host"});
    if (!d2d_ok)
      fs.push_back({Status::fail, "transfer_corrupt", gpu_label(g) + ": device-to-device copy produced wrong data",
                    "faulty GPU memory: see the memory check"});
    auto pcie = evaluate_pcie(gpu_label(g), link, h2d);
    fs.insert(fs.end(), pcie.begin(), pcie.end());
    char line[160];
    std::snprintf(line, sizeof line, "%sGPU %d: H2D %.1f, D2H %.1f, D2D %.0f GB/s", summary.empty() ? "" : "; ", g.index,
                  h2d, d2h, d2d);
    summary += line;
    per_gpu.push_back({{"index", g.index},
                       {"h2d_gb_per_s", h2d},
                       {"d2h_gb_per_s", d2h},
                       {"d2d_gb_per_s", d2d},
                       {"d2d_counts", "bytes read + written"},
                       {"pcie_gen", link.gen_current ? nlohmann::json(*link.gen_current) : nlohmann::json()},
                       {"pcie_width", link.width_current ? nlohmann::json(*link.width_current) : nlohmann::json()},
                       {"verified", roundtrip_ok && d2d_ok}});
    // The report's gpus[] get the link as it is under load, not the idle reading the nvml check
    // stored (a PCIe 5 GPU idles at Gen 1 to save power).
    if (link.gen_current || link.width_current)
      ctx.report().with([&](Report& rep) {
        for (auto& rg : rep.gpus)
          if (rg.index == g.index) {
            if (link.gen_current) rg.pcie_gen_current = link.gen_current;
            if (link.width_current) rg.pcie_width_current = link.width_current;
          }
      });
  }
  CheckResult r = from_findings(fs, summary + " (pinned, verified)");
  if (r.status != Status::pass) r.message += " — " + summary;
  r.measured = summary;
  r.details["gpus"] = per_gpu;
  return r;
}

}  // namespace gpuprobe::checks
