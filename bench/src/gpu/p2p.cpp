// Peer-to-peer workloads (bench/include/gpuprobe/bench/p2p.hpp): copies from GPU src to GPU dst, and
// both ways at once. The copy engine: cudaMemcpyPeerAsync on src's stream, direct when peer access
// is enabled (cudaDeviceEnablePeerAccess), else staged by the driver through host memory (details
// say which). SM copies: the STREAM copy kernel (kernels/memory.hpp) launched on dst, reading src's
// memory through peer access (skipped without it). Latency: 4-byte cudaMemcpyPeerAsync copies one
// after another. Before each run the source is refilled with a fresh pattern (a new seed) and the
// destination poisoned, outside the timing; after the last run every word of the destination is
// compared with the pattern on its device.
#include <cuda_runtime_api.h>

#include <memory>
#include <optional>

#include "device_util.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/kernels/fill.hpp"
#include "gpuprobe/kernels/memory.hpp"
#include "workloads.hpp"

namespace gpuprobe::bench::gpu {
namespace {

using kernels::Elem;
constexpr int kLatencyCopies = 100;  // spec.cpp's kP2pLatencyCopies: the work of one latency run

// Whether `from` can read and write `to`'s memory, enabling it when possible. Stays enabled for the
// rest of the process (other pairs and runs reuse it).
bool enable_peer(int from, int to) {
  int can = 0;
  GPUPROBE_CUDA_CALL(cudaDeviceCanAccessPeer(&can, from, to));
  if (!can) return false;
  GPUPROBE_CUDA_CALL(cudaSetDevice(from));
  const cudaError_t e = cudaDeviceEnablePeerAccess(to, 0);
  if (e == cudaErrorPeerAccessAlreadyEnabled) {
    (void)cudaGetLastError();  // clears the (non-sticky) error
    return true;
  }
  GPUPROBE_CUDA_CALL(e);
  return true;
}

// Buffers and a stream of one side of the pair.
struct Side {
  int device = 0;
  DeviceBuffer out;  // what the other side copies here
  DeviceBuffer in;   // what this side sends (both ways only)
  DeviceBuffer mismatches;
  std::unique_ptr<Stream> stream;
  std::uint64_t seed = 0;  // of the pattern in the other side's `in` (or `out` of src), last run
};

class PeerCopy : public Workload {
 public:
  PeerCopy(const BenchSpec& spec) : spec_(spec) {
    if (spec.src < 0 || spec.dst < 0 || spec.src == spec.dst) throw std::logic_error("p2p spec without a pair");
    bidi_ = spec.variant == "bidi";
    sm_ = spec.impl == "sm";
    latency_ = spec.variant == "latency";
    words_ = latency_ ? 1 : spec.bytes / 4;
    bytes_ = words_ * 4;
    // dst reads src (SM copy, and the direct path of the copy engine); both ways for bidi.
    peer_fwd_ = enable_peer(spec.dst, spec.src);
    peer_rev_ = enable_peer(spec.src, spec.dst);
    if (sm_ && !(peer_fwd_ && (!bidi_ || peer_rev_)))
      throw Skip("no peer access between GPU " + std::to_string(spec.src) + " and GPU " + std::to_string(spec.dst) +
                 " (cudaDeviceCanAccessPeer): SM copies need it");
    for (Side* s : {&src_, &dst_}) {
      s->device = s == &src_ ? spec.src : spec.dst;
      GPUPROBE_CUDA_CALL(cudaSetDevice(s->device));
      require_free_memory(2 * bytes_, spec.name());
      s->out = DeviceBuffer(bytes_);
      s->in = DeviceBuffer(bytes_);
      s->mismatches = DeviceBuffer(sizeof(unsigned long long));
      s->stream = std::make_unique<Stream>();
    }
    // The timed stream: the copy engine's copies are pushed by src, SM copies pulled by dst.
    primary_ = sm_ ? &dst_ : &src_;
    secondary_ = sm_ ? &src_ : &dst_;
    GPUPROBE_CUDA_CALL(cudaSetDevice(primary_->device));
    timer_ = std::make_unique<EventTimer>();
    GPUPROBE_CUDA_CALL(cudaEventCreateWithFlags(&fork_, cudaEventDisableTiming));
    GPUPROBE_CUDA_CALL(cudaSetDevice(secondary_->device));
    GPUPROBE_CUDA_CALL(cudaEventCreateWithFlags(&join_, cudaEventDisableTiming));
  }
  ~PeerCopy() override {
    if (fork_) GPUPROBE_CUDA_CALL_NOEXCEPT(cudaEventDestroy(fork_));
    if (join_) GPUPROBE_CUDA_CALL_NOEXCEPT(cudaEventDestroy(join_));
  }

