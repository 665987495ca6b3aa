// Memory benchmarks: STREAM-like kernels (copy, scale, triad, reduce; kernels/memory.hpp),
// cudaMemcpy device to device, and host<->device copies from pinned and pageable memory. Buffers of
// at least 1 GiB (far beyond any L2). Every destination is checked element by element (on the
// device against the regenerated pattern, or on the host for device-to-host copies).
#include <cuda_runtime_api.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "device_util.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/kernels/fill.hpp"
#include "gpuprobe/kernels/memory.hpp"
#include "workloads.hpp"

namespace gpuprobe::bench::gpu {
namespace {

using kernels::Elem;
constexpr float kScalar = 1.5f;  // exact in FP32, so scale/triad results are reproducible bit for bit

class MemoryWorkload : public Workload {
 public:
  MemoryWorkload(const GpuInfo& gpu, const BenchSpec& spec) : spec_(spec), n_(spec.bytes / 4), work_(gpu.l2_cache_bytes) {
    const std::string& op = spec.variant;
    const bool host = op.rfind("h2d", 0) == 0 || op.rfind("d2h", 0) == 0;
    const int device_buffers = host ? 1 : (op == "reduce" ? 1 : op == "triad" ? 3 : 2);
    require_free_memory(static_cast<std::uint64_t>(device_buffers) * spec.bytes, spec.name());
    seed_b_ = fresh_seed();
    seed_c_ = fresh_seed();
    counter_ = DeviceBuffer(sizeof(unsigned long long) + sizeof(double));
    if (host) {
      dev_ = DeviceBuffer(spec.bytes);
      const bool pinned = op.find("pinned") != std::string::npos;
      if (pinned) pinned_ = std::make_unique<PinnedBuffer>(spec.bytes);
      else pageable_.resize(n_);
      host_ = pinned ? static_cast<float*>(pinned_->get()) : pageable_.data();
      if (op.rfind("h2d", 0) == 0) {
        regenerate(Elem::f32, seed_b_, host_, n_);
      } else {
        GPUPROBE_CUDA_CALL(kernels::fill_random(dev_.get(), n_, Elem::f32, seed_b_, stream()));
      }
    } else {
      a_ = DeviceBuffer(spec.bytes);
      if (op != "reduce") b_ = DeviceBuffer(spec.bytes);
      if (op == "triad") c_ = DeviceBuffer(spec.bytes);
      float* src = op == "reduce" ? a_.as<float>() : b_.as<float>();
      GPUPROBE_CUDA_CALL(kernels::fill_random(src, n_, Elem::f32, seed_b_, stream()));
      if (op == "triad") GPUPROBE_CUDA_CALL(kernels::fill_random(c_.get(), n_, Elem::f32, seed_c_, stream()));
    }
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(stream()));
  }

  double run() override {
    const std::string& op = spec_.variant;
    cudaStream_t s = stream();
    // Poison the destination (NaN); then only the transfer or kernel is timed.
    auto prepare = [&] {
      if (op.rfind("d2h", 0) == 0) std::memset(host_, 0xFF, spec_.bytes);
      else if (op.rfind("h2d", 0) == 0) GPUPROBE_CUDA_CALL(kernels::poison(dev_.get(), spec_.bytes, s));
      else if (op != "reduce") GPUPROBE_CUDA_CALL(kernels::poison(a_.get(), spec_.bytes, s));
      else GPUPROBE_CUDA_CALL(cudaMemsetAsync(sum(), 0, sizeof(double), s));  // an accumulator: zeroed here, untimed
    };
    return work_.timed_run(prepare, [&] {
      if (op == "d2d") GPUPROBE_CUDA_CALL(cudaMemcpyAsync(a_.get(), b_.get(), spec_.bytes, cudaMemcpyDeviceToDevice, s));
      else if (op.rfind("h2d", 0) == 0)
        GPUPROBE_CUDA_CALL(cudaMemcpyAsync(dev_.get(), host_, spec_.bytes, cudaMemcpyHostToDevice, s));
      else if (op.rfind("d2h", 0) == 0)
        GPUPROBE_CUDA_CALL(cudaMemcpyAsync(host_, dev_.get(), spec_.bytes, cudaMemcpyDeviceToHost, s));
      else if (op == "reduce") GPUPROBE_CUDA_CALL(kernels::reduce_sum_accumulate(n_, a_.as<float>(), sum(), s));
      else
        GPUPROBE_CUDA_CALL(kernels::stream_op(stream_op(), n_, a_.as<float>(), b_.as<float>(), c_.as<float>(), kScalar, s));
    });
  }

