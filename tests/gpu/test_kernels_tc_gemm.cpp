// The tensor-core GEMMs -- mma.sync (kernels/src/matmul_tensorcore.cu, tile 128 x 128 x 32) and
// wgmma (kernels/src/matmul_wgmma.cu, tile 128 x 256 x 64, compute capability 9.0 only) --
// against a float64 CPU reference, every element checked, at sizes that are not multiples of the
// tiles, through both loaders (fast: k % 8 == 0 and 16-byte aligned operands; general: anything
// else, including operands offset by one element), for FP16 and BF16. Guard elements around C must
// stay poisoned.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "gpu_test_util.hpp"
#include "gpuprobe/gpu/float16.hpp"
#include "gpuprobe/kernels/fill.hpp"
#include "gpuprobe/kernels/matmul.hpp"
#include "gpuprobe/kernels/random.hpp"

namespace {

using gpuprobe::kernels::Elem;
using gpuprobe::kernels::Half;

enum class Kernel { mma_sync, wgmma };

// Whether the current device (and, for wgmma, this build) can run the kernel; false: the test
// skips, saying why.
bool current_device_supported(Kernel kernel, std::string* why) {
  int dev = 0, major = 0, minor = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess) {
    *why = "cannot query the compute capability";
    return false;
  }
  const std::string cc = "compute capability " + std::to_string(major) + "." + std::to_string(minor);
  if (kernel == Kernel::mma_sync) {
    *why = cc + " < 8.0";
    return gpuprobe::kernels::tc_gemm_supported(major, minor);
  }
  if (!gpuprobe::kernels::wgmma_gemm_supported(major, minor)) {
    *why = cc + ": wgmma needs 9.0";
    return false;
  }
  *why = "this build has no sm_90a code (GPUPROBE_WGMMA=OFF)";
  return gpuprobe::kernels::wgmma_gemm_built();
}

cudaError_t run_gemm(Kernel kernel, Half type, int m, int n, int k, const void* A, const void* B, void* C,
                     cudaStream_t stream) {
  return kernel == Kernel::wgmma ? gpuprobe::kernels::wgmma_gemm(type, m, n, k, A, B, C, stream)
                                 : gpuprobe::kernels::tc_gemm(type, m, n, k, A, B, C, stream);
}

// A device allocation freed on scope exit.
struct DeviceBuffer {
  void* ptr = nullptr;
  explicit DeviceBuffer(std::size_t bytes) {
    if (cudaMalloc(&ptr, bytes) != cudaSuccess) ptr = nullptr;
  }
  ~DeviceBuffer() {
    if (ptr) cudaFree(ptr);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  std::uint16_t* u16() const { return static_cast<std::uint16_t*>(ptr); }
};

struct Stream {
  cudaStream_t s = nullptr;
  Stream() { cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking); }
  ~Stream() {
    if (s) cudaStreamDestroy(s);
  }
};

struct TcCase {
  Kernel kernel;
  int m, n, k;
  Half type;
  int off_a = 0, off_b = 0, off_c = 0;  // element offsets of A, B, C from a 256-byte aligned allocation
};
void PrintTo(const TcCase& c, std::ostream* os) {
  *os << (c.kernel == Kernel::wgmma ? "wgmma " : "mma.sync ") << (c.type == Half::bf16 ? "bf16 " : "fp16 ") << c.m << "x" << c.n << "x" << c.k << " offsets " << c.off_a
      << "/" << c.off_b << "/" << c.off_c;
}
std::string case_name(const ::testing::TestParamInfo<TcCase>& info) {
  const TcCase& c = info.param;
  std::string s = std::string(c.kernel == Kernel::wgmma ? "wgmma_" : "") + (c.type == Half::bf16 ? "bf16_" : "fp16_") +
                  std::to_string(c.m) + "x" +
                  std::to_string(c.n) + "x" + std::to_string(c.k);
  if (c.off_a || c.off_b || c.off_c)
    s += "_off" + std::to_string(c.off_a) + std::to_string(c.off_b) + std::to_string(c.off_c);
  return s;
}

