#include "gpuprobe/probes/context.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <regex>

#include "gpuprobe/probes/gpu_libs.hpp"

namespace gpuprobe {

std::string parse_kernel_module_version(const std::string& text) {
  // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 ..."
  // "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build ..."
  static const std::regex re(R"(Kernel Module(?:\s+for\s+\S+)?\s+([0-9]+\.[0-9]+(?:\.[0-9]+)?))");
  std::smatch m;
  if (std::regex_search(text, m, re)) return m[1];
  return "";
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
  }
  driver_ = d;
  if (d.ok()) start_prefetch();
  sink_.with([&](Report& r) {
    r.software.libraries["libcuda.so.1"] = d.lib_loaded ? d.lib_path : "missing: " + d.load_error;
    if (d.cuda_version && !d.is_stub) r.software.cuda_driver_version = d.cuda_version;
    if (!d.kernel_module.empty() && !r.software.driver_version) r.software.driver_version = d.kernel_module;
  });
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
  sink_.with([&](Report& r) { r.software.cuda_runtime_version = rs.runtime_version; });
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
  sink_.with([&](Report& r) { r.gpus = gpus; });
}

std::vector<GpuInfo> ProbeContext::gpus() {
  enumerate_gpus();
  return sink_.with([](Report& r) { return r.gpus; });
}

const std::vector<GpuProblem>& ProbeContext::gpu_problems() {
  enumerate_gpus();
  return *gpu_problems_;
}

void ProbeContext::note_lost_contexts(const std::string& check) {
  if (!gpu_problems_ || !gpus_usable()) return;
  std::vector<int> ids;
  sink_.with([&](Report& r) {
    for (const auto& g : r.gpus) ids.push_back(g.index);
  });
  for (int i : ids) {
    if (lost_.count(i)) continue;
    const bool enumeration_failed = std::any_of(gpu_problems_->begin(), gpu_problems_->end(),
                                                [i](const GpuProblem& p) { return p.index == i; });
    if (enumeration_failed || cudaSetDevice(i) != cudaSuccess) continue;  // the devices check says why
    if (cudaDeviceSynchronize() == cudaSuccess) continue;
    cudaGetLastError();
    const cudaError_t again = cudaDeviceSynchronize();
    if (again == cudaSuccess) continue;
    lost_[i] = LostContext{static_cast<int>(again), cudaGetErrorName(again), check};
  }
  // The runtime keeps one last error per host thread: leave none behind, or the next launch's
  // cudaGetLastError() on a healthy GPU would report the lost one's error as its own.
  (void)cudaGetLastError();
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

}  // namespace gpuprobe
