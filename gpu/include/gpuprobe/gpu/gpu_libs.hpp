// Function tables of the GPU libraries gpuprobe loads at run time: the CUDA driver (libcuda.so.1),
// NVML (libnvidia-ml.so.1), cuBLAS and cuDNN. Each load() is done once per process.
#pragma once

#include <string>

#include "gpuprobe/gpu/dynlib.hpp"

namespace gpuprobe {

// ---- CUDA driver API -----------------------------------------------------------------------------
struct CudaDriverLib {
  DynLib lib;
  std::string missing;  // why it is unusable; empty when usable
  int (*cuInit)(unsigned) = nullptr;
  int (*cuDriverGetVersion)(int*) = nullptr;
  int (*cuDeviceGetCount)(int*) = nullptr;
  int (*cuGetErrorName)(int, const char**) = nullptr;
  int (*cuGetErrorString)(int, const char**) = nullptr;
  std::string error_name(int code) const;
  std::string error_string(int code) const;
};
const CudaDriverLib& cuda_driver_lib();

// ---- NVML (declared here: the toolkit images do not ship nvml.h) ------------------------------------
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
// nvmlReturn_t values (nvml.h, enum nvmlReturn_enum)
inline constexpr int kNvmlSuccess = 0;
inline constexpr int kNvmlErrorUninitialized = 1;
inline constexpr int kNvmlErrorInvalidArgument = 2;
inline constexpr int kNvmlErrorNotSupported = 3;
inline constexpr int kNvmlErrorNoPermission = 4;
inline constexpr int kNvmlErrorNotFound = 6;
inline constexpr int kNvmlErrorDriverNotLoaded = 9;     // no kernel module behind the library
inline constexpr int kNvmlErrorInsufficientPower = 8;    // external power cables not properly attached
inline constexpr int kNvmlErrorIrqIssue = 11;            // the kernel detected an interrupt problem with the GPU
inline constexpr int kNvmlErrorFunctionNotFound = 13;    // this NVML lacks the entry point
inline constexpr int kNvmlErrorGpuIsLost = 15;           // fallen off the bus or otherwise inaccessible
inline constexpr int kNvmlErrorResetRequired = 16;
inline constexpr int kNvmlErrorArgumentVersionMismatch = 25;
inline constexpr int kNvmlErrorUnknown = 999;
inline constexpr int kNvmlClockGraphics = 0, kNvmlClockSm = 1, kNvmlClockMem = 2;
inline constexpr int kNvmlMemoryErrorCorrected = 0, kNvmlMemoryErrorUncorrected = 1;
inline constexpr int kNvmlVolatileEcc = 0, kNvmlAggregateEcc = 1;
inline constexpr int kNvmlTemperatureGpu = 0;
// NVML_GPU_FABRIC_STATE_*: how far the GPU's registration with the NVLink fabric (Fabric Manager
// on NVSwitch systems) got.
inline constexpr int kNvmlFabricStateNotSupported = 0, kNvmlFabricStateNotStarted = 1,
                     kNvmlFabricStateInProgress = 2, kNvmlFabricStateCompleted = 3;

// Versioned NVML structures: the same layout as nvml.h; `version` = sizeof | (version << 24)
// (NVML_STRUCT_VERSION).
struct nvmlTemperature_v1_t {
  unsigned version;
  int sensorType;  // nvmlTemperatureSensors_t
  int temperature;
};
static_assert(sizeof(nvmlTemperature_v1_t) == 12, "nvmlTemperature_v1_t layout");
inline constexpr unsigned kNvmlTemperatureV1 = static_cast<unsigned>(sizeof(nvmlTemperature_v1_t)) | (1u << 24);
// v2 is the oldest layout nvmlDeviceGetGpuFabricInfoV takes; drivers that know v3 still accept v2.
struct nvmlGpuFabricInfo_v2_t {
  unsigned version;
  unsigned char clusterUuid[16];
  int status;  // nvmlReturn_t; meaningful only when state is COMPLETED
  unsigned cliqueId;
  unsigned char state;  // kNvmlFabricState*
  unsigned healthMask;
};
static_assert(sizeof(nvmlGpuFabricInfo_v2_t) == 36, "nvmlGpuFabricInfo_v2_t layout");
inline constexpr unsigned kNvmlGpuFabricInfoV2 = static_cast<unsigned>(sizeof(nvmlGpuFabricInfo_v2_t)) | (2u << 24);
// The unversioned structure of nvmlDeviceGetGpuFabricInfo (drivers before the V entry point).
struct nvmlGpuFabricInfo_t {
  unsigned char clusterUuid[16];
  int status;
  unsigned cliqueId;
  unsigned char state;
};
static_assert(sizeof(nvmlGpuFabricInfo_t) == 28, "nvmlGpuFabricInfo_t layout");
// Topology and NVLink (nvml_topology.hpp), values of nvml.h.
inline constexpr unsigned kNvmlNvLinkMaxLinks = 18;  // NVML_NVLINK_MAX_LINKS
// nvmlGpuTopologyLevel_t: the closest common ancestor of two GPUs on the PCIe tree.
inline constexpr int kNvmlTopologyInternal = 0, kNvmlTopologySingle = 10, kNvmlTopologyMultiple = 20,
                     kNvmlTopologyHostbridge = 30, kNvmlTopologyNode = 40, kNvmlTopologySystem = 50;
// nvmlGpuP2PCapsIndex_t
inline constexpr int kNvmlP2PCapsRead = 0, kNvmlP2PCapsWrite = 1, kNvmlP2PCapsNvlink = 2, kNvmlP2PCapsAtomics = 3;
// nvmlGpuP2PStatus_t
inline constexpr int kNvmlP2PStatusOk = 0, kNvmlP2PStatusChipsetNotSupported = 1, kNvmlP2PStatusGpuNotSupported = 2,
                     kNvmlP2PStatusIohTopologyNotSupported = 3, kNvmlP2PStatusDisabledByRegkey = 4,
                     kNvmlP2PStatusNotSupported = 5, kNvmlP2PStatusUnknown = 6;
// nvmlEnableState_t, as nvmlDeviceGetNvLinkState answers it
inline constexpr int kNvmlFeatureDisabled = 0, kNvmlFeatureEnabled = 1;
// nvmlNvLinkErrorCounter_t (the data-link layer's counters)
inline constexpr int kNvmlNvLinkErrorDlReplay = 0, kNvmlNvLinkErrorDlRecovery = 1, kNvmlNvLinkErrorDlCrcFlit = 2,
                     kNvmlNvLinkErrorDlCrcData = 3;
// nvmlIntNvLinkDeviceType_t: what is at the other end of a link
inline constexpr int kNvmlNvLinkDeviceTypeGpu = 0, kNvmlNvLinkDeviceTypeIbmNpu = 1, kNvmlNvLinkDeviceTypeSwitch = 2,
                     kNvmlNvLinkDeviceTypeUnknown = 0xFF;
// nvmlPciInfo_t, as nvmlDeviceGetNvLinkRemotePciInfo_v2 fills it.
struct nvmlPciInfo_t {
  char busIdLegacy[16];
  unsigned domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];  // "00000000:10:1C.0"
};
static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t layout");
// nvmlClocksEventReasons bits
inline constexpr unsigned long long kClkGpuIdle = 0x1, kClkAppSetting = 0x2, kClkSwPowerCap = 0x4,
                                    kClkHwSlowdown = 0x8, kClkSyncBoost = 0x10, kClkSwThermal = 0x20,
                                    kClkHwThermal = 0x40, kClkHwPowerBrake = 0x80, kClkDisplay = 0x100;
