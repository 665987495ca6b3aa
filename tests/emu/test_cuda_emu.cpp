// The emulator itself (cuda_emu.hpp): indices, shared memory and barriers, warp shuffles against
// CUDA's definitions, atomics, launch errors, and that what would be undefined or fault on a GPU
// stops the test instead of passing or hanging. Launches are written as prepare_source.cmake
// rewrites them: CUDA_EMU_LAUNCH((grid, block), kernel)(args).
#include "cuda_emu.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "emu_fixture.hpp"

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

// A device allocation holding a copy of `host`, freed on scope exit.
template <class T>
struct DeviceCopy {
  T* ptr = nullptr;
  explicit DeviceCopy(const std::vector<T>& host) {
    void* p = nullptr;
    if (cudaMalloc(&p, host.size() * sizeof(T)) == cudaSuccess) ptr = static_cast<T*>(p);
    if (ptr) cudaMemcpy(ptr, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice);
  }
  ~DeviceCopy() { cudaFree(ptr); }
  DeviceCopy(const DeviceCopy&) = delete;
  DeviceCopy& operator=(const DeviceCopy&) = delete;
};

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

TEST(CudaEmu, DynamicSharedMemoryIsFreshAndPoisonedInEveryBlock) {
  const int blocks = 3, threads = 96;
  std::vector<int> in(blocks * threads), out(2 * in.size(), 0);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int>(i);
  ASSERT_EQ(emu_fixture::reverse_through_dynamic_shared(in.data(), out.data(), blocks, threads), cudaSuccess);
  for (int b = 0; b < blocks; ++b)
    for (int t = 0; t < threads; ++t) {
      const std::size_t i = static_cast<std::size_t>(b) * threads + t;
      ASSERT_EQ(out[2 * i], -1) << "block " << b << " thread " << t << " saw another block's data, not the poison";
      ASSERT_EQ(out[2 * i + 1], b * threads + threads - 1 - t) << "block " << b << " thread " << t;
    }
}

TEST(CudaEmu, MoreThan48KiBOfDynamicSharedMemoryNeedsTheKernelsOptIn) {
  int optin = 0, ran = 0;
  ASSERT_EQ(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0), cudaSuccess);
  EXPECT_EQ(optin, 99 * 1024);
  EXPECT_EQ(emu_fixture::big_shared(48 * 1024, -1, &ran), cudaSuccess);
  EXPECT_EQ(ran, 1);
  ran = 0;
  EXPECT_EQ(emu_fixture::big_shared(64 * 1024, 48 * 1024, &ran), cudaErrorInvalidValue);  // opted in too little
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(emu_fixture::big_shared(64 * 1024, 64 * 1024, &ran), cudaSuccess);
  EXPECT_EQ(ran, 1);
  ran = 0;
  EXPECT_EQ(emu_fixture::big_shared(64 * 1024 + 1, -1, &ran), cudaErrorInvalidValue);
  EXPECT_EQ(emu_fixture::big_shared(optin + 1, optin + 1, &ran), cudaErrorInvalidValue);  // beyond the device
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);  // the refused cudaFuncSetAttribute is recorded too
  EXPECT_EQ(emu_fixture::big_shared(static_cast<std::size_t>(optin), optin, &ran), cudaSuccess);
  EXPECT_EQ(ran, 1);
}

TEST(CudaEmu, CpAsyncLandsOnlyWhenItsGroupIsWaitedFor) {
  std::vector<std::uint32_t> src(32 * 4);
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = 0x01000000u * static_cast<std::uint32_t>(i / 4 + 1) + i % 4;
  const DeviceCopy<std::uint32_t> dev(src);
  ASSERT_NE(dev.ptr, nullptr);
  for (const int src_bytes : {16, 8, 0}) {
    SCOPED_TRACE("src-size " + std::to_string(src_bytes));
    std::vector<std::uint32_t> out(32 * 8, 7);
    ASSERT_EQ(emu_fixture::cp_async_groups(dev.ptr, src_bytes, out.data()), cudaSuccess);
    for (std::size_t t = 0; t < 32; ++t) {
      const std::uint32_t* o = &out[8 * t];
      EXPECT_EQ(o[0], 0xFFFFFFFFu) << t << ": landed before any wait";
      EXPECT_EQ(o[1], src[4 * t]) << t << ": group 1 not landed after wait_group 1";
      EXPECT_EQ(o[2], 0xFFFFFFFFu) << t << ": group 2 landed while in flight";
      for (std::size_t w = 0; w < 4; ++w)
        EXPECT_EQ(o[4 + w], 4 * w < static_cast<std::size_t>(src_bytes) ? src[4 * t + w] : 0u) << t << " word " << w;
      EXPECT_EQ(o[3], o[4]) << t;
    }
  }
}

