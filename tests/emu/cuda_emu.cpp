// cuda_emu: the grid scheduler, block and warp synchronization, and the CUDA runtime API functions
// the kernels and their tests call, with host memory standing in for device memory. What is and
// is not emulated: cuda_emu.hpp.
#include "cuda_emu.hpp"

#include <barrier>
#include <cstdarg>
#include <deque>
#include <new>
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
  static std::mutex one_message;  // the first of threads that stop together; the others wait for the abort
  one_message.lock();
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

// The emulated device: compute capability 8.6 (or $CUDA_EMU_CC, e.g. 7.5, for code that must
// refuse older devices, or 9.0 for wgmma; the emulator's own tests set it with
// set_compute_capability between launches).
struct Cc {
  int major, minor;
};
std::atomic<int> g_cc{-1};  // 10 * major + minor; -1 until first asked
Cc compute_capability() {
  int v = g_cc.load(std::memory_order_relaxed);
  if (v < 0) {
    Cc c{8, 6};
    if (const char* s = std::getenv("CUDA_EMU_CC"); s != nullptr && std::sscanf(s, "%d.%d", &c.major, &c.minor) != 2)
      fatal("CUDA_EMU_CC=%s: expected MAJOR.MINOR, e.g. 7.5", s);
    v = 10 * c.major + c.minor;
    g_cc.store(v, std::memory_order_relaxed);
  }
  return Cc{v / 10, v % 10};
}

constexpr std::size_t kSharedPerBlock = 48 * 1024;  // without opting in
// The most dynamic shared memory a block may opt in to: CUDA C++ Programming Guide, "Technical
// Specifications per Compute Capability", Table "Memory Information per Compute Capability", row
// "Maximum amount of shared memory per thread block" (1 KB of each SM's shared memory is reserved
// for the system, hence 99 KB of 100, 163 of 164, 227 of 228).
std::size_t shared_per_block_optin() {
  const Cc cc = compute_capability();
  switch (10 * cc.major + cc.minor) {
    case 75: return 64 * 1024;
    case 80: case 87: return 163 * 1024;
    case 86: case 89: case 120: case 121: return 99 * 1024;
    case 90: case 100: case 103: case 110: return 227 * 1024;
    default:
      fatal("compute capability %d.%d: its shared memory per block is not in the emulator's table (7.5, 8.0, 8.6, "
            "8.7, 8.9, 9.0, 10.x, 11.0, 12.x)",
            cc.major, cc.minor);
  }
}

// ---- Dynamic shared memory: one block at a time in the whole process (see run_grid) -------------

constexpr std::size_t kSharedAlignment = 1024;
struct SharedFree {
  void operator()(unsigned char* p) const { ::operator delete(p, std::align_val_t{kSharedAlignment}); }
};
std::unique_ptr<unsigned char, SharedFree> g_shared;
std::size_t g_shared_bytes = 0;

// What the asynchronous proxy (wgmma's operand reads) may not see yet. PTX ISA, "Async Proxy" of
// wgmma and wgmma.fence: accessing the same memory through the generic and the async proxy needs
// a cross-proxy fence, fence.proxy.async, between prior writes to the shared-memory matrices and
// their reads by wgmma.mma_async. Per byte of dynamic shared memory: the thread that last wrote it
// through st.shared.v4 or a landed cp.async, ((tid + 1) << 32), and how many fence.proxy.async that
// thread had executed then (low 32 bits); 0: no tracked write. The byte is still invisible to the
// async proxy while its writer's count is unchanged. (Relaxed atomics: the kernel's own barriers
// order the accesses that matter; a fence racing with a wgmma issue is the kernel's race.)
std::unique_ptr<std::atomic<std::uint64_t>[]> g_generic_writes;
std::unique_ptr<std::atomic<std::uint32_t>[]> g_proxy_fences;  // per thread of the block

// Fresh dynamic shared memory for the next block: exactly `bytes` (AddressSanitizer sees overruns),
// filled with 0xFF bytes (NaN in every float type) so that data read before it is written shows.
void new_block_shared(std::size_t bytes, unsigned nthreads) {
  g_shared.reset(static_cast<unsigned char*>(::operator new(bytes != 0 ? bytes : 1, std::align_val_t{kSharedAlignment})));
  std::memset(g_shared.get(), 0xFF, bytes);
  g_shared_bytes = bytes;
  g_generic_writes.reset(new std::atomic<std::uint64_t>[bytes]());  // value-initialized: 0
  g_proxy_fences.reset(new std::atomic<std::uint32_t>[nthreads]());
}

// Kernel attributes set by cudaFuncSetAttribute: the dynamic shared memory a kernel opted in to.
std::mutex g_attribute_mutex;
std::map<const void*, int> g_max_dynamic_shared;
int max_dynamic_shared(const void* kernel) {
  const std::lock_guard<std::mutex> lock(g_attribute_mutex);
  const auto it = g_max_dynamic_shared.find(kernel);
  return it != g_max_dynamic_shared.end() ? it->second : static_cast<int>(kSharedPerBlock);
}

// ---- cp.async: this thread's copies in flight ---------------------------------------------------

