// cuda_emu: the grid scheduler, block and warp synchronization, and the CUDA runtime API functions
// the kernels and their tests call, with host memory standing in for device memory. What is and
// is not emulated: cuda_emu.hpp.
#include "cuda_emu.hpp"

#include <barrier>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace cuda_emu::detail {
namespace {

[[noreturn]] void fatal(const char* format, ...) {
  std::fputs("cuda_emu: ", stderr);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::abort();
}

// The CUDA runtime keeps the last error per host thread.
thread_local cudaError_t t_last_error = cudaSuccess;
cudaError_t record(cudaError_t e) {
  if (e != cudaSuccess) t_last_error = e;
  return e;
}

int sm_count() {
  static const int n = [] {
    const char* s = std::getenv("CUDA_EMU_SM_COUNT");
    const int v = s != nullptr ? std::atoi(s) : 0;
    return v > 0 ? v : 4;
  }();
  return n;
}

// ---- Grid execution -----------------------------------------------------------------------------

uint3 unflatten(std::uint64_t i, dim3 d) {
  return uint3{static_cast<unsigned>(i % d.x), static_cast<unsigned>(i / d.x % d.y),
               static_cast<unsigned>(i / d.x / d.y)};
}

class Team;
enum class Mode { host, sequential, team };  // what the calling host thread is doing
thread_local Mode t_mode = Mode::host;
thread_local Team* t_team = nullptr;
thread_local unsigned t_tid = 0;  // linear thread index within the block (x fastest)

struct Warp {
  explicit Warp(unsigned n) : lanes(n), barrier(n) {}
  const unsigned lanes;
  std::barrier<> barrier;
  std::atomic<unsigned> returned{0};  // lanes that have left the kernel in this block
  std::uint64_t slot[32] = {};        // what each lane publishes in a shuffle
};

// One std::thread per CUDA thread of a block, reused for every block of the grid that it runs.
// One barrier serves __syncthreads() and the end of a block: a phase must be all one or the other.
class Team {
 public:
  Team(const LaunchConfig& config, ThreadBody body)
      : config_(config),
        body_(body),
        nthreads_(config.block.x * config.block.y * config.block.z),
        nblocks_(std::uint64_t{config.grid.x} * config.grid.y * config.grid.z),
        barrier_(nthreads_, PhaseEnd{this}) {}

  // Runs block 0 and, if the kernel synchronized there, every other block too. Returns the number
  // of blocks run (from the first).
  std::uint64_t run() {
    new_warps();
    std::vector<std::thread> threads;
    threads.reserve(nthreads_);
    try {
      for (unsigned t = 0; t < nthreads_; ++t) threads.emplace_back(&Team::work, this, t);
    } catch (const std::system_error& e) {
      fatal("cannot start thread %zu of a block of %u: %s", threads.size(), nthreads_, e.what());
    }
    for (std::thread& t : threads) t.join();
    return block_;
  }

  void syncthreads() {
    synchronized_.store(true, std::memory_order_relaxed);
    at_sync_.fetch_add(1, std::memory_order_relaxed);  // the barrier orders it before end_phase
    barrier_.arrive_and_wait();
  }

  std::uint64_t exchange(unsigned mask, std::uint64_t bits, unsigned src_lane) {
    Warp& w = enter_warp_op(mask, "__shfl_*_sync");
    const unsigned lane = t_tid % 32;
    w.slot[lane] = bits;
    w.barrier.arrive_and_wait();
    check_no_lane_returned(w, "__shfl_*_sync");
    const std::uint64_t r = w.slot[src_lane < w.lanes ? src_lane : lane];
    w.barrier.arrive_and_wait();  // nobody overwrites a slot before everyone has read
    return r;
  }

  void syncwarp(unsigned mask) {
    Warp& w = enter_warp_op(mask, "__syncwarp");
    w.barrier.arrive_and_wait();
    check_no_lane_returned(w, "__syncwarp");
  }

 private:
  struct PhaseEnd {
    Team* team;
    void operator()() noexcept { team->end_phase(); }
  };

  void work(unsigned tid) {
    t_mode = Mode::team;
    t_team = this;
    t_tid = tid;
    threadIdx = unflatten(tid, config_.block);
    blockDim = config_.block;
    gridDim = config_.grid;
    while (!done_) {  // block_ and done_ change only in end_phase, while everyone waits
      blockIdx = unflatten(block_, config_.grid);
      body_();
      Warp& w = *warps_[tid / 32];
      w.returned.fetch_add(1, std::memory_order_relaxed);
      w.barrier.arrive_and_drop();  // a lane still in a warp operation must not wait for this one
      at_return_.fetch_add(1, std::memory_order_relaxed);
      barrier_.arrive_and_wait();
    }
    t_mode = Mode::host;
    t_team = nullptr;
  }

