// The nccl family: all-reduce, all-gather and reduce-scatter over every GPU of the process (one rank
// each, ncclCommInitAll), at nccl-tests' sizes. One sample = the wall-clock time of one collective
// (the average of a batch of them for the small sizes, as nccl-tests times its iterations); the value
// is nccl-tests' algbw (S / time), the details carry the ranks, busbw's factor (to_entry adds the
// busbw) and the transports NCCL joined the ranks with (its NCCL_DEBUG=INFO log). The output of the last run is verified element by element (exact integers in float32).
//
// The collective spans every GPU whichever GPU the bench measures: when several GPUs are benchmarked
// in one process, the first to reach a benchmark runs it and the others skip it, naming that GPU.
#include <cuda_runtime_api.h>

#include <map>
#include <mutex>

#include "gpuprobe/bench/nccl_busbw.hpp"
#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/nccl_lib.hpp"
#include "gpuprobe/gpu/nccl_ranks.hpp"
#include "workloads.hpp"

namespace gpuprobe::bench::gpu {

namespace {

// Collectives per sample: enough that a small one is not its launch overhead alone (nccl-tests
// times 20 iterations), one for the largest.
int iterations_for(std::uint64_t bytes) {
  constexpr std::uint64_t kBatch = 256ull << 20;
  if (bytes >= kBatch) return 1;
  const std::uint64_t n = kBatch / (bytes ? bytes : 1);
  return static_cast<int>(n > 20 ? 20 : n);
}

// NCCL's log for the whole process (NCCL reads NCCL_DEBUG* once, at its first line): the lines of
// communicator set-up only (INIT, P2P, SHM, NET; none per collective, which would cost time in the
// samples), so that each benchmark can say which transport joined its ranks.
const NcclDebugCapture& nccl_log() {
  static const NcclDebugCapture capture;
  return capture;
}

class NcclWorkload : public Workload {
 public:
  NcclWorkload(const NcclLib& lib, std::vector<int> devices, NcclCollective c, std::uint64_t bytes, int home)
      : lib_(lib),
        log_from_(nccl_log().text().size()),
        ranks_(lib, std::move(devices)),
        coll_(c),
        iterations_(iterations_for(bytes)),
        home_(home) {
    ranks_.prepare(c, bytes);
    GPUPROBE_CUDA_CALL(cudaSetDevice(home_));
  }
  double run() override {
    const double s = ranks_.run(iterations_);
    GPUPROBE_CUDA_CALL(cudaSetDevice(home_));
    return s;
  }
  Verification verify() override {
    const NcclVerify v = ranks_.verify();
    GPUPROBE_CUDA_CALL(cudaSetDevice(home_));
    if (v.ok()) return {true, "every element of every rank exact (" + std::to_string(v.checked) + ")"};
    return {false, std::to_string(v.wrong) + " of " + std::to_string(v.checked) + " elements wrong, first " +
                       (v.first_wrong.empty() ? std::string("none compared") : v.first_wrong)};
  }
  nlohmann::json details() const override {
    const int n = ranks_.size();
    nlohmann::json d = {{"ranks", n},
                        {"devices", ranks_.devices()},
                        {"nccl_version", lib_.probe.version},
                        {"bytes_run", ranks_.counts().bytes},
                        {"collectives_per_sample", iterations_},
                        {"busbw_factor", nccl_busbw_factor(coll_, n)}};
    if (n < 2) d["note"] = "one rank: nothing crosses between GPUs; busbw is 0 by nccl-tests' definition, algbw is the figure";
    // The connections NCCL made for this benchmark's communicators (at set-up or at the first runs).
    const std::string text = nccl_log().text();
    const NcclLog log = parse_nccl_log(text.size() > log_from_ ? text.substr(log_from_) : std::string());
    d["transports"] = log.vias();
    if (!log.network.empty()) d["network"] = log.network;
    return d;
  }

 private:
  const NcclLib& lib_;
  std::size_t log_from_;  // where this benchmark's lines begin in NCCL's log
  NcclRanks ranks_;
  NcclCollective coll_;
  int iterations_;
  int home_;
};

// Which GPU's turn runs each NCCL benchmark in this process (gb_name -> GPU index).
std::mutex claims_mutex;
std::map<std::string, int> claims;

}  // namespace

std::unique_ptr<Workload> make_nccl(const GpuInfo& gpu, const BenchSpec& spec) {
  NcclCollective c;
  if (!nccl_collective_from_string(spec.variant, c)) throw Skip("unknown NCCL collective " + spec.variant);
  (void)nccl_log();  // before anything of NCCL runs
  const NcclLib& lib = nccl_lib();
  if (!lib.probe.usable()) {
    const NcclAdvice a = nccl_missing_advice(false, nccl_build_cuda_major());
    throw Skip((lib.probe.lib.loaded() ? "NCCL unusable: " + lib.probe.missing : a.message) + "; " + a.hint);
  }
  {
    std::lock_guard<std::mutex> lk(claims_mutex);
    const auto [it, fresh] = claims.emplace(spec.gb_name(), gpu.index);
    if (!fresh && it->second != gpu.index)
      throw Skip("measured on GPU " + std::to_string(it->second) + "'s turn: an NCCL benchmark spans every GPU");
  }
  int count = 0;
  GPUPROBE_CUDA_CALL(cudaGetDeviceCount(&count));
  std::vector<int> devices;
  for (int d = 0; d < count; ++d) devices.push_back(d);
  try {
    return std::make_unique<NcclWorkload>(lib, std::move(devices), c, spec.bytes, gpu.index);
  } catch (const NcclError& e) {
    // ncclCommInitAll or a buffer: the benchmark fails with NCCL's words (not a skip: NCCL is here).
    throw std::runtime_error(e.what());
  }
}

}  // namespace gpuprobe::bench::gpu
