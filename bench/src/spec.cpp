#include "gpuprobe/bench/spec.hpp"

#include <regex>
#include <stdexcept>

namespace gpuprobe::bench {
namespace {

constexpr unsigned kSmoke = 1u << static_cast<unsigned>(Suite::smoke);
constexpr unsigned kStandard = 1u << static_cast<unsigned>(Suite::standard);
constexpr unsigned kFull = 1u << static_cast<unsigned>(Suite::full);
constexpr unsigned kAll = kSmoke | kStandard | kFull;
constexpr unsigned kStdFull = kStandard | kFull;

unsigned square_suites(int size, const std::vector<int>& smoke, const std::vector<int>& standard,
                       const std::vector<int>& full) {
  auto has = [size](const std::vector<int>& v) {
    for (int x : v)
      if (x == size) return true;
    return false;
  };
  return (has(smoke) ? kSmoke : 0u) | (has(standard) ? kStandard : 0u) | (has(full) ? kFull : 0u);
}

struct GemmImpl {
  const char* impl;
  Dtype dtype;
  const char* baseline;  // "" for a library
  bool slow;             // naive kernels: smaller square sizes
};
constexpr GemmImpl kGemmImpls[] = {
    {"cublas", Dtype::fp32, "", false},
    {"cublas", Dtype::tf32, "", false},
    {"cublas", Dtype::fp16, "", false},
    {"cublas", Dtype::bf16, "", false},
    {"cublaslt", Dtype::bf16, "", false},
    {"cublaslt", Dtype::fp8, "", false},
    {"naive", Dtype::fp32, "matmul/cublas/fp32", true},
    {"smem_tiled", Dtype::fp32, "matmul/cublas/fp32", true},
    {"register_blocked", Dtype::fp32, "matmul/cublas/fp32", false},
    {"warp_tiled", Dtype::fp32, "matmul/cublas/fp32", false},
    {"mma_sync", Dtype::fp16, "matmul/cublas/fp16", false},
    {"mma_sync", Dtype::bf16, "matmul/cublas/bf16", false},
    {"wgmma", Dtype::fp16, "matmul/cublas/fp16", false},
    {"wgmma", Dtype::bf16, "matmul/cublas/bf16", false},
};

// DeepBench GEMM kernels (training and inference shapes), m x n x k.
struct NamedGemm {
  const char* label;
  GemmShape shape;
};
constexpr NamedGemm kDeepBenchGemm[] = {
    {"deepbench train", {1760, 128, 1760}},  {"deepbench train", {2560, 7000, 2560}},
    {"deepbench train", {5124, 9124, 2560}}, {"deepbench train", {35, 8457, 2560}},
    {"deepbench infer", {7680, 16, 2560}},   {"deepbench infer", {3072, 1, 1024}},
};

BenchSpec gemm_spec(const GemmImpl& g, const char* label, GemmShape s, unsigned suites) {
  BenchSpec b;
  b.family = Family::matmul;
  b.impl = g.impl;
  b.variant = to_string(g.dtype);
  b.label = label;
  b.gemm = s;
  b.params = {{"m", s.m}, {"n", s.n}, {"k", s.k}, {"dtype", to_string(g.dtype)}};
  b.work_kind = Work::flops;
  b.work = 2.0 * s.m * s.n * static_cast<double>(s.k);
  b.dtype = g.dtype;
  b.baseline = g.baseline;
  b.suites = suites;
  return b;
}

// ResNet-50 (v1.5) convolution layers at batch 32, and two DeepBench shapes. pad, stride per axis.
struct NamedConv {
  const char* label;
  ConvShape shape;
  unsigned suites;
};
ConvShape conv(int n, int hw, int c, int k, int rs, int pad, int stride) {
  ConvShape s;
  s.n = n;
  s.h = s.w = hw;
  s.c = c;
  s.k = k;
  s.r = s.s = rs;
  s.pad_h = s.pad_w = pad;
  s.stride_h = s.stride_w = stride;
  return s;
}
ConvShape deepbench_speech() {  // DeepSpeech front end: 161 x 700 spectrogram, 5 x 20 filter
  ConvShape s;
  s.n = 8, s.h = 161, s.w = 700, s.c = 1, s.k = 32, s.r = 5, s.s = 20, s.stride_h = 2, s.stride_w = 2;
  return s;
}
const std::vector<NamedConv>& conv_table() {
  static const std::vector<NamedConv> t = {
      {"resnet50 conv1 7x7/2", conv(32, 224, 3, 64, 7, 3, 2), kFull},
      {"resnet50 conv2_x 1x1", conv(32, 56, 64, 256, 1, 0, 1), kFull},
      {"resnet50 conv2_x 3x3", conv(32, 56, 64, 64, 3, 1, 1), kStdFull},
      {"resnet50 conv3_x 3x3", conv(32, 28, 128, 128, 3, 1, 1), kAll},
      {"resnet50 conv3_x 3x3/2", conv(32, 56, 128, 128, 3, 1, 2), kFull},
      {"resnet50 conv4_x 1x1", conv(32, 14, 1024, 256, 1, 0, 1), kFull},
      {"resnet50 conv4_x 3x3", conv(32, 14, 256, 256, 3, 1, 1), kStdFull},
      {"resnet50 conv5_x 3x3", conv(32, 7, 512, 512, 3, 1, 1), kStdFull},
      {"deepbench speech 5x20/2", deepbench_speech(), kFull},
      {"deepbench vision 3x3/2", conv(16, 112, 64, 128, 3, 1, 2), kFull},
  };
  return t;
}

struct ConvImpl {
  const char* impl;
  Dtype dtype;
  const char* baseline;
  unsigned suites;  // intersected with the shape's
};
constexpr ConvImpl kConvImpls[] = {
    {"cudnn", Dtype::fp32, "", kAll},
    {"cudnn", Dtype::fp16, "", kAll},
    {"cudnn", Dtype::bf16, "", kStdFull},
    {"implicit_gemm", Dtype::fp32, "conv/cudnn/fp32", kAll},
    {"direct", Dtype::fp32, "conv/cudnn/fp32", kAll},
};

BenchSpec conv_spec(const ConvImpl& ci, const NamedConv& nc) {
  BenchSpec b;
  b.family = Family::conv;
  b.impl = ci.impl;
  b.variant = to_string(ci.dtype);
  b.label = nc.label;
  b.conv = nc.shape;
  const auto& s = nc.shape;
  b.params = {{"n", s.n},        {"h", s.h},        {"w", s.w},           {"c", s.c},
              {"k", s.k},        {"r", s.r},        {"s", s.s},           {"pad_h", s.pad_h},
              {"pad_w", s.pad_w}, {"stride_h", s.stride_h}, {"stride_w", s.stride_w}, {"dil_h", s.dil_h},
              {"dil_w", s.dil_w}, {"dtype", to_string(ci.dtype)}};
  b.work_kind = Work::flops;
  b.work = s.flops();
  b.dtype = ci.dtype;
  b.baseline = ci.baseline;
  b.suites = ci.suites & nc.suites;
  return b;
}

struct MemImpl {
  const char* impl;
  const char* op;
  double traffic;  // bytes moved per byte of buffer
  bool device;     // bound by device memory (DRAM peak applies)
  const char* baseline;
  unsigned suites;
};
constexpr MemImpl kMemImpls[] = {
    {"memcpy", "d2d", 2, true, "", kAll},
    {"stream", "copy", 2, true, "memory/memcpy/d2d", kAll},
    {"stream", "scale", 2, true, "memory/memcpy/d2d", kStdFull},
    {"stream", "triad", 3, true, "memory/memcpy/d2d", kAll},
    {"stream", "reduce", 1, true, "", kAll},
    {"memcpy", "h2d_pinned", 1, false, "", kAll},
    {"memcpy", "d2h_pinned", 1, false, "", kAll},
    {"memcpy", "h2d_pageable", 1, false, "", kStdFull},
    {"memcpy", "d2h_pageable", 1, false, "", kStdFull},
};

BenchSpec mem_spec(const MemImpl& mi, std::uint64_t bytes, unsigned suites) {
  BenchSpec b;
  b.family = Family::memory;
  b.impl = mi.impl;
  b.variant = mi.op;
  b.label = mi.device ? "device memory" : "PCIe";
  b.bytes = bytes;
  b.params = {{"bytes", bytes}, {"dtype", "fp32"}};
  b.work_kind = Work::bytes;
  b.work = mi.traffic * static_cast<double>(bytes);
  b.device_memory_peak = mi.device;
  b.baseline = mi.baseline;
  b.suites = mi.suites & suites;
  return b;
}

// NCCL collectives over every local GPU (one rank each), at nccl-tests' sizes S: algbw = S / time,
// busbw per nccl-tests (bench/src/nccl_busbw.cpp).
struct NcclRow {
  const char* op;
  std::uint64_t bytes;
  unsigned suites;
};
constexpr std::uint64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;
constexpr NcclRow kNcclRows[] = {
    {"all_reduce", 64 * kKiB, kFull},   {"all_reduce", 1 * kMiB, kStdFull}, {"all_reduce", 32 * kMiB, kAll},
    {"all_reduce", 256 * kMiB, kStdFull}, {"all_reduce", 1 * kGiB, kFull},
    {"all_gather", 64 * kKiB, kFull},   {"all_gather", 1 * kMiB, kStdFull}, {"all_gather", 32 * kMiB, kStdFull},
    {"all_gather", 256 * kMiB, kStdFull}, {"all_gather", 1 * kGiB, kFull},
    {"reduce_scatter", 64 * kKiB, kFull}, {"reduce_scatter", 1 * kMiB, kStdFull},
    {"reduce_scatter", 32 * kMiB, kStdFull}, {"reduce_scatter", 256 * kMiB, kStdFull},
    {"reduce_scatter", 1 * kGiB, kFull},
};

BenchSpec nccl_spec(const NcclRow& row) {
  BenchSpec b;
  b.family = Family::nccl;
  b.impl = "nccl";
  b.variant = row.op;
  b.label = "every GPU, one rank each";
  b.bytes = row.bytes;
  b.params = {{"bytes", row.bytes}, {"dtype", "fp32"}};
  b.work_kind = Work::bytes;
  b.work = static_cast<double>(row.bytes);  // algbw = S / time
  b.suites = row.suites;
  return b;
}

// Peer-to-peer copies (p2p.hpp): the copy engine (cudaMemcpyPeerAsync) and SM copies (a kernel
// reading the peer's memory), one direction and both at once, and the latency of small copies.
// Standard and full: on an 8-GPU node each spec runs on 56 pairs.
struct P2pImpl {
  const char* impl;
  const char* op;
  const char* label;
  double traffic;  // bytes moved per byte of buffer (both directions: twice)
};
constexpr P2pImpl kP2pImpls[] = {
    {"memcpy", "uni", "copy engine", 1},
    {"memcpy", "bidi", "copy engine, both ways", 2},
    {"sm", "uni", "SM copy", 1},
    {"sm", "bidi", "SM copy, both ways", 2},
};
// Copies a run of the latency benchmark makes (one after the other on one stream).
constexpr int kP2pLatencyCopies = 100;

BenchSpec p2p_spec(const char* impl, const char* op, const char* label, std::uint64_t bytes) {
  BenchSpec b;
  b.family = Family::p2p;
  b.impl = impl;
  b.variant = op;
  b.label = label;
  b.bytes = bytes;
  b.params = {{"bytes", bytes}};
  b.suites = kStdFull;
  return b;
}

}  // namespace

const char* to_string(Suite s) {
  switch (s) {
    case Suite::smoke: return "smoke";
    case Suite::standard: return "standard";
    case Suite::full: return "full";
  }
  return "?";
}

std::optional<Suite> suite_from_string(const std::string& s) {
  for (Suite x : {Suite::smoke, Suite::standard, Suite::full})
    if (s == to_string(x)) return x;
  return std::nullopt;
}

const char* to_string(Family f) {
  switch (f) {
    case Family::matmul: return "matmul";
    case Family::conv: return "conv";
    case Family::memory: return "memory";
    case Family::nccl: return "nccl";
    case Family::p2p: return "p2p";
  }
  return "?";
}

std::string BenchSpec::name() const { return std::string(to_string(family)) + "/" + impl + "/" + variant; }

std::string BenchSpec::gb_name() const {
  std::string s = name();
  auto pair = [](int a, int b) { return a == b ? std::to_string(a) : std::to_string(a) + "x" + std::to_string(b); };
  switch (family) {
    case Family::matmul:
      s += "/m:" + std::to_string(gemm.m) + "/n:" + std::to_string(gemm.n) + "/k:" + std::to_string(gemm.k);
      break;
    case Family::conv: {
      const auto& c = conv;
      s += "/n:" + std::to_string(c.n) + "/h:" + std::to_string(c.h) + "/w:" + std::to_string(c.w) +
           "/c:" + std::to_string(c.c) + "/k:" + std::to_string(c.k) + "/r:" + std::to_string(c.r) +
           "/s:" + std::to_string(c.s) + "/pad:" + pair(c.pad_h, c.pad_w) + "/stride:" + pair(c.stride_h, c.stride_w);
      if (c.dil_h != 1 || c.dil_w != 1) s += "/dil:" + pair(c.dil_h, c.dil_w);
      break;
    }
    case Family::memory:
    case Family::nccl: s += "/bytes:" + std::to_string(bytes); break;
    case Family::p2p:
      s += "/bytes:" + std::to_string(bytes);
      if (src >= 0) s += "/src:" + std::to_string(src) + "/dst:" + std::to_string(dst);
      break;
  }
  return s;
}

std::vector<BenchSpec> all_benchmarks(const SelectOptions& o) {
  std::vector<BenchSpec> out;
  // Square GEMMs. --sizes replaces the sizes of every suite.
  const bool custom = !o.sizes.empty();
  const std::vector<int> smoke = custom ? o.sizes : std::vector<int>{4096};
  const std::vector<int> standard = custom ? o.sizes : std::vector<int>{1024, 2048, 4096, 8192};
  const std::vector<int> full = custom ? o.sizes : std::vector<int>{256, 512, 1024, 2048, 4096, 8192, 16384};
  const std::vector<int> slow_smoke = custom ? o.sizes : std::vector<int>{1024};
  const std::vector<int> slow_standard = custom ? o.sizes : std::vector<int>{1024, 2048};
  const std::vector<int> slow_full = custom ? o.sizes : std::vector<int>{256, 512, 1024, 2048, 4096};
  for (const auto& g : kGemmImpls) {
    for (int size : full) {
      // The slow kernels' baseline (cuBLAS FP32) also runs at their sizes, so each has its "% of cuBLAS".
      const bool baseline_of_slow = std::string(g.impl) == "cublas" && g.dtype == Dtype::fp32;
      unsigned suites = g.slow ? square_suites(size, slow_smoke, slow_standard, slow_full)
                               : square_suites(size, smoke, standard, full);
      if (baseline_of_slow) suites |= square_suites(size, slow_smoke, slow_standard, slow_full);
      if (suites) out.push_back(gemm_spec(g, "square", {size, size, size}, suites));
    }
  }
  // DeepBench shapes: FP32 and BF16 (library and hand-written) in standard, everything in full;
  // none with --sizes (the user asked for those sizes).
  if (!custom)
    for (const auto& g : kGemmImpls) {
      if (g.slow) continue;
      const bool in_standard = (std::string(g.impl) == "cublas" || std::string(g.impl) == "warp_tiled" ||
                                std::string(g.impl) == "mma_sync" || std::string(g.impl) == "wgmma") &&
                               (g.dtype == Dtype::fp32 || g.dtype == Dtype::bf16);
      for (const auto& d : kDeepBenchGemm) out.push_back(gemm_spec(g, d.label, d.shape, in_standard ? kStdFull : kFull));
    }
  for (const auto& ci : kConvImpls)
    for (const auto& nc : conv_table()) {
      BenchSpec b = conv_spec(ci, nc);
      if (b.suites) out.push_back(std::move(b));
    }
  constexpr std::uint64_t MiB = 1024ull * 1024ull;
  for (const auto& mi : kMemImpls) {
    const std::uint64_t base = mi.device ? 1024 * MiB : 256 * MiB;
    out.push_back(mem_spec(mi, base, kAll));
    out.push_back(mem_spec(mi, base * 4, kFull));
  }
  for (const auto& row : kNcclRows) out.push_back(nccl_spec(row));
  for (const auto& pi : kP2pImpls) {
    BenchSpec b = p2p_spec(pi.impl, pi.op, pi.label, 64 * MiB);
    b.work_kind = Work::bytes;
    b.work = pi.traffic * static_cast<double>(b.bytes);
    out.push_back(std::move(b));
  }
  BenchSpec lat = p2p_spec("memcpy", "latency", "copy engine, 4-byte copies", 4);
  lat.work_kind = Work::latency;
  lat.work = kP2pLatencyCopies;
  out.push_back(std::move(lat));
  return out;
}

std::vector<BenchSpec> select_benchmarks(Suite suite, const std::string& filter, const SelectOptions& o) {
  std::regex re;
  try {
    re = std::regex(filter.empty() ? std::string(".*") : filter, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument("--filter '" + filter + "' is not a valid regular expression: " + e.what());
  }
  std::vector<BenchSpec> out;
  for (auto& b : all_benchmarks(o))
    if (b.in(suite) && std::regex_search(b.gb_name(), re)) out.push_back(std::move(b));
  return out;
}

std::vector<int> parse_sizes(const std::string& text) {
  std::vector<int> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.empty() || item.size() > 5 || item.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument("--sizes '" + text + "': expected positive integers separated by commas, e.g. 4096,8192");
    const int v = std::stoi(item);
    if (v < 1 || v > 65536)
      throw std::invalid_argument("--sizes: " + item + " is outside 1..65536");
    out.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace gpuprobe::bench