  // Runs once per phase of the block barrier, by the last thread to arrive, while all others wait.
  void end_phase() noexcept {
    const unsigned synced = at_sync_.exchange(0, std::memory_order_relaxed);
    const unsigned returned = at_return_.exchange(0, std::memory_order_relaxed);
    if (returned == 0) return;  // a __syncthreads() that every thread reached
    if (synced != 0) {
      const uint3 b = unflatten(block_, config_.grid);
      fatal("block (%u, %u, %u): %u threads wait in __syncthreads() while %u have returned from the kernel "
            "(or reached __syncthreads() a different number of times): undefined on a GPU",
            b.x, b.y, b.z, synced, returned);
    }
    ++block_;  // the block is finished
    if (block_ == nblocks_ || (block_ == 1 && !synchronized_.load(std::memory_order_relaxed))) {
      done_ = true;  // all run, or the kernel does not synchronize: run_grid runs the rest
      return;
    }
    new_warps();
  }

  void new_warps() {
    warps_.clear();
    for (unsigned first = 0; first < nthreads_; first += 32)
      warps_.push_back(std::make_unique<Warp>(nthreads_ - first < 32 ? nthreads_ - first : 32));
  }

  Warp& enter_warp_op(unsigned mask, const char* what) {
    synchronized_.store(true, std::memory_order_relaxed);
    Warp& w = *warps_[t_tid / 32];
    const unsigned full = w.lanes == 32 ? 0xFFFFFFFFu : (1u << w.lanes) - 1;
    if (mask != full)
      fatal("%s with mask 0x%08x in a warp of %u lanes: only the full mask (0x%08x) is emulated", what, mask,
            w.lanes, full);
    return w;
  }

  void check_no_lane_returned(Warp& w, const char* what) {
    if (const unsigned n = w.returned.load(std::memory_order_relaxed); n != 0) {
      const uint3 b = unflatten(block_, config_.grid);
      fatal("%s in warp %u of block (%u, %u, %u) after %u of its lanes returned from the kernel", what, t_tid / 32,
            b.x, b.y, b.z, n);
    }
  }

  const LaunchConfig& config_;
  const ThreadBody body_;
  const unsigned nthreads_;
  const std::uint64_t nblocks_;
  std::barrier<PhaseEnd> barrier_;
  std::atomic<unsigned> at_sync_{0}, at_return_{0};  // arrivals in the current phase, by kind
  std::atomic<bool> synchronized_{false};            // any __syncthreads / warp operation so far
  std::uint64_t block_ = 0;                          // linear index of the block running
  bool done_ = false;
  std::vector<std::unique_ptr<Warp>> warps_;
};

// The blocks [first, end) of a kernel that never synchronized in block 0: every thread to its end,
// one after the other, on the launching thread.
void run_sequentially(const LaunchConfig& config, ThreadBody body, std::uint64_t first) {
  const std::uint64_t nblocks = std::uint64_t{config.grid.x} * config.grid.y * config.grid.z;
  const unsigned nthreads = config.block.x * config.block.y * config.block.z;
  t_mode = Mode::sequential;
  blockDim = config.block;
  gridDim = config.grid;
  for (std::uint64_t b = first; b < nblocks; ++b) {
    blockIdx = unflatten(b, config.grid);
    for (unsigned t = 0; t < nthreads; ++t) {
      t_tid = t;
      threadIdx = unflatten(t, config.block);
      body();
    }
  }
  t_mode = Mode::host;
}

cudaError_t check_config(const LaunchConfig& c) {
  const dim3 g = c.grid, b = c.block;
  if (g.x == 0 || g.y == 0 || g.z == 0 || g.x > 0x7FFFFFFFu || g.y > 65535 || g.z > 65535)
    return cudaErrorInvalidConfiguration;
  if (b.x == 0 || b.y == 0 || b.z == 0 || b.x > 1024 || b.y > 1024 || b.z > 64 ||
      std::uint64_t{b.x} * b.y * b.z > 1024)
    return cudaErrorInvalidConfiguration;
  return cudaSuccess;
}

Team& current_team(const char* what) {
  if (t_mode == Mode::team) return *t_team;
  if (t_mode == Mode::sequential)
    fatal("%s in block (%u, %u, %u), but not in block (0, 0, 0): the emulator ran this grid one thread at a time "
          "and cannot synchronize it",
          what, blockIdx.x, blockIdx.y, blockIdx.z);
  fatal("%s called outside a kernel", what);
}

}  // namespace

void run_grid(const LaunchConfig& config, ThreadBody body) {
  if (t_mode != Mode::host) fatal("a kernel launched a kernel: dynamic parallelism is not emulated");
  if (const cudaError_t e = check_config(config); e != cudaSuccess) {
    record(e);
    return;
  }
  if (config.shared_bytes != 0)
    fatal("a launch asks for %zu bytes of dynamic shared memory: extern __shared__ is not emulated",
          config.shared_bytes);
  // Shared memory is a static per kernel: one grid at a time in the whole process.
  static std::mutex one_grid_at_a_time;
  const std::lock_guard<std::mutex> lock(one_grid_at_a_time);
  std::uint64_t run = 0;
  {
    Team team(config, body);
    run = team.run();
  }
  run_sequentially(config, body, run);
}

void syncthreads() { current_team("__syncthreads()").syncthreads(); }
void syncwarp(unsigned mask) { current_team("__syncwarp()").syncwarp(mask); }
std::uint64_t warp_exchange(unsigned mask, std::uint64_t bits, unsigned src_lane) {
  return current_team("__shfl_*_sync()").exchange(mask, bits, src_lane);
}
unsigned lane_id() { return t_tid % 32; }

