// burn's load on a GPU (gpuprobe/bench/burn_load.hpp), sized by burn_plan.hpp's rules.
//
// gemm-fp32 / gemm-bf16: the library GEMMs of `gpuprobe bench` (gemm.cpp's workloads: cuBLAS SGEMM
// for FP32, cuBLASLt BF16 with FP32 accumulation on tensor cores), square, the same operands for the
// whole burn. prepare() computes the reference output once and checks it by Freivalds against a
// float64 CPU reference, then runs the GEMM again and compares the two bit for bit. A step runs as
// many GEMMs as fill step_seconds and compares every output with the reference on the GPU
// (kernels::count_word_mismatches, 32-bit words), each output poisoned first so that a GEMM that
// leaves part of it unwritten is caught too.
// Bitwise comparison rests on cuBLAS's reproducibility rule: the same routine, on the same GPU
// architecture and SM count, with one stream per handle, gives the same bits on every run; cuBLASLt
// additionally runs the one algorithm its heuristic chose in prepare() with a fixed workspace. Should
// the second run nevertheless differ from the first while passing Freivalds (an algorithm that is not
// reproducible here), every step is checked by Freivalds instead: the last output of the step,
// on the CPU (one check per step).
// memory: two buffers sharing memory_fraction of the free memory, one filled with a random pattern
// (kernels::fill_random); a step copies it back and forth (kernels::stream_op copy, 8 bytes moved per
// word) as often as fills step_seconds, then counts the words of the last copy that differ from the
// pattern. Each copy reads what the previous one wrote, so a word corrupted by any copy of the step
// reaches the check; a buffer found wrong is refilled, so one fault is counted in one step only.
// mixed: both at once, the GEMMs on their stream and the copies on another (power and memory
// traffic together); the step's time and work are the GEMMs' (TFLOP/s), its checks both loads'.
#include "gpuprobe/bench/burn_load.hpp"

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "burn_load_testing.hpp"
#include "device_util.hpp"
#include "gpuprobe/bench/burn_plan.hpp"
#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/device.hpp"
#include "gpuprobe/gpu/lost_context.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/kernels/fill.hpp"
#include "gpuprobe/kernels/memory.hpp"
#include "gpuprobe/report/render.hpp"
#include "workloads.hpp"

namespace gpuprobe::bench {
namespace {

using gpu::read_back;
using kernels::Elem;

// CUDA events timing the pieces of a step, created once. Grown by add() so that a failure half way
// still leaves every event created so far to the destructor.
class Events {
 public:
  Events() = default;
  ~Events() {
    for (cudaEvent_t e : ev_) GPUPROBE_CUDA_CALL_NOEXCEPT(cudaEventDestroy(e));
  }
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;
  void add(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      cudaEvent_t e = nullptr;
      GPUPROBE_CUDA_CALL(cudaEventCreate(&e));
      ev_.push_back(e);
    }
  }
  void record(std::size_t i, cudaStream_t s) { GPUPROBE_CUDA_CALL(cudaEventRecord(ev_[i], s)); }
  // Seconds between events i and j (both completed).
  double seconds(std::size_t i, std::size_t j) const {
    float ms = 0;
    GPUPROBE_CUDA_CALL(cudaEventElapsedTime(&ms, ev_[i], ev_[j]));
    return ms / 1e3;
  }