// C[i + j*m] = sum_p A[p + i*k] * B[p + j*k] in float64, and sum_p |A * B| for the error bound.
void reference_tn(int m, int n, int k, const std::vector<double>& a, const std::vector<double>& b,
                  std::vector<double>& c, std::vector<double>& abs_sum) {
  c.assign(static_cast<std::size_t>(m) * n, 0.0);
  abs_sum.assign(c.size(), 0.0);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      const double* ai = &a[static_cast<std::size_t>(i) * k];
      const double* bj = &b[static_cast<std::size_t>(j) * k];
      double s = 0, t = 0;
      for (int p = 0; p < k; ++p) {
        const double x = ai[p] * bj[p];
        s += x;
        t += std::fabs(x);
      }
      c[i + static_cast<std::size_t>(j) * m] = s;
      abs_sum[i + static_cast<std::size_t>(j) * m] = t;
    }
}

class TcGemm : public ::testing::TestWithParam<TcCase> {};

TEST_P(TcGemm, MatchesFloat64ReferenceEverywhere) {
  GPUPROBE_REQUIRE_GPU();
  const TcCase tc = GetParam();
  std::string why;
  if (!current_device_supported(tc.kernel, &why)) GTEST_SKIP() << why;
  const int m = tc.m, n = tc.n, k = tc.k;
  const Elem elem = tc.type == Half::bf16 ? Elem::bf16 : Elem::f16;
  const std::uint64_t seed_a = 1000 + static_cast<std::uint64_t>(m) * 7 + k, seed_b = 2000 + n;
  const std::size_t na = static_cast<std::size_t>(m) * k, nb = static_cast<std::size_t>(n) * k;
  const std::size_t nc = static_cast<std::size_t>(m) * n;
  constexpr std::size_t kGuard = 64;  // poisoned elements after C (and tc.off_c before it)

  DeviceBuffer A((tc.off_a + na) * 2), B((tc.off_b + nb) * 2), C((tc.off_c + nc + kGuard) * 2);
  ASSERT_TRUE(A.ptr && B.ptr && C.ptr) << "cudaMalloc failed";
  Stream stream;
  ASSERT_NE(stream.s, nullptr);
  std::uint16_t* a_dev = A.u16() + tc.off_a;
  std::uint16_t* b_dev = B.u16() + tc.off_b;
  std::uint16_t* c_dev = C.u16() + tc.off_c;
  ASSERT_EQ(gpuprobe::kernels::fill_random(a_dev, na, elem, seed_a, stream.s), cudaSuccess);
  ASSERT_EQ(gpuprobe::kernels::fill_random(b_dev, nb, elem, seed_b, stream.s), cudaSuccess);
  ASSERT_EQ(gpuprobe::kernels::poison(C.ptr, (tc.off_c + nc + kGuard) * 2, stream.s), cudaSuccess);

  ASSERT_EQ(run_gemm(tc.kernel, tc.type, m, n, k, a_dev, b_dev, c_dev, stream.s), cudaSuccess);
  std::vector<std::uint16_t> out(tc.off_c + nc + kGuard);
  ASSERT_EQ(cudaMemcpyAsync(out.data(), C.ptr, out.size() * 2, cudaMemcpyDeviceToHost, stream.s), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(stream.s), cudaSuccess);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);

  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i < static_cast<std::size_t>(tc.off_c) || i >= tc.off_c + nc) {
      ASSERT_EQ(out[i], 0xFFFFu) << "write outside C at element " << static_cast<long long>(i) - tc.off_c;
    }
  }

  std::vector<double> a(na), b(nb), ref, abs_sum;
  for (std::size_t i = 0; i < na; ++i) a[i] = gpuprobe::kernels::random_value(elem, seed_a, i);
  for (std::size_t i = 0; i < nb; ++i) b[i] = gpuprobe::kernels::random_value(elem, seed_b, i);
  reference_tn(m, n, k, a, b, ref, abs_sum);

  // Output rounding (unit roundoff of the output type) + FP32 accumulation + fp16 subnormal spacing.
  const double u = tc.type == Half::bf16 ? std::ldexp(1.0, -8) : std::ldexp(1.0, -11);
  const double acc = std::ldexp(1.0, -22) * 4 * (1 + u);
  const double tiny = std::ldexp(1.0, -24);
  std::size_t bad = 0, first_bad = 0;
  double first_got = 0, first_tol = 0;
  for (std::size_t idx = 0; idx < nc; ++idx) {
    const std::uint16_t bits = out[tc.off_c + idx];
    const double got = tc.type == Half::bf16 ? gpuprobe::bf16_to_float(bits) : gpuprobe::half_to_float(bits);
    const double tol = u * std::fabs(ref[idx]) + acc * abs_sum[idx] + tiny;
    if (!(std::fabs(got - ref[idx]) <= tol)) {  // NaN (poison left behind) fails too
      if (bad++ == 0) {
        first_bad = idx;
        first_got = got;
        first_tol = tol;
      }
    }
  }
  EXPECT_EQ(bad, 0u) << bad << " of " << nc << " elements wrong; first C(" << first_bad % m << ", " << first_bad / m
                     << ") = " << first_got << ", reference " << (bad ? ref[first_bad] : 0.0) << ", tolerance "
                     << first_tol;
}

