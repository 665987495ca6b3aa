// NCCL on every local GPU at once: one communicator per GPU from ncclCommInitAll (one process, one
// rank per GPU, as nccl-tests' single-process mode), a stream and buffers per rank, a collective
// launched on all ranks in one group, and its output verified element by element. Used by the nccl
// check (an all-reduce) and the nccl benchmarks (all-reduce, all-gather, reduce-scatter).
// Include only from .cpp files built with the CUDA headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpuprobe/gpu/device.hpp"
#include "gpuprobe/gpu/nccl_lib.hpp"

namespace gpuprobe {

// An NCCL call that did not return ncclSuccess: the call and NCCL's words for it.
struct NcclError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What verification found: every element compared with the exact expected value.
struct NcclVerify {
  std::uint64_t checked = 0, wrong = 0;
  std::string first_wrong;  // "rank 1 element 17: 12 (expected 36)"
  bool ok() const { return checked > 0 && wrong == 0; }
};

class NcclRanks {
 public:
  // Throws NcclError when ncclCommInitAll fails; CudaError for the CUDA runtime.
  NcclRanks(const NcclLib& lib, std::vector<int> devices);
  ~NcclRanks();
  NcclRanks(const NcclRanks&) = delete;
  NcclRanks& operator=(const NcclRanks&) = delete;

  int size() const { return static_cast<int>(devices_.size()); }
  const std::vector<int>& devices() const { return devices_; }

  // Allocates each rank's float32 buffers for `c` at nccl-tests' size `bytes` (nccl_counts) and fills
  // the send buffers with known values: rank r's element j is (j % 251 + 1) * (r + 1), so that every
  // sum stays an exact integer in float32 for up to 64 ranks. Throws AllocationFailed when a GPU lacks
  // the memory.
  void prepare(NcclCollective c, std::size_t bytes);
  const NcclCounts& counts() const { return counts_; }
  // Poisons the outputs (NaN), then runs the collective `iterations` times (each one group over all
  // ranks) and waits for every stream. Returns the wall-clock seconds of one iteration (the
  // average), as nccl-tests measures it. Throws NcclError / CudaError.
  double run(int iterations = 1);
  // Compares every output element of every rank with its expected value.
  NcclVerify verify() const;

 private:
  void enqueue_once();
  const NcclLib& lib_;
  std::vector<int> devices_;
  std::vector<ncclComm_t> comms_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<DeviceBuffer> send_, recv_;
  NcclCollective coll_ = NcclCollective::all_reduce;
  NcclCounts counts_;
};

}  // namespace gpuprobe
