#include "gpuprobe/probes/context.hpp"

#include <cuda_runtime_api.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <sstream>

#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/gpu/lost_context.hpp"
#include "gpuprobe/probes/host_info.hpp"

namespace gpuprobe {

std::string parse_kernel_module_version(const std::string& text) {
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 ..."
  // "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build ..."
  static const std::regex re(R"(Kernel Module(?:\s+for\s+\S+)?\s+([0-9]+\.[0-9]+(?:\.[0-9]+)?))");
  std::smatch m;
  if (std::regex_search(text, m, re)) return m[1];
  return "";
}

std::string driver_version_from_library_file(const std::string& path) {
  if (path.empty()) return "";
  char resolved[PATH_MAX];
  const std::string real = ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
  const std::string name = real.substr(real.rfind('/') + 1);
  // Driver versions are branch.minor or branch.minor.patch: 570.26, 535.261.03.
  static const std::regex re(R"(^lib(?:cuda|nvidia-ml)\.so\.([0-9]+\.[0-9]+(?:\.[0-9]+)?)$)");
  std::smatch m;
  if (std::regex_match(name, m, re)) return m[1];
  return "";
}

const char* to_string(DriverVersionSource s) {
  switch (s) {
    case DriverVersionSource::nvml: return "nvml";
    case DriverVersionSource::kernel_module: return "kernel_module";
    case DriverVersionSource::libcuda_file_name: return "libcuda_file_name";
    case DriverVersionSource::nvml_file_name: return "nvml_file_name";
  }
  return "?";
}

void ProbeContext::note_driver_version(const std::string& version, DriverVersionSource from) {
  if (version.empty()) return;
  if (driver_version_ && static_cast<int>(driver_version_->source) <= static_cast<int>(from)) return;
  driver_version_ = DriverVersion{version, from};
  shared_.with([&](Report& r) { r.software.driver_version = version; });
}

const DriverState& ProbeContext::driver() {
  if (driver_) return *driver_;
  DriverState d;
  d.kernel_module = parse_kernel_module_version(sys_.read_file("/proc/driver/nvidia/version", 4096).value_or(""));
  const CudaDriverLib& lib = cuda_driver_lib();
  d.lib_loaded = lib.lib.loaded();
  d.lib_path = lib.lib.path();
  if (!d.lib_loaded) d.load_error = lib.missing;
  if (d.lib_loaded && !lib.missing.empty()) {
    d.lib_loaded = false;
    d.load_error = lib.missing;
  }
  if (d.lib_loaded) {
    d.init_code = lib.cuInit(0);
    d.init_name = lib.error_name(d.init_code);
    d.init_text = lib.error_string(d.init_code);
    constexpr int kCudaErrorStubLibrary = 34;
    d.is_stub = d.init_code == kCudaErrorStubLibrary || d.lib_path.find("/stubs/") != std::string::npos;
    int v = 0;
    if (lib.cuDriverGetVersion(&v) == 0) d.cuda_version = v;
    if (!d.is_stub) d.lib_version = driver_version_from_library_file(d.lib_path);
  }
  driver_ = d;
  if (d.ok()) start_prefetch();
  shared_.with([&](Report& r) {
    r.software.libraries["libcuda.so.1"] = d.lib_loaded ? d.lib_path : "missing: " + d.load_error;
    if (d.cuda_version && !d.is_stub) r.software.cuda_driver_version = d.cuda_version;
  });
  note_driver_version(d.kernel_module, DriverVersionSource::kernel_module);
  note_driver_version(d.lib_version, DriverVersionSource::libcuda_file_name);
  return *driver_;
}

namespace {
std::string format_uuid(const cudaUUID_t& u) {
  const auto* b = reinterpret_cast<const unsigned char*>(u.bytes);
  char s[64];
  std::snprintf(s, sizeof s, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return s;
}
}  // namespace

const RuntimeState& ProbeContext::runtime() {
  if (runtime_) return *runtime_;
  RuntimeState rs;
  int rv = 0;
  if (cudaRuntimeGetVersion(&rv) == cudaSuccess) rs.runtime_version = rv;
  shared_.with([&](Report& r) { r.software.cuda_runtime_version = rs.runtime_version; });
  if (!driver().ok()) {
    runtime_ = rs;  // not attempted: without a driver the runtime only says error 35
    return *runtime_;
  }
  rs.attempted = true;
  const cudaError_t e = cudaGetDeviceCount(&rs.device_count);
  rs.code = e;
  rs.name = cudaGetErrorName(e);
  rs.text = cudaGetErrorString(e);
  if (e != cudaSuccess) {
    rs.device_count = 0;
    cudaGetLastError();  // clear the sticky-free error so later calls report their own
  }
  runtime_ = rs;
  return *runtime_;
}

void ProbeContext::enumerate_gpus() {
  if (gpu_problems_) return;
  std::vector<GpuProblem> problems;
  if (!gpus_usable()) {
    gpu_problems_ = problems;
    return;
  }
  const auto problem = [&](int i, const char* call, cudaError_t e) {
    problems.push_back({i, call, static_cast<int>(e), cudaGetErrorName(e), cudaGetErrorString(e)});
    cudaGetLastError();
  };
  std::vector<GpuInfo> gpus;
  for (int i = 0; i < runtime_->device_count; ++i) {
    cudaDeviceProp p{};
    if (const cudaError_t e = cudaGetDeviceProperties(&p, i); e != cudaSuccess) {
      problem(i, "cudaGetDeviceProperties", e);
      continue;
    }
    GpuInfo g;
    g.index = i;
    g.name = p.name;
    g.uuid = format_uuid(p.uuid);
    char bus[32] = {};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, i) == cudaSuccess) g.pci_bus_id = bus;
    g.cc_major = p.major;
    g.cc_minor = p.minor;
    g.sm_count = p.multiProcessorCount;
    g.memory_total_bytes = p.totalGlobalMem;
    g.l2_cache_bytes = static_cast<std::uint64_t>(p.l2CacheSize);
    g.memory_bus_width_bits = p.memoryBusWidth;
    // cudaSetDevice creates the GPU's primary context: where a busy or prohibited GPU says so.
    std::size_t free_b = 0, total_b = 0;
    if (const cudaError_t e = cudaSetDevice(i); e != cudaSuccess)
      problem(i, "cudaSetDevice", e);
    else if (const cudaError_t m = cudaMemGetInfo(&free_b, &total_b); m != cudaSuccess)
      problem(i, "cudaMemGetInfo", m);
    else
      g.memory_free_bytes = free_b;
    gpus.push_back(g);
  }
  gpu_problems_ = problems;
  shared_.with([&](Report& r) { r.gpus = gpus; });
}

