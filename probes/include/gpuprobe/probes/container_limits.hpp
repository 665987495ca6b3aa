// Limits of the container (or machine) that break training after the GPU itself works: a small
// /dev/shm, low memlock/stack ulimits, NVIDIA_DRIVER_CAPABILITIES without utility. Facts are read
// through SystemView (/proc/self/mounts, /proc/self/limits, /proc/meminfo, /proc/self/ns/ipc), so
// unit tests give every verdict from a fake root.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/gpu/system.hpp"
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

}  // namespace gpuprobe
