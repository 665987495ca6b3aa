// The load of `gpuprobe burn` on one GPU: a workload kept busy for minutes whose every result is
// checked, so that a GPU that computes wrong only when hot is caught. No CUDA types here: the host
// engine (which runs one load per GPU, each on its own thread) and its tests use this interface with
// stand-in loads; bench/src/gpu/burn_load.cpp implements it on a GPU.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gpuprobe/report/report.hpp"

namespace gpuprobe::bench {

enum class BurnLoadKind { gemm_fp32, gemm_bf16, memory, mixed };

// "gemm-fp32", "gemm-bf16", "memory", "mixed"; parse returns false for an unknown name.
const char* to_string(BurnLoadKind k);
bool parse_burn_load_kind(const std::string& name, BurnLoadKind& out);

// One step of load: enough work to take about `BurnLoadOptions::step_seconds` on the GPU, then its
// result checked against the reference the load keeps (the same inputs recomputed: bitwise where the
// algorithm is deterministic, else by Freivalds against a float64 reference).
struct BurnStep {
  double seconds = 0;                 // GPU time of the step's work (events), excluding the check
  double work = 0;                    // flops (GEMM) or bytes moved (memory) in the step
  unsigned long long checked = 0;     // elements (or Freivalds probes) compared
  unsigned long long mismatches = 0;  // of those, how many differed
  std::string error;                  // a CUDA / library error that ended the load; empty when none
};

struct BurnLoadOptions {
  BurnLoadKind kind = BurnLoadKind::gemm_bf16;
  double step_seconds = 0.5;  // how much GPU work one step() queues before it checks
  double memory_fraction = 0.5;  // of the free device memory the memory load may use
};

class BurnLoad {
 public:
  virtual ~BurnLoad() = default;
  // Sizes and allocates the work and computes the reference result. Throws std::runtime_error with
  // the reason when this GPU cannot run the load (no bf16 tensor cores, no cuBLAS, no memory).
  virtual void prepare() = 0;
  // Runs one step and checks it; never throws for a wrong result (mismatches counts it). A CUDA
  // error is returned in BurnStep::error, after which the load is dead.
  virtual BurnStep step() = 0;
  virtual std::string unit() const = 0;  // "TFLOP/s" or "GB/s": what work / seconds is reported in
  virtual std::string describe() const = 0;  // "cuBLASLt bf16 GEMM 8192x8192x8192, ..." for the report
};

// The real load on `gpu` (its index selects the device); defined in bench/src/gpu/burn_load.cpp.
std::unique_ptr<BurnLoad> make_gpu_burn_load(const GpuInfo& gpu, const BurnLoadOptions& opts);

}  // namespace gpuprobe::bench