struct AsyncCopy {
  std::uint32_t dst;
  const void* src;
  int size, src_bytes;
};
struct AsyncCopies {
  std::vector<AsyncCopy> open;                 // issued since the last commit
  std::deque<std::vector<AsyncCopy>> groups;   // committed, oldest first
  void clear() {
    open.clear();
    groups.clear();
  }
};
thread_local AsyncCopies t_async;

// ---- wgmma: this thread's share of its warpgroup's asynchronous matrix products -----------------

struct WgmmaOp {
  MmaInput type;
  float* d;  // the accumulator registers (this thread's 128 floats)
  std::uint64_t desc_a, desc_b;
  bool accumulate;
};
// One accumulator array (by address) while wgmma.mma_async use it.
struct Accumulator {
  float value[128];  // D as the retired operations left it (at the first issue: the registers' C)
  float left[128];   // what the emulator last wrote into the registers: the poison, or D at retirement
  unsigned pending;  // operations on it issued and not yet retired
  std::uint64_t fences;  // the thread's wgmma.fence count when the emulator last wrote the registers
};
struct Wgmmas {
  std::uint64_t fences = 0;                  // wgmma.fence executed so far
  std::vector<WgmmaOp> open;                 // issued since the last commit_group
  std::deque<std::vector<WgmmaOp>> groups;   // committed wgmma-groups, oldest first
  std::map<const float*, Accumulator> accumulators;
  std::size_t pending() const {
    std::size_t n = open.size();
    for (const auto& g : groups) n += g.size();
    return n;
  }
  void clear() {
    fences = 0;
    open.clear();
    groups.clear();
    accumulators.clear();
  }
};
thread_local Wgmmas t_wgmma;
void check_wgmma_retired();  // at the thread's return from the kernel

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

constexpr std::size_t kPublishBytes = 32;  // the most a lane publishes in one group operation