TEST(CudaEmu, LdmatrixX4FollowsThePtxIsa) {
  const int pitch = 24;  // 48-byte rows: addresses, not a dense layout, decide what is read
  const auto value = [](int q, int r, int c) { return static_cast<std::uint16_t>(1 + 64 * q + 8 * r + c); };
  std::vector<std::uint16_t> m(32 * pitch, 0);
  for (int q = 0; q < 4; ++q)
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 8; ++c) m[q * 8 * pitch + r * pitch + c] = value(q, r, c);
  std::vector<std::uint32_t> out(32 * 4, 0);
  ASSERT_EQ(emu_fixture::ldmatrix_x4(m.data(), pitch, out.data()), cudaSuccess);
  // PTX ISA: lane l receives row l / 4, elements 2 (l % 4) and 2 (l % 4) + 1 of matrix q in
  // register q, the lower-indexed element in the lower half.
  for (int l = 0; l < 32; ++l)
    for (int q = 0; q < 4; ++q) {
      const std::uint32_t want = value(q, l / 4, 2 * (l % 4)) | (std::uint32_t{value(q, l / 4, 2 * (l % 4) + 1)} << 16);
      EXPECT_EQ(out[4 * l + q], want) << "lane " << l << " register " << q;
    }
}

// Bits of x (an integer or half-integer of small magnitude) as bfloat16 or binary16.
std::uint16_t bits16(bool bf16, float x) {
  if (bf16) {
    std::uint32_t u;
    std::memcpy(&u, &x, 4);
    return static_cast<std::uint16_t>(u >> 16);  // exact: x has few significant bits
  }
  if (x == 0) return 0;
  const std::uint16_t sign = x < 0 ? 0x8000 : 0;
  int e = 0;
  const float f = std::frexp(std::fabs(x), &e);  // |x| = f * 2^e, f in [0.5, 1)
  const auto mantissa = static_cast<std::uint16_t>(std::ldexp(f, 11)) & 0x3FF;
  return static_cast<std::uint16_t>(sign | ((e - 1 + 15) << 10) | mantissa);
}

TEST(CudaEmu, MmaM16n8k16FollowsThePtxIsa) {
  for (const bool bf16 : {true, false}) {
    SCOPED_TRACE(bf16 ? "bf16" : "f16");
    float A[16][16], B[16][8], C[16][8];
    for (int i = 0; i < 16; ++i)
      for (int k = 0; k < 16; ++k) A[i][k] = static_cast<float>((i * 7 + k * 3) % 9 - 4) * 0.5f;
    for (int k = 0; k < 16; ++k)
      for (int j = 0; j < 8; ++j) B[k][j] = static_cast<float>((k * 5 + j * 11) % 7 - 3);
    for (int i = 0; i < 16; ++i)
      for (int j = 0; j < 8; ++j) C[i][j] = static_cast<float>(100 * i + j);
    // Fragments per the PTX ISA (mma.m16n8k16, 16-bit inputs): g = lane / 4, t = lane % 4.
    std::vector<std::uint32_t> a(32 * 4), b(32 * 2);
    std::vector<float> d(32 * 4);
    const auto pack = [&](float lo, float hi) {
      return std::uint32_t{bits16(bf16, lo)} | (std::uint32_t{bits16(bf16, hi)} << 16);
    };
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, t = lane % 4;
      a[4 * lane + 0] = pack(A[g][2 * t], A[g][2 * t + 1]);
      a[4 * lane + 1] = pack(A[g + 8][2 * t], A[g + 8][2 * t + 1]);
      a[4 * lane + 2] = pack(A[g][2 * t + 8], A[g][2 * t + 9]);
      a[4 * lane + 3] = pack(A[g + 8][2 * t + 8], A[g + 8][2 * t + 9]);
      b[2 * lane + 0] = pack(B[2 * t][g], B[2 * t + 1][g]);
      b[2 * lane + 1] = pack(B[2 * t + 8][g], B[2 * t + 9][g]);
      d[4 * lane + 0] = C[g][2 * t];
      d[4 * lane + 1] = C[g][2 * t + 1];
      d[4 * lane + 2] = C[g + 8][2 * t];
      d[4 * lane + 3] = C[g + 8][2 * t + 1];
    }
    ASSERT_EQ(emu_fixture::mma_m16n8k16(bf16, a.data(), b.data(), d.data()), cudaSuccess);
    for (int lane = 0; lane < 32; ++lane)
      for (int i = 0; i < 4; ++i) {
        const int row = lane / 4 + 8 * (i / 2), col = 2 * (lane % 4) + i % 2;
        double want = C[row][col];
        for (int k = 0; k < 16; ++k) want += double{A[row][k]} * B[k][col];
        EXPECT_EQ(d[4 * lane + i], want) << "lane " << lane << " D(" << row << ", " << col << ")";
      }
  }
}

