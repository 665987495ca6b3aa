// Check 7: pattern test over a share of free device memory (walking ones/zeros, random, address in
// address), every 32-bit word checked on the GPU, errors counted and located; NVML's volatile ECC
// counters and row-remap state compared before and after.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/nvml_read.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/report/render.hpp"
#include "probe_kernels.hpp"

namespace gpuprobe::checks {

CheckResult memory(ProbeContext& ctx) {
  if (!ctx.gpus_usable()) return skip_no_gpu(ctx);
  if (auto lost = skip_if_every_context_lost(ctx)) return *lost;
  const double fraction = ctx.options().mem_fraction;
  std::vector<Finding> fs;
  nlohmann::json per_gpu = nlohmann::json::array();
  std::uint64_t tested_total = 0;
  double gbps_min = 0;
  // On an ECC GPU (every data-center GPU; always on for HBM) a single-bit fault is corrected in
  // hardware and a double-bit one raises an error, so the pattern compare rarely sees a bad word:
  // NVML's volatile counters, read before and after the test, carry the evidence.
  const NvmlLib& nvml = nvml_lib();
  std::vector<std::string> ecc_notes;
  for (const auto& g : ctx.gpus()) {
    if (untested_lost_gpu(ctx, g, fs)) continue;
    std::size_t free_b = 0, total_b = 0;
    if (cudaSetDevice(g.index) != cudaSuccess || cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
      fs.push_back({Status::fail, "memory_info", gpu_label(g) + ": cudaMemGetInfo failed", ""});
      continue;
    }
    std::size_t bytes = static_cast<std::size_t>(static_cast<double>(free_b) * fraction);
    NvmlHandle nvml_dev;
    EccCounters ecc_before, ecc_after;
    if (nvml.usable() && (nvml_dev = nvml_handle_for(nvml, g))) ecc_before = nvml_read_ecc_counters(nvml, *nvml_dev);
    dev::MemtestResult res;
    int code = cudaErrorMemoryAllocation;
    // Free memory can shrink between the query and the allocation (other processes): halve and retry.
    for (int attempt = 0; attempt < 4 && code == cudaErrorMemoryAllocation && bytes >= (1u << 20); ++attempt) {
      code = dev::memtest(g.index, bytes, static_cast<std::uint32_t>(fresh_seed()), res);
      if (code == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        bytes /= 2;
      }
    }
    // Read even after a failed test: an uncorrectable error (214) is exactly when the counters matter.
    if (nvml_dev) ecc_after = nvml_read_ecc_counters(nvml, *nvml_dev);
    const auto ecc = evaluate_ecc_during_test(gpu_label(g), ecc_before, ecc_after);
    const std::string ecc_note = !nvml.usable() ? "ECC counters not read (no NVML)"
                                 : !nvml_dev    ? "ECC counters not read (" + nvml_return_name(nvml_dev.code) + ")"
                                                : describe_ecc_during_test(ecc_before, ecc_after);
    const nlohmann::json ecc_json = {
        {"corrected_before", ecc_before.corrected ? nlohmann::json(*ecc_before.corrected) : nlohmann::json()},
        {"corrected_after", ecc_after.corrected ? nlohmann::json(*ecc_after.corrected) : nlohmann::json()},
        {"uncorrected_before", ecc_before.uncorrected ? nlohmann::json(*ecc_before.uncorrected) : nlohmann::json()},
        {"uncorrected_after", ecc_after.uncorrected ? nlohmann::json(*ecc_after.uncorrected) : nlohmann::json()},
        {"remap_pending_after", ecc_after.remap_pending ? nlohmann::json(*ecc_after.remap_pending) : nlohmann::json()},
        {"note", ecc_note}};
    if (code != cudaSuccess) {
      const auto e = static_cast<cudaError_t>(code);
      fs.push_back(evaluate_memtest_error(gpu_label(g), code, cudaGetErrorName(e), cudaGetErrorString(e)));
      fs.insert(fs.end(), ecc.begin(), ecc.end());
      per_gpu.push_back({{"index", g.index}, {"error", cudaGetErrorName(e)}, {"ecc", ecc_json}});
      continue;
    }
    fs.insert(fs.end(), ecc.begin(), ecc.end());
    if (!ecc_note.empty() && std::find(ecc_notes.begin(), ecc_notes.end(), ecc_note) == ecc_notes.end())
      ecc_notes.push_back(ecc_note);
    tested_total += res.bytes_tested;
    // 4 patterns x (write + read) passes over the buffer.
    const double gbps = res.seconds > 0 ? 8.0 * static_cast<double>(res.bytes_tested) / res.seconds / 1e9 : 0;
    if (gbps_min == 0 || gbps < gbps_min) gbps_min = gbps;
    nlohmann::json row = {{"index", g.index},   {"bytes", res.bytes_tested}, {"errors", res.errors},
                          {"seconds", res.seconds}, {"gb_per_s", gbps},    {"errors_by_pattern", res.errors_by_pattern},
                          {"first_bad_offsets", res.first_bad}, {"l2_flushed", res.l2_flushed},
                          {"ecc", ecc_json}};
    per_gpu.push_back(row);
    if (res.errors) {
      std::ostringstream where;
      where << std::hex;
      for (std::size_t i = 0; i < res.first_bad.size() && i < 4; ++i) where << (i ? ", " : "") << "+0x" << res.first_bad[i];
      std::ostringstream pats;
      for (std::size_t p = 0; p < res.errors_by_pattern.size(); ++p)
        if (res.errors_by_pattern[p]) pats << (pats.tellp() > 0 ? ", " : "") << dev::kMemtestPatterns[p] << " " << res.errors_by_pattern[p];
      fs.push_back({Status::fail, "memory_errors",
                    gpu_label(g) + ": " + std::to_string(res.errors) + " bad words in " + format_bytes(res.bytes_tested) +
                        " (" + pats.str() + "; at " + where.str() + ")",
                    "faulty GPU memory: drain the GPU, check NVML ECC/row-remap counters, on EC2 stop/start the instance"});
    }
  }
  char ok[160];
  std::snprintf(ok, sizeof ok, "%s tested with 4 patterns, 0 errors (%.0f GB/s effective)",
                format_bytes(tested_total).c_str(), gbps_min);
  std::string ok_msg = ok;
  if (ecc_notes.size() == 1) ok_msg += "; " + ecc_notes[0];
  else if (ecc_notes.size() > 1) ok_msg += "; ECC counters: see details";
  CheckResult r = from_findings(fs, ok_msg);
  r.measured = format_bytes(tested_total) + " tested";
  r.expected = "0 errors";
  r.details["gpus"] = per_gpu;
  r.details["fraction_of_free"] = fraction;
  return r;
}

}  // namespace gpuprobe::checks