 private:
  std::vector<cudaEvent_t> ev_;
};

std::uint64_t free_device_memory() {
  std::size_t free_b = 0, total_b = 0;
  GPUPROBE_CUDA_CALL(cudaMemGetInfo(&free_b, &total_b));
  return free_b;
}

// Flips `mask` in the 32-bit word at `p` (device memory), synchronously.
void flip_word(void* p, std::uint32_t mask) {
  std::uint32_t w = 0;
  GPUPROBE_CUDA_CALL(cudaMemcpy(&w, p, sizeof w, cudaMemcpyDeviceToHost));
  w ^= mask;
  GPUPROBE_CUDA_CALL(cudaMemcpy(p, &w, sizeof w, cudaMemcpyHostToDevice));
}

// The GEMMs of gemm-fp32 / gemm-bf16 / mixed and their check.
class GemmPart {
 public:
  GemmPart(const GpuInfo& gpu, Dtype dtype, double step_seconds) {
    const std::uint64_t elem = dtype == Dtype::bf16 ? 2 : 4;  // operands and output alike
    const std::uint64_t free_b = free_device_memory();
    n_ = burn_gemm_size(gpu.sm_count, free_b, 4 * elem);  // A, B, C and the reference copy of C
    if (n_ == 0)
      throw std::runtime_error(std::string("too little free device memory for a ") + to_string(dtype) +
                               " GEMM load: " + format_bytes(free_b) + " free");
    spec_.family = Family::matmul;
    spec_.impl = dtype == Dtype::bf16 ? "cublaslt" : "cublas";
    spec_.variant = to_string(dtype);
    spec_.label = "burn";
    spec_.dtype = dtype;
    spec_.gemm = {n_, n_, n_};
    spec_.work = 2.0 * n_ * n_ * n_;
    gemm_ = gpu::make_gemm(gpu, spec_);
    if (!gemm_) throw std::logic_error("burn: no GEMM workload for " + spec_.name());
    words_ = gemm_->output().bytes() / 4;
    ref_ = DeviceBuffer(gemm_->output().bytes());
    counters_ = DeviceBuffer(kBurnMaxRepeats * sizeof(unsigned long long));

    // One GEMM to warm up (library kernels load, clocks rise), one timed: the step's length.
    gemm_->enqueue();
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(s()));
    EventTimer timer;
    repeats_ = burn_repeats(step_seconds, timer.time(s(), [this] { gemm_->enqueue(); }));

    // The reference: that output, checked against float64.
    const Verification first = gemm_->verify();
    if (!first.ok) throw std::runtime_error(spec_.name() + ": the first result is already wrong (" + first.detail + ")");
    GPUPROBE_CUDA_CALL(cudaMemcpyAsync(ref_.get(), out().get(), out().bytes(), cudaMemcpyDeviceToDevice, s()));
    // The same GEMM again: bit for bit the same, or at least right by Freivalds.
    run_checked(0);
    const unsigned long long differ = read_back(counters_.as<unsigned long long>(), s());
    const bool second_ok = differ == 0 || gemm_->verify().ok;
    mode_ = burn_check_mode(differ == 0, second_ok);
    if (mode_ == BurnCheck::wrong)
      throw std::runtime_error(spec_.name() + ": a second run on the same operands gave a wrong result (" +
                               std::to_string(differ) + " of " + std::to_string(words_) + " words differ)");
    library_ = gemm_->details().value("library", std::string());
    events_.add(2 * static_cast<std::size_t>(repeats_));
    host_counts_.resize(static_cast<std::size_t>(repeats_));
  }

  void enqueue() {
    for (int i = 0; i < repeats_; ++i) run_checked(i);
  }

  void finish(BurnStep& st) {
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(s()));
    for (int i = 0; i < repeats_; ++i) st.seconds += events_.seconds(2 * i, 2 * i + 1);
    st.work += spec_.work * repeats_;
    if (mode_ == BurnCheck::bitwise) {
      GPUPROBE_CUDA_CALL(cudaMemcpy(host_counts_.data(), counters_.get(), host_counts_.size() * sizeof(unsigned long long),
                                    cudaMemcpyDeviceToHost));
      for (unsigned long long c : host_counts_) st.mismatches += c;
      st.checked += words_ * static_cast<unsigned long long>(repeats_);
    } else {
      st.checked += 1;
      st.mismatches += gemm_->verify().ok ? 0 : 1;
    }
  }

  std::string describe() const {
    std::string d = (spec_.impl == "cublaslt" ? "cuBLASLt BF16 GEMM (FP32 accumulation, tensor cores) "
                                              : "cuBLAS FP32 SGEMM ") +
                    std::to_string(n_) + "x" + std::to_string(n_) + "x" + std::to_string(n_);
    if (!library_.empty()) d += " (" + library_ + ")";
    d += ", " + std::to_string(repeats_) + " per step, ";
    d += mode_ == BurnCheck::bitwise
             ? "each output compared bit for bit with the first (checked by Freivalds against float64), on the GPU"
             : "the last output of each step checked by Freivalds against float64 (this algorithm is not bitwise "
               "reproducible here)";
    return d;
  }

  bool plant() {
    if (mode_ != BurnCheck::bitwise) return false;
    flip_word(ref_.get(), 1u);
    return true;
  }

 private:
  cudaStream_t s() const { return gemm_->stream(); }
  const DeviceBuffer& out() const { return gemm_->output(); }
  // GEMM i of a step, timed by events 2i, 2i+1 (when created), then compared into counter i.
  void run_checked(int i) {
    GPUPROBE_CUDA_CALL(kernels::poison(out().get(), out().bytes(), s()));
    const bool timed = events_created();
    if (timed) events_.record(2 * static_cast<std::size_t>(i), s());
    gemm_->enqueue();
    if (timed) events_.record(2 * static_cast<std::size_t>(i) + 1, s());
    if (mode_ == BurnCheck::bitwise)
      GPUPROBE_CUDA_CALL(kernels::count_word_mismatches(words_, out().get(), ref_.get(),
                                                        counters_.as<unsigned long long>() + i, s()));
  }
  bool events_created() const { return !host_counts_.empty(); }

  BenchSpec spec_;
  int n_ = 0;
  int repeats_ = 1;
  BurnCheck mode_ = BurnCheck::bitwise;
  std::string library_;
  std::size_t words_ = 0;
  std::vector<unsigned long long> host_counts_;
  std::unique_ptr<gpu::GemmWorkload> gemm_;
  // Declared after the workload: freed before its stream, library handle and buffers go.
  DeviceBuffer ref_, counters_;
  Events events_;
};