// ---- wgmma -----------------------------------------------------------------------------------------

// The emulated device's compute capability for one test (what $CUDA_EMU_CC sets), then back.
class EmulatedComputeCapability {
 public:
  EmulatedComputeCapability(int major, int minor) {
    cudaDeviceGetAttribute(&major_, cudaDevAttrComputeCapabilityMajor, 0);
    cudaDeviceGetAttribute(&minor_, cudaDevAttrComputeCapabilityMinor, 0);
    cuda_emu::set_compute_capability(major, minor);
  }
  ~EmulatedComputeCapability() { cuda_emu::set_compute_capability(major_, minor_); }
  EmulatedComputeCapability(const EmulatedComputeCapability&) = delete;
  EmulatedComputeCapability& operator=(const EmulatedComputeCapability&) = delete;

 private:
  int major_ = 0, minor_ = 0;
};

std::string swizzle_name(emu_fixture::WgmmaSwizzle s) {
  switch (s) {
    case emu_fixture::WgmmaSwizzle::none: return "NoSwizzle";
    case emu_fixture::WgmmaSwizzle::b32: return "Swizzle32B";
    case emu_fixture::WgmmaSwizzle::b64: return "Swizzle64B";
    case emu_fixture::WgmmaSwizzle::b128: return "Swizzle128B";
  }
  return "?";
}

// A run of emu_fixture::wgmma_m64n256k16: random A (64 warpgroups x K), B (256 x K) and a second A
// (a2), as bit patterns, and the exact products A B^T and A2 B^T with the tolerance of a float sum.
struct WgmmaRun {
  explicit WgmmaRun(const emu_fixture::WgmmaCase& c, unsigned seed = 1) : c(c), k(16 * c.k_steps), rows(64 * c.warpgroups) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-4.0f, 4.0f);
    const auto fill = [&](std::vector<std::uint16_t>& bits, std::vector<float>& values, std::size_t n) {
      bits.resize(n);
      values.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        if (c.bf16) {
          const __nv_bfloat16 x = __float2bfloat16(u(rng));
          std::memcpy(&bits[i], &x, 2);
          values[i] = __bfloat162float(x);
        } else {
          const __half x = __float2half(u(rng));
          std::memcpy(&bits[i], &x, 2);
          values[i] = __half2float(x);
        }
      }
    };
    fill(a, a_values, static_cast<std::size_t>(rows) * k);
    fill(a2, a2_values, static_cast<std::size_t>(rows) * k);
    fill(b, b_values, std::size_t{256} * k);
    d.assign(static_cast<std::size_t>(rows) * 256, 12345.0f);
  }

  cudaError_t run() { return emu_fixture::wgmma_m64n256k16(c, a.data(), b.data(), a2.data(), d.data()); }

  // Every element of d against A B^T (or A2 B^T): products are exact in float, the emulator sums
  // k16 steps of 16 in float, so within K 2^-24 of the sum of the products' magnitudes.
  void expect_product(bool of_a2) const {
    const std::vector<float>& av = of_a2 ? a2_values : a_values;
    int wrong = 0;
    for (int r = 0; r < rows; ++r)
      for (int col = 0; col < 256; ++col) {
        double want = 0, magnitude = 0;
        for (int i = 0; i < k; ++i) {
          const double p = double{av[r * k + i]} * b_values[col * k + i];
          want += p;
          magnitude += std::fabs(p);
        }
        const float got = d[static_cast<std::size_t>(r) * 256 + col];
        if (!(std::fabs(got - want) <= k * std::ldexp(magnitude, -24)) && ++wrong <= 5)
          ADD_FAILURE() << "D(" << r << ", " << col << ") = " << got << ", want " << want;
      }
    EXPECT_EQ(wrong, 0) << "elements of D wrong";
  }

  emu_fixture::WgmmaCase c;
  int k, rows;
  std::vector<std::uint16_t> a, a2, b;
  std::vector<float> a_values, a2_values, b_values, d;
};