// The threads of a warp (Size 32) or of a warpgroup (Size 128: four consecutive warps, the first
// a multiple of 4; PTX ISA, "Warpgroup") that execute collective instructions together.
template <unsigned Size>
struct Group {
  explicit Group(unsigned n) : lanes(n), barrier(n) { std::memset(index, 0xFF, sizeof index); }
  const unsigned lanes;
  std::barrier<> barrier;  // a lane that returns from the kernel drops out of it
  // What each lane publishes in a group operation (a shuffle's value, ldmatrix's row address, mma's
  // fragments, a wgmma instruction's operands; nothing for __syncwarp), double-buffered: operation g
  // uses buffer g % 2, and a lane can only start operation g + 2 after every lane has passed the
  // barrier of operation g + 1, i.e. has finished reading buffer g % 2. One barrier per operation.
  alignas(8) unsigned char blob[2][Size][kPublishBytes] = {};
  unsigned index[2][Size] = {};  // which operation of its own each lane published last, per buffer
  unsigned ops[Size] = {};       // group operations so far, per lane
};
using Warp = Group<32>;
using Warpgroup = Group<128>;

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
    new_block_shared(config_.shared_bytes, nthreads_);
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
    const unsigned buffer = publish(w, &bits, sizeof bits, "__shfl_*_sync");
    std::uint64_t r;
    std::memcpy(&r, w.blob[buffer][src_lane < w.lanes ? src_lane : t_tid % 32], sizeof r);
    return r;
  }

  void syncwarp(unsigned mask) { publish(enter_warp_op(mask, "__syncwarp"), nullptr, 0, "__syncwarp"); }

  // A .sync.aligned warpgroup instruction: all 128 threads of the calling thread's warpgroup
  // execute it, with the same `bytes` of operands at `mine` (PTX ISA, wgmma: "all threads in the
  // warpgroup must execute the same instruction"), or the run stops.
  void warpgroup_op(const void* mine, std::size_t bytes, const char* what) {
    synchronized_.store(true, std::memory_order_relaxed);
    Warpgroup& g = *warpgroups_[t_tid / 128];
    if (g.lanes != 128)
      fatal("%s in warpgroup %u of a block of %u threads: it has %u threads, the instruction needs all 128 (four full "
            "warps)",
            what, t_tid / 128, nthreads_, g.lanes);
    const unsigned buffer = publish(g, mine, bytes, what);
    for (unsigned l = 0; l < 128; ++l)
      if (std::memcmp(g.blob[buffer][l], mine, bytes) != 0)
        fatal("%s: thread %u of warpgroup %u executes it with other operands (or another instruction) than thread %u "
              "(.aligned: all threads of the warpgroup must execute the same instruction)",
              what, t_tid % 128, t_tid / 128, l);
  }

  // Every lane of a full warp publishes `bytes` of its own; all receive all 32 (lane order).
  void gather(const void* mine, std::size_t bytes, void* all, const char* what) {
    Warp& w = *warps_[t_tid / 32];
    if (w.lanes != 32) fatal("%s in a warp of %u threads: it needs all 32 lanes", what, w.lanes);
    const unsigned buffer = publish(enter_warp_op(0xFFFFFFFFu, what), mine, bytes, what);
    for (unsigned l = 0; l < 32; ++l) std::memcpy(static_cast<unsigned char*>(all) + l * bytes, w.blob[buffer][l], bytes);
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
      t_async.clear();  // copies a previous block left in flight never land
      t_wgmma.clear();
      body_();
      check_wgmma_retired();
      warps_[tid / 32]->barrier.arrive_and_drop();  // a lane still in a warp operation must not wait for this one
      warpgroups_[tid / 128]->barrier.arrive_and_drop();
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
    new_block_shared(config_.shared_bytes, nthreads_);
  }

  void new_warps() {
    warps_.clear();
    for (unsigned first = 0; first < nthreads_; first += 32)
      warps_.push_back(std::make_unique<Warp>(nthreads_ - first < 32 ? nthreads_ - first : 32));
    warpgroups_.clear();
    for (unsigned first = 0; first < nthreads_; first += 128)
      warpgroups_.push_back(std::make_unique<Warpgroup>(nthreads_ - first < 128 ? nthreads_ - first : 128));
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

  // The calling lane's part of a warp operation: publishes `bytes` at `mine`, waits for the warp,
  // and returns the buffer holding what every lane published. A lane that returned from the kernel
  // did not publish (its arrival was dropped): that is checked by what was published, not by a
  // count of returned lanes, since a fast lane may already be past its last warp operation and gone
  // while this one is still here.
  template <unsigned Size>
  unsigned publish(Group<Size>& w, const void* mine, std::size_t bytes, const char* what) {
    const unsigned lane = t_tid % Size, index = w.ops[lane]++, buffer = index % 2;
    if (bytes != 0) std::memcpy(w.blob[buffer][lane], mine, bytes);
    w.index[buffer][lane] = index;
    w.barrier.arrive_and_wait();
    unsigned missing = 0;
    for (unsigned l = 0; l < w.lanes; ++l) missing += w.index[buffer][l] != index ? 1 : 0;
    if (missing != 0) {
      const uint3 b = unflatten(block_, config_.grid);
      fatal("%s in %s %u of block (%u, %u, %u) after %u of its lanes returned from the kernel", what,
            Size == 32 ? "warp" : "warpgroup", t_tid / Size, b.x, b.y, b.z, missing);
    }
    return buffer;
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
  std::vector<std::unique_ptr<Warpgroup>> warpgroups_;
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
    new_block_shared(config.shared_bytes, nthreads);
    for (unsigned t = 0; t < nthreads; ++t) {
      t_tid = t;
      threadIdx = unflatten(t, config.block);
      t_async.clear();
      body();
    }
  }
  t_async.clear();
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

void run_grid(const LaunchConfig& config, const void* kernel, ThreadBody body) {
  if (t_mode != Mode::host) fatal("a kernel launched a kernel: dynamic parallelism is not emulated");
  if (const cudaError_t e = check_config(config); e != cudaSuccess) {
    record(e);
    return;
  }
  // More than 48 KiB of dynamic shared memory needs the kernel's opt-in (cudaFuncSetAttribute
  // with cudaFuncAttributeMaxDynamicSharedMemorySize); without it a GPU refuses the launch.
  if (config.shared_bytes > kSharedPerBlock &&
      (config.shared_bytes > static_cast<std::size_t>(max_dynamic_shared(kernel)) ||
       config.shared_bytes > shared_per_block_optin())) {
    record(cudaErrorInvalidValue);
    return;
  }
  // Shared memory, static (a static per kernel) or dynamic (g_shared), is one block's at a time:
  // one grid at a time in the whole process.
  static std::mutex one_grid_at_a_time;
  const std::lock_guard<std::mutex> lock(one_grid_at_a_time);
  std::uint64_t run = 0;
  {
    Team team(config, body);
    run = team.run();
  }
  run_sequentially(config, body, run);
  g_shared.reset();
  g_shared_bytes = 0;
  g_generic_writes.reset();
  g_proxy_fences.reset();
}

void* dynamic_shared_base(std::size_t alignment) {
  if (t_mode == Mode::host) fatal("extern __shared__ memory used outside a kernel");
  if (alignment > kSharedAlignment) fatal("extern __shared__ aligned to %zu bytes: at most %zu emulated", alignment, kSharedAlignment);
  return g_shared.get();
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

namespace {

// The bytes [address, address + bytes) of the block's dynamic shared memory, for `what`.
unsigned char* shared_pointer(std::uint32_t address, std::size_t bytes, std::size_t alignment, const char* what) {
  if (t_mode == Mode::host) fatal("%s outside a kernel", what);
  if (address % alignment != 0)
    fatal("%s at shared address 0x%x: not %zu-byte aligned (a GPU faults with cudaErrorMisalignedAddress)", what,
          address, alignment);
  if (address > g_shared_bytes || bytes > g_shared_bytes - address)
    fatal("%s of %zu bytes at shared address 0x%x: beyond the block's %zu bytes of dynamic shared memory", what,
          bytes, address, g_shared_bytes);
  return g_shared.get() + address;
}

// [address, address + bytes) of dynamic shared memory was just written by the calling thread
// through the generic proxy (st.shared, cp.async): the async proxy cannot see it until the thread's
// next fence.proxy.async.
void generic_write(std::uint32_t address, std::size_t bytes) {
  const std::uint64_t mark = (std::uint64_t{t_tid} + 1) << 32 |
                             g_proxy_fences[t_tid].load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < bytes; ++i) g_generic_writes[address + i].store(mark, std::memory_order_relaxed);
}

// The thread whose generic-proxy write of the byte at `address` no fence.proxy.async has yet made
// visible to the async proxy, or -1.
int unfenced_writer(std::uint32_t address) {
  const std::uint64_t mark = g_generic_writes[address].load(std::memory_order_relaxed);
  if (mark == 0) return -1;
  const auto tid = static_cast<unsigned>(mark >> 32) - 1;
  return g_proxy_fences[tid].load(std::memory_order_relaxed) == static_cast<std::uint32_t>(mark)
             ? static_cast<int>(tid)
             : -1;
}

std::uint32_t load32(std::uint32_t address, const char* what) {
  std::uint32_t v;
  std::memcpy(&v, shared_pointer(address, 4, 4, what), 4);
  return v;
}

void land(const AsyncCopy& c) {
  unsigned char* dst = shared_pointer(c.dst, static_cast<std::size_t>(c.size), static_cast<std::size_t>(c.size),
                                      "cp.async");
  if (c.src_bytes > 0) std::memcpy(dst, c.src, static_cast<std::size_t>(c.src_bytes));
  std::memset(dst + c.src_bytes, 0, static_cast<std::size_t>(c.size - c.src_bytes));
  generic_write(c.dst, static_cast<std::size_t>(c.size));
}

// One 16-bit input of mma as a float: bfloat16 is the top half of a float; binary16 by its fields.
float input_value(MmaInput type, std::uint32_t bits) {
  if (type == MmaInput::bf16) return __uint_as_float(bits << 16);
  const float sign = (bits & 0x8000u) != 0 ? -1.0f : 1.0f;
  const int exponent = static_cast<int>((bits >> 10) & 0x1Fu);
  const std::uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0x1F) return mantissa != 0 ? NAN : sign * INFINITY;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);  // subnormal
  return sign * std::ldexp(static_cast<float>(mantissa | 0x400u), exponent - 25);
}
float input_value(MmaInput type, std::uint32_t reg, int half) { return input_value(type, (reg >> (16 * half)) & 0xFFFFu); }

}  // namespace
}  // namespace cuda_emu::detail