  double run() override {
    // src's `in` → dst's `out`; both ways: dst's `in` → src's `out` as well.
    prepare(src_, dst_);
    if (bidi_) prepare(dst_, src_);
    GPUPROBE_CUDA_CALL(cudaSetDevice(primary_->device));
    return timer_->time(primary_->stream->get(), [&] {
      if (bidi_) {
        GPUPROBE_CUDA_CALL(cudaEventRecord(fork_, primary_->stream->get()));
        GPUPROBE_CUDA_CALL(cudaStreamWaitEvent(secondary_->stream->get(), fork_, 0));
      }
      copy(src_, dst_, sm_ ? dst_ : src_);
      if (bidi_) {
        copy(dst_, src_, sm_ ? src_ : dst_);
        GPUPROBE_CUDA_CALL(cudaEventRecord(join_, secondary_->stream->get()));
        GPUPROBE_CUDA_CALL(cudaStreamWaitEvent(primary_->stream->get(), join_, 0));
      }
      GPUPROBE_CUDA_CALL(cudaSetDevice(primary_->device));
    });
  }

  Verification verify() override {
    unsigned long long bad = check(dst_);
    std::size_t words = words_;
    if (bidi_) {
      bad += check(src_);
      words += words_;
    }
    return {bad == 0, std::to_string(words - bad) + " of " + std::to_string(words) + " copied words as sent"};
  }

  nlohmann::json details() const override {
    const bool direct = peer_fwd_ && (!bidi_ || peer_rev_);
    return {{"src", spec_.src},
            {"dst", spec_.dst},
            {"bytes", bytes_},
            {"peer_access", direct},
            {"path", direct ? "peer to peer (cudaDeviceEnablePeerAccess)" : "staged through host memory (no peer access)"},
            {"copies_per_run", latency_ ? kLatencyCopies : 1}};
  }

 private:
  // A fresh pattern in `from`'s `in`, poison in `to`'s `out`; both complete before the timing.
  void prepare(Side& from, Side& to) {
    to.seed = fresh_seed();
    GPUPROBE_CUDA_CALL(cudaSetDevice(from.device));
    GPUPROBE_CUDA_CALL(kernels::fill_random(from.in.get(), words_, Elem::f32, to.seed, from.stream->get()));
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(from.stream->get()));
    GPUPROBE_CUDA_CALL(cudaSetDevice(to.device));
    GPUPROBE_CUDA_CALL(kernels::poison(to.out.get(), bytes_, to.stream->get()));
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(to.stream->get()));
  }

  // from.in → to.out on `on`'s stream (and device).
  void copy(Side& from, Side& to, Side& on) {
    GPUPROBE_CUDA_CALL(cudaSetDevice(on.device));
    cudaStream_t s = on.stream->get();
    if (sm_) {
      GPUPROBE_CUDA_CALL(kernels::stream_op(kernels::StreamOp::copy, words_, to.out.as<float>(), from.in.as<float>(),
                                            nullptr, 0.0f, s));
    } else {
      for (int i = 0; i < (latency_ ? kLatencyCopies : 1); ++i)
        GPUPROBE_CUDA_CALL(cudaMemcpyPeerAsync(to.out.get(), to.device, from.in.get(), from.device, bytes_, s));
    }
  }

  // The words of `to.out` that differ from the pattern sent to it.
  unsigned long long check(Side& to) {
    GPUPROBE_CUDA_CALL(cudaSetDevice(to.device));
    GPUPROBE_CUDA_CALL(kernels::count_pattern_mismatches(words_, to.out.as<float>(), to.seed,
                                                         to.mismatches.as<unsigned long long>(), to.stream->get()));
    return read_back(to.mismatches.as<unsigned long long>(), to.stream->get());
  }

  BenchSpec spec_;
  bool bidi_ = false, sm_ = false, latency_ = false, peer_fwd_ = false, peer_rev_ = false;
  std::size_t words_ = 0, bytes_ = 0;
  Side src_, dst_;
  Side* primary_ = nullptr;
  Side* secondary_ = nullptr;
  std::unique_ptr<EventTimer> timer_;
  cudaEvent_t fork_ = nullptr, join_ = nullptr;
};

}  // namespace

std::unique_ptr<Workload> make_p2p(const BenchSpec& spec) { return std::make_unique<PeerCopy>(spec); }

}  // namespace gpuprobe::bench::gpu