class CudaEmuWgmma : public ::testing::TestWithParam<emu_fixture::WgmmaCase> {
 protected:
  EmulatedComputeCapability hopper_{9, 0};
};

TEST_P(CudaEmuWgmma, ProductFollowsThePtxIsa) {
  WgmmaRun run(GetParam());
  ASSERT_EQ(run.run(), cudaSuccess);
  run.expect_product(false);
}

// Every swizzle mode with K as wide as one swizzle row allows (128-byte: four k16 steps, the start
// address advanced by 32 bytes within the row), bf16 and f16; two warpgroups (128-byte swizzle:
// warpgroup 1's A slice 8 KiB into A); one commit and wait<1> per step.
std::vector<emu_fixture::WgmmaCase> wgmma_cases() {
  using emu_fixture::WgmmaSwizzle;
  std::vector<emu_fixture::WgmmaCase> cases;
  for (const bool bf16 : {true, false}) {
    cases.push_back({WgmmaSwizzle::b128, bf16, 4, 1});
    cases.push_back({WgmmaSwizzle::b128, bf16, 4, 2});
    cases.push_back({WgmmaSwizzle::b64, bf16, 2, 1});
    cases.push_back({WgmmaSwizzle::b32, bf16, 1, 2});
    cases.push_back({WgmmaSwizzle::none, bf16, 2, 1});
    cases.push_back({WgmmaSwizzle::none, bf16, 3, 2});
  }
  cases.push_back({WgmmaSwizzle::b128, true, 4, 2, true});
  cases.push_back({WgmmaSwizzle::none, false, 2, 1, true});
  return cases;
}
INSTANTIATE_TEST_SUITE_P(Emu, CudaEmuWgmma, ::testing::ValuesIn(wgmma_cases()), [](const auto& info) {
  const emu_fixture::WgmmaCase& c = info.param;
  return swizzle_name(c.swizzle) + (c.bf16 ? "Bf16" : "F16") + "K" + std::to_string(16 * c.k_steps) +
         (c.warpgroups == 2 ? "TwoWarpgroups" : "") + (c.commit_every_step ? "CommitEveryStep" : "");
});