std::vector<TcCase> tc_cases() {
  struct Size {
    int m, n, k, off_a, off_b, off_c;
  };
  const Size sizes[] = {
      {1, 1, 1, 0, 0, 0},          // smallest; general loader (k % 8 != 0)
      {16, 8, 16, 0, 0, 0},        // one mma tile
      {127, 129, 72, 0, 0, 0},     // fast loader, K tail inside a stage
      {130, 67, 257, 0, 0, 0},     // general loader (k % 8 != 0)
      {257, 255, 40, 0, 0, 0},     // 3 x 2 blocks, partial tiles on both edges
      {256, 256, 256, 0, 0, 0},    // exact tiles, 8 K steps (stage ring wraps twice)
      {1000, 3, 64, 0, 0, 0},      // tall and thin
      {3, 1000, 8, 0, 0, 0},       // short and wide, a single k chunk
      {1100, 300, 16, 0, 0, 0},    // 9 x 3 tiles: more than one rasterization group
      {384, 320, 1000, 0, 0, 0},   // 32 K steps through the 4-stage ring
      {127, 129, 72, 1, 1, 0},     // A and B misaligned by one element: general loader
      {64, 64, 64, 0, 1, 0},       // only B misaligned
      {100, 50, 48, 1, 0, 1},      // A and C misaligned
  };
  // For wgmma's 128 x 256 x 64 tile and its vectorized C stores (m % 8 == 0, C 16-byte aligned).
  const Size wgmma_sizes[] = {
      {256, 512, 320, 0, 0, 0},    // exact tiles, 5 K steps (the 4-stage ring wraps)
      {200, 300, 128, 0, 0, 0},    // vectorized C stores, tiles cut by m and n
      {136, 40, 64, 0, 0, 1},      // m % 8 == 0 but C misaligned: element-wise stores
      {64, 256, 16, 0, 0, 0},      // one warpgroup's rows, one k16 step
  };
  std::vector<TcCase> cases;
  for (Kernel kernel : {Kernel::mma_sync, Kernel::wgmma})
    for (Half t : {Half::bf16, Half::fp16}) {
      for (const Size& s : sizes) cases.push_back(TcCase{kernel, s.m, s.n, s.k, t, s.off_a, s.off_b, s.off_c});
      if (kernel == Kernel::wgmma)
        for (const Size& s : wgmma_sizes) cases.push_back(TcCase{kernel, s.m, s.n, s.k, t, s.off_a, s.off_b, s.off_c});
    }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, TcGemm, ::testing::ValuesIn(tc_cases()), case_name);

