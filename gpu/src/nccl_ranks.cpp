#include "gpuprobe/gpu/nccl_ranks.hpp"

#include <cuda_runtime_api.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "gpuprobe/gpu/cuda_call.hpp"

namespace gpuprobe {

namespace {

void check(const NcclLib& lib, int result, const char* call, ncclComm_t comm = nullptr) {
  if (result != kNcclSuccess) throw NcclError(std::string(call) + ": " + lib.error(result, comm));
}

// The value rank r sends at element j (see NcclRanks::prepare).
float sent(int rank, std::size_t j) { return static_cast<float>((j % 251 + 1) * static_cast<std::size_t>(rank + 1)); }

}  // namespace

NcclRanks::NcclRanks(const NcclLib& lib, std::vector<int> devices) : lib_(lib), devices_(std::move(devices)) {
  if (devices_.empty()) throw NcclError("no GPU to make NCCL ranks of");
  comms_.assign(devices_.size(), nullptr);
  const int r = lib_.comm_init_all(comms_.data(), static_cast<int>(devices_.size()), devices_.data());
  if (r != kNcclSuccess) {
    comms_.clear();  // nothing to destroy: ncclCommInitAll frees what it made when it fails
    throw NcclError("ncclCommInitAll over " + std::to_string(devices_.size()) + " GPU(s): " + lib_.error(r));
  }
  try {
    for (int d : devices_) {
      GPUPROBE_CUDA_CALL(cudaSetDevice(d));
      streams_.push_back(std::make_unique<Stream>());
    }
  } catch (...) {  // no destructor runs for an object whose constructor threw
    for (ncclComm_t c : comms_) lib_.comm_destroy(c);
    throw;
  }
}

NcclRanks::~NcclRanks() {
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    GPUPROBE_CUDA_CALL_NOEXCEPT(cudaSetDevice(devices_[i]));
    GPUPROBE_CUDA_CALL_NOEXCEPT(cudaStreamSynchronize(streams_[i]->get()));
  }
  for (ncclComm_t c : comms_)
    if (c) lib_.comm_destroy(c);
  // Buffers and streams go with their devices current.
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    GPUPROBE_CUDA_CALL_NOEXCEPT(cudaSetDevice(devices_[i]));
    if (i < send_.size()) send_[i].reset();
    if (i < recv_.size()) recv_[i].reset();
    if (i < streams_.size()) streams_[i].reset();
  }
}

void NcclRanks::prepare(NcclCollective c, std::size_t bytes) {
  coll_ = c;
  counts_ = nccl_counts(c, bytes, size(), sizeof(float));
  if (counts_.send == 0 || counts_.recv == 0)
    throw NcclError(std::to_string(bytes) + " bytes leave nothing per rank over " + std::to_string(size()) + " ranks");
  send_.clear();
  recv_.clear();
  std::vector<float> host(counts_.send);
  for (int r = 0; r < size(); ++r) {
    GPUPROBE_CUDA_CALL(cudaSetDevice(devices_[r]));
    send_.emplace_back(counts_.send * sizeof(float));
    recv_.emplace_back(counts_.recv * sizeof(float));
    for (std::size_t j = 0; j < host.size(); ++j) host[j] = sent(r, j);
    GPUPROBE_CUDA_CALL(cudaMemcpy(send_[r].get(), host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
  }
}

void NcclRanks::enqueue_once() {
  check(lib_, lib_.group_start(), "ncclGroupStart");
  for (int r = 0; r < size(); ++r) {
    void* s = streams_[r]->get();
    int res = kNcclSuccess;
    switch (coll_) {
      case NcclCollective::all_reduce:
        res = lib_.all_reduce(send_[r].get(), recv_[r].get(), counts_.param, kNcclFloat32, kNcclSum, comms_[r], s);
        break;
      case NcclCollective::all_gather:
        res = lib_.all_gather(send_[r].get(), recv_[r].get(), counts_.param, kNcclFloat32, comms_[r], s);
        break;
      case NcclCollective::reduce_scatter:
        res = lib_.reduce_scatter(send_[r].get(), recv_[r].get(), counts_.param, kNcclFloat32, kNcclSum, comms_[r], s);
        break;
    }
    if (res != kNcclSuccess) {
      (void)lib_.group_end();  // leave no group open
      check(lib_, res, to_string(coll_), comms_[r]);
    }
  }
  check(lib_, lib_.group_end(), "ncclGroupEnd");
}

double NcclRanks::run(int iterations) {
  if (send_.empty()) throw NcclError("NcclRanks::run before prepare");
  if (iterations < 1) iterations = 1;
  for (int r = 0; r < size(); ++r) {
    GPUPROBE_CUDA_CALL(cudaSetDevice(devices_[r]));
    GPUPROBE_CUDA_CALL(cudaMemsetAsync(recv_[r].get(), 0xff, recv_[r].bytes(), streams_[r]->get()));  // NaN
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(streams_[r]->get()));
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) enqueue_once();
  for (int r = 0; r < size(); ++r) {
    GPUPROBE_CUDA_CALL(cudaSetDevice(devices_[r]));
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(streams_[r]->get()));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (ncclComm_t c : comms_) {
    int async = kNcclSuccess;
    if (lib_.comm_get_async_error && lib_.comm_get_async_error(c, &async) == kNcclSuccess && async != kNcclSuccess)
      throw NcclError(std::string("NCCL reported an asynchronous error: ") + lib_.error(async, c));
  }
  return seconds / iterations;
}

NcclVerify NcclRanks::verify() const {
  NcclVerify v;
  const int n = size();
  const std::size_t sum_ranks = static_cast<std::size_t>(n) * (n + 1) / 2;  // sum of (r + 1)
  std::vector<float> out(counts_.recv);
  for (int r = 0; r < n; ++r) {
    GPUPROBE_CUDA_CALL(cudaSetDevice(devices_[r]));
    GPUPROBE_CUDA_CALL(cudaMemcpy(out.data(), recv_[r].get(), out.size() * sizeof(float), cudaMemcpyDeviceToHost));
    for (std::size_t j = 0; j < out.size(); ++j) {
      float want = 0;
      switch (coll_) {
        case NcclCollective::all_reduce: want = static_cast<float>((j % 251 + 1) * sum_ranks); break;
        case NcclCollective::all_gather: want = sent(static_cast<int>(j / counts_.param), j % counts_.param); break;
        case NcclCollective::reduce_scatter: {
          const std::size_t k = static_cast<std::size_t>(r) * counts_.param + j;  // the input element it reduces
          want = static_cast<float>((k % 251 + 1) * sum_ranks);
          break;
        }
      }
      ++v.checked;
      if (out[j] == want) continue;  // exact: small integers
      if (v.wrong++ == 0) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "rank %d (GPU %d) element %zu: %g (expected %g)", r, devices_[r], j,
                      static_cast<double>(out[j]), static_cast<double>(want));
        v.first_wrong = buf;
      }
    }
  }
  return v;
}

}  // namespace gpuprobe
