#include "gpuprobe/probes/container_limits.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>
#include <sstream>

#include "gpuprobe/probes/compat.hpp"
#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/probes/options.hpp"
#include "gpuprobe/report/render.hpp"

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

std::string join_paths(const std::vector<const NodeOpen*>& nodes) {
  std::string out;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    out += (i == 0 ? "" : i + 1 == nodes.size() ? " and " : ", ") + nodes[i]->path;
  return out;
}

std::string device_number(const NodeOpen& n) {
  return "c " + std::to_string(n.major) + ":" + std::to_string(n.minor);
}

// "open() fails with EPERM (Operation not permitted)"
std::string open_fails(int error) {
  return "open() fails with " + errno_name(error) + " (" + std::strerror(error) + ")";
}

// The mount in effect on `target`: the last line for it in /proc/self/mounts.
struct MountEntry {
  std::string type;
  std::vector<std::string> options;
  bool has(const std::string& o) const { return std::find(options.begin(), options.end(), o) != options.end(); }
};
std::optional<MountEntry> last_mount(const SystemView& sys, const std::string& target) {
  std::optional<MountEntry> found;
  if (const auto mounts = sys.read_file("/proc/self/mounts")) {
    std::istringstream in(*mounts);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string src, t, type, opts;
      if (!(f >> src >> t >> type >> opts) || t != target) continue;
      found = MountEntry{type, {}};
      std::istringstream o(opts);
      for (std::string opt; std::getline(o, opt, ',');) found->options.push_back(opt);
    }
  }
  return found;
}

}  // namespace

