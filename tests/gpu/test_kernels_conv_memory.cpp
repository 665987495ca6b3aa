// kernels/src/conv.cu and kernels/src/memory.cu on the GPU against float64 / bit-exact CPU
// references. Inputs come from fill_random, so the host regenerates them with random_value instead
// of copying them back; outputs are poisoned (NaN) first, so an element a kernel forgets to write
// fails. Convolutions are checked at every output element, at odd sizes and with every
// stride / padding / dilation feature; memory kernels at sizes that are not multiples of 4 and with
// misaligned pointers, which take the scalar paths.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gpu_test_util.hpp"
#include "gpuprobe/bench/reference.hpp"
#include "gpuprobe/kernels/conv.hpp"
#include "gpuprobe/kernels/fill.hpp"
#include "gpuprobe/kernels/memory.hpp"
#include "gpuprobe/kernels/random.hpp"

namespace {

using gpuprobe::kernels::Conv;
using gpuprobe::ConvShape;
using gpuprobe::kernels::Elem;
using gpuprobe::kernels::StreamOp;
namespace gk = gpuprobe::kernels;

// Device allocation freed at scope exit; `ok()` says whether cudaMalloc succeeded.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t bytes) { err_ = cudaMalloc(&ptr_, bytes == 0 ? 1 : bytes); }
  ~DeviceBuffer() {
    if (ptr_ != nullptr) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  bool ok() const { return err_ == cudaSuccess; }
  cudaError_t error() const { return err_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
  cudaError_t err_ = cudaSuccess;
};

std::vector<float> host_random(std::size_t n, std::uint64_t seed) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = gk::random_value(Elem::f32, seed, i);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Convolution
// ---------------------------------------------------------------------------------------------

ConvShape make_shape(int n, int h, int w, int c, int k, int r, int s, int pad_h = 0, int pad_w = 0, int stride_h = 1,
                     int stride_w = 1, int dil_h = 1, int dil_w = 1) {
  ConvShape sh;
  sh.n = n;
  sh.h = h;
  sh.w = w;
  sh.c = c;
  sh.k = k;
  sh.r = r;
  sh.s = s;
  sh.pad_h = pad_h;
  sh.pad_w = pad_w;
  sh.stride_h = stride_h;
  sh.stride_w = stride_w;
  sh.dil_h = dil_h;
  sh.dil_w = dil_w;
  return sh;
}

std::string describe(const ConvShape& s) {
  std::ostringstream o;
  o << s.n << "x" << s.h << "x" << s.w << "x" << s.c << " -> K=" << s.k << ", " << s.r << "x" << s.s << " filter, pad "
    << s.pad_h << "," << s.pad_w << ", stride " << s.stride_h << "," << s.stride_w << ", dilation " << s.dil_h << ","
    << s.dil_w;
  if (s.valid()) o << " (P=" << s.p() << ", Q=" << s.q() << ")";  // p(), q() divide by the strides
  return o.str();
}

constexpr std::uint64_t kSeedX = 0xC0FFEE01, kSeedW = 0xC0FFEE02;

// Runs conv2d(kind) on fill_random inputs and compares every output element with the float64
// reference: |y - ref| <= 1e-5 * sum|x*w| + 1e-6. off_*: the buffers start that many floats into
// their allocations (1 = 4-byte aligned only, which must select the scalar loads / stores).
void check_conv(Conv kind, const ConvShape& sh, int off_x = 0, int off_w = 0, int off_y = 0) {
  SCOPED_TRACE(std::string(gk::to_string(kind)) + " on " + describe(sh) + ", float offsets x/w/y " +
               std::to_string(off_x) + "/" + std::to_string(off_w) + "/" + std::to_string(off_y));
  ASSERT_TRUE(sh.valid());
  const std::size_t nx = static_cast<std::size_t>(sh.x_elems()), nw = static_cast<std::size_t>(sh.w_elems()),
                    ny = static_cast<std::size_t>(sh.y_elems());
  DeviceBuffer dx((nx + off_x) * sizeof(float)), dw((nw + off_w) * sizeof(float)), dy((ny + off_y) * sizeof(float));
  ASSERT_TRUE(dx.ok() && dw.ok() && dy.ok());
  float* x = dx.as<float>() + off_x;
  float* w = dw.as<float>() + off_w;
  float* y = dy.as<float>() + off_y;

  ASSERT_EQ(gk::fill_random(x, nx, Elem::f32, kSeedX, nullptr), cudaSuccess);
  ASSERT_EQ(gk::fill_random(w, nw, Elem::f32, kSeedW, nullptr), cudaSuccess);
  ASSERT_EQ(gk::poison(y, ny * sizeof(float), nullptr), cudaSuccess);
  ASSERT_EQ(gk::conv2d(kind, sh, x, w, y, nullptr), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);

  std::vector<float> got(ny);
  ASSERT_EQ(cudaMemcpy(got.data(), y, ny * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  const std::vector<float> hx = host_random(nx, kSeedX), hw = host_random(nw, kSeedW);

  const int P = sh.p(), Q = sh.q();
  std::size_t bad = 0;
  std::string first_bad;
  for (int n = 0; n < sh.n; ++n)
    for (int p = 0; p < P; ++p)
      for (int q = 0; q < Q; ++q)
        for (int k = 0; k < sh.k; ++k) {
          const auto ref = gpuprobe::bench::conv_nhwc_at(sh, hx.data(), hw.data(), n, p, q, k);
          const float v = got[((static_cast<std::size_t>(n) * P + p) * Q + q) * sh.k + k];
          const double tol = 1e-5 * ref.abs_sum + 1e-6;
          if (!(std::fabs(static_cast<double>(v) - ref.value) <= tol)) {  // NaN (unwritten) fails too
            if (bad++ == 0) {
              std::ostringstream o;
              o << "y[n=" << n << ", p=" << p << ", q=" << q << ", k=" << k << "] = " << v << ", want " << ref.value
                << " +- " << tol;
              first_bad = o.str();
            }
          }
        }
  EXPECT_EQ(bad, 0u) << "of " << ny << " outputs; first: " << first_bad;
}

TEST(KernelsConv, NamesAreStable) {
  GPUPROBE_REQUIRE_GPU();
  EXPECT_STREQ(gk::to_string(Conv::direct), "direct");
  EXPECT_STREQ(gk::to_string(Conv::implicit_gemm), "implicit_gemm");
}

// Small shapes, every output element, both kernels.
TEST(KernelsConv, EveryOutputMatchesFloat64ReferenceOnSmallShapes) {
  GPUPROBE_REQUIRE_GPU();
  const ConvShape shapes[] = {
      make_shape(1, 5, 7, 3, 4, 3, 3, 1, 1),                 // the basic case, C = 3
      make_shape(1, 9, 11, 8, 6, 3, 3, 1, 1, 2, 2),          // stride 2
      make_shape(1, 9, 10, 4, 5, 3, 3, 2, 2, 1, 1, 2, 2),    // dilation 2
      make_shape(2, 6, 5, 16, 12, 1, 1),                     // 1x1 filter
      make_shape(1, 7, 9, 6, 5, 3, 5, 1, 2),                 // R != S, pad (1, 2)
      make_shape(2, 16, 17, 3, 8, 7, 7, 3, 3, 2, 2),         // first-layer-like: C = 3, 7x7 stride 2 pad 3
      make_shape(2, 14, 14, 64, 64, 3, 3, 1, 1),             // C = K = 64, 3x3
      make_shape(3, 7, 9, 20, 10, 3, 3, 1, 1),               // N = 3, C = 20 (C % 4 == 0, not % 16)
      make_shape(3, 8, 6, 17, 9, 3, 3, 1, 1),                // C = 17: scalar loads
      make_shape(1, 6, 6, 12, 70, 3, 3, 1, 1),               // K = 70: partial output-channel tile
      make_shape(2, 11, 13, 8, 7, 2, 3, 0, 2, 2, 1, 1, 2),   // everything per axis: stride, pad, dilation
      make_shape(2, 9, 9, 1, 5, 3, 3, 1, 1),                 // C = 1: several taps per 4 elements
      make_shape(1, 12, 5, 2, 3, 5, 1, 2, 0, 1, 1, 2, 1),    // C = 2, 5x1 filter, dilation in h only
      make_shape(1, 3, 3, 4, 4, 3, 3, 4, 4),                 // padding wider than the filter reach
      make_shape(1, 7, 7, 512, 36, 3, 3, 1, 1),              // long reduction: Kdim = 4608
  };
  for (const ConvShape& sh : shapes)
    for (Conv kind : gk::kConvKernels) check_conv(kind, sh);
}

// Pointers that are only 4-byte aligned must not take the float4 paths (which would fault or read
// the wrong elements).
TEST(KernelsConv, MisalignedPointersTakeTheScalarPaths) {
  GPUPROBE_REQUIRE_GPU();
  const ConvShape sh = make_shape(2, 7, 9, 8, 12, 3, 3, 1, 1);  // C % 4 == 0, K % 4 == 0: vector paths if aligned
  for (Conv kind : gk::kConvKernels) {
    check_conv(kind, sh, 1, 0, 0);
    check_conv(kind, sh, 0, 1, 0);
    check_conv(kind, sh, 0, 0, 1);
    check_conv(kind, sh, 3, 2, 1);
  }
}

// conv.cu picks the implicit-GEMM tile (128x128, 128x64 or 64x64) from the problem size and the
// SM count. These shapes (M = N*P*Q = 126 * SMs output pixels) make it pick 128x128 for
// 64 < K <= 128 and 128x64 for K <= 64 on any SM count, each with vector (C % 4 == 0) and scalar
// loads; the small shapes above get 64x64. The check itself does not depend on the choice.
TEST(KernelsConv, ImplicitGemmLargerTileConfigurations) {
  GPUPROBE_REQUIRE_GPU();
  int dev = 0, sms = 0;
  ASSERT_EQ(cudaGetDevice(&dev), cudaSuccess);
  ASSERT_EQ(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), cudaSuccess);
  ASSERT_GT(sms, 0);
  check_conv(Conv::implicit_gemm, make_shape(2, sms, 63, 20, 70, 3, 3, 1, 1));  // 128x128, float4
  check_conv(Conv::implicit_gemm, make_shape(2, sms, 63, 3, 70, 3, 3, 1, 1));   // 128x128, scalar
  check_conv(Conv::implicit_gemm, make_shape(2, sms, 63, 12, 64, 3, 3, 1, 1));  // 128x64, float4
  check_conv(Conv::implicit_gemm, make_shape(2, sms, 63, 5, 40, 3, 3, 1, 1));   // 128x64, scalar
}

TEST(KernelsConv, InvalidShapeIsRejectedWithoutLaunching) {
  GPUPROBE_REQUIRE_GPU();
  std::vector<ConvShape> invalid;
  invalid.push_back(make_shape(1, 2, 2, 4, 4, 5, 5));              // filter larger than the (unpadded) input
  invalid.push_back(make_shape(1, 8, 8, 0, 4, 3, 3, 1, 1));        // C = 0
  invalid.push_back(make_shape(1, 8, 8, 4, 4, 3, 3, 1, 1, 0, 1));  // stride 0
  invalid.push_back(make_shape(1, 8, 8, 4, 4, 3, 3, -1, 1));       // negative padding
  invalid.push_back(make_shape(1, 8, 8, 4, 4, 3, 3, 1, 1, 1, 1, 0, 1));  // dilation 0
  invalid.push_back(make_shape(1, 4, 8, 4, 4, 3, 3, 0, 0, 1, 1, 2, 1));  // dilated filter taller than H
  for (const ConvShape& sh : invalid) {
    SCOPED_TRACE(describe(sh));
    ASSERT_FALSE(sh.valid());
    for (Conv kind : gk::kConvKernels)
      EXPECT_EQ(gk::conv2d(kind, sh, nullptr, nullptr, nullptr, nullptr), cudaErrorInvalidValue);
  }
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);  // nothing was launched
}

// ---------------------------------------------------------------------------------------------
// Memory kernels
// ---------------------------------------------------------------------------------------------

constexpr std::uint64_t kSeedB = 0xB0B0, kSeedC = 0xC0C0;
constexpr float kScalar = 1.75f;

float host_expected(StreamOp op, std::size_t i) {
  const float b = gk::random_value(Elem::f32, kSeedB, i);
  const float c = gk::random_value(Elem::f32, kSeedC, i);
  switch (op) {
    case StreamOp::copy: return b;
    case StreamOp::scale: return kScalar * b;
    case StreamOp::triad: return std::fma(kScalar, c, b);  // single rounding, as __fmaf_rn
  }
  return 0.f;
}

unsigned long long read_count(const unsigned long long* d) {
  unsigned long long h = ~0ull;
  if (cudaMemcpy(&h, d, sizeof h, cudaMemcpyDeviceToHost) != cudaSuccess) return ~0ull;
  return h;
}

TEST(KernelsMemory, NamesAndByteCounts) {
  GPUPROBE_REQUIRE_GPU();
  EXPECT_STREQ(gk::to_string(StreamOp::copy), "copy");
  EXPECT_STREQ(gk::to_string(StreamOp::scale), "scale");
  EXPECT_STREQ(gk::to_string(StreamOp::triad), "triad");
  EXPECT_EQ(gk::bytes_per_element(StreamOp::copy), 8);
  EXPECT_EQ(gk::bytes_per_element(StreamOp::scale), 8);
  EXPECT_EQ(gk::bytes_per_element(StreamOp::triad), 12);
}

// Every op at sizes 1, 3, 1000003 and 2^23 + 5 (long enough that each thread runs the unrolled
// float4 loop), with all pointers aligned, all offset by one float (same misalignment: scalar head,
// then float4) and offset differently (scalar only). stream_verify must report 0 mismatches and
// exactly 1 after one planted wrong element; at n = 1000003 the host also checks every element.
TEST(KernelsMemory, StreamOpsAreBitExactAndVerifyCatchesOneWrongElement) {
  GPUPROBE_REQUIRE_GPU();
  const std::size_t sizes[] = {1, 3, 1000003, (std::size_t{1} << 23) + 5};
  const int offsets[][3] = {{0, 0, 0}, {1, 1, 1}, {1, 0, 2}};  // a, b, c in floats
  DeviceBuffer dcount(sizeof(unsigned long long));
  ASSERT_TRUE(dcount.ok());
  auto* count = dcount.as<unsigned long long>();

  for (const std::size_t n : sizes) {
    DeviceBuffer da((n + 3) * sizeof(float)), db((n + 3) * sizeof(float)), dc((n + 3) * sizeof(float));
    ASSERT_TRUE(da.ok() && db.ok() && dc.ok()) << "n=" << n;
    for (const auto& off : offsets) {
      float* a = da.as<float>() + off[0];
      float* b = db.as<float>() + off[1];
      float* c = dc.as<float>() + off[2];
      ASSERT_EQ(gk::fill_random(b, n, Elem::f32, kSeedB, nullptr), cudaSuccess);
      ASSERT_EQ(gk::fill_random(c, n, Elem::f32, kSeedC, nullptr), cudaSuccess);
      for (StreamOp op : gk::kStreamOps) {
        SCOPED_TRACE(std::string(gk::to_string(op)) + " n=" + std::to_string(n) + " offsets " + std::to_string(off[0]) +
                     "," + std::to_string(off[1]) + "," + std::to_string(off[2]));
        ASSERT_EQ(gk::poison(a, n * sizeof(float), nullptr), cudaSuccess);
        ASSERT_EQ(gk::stream_op(op, n, a, b, c, kScalar, nullptr), cudaSuccess);
        ASSERT_EQ(gk::stream_verify(op, n, a, kSeedB, kSeedC, kScalar, count, nullptr), cudaSuccess);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        EXPECT_EQ(read_count(count), 0u);

        if (n == 1000003) {
          std::vector<float> got(n);
          ASSERT_EQ(cudaMemcpy(got.data(), a, n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
          std::size_t bad = 0, first = 0;
          for (std::size_t i = 0; i < n; ++i) {
            const float want = host_expected(op, i);
            if (std::memcmp(&want, &got[i], sizeof want) != 0 && bad++ == 0) first = i;
          }
          EXPECT_EQ(bad, 0u) << "first wrong element " << first;
        }

        // Plant one wrong element (lowest mantissa bit flipped) and expect exactly one mismatch.
        const std::size_t at = n / 2;
        float wrong = host_expected(op, at);
        std::uint32_t bits;
        std::memcpy(&bits, &wrong, sizeof bits);
        bits ^= 1u;
        std::memcpy(&wrong, &bits, sizeof bits);
        ASSERT_EQ(cudaMemcpy(a + at, &wrong, sizeof wrong, cudaMemcpyHostToDevice), cudaSuccess);
        ASSERT_EQ(gk::stream_verify(op, n, a, kSeedB, kSeedC, kScalar, count, nullptr), cudaSuccess);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        EXPECT_EQ(read_count(count), 1u);
      }
    }
  }
}

TEST(KernelsMemory, EmptyInputsZeroTheirResults) {
  GPUPROBE_REQUIRE_GPU();
  DeviceBuffer dsum(sizeof(double)), dcount(sizeof(unsigned long long));
  ASSERT_TRUE(dsum.ok() && dcount.ok());
  ASSERT_EQ(cudaMemset(dsum.as<void>(), 0xFF, sizeof(double)), cudaSuccess);
  ASSERT_EQ(cudaMemset(dcount.as<void>(), 0xFF, sizeof(unsigned long long)), cudaSuccess);
  ASSERT_EQ(gk::reduce_sum(0, nullptr, dsum.as<double>(), nullptr), cudaSuccess);
  ASSERT_EQ(gk::stream_verify(StreamOp::triad, 0, nullptr, kSeedB, kSeedC, kScalar, dcount.as<unsigned long long>(),
                              nullptr),
            cudaSuccess);
  ASSERT_EQ(gk::stream_op(StreamOp::copy, 0, nullptr, nullptr, nullptr, kScalar, nullptr), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  double sum = -1;
  ASSERT_EQ(cudaMemcpy(&sum, dsum.as<double>(), sizeof sum, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(sum, 0.0);
  EXPECT_EQ(read_count(dcount.as<unsigned long long>()), 0u);
}

// read_sweep (the bench's L2 flush) reads and writes nothing: the buffer and the sink stay as they were.
TEST(KernelsMemory, ReadSweepWritesNothing) {
  GPUPROBE_REQUIRE_GPU();
  const std::size_t n = (std::size_t{1} << 20) + 3;
  DeviceBuffer dx(n * sizeof(float)), dsink(sizeof(float));
  ASSERT_TRUE(dx.ok() && dsink.ok());
  ASSERT_EQ(gk::fill_random(dx.as<float>(), n, Elem::f32, kSeedB, nullptr), cudaSuccess);
  ASSERT_EQ(gk::poison(dsink.as<float>(), sizeof(float), nullptr), cudaSuccess);
  ASSERT_EQ(gk::read_sweep(n, dx.as<float>(), dsink.as<float>(), nullptr), cudaSuccess);
  ASSERT_EQ(gk::read_sweep(0, nullptr, nullptr, nullptr), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::uint32_t sink = 0;
  ASSERT_EQ(cudaMemcpy(&sink, dsink.as<float>(), sizeof sink, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(sink, 0xFFFFFFFFu);
  std::vector<float> back(n);
  ASSERT_EQ(cudaMemcpy(back.data(), dx.as<float>(), n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_EQ(back[i], static_cast<float>(gk::random_value(Elem::f32, kSeedB, i))) << i;
}

// reduce_sum against a float64 host sum within reduce_sum_tolerance, at every start alignment; the
// tolerance must stay below half the smallest |x| (0.5), so that one lost or doubled element fails.
TEST(KernelsMemory, ReduceSumMatchesFloat64Sum) {
  GPUPROBE_REQUIRE_GPU();
  const std::size_t sizes[] = {1, 3, 1000003, (std::size_t{1} << 23) + 5};
  DeviceBuffer dsum(sizeof(double));
  ASSERT_TRUE(dsum.ok());
  for (const std::size_t n : sizes) {
    DeviceBuffer dx((n + 3) * sizeof(float));
    ASSERT_TRUE(dx.ok());
    double ref = 0, sum_sq = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = gk::random_value(Elem::f32, kSeedB, i);
      ref += v;
      sum_sq += v * v;
    }
    for (int off = 0; off < 4; ++off) {
      SCOPED_TRACE("n=" + std::to_string(n) + " offset " + std::to_string(off));
      float* x = dx.as<float>() + off;
      ASSERT_EQ(gk::fill_random(x, n, Elem::f32, kSeedB, nullptr), cudaSuccess);
      ASSERT_EQ(gk::reduce_sum(n, x, dsum.as<double>(), nullptr), cudaSuccess);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      double sum = 0;
      ASSERT_EQ(cudaMemcpy(&sum, dsum.as<double>(), sizeof sum, cudaMemcpyDeviceToHost), cudaSuccess);
      const double tol = gk::reduce_sum_tolerance(n, x, ref, sum_sq);
      EXPECT_LT(tol, 0.25) << "too loose to catch one lost element";
      EXPECT_NEAR(sum, ref, tol);
    }
  }
}

TEST(KernelsMemory, PatternMismatchesAreCountedExactly) {
  GPUPROBE_REQUIRE_GPU();
  const std::size_t sizes[] = {1, 3, 1000003};
  DeviceBuffer dcount(sizeof(unsigned long long));
  ASSERT_TRUE(dcount.ok());
  auto* count = dcount.as<unsigned long long>();
  for (const std::size_t n : sizes) {
    DeviceBuffer dx((n + 1) * sizeof(float));
    ASSERT_TRUE(dx.ok());
    for (int off = 0; off < 2; ++off) {
      SCOPED_TRACE("n=" + std::to_string(n) + " offset " + std::to_string(off));
      float* x = dx.as<float>() + off;
      ASSERT_EQ(gk::fill_random(x, n, Elem::f32, kSeedC, nullptr), cudaSuccess);
      ASSERT_EQ(gk::count_pattern_mismatches(n, x, kSeedC, count, nullptr), cudaSuccess);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_EQ(read_count(count), 0u);

      // One flipped sign bit in the last element: exactly one mismatch.
      const float wrong = -gk::random_value(Elem::f32, kSeedC, n - 1);
      ASSERT_EQ(cudaMemcpy(x + (n - 1), &wrong, sizeof wrong, cudaMemcpyHostToDevice), cudaSuccess);
      ASSERT_EQ(gk::count_pattern_mismatches(n, x, kSeedC, count, nullptr), cudaSuccess);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_EQ(read_count(count), 1u);

      // A different seed: (almost) every element differs.
      ASSERT_EQ(gk::count_pattern_mismatches(n, x, kSeedC + 1, count, nullptr), cudaSuccess);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_GE(read_count(count), n - n / 1000);
    }
  }
}

// count_word_mismatches against a copy: 0 for an identical buffer, exactly the planted words after
// single-bit flips (first, middle and last word, and a NaN whose payload differs), with both buffers
// 16-byte aligned, both one float off (scalar head, float4 body) and only the reference off.
TEST(KernelsMemory, WordMismatchesAgainstAReferenceAreCountedExactly) {
  GPUPROBE_REQUIRE_GPU();
  DeviceBuffer dcount(sizeof(unsigned long long));
  ASSERT_TRUE(dcount.ok());
  // One comparison's count; ~0 when a call failed.
  const auto mismatches = [&](std::size_t n, const float* x, const float* ref) -> unsigned long long {
    if (gk::count_word_mismatches(n, x, ref, dcount.as<unsigned long long>(), nullptr) != cudaSuccess ||
        cudaDeviceSynchronize() != cudaSuccess)
      return ~0ull;
    return read_count(dcount.as<unsigned long long>());
  };
  const auto put = [](float* p, std::uint32_t bits) { return cudaMemcpy(p, &bits, sizeof bits, cudaMemcpyHostToDevice); };
  for (const std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{1000003}}) {
    DeviceBuffer dx((n + 1) * sizeof(float)), dref((n + 1) * sizeof(float));
    ASSERT_TRUE(dx.ok() && dref.ok());
    for (const auto& [off_x, off_ref] : {std::pair{0, 0}, std::pair{1, 1}, std::pair{0, 1}}) {
      SCOPED_TRACE("n=" + std::to_string(n) + " offsets " + std::to_string(off_x) + "," + std::to_string(off_ref));
      float* x = dx.as<float>() + off_x;
      float* ref = dref.as<float>() + off_ref;
      ASSERT_EQ(gk::fill_random(x, n, Elem::f32, kSeedB, nullptr), cudaSuccess);
      ASSERT_EQ(cudaMemcpy(ref, x, n * sizeof(float), cudaMemcpyDeviceToDevice), cudaSuccess);
      EXPECT_EQ(mismatches(n, x, ref), 0u);

      std::vector<std::size_t> at = {0, n / 2, n - 1};
      at.erase(std::unique(at.begin(), at.end()), at.end());
      for (std::size_t i : at) {  // the sign bit of the first word, the lowest mantissa bit of the others
        const float v = gk::random_value(Elem::f32, kSeedB, i);
        std::uint32_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        ASSERT_EQ(put(x + i, bits ^ (i == 0 ? 0x80000000u : 1u)), cudaSuccess);
      }
      EXPECT_EQ(mismatches(n, x, ref), at.size());

      // NaNs that differ only in their payload are different words; equal ones are equal.
      ASSERT_EQ(put(x + n / 2, 0x7FC00001u), cudaSuccess);
      ASSERT_EQ(put(ref + n / 2, 0x7FC00002u), cudaSuccess);
      EXPECT_EQ(mismatches(n, x, ref), at.size());  // the NaN took the place of one planted flip
      ASSERT_EQ(put(ref + n / 2, 0x7FC00001u), cudaSuccess);
      EXPECT_EQ(mismatches(n, x, ref), at.size() - 1);
    }
  }
  EXPECT_EQ(mismatches(0, nullptr, nullptr), 0u);
}

}  // namespace
