// The reproducible random inputs: exact values in every type, and the CPU references of bench.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "gpuprobe/bench/reference.hpp"
#include "gpuprobe/gpu/float16.hpp"
#include "gpuprobe/kernels/random.hpp"
#include "gpuprobe/probes/cpu_reference.hpp"

using namespace gpuprobe::kernels;
using gpuprobe::ConvShape;

TEST(RandomInputs, ValuesAreExactInTheirTypeWithRandomSignsAndNoZeros) {
  for (Elem t : {Elem::f32, Elem::f16, Elem::bf16, Elem::e4m3}) {
    int negative = 0;
    std::set<float> distinct;
    for (std::uint64_t i = 0; i < 20000; ++i) {
      const std::uint32_t bits = random_pattern(t, 42, i);
      const float v = pattern_value(t, bits);
      ASSERT_TRUE(std::isfinite(v));
      ASSERT_GE(std::fabs(v), 0.5f);
      ASSERT_LT(std::fabs(v), 2.0f);
      negative += v < 0;
      distinct.insert(v);
      // The pattern is the value's encoding in the type (round trip through the host converters).
      if (t == Elem::f16) {
        ASSERT_EQ(gpuprobe::float_to_half(v), bits) << i;
      }
      if (t == Elem::bf16) {
        ASSERT_EQ(gpuprobe::float_to_bf16(v), bits) << i;
      }
      if (t == Elem::e4m3) {
        ASSERT_LT(bits, 256u);
        // e4m3: 1.mmm x 2^(e-7); three mantissa bits.
        const double m = std::fabs(v) / std::pow(2.0, std::floor(std::log2(std::fabs(v))));
        ASSERT_EQ(m * 8, std::floor(m * 8)) << v;
      }
    }
    EXPECT_NEAR(negative, 10000, 400) << static_cast<int>(t);
    const std::size_t expect_distinct = t == Elem::e4m3 ? 32u : t == Elem::bf16 ? 512u : 1000u;
    EXPECT_GE(distinct.size(), expect_distinct) << static_cast<int>(t);
  }
}

TEST(RandomInputs, DependOnSeedAndIndexOnly) {
  EXPECT_EQ(random_value(Elem::f32, 7, 123456789), random_value(Elem::f32, 7, 123456789));
  EXPECT_NE(random_value(Elem::f32, 7, 1), random_value(Elem::f32, 8, 1));
  int same = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) same += random_value(Elem::f32, 1, i) == random_value(Elem::f32, 1, i + 1);
  EXPECT_LT(same, 3);
  EXPECT_EQ(elem_size(Elem::f32), 4u);
  EXPECT_EQ(elem_size(Elem::bf16), 2u);
  EXPECT_EQ(elem_size(Elem::e4m3), 1u);
}

TEST(ConvReference, NhwcPointAgainstTheNchwReference) {
  ConvShape s;
  s.n = 2, s.h = 7, s.w = 6, s.c = 5, s.k = 3, s.r = 3, s.s = 2, s.pad_h = 1, s.pad_w = 2, s.stride_h = 2,
  s.stride_w = 1, s.dil_h = 2, s.dil_w = 1;
  ASSERT_TRUE(s.valid());
  std::vector<float> x(s.x_elems()), w(s.w_elems());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = random_value(Elem::f32, 1, i);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = random_value(Elem::f32, 2, i);
  // The same problem (one shape, the data reordered to NCHW / KCRS) through the probes' reference.
  std::vector<float> xn(x.size()), wn(w.size());
  for (int n = 0; n < s.n; ++n)
    for (int h = 0; h < s.h; ++h)
      for (int ww = 0; ww < s.w; ++ww)
        for (int c = 0; c < s.c; ++c)
          xn[((n * s.c + c) * s.h + h) * s.w + ww] = x[((n * s.h + h) * s.w + ww) * s.c + c];
  for (int k = 0; k < s.k; ++k)
    for (int r = 0; r < s.r; ++r)
      for (int q = 0; q < s.s; ++q)
        for (int c = 0; c < s.c; ++c)
          wn[((k * s.c + c) * s.r + r) * s.s + q] = w[((k * s.r + r) * s.s + q) * s.c + c];
  std::vector<double> ref, mag;
  gpuprobe::conv2d_reference(s, xn, wn, ref, mag);
  ASSERT_EQ(ref.size(), static_cast<std::size_t>(s.y_elems()));
  for (int n = 0; n < s.n; ++n)
    for (int k = 0; k < s.k; ++k)
      for (int p = 0; p < s.p(); ++p)
        for (int q = 0; q < s.q(); ++q) {
          const auto v = gpuprobe::bench::conv_nhwc_at(s, x.data(), w.data(), n, p, q, k);
          const std::size_t i = ((static_cast<std::size_t>(n) * s.k + k) * s.p() + p) * s.q() + q;
          ASSERT_NEAR(v.value, ref[i], 1e-12);
          ASSERT_NEAR(v.abs_sum, mag[i], 1e-12);
        }
}

TEST(ConvReference, ToleranceSeparatesRoundingFromOneWrongTerm) {
  // A correct FP32 dot product of 4608 terms (3x3x512) sits well inside the tolerance; dropping
  // one term (a kernel that skips an input pixel) does not.
  ConvShape s;
  s.h = s.w = 3, s.c = 512, s.r = s.s = 3;
  std::vector<float> x(s.x_elems()), w(s.w_elems());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = random_value(Elem::f32, 3, i);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = random_value(Elem::f32, 4, i);
  const auto ref = gpuprobe::bench::conv_nhwc_at(s, x.data(), w.data(), 0, 0, 0, 0);
  float acc = 0;
  for (std::size_t i = 0; i < x.size(); ++i) acc += x[i] * w[i];  // sequential FP32, the worst usual order
  const auto prec = gpuprobe::bench::precision_for(gpuprobe::bench::Dtype::fp32, true);
  const double tol = gpuprobe::bench::dot_tolerance(ref, 4608, prec);
  EXPECT_LT(std::fabs(acc - ref.value), 0.5 * tol);
  EXPECT_GT(std::fabs(static_cast<double>(x[100]) * w[100]), 10 * tol) << "a missing term is caught";
}
