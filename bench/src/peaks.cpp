#include "gpuprobe/bench/peaks.hpp"

#include <algorithm>
#include <cctype>

namespace gpuprobe::bench {

const char* to_string(Dtype d) {
  switch (d) {
    case Dtype::fp32: return "fp32";
    case Dtype::tf32: return "tf32";
    case Dtype::fp16: return "fp16";
    case Dtype::bf16: return "bf16";
    case Dtype::fp8: return "fp8";
  }
  return "?";
}

std::optional<Dtype> dtype_from_string(const std::string& s) {
  for (Dtype d : {Dtype::fp32, Dtype::tf32, Dtype::fp16, Dtype::bf16, Dtype::fp8})
    if (s == to_string(d)) return d;
  return std::nullopt;
}

std::optional<double> GpuPeaks::tflops(Dtype d) const {
  switch (d) {
    case Dtype::fp32: return fp32;
    case Dtype::tf32: return tf32;
    case Dtype::fp16: return fp16;
    case Dtype::bf16: return bf16;
    case Dtype::fp8: return fp8;
  }
  return std::nullopt;
}

namespace {

struct Row {
  const char* needle;  // matched case-insensitively against the CUDA device name, first match wins
  const char* model;
  double fp32, tf32, fp16, bf16, fp8, mem;  // 0 = none / unknown
};

// Dense datasheet peaks (NVIDIA datasheets; see ../shared/reference/facts.md). Order matters:
// "H100 PCIe" before "H100", "L40S" before "L4", "A100 80GB" before "A100".
const Row kTable[] = {
    {"h200", "H200 SXM", 67, 494.7, 989.4, 989.4, 1978.9, 4800},
    {"h100 pcie", "H100 PCIe", 51, 378, 756, 756, 1513, 2000},
    {"h100", "H100 SXM", 67, 494.7, 989.4, 989.4, 1978.9, 3350},
    {"a100-sxm4-80gb", "A100 SXM 80GB", 19.5, 156, 312, 312, 0, 2039},
    {"a100", "A100 SXM 40GB", 19.5, 156, 312, 312, 0, 1555},
    {"l40s", "L40S", 91.6, 183, 362, 362, 733, 864},
    {"l4", "L4", 30.3, 60, 121, 121, 242, 300},
    {"a10g", "A10G", 31.2, 0, 70, 70, 0, 600},  // AWS publishes no tensor figures: ~70 is approximate
    {"t4", "T4", 8.1, 0, 65, 0, 0, 320},
    {"v100", "V100 SXM2", 15.7, 0, 125, 0, 0, 900},
    {"k80", "K80 (one GK210)", 4.4, 0, 0, 0, 0, 240},
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<double> opt(double v) { return v > 0 ? std::optional<double>(v) : std::nullopt; }

// FP32 lanes per SM by architecture (CUDA programming guide, arithmetic instruction throughput).
int fp32_lanes_per_sm(int cc_major, int cc_minor) {
  const int cc = cc_major * 10 + cc_minor;
  if (cc >= 86) return 128;              // GA10x, Ada, Hopper, Blackwell
  if (cc >= 70 || cc == 60) return 64;   // Volta, Turing, A100; P100
  if (cc >= 50) return 128;              // Maxwell, consumer Pascal
  return 192;                            // Kepler
}

}  // namespace

// Variants whose names contain a table needle but whose peaks differ (lower power, other memory):
// "NVIDIA H200 NVL", "NVIDIA H100 NVL" (PCIe cards), "NVIDIA GH200 480GB" (H100 or H200 die, HBM3 or
// HBM3e). No datasheet row is kept for them here, so they get the estimate rather than a row that
// looks right and is not.
const char* const kNotInTable[] = {"nvl", "gh200", "gb200"};

GpuPeaks peaks_for(const std::string& gpu_name, int cc_major, int cc_minor, int sm_count, int sm_clock_max_mhz) {
  const std::string name = lower(gpu_name);
  bool variant = false;
  for (const char* v : kNotInTable) variant = variant || name.find(v) != std::string::npos;
  for (const auto& r : kTable) {
    if (variant || name.find(r.needle) == std::string::npos) continue;
    GpuPeaks p;
    p.model = r.model;
    p.from_datasheet = true;
    p.fp32 = opt(r.fp32);
    p.tf32 = opt(r.tf32);
    p.fp16 = opt(r.fp16);
    p.bf16 = opt(r.bf16);
    p.fp8 = opt(r.fp8);
    p.mem_gbps = opt(r.mem);
    return p;
  }
  GpuPeaks p;
  p.model = "estimate (cc " + std::to_string(cc_major) + "." + std::to_string(cc_minor) + ")";
  if (sm_count > 0 && sm_clock_max_mhz > 0)
    p.fp32 = 2.0 * sm_count * fp32_lanes_per_sm(cc_major, cc_minor) * sm_clock_max_mhz * 1e6 / 1e12;
  return p;
}

}  // namespace gpuprobe::bench
