// The emulator itself (cuda_emu.hpp): indices, shared memory and barriers, warp shuffles against
// CUDA's definitions, atomics, launch errors, and that what would be undefined or fault on a GPU
// stops the test instead of passing or hanging. Launches are written as prepare_source.cmake
// rewrites them: CUDA_EMU_LAUNCH((grid, block), kernel)(args).
#include "cuda_emu.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace {

// ---- kernels --------------------------------------------------------------------------------------

// Every thread writes where it is; `sync` adds a __syncthreads (so all blocks run on threads).
__global__ void where_am_i(std::uint32_t* out, bool sync) {
  if (sync) __syncthreads();
  const std::uint32_t block = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  const std::uint32_t thread = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  const std::uint32_t per_block = blockDim.x * blockDim.y * blockDim.z;
  out[block * per_block + thread] += 1 + thread + 1000u * block;
}

// Reverses each block's slice through shared memory, twice per launch (the barrier must order the
// reuse of the shared array).
__global__ void reverse_in_blocks(const int* in, int* out) {
  __shared__ int s[256];
  const unsigned t = threadIdx.x, base = blockIdx.x * blockDim.x;
  for (int round = 0; round < 2; ++round) {
    s[t] = in[base + t] + round;
    __syncthreads();
    out[2 * base + round * blockDim.x + t] = s[blockDim.x - 1 - t];
    __syncthreads();
  }
}

// Per thread: its lane shuffled down, up, xor and indexed, at width 32 and 8, as int and double.
__global__ void shuffles(int* out_int, double* out_double, int width) {
  const unsigned t = threadIdx.x;
  const int v = 100 + static_cast<int>(t);
  const double d = 0.5 + t;
  int* o = out_int + t * 4;
  o[0] = __shfl_down_sync(0xFFFFFFFFu, v, 3, width);
  o[1] = __shfl_up_sync(0xFFFFFFFFu, v, 2, width);
  o[2] = __shfl_xor_sync(0xFFFFFFFFu, v, 5, width);
  o[3] = __shfl_sync(0xFFFFFFFFu, v, 6, width);
  out_double[t] = __shfl_down_sync(0xFFFFFFFFu, d, 1, width);
}

__global__ void add_everywhere(int* i, double* d, unsigned long long* u) {
  atomicAdd(i, 1);
  atomicAdd(d, 0.25);
  atomicAdd(u, 3ull);
}

__global__ void sync_when_divergent() {
  if (threadIdx.x == 7) return;
  __syncthreads();
}
__global__ void sync_in_later_blocks_only() {
  if (blockIdx.x == 1) __syncthreads();
}
__global__ void shuffle_after_a_lane_returned(int* out) {
  if (threadIdx.x == 5) return;
  out[threadIdx.x] = __shfl_down_sync(0xFFFFFFFFu, 1, 1);
}
__global__ void misaligned_float4(const float* p) { (void)__ldg(reinterpret_cast<const float4*>(p + 1)); }

// ---- tests ----------------------------------------------------------------------------------------

class CudaEmuIndices : public ::testing::TestWithParam<bool> {};

TEST_P(CudaEmuIndices, EveryThreadOfA3dGridRunsOnceWithItsIndices) {
  const dim3 grid(3, 2, 2), block(4, 3, 2);  // 12 blocks of 24 threads (a partial warp)
  const std::size_t n = 12 * 24;
  std::vector<std::uint32_t> out(n, 0);
  CUDA_EMU_LAUNCH((grid, block), where_am_i)(out.data(), GetParam());
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(out[i], 1 + i % 24 + 1000 * (i / 24)) << "element " << i;
}
INSTANTIATE_TEST_SUITE_P(Emu, CudaEmuIndices, ::testing::Bool(), [](const auto& info) {
  return info.param ? std::string("Synchronizing") : std::string("Independent");
});

TEST(CudaEmu, SharedMemoryAndSyncthreads) {
  const int blocks = 3, threads = 256;
  std::vector<int> in(blocks * threads), out(2 * blocks * threads, -1);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int>(i);
  CUDA_EMU_LAUNCH((blocks, threads), reverse_in_blocks)(in.data(), out.data());
  for (int b = 0; b < blocks; ++b)
    for (int round = 0; round < 2; ++round)
      for (int t = 0; t < threads; ++t)
        ASSERT_EQ(out[2 * b * threads + round * threads + t], b * threads + threads - 1 - t + round)
            << "block " << b << " round " << round << " thread " << t;
}

