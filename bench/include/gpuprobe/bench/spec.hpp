// What `gpuprobe bench` can run: one table of benchmark specifications (family, implementation,
// variant, parameters, suites), and the selection by suite, filter and sizes. Host-only, no CUDA:
// `gpuprobe bench --list` and the unit tests use it without a GPU.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpuprobe/bench/peaks.hpp"
#include "gpuprobe/gpu/conv_shape.hpp"

namespace gpuprobe::bench {

enum class Suite { smoke, standard, full };
const char* to_string(Suite s);
std::optional<Suite> suite_from_string(const std::string& s);

// p2p: copies between two GPUs, one spec measured on every ordered pair (p2p.hpp).
enum class Family { matmul, conv, memory, nccl, p2p };
const char* to_string(Family f);

// What a benchmark's work is counted in: FLOPs (TFLOP/s), bytes moved (GB/s, 1e9 bytes), or
// operations whose time each is the result (latency: µs per operation, lower is better).
enum class Work { flops, bytes, latency };

struct GemmShape {
  int m = 0, n = 0, k = 0;
};

struct BenchSpec {
  Family family = Family::matmul;
  std::string impl;     // "cublas", "cublaslt", "cudnn", "simt_warp_tiled", "tensorcore", "stream", "memcpy", "nccl", …
  std::string variant;  // the dtype ("bf16") or the operation ("copy", "h2d_pinned", "all_reduce")
  std::string label;    // what the shape is, for people: "square", "deepbench train", "resnet50 conv3_x 3x3"
  nlohmann::json params = nlohmann::json::object();  // identity across reports (sizes, dtype)
  Work work_kind = Work::flops;
  double work = 0;                  // FLOPs, bytes or operations (latency) of one run
  std::optional<Dtype> dtype;       // for the peak rate (nullopt: memory benchmarks use the DRAM peak)
  bool device_memory_peak = false;  // compare with the GPU's DRAM bandwidth
  std::string baseline;             // name() of the library benchmark with the same params, for "% of baseline"
  unsigned suites = 0;              // bit (1 << Suite)
  // Shapes, one of which is used according to the family.
  GemmShape gemm;
  ConvShape conv;
  std::uint64_t bytes = 0;  // memory, p2p: buffer size; nccl: nccl-tests' size S of the collective

  std::string name() const;     // "matmul/cublas/bf16": the report's `name`
  std::string gb_name() const;  // "matmul/cublas/bf16/m:4096/n:4096/k:4096": Google Benchmark's, what --filter matches
  std::string unit() const { return work_kind == Work::flops ? "TFLOP/s" : work_kind == Work::bytes ? "GB/s" : "us"; }
  bool in(Suite s) const { return (suites >> static_cast<unsigned>(s)) & 1u; }
  // cuBLAS, cuBLASLt, cuDNN, cudaMemcpy(Peer) and NCCL are libraries; the rest is written here (kernels/).
  bool is_library() const {
    return impl == "cublas" || impl == "cublaslt" || impl == "cudnn" || impl == "memcpy" || impl == "nccl";
  }
  // p2p: the pair this spec measures (params "src", "dst"); -1 for the family's entry of the table.
  int src = -1, dst = -1;
};

struct SelectOptions {
  std::vector<int> sizes;  // overrides the square GEMM sizes of the suite (--sizes)
};
// Every benchmark gpuprobe knows, for every suite.
std::vector<BenchSpec> all_benchmarks(const SelectOptions& o = {});

// The benchmarks of `suite` whose gb_name() matches `filter` (ECMAScript regex, searched; empty:
// all). With --sizes, the square GEMM benchmarks of every suite are taken at those sizes instead.
// Throws std::invalid_argument for a bad regex.
std::vector<BenchSpec> select_benchmarks(Suite suite, const std::string& filter, const SelectOptions& o = {});

// "4096,8192" -> {4096, 8192}; throws std::invalid_argument (message for the user) on anything
// but positive integers up to 65536.
std::vector<int> parse_sizes(const std::string& text);

}  // namespace gpuprobe::bench