// The copies of memory / mixed and their check.
class MemoryPart {
 public:
  MemoryPart(double fraction, double step_seconds) {
    const std::uint64_t free_b = free_device_memory();
    words_ = burn_memory_words(free_b, fraction);
    if (words_ == 0)
      throw std::runtime_error("too little free device memory for the memory load: " + format_bytes(free_b) +
                               " free, " + std::to_string(static_cast<int>(fraction * 100)) + " % of it allowed");
    buf_[0] = DeviceBuffer(words_ * 4);
    buf_[1] = DeviceBuffer(words_ * 4);
    counter_ = DeviceBuffer(sizeof(unsigned long long));
    seed_ = fresh_seed();
    GPUPROBE_CUDA_CALL(kernels::fill_random(buf_[0].get(), words_, Elem::f32, seed_, s()));
    copy();  // warm-up
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(s()));
    EventTimer timer;
    repeats_ = burn_repeats(step_seconds, timer.time(s(), [this] { copy(); }));
    events_.add(2);
  }

  void enqueue() {
    events_.record(0, s());
    for (int i = 0; i < repeats_; ++i) copy();
    events_.record(1, s());
    GPUPROBE_CUDA_CALL(kernels::count_pattern_mismatches(words_, buf_[cur_].as<float>(), seed_,
                                                         counter_.as<unsigned long long>(), s()));
  }

  // `primary`: the step's time and work are the copies' (the memory load alone).
  void finish(BurnStep& st, bool primary) {
    const unsigned long long bad = read_back(counter_.as<unsigned long long>(), s());
    if (primary) {
      st.seconds += events_.seconds(0, 1);
      st.work += static_cast<double>(kernels::bytes_per_element(kernels::StreamOp::copy)) *
                 static_cast<double>(words_) * repeats_;
    }
    st.checked += words_;
    st.mismatches += bad;
    if (bad != 0) {  // counted once: the pattern restored
      GPUPROBE_CUDA_CALL(kernels::fill_random(buf_[cur_].get(), words_, Elem::f32, seed_, s()));
      GPUPROBE_CUDA_CALL(cudaStreamSynchronize(s()));
    }
  }

  std::string describe() const {
    return "copies back and forth between two buffers of " + format_bytes(words_ * 4) + " (" +
           std::to_string(repeats_) + " per step, 8 bytes moved per 32-bit word), the last copy of each step " +
           "compared with the random pattern on the GPU";
  }

  void plant() { flip_word(buf_[cur_].as<float>() + words_ / 2, 1u); }

 private:
  cudaStream_t s() const { return stream_.get(); }
  void copy() {
    const int dst = 1 - cur_;
    GPUPROBE_CUDA_CALL(kernels::stream_op(kernels::StreamOp::copy, words_, buf_[dst].as<float>(),
                                          buf_[cur_].as<float>(), nullptr, 1.0f, s()));
    cur_ = dst;
  }

  std::uint64_t words_ = 0, seed_ = 0;
  int repeats_ = 1;
  int cur_ = 0;  // the buffer holding the pattern (the last copy's destination)
  Stream stream_;
  DeviceBuffer buf_[2], counter_;
  Events events_;
};

