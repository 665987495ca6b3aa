// make_gpu_factory, the NVML clock sampler and the peaks of one GPU.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gpuprobe/bench/gpu.hpp"
#include "gpuprobe/gpu/blas_dnn.hpp"
#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/device.hpp"
#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/gpu/lost_context.hpp"
#include "gpuprobe/gpu/nccl_lib.hpp"
#include "gpuprobe/gpu/nvml_read.hpp"
#include "gpuprobe/probes/compat.hpp"
#include "workloads.hpp"

namespace gpuprobe::bench {

WorkloadFactory make_gpu_factory(const GpuInfo& gpu) {
  // After a sticky error every later CUDA call in the process fails the same way: the benchmarks
  // after the one that lost the context are skipped, naming it, rather than each failing with the
  // same error. Asked before each benchmark (gpu/lost_context.hpp).
  struct State {
    std::string previous;  // the benchmark that ran last
    std::string lost;      // why the context is lost; empty while it works
  };
  auto state = std::make_shared<State>();
  return [gpu, state](const BenchSpec& spec) -> std::unique_ptr<Workload> {
    if (state->lost.empty() && !state->previous.empty())
      if (const cudaError_t lost = lost_context_error(gpu.index); lost != cudaSuccess)
        state->lost = std::string("not run: the GPU's CUDA context has been lost since ") + state->previous + " (" +
                      cudaGetErrorName(lost) + "): every CUDA call fails until the process ends";
    if (!state->lost.empty()) throw Skip(state->lost);
    state->previous = spec.gb_name();
    GPUPROBE_CUDA_CALL(cudaSetDevice(gpu.index));
    // Memory a benchmark cannot have on this GPU makes it skipped, not failed.
    try {
      switch (spec.family) {
        case Family::matmul: return gpu::make_gemm(gpu, spec);
        case Family::conv: return gpu::make_conv(gpu, spec);
        case Family::memory: return gpu::make_memory(gpu, spec);
        case Family::nccl: return gpu::make_nccl(gpu, spec);
        case Family::p2p: return gpu::make_p2p(spec);
      }
    } catch (const AllocationFailed& e) {
      throw Skip(e.what());
    }
    return nullptr;
  };
}

void record_libraries(const std::vector<BenchSpec>& ran, SoftwareInfo& sw) {
  auto uses = [&](const char* impl) {
    return std::any_of(ran.begin(), ran.end(), [&](const BenchSpec& s) { return s.impl == impl; });
  };
  auto note = [&](const char* key, const LibraryProbe& p) {
    sw.libraries[key] = p.lib.loaded() ? p.lib.path() : "missing: " + p.missing;
  };
  if (uses("cublas")) {
    const Cublas& c = cublas_lib();
    note("cublas", c.probe);
    if (!c.probe.version.empty()) sw.cublas_version = c.probe.version;
  }
  if (uses("cublaslt")) note("cublasLt", cublaslt_lib().probe);
  if (uses("nccl")) note("nccl", nccl_lib().probe);
  if (uses("cudnn")) {
    const Cudnn& d = cudnn_lib();
    note("cudnn", d.probe);
    if (!d.probe.version.empty()) sw.cudnn_version = d.probe.version;
  }
}

GpuPeaks peaks_of(const GpuInfo& gpu) {
  return peaks_for(gpu.name, gpu.cc_major, gpu.cc_minor, gpu.sm_count, gpu.sm_clock_max_mhz.value_or(0));
}

std::optional<double> pcie_peak_of(const GpuInfo& gpu) {
  if (!gpu.pcie_gen_max || !gpu.pcie_width_max) return std::nullopt;
  const double gbps = pcie_link_gbps(*gpu.pcie_gen_max, *gpu.pcie_width_max);  // 0: unknown generation
  if (gbps <= 0) return std::nullopt;
  return gbps;
}

namespace {

class NvmlClockSampler : public ClockSampler {
 public:
  NvmlClockSampler(const NvmlLib& n, nvmlDevice_t dev) : n_(n), dev_(dev) {
    unsigned v = 0;
    if (n_.nvmlDeviceGetMaxClockInfo && n_.nvmlDeviceGetMaxClockInfo(dev_, kNvmlClockSm, &v) == kNvmlSuccess) max_ = v;
  }
  ~NvmlClockSampler() override { halt(); }

  void start() override {
    halt();
    {
      std::lock_guard<std::mutex> lk(m_);
      mhz_.clear();
      reasons_ = 0;
      stop_ = false;
    }
    thread_ = std::thread([this] { loop(); });
  }

  ClockStats stop() override {
    halt();
    std::lock_guard<std::mutex> lk(m_);
    ClockStats s;
    s.samples = static_cast<unsigned>(mhz_.size());
    s.sm_mhz_max = max_;
    if (!mhz_.empty()) {
      std::vector<unsigned> v = mhz_;
      std::sort(v.begin(), v.end());
      s.sm_mhz_min = v.front();
      s.sm_mhz_median = v[v.size() / 2];
    }
    s.throttle_reasons = throttle_reason_names(reasons_);
    s.power_capped = power_capped(reasons_);
    return s;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lk(m_);
    while (!stop_) {
      lk.unlock();
      unsigned mhz = 0;
      unsigned long long r = 0;
      const bool got = n_.nvmlDeviceGetClockInfo(dev_, kNvmlClockSm, &mhz) == kNvmlSuccess;
      const bool got_r = n_.nvmlDeviceGetCurrentClocksEventReasons &&
                         n_.nvmlDeviceGetCurrentClocksEventReasons(dev_, &r) == kNvmlSuccess;
      lk.lock();
      if (got) mhz_.push_back(mhz);
      if (got_r) reasons_ |= r;
      cv_.wait_for(lk, std::chrono::milliseconds(10), [this] { return stop_; });
    }
  }
  void halt() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  const NvmlLib& n_;
  nvmlDevice_t dev_;
  unsigned max_ = 0;
  std::thread thread_;
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = true;
  std::vector<unsigned> mhz_;
  unsigned long long reasons_ = 0;
};

}  // namespace

// No sampler (no clock fields in the results) when NVML or the GPU's handle is not to be had: the
// nvml pre-check, in the same report, says why (nvml_handle_for's code, e.g. GPU_IS_LOST).
std::unique_ptr<ClockSampler> make_nvml_clock_sampler(const GpuInfo& gpu) {
  const NvmlLib& n = nvml_lib();
  if (!n.usable() || !n.nvmlDeviceGetClockInfo) return nullptr;
  const NvmlHandle dev = nvml_handle_for(n, gpu);
  if (!dev) return nullptr;
  return std::make_unique<NvmlClockSampler>(n, *dev);
}

}  // namespace gpuprobe::bench