void misaligned(const char* what, const void* p, std::size_t alignment) {
  fatal("%s of a %zu-byte type at %p: misaligned (a GPU faults with cudaErrorMisalignedAddress)", what, alignment,
        p);
}

}  // namespace cuda_emu::detail

// ---- Runtime API ----------------------------------------------------------------------------------

struct CUstream_st {  // what a cudaStream_t points to here
  unsigned flags;
};

namespace {

using cuda_emu::detail::record;

// Live "device" allocations: start -> size.
struct Allocations {
  std::mutex mutex;
  std::map<std::uintptr_t, std::size_t> live;

  // Whether [p, p + n) lies inside one live allocation.
  bool contains(const void* p, std::size_t n) {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const std::lock_guard<std::mutex> lock(mutex);
    auto it = live.upper_bound(a);
    if (it == live.begin()) return false;
    --it;
    return a - it->first <= it->second && n <= it->second - (a - it->first);
  }
};
Allocations& allocations() {
  static Allocations a;
  return a;
}

bool valid_copy(void* dst, const void* src, std::size_t n, cudaMemcpyKind kind) {
  switch (kind) {
    case cudaMemcpyHostToHost: case cudaMemcpyDefault: return true;
    case cudaMemcpyHostToDevice: return allocations().contains(dst, n);
    case cudaMemcpyDeviceToHost: return allocations().contains(src, n);
    case cudaMemcpyDeviceToDevice: return allocations().contains(dst, n) && allocations().contains(src, n);
  }
  return false;
}

}  // namespace

extern "C" {

cudaError_t cudaMalloc(void** dev_ptr, size_t size) {
  if (dev_ptr == nullptr) return record(cudaErrorInvalidValue);
  *dev_ptr = nullptr;
  if (size == 0) return cudaSuccess;
  void* p = nullptr;
  if (posix_memalign(&p, 256, size) != 0) return record(cudaErrorMemoryAllocation);
  Allocations& a = allocations();
  const std::lock_guard<std::mutex> lock(a.mutex);
  a.live[reinterpret_cast<std::uintptr_t>(p)] = size;
  *dev_ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* dev_ptr) {
  if (dev_ptr == nullptr) return cudaSuccess;
  Allocations& a = allocations();
  {
    const std::lock_guard<std::mutex> lock(a.mutex);
    if (a.live.erase(reinterpret_cast<std::uintptr_t>(dev_ptr)) == 0) return record(cudaErrorInvalidValue);
  }
  std::free(dev_ptr);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind) {
  if (count == 0) return cudaSuccess;
  if (!valid_copy(dst, src, count, kind)) return record(cudaErrorInvalidValue);
  std::memmove(dst, src, count);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, count, kind);
}

cudaError_t cudaMemset(void* dev_ptr, int value, size_t count) {
  if (count == 0) return cudaSuccess;
  if (!allocations().contains(dev_ptr, count)) return record(cudaErrorInvalidValue);
  std::memset(dev_ptr, value, count);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* dev_ptr, int value, size_t count, cudaStream_t) {
  return cudaMemset(dev_ptr, value, count);
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  if (stream == nullptr) return record(cudaErrorInvalidValue);
  *stream = new CUstream_st{flags};
  return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}
// Launches and copies complete before they return: there is never anything to wait for.
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }

cudaError_t cudaGetDeviceCount(int* count) {
  if (count == nullptr) return record(cudaErrorInvalidValue);
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  if (device == nullptr) return record(cudaErrorInvalidValue);
  *device = 0;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : record(cudaErrorInvalidDevice); }

cudaError_t cudaDeviceGetAttribute(int* value, enum cudaDeviceAttr attr, int device) {
  if (value == nullptr) return record(cudaErrorInvalidValue);
  if (device != 0) return record(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrMultiProcessorCount: *value = cuda_emu::detail::sm_count(); break;
    case cudaDevAttrWarpSize: *value = 32; break;
    case cudaDevAttrMaxThreadsPerBlock: *value = 1024; break;
    case cudaDevAttrMaxBlockDimX: case cudaDevAttrMaxBlockDimY: *value = 1024; break;
    case cudaDevAttrMaxBlockDimZ: *value = 64; break;
    case cudaDevAttrMaxGridDimX: *value = 0x7FFFFFFF; break;
    case cudaDevAttrMaxGridDimY: case cudaDevAttrMaxGridDimZ: *value = 65535; break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = 48 * 1024; break;
    default: return record(cudaErrorInvalidValue);  // not emulated
  }
  return cudaSuccess;
}

cudaError_t cudaGetLastError(void) {
  const cudaError_t e = cuda_emu::detail::t_last_error;
  cuda_emu::detail::t_last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError(void) { return cuda_emu::detail::t_last_error; }

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    default: return "cudaErrorUnknown (not returned by cuda_emu)";
  }
}
const char* cudaGetErrorString(cudaError_t error) { return cudaGetErrorName(error); }

}  // extern "C"
