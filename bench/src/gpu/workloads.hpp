// Workload makers per family (gemm.cpp, conv.cpp, memory.cpp, nccl.cpp, p2p.cpp); make_gpu_factory
// dispatches.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>

#include "gpuprobe/bench/harness.hpp"
#include "gpuprobe/gpu/device.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::bench::gpu {

// What make_gemm returns: a Workload whose GEMM can also be queued without the timer, many in a
// row, on the same operands (`gpuprobe burn`'s load, burn_load.cpp, which compares each output with
// a kept copy).
class GemmWorkload : public Workload {
 public:
  virtual void enqueue() = 0;  // one GEMM of the spec into output(), on stream(); nothing else
  virtual cudaStream_t stream() const = 0;
  virtual const DeviceBuffer& output() const = 0;
};

std::unique_ptr<GemmWorkload> make_gemm(const GpuInfo& gpu, const BenchSpec& spec);
std::unique_ptr<Workload> make_conv(const GpuInfo& gpu, const BenchSpec& spec);
std::unique_ptr<Workload> make_memory(const GpuInfo& gpu, const BenchSpec& spec);
// Spans every GPU of the process (one NCCL rank each), not only `gpu`: see nccl.cpp.
std::unique_ptr<Workload> make_nccl(const GpuInfo& gpu, const BenchSpec& spec);
// p2p: the pair is the spec's src and dst (p2p.cpp).
std::unique_ptr<Workload> make_p2p(const BenchSpec& spec);

// Throws Skip naming the GPU when its compute capability is below major.minor.
void require_cc(const GpuInfo& gpu, int major, int minor, const std::string& what);

}  // namespace gpuprobe::bench::gpu
