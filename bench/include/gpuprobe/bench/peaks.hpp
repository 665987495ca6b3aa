// Theoretical peak rates of a GPU, for "% of peak" beside every throughput. Datasheet values
// for the GPUs of the AWS GPU families (dense, no sparsity), and an estimate from SM count,
// clock and per-architecture rates for any other GPU. Host-only.
#pragma once

#include <optional>
#include <string>

namespace gpuprobe::bench {

enum class Dtype { fp32, tf32, fp16, bf16, fp8 };
const char* to_string(Dtype d);
std::optional<Dtype> dtype_from_string(const std::string& s);

struct GpuPeaks {
  std::string model;           // table entry that matched, or "estimate (cc X.Y)"
  bool from_datasheet = false; // false: estimated from SMs x clock x per-SM rate
  // TFLOP/s, dense; nullopt where the GPU has no such unit (e.g. BF16 on a T4) or it is unknown.
  std::optional<double> fp32, tf32, fp16, bf16, fp8;
  std::optional<double> mem_gbps;  // DRAM bandwidth, GB/s (1e9 bytes)
  std::optional<double> tflops(Dtype d) const;
};

// gpu_name as CUDA reports it ("NVIDIA H100 80GB HBM3", "Tesla T4"); sm_clock_max_mhz may be 0
// when unknown (then estimates for unlisted GPUs have no compute peaks).
GpuPeaks peaks_for(const std::string& gpu_name, int cc_major, int cc_minor, int sm_count, int sm_clock_max_mhz);

}  // namespace gpuprobe::bench