ContainerLimits read_container_limits(const SystemView& sys) {
  ContainerLimits l;
  const auto mem_total = memory_total_bytes(sys);
  if (const auto shm = last_mount(sys, "/dev/shm")) {
    l.shm_mounted = true;
    for (const auto& opt : shm->options)
      if (opt.rfind("size=", 0) == 0) l.shm_bytes = tmpfs_size(opt.substr(5), mem_total);
    if (!l.shm_bytes && shm->type == "tmpfs" && mem_total) l.shm_bytes = *mem_total / 2;
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

std::string errno_name(int error) {
  switch (error) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case EROFS: return "EROFS";
    default: return "errno " + std::to_string(error);
  }
}

std::vector<NodeOpen> open_nvidia_device_nodes(const SystemView& sys) {
  static const std::regex node(R"(nvidia([0-9]+|ctl|-uvm))");
  std::vector<NodeOpen> out;
  for (const auto& name : sys.list_dir("/dev")) {
    if (!std::regex_match(name, node)) continue;
    NodeOpen n;
    n.path = "/dev/" + name;
    const std::string host = sys.path(n.path);
    struct stat st {};
    if (::stat(host.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    if (S_ISCHR(st.st_mode)) {
      n.major = ::major(st.st_rdev);
      n.minor = ::minor(st.st_rdev);
    }
    // Read-only and non-blocking: the NVIDIA driver then defers initializing a GPU instead of making
    // the open wait for it, and close() follows at once.
    const int fd = ::open(host.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
    // EAGAIN and EBUSY come from the driver itself: the node reaches it.
    else if (errno != EAGAIN && errno != EBUSY) n.error = errno;
    out.push_back(n);
  }
  return out;
}

DeviceAccess evaluate_device_access(const std::vector<NodeOpen>& nodes, const KernelDriverView& k, bool dev_nodev,
                                    const std::string& symptom) {
  DeviceAccess a;
  std::vector<const NodeOpen*> eperm, eacces, other;
  for (const auto& n : nodes) {
    if (n.error == EPERM) eperm.push_back(&n);
    else if (n.error == EACCES) eacces.push_back(&n);
    else if (n.error != 0) other.push_back(&n);
  }
  const std::string exist = (eperm.empty() ? eacces : eperm).size() > 1 ? " exist but " : " exists but ";
  if (!eperm.empty()) {
    // The device cgroup answers EPERM before the driver sees the open; permissions, a nodev mount
    // and security modules answer EACCES.
    if (k.in_container)
      a.finding = Finding{
          Status::fail, "device_access_revoked",
          symptom + ": " + join_paths(eperm) + exist + open_fails(EPERM) +
              ": the container's device cgroup no longer lets it use the GPU. This is what a `systemctl "
              "daemon-reload` (or any systemd reload, e.g. by a package upgrade) on a host whose container "
              "runtime uses the systemd cgroup driver does to running GPU containers; nvidia-smi in it says "
              "\"Failed to initialize NVML: Unknown Error\"",
          "recreate the container, a restart of its process does not restore the access: docker rm -f NAME and "
          "docker run it again; Compose: docker compose up -d --force-recreate; Kubernetes: kubectl delete pod "
          "NAME (its controller starts a new one). So that it does not recur, on the host: sudo nvidia-ctk system "
          "create-dev-char-symlinks --create-all (the /dev/char links runc needs to keep NVIDIA devices across a "
          "reload; NVIDIA's udev rule reruns it when the driver loads), or run Docker with the cgroupfs driver "
          "(\"exec-opts\": [\"native.cgroupdriver=cgroupfs\"] in /etc/docker/daemon.json)"};
    else
      a.finding = Finding{
          Status::fail, "device_access_revoked",
          symptom + ": " + join_paths(eperm) + exist + open_fails(EPERM) +
              ": this process's device cgroup does not allow the GPU (cat /proc/self/cgroup names it)",
          "a systemd service needs DeviceAllow=/dev/nvidiactl rw and DeviceAllow=/dev/nvidia0 rw (and the other "
          "GPUs, /dev/nvidia-uvm) when its DevicePolicy is closed or strict, or PrivateDevices=no; a container "
          "needs --gpus all"};
    return a;
  }
  if (!eacces.empty()) {
    std::string why, hint;
    if (dev_nodev) {
      why = ": /dev is mounted nodev, which refuses every device node";
      hint = k.in_container ? "start the container without a nodev /dev (a plain docker run --gpus all mounts /dev "
                              "without nodev; check the runtime's or the pod's mount options)"
                            : "remount /dev without nodev (findmnt /dev shows its options)";
    } else {
      why = ": the nodes' permissions do not let this user read them (ls -l /dev/nvidia*), or a security module "
            "(AppArmor, SELinux) refuses; the device cgroup would answer EPERM, not this";
      hint = k.in_container
                 ? "start the container with --gpus all, which passes the nodes with the host's permissions "
                   "(crw-rw-rw-); do not create them in the image; Compose: deploy.resources.reservations.devices "
                   "with driver: nvidia; Kubernetes: resources.limits nvidia.com/gpu; if the nodes are crw-rw-rw- "
                   "here, look at the AppArmor/SELinux profile (docker run --security-opt)"
                 : "on the host the nodes should be crw-rw-rw- (the driver's NVreg_DeviceFileMode=0666 default), or "
                   "owned by a group this user is in (sudo usermod -aG video $USER, then log in again); otherwise "
                   "look at the AppArmor/SELinux log (journalctl -k | grep -i denied)";
    }
    a.finding = Finding{Status::fail, "device_access_denied",
                        symptom + ": " + join_paths(eacces) + exist + open_fails(EACCES) + why, hint};
    return a;
  }
  if (other.empty()) return a;
  // ENXIO: the node's number names no device of a loaded driver. With the module loaded and the
  // nodes all there, that is the failure itself; otherwise the missing part says more (see
  // diagnose_no_gpu_behind_driver) and this is a note to its message.
  std::string listed;
  for (const auto* n : other)
    listed += (listed.empty() ? "" : ", ") + n->path + " (" + device_number(*n) + ")";
  const int first = other.front()->error;
  const bool all_same = std::all_of(other.begin(), other.end(), [&](const NodeOpen* n) { return n->error == first; });
  const std::string fails = (all_same ? open_fails(first) : std::string("open() fails"));
  const std::string meaning = first == ENXIO ? ": no driver answers to that device number" : "";
  if (k.complete() && all_same && first == ENXIO) {
    a.finding = Finding{
        Status::fail, "device_nodes_unbacked",
        symptom + ": " + listed + (other.size() > 1 ? " exist" : " exists") + " but " + fails +
            ": the loaded NVIDIA driver has no device with that number (a node created by hand, or for a GPU that "
            "is gone)",
        k.in_container ? "recreate the container with --gpus all (Compose: deploy.resources.reservations.devices with "
                         "driver: nvidia; Kubernetes: resources.limits nvidia.com/gpu): the NVIDIA Container Toolkit "
                         "passes the host's own nodes; nodes created in the image or passed with --device may carry "
                         "numbers the host's driver does not use"
                       : "recreate the nodes: sudo rm the stale ones, then sudo nvidia-modprobe -u -c=0 (-c=N for GPU "
                         "N); nvidia-smi lists the GPUs the driver has"};
    return a;
  }
  a.note = "; " + listed + (other.size() > 1 ? " exist" : " exists") + " but " + fails + meaning;
  return a;
}

DeviceAccessProbe probe_device_access(const SystemView& sys, const KernelDriverView& k, const std::string& symptom) {
  DeviceAccessProbe p;
  p.nodes = open_nvidia_device_nodes(sys);
  const auto dev = last_mount(sys, "/dev");
  const bool nodev = dev && dev->has("nodev");
  p.access = evaluate_device_access(p.nodes, k, nodev, symptom);
  return p;
}

std::map<std::string, std::string> node_open_results(const std::vector<NodeOpen>& nodes) {
  std::map<std::string, std::string> out;
  for (const auto& n : nodes) out[n.path] = n.error == 0 ? "opened" : errno_name(n.error);
  return out;
}

namespace {

// "12.8" or "535.261.03" -> {12, 8} / {535, 261, 3}; nullopt when not numbers and dots.
std::optional<std::vector<int>> version_parts(const std::string& v) {
  std::vector<int> out;
  std::istringstream in(v);
  for (std::string p; std::getline(in, p, '.');) {
    if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos || p.size() > 9) return std::nullopt;
    out.push_back(std::stoi(p));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

int compare_versions(std::vector<int> a, std::vector<int> b) {
  const std::size_t n = std::max(a.size(), b.size());
  a.resize(n, 0);
  b.resize(n, 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

bool holds(int cmp, const std::string& op) {
  if (op == "=" || op == "==") return cmp == 0;
  if (op == "!=") return cmp != 0;
  if (op == "<") return cmp < 0;
  if (op == "<=") return cmp <= 0;
  if (op == ">") return cmp > 0;
  return cmp >= 0;  // ">="
}

Truth all_of(const std::vector<Truth>& ts) {
  Truth out = Truth::yes;
  for (Truth t : ts) {
    if (t == Truth::no) return Truth::no;
    if (t == Truth::unknown) out = Truth::unknown;
  }
  return out;
}

}  // namespace

RequireCuda assess_require_cuda(const std::string& value, int driver_cuda, const std::string& driver_version) {
  static const std::regex term(R"(([a-z]+)(>=|<=|!=|==|=|<|>)(.+))");
  RequireCuda r;
  r.value = value;
  const auto driver = version_parts(driver_version);
  std::vector<Truth> alternatives;
  std::istringstream in(value);
  for (std::string alt; in >> alt;) {
    std::vector<Truth> terms;
    std::istringstream t(alt);
    for (std::string item; std::getline(t, item, ',');) {
      std::smatch m;
      if (item.empty()) continue;
      if (!std::regex_match(item, m, term)) {
        r.unparsed.push_back(item);
        terms.push_back(Truth::unknown);
        continue;
      }
      const std::string key = m[1], op = m[2], v = m[3];
      const auto want = version_parts(v);
      if (key == "cuda" && want && driver_cuda > 0) {
        if (r.cuda_term.empty()) {
          r.cuda_term = item;
          r.required_cuda = (*want)[0] * 1000 + (want->size() > 1 ? (*want)[1] * 10 : 0);
        }
        terms.push_back(holds(compare_versions({driver_cuda / 1000, driver_cuda % 1000 / 10}, *want), op) ? Truth::yes
                                                                                                           : Truth::no);
      } else if (key == "driver" && want && driver) {
        terms.push_back(holds(compare_versions(*driver, *want), op) ? Truth::yes : Truth::no);
      } else {
        if (std::find(r.not_evaluated.begin(), r.not_evaluated.end(), item) == r.not_evaluated.end())
          r.not_evaluated.push_back(item);
        terms.push_back(Truth::unknown);
      }
    }
    if (!terms.empty()) alternatives.push_back(all_of(terms));
  }
  if (alternatives.empty()) return r;  // nothing required
  r.met = Truth::no;
  for (Truth a : alternatives)
    if (a == Truth::yes || (a == Truth::unknown && r.met == Truth::no)) r.met = a;
  return r;
}

std::optional<Finding> evaluate_require_cuda(const RequireCuda& r, int driver_cuda, const std::string& driver_version,
                                             bool disable_require) {
  if (r.met == Truth::yes || r.value.empty()) return std::nullopt;
  const std::string drv = (driver_version.empty() ? std::string("the driver") : "driver " + driver_version) +
                          " (CUDA " + format_cuda_version(driver_cuda) + ")";
  const std::string failing = r.cuda_term.empty() ? r.value : r.cuda_term;
  if (r.met == Truth::unknown) {
    if (r.not_evaluated.empty() && r.unparsed.empty()) return std::nullopt;
    std::string terms;
    for (const auto& t : r.not_evaluated) terms += (terms.empty() ? "" : ", ") + t;
    for (const auto& t : r.unparsed) terms += (terms.empty() ? "" : ", ") + t;
    return Finding{Status::pass, "require_cuda_brand",
                   "NVIDIA_REQUIRE_CUDA=\"" + r.value + "\": " +
                       (r.cuda_term.empty() ? std::string("") : r.cuda_term + " is not met by " + drv + ", ") +
                       "an alternative may hold that depends on terms not judged here (" + terms +
                       "): the toolkit starts such an image on a GPU of that brand, where the image's cuda-compat "
                       "package provides the newer CUDA",
                   ""};
  }
  std::string hint = "use an image built for this driver";
  if (const std::string image = image_version_for_driver(driver_cuda); !image.empty())
    hint += ", e.g. nvidia/cuda:" + image + "-cudnn-runtime-ubuntu22.04 or a framework build for CUDA " +
            image.substr(0, image.rfind('.'));
  hint += " (docker run IMAGE; Compose: image:; Kubernetes: the container's image:), or upgrade the host driver";
  if (r.required_cuda > 0) {
    const std::string ga = ga_driver_for_cuda(r.required_cuda);
    hint += " to one for CUDA " + format_cuda_version(r.required_cuda) + (ga.empty() ? "" : " (" + ga + " or newer)");
  }
  hint += "; on Kubernetes that is the node's driver (the GPU Operator's driver version or the node image)";
  return Finding{Status::warn, "require_cuda_unmet",
                 "this image's NVIDIA_REQUIRE_CUDA (\"" + r.value + "\") is not met by " + drv +
                     ": on this host nvidia-container-cli refuses to start it (\"requirement error: unsatisfied "
                     "condition: " + failing + "\"); it runs here only because " +
                     (disable_require ? std::string("NVIDIA_DISABLE_REQUIRE is set")
                                      : std::string("its runtime did not check (CDI, or a runtime other than "
                                                    "nvidia-container-runtime)")) +
                     ", and the image's CUDA libraries may fail with \"driver version is insufficient\"",
                 hint};
}

namespace {

// `abs` (inside the view's root) with symlinks resolved, as a path inside the root again; "" when it
// does not exist.
std::string resolved(const SystemView& sys, const std::string& abs) {
  std::error_code ec;
  const auto host = std::filesystem::canonical(sys.path(abs), ec);
  if (ec) return "";
  if (sys.root.empty() || sys.root == "/") return host.string();
  const auto root = std::filesystem::canonical(sys.root, ec).string();
  const std::string h = host.string();
  return !ec && h.rfind(root, 0) == 0 ? (h.size() == root.size() ? "/" : h.substr(root.size())) : "";
}

}  // namespace

std::vector<CompatLibrary> find_cuda_compat(const SystemView& sys) {
  static const std::regex lib(R"(libcuda\.so\.([0-9]+\.[0-9]+(\.[0-9]+)?))");
  std::vector<CompatLibrary> out;
  for (const auto& name : sys.list_dir("/usr/local")) {
    if (name.rfind("cuda", 0) != 0) continue;
    const std::string dir = resolved(sys, "/usr/local/" + name + "/compat");
    if (dir.empty() || std::any_of(out.begin(), out.end(), [&](const CompatLibrary& c) { return c.dir == dir; }))
      continue;  // /usr/local/cuda is usually a link to /usr/local/cuda-X.Y
    for (const auto& file : sys.list_dir(dir)) {
      std::smatch m;
      if (std::regex_match(file, m, lib)) {
        out.push_back({dir, m[1], ""});
        break;
      }
    }
  }
  if (out.empty()) return out;
  auto mark = [&](const std::string& entry, const std::string& how) {
    if (entry.empty() || entry[0] != '/') return;
    const std::string dir = resolved(sys, entry);
    for (auto& c : out)
      if (c.on_path.empty() && c.dir == dir) c.on_path = how;
  };
  if (const auto ld = sys.getenv("LD_LIBRARY_PATH")) {
    std::istringstream in(*ld);
    for (std::string e; std::getline(in, e, ':');) mark(e, "LD_LIBRARY_PATH");
  }
  for (const auto& conf : sys.list_dir("/etc/ld.so.conf.d")) {
    if (conf.size() < 5 || conf.compare(conf.size() - 5, 5, ".conf") != 0) continue;
    const std::string file = "/etc/ld.so.conf.d/" + conf;
    std::istringstream in(sys.read_file(file, 64 * 1024).value_or(""));
    for (std::string line; std::getline(in, line);) mark(trim(line.substr(0, line.find('#'))), file);
  }
  return out;
}

const CompatLibrary* loaded_compat_library(const std::vector<CompatLibrary>& compat, const SystemView& sys,
                                           const std::string& lib_path) {
  if (lib_path.empty()) return nullptr;
  std::error_code ec;
  const auto folder = std::filesystem::canonical(std::filesystem::path(lib_path).parent_path(), ec);
  if (ec) return nullptr;
  for (const auto& c : compat) {
    const auto dir = std::filesystem::canonical(sys.path(c.dir), ec);
    if (!ec && dir == folder) return &c;
  }
  return nullptr;
}

std::string describe_compat_library(const CompatLibrary& c) {
  return "libcuda " + c.version + " of the image's cuda-compat (" + c.dir +
         (c.on_path.empty() ? ", not on the loader's path" : ", on the loader's path through " + c.on_path) + ")";
}

}  // namespace gpuprobe