TEST(TcGemmApi, SupportedFromComputeCapability80) {
  GPUPROBE_REQUIRE_GPU();
  EXPECT_FALSE(gpuprobe::kernels::tc_gemm_supported(7, 5));
  EXPECT_FALSE(gpuprobe::kernels::tc_gemm_supported(7, 0));
  EXPECT_TRUE(gpuprobe::kernels::tc_gemm_supported(8, 0));
  EXPECT_TRUE(gpuprobe::kernels::tc_gemm_supported(8, 6));
  EXPECT_TRUE(gpuprobe::kernels::tc_gemm_supported(9, 0));
  EXPECT_TRUE(gpuprobe::kernels::tc_gemm_supported(12, 0));
}

TEST(TcGemmApi, WgmmaSupportedOnComputeCapability90Only) {
  GPUPROBE_REQUIRE_GPU();
  EXPECT_FALSE(gpuprobe::kernels::wgmma_gemm_supported(8, 9));
  EXPECT_TRUE(gpuprobe::kernels::wgmma_gemm_supported(9, 0));
  EXPECT_FALSE(gpuprobe::kernels::wgmma_gemm_supported(10, 0));  // Blackwell has no wgmma
  EXPECT_FALSE(gpuprobe::kernels::wgmma_gemm_supported(12, 0));
}

TEST(TcGemmApi, RejectsEmptySizesAndNullPointers) {
  GPUPROBE_REQUIRE_GPU();
  DeviceBuffer buf(4096);
  ASSERT_NE(buf.ptr, nullptr);
  void* p = buf.ptr;
  for (Kernel kernel : {Kernel::mma_sync, Kernel::wgmma})
    for (Half t : {Half::bf16, Half::fp16}) {
      EXPECT_EQ(run_gemm(kernel, t, 0, 4, 4, p, p, p, nullptr), cudaErrorInvalidValue);
      EXPECT_EQ(run_gemm(kernel, t, 4, 0, 4, p, p, p, nullptr), cudaErrorInvalidValue);
      EXPECT_EQ(run_gemm(kernel, t, 4, 4, 0, p, p, p, nullptr), cudaErrorInvalidValue);
      EXPECT_EQ(run_gemm(kernel, t, -1, 4, 4, p, p, p, nullptr), cudaErrorInvalidValue);
      EXPECT_EQ(run_gemm(kernel, t, 4, 4, 4, nullptr, p, p, nullptr), cudaErrorInvalidValue);
      EXPECT_EQ(run_gemm(kernel, t, 4, 4, 4, p, p, nullptr, nullptr), cudaErrorInvalidValue);
    }
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

TEST(TcGemmApi, RefusesDevicesBelowComputeCapability80) {
  GPUPROBE_REQUIRE_GPU();
  std::string why;
  if (current_device_supported(Kernel::mma_sync, &why)) GTEST_SKIP() << "this device supports tc_gemm; nothing to refuse";
  DeviceBuffer buf(4096);
  ASSERT_NE(buf.ptr, nullptr);
  EXPECT_EQ(gpuprobe::kernels::tc_gemm(Half::bf16, 16, 8, 16, buf.ptr, buf.ptr, buf.ptr, nullptr),
            cudaErrorInvalidDevice);
  EXPECT_EQ(gpuprobe::kernels::tc_gemm(Half::fp16, 16, 8, 16, buf.ptr, buf.ptr, buf.ptr, nullptr),
            cudaErrorInvalidDevice);
}

TEST(TcGemmApi, WgmmaRefusesDevicesOtherThanComputeCapability90) {
  GPUPROBE_REQUIRE_GPU();
  int dev = 0, major = 0, minor = 0;
  ASSERT_EQ(cudaGetDevice(&dev), cudaSuccess);
  ASSERT_EQ(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev), cudaSuccess);
  ASSERT_EQ(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev), cudaSuccess);
  if (major == 9 && minor == 0) GTEST_SKIP() << "a compute capability 9.0 device: nothing to refuse";
  DeviceBuffer buf(4096);
  ASSERT_NE(buf.ptr, nullptr);
  for (Half t : {Half::bf16, Half::fp16})
    EXPECT_EQ(gpuprobe::kernels::wgmma_gemm(t, 64, 256, 16, buf.ptr, buf.ptr, buf.ptr, nullptr), cudaErrorInvalidDevice);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

}  // namespace