namespace cuda_emu {

using detail::fatal;
using detail::t_async;

std::uint32_t shared_address(const void* p) {
  if (detail::t_mode == detail::Mode::host) fatal("cvta.to.shared outside a kernel");
  const auto* c = static_cast<const unsigned char*>(p);
  const unsigned char* base = detail::g_shared.get();
  if (base == nullptr || c < base || c > base + detail::g_shared_bytes)
    fatal("cvta.to.shared of %p: not in the block's dynamic shared memory (only extern __shared__ memory has "
          "shared addresses in the emulator)",
          p);
  return static_cast<std::uint32_t>(c - base);
}

void cp_async(std::uint32_t dst, const void* src, int cp_size, int src_bytes) {
  if (cp_size != 4 && cp_size != 8 && cp_size != 16) fatal("cp.async of %d bytes: 4, 8 or 16", cp_size);
  if (src_bytes < 0 || src_bytes > cp_size) fatal("cp.async with src-size %d > cp-size %d", src_bytes, cp_size);
  detail::shared_pointer(dst, static_cast<std::size_t>(cp_size), static_cast<std::size_t>(cp_size), "cp.async");
  if (reinterpret_cast<std::uintptr_t>(src) % static_cast<unsigned>(cp_size) != 0)
    fatal("cp.async of %d bytes from %p: misaligned (a GPU faults with cudaErrorMisalignedAddress)", cp_size, src);
  if (src_bytes > 0 && !detail::device_memory(src, static_cast<std::size_t>(src_bytes)))
    fatal("cp.async reads %d bytes at %p: not inside one cudaMalloc allocation (a GPU faults with "
          "cudaErrorIllegalAddress)",
          src_bytes, src);
  t_async.open.push_back(detail::AsyncCopy{dst, src, cp_size, src_bytes});
}

void cp_async_commit() {
  if (detail::t_mode == detail::Mode::host) fatal("cp.async.commit_group outside a kernel");
  t_async.groups.push_back(std::move(t_async.open));
  t_async.open.clear();
}

void cp_async_wait(int n) {
  if (detail::t_mode == detail::Mode::host) fatal("cp.async.wait_group outside a kernel");
  if (n < 0) fatal("cp.async.wait_group %d", n);
  while (t_async.groups.size() > static_cast<std::size_t>(n)) {
    for (const detail::AsyncCopy& c : t_async.groups.front()) detail::land(c);
    t_async.groups.pop_front();
  }
}

void st_shared_v4(std::uint32_t dst, std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  const std::uint32_t v[4] = {a, b, c, d};
  std::memcpy(detail::shared_pointer(dst, 16, 16, "st.shared.v4.b32"), v, 16);
  detail::generic_write(dst, 16);
}

void ldmatrix_x4(std::uint32_t (&r)[4], std::uint32_t address) {
  detail::shared_pointer(address, 16, 16, "ldmatrix row address");  // each lane's own row: 16 bytes, aligned
  std::uint32_t rows[32];
  detail::current_team("ldmatrix").gather(&address, sizeof address, rows, "ldmatrix");
  // Lane l receives, from matrix q, row l / 4, 32-bit word l % 4 (two 16-bit elements); the row's
  // address came from lane 8 * q + row.
  const unsigned lane = detail::lane_id();
  for (unsigned q = 0; q < 4; ++q) r[q] = detail::load32(rows[8 * q + lane / 4] + 4 * (lane % 4), "ldmatrix");
}

void mma_m16n8k16(MmaInput type, float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
  struct Fragments {
    std::uint32_t a[4], b[2];
  };
  const Fragments mine{{a[0], a[1], a[2], a[3]}, {b[0], b[1]}};
  Fragments all[32];
  detail::current_team("mma.sync").gather(&mine, sizeof mine, all, "mma.sync");
  // PTX ISA, mma.m16n8k16 with 16-bit inputs; g = lane / 4, t = lane % 4. A (16 x 16, row): register
  // q of lane (g, t) holds A[g + 8 * (q & 1)][2t + 8 * (q >> 1) + {0, 1}]. B (16 x 8, col): register q
  // holds B[2t + 8q + {0, 1}][g]. C/D: register i holds D[g + 8 * (i >> 1)][2t + (i & 1)].
  const auto A = [&](int row, int k) {
    const Fragments& f = all[(row % 8) * 4 + (k % 8) / 2];
    return detail::input_value(type, f.a[(row / 8) + 2 * (k / 8)], k % 2);
  };
  const auto B = [&](int k, int col) {
    const Fragments& f = all[col * 4 + (k % 8) / 2];
    return detail::input_value(type, f.b[k / 8], k % 2);
  };
  const int lane = static_cast<int>(detail::lane_id()), g = lane / 4, t = lane % 4;
  for (int i = 0; i < 4; ++i) {
    const int row = g + 8 * (i >> 1), col = 2 * t + (i & 1);
    float sum = 0.0f;
    for (int k = 0; k < 16; ++k) sum = std::fmaf(A(row, k), B(k, col), sum);  // products are exact in float
    d[i] += sum;
  }
}

}  // namespace cuda_emu