// The 128-byte swizzle against the PTX ISA's figure "K major 128B swizzling" read literally: in
// each 1024-byte atom (8 rows of 128 bytes), row r's 16-byte chunk c lies at chunk position c ^ r.
// A (64 x 16, f16) holds 16 m + k, B (256 x 16) selects k = n % 16: D(m, n) = 16 m + n % 16.
TEST(CudaEmuWgmmaLayout, Swizzle128BMatchesThePtxIsaFigure) {
  const EmulatedComputeCapability hopper(9, 0);
  const std::uint32_t b_at = 0, a_at = 32 * 1024 + 64;  // A: 64 bytes into its swizzle row (k16 step 2)
  std::vector<std::uint8_t> image(a_at - 64 + 8 * 1024, 0);
  const auto put = [&](std::uint32_t start, int row, int k, float value) {
    const std::uint32_t atom = start - start % 128, chunk = start % 128 / 16 + k / 8;  // logical chunk in the row
    const std::uint32_t byte = atom + 1024 * (row / 8) + 128 * (row % 8) + 16 * (chunk ^ (row % 8)) + 2 * (k % 8);
    const __half h = __float2half(value);
    std::memcpy(&image[byte], &h, 2);
  };
  for (int m = 0; m < 64; ++m)
    for (int k = 0; k < 16; ++k) put(a_at, m, k, static_cast<float>(16 * m + k));
  for (int n = 0; n < 256; ++n) put(b_at, n, n % 16, 1.0f);
  const auto desc = [](std::uint32_t start) {
    return std::uint64_t{start >> 4} | std::uint64_t{1} << 16 | std::uint64_t{1024 >> 4} << 32 | std::uint64_t{1} << 62;
  };
  std::vector<float> d(64 * 256, -1.0f);
  ASSERT_EQ(emu_fixture::wgmma_on_image(image.data(), image.size(), false, desc(a_at), desc(b_at), d.data()),
            cudaSuccess);
  for (int m = 0; m < 64; ++m)
    for (int n = 0; n < 256; ++n) ASSERT_EQ(d[m * 256 + n], 16 * m + n % 16) << "D(" << m << ", " << n << ")";
}

TEST(CudaEmuWgmmaAsync, AccumulatorsReadBeforeTheWaitAreNaN) {
  const EmulatedComputeCapability hopper(9, 0);
  WgmmaRun run({emu_fixture::WgmmaSwizzle::b128, true, 2, 1, false, 0, emu_fixture::WgmmaMisuse::read_before_wait});
  ASSERT_EQ(run.run(), cudaSuccess);
  for (std::size_t i = 0; i < run.d.size(); ++i) ASSERT_TRUE(std::isnan(run.d[i])) << "element " << i;
}

// A stage overwritten before wgmma.wait_group is what the product reads (the latest a GPU may).
TEST(CudaEmuWgmmaAsync, OperandOverwrittenBeforeTheWaitIsWhatIsMultiplied) {
  const EmulatedComputeCapability hopper(9, 0);
  WgmmaRun run({emu_fixture::WgmmaSwizzle::b128, false, 4, 2, false, 0,
                emu_fixture::WgmmaMisuse::overwrite_before_wait});
  ASSERT_EQ(run.run(), cudaSuccess);
  run.expect_product(true);
}

TEST(CudaEmuWgmmaAsync, OptInSharedMemoryFollowsTheComputeCapability) {
  const std::pair<int, int> expect[] = {{75, 64}, {80, 163}, {86, 99}, {89, 99}, {90, 227}};
  for (const auto& [cc, kib] : expect) {
    const EmulatedComputeCapability device(cc / 10, cc % 10);
    int optin = 0;
    ASSERT_EQ(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0), cudaSuccess);
    EXPECT_EQ(optin, kib * 1024) << "compute capability " << cc / 10 << "." << cc % 10;
  }
  int ran = 0;
  {
    const EmulatedComputeCapability hopper(9, 0);
    EXPECT_EQ(emu_fixture::big_shared(232448, 232448, &ran), cudaSuccess);
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(emu_fixture::big_shared(232448 + 16, 232448 + 16, &ran), cudaErrorInvalidValue);
  }
  ran = 0;
  EXPECT_EQ(emu_fixture::big_shared(232448, -1, &ran), cudaErrorInvalidValue);  // 227 KiB opted in, on 8.6
  EXPECT_EQ(ran, 0);
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
TEST_F(CudaEmuDeathTest, LdmatrixInAPartialWarp) {
  EXPECT_DEATH(emu_fixture::ldmatrix_in_a_partial_warp(), "ldmatrix in a warp of 16 threads: it needs all 32 lanes");
}
TEST_F(CudaEmuDeathTest, CpAsyncFromHostMemory) {
  EXPECT_DEATH(emu_fixture::cp_async_from_host_memory(), "cp.async reads 16 bytes at .*not inside one cudaMalloc");
}
TEST_F(CudaEmuDeathTest, StoreBeyondDynamicSharedMemory) {
  EXPECT_DEATH(emu_fixture::store_beyond_dynamic_shared(),
               "st.shared.v4.b32 of 16 bytes at shared address 0x30: beyond the block's 48 bytes");
}
TEST_F(CudaEmuDeathTest, MmaAfterALaneReturned) {
  EXPECT_DEATH(emu_fixture::mma_after_a_lane_returned(), "mma.sync in warp 0 of block \\(0, 0, 0\\) after 1 of its lanes");
}