TEST(CudaEmu, ShufflesFollowCudaDefinitions) {
  for (const int width : {32, 8}) {
    SCOPED_TRACE("width " + std::to_string(width));
    const unsigned threads = 64;
    std::vector<int> got(threads * 4, -1);
    std::vector<double> got_d(threads, -1);
    CUDA_EMU_LAUNCH((1, threads), shuffles)(got.data(), got_d.data(), width);
    for (unsigned t = 0; t < threads; ++t) {
      const unsigned lane = t % 32, first = t - lane % width;  // first lane of t's group of `width`
      const unsigned in_group = lane % width;
      const auto val = [&](unsigned src_thread) { return 100 + static_cast<int>(src_thread); };
      EXPECT_EQ(got[t * 4 + 0], in_group + 3 < static_cast<unsigned>(width) ? val(t + 3) : val(t)) << t;
      EXPECT_EQ(got[t * 4 + 1], in_group >= 2 ? val(t - 2) : val(t)) << t;
      const unsigned x = lane ^ 5u;  // xor reaches later groups only when width < 32: then own value
      EXPECT_EQ(got[t * 4 + 2], x < lane - in_group + static_cast<unsigned>(width) ? val(t - lane + x) : val(t)) << t;
      EXPECT_EQ(got[t * 4 + 3], val(first + 6 % static_cast<unsigned>(width))) << t;
      EXPECT_EQ(got_d[t], in_group + 1 < static_cast<unsigned>(width) ? 0.5 + t + 1 : 0.5 + t) << t;
    }
  }
}

TEST(CudaEmu, AtomicAddFromEveryThread) {
  int i = 0;
  double d = 0;
  unsigned long long u = 0;
  CUDA_EMU_LAUNCH((5, 96), add_everywhere)(&i, &d, &u);
  EXPECT_EQ(i, 5 * 96);
  EXPECT_EQ(d, 5 * 96 * 0.25);
  EXPECT_EQ(u, 5ull * 96 * 3);
}

TEST(CudaEmu, InvalidConfigurationIsALaunchErrorAndRunsNothing) {
  std::vector<std::uint32_t> out(2048, 0);
  CUDA_EMU_LAUNCH((1, 1025), where_am_i)(out.data(), false);
  EXPECT_EQ(cudaPeekAtLastError(), cudaErrorInvalidConfiguration);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  CUDA_EMU_LAUNCH((dim3(1, 65536), 32), where_am_i)(out.data(), false);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  CUDA_EMU_LAUNCH((0, 32), where_am_i)(out.data(), false);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  for (const std::uint32_t v : out) ASSERT_EQ(v, 0u);
}

TEST(CudaEmu, DeviceMemoryIsCheckedAgainstAllocations) {
  void* p = nullptr;
  ASSERT_EQ(cudaMalloc(&p, 10), cudaSuccess);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 256, 0u);
  char host[16] = {};
  EXPECT_EQ(cudaMemcpy(p, host, 10, cudaMemcpyHostToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(p, host, 11, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(host, static_cast<char*>(p) + 4, 6, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(cudaMemset(static_cast<char*>(p) + 5, 0, 6), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemset(host, 0, 1), cudaErrorInvalidValue);  // not device memory
  EXPECT_EQ(cudaFree(p), cudaSuccess);
  EXPECT_EQ(cudaFree(p), cudaErrorInvalidValue);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);
  int sms = 0;
  ASSERT_EQ(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0), cudaSuccess);
  EXPECT_GT(sms, 0);
}

// What is undefined or faults on a GPU stops the emulated run with a message.
class CudaEmuDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(CudaEmuDeathTest, DivergentSyncthreads) {
  EXPECT_DEATH(CUDA_EMU_LAUNCH((2, 64), sync_when_divergent)(), "wait in __syncthreads\\(\\) while 1 have returned");
}
TEST_F(CudaEmuDeathTest, SyncthreadsOnlyInLaterBlocks) {
  EXPECT_DEATH(CUDA_EMU_LAUNCH((2, 64), sync_in_later_blocks_only)(), "but not in block \\(0, 0, 0\\)");
}
TEST_F(CudaEmuDeathTest, ShuffleAfterALaneReturned) {
  std::vector<int> out(32);
  EXPECT_DEATH(CUDA_EMU_LAUNCH((1, 32), shuffle_after_a_lane_returned)(out.data()), "after 1 of its lanes returned");
}
TEST_F(CudaEmuDeathTest, MisalignedVectorLoad) {
  alignas(16) float buf[8] = {};
  EXPECT_DEATH(CUDA_EMU_LAUNCH((1, 32), misaligned_float4)(buf), "__ldg of a 16-byte type .*misaligned");
}

}  // namespace