std::vector<GpuInfo> ProbeContext::gpus() {
  enumerate_gpus();
  return shared_.with([](Report& r) { return r.gpus; });
}

const std::vector<GpuProblem>& ProbeContext::gpu_problems() {
  enumerate_gpus();
  return *gpu_problems_;
}

void ProbeContext::note_lost_contexts(const std::string& check) {
  if (!gpu_problems_ || !gpus_usable()) return;
  std::vector<int> ids;
  shared_.with([&](Report& r) {
    for (const auto& g : r.gpus) ids.push_back(g.index);
  });
  for (int i : ids) {
    if (lost_.count(i)) continue;
    const bool enumeration_failed = std::any_of(gpu_problems_->begin(), gpu_problems_->end(),
                                                [i](const GpuProblem& p) { return p.index == i; });
    if (enumeration_failed) continue;  // the devices check says why
    if (const cudaError_t lost = lost_context_error(i); lost != cudaSuccess)
      lost_[i] = LostContext{static_cast<int>(lost), cudaGetErrorName(lost), check};
  }
}

const LostContext* ProbeContext::lost_context(int gpu) const {
  const auto it = lost_.find(gpu);
  return it == lost_.end() ? nullptr : &it->second;
}

Finding lost_context_finding(const std::string& gpu_label, const LostContext& lost) {
  return {Status::warn, "context_lost",
          gpu_label + ": not tested: its CUDA context has been lost since the " + lost.check + " check (" + lost.name +
              ", " + std::to_string(lost.code) + "): every CUDA call on it fails until the process ends",
          "see the " + lost.check + " check; a GPU that loses its context to gpuprobe's own verified work (an "
          "uncorrectable ECC error, a launch failure) needs attention: look for Xid errors in the host's kernel log "
          "(dmesg), reset it or take it out of service"};
}

Finding diagnose_gpu_problem(const GpuProblem& p) {
  constexpr int kDevicesUnavailable = 46;  // cudaErrorDevicesUnavailable
  const std::string gpu = "GPU " + std::to_string(p.index);
  const std::string err = p.name + " (" + std::to_string(p.code) + ")";
  if (p.code == kDevicesUnavailable)
    return {Status::fail, "gpu_busy",
            gpu + " is unavailable to this process (" + err + " from " + p.call +
                "): its compute mode is exclusive-process and another process holds it, or it is prohibited",
            "on the host: nvidia-smi -q -d COMPUTE and nvidia-smi (which process holds it); stop that process, or "
            "set the compute mode to Default (nvidia-smi -i " + std::to_string(p.index) + " -c DEFAULT)"};
  return {Status::fail, "device_query", gpu + ": " + p.call + " failed: " + err + ": " + p.text,
          "check the host: nvidia-smi, dmesg for Xid errors"};
}

// ---- why the driver stack reaches no GPU ---------------------------------------------------------