// The reasons that mean throttling: slowed down beyond normal operation. Idle, application clocks,
// sync boost, display and the SW power cap (a GPU at its power limit under full load) are not.
inline constexpr unsigned long long kClkThrottling = kClkHwSlowdown | kClkSwThermal | kClkHwThermal | kClkHwPowerBrake;

// Events (nvml.h): an event set, the data of one event, and the Xid event type (burn's telemetry).
using nvmlEventSet_t = struct nvmlEventSet_st*;
struct nvmlEventData_t {
  nvmlDevice_t device;
  unsigned long long eventType;
  unsigned long long eventData;  // the Xid, for kNvmlEventTypeXidCriticalError (999: unknown)
  unsigned gpuInstanceId;
  unsigned computeInstanceId;
};
inline constexpr unsigned long long kNvmlEventTypeXidCriticalError = 0x8;
inline constexpr int kNvmlErrorTimeout = 10;  // nvmlEventSetWait_v2: no event within the timeout

struct NvmlLib {
  DynLib lib;
  std::string missing;
  int init_result = -1;
  int (*nvmlInit_v2)() = nullptr;
  const char* (*nvmlErrorString)(int) = nullptr;
  int (*nvmlSystemGetDriverVersion)(char*, unsigned) = nullptr;
  int (*nvmlSystemGetNVMLVersion)(char*, unsigned) = nullptr;
  int (*nvmlDeviceGetCount_v2)(unsigned*) = nullptr;
  int (*nvmlDeviceGetHandleByPciBusId_v2)(const char*, nvmlDevice_t*) = nullptr;
  int (*nvmlDeviceGetHandleByIndex_v2)(unsigned, nvmlDevice_t*) = nullptr;
  int (*nvmlDeviceGetName)(nvmlDevice_t, char*, unsigned) = nullptr;
  int (*nvmlDeviceGetUUID)(nvmlDevice_t, char*, unsigned) = nullptr;
  int (*nvmlDeviceGetMemoryInfo)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  int (*nvmlDeviceGetClockInfo)(nvmlDevice_t, int, unsigned*) = nullptr;
  int (*nvmlDeviceGetMaxClockInfo)(nvmlDevice_t, int, unsigned*) = nullptr;
  int (*nvmlDeviceGetEccMode)(nvmlDevice_t, int*, int*) = nullptr;
  int (*nvmlDeviceGetTotalEccErrors)(nvmlDevice_t, int, int, unsigned long long*) = nullptr;
  int (*nvmlDeviceGetRemappedRows)(nvmlDevice_t, unsigned*, unsigned*, unsigned*, unsigned*) = nullptr;
  int (*nvmlDeviceGetRetiredPagesPendingStatus)(nvmlDevice_t, int*) = nullptr;
  int (*nvmlDeviceGetCurrentClocksEventReasons)(nvmlDevice_t, unsigned long long*) = nullptr;
  int (*nvmlDeviceGetMigMode)(nvmlDevice_t, unsigned*, unsigned*) = nullptr;
  int (*nvmlDeviceGetPersistenceMode)(nvmlDevice_t, int*) = nullptr;
  int (*nvmlDeviceGetTemperature)(nvmlDevice_t, int, unsigned*) = nullptr;  // deprecated in 13.0: fallback
  int (*nvmlDeviceGetTemperatureV)(nvmlDevice_t, nvmlTemperature_v1_t*) = nullptr;
  int (*nvmlDeviceGetGpuFabricInfoV)(nvmlDevice_t, nvmlGpuFabricInfo_v2_t*) = nullptr;
  int (*nvmlDeviceGetGpuFabricInfo)(nvmlDevice_t, nvmlGpuFabricInfo_t*) = nullptr;  // deprecated: fallback
  int (*nvmlDeviceGetPowerUsage)(nvmlDevice_t, unsigned*) = nullptr;
  int (*nvmlDeviceGetEnforcedPowerLimit)(nvmlDevice_t, unsigned*) = nullptr;
  int (*nvmlDeviceGetPowerManagementDefaultLimit)(nvmlDevice_t, unsigned*) = nullptr;
  int (*nvmlDeviceGetCurrPcieLinkGeneration)(nvmlDevice_t, unsigned*) = nullptr;
  int (*nvmlDeviceGetCurrPcieLinkWidth)(nvmlDevice_t, unsigned*) = nullptr;
  int (*nvmlDeviceGetMaxPcieLinkGeneration)(nvmlDevice_t, unsigned*) = nullptr;
  int (*nvmlDeviceGetMaxPcieLinkWidth)(nvmlDevice_t, unsigned*) = nullptr;
  // burn: telemetry (PCIe replays) and Xid events (gpu/nvml_telemetry.hpp)
  int (*nvmlDeviceGetPcieReplayCounter)(nvmlDevice_t, unsigned*) = nullptr;
  int (*nvmlEventSetCreate)(nvmlEventSet_t*) = nullptr;
  int (*nvmlDeviceRegisterEvents)(nvmlDevice_t, unsigned long long, nvmlEventSet_t) = nullptr;
  int (*nvmlEventSetWait_v2)(nvmlEventSet_t, nvmlEventData_t*, unsigned) = nullptr;
  int (*nvmlEventSetFree)(nvmlEventSet_t) = nullptr;
  // topology and NVLink (nvml_topology.hpp): P2P between GPU pairs, each GPU's NVLink links
  int (*nvmlDeviceGetTopologyCommonAncestor)(nvmlDevice_t, nvmlDevice_t, int*) = nullptr;
  int (*nvmlDeviceGetP2PStatus)(nvmlDevice_t, nvmlDevice_t, int, int*) = nullptr;
  int (*nvmlDeviceGetNvLinkState)(nvmlDevice_t, unsigned, int*) = nullptr;
  int (*nvmlDeviceGetNvLinkVersion)(nvmlDevice_t, unsigned, unsigned*) = nullptr;
  int (*nvmlDeviceGetNvLinkRemotePciInfo_v2)(nvmlDevice_t, unsigned, nvmlPciInfo_t*) = nullptr;
  int (*nvmlDeviceGetNvLinkRemoteDeviceType)(nvmlDevice_t, unsigned, int*) = nullptr;
  int (*nvmlDeviceGetNvLinkErrorCounter)(nvmlDevice_t, unsigned, int, unsigned long long*) = nullptr;
  bool usable() const { return missing.empty() && init_result == kNvmlSuccess; }
  std::string error_string(int code) const;
};
const NvmlLib& nvml_lib();  // loaded and initialized once

// ---- cuBLAS and cuDNN: a library found or not. Their tables (blas_dnn.hpp) need the CUDA headers. ----
struct LibraryProbe {
  DynLib lib;
  std::string version;  // "13.0.0", "9.13.0"; empty when unknown
  std::string missing;  // why it cannot be used
  bool usable() const { return lib.loaded() && missing.empty(); }
};

}  // namespace gpuprobe