  Verification verify() override {
    const std::string& op = spec_.variant;
    cudaStream_t s = stream();
    unsigned long long bad = 0;
    if (op == "reduce") {
      const double got = read_back(sum(), s);
      double ref = 0, sq = 0;
      std::vector<double> part_sum(64, 0.0), part_sq(64, 0.0);
      std::atomic<int> slot{0};
      parallel_for(n_, [&](std::size_t lo, std::size_t hi) {
        double a = 0, b = 0;
        for (std::size_t i = lo; i < hi; ++i) {
          const double v = kernels::random_value(Elem::f32, seed_b_, i);
          a += v, b += v * v;
        }
        const int k = slot++ % 64;
        part_sum[k] += a;  // each chunk owns its slot: at most 32 threads
        part_sq[k] += b;
      });
      for (int k = 0; k < 64; ++k) ref += part_sum[k], sq += part_sq[k];
      // FP32 accumulators: far below one element (|x| >= 0.5), so a lost or doubled one fails.
      const double tol = kernels::reduce_sum_tolerance(n_, a_.as<float>(), ref, sq);
      char buf[160];
      std::snprintf(buf, sizeof buf, "sum %.9g, float64 reference %.9g (tolerance %.3g)", got, ref, tol);
      return {std::isfinite(got) && std::fabs(got - ref) <= tol, buf};
    }
    if (op.rfind("d2h", 0) == 0) {
      std::atomic<unsigned long long> wrong{0};
      parallel_for(n_, [&](std::size_t lo, std::size_t hi) {
        unsigned long long w = 0;
        for (std::size_t i = lo; i < hi; ++i) {
          const float want = kernels::random_value(Elem::f32, seed_b_, i);
          w += std::memcmp(&host_[i], &want, 4) != 0;
        }
        wrong += w;
      });
      bad = wrong;
    } else if (op.rfind("h2d", 0) == 0 || op == "d2d") {
      const float* dst = op == "d2d" ? a_.as<float>() : dev_.as<float>();
      GPUPROBE_CUDA_CALL(kernels::count_pattern_mismatches(n_, dst, seed_b_, mismatches(), s));
      bad = read_back(mismatches(), s);
    } else {
      GPUPROBE_CUDA_CALL(kernels::stream_verify(stream_op(), n_, a_.as<float>(), seed_b_, seed_c_, kScalar, mismatches(), s));
      bad = read_back(mismatches(), s);
    }
    return {bad == 0, std::to_string(n_ - bad) + " of " + std::to_string(n_) + " elements as expected"};
  }

  nlohmann::json details() const override { return {{"elements", n_}, {"scalar", kScalar}}; }

 private:
  kernels::StreamOp stream_op() const {
    for (kernels::StreamOp o : kernels::kStreamOps)
      if (spec_.variant == kernels::to_string(o)) return o;
    throw std::logic_error("not a stream operation: " + spec_.variant);
  }
  unsigned long long* mismatches() const { return counter_.as<unsigned long long>(); }
  double* sum() const {
    return reinterpret_cast<double*>(static_cast<char*>(counter_.get()) + sizeof(unsigned long long));
  }

  cudaStream_t stream() const { return work_.stream(); }

  BenchSpec spec_;
  std::size_t n_;
  TimedWork work_;
  DeviceBuffer a_, b_, c_, dev_, counter_;
  std::unique_ptr<PinnedBuffer> pinned_;
  std::vector<float> pageable_;
  float* host_ = nullptr;
  std::uint64_t seed_b_ = 0, seed_c_ = 0;
};

}  // namespace

std::unique_ptr<Workload> make_memory(const GpuInfo& gpu, const BenchSpec& spec) {
  if (spec.impl != "stream" && spec.impl != "memcpy") return nullptr;
  return std::make_unique<MemoryWorkload>(gpu, spec);
}

}  // namespace gpuprobe::bench::gpu
