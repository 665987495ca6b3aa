// Limits of the container (or machine) that break training after the GPU itself works: a small
// /dev/shm, low memlock/stack ulimits, NVIDIA_DRIVER_CAPABILITIES without utility. Facts are read
// through SystemView (/proc/self/mounts, /proc/self/limits, /proc/meminfo, /proc/self/ns/ipc), so
// unit tests give every verdict from a fake root.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/gpu/system.hpp"
#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/health.hpp"

namespace gpuprobe {

// Below this /dev/shm warns. PyTorch DataLoader workers hand every batch to the main process through
// /dev/shm: 4 workers with the default prefetch of 2 batches of 64 224x224x3 float32 images hold
// about 0.3 GB there, and NCCL's intra-node buffers (several MiB per peer and channel) come on top.
inline constexpr std::uint64_t kShmMinBytes = 1ull << 30;
// What NVIDIA's containers ask for: --ulimit memlock=-1 --ulimit stack=67108864.
inline constexpr std::uint64_t kStackMinBytes = 67108864;
// The initial IPC namespace's inode (PROC_IPC_INIT_INO, fixed since Linux 3.8): /proc/self/ns/ipc
// reads "ipc:[4026531839]" exactly when the process shares the host's IPC namespace.
inline constexpr const char* kHostIpcNamespace = "ipc:[4026531839]";

struct ContainerLimits {
  bool shm_mounted = false;               // a mount on /dev/shm in /proc/self/mounts
  std::optional<std::uint64_t> shm_bytes;  // its size= option, or half of MemTotal (tmpfs's default)
  std::optional<bool> host_ipc;            // nullopt: /proc/self/ns/ipc unreadable
  std::string ipc_namespace;               // "ipc:[…]" as read, "" when unreadable
  // Soft limits from /proc/self/limits; nullopt = "unlimited" (when *_known), or not read.
  bool limits_known = false;
  std::optional<std::uint64_t> memlock_bytes, stack_bytes;
  std::optional<std::string> capabilities;  // NVIDIA_DRIVER_CAPABILITIES
};

ContainerLimits read_container_limits(const SystemView& sys);

// One finding per limit. in_container: wording ("this container" or "this machine") and whether
// the ulimits are judged (on a host the distribution's defaults apply, and the fix is not a run flag).
std::vector<Finding> evaluate_container_limits(const ContainerLimits& l, bool in_container);

// ---- device nodes that exist but do not open -----------------------------------------------------
// What open(2) says of one NVIDIA device node.
struct NodeOpen {
  std::string path;  // "/dev/nvidiactl", as seen inside the SystemView's root
  unsigned major = 0, minor = 0;  // its device number (0:0 when it is no character device)
  int error = 0;     // errno of open(O_RDONLY | O_NONBLOCK | O_CLOEXEC); 0: it opened, and was closed at once
};

// Opens /dev/nvidiactl, /dev/nvidia<N> and /dev/nvidia-uvm (under sys.root) read-only and
// non-blocking, and closes each at once: no ioctl, so the driver is asked nothing. The kernel's
// answer tells the device cgroup (EPERM) from file permissions, a nodev mount or a security module
// (EACCES) and a node with no driver behind its number (ENXIO).
std::vector<NodeOpen> open_nvidia_device_nodes(const SystemView& sys);
std::string errno_name(int error);  // "EPERM", "EACCES", "ENXIO", …; "errno N" for others

struct DeviceAccess {
  // device_access_revoked (EPERM), device_access_denied (EACCES), or device_nodes_unbacked (ENXIO
  // while module and nodes look complete): a driver library fails because it cannot open the nodes.
  std::optional<Finding> finding;
  // For the other diagnoses (no kernel module, nodes missing): "; /dev/nvidiactl (c 195:255) exists
  // but open() fails with ENXIO: …", "" when every node opened.
  std::string note;
};
// `symptom` opens the finding's message, as in diagnose_no_gpu_behind_driver; `dev_nodev`: /dev is
// mounted nodev, which refuses every device node with EACCES.
DeviceAccess evaluate_device_access(const std::vector<NodeOpen>& nodes, const KernelDriverView& k, bool dev_nodev,
                                    const std::string& symptom);
// The same from the machine: opens the nodes and reads /proc/self/mounts; `k` is
// read_kernel_driver_view(sys). The driver and nvml checks ask it when cuInit or nvmlInit fails.
struct DeviceAccessProbe {
  std::vector<NodeOpen> nodes;
  DeviceAccess access;
};
DeviceAccessProbe probe_device_access(const SystemView& sys, const KernelDriverView& k, const std::string& symptom);
// details.device_nodes_open: node -> "opened" or the errno's name.
std::map<std::string, std::string> node_open_results(const std::vector<NodeOpen>& nodes);

// ---- NVIDIA_REQUIRE_CUDA inside the container -----------------------------------------------------
// nvidia/cuda images set NVIDIA_REQUIRE_CUDA, e.g. "cuda>=12.8 brand=tesla,driver>=535,driver<536":
// terms are key op value (keys cuda, driver, brand, arch; ops = != < <= > >=); comma-separated terms
// are ANDed, space-separated alternatives ORed. On the host, nvidia-container-cli refuses to start an
// image whose requirement the driver does not meet; a container runs anyway with
// NVIDIA_DISABLE_REQUIRE=1 or under a runtime that does not check (CDI).
enum class Truth { no, yes, unknown };
struct RequireCuda {
  std::string value;                      // the variable as set
  Truth met = Truth::unknown;
  std::string cuda_term;                  // the first cuda term ("cuda>=12.8"), "" when none
  int required_cuda = 0;                  // its version in the CUDA API's encoding (12080), 0 when none
  std::vector<std::string> not_evaluated; // terms gpuprobe does not judge ("brand=tesla", "arch>=7.5")
  std::vector<std::string> unparsed;      // terms that are not key op value
};
// Judges `value` against the driver's CUDA version (cuDriverGetVersion's encoding) and driver version
// ("535.261.03", "" when unknown: driver terms are then not evaluated). brand and arch terms are not
// evaluated: an alternative that needs one is `unknown` when its other terms hold.
RequireCuda assess_require_cuda(const std::string& value, int driver_cuda, const std::string& driver_version);
// require_cuda_unmet (warn) when no alternative can hold, in nvidia-container-cli's words, with an
// image tag for this driver and the driver branch the image needs; require_cuda_brand (pass, a note)
// when only an alternative with a brand or arch term may hold. nullopt when met.
// `disable_require`: NVIDIA_DISABLE_REQUIRE is true, which is why the container started.
std::optional<Finding> evaluate_require_cuda(const RequireCuda& r, int driver_cuda, const std::string& driver_version,
                                             bool disable_require);

// ---- CUDA forward compatibility in the image -----------------------------------------------------
// NVIDIA's cuda-compat package puts a newer libcuda in /usr/local/cuda-X.Y/compat; on the loader's
// path (LD_LIBRARY_PATH or /etc/ld.so.conf.d) it is loaded instead of the host's, and works on
// data-center GPUs only (elsewhere cuInit returns 804).
struct CompatLibrary {
  std::string dir;      // "/usr/local/cuda-12.8/compat" (symlinks resolved, inside the SystemView's root)
  std::string version;  // "570.124.06", from the file name libcuda.so.570.124.06
  std::string on_path;  // "LD_LIBRARY_PATH", "/etc/ld.so.conf.d/000_cuda.conf", or "" when on neither
};
std::vector<CompatLibrary> find_cuda_compat(const SystemView& sys);
// The entry whose folder holds `lib_path` (the libcuda.so.1 the process loaded, a path of the real
// file system), nullptr when the loaded library is another (the host's).
const CompatLibrary* loaded_compat_library(const std::vector<CompatLibrary>& compat, const SystemView& sys,
                                           const std::string& lib_path);
// "libcuda 570.124.06 of the image's cuda-compat (/usr/local/cuda-12.8/compat, on LD_LIBRARY_PATH)".
std::string describe_compat_library(const CompatLibrary& c);

}  // namespace gpuprobe
