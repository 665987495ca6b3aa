#include "gpuprobe/probes/container_limits.hpp"

#include <filesystem>
#include <sstream>

#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/probes/options.hpp"

namespace gpuprobe {
namespace {

// "65536k", "1g", "12345", "50%" (of MemTotal): bytes, as tmpfs(5) reads its size= option.
std::optional<std::uint64_t> tmpfs_size(const std::string& v, std::optional<std::uint64_t> mem_total) {
  if (v.empty()) return std::nullopt;
  try {
    if (v.back() == '%')
      return mem_total ? std::optional<std::uint64_t>(*mem_total * std::stoull(v) / 100) : std::nullopt;
    return parse_memory_size(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The soft limit of one row of /proc/self/limits ("Max locked memory   8388608   8388608   bytes").
// nullopt for "unlimited" or a row that is not there.
std::optional<std::uint64_t> soft_limit(const std::string& limits, const std::string& name) {
  std::istringstream in(limits);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0) continue;
    std::istringstream row(line.substr(name.size()));
    std::string soft;
    row >> soft;
    try {
      return soft == "unlimited" ? std::nullopt : std::optional<std::uint64_t>(std::stoull(soft));
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string mib(std::uint64_t bytes) {
  std::ostringstream o;
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0) o << (bytes >> 30) << " GiB";
  else if (bytes >= (1ull << 20)) o << (bytes >> 20) << " MiB";
  else o << (bytes >> 10) << " KiB";
  return o.str();
}

bool capability_listed(const std::string& caps, const std::string& want) {
  std::istringstream in(caps);
  std::string c;
  while (std::getline(in, c, ','))
    if (const std::string t = trim(c); t == want || t == "all") return true;
  return false;
}

// The fix for the ulimits that are low, both in one line when both are (NVIDIA's containers pass both
// flags together), so that the check's fix line names each flag once.
std::string ulimit_fix(bool memlock_low, bool stack_low) {
  std::string run = "docker run", compose = "Compose: ulimits:", unit;
  if (memlock_low) {
    run += " --ulimit memlock=-1";
    compose += " memlock: -1";
    unit += "LimitMEMLOCK=infinity";
  }
  if (stack_low) {
    run += " --ulimit stack=67108864";
    compose += std::string(memlock_low ? "," : "") + " stack: 67108864";
    unit += std::string(memlock_low ? " and " : "") + "LimitSTACK=67108864";
  }
  // Kubernetes has no ulimit field in a pod spec: containers inherit the container runtime's limits.
  return run + "; " + compose +
         "; Kubernetes: containers inherit the node runtime's limits (containerd: " + unit +
         " in its systemd unit; Docker: default-ulimits in /etc/docker/daemon.json)";
}

}  // namespace

ContainerLimits read_container_limits(const SystemView& sys) {
  ContainerLimits l;
  const auto mem_total = memory_total_bytes(sys);
  if (const auto mounts = sys.read_file("/proc/self/mounts")) {
    std::istringstream in(*mounts);
    std::string line;
    while (std::getline(in, line)) {  // the last mount on /dev/shm is the one in effect
      std::istringstream f(line);
      std::string src, target, type, opts;
      if (!(f >> src >> target >> type >> opts) || target != "/dev/shm") continue;
      l.shm_mounted = true;
      l.shm_bytes.reset();
      std::istringstream o(opts);
      std::string opt;
      while (std::getline(o, opt, ','))
        if (opt.rfind("size=", 0) == 0) l.shm_bytes = tmpfs_size(opt.substr(5), mem_total);
      if (!l.shm_bytes && type == "tmpfs" && mem_total) l.shm_bytes = *mem_total / 2;
    }
  }
  std::error_code ec;
  const auto ns = std::filesystem::read_symlink(sys.path("/proc/self/ns/ipc"), ec);
  if (!ec) {
    l.ipc_namespace = ns.string();
    l.host_ipc = l.ipc_namespace == kHostIpcNamespace;
  }
  if (const auto limits = sys.read_file("/proc/self/limits")) {
    l.limits_known = true;
    l.memlock_bytes = soft_limit(*limits, "Max locked memory");
    l.stack_bytes = soft_limit(*limits, "Max stack size");
  }
  l.capabilities = sys.getenv("NVIDIA_DRIVER_CAPABILITIES");
  return l;
}

std::vector<Finding> evaluate_container_limits(const ContainerLimits& l, bool in_container) {
  std::vector<Finding> out;
  const std::string here = in_container ? "in this container" : "on this machine";
  if (!l.shm_mounted || (l.shm_bytes && *l.shm_bytes < kShmMinBytes)) {
    std::string ipc;
    if (l.host_ipc) ipc = *l.host_ipc ? " (the host's IPC namespace)" : " (a private IPC namespace)";
    const std::string what = l.shm_mounted ? "/dev/shm is " + mib(*l.shm_bytes) + " " + here + ipc
                                           : "no /dev/shm is mounted " + here + ipc;
    out.push_back({Status::warn, "shm_small",
                   what + ", under " + mib(kShmMinBytes) + ": PyTorch DataLoader workers die with \"Bus error\" "
                          "and NCCL fails to create its shared memory segment",
                   in_container && l.host_ipc == true
                       ? "the container shares the host's /dev/shm (--ipc=host): grow it on the host (sudo mount -o "
                         "remount,size=16G /dev/shm), or give the container its own with --shm-size=16g; Compose: "
                         "shm_size: 16gb; Kubernetes: an emptyDir with medium: Memory on /dev/shm"
                   : in_container
                       ? "docker run --ipc=host (the host's /dev/shm) or --shm-size=16g; Compose: ipc: host or "
                         "shm_size: 16gb; Kubernetes: an emptyDir volume with medium: Memory (and a sizeLimit) "
                         "mounted on /dev/shm"
                       : "grow it: sudo mount -o remount,size=16G /dev/shm (and set the size on /dev/shm's line in "
                         "/etc/fstab); in a container: docker run --ipc=host or --shm-size=16g, Compose: ipc: host "
                         "or shm_size, Kubernetes: an emptyDir with medium: Memory on /dev/shm"});
  }
  const bool memlock_low = in_container && l.limits_known && l.memlock_bytes;
  const bool stack_low = in_container && l.limits_known && l.stack_bytes && *l.stack_bytes < kStackMinBytes;
  if (memlock_low)
    out.push_back({Status::warn, "memlock_low",
                   "the memlock ulimit is " + mib(*l.memlock_bytes) + " " + here +
                       ", not unlimited as NVIDIA's containers ask: RDMA (GPUDirect, EFA, InfiniBand) cannot pin "
                       "its buffers",
                   ulimit_fix(memlock_low, stack_low)});
  if (stack_low)
    out.push_back({Status::warn, "stack_low",
                   "the stack ulimit is " + mib(*l.stack_bytes) + " " + here + ", under the " +
                       mib(kStackMinBytes) + " NVIDIA's containers ask for",
                   ulimit_fix(memlock_low, stack_low)});
  // compute missing is the driver check's capabilities_no_compute: libcuda.so.1 is then absent.
  if (l.capabilities && !trim(*l.capabilities).empty() && !capability_listed(*l.capabilities, "utility"))
    out.push_back({Status::warn, "capabilities_no_utility",
                   "NVIDIA_DRIVER_CAPABILITIES=" + *l.capabilities +
                       " leaves out utility: nvidia-smi and NVML (libnvidia-ml.so.1) are not mounted, so GPU "
                       "health, clocks and ECC cannot be read",
                   "add utility: docker run -e NVIDIA_DRIVER_CAPABILITIES=compute,utility; Compose: capabilities: "
                   "[gpu, compute, utility]; Kubernetes: set the container's env "
                   "NVIDIA_DRIVER_CAPABILITIES=compute,utility"});
  return out;
}

}  // namespace gpuprobe
