// Reading one GPU's facts through NVML (internal to probes/).
#pragma once

#include <optional>
#include <string>

#include "gpuprobe/probes/gpu_libs.hpp"
#include "gpuprobe/probes/health.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

// NVML handle of a CUDA device, matched by PCI bus id (CUDA and NVML number GPUs differently).
std::optional<nvmlDevice_t> nvml_handle_for(const NvmlLib& n, const GpuInfo& g);
// Fills clocks, ECC/MIG/persistence modes, PCIe, temperature, power into `g`; health facts into `h`.
void nvml_read_device(const NvmlLib& n, nvmlDevice_t dev, GpuInfo& g, GpuHealth& h);
PcieLink nvml_read_pcie(const NvmlLib& n, nvmlDevice_t dev);

}  // namespace gpuprobe
