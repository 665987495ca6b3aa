// A stand-in libnvidia-ml.so.1 for the CLI tests, next to the stand-in libcuda: lets the real
// binary meet what NVML reports when CUDA cannot use the GPUs, on a machine with no GPU. It exports
// the entry points gpuprobe requires plus the few the situations need; every other optional one
// is absent, as on an old driver. Behaviour from FAKE_NVML_MODE:
//   mig         one H200, MIG mode on (and no MIG device for CUDA)
//   fabric      eight H200s on an NVSwitch fabric Fabric Manager never registered (state NOT_STARTED)
//   nofabric    one H200 NVL (PCIe): no fabric (fabric info NOT_SUPPORTED)
//   lost        one GPU whose handle lookup says GPU_IS_LOST
// It is test code only; nothing in gpuprobe knows about it.
#include <cstdlib>
#include <cstring>

namespace {
const char* mode() {
  const char* m = std::getenv("FAKE_NVML_MODE");
  return m ? m : "mig";
}
bool is(const char* m) { return std::strcmp(mode(), m) == 0; }
struct Dev {};
Dev devs[8];
constexpr int kSuccess = 0, kInvalidArgument = 2, kNotSupported = 3, kGpuIsLost = 15;

struct FabricV2 {  // nvmlGpuFabricInfo_v2_t
  unsigned version;
  unsigned char clusterUuid[16];
  int status;
  unsigned cliqueId;
  unsigned char state;
  unsigned healthMask;
};
}  // namespace

extern "C" {

int nvmlInit_v2() { return kSuccess; }

const char* nvmlErrorString(int code) {
  switch (code) {
    case kSuccess: return "Success";
    case kNotSupported: return "Not Supported";
    case kGpuIsLost: return "GPU is lost";
    default: return "Unknown Error";
  }
}

int nvmlSystemGetDriverVersion(char* buf, unsigned len) {
  std::strncpy(buf, "580.65.06", len);
  return kSuccess;
}

int nvmlDeviceGetCount_v2(unsigned* n) {
  *n = is("fabric") ? 8 : 1;
  return kSuccess;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned i, Dev** d) {
  if (is("lost")) return kGpuIsLost;
  unsigned n = 0;
  nvmlDeviceGetCount_v2(&n);
  if (i >= n) return kInvalidArgument;
  *d = &devs[i];
  return kSuccess;
}

int nvmlDeviceGetHandleByPciBusId_v2(const char*, Dev**) { return 6; /* NOT_FOUND */ }

int nvmlDeviceGetName(Dev*, char* buf, unsigned len) {
  std::strncpy(buf, is("nofabric") ? "NVIDIA H200 NVL" : "NVIDIA H200", len);
  return kSuccess;
}

int nvmlDeviceGetMigMode(Dev*, unsigned* cur, unsigned* pending) {
  *cur = *pending = is("mig") ? 1 : 0;
  return kSuccess;
}

int nvmlDeviceGetGpuFabricInfoV(Dev*, FabricV2* f) {
  if (f->version != (sizeof(FabricV2) | (2u << 24))) return 25;  // ARGUMENT_VERSION_MISMATCH
  if (!is("fabric")) return kNotSupported;
  f->state = 1;  // NVML_GPU_FABRIC_STATE_NOT_STARTED
  f->status = kSuccess;
  return kSuccess;
}

}  // extern "C"
