// A stand-in libcuda.so.1 for the CLI tests: lets the real gpuprobe binary meet the driver
// situations users hit (cuInit hanging, no device, the toolkit's stub, a kernel-module mismatch,
// the system not ready, forward compatibility refused, a driver too old for the runtime) on a machine with no GPU. Behaviour from FAKE_CUDA_MODE:
//   hang      cuInit never returns (watchdog test)
//   nodevice  cuInit -> 100 CUDA_ERROR_NO_DEVICE
//   stub      cuInit -> 34  CUDA_ERROR_STUB_LIBRARY
//   mismatch  cuInit -> 803 CUDA_ERROR_SYSTEM_DRIVER_MISMATCH
//   notready  cuInit -> 802 CUDA_ERROR_SYSTEM_NOT_READY (Fabric Manager not running on an HGX node)
//   compat    cuInit -> 804 CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE (cuda-compat on a GPU without
//             forward compatibility)
//   old       cuInit -> 0, cuDriverGetVersion -> FAKE_CUDA_VERSION (default 12040)
// It is test code only; nothing in gpuprobe knows about it.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace {
const char* mode() {
  const char* m = std::getenv("FAKE_CUDA_MODE");
  return m ? m : "old";
}
bool is(const char* m) { return std::strcmp(mode(), m) == 0; }
}  // namespace

extern "C" {

int cuInit(unsigned) {
  if (is("hang"))
    for (;;) pause();
  if (is("nodevice")) return 100;
  if (is("stub")) return 34;
  if (is("mismatch")) return 803;
  if (is("notready")) return 802;
  if (is("compat")) return 804;
  return 0;
}

int cuDriverGetVersion(int* v) {
  const char* s = std::getenv("FAKE_CUDA_VERSION");
  *v = s ? std::atoi(s) : 12040;
  return 0;
}

int cuDeviceGetCount(int* n) {
  *n = is("old") ? 1 : 0;
  return 0;
}

int cuGetErrorName(int code, const char** s) {
  switch (code) {
    case 100: *s = "CUDA_ERROR_NO_DEVICE"; return 0;
    case 34: *s = "CUDA_ERROR_STUB_LIBRARY"; return 0;
    case 803: *s = "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"; return 0;
    case 802: *s = "CUDA_ERROR_SYSTEM_NOT_READY"; return 0;
    case 804: *s = "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE"; return 0;
    case 0: *s = "CUDA_SUCCESS"; return 0;
    default: return 1;
  }
}

int cuGetErrorString(int code, const char** s) {
  switch (code) {
    case 100: *s = "no CUDA-capable device is detected"; return 0;
    case 34: *s = "CUDA driver is a stub library"; return 0;
    case 803: *s = "system has unsupported display driver / cuda driver combination"; return 0;
    case 802: *s = "system not yet initialized"; return 0;
    case 804: *s = "forward compatibility was attempted on non supported HW"; return 0;
    case 0: *s = "no error"; return 0;
    default: return 1;
  }
}

}  // extern "C"