bool KernelDriverView::has_control_node() const {
  return std::find(device_nodes.begin(), device_nodes.end(), "/dev/nvidiactl") != device_nodes.end();
}

bool KernelDriverView::has_gpu_node() const {
  static const std::regex gpu(R"(/dev/nvidia[0-9]+)");
  return std::any_of(device_nodes.begin(), device_nodes.end(),
                     [](const std::string& n) { return std::regex_match(n, gpu); });
}

KernelDriverView read_kernel_driver_view(const SystemView& sys) {
  KernelDriverView k;
  k.module_loaded = sys.exists("/proc/driver/nvidia");
  k.module_version = parse_kernel_module_version(sys.read_file("/proc/driver/nvidia/version", 4096).value_or(""));
  k.device_nodes = nvidia_device_nodes(sys);
  k.in_container = detect_container(sys).detected;
  return k;
}

namespace {

// The GPUs exist and the driver reaches the kernel, yet none is visible: what hides them.
std::string visible_devices_hint(const SystemView& sys, bool in_container) {
  const auto nvd = sys.getenv("NVIDIA_VISIBLE_DEVICES");
  if (nvd && *nvd == "none") return "NVIDIA_VISIBLE_DEVICES=none mounts the driver but no GPU: use --gpus all";
  // With MIG on, CUDA enumerates MIG devices only: none created (or none visible) looks like no GPU.
  const std::string mig =
      "; if nvidia-smi shows MIG mode enabled, CUDA sees only MIG devices: create GPU and compute instances "
      "(nvidia-smi mig -cgi <profile> -C) or disable MIG (the nvml check says which GPUs)";
  if (auto cvd = sys.getenv("CUDA_VISIBLE_DEVICES"))
    return "CUDA_VISIBLE_DEVICES='" + *cvd + "' may hide every GPU: unset it or list valid indices or MIG UUIDs" + mig;
  if (in_container) return "start the container with --gpus all; on the host, nvidia-smi must list the GPU" + mig;
  return "nvidia-smi must list the GPU; if it does not, look for Xid errors in the kernel log (dmesg)" + mig;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

Finding diagnose_no_gpu_behind_driver(const SystemView& sys, const std::string& symptom,
                                      const std::string& libs_version, bool kernel_side_works) {
  const KernelDriverView k = read_kernel_driver_view(sys);
  if (!kernel_side_works && !k.module_loaded) {
    if (k.in_container)
      return {Status::fail, "kernel_module_missing",
              symptom + ": the host has no NVIDIA kernel module loaded (no /proc/driver/nvidia in this container)",
              "on the host first: nvidia-smi on the host must list the GPU (sudo modprobe nvidia there; if that "
              "fails, reinstall the host's NVIDIA driver); then recreate this container with --gpus all, so that the "
              "NVIDIA Container Toolkit mounts the host's matching driver libraries"};
    const std::string libs = libs_version.empty() ? "" : " (" + libs_version + ")";
    return {Status::fail, "kernel_module_missing",
            symptom + ": the NVIDIA kernel module is not loaded (no /proc/driver/nvidia)",
            "sudo modprobe nvidia; if that fails, the module is not built for this kernel (uname -r): check `dkms "
            "status` and reinstall the NVIDIA driver matching the user-space libraries" + libs +
                ", or Secure Boot rejects the unsigned module (mokutil --sb-state: enroll the driver's key or turn "
                "Secure Boot off); then nvidia-smi must list the GPU"};
  }
  if (!kernel_side_works && !k.complete()) {
    std::vector<std::string> missing;
    if (!k.has_control_node()) missing.push_back("/dev/nvidiactl");
    if (!k.has_gpu_node()) missing.push_back("/dev/nvidia<N>");
    const std::string absent = join(missing, ", no ");
    if (k.in_container) {
      const auto nvd = sys.getenv("NVIDIA_VISIBLE_DEVICES");
      const std::string asked_none =
          nvd && (*nvd == "none" || *nvd == "void" || nvd->empty())
              ? "; NVIDIA_VISIBLE_DEVICES=" + *nvd + " asks the toolkit for no GPU: set it to all or to GPU indices"
              : "";
      return {Status::fail, "device_nodes_missing",
              symptom + ": the driver's libraries are here but the GPU device nodes were not passed in (no " + absent +
                  ")",
              "start the container with --gpus all (NVIDIA Container Toolkit): it passes the device nodes together "
              "with the driver libraries that match the host's kernel module; do not mount driver libraries by "
              "hand" + asked_none};
    }
    const std::string module = k.module_version.empty() ? "" : " " + k.module_version;
    return {Status::fail, "device_nodes_missing",
            symptom + ": the NVIDIA kernel module" + module + " is loaded but its device nodes do not exist (no " +
                absent + ")",
            "create them: sudo nvidia-modprobe -u -c=0 (or run nvidia-smi once as root); if they are gone again "
            "after a reboot, check the udev rules that create /dev/nvidia* and that nvidia-modprobe is installed"};
  }
  return {Status::fail, "no_device", symptom, visible_devices_hint(sys, k.in_container)};
}

bool capabilities_include_compute(const std::optional<std::string>& caps) {
  if (!caps) return true;
  const std::string all = trim(*caps);
  if (all.empty()) return true;
  std::istringstream in(all);
  std::string cap;
  while (std::getline(in, cap, ','))
    if (const std::string c = trim(cap); c == "compute" || c == "all") return true;
  return false;
}

Finding diagnose_missing_libcuda(const SystemView& sys, const std::string& nvml_path, const std::string& nvml_version) {
  const KernelDriverView k = read_kernel_driver_view(sys);
  const bool nvml = !nvml_path.empty();
  const bool dev_nodes = !k.device_nodes.empty();
  const auto caps = sys.getenv("NVIDIA_DRIVER_CAPABILITIES");
  if (!capabilities_include_compute(caps) && (nvml || dev_nodes)) {
    const std::string what = nvml ? "nvidia-smi's library (NVML) is mounted but libcuda.so.1 is not"
                                  : "/dev/nvidia* exists but libcuda.so.1 is not mounted";
    return {Status::fail, "capabilities_no_compute",
            what + ": NVIDIA_DRIVER_CAPABILITIES=" + *caps + " leaves out compute",
            "add compute: docker run -e NVIDIA_DRIVER_CAPABILITIES=compute,utility (or --gpus "
            "'all,\"capabilities=compute,utility\"'); Compose: capabilities: [gpu, compute, utility]; Kubernetes: "
            "set the container's env NVIDIA_DRIVER_CAPABILITIES=compute,utility. The CUDA runtime reports this as "
            "error 35 \"driver version is insufficient\": the driver library is absent"};
  }
  if (nvml) {
    const std::string ver = nvml_version.empty() ? "" : " " + nvml_version;
    const std::string of_driver = nvml_version.empty() ? "" : ", driver " + nvml_version;
    if (k.in_container)
      return {Status::fail, "no_driver",
              "the NVIDIA driver's libraries are only partly here: libcuda.so.1 is missing while libnvidia-ml.so.1 "
              "(" + nvml_path + of_driver + ") loads",
              "start the container with --gpus all through the NVIDIA Container Toolkit, which mounts libcuda.so.1 "
              "with NVML when NVIDIA_DRIVER_CAPABILITIES is unset or includes compute (compute,utility); do not "
              "mount driver libraries by hand"};
    return {Status::fail, "no_driver",
            "the NVIDIA driver's libraries are only partly installed: libcuda.so.1 is missing while "
            "libnvidia-ml.so.1 (" + nvml_path + of_driver + ") loads",
            "install the CUDA driver library of the same driver version" + ver +
                " (Debian: libcuda1, Ubuntu: libnvidia-compute-<branch>), or reinstall the NVIDIA driver; then "
                "ldconfig -p must list libcuda.so.1"};
  }
  if (dev_nodes) {
    if (k.in_container)
      return {Status::fail, "no_driver", "/dev/nvidia* exists but the driver library libcuda.so.1 does not load",
              "the driver's user-space libraries are not mounted or not on the loader path: use the NVIDIA "
              "Container Toolkit (--gpus all) rather than --device mounts, and keep "
              "NVIDIA_DRIVER_CAPABILITIES=compute,utility"};
    const std::string module = k.module_version.empty() ? "" : " " + k.module_version;
    return {Status::fail, "no_driver", "/dev/nvidia* exists but the driver library libcuda.so.1 does not load",
            "the driver's user-space libraries are missing or not on the loader path: reinstall the NVIDIA driver "
            "(libcuda.so.1 must match the kernel module" + module + "), then run ldconfig"};
  }
  if (k.in_container)
    return {Status::fail, "no_driver",
            "no NVIDIA driver library in this container — start it with `--gpus all` (NVIDIA Container Toolkit on "
            "the host)",
            "docker run --gpus all …; Compose: deploy.resources.reservations.devices with capabilities [gpu]; "
            "Kubernetes: resources.limits nvidia.com/gpu. The CUDA runtime reports this as error 35 \"driver "
            "version is insufficient\": the driver is not old, it is absent"};
  return {Status::fail, "no_driver",
          "no NVIDIA driver on this machine (no libcuda.so.1, no /dev/nvidia*) — if this is a container, start it "
          "with `--gpus all`",
          "install the NVIDIA driver (the CUDA toolkit alone has none; EC2 Deep Learning AMIs ship one). The CUDA "
          "runtime reports this as error 35 \"driver version is insufficient\": the driver is absent"};
}

}  // namespace gpuprobe