// ---- wgmma: PTX ISA 9.7.15, "Asynchronous Warpgroup Level Matrix Multiply-Accumulate Instructions" ----

namespace cuda_emu::detail {
namespace {

// PTX ISA, Target ISA Notes: wgmma.* "Requires sm_90a"; fence.proxy.async requires sm_90 or higher.
void require_sm90(const char* what, bool sm90a) {
  const Cc cc = compute_capability();
  if (sm90a ? cc.major == 9 && cc.minor == 0 : cc.major >= 9) return;
  fatal("%s on a device of compute capability %d.%d: it needs %s (a GPU could not even load the kernel)", what,
        cc.major, cc.minor, sm90a ? "sm_90a, compute capability 9.0" : "sm_90 or newer");
}

// What all 128 threads of the warpgroup must execute alike (.sync.aligned), compared bytewise.
struct WarpgroupInstruction {
  std::uint32_t opcode;   // 1 wgmma.fence, 2 commit_group, 3 wait_group, 4 mma_async
  std::uint32_t operand;  // wait_group: N; mma_async: input type | scale-d << 1
  std::uint64_t desc_a, desc_b;
};
static_assert(sizeof(WarpgroupInstruction) == 24 && sizeof(WarpgroupInstruction) <= kPublishBytes, "no padding");

void warpgroup_instruction(const WarpgroupInstruction& instruction, const char* what) {
  if (t_mode == Mode::host) fatal("%s outside a kernel", what);
  require_sm90(what, true);
  current_team(what).warpgroup_op(&instruction, sizeof instruction, what);
}

// PTX ISA 9.7.15.5.1.2.2, "Matrix Descriptor Format": bits 0-13 the matrix start address, 16-29 the
// leading dimension byte offset (LBO), 32-45 the stride dimension byte offset (SBO), each as
// (x & 0x3FFFF) >> 4; bits 49-51 the matrix base offset ("valid for all swizzling modes except the
// no-swizzle mode"); bits 62-63 the swizzling mode: 0 none, 1 128-byte, 2 64-byte, 3 32-byte.
struct Descriptor {
  std::uint32_t start, lbo, sbo;
  unsigned base_offset, mode;
  // K-major, the swizzle atom is 8 rows of 8, 4, 2 or 1 16-byte chunks (PTX ISA, "Shared Memory
  // Matrix Layout", Table "swizzle-atom layout": 8x8, 8x4, 8x2, 8x1 for 128B, 64B, 32B, none).
  std::uint32_t row_bytes() const { return mode == 0 ? 16 : mode == 1 ? 128 : mode == 2 ? 64 : 32; }
  unsigned swizzle_bits() const { return mode == 0 ? 0 : mode == 1 ? 3 : mode == 2 ? 2 : 1; }
  const char* name() const {
    static const char* const names[] = {"no swizzle", "128-byte swizzle", "64-byte swizzle", "32-byte swizzle"};
    return names[mode];
  }
};
Descriptor decode(std::uint64_t d) {
  const auto field = [d](int bit) { return static_cast<std::uint32_t>((d >> bit) & 0x3FFFu) << 4; };
  return Descriptor{field(0), field(16), field(32), static_cast<unsigned>((d >> 49) & 7u), static_cast<unsigned>(d >> 62)};
}

// The shared address of element (row, k) of a K-major operand (no transpose) with 16-bit elements,
// for the instruction's 16 k. PTX ISA 9.7.15.5.1.2.1.3, "Canonical Layouts", in CuTe notation over
// elements, T = 8 elements per 16 bytes:
//   no swizzle     ((8,m),(T,2k)):((1T,SBO),(1,LBO))   8 x 16-byte core matrices, LBO apart along K
//   32/64/128B     ((8,m),(T,2k)):((2T|4T|8T,SBO),(1,T)), then Swizzle<1|2|3,4,3>
// so the rows of an atom are 16, 32, 64 or 128 bytes apart, 8-row groups SBO apart; along K two
// 16-byte chunks, LBO apart without swizzle, adjacent with ("Leading Dimension Byte Offset",
// K-major: "Swizzled layouts: not used, assumed to be 1"). CuTe's Swizzle<B,4,3> (cute/swizzle.hpp)
// acts on the byte address: bits [4, 4 + B) ^= bits [7, 7 + B). It is applied to the whole shared
// address, which is what the base-offset rule below is phrased in.
std::uint32_t element_address(const Descriptor& d, unsigned row, unsigned k) {
  const std::uint32_t chunk_stride = d.mode == 0 ? d.lbo : 16;
  const std::uint32_t a = d.start + (row % 8) * d.row_bytes() + (row / 8) * d.sbo + (k / 8) * chunk_stride + 2 * (k % 8);
  const std::uint32_t mask = (1u << d.swizzle_bits()) - 1;
  return a ^ (((a >> 7) & mask) << 4);
}

void check_descriptor(const Descriptor& d, char operand) {
  if (d.mode == 0) return;
  const std::uint32_t row = d.row_bytes(), pattern = 8 * row;
  // "Matrix Descriptor Format": the base offset is 0 when the repeating pattern of the swizzling
  // mode starts at a 1024- (128B), 512- (64B) or 256-byte (32B) boundary; otherwise it must be
  // (pattern start address >> 7) & 7.
  if (d.base_offset != 0)
    fatal("wgmma.mma_async: matrix %c's descriptor (%s) has base offset %u: not emulated; start the swizzle "
          "pattern at a %u-byte boundary, where the base offset is 0 (PTX ISA, Matrix Descriptor Format)",
          operand, d.name(), d.base_offset, pattern);
  if (d.start % pattern >= row)
    fatal("wgmma.mma_async: matrix %c's start address 0x%x lies in row %u of its %u-byte %s pattern; with base "
          "offset 0 the pattern must start at a %u-byte boundary (PTX ISA, Matrix Descriptor Format)",
          operand, d.start, d.start % pattern / row, pattern, d.name(), pattern);
  // The canonical layout puts a row's 16 k (two 16-byte chunks) side by side within one row of the atom.
  if (d.start % row + 32 > row)
    fatal("wgmma.mma_async: matrix %c's start address 0x%x is %u bytes into a %u-byte row of the %s atom: the 32 "
          "bytes of a row's 16 k must lie within one row (PTX ISA, Canonical Layouts)",
          operand, d.start, d.start % row, row, d.name());
}

// The operand bytes a wgmma.mma_async reads must be in the block's dynamic shared memory, and any
// generic-proxy write to them (st.shared, cp.async) fenced with fence.proxy.async by its writer
// before the wgmma (PTX ISA, wgmma.fence: "An async proxy fence must be used to establish an
// ordering between prior writes to shared memory matrices and subsequent reads of the same
// matrices in a wgmma.mma_async instruction"). Checked at the issue, which the fence must precede.
void check_reads(const Descriptor& d, char operand, unsigned row) {
  for (unsigned k = 0; k < 16; ++k) {
    const std::uint32_t a = element_address(d, row, k);
    if (a > g_shared_bytes || g_shared_bytes - a < 2)
      fatal("wgmma.mma_async reads matrix %c element (%u, %u) at shared address 0x%x: beyond the block's %zu bytes "
            "of dynamic shared memory",
            operand, row, k, a, g_shared_bytes);
    for (std::uint32_t byte = a; byte < a + 2; ++byte)
      if (const int writer = unfenced_writer(byte); writer >= 0)
        fatal("wgmma.mma_async reads matrix %c element (%u, %u) at shared address 0x%x, which thread %d wrote with "
              "st.shared / cp.async and did not make visible to the async proxy: the writing thread must execute "
              "fence.proxy.async (fence_proxy_async()) after its writes and before the wgmma (PTX ISA, wgmma.fence "
              "and Async Proxy)",
              operand, row, k, a, writer);
  }
}

float operand_value(MmaInput type, const Descriptor& d, unsigned row, unsigned k) {
  std::uint16_t bits;
  std::memcpy(&bits, shared_pointer(element_address(d, row, k), 2, 2, "wgmma.mma_async"), 2);
  return input_value(type, bits);
}

// The accumulator fragment of wgmma .m64nNk16 with f32 D (PTX ISA 9.7.15.5.1.1.1, Figure "WGMMA
// .m64nNk16 register fragment layout for accumulator matrix D"), as CUTLASS writes it
// (cute/atom/mma_traits_sm90_gmma.hpp, CLayout_64xN): (thread, value) -> m + 64 n, thread shape
// (4,8,4):(128,1,16), value shape (2,2,N/8):(64,8,512). So thread t holds in d[i] the element
//   row = 16 (t / 32) + (t % 32) / 4 + 8 ((i / 2) % 2),  col = 8 (i / 4) + 2 (t % 4) + i % 2.
struct Coord {
  unsigned row, col;
};
Coord d_element(unsigned t, unsigned i) {
  const unsigned mn = 128 * (t % 4) + (t / 4) % 8 + 16 * (t / 32) + 64 * (i % 2) + 8 * ((i / 2) % 2) + 512 * (i / 4);
  return Coord{mn % 64, mn / 64};
}

// Accumulator registers of an operation in flight hold this NaN (a signaling one, so that arithmetic
// on it yields another pattern): read before the wait shows, written before the wait is caught.
constexpr std::uint32_t kPendingBits = 0x7FA5A5A5u;

bool registers_hold(const float* d, const float (&expected)[128]) { return std::memcmp(d, expected, sizeof expected) == 0; }

[[noreturn]] void written_while_pending() {
  fatal("thread %u of block (%u, %u, %u) wrote accumulator registers of a wgmma.mma_async before wgmma.wait_group "
        "retired it (PTX ISA, wgmma.wait_group: accessing them before is undefined behavior)",
        t_tid, blockIdx.x, blockIdx.y, blockIdx.z);
}

// The product, at the latest moment a GPU may compute it: when wgmma.wait_group retires its group,
// reading shared memory then. Products exact, sums in float in k order (as mma_m16n8k16), then D.
void retire(const WgmmaOp& op) {
  Accumulator& acc = t_wgmma.accumulators.at(op.d);
  if (!registers_hold(op.d, acc.left)) written_while_pending();
  const Descriptor a = decode(op.desc_a), b = decode(op.desc_b);
  const unsigned t = t_tid % 128;
  for (unsigned i = 0; i < 128; ++i) {
    const Coord c = d_element(t, i);
    float sum = 0.0f;
    for (unsigned k = 0; k < 16; ++k)
      sum = std::fmaf(operand_value(op.type, a, c.row, k), operand_value(op.type, b, c.col, k), sum);
    acc.value[i] = op.accumulate ? acc.value[i] + sum : sum;  // scale-d: D = A * B + D, or D = A * B
  }
  if (--acc.pending == 0) {  // the last operation on these registers: D lands in them
    std::memcpy(op.d, acc.value, sizeof acc.value);
    std::memcpy(acc.left, acc.value, sizeof acc.value);
    acc.fences = t_wgmma.fences;
  }
}

void check_wgmma_retired() {
  if (t_wgmma.open.empty() && t_wgmma.groups.empty()) return;
  fatal("thread %u of block (%u, %u, %u) returned from the kernel with %zu wgmma.mma_async not retired (%zu of them "
        "never committed): wgmma.commit_group and wgmma.wait_group must be used to wait for their completion (PTX "
        "ISA, wgmma Async Proxy)",
        t_tid, blockIdx.x, blockIdx.y, blockIdx.z, t_wgmma.pending(), t_wgmma.open.size());
}

}  // namespace
}  // namespace cuda_emu::detail

