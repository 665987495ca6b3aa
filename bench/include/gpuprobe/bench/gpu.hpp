// The GPU side of `gpuprobe bench`: workloads of every benchmark of the table on one device
// (kernels/ for the hand-written ones, cuBLAS / cuBLASLt / cuDNN loaded at run time for the
// baselines), and the NVML clock sampler. No CUDA types here: the CLI (.cpp) includes it.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "gpuprobe/bench/harness.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::bench {

// Makes the workloads for `gpu` (its index selects the device). Benchmarks this GPU or this image
// cannot run (a dtype without hardware support, a missing library, too little free memory) throw
// Skip with the reason when made.
WorkloadFactory make_gpu_factory(const GpuInfo& gpu);

// Samples the SM clock and the clock-event (throttle) reasons of `gpu` every 10 ms through NVML;
// nullptr when NVML is unusable or does not know the GPU.
std::unique_ptr<ClockSampler> make_nvml_clock_sampler(const GpuInfo& gpu);

// Records in `sw` the versions and paths of the libraries the benchmarks `ran` use (cuBLAS,
// cuBLASLt, cuDNN), as the check does, so that compare sees them in a bench report too. Loads
// only those libraries (the benchmarks have loaded them already).
void record_libraries(const std::vector<BenchSpec>& ran, SoftwareInfo& sw);

// The peak rates of `gpu` (datasheet table or estimate) and its PCIe link's theoretical rate.
GpuPeaks peaks_of(const GpuInfo& gpu);
std::optional<double> pcie_peak_of(const GpuInfo& gpu);

}  // namespace gpuprobe::bench