class GpuBurnLoad : public BurnLoad {
 public:
  GpuBurnLoad(const GpuInfo& gpu, const BurnLoadOptions& o) : gpu_(gpu), o_(o) {}
  // The parts free their memory, streams and handles on this GPU, whichever thread ends the load.
  ~GpuBurnLoad() override { GPUPROBE_CUDA_CALL_NOEXCEPT(cudaSetDevice(gpu_.index)); }

  void prepare() override {
    try {
      prepare_parts();
    } catch (...) {
      // A failed call (cudaSetDevice, cudaMalloc) stays this thread's last error, which the next
      // kernel launch's cudaGetLastError() would report as its own.
      (void)cudaGetLastError();
      throw;
    }
  }

  void prepare_parts() {
    GPUPROBE_CUDA_CALL(cudaSetDevice(gpu_.index));
    gemm_.reset();
    mem_.reset();
    switch (o_.kind) {
      case BurnLoadKind::gemm_fp32: gemm_ = std::make_unique<GemmPart>(gpu_, Dtype::fp32, o_.step_seconds); break;
      case BurnLoadKind::gemm_bf16: gemm_ = std::make_unique<GemmPart>(gpu_, Dtype::bf16, o_.step_seconds); break;
      case BurnLoadKind::memory: mem_ = std::make_unique<MemoryPart>(o_.memory_fraction, o_.step_seconds); break;
      case BurnLoadKind::mixed:
        // BF16 tensor cores where the GPU has them (compute capability 8.0 on), FP32 before.
        gemm_ = std::make_unique<GemmPart>(gpu_, gpu_.cc_major >= 8 ? Dtype::bf16 : Dtype::fp32, o_.step_seconds);
        mem_ = std::make_unique<MemoryPart>(o_.memory_fraction, o_.step_seconds);  // of what the GEMMs left
        break;
    }
  }

  BurnStep step() override {
    BurnStep st;
    if (!dead_.empty()) {
      st.error = dead_;
      return st;
    }
    if (!gemm_ && !mem_) {
      st.error = "burn load: step() before a successful prepare()";
      return st;
    }
    try {
      GPUPROBE_CUDA_CALL(cudaSetDevice(gpu_.index));
      if (mem_) mem_->enqueue();  // first: its copies run beside the GEMMs
      if (gemm_) gemm_->enqueue();
      if (gemm_) gemm_->finish(st);
      if (mem_) mem_->finish(st, !gemm_);
    } catch (const std::exception& e) {
      const cudaError_t lost = lost_context_error(gpu_.index);
      dead_ = burn_error_text(e.what(), lost == cudaSuccess ? std::string() : cudaGetErrorName(lost));
      BurnStep failed;
      failed.error = dead_;
      return failed;
    }
    return st;
  }

  std::string unit() const override { return o_.kind == BurnLoadKind::memory ? "GB/s" : "TFLOP/s"; }

  std::string describe() const override {
    if (gemm_ && mem_) return gemm_->describe() + "; beside it on a second stream, " + mem_->describe();
    if (gemm_) return gemm_->describe();
    if (mem_) return "memory: " + mem_->describe();
    return std::string(to_string(o_.kind)) + " (not prepared)";
  }

  bool plant() {
    GPUPROBE_CUDA_CALL(cudaSetDevice(gpu_.index));
    bool planted_gemm = true;
    if (gemm_) planted_gemm = gemm_->plant();
    if (mem_) mem_->plant();
    return planted_gemm;
  }

 private:
  GpuInfo gpu_;
  BurnLoadOptions o_;
  std::string dead_;  // the error that ended the load
  std::unique_ptr<GemmPart> gemm_;
  std::unique_ptr<MemoryPart> mem_;
};

}  // namespace

std::unique_ptr<BurnLoad> make_gpu_burn_load(const GpuInfo& gpu, const BurnLoadOptions& opts) {
  return std::make_unique<GpuBurnLoad>(gpu, opts);
}

bool gpu::plant_burn_error(BurnLoad& load) {
  auto* l = dynamic_cast<GpuBurnLoad*>(&load);
  if (l == nullptr) throw std::logic_error("plant_burn_error: not a load of make_gpu_burn_load");
  return l->plant();
}

}  // namespace gpuprobe::bench