// wgmma misuse, each from the running example above (128-byte swizzle, bf16, one warpgroup).
class CudaEmuWgmmaDeathTest : public CudaEmuDeathTest {
 protected:
  static void run(emu_fixture::WgmmaMisuse misuse, int block_threads = 0) {
    WgmmaRun r({emu_fixture::WgmmaSwizzle::b128, true, 2, 1, false, block_threads, misuse});
    r.run();
  }
  EmulatedComputeCapability hopper_{9, 0};
};

TEST_F(CudaEmuWgmmaDeathTest, MmaWithoutWgmmaFence) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::no_wgmma_fence), "wgmma.mma_async by thread [0-9]+ before any wgmma.fence");
}
TEST_F(CudaEmuWgmmaDeathTest, StoreNotFencedForTheAsyncProxy) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::no_proxy_fence),
               "reads matrix [AB] element .* which thread [0-9]+ wrote with st.shared / cp.async .* must execute "
               "fence.proxy.async");
}
TEST_F(CudaEmuWgmmaDeathTest, AccumulatorsWrittenWhilePending) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::write_while_pending), "wrote accumulator registers of a wgmma.mma_async "
                                                                   "before wgmma.wait_group retired it");
}
TEST_F(CudaEmuWgmmaDeathTest, AccumulatorsWrittenAfterTheWaitWithoutWgmmaFence) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::write_after_wait_without_fence),
               "wrote accumulator registers after wgmma.wait_group retired them .* no wgmma.fence in between");
}
TEST_F(CudaEmuWgmmaDeathTest, ReturnWithoutWait) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::no_wait), "returned from the kernel with 2 wgmma.mma_async not retired");
}
TEST_F(CudaEmuWgmmaDeathTest, DescriptorBeyondDynamicSharedMemory) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::b_outside_shared),
               "reads matrix B element \\([0-9]+, [0-9]+\\) at shared address 0x[0-9a-f]+: beyond the block's 40960 "
               "bytes of dynamic shared memory");
}
TEST_F(CudaEmuWgmmaDeathTest, DescriptorsDifferWithinTheWarpgroup) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::diverging_descriptor),
               "wgmma.mma_async: thread [0-9]+ of warpgroup 0 executes it with other operands .*\\.aligned");
}
TEST_F(CudaEmuWgmmaDeathTest, SwizzlePatternNotAtItsBoundary) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::pattern_not_at_boundary),
               "matrix A's start address 0x8080 lies in row 1 of its 1024-byte 128-byte swizzle pattern");
}
TEST_F(CudaEmuWgmmaDeathTest, BaseOffsetIsNotEmulated) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::base_offset), "matrix A's descriptor \\(128-byte swizzle\\) has base offset 1: not "
                                                           "emulated");
}
TEST_F(CudaEmuWgmmaDeathTest, PartialWarpgroup) {
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::none, 96),
               "wgmma.fence in warpgroup 0 of a block of 96 threads: it has 96 threads, the instruction needs all 128");
}
TEST_F(CudaEmuWgmmaDeathTest, ComputeCapabilityOtherThan90) {
  {
    const EmulatedComputeCapability ampere(8, 6);
    EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::none),
                 "fence.proxy.async on a device of compute capability 8.6: it needs sm_90 or newer");
  }
  const EmulatedComputeCapability blackwell(10, 0);
  EXPECT_DEATH(run(emu_fixture::WgmmaMisuse::none),
               "wgmma.fence on a device of compute capability 10.0: it needs sm_90a, compute capability 9.0");
}

}  // namespace
