// Workload makers per family (gemm.cpp, conv.cpp, memory.cpp, p2p.cpp); make_gpu_factory dispatches.
#pragma once

#include <memory>

#include "gpuprobe/bench/harness.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::bench::gpu {

std::unique_ptr<Workload> make_gemm(const GpuInfo& gpu, const BenchSpec& spec);
std::unique_ptr<Workload> make_conv(const GpuInfo& gpu, const BenchSpec& spec);
std::unique_ptr<Workload> make_memory(const GpuInfo& gpu, const BenchSpec& spec);
// p2p: the pair is the spec's src and dst (p2p.cpp).
std::unique_ptr<Workload> make_p2p(const BenchSpec& spec);

// Throws Skip naming the GPU when its compute capability is below major.minor.
void require_cc(const GpuInfo& gpu, int major, int minor, const std::string& what);

}  // namespace gpuprobe::bench::gpu