namespace cuda_emu {

using detail::t_wgmma;

void set_compute_capability(int major, int minor) {
  if (detail::t_mode != detail::Mode::host) fatal("set_compute_capability inside a kernel");
  if (major < 1 || minor < 0 || minor > 9) fatal("set_compute_capability(%d, %d): not a compute capability", major, minor);
  detail::g_cc.store(10 * major + minor, std::memory_order_relaxed);
}

void fence_proxy_async() {
  if (detail::t_mode == detail::Mode::host) fatal("fence.proxy.async outside a kernel");
  detail::require_sm90("fence.proxy.async", false);
  detail::g_proxy_fences[detail::t_tid].fetch_add(1, std::memory_order_relaxed);
}

void wgmma_fence() {
  detail::warpgroup_instruction({1, 0, 0, 0}, "wgmma.fence");
  ++t_wgmma.fences;
}

void wgmma_commit() {
  detail::warpgroup_instruction({2, 0, 0, 0}, "wgmma.commit_group");
  t_wgmma.groups.push_back(std::move(t_wgmma.open));  // an empty group if nothing was issued
  t_wgmma.open.clear();
}

void wgmma_wait(int n) {
  if (n < 0) fatal("wgmma.wait_group %d", n);
  detail::warpgroup_instruction({3, static_cast<std::uint32_t>(n), 0, 0}, "wgmma.wait_group");
  // Operations not yet committed are in no wgmma-group and stay pending.
  while (t_wgmma.groups.size() > static_cast<std::size_t>(n)) {
    for (const detail::WgmmaOp& op : t_wgmma.groups.front()) detail::retire(op);
    t_wgmma.groups.pop_front();
  }
}

void wgmma_m64n256k16(MmaInput type, float (&d)[128], std::uint64_t desc_a, std::uint64_t desc_b, bool accumulate) {
  const std::uint32_t operand = (type == MmaInput::bf16 ? 1u : 0u) | (accumulate ? 2u : 0u);
  detail::warpgroup_instruction({4, operand, desc_a, desc_b}, "wgmma.mma_async");
  // PTX ISA, wgmma.fence: it must be issued by all warps of the warpgroup before the first
  // wgmma.mma_async, and between a register access by a thread and a wgmma.mma_async that accesses
  // the same registers, except for accumulator accesses across wgmma.mma_async of the same shape.
  if (t_wgmma.fences == 0)
    fatal("wgmma.mma_async by thread %u before any wgmma.fence: the warpgroup must execute wgmma.fence before its "
          "first wgmma.mma_async (PTX ISA, wgmma.fence)",
          detail::t_tid);
  const auto [it, fresh] = t_wgmma.accumulators.try_emplace(&d[0]);
  detail::Accumulator& acc = it->second;
  if (fresh) acc.pending = 0;
  if (acc.pending > 0) {  // chained on an operation in flight: ordered by default
    if (!detail::registers_hold(d, acc.left)) detail::written_while_pending();
  } else {
    if (!fresh && acc.fences == t_wgmma.fences && !detail::registers_hold(d, acc.left))
      fatal("thread %u wrote accumulator registers after wgmma.wait_group retired them and issues a wgmma.mma_async on "
            "them with no wgmma.fence in between (PTX ISA, wgmma.fence: required between a register access by a "
            "thread and a wgmma.mma_async that accesses the same registers)",
            detail::t_tid);
    std::memcpy(acc.value, d, sizeof acc.value);  // C
  }
  const detail::Descriptor a = detail::decode(desc_a), b = detail::decode(desc_b);
  detail::check_descriptor(a, 'A');
  detail::check_descriptor(b, 'B');
  const unsigned t = detail::t_tid % 128;
  for (unsigned i = 0; i < 128; ++i) {
    const detail::Coord c = detail::d_element(t, i);
    if (i == 0 || i == 2) detail::check_reads(a, 'A', c.row);  // this thread's two rows of D and A
    if (i % 4 < 2) detail::check_reads(b, 'B', c.col);         // its 64 columns of D, rows of B
  }
  t_wgmma.open.push_back(detail::WgmmaOp{type, d, desc_a, desc_b, accumulate});
  const float poison = __uint_as_float(detail::kPendingBits);
  for (float& x : d) x = poison;
  std::memcpy(acc.left, d, sizeof acc.left);
  ++acc.pending;
  acc.fences = t_wgmma.fences;
}

}  // namespace cuda_emu

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

}  // namespace

