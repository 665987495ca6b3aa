#include "gpuprobe/gpu/gpu_libs.hpp"

namespace gpuprobe {

std::string CudaDriverLib::error_name(int code) const {
  const char* s = nullptr;
  if (cuGetErrorName && cuGetErrorName(code, &s) == 0 && s) return s;
  return "CUDA_ERROR_" + std::to_string(code);
}

std::string CudaDriverLib::error_string(int code) const {
  const char* s = nullptr;
  if (cuGetErrorString && cuGetErrorString(code, &s) == 0 && s) return s;
  return "error " + std::to_string(code);
}

const CudaDriverLib& cuda_driver_lib() {
  static const CudaDriverLib lib = [] {
    CudaDriverLib d;
    d.lib = DynLib::open({"libcuda.so.1"});
    if (!d.lib.loaded()) {
      d.missing = d.lib.error();
      return d;
    }
    bool ok = d.lib.bind(d.cuInit, "cuInit") && d.lib.bind(d.cuDriverGetVersion, "cuDriverGetVersion") &&
              d.lib.bind(d.cuDeviceGetCount, "cuDeviceGetCount");
    d.lib.bind(d.cuGetErrorName, "cuGetErrorName");
    d.lib.bind(d.cuGetErrorString, "cuGetErrorString");
    if (!ok) d.missing = d.lib.path() + " lacks cuInit/cuDriverGetVersion: not a CUDA driver library";
    return d;
  }();
  return lib;
}

std::string NvmlLib::error_string(int code) const {
  if (nvmlErrorString) {
    if (const char* s = nvmlErrorString(code)) return s;
  }
  return "NVML error " + std::to_string(code);
}

const NvmlLib& nvml_lib() {
  static const NvmlLib lib = [] {
    NvmlLib n;
    n.lib = DynLib::open({"libnvidia-ml.so.1"});
    if (!n.lib.loaded()) {
      n.missing = n.lib.error();
      return n;
    }
    const bool core = n.lib.bind(n.nvmlInit_v2, "nvmlInit_v2") && n.lib.bind(n.nvmlErrorString, "nvmlErrorString") &&
                      n.lib.bind(n.nvmlDeviceGetCount_v2, "nvmlDeviceGetCount_v2") &&
                      n.lib.bind(n.nvmlDeviceGetHandleByPciBusId_v2, "nvmlDeviceGetHandleByPciBusId_v2");
    if (!core) {
      n.missing = n.lib.path() + " lacks nvmlInit_v2: driver too old for this NVML use";
      return n;
    }
    // Optional entry points: a missing one is reported as "not supported" by the check.
    n.lib.bind(n.nvmlSystemGetDriverVersion, "nvmlSystemGetDriverVersion");
    n.lib.bind(n.nvmlSystemGetNVMLVersion, "nvmlSystemGetNVMLVersion");
    n.lib.bind(n.nvmlDeviceGetHandleByIndex_v2, "nvmlDeviceGetHandleByIndex_v2");
    n.lib.bind(n.nvmlDeviceGetName, "nvmlDeviceGetName");
    n.lib.bind(n.nvmlDeviceGetUUID, "nvmlDeviceGetUUID");
    n.lib.bind(n.nvmlDeviceGetMemoryInfo, "nvmlDeviceGetMemoryInfo");
    n.lib.bind(n.nvmlDeviceGetClockInfo, "nvmlDeviceGetClockInfo");
    n.lib.bind(n.nvmlDeviceGetMaxClockInfo, "nvmlDeviceGetMaxClockInfo");
    n.lib.bind(n.nvmlDeviceGetEccMode, "nvmlDeviceGetEccMode");
    n.lib.bind(n.nvmlDeviceGetTotalEccErrors, "nvmlDeviceGetTotalEccErrors");
    n.lib.bind(n.nvmlDeviceGetRemappedRows, "nvmlDeviceGetRemappedRows");
    n.lib.bind(n.nvmlDeviceGetRetiredPagesPendingStatus, "nvmlDeviceGetRetiredPagesPendingStatus");
    if (!n.lib.bind(n.nvmlDeviceGetCurrentClocksEventReasons, "nvmlDeviceGetCurrentClocksEventReasons"))
      n.lib.bind(n.nvmlDeviceGetCurrentClocksEventReasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
    n.lib.bind(n.nvmlDeviceGetMigMode, "nvmlDeviceGetMigMode");
    n.lib.bind(n.nvmlDeviceGetPersistenceMode, "nvmlDeviceGetPersistenceMode");
    n.lib.bind(n.nvmlDeviceGetTemperature, "nvmlDeviceGetTemperature");
    n.lib.bind(n.nvmlDeviceGetTemperatureV, "nvmlDeviceGetTemperatureV");
    n.lib.bind(n.nvmlDeviceGetGpuFabricInfoV, "nvmlDeviceGetGpuFabricInfoV");  // Hopper-era drivers on
    n.lib.bind(n.nvmlDeviceGetGpuFabricInfo, "nvmlDeviceGetGpuFabricInfo");    // older ones lack both
    n.lib.bind(n.nvmlDeviceGetPowerUsage, "nvmlDeviceGetPowerUsage");
    n.lib.bind(n.nvmlDeviceGetEnforcedPowerLimit, "nvmlDeviceGetEnforcedPowerLimit");
    n.lib.bind(n.nvmlDeviceGetPowerManagementDefaultLimit, "nvmlDeviceGetPowerManagementDefaultLimit");
    n.lib.bind(n.nvmlDeviceGetCurrPcieLinkGeneration, "nvmlDeviceGetCurrPcieLinkGeneration");
    n.lib.bind(n.nvmlDeviceGetCurrPcieLinkWidth, "nvmlDeviceGetCurrPcieLinkWidth");
    n.lib.bind(n.nvmlDeviceGetMaxPcieLinkGeneration, "nvmlDeviceGetMaxPcieLinkGeneration");
    n.lib.bind(n.nvmlDeviceGetMaxPcieLinkWidth, "nvmlDeviceGetMaxPcieLinkWidth");
    // burn: telemetry (PCIe replays) and Xid events
    n.lib.bind(n.nvmlDeviceGetPcieReplayCounter, "nvmlDeviceGetPcieReplayCounter");
    n.lib.bind(n.nvmlEventSetCreate, "nvmlEventSetCreate");
    n.lib.bind(n.nvmlDeviceRegisterEvents, "nvmlDeviceRegisterEvents");
    n.lib.bind(n.nvmlEventSetWait_v2, "nvmlEventSetWait_v2");
    n.lib.bind(n.nvmlEventSetFree, "nvmlEventSetFree");
    // topology and NVLink (nvml_topology.hpp)
    n.lib.bind(n.nvmlDeviceGetTopologyCommonAncestor, "nvmlDeviceGetTopologyCommonAncestor");
    n.lib.bind(n.nvmlDeviceGetP2PStatus, "nvmlDeviceGetP2PStatus");
    n.lib.bind(n.nvmlDeviceGetNvLinkState, "nvmlDeviceGetNvLinkState");
    n.lib.bind(n.nvmlDeviceGetNvLinkVersion, "nvmlDeviceGetNvLinkVersion");
    n.lib.bind(n.nvmlDeviceGetNvLinkRemotePciInfo_v2, "nvmlDeviceGetNvLinkRemotePciInfo_v2");
    n.lib.bind(n.nvmlDeviceGetNvLinkRemoteDeviceType, "nvmlDeviceGetNvLinkRemoteDeviceType");
    n.lib.bind(n.nvmlDeviceGetNvLinkErrorCounter, "nvmlDeviceGetNvLinkErrorCounter");
    n.init_result = n.nvmlInit_v2();
    return n;
  }();
  return lib;
}

}  // namespace gpuprobe