bool cuda_emu::detail::device_memory(const void* p, std::size_t n) { return allocations().contains(p, n); }

namespace {

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
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = static_cast<int>(cuda_emu::detail::kSharedPerBlock); break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = static_cast<int>(cuda_emu::detail::shared_per_block_optin()); break;
    case cudaDevAttrComputeCapabilityMajor: *value = cuda_emu::detail::compute_capability().major; break;
    case cudaDevAttrComputeCapabilityMinor: *value = cuda_emu::detail::compute_capability().minor; break;
    default: return record(cudaErrorInvalidValue);  // not emulated
  }
  return cudaSuccess;
}

cudaError_t cudaFuncSetAttribute(const void* func, enum cudaFuncAttribute attr, int value) {
  if (func == nullptr) return record(cudaErrorInvalidDeviceFunction);
  switch (attr) {
    case cudaFuncAttributeMaxDynamicSharedMemorySize:
      if (value < 0 || static_cast<std::size_t>(value) > cuda_emu::detail::shared_per_block_optin())
        return record(cudaErrorInvalidValue);
      {
        const std::lock_guard<std::mutex> lock(cuda_emu::detail::g_attribute_mutex);
        cuda_emu::detail::g_max_dynamic_shared[func] = value;
      }
      return cudaSuccess;
    case cudaFuncAttributePreferredSharedMemoryCarveout:
      return value >= -1 && value <= 100 ? cudaSuccess : record(cudaErrorInvalidValue);
    default: return record(cudaErrorInvalidValue);  // not emulated
  }
}

cudaError_t cudaFuncGetAttributes(struct cudaFuncAttributes* attr, const void* func) {
  if (attr == nullptr) return record(cudaErrorInvalidValue);
  if (func == nullptr) return record(cudaErrorInvalidDeviceFunction);
  *attr = cudaFuncAttributes{};
  attr->maxThreadsPerBlock = 1024;
  attr->maxDynamicSharedSizeBytes = cuda_emu::detail::max_dynamic_shared(func);
  const auto cc = cuda_emu::detail::compute_capability();
  attr->binaryVersion = attr->ptxVersion = 10 * cc.major + cc.minor;  // as if built for exactly this device
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
    case cudaErrorInvalidDeviceFunction: return "cudaErrorInvalidDeviceFunction";
    case cudaErrorNoKernelImageForDevice: return "cudaErrorNoKernelImageForDevice";
    default: return "cudaErrorUnknown (not returned by cuda_emu)";
  }
}
const char* cudaGetErrorString(cudaError_t error) { return cudaGetErrorName(error); }

}  // extern "C"
