// CPU references and number formats: bf16/half conversions, GEMM and convolution references,
// result verification, seeded random inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "gpuprobe/gpu/float16.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/probes/cpu_reference.hpp"

namespace gpuprobe {
namespace {

float from_bits(std::uint32_t u) { return std::bit_cast<float>(u); }
std::uint32_t to_bits(float f) { return std::bit_cast<std::uint32_t>(f); }

// ---- bfloat16 ------------------------------------------------------------------------------------

TEST(Bf16, RepresentableValuesRoundTripExactly) {
  for (float f : {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.0f, 3.0f, -7.5f, 256.0f, 1.0f / 1024, 1.5f, 65536.0f}) {
    SCOPED_TRACE(f);
    const std::uint16_t b = float_to_bf16(f);
    EXPECT_EQ(to_bits(bf16_to_float(b)), to_bits(f));
  }
  // Every non-NaN bf16 pattern survives bf16 -> float -> bf16.
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = bf16_to_float(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_bf16(f), h) << std::hex << h;
  }
}

TEST(Bf16, KnownEncodings) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xC000);
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
}

TEST(Bf16, RoundToNearestEvenOnTies) {
  // 0x3F80'8000 lies exactly between 0x3F80 (even) and 0x3F81: rounds down to even.
  EXPECT_EQ(float_to_bf16(from_bits(0x3F808000u)), 0x3F80);
  // 0x3F81'8000 lies exactly between 0x3F81 (odd) and 0x3F82 (even): rounds up to even.
  EXPECT_EQ(float_to_bf16(from_bits(0x3F818000u)), 0x3F82);
  // Just above / below the tie.
  EXPECT_EQ(float_to_bf16(from_bits(0x3F808001u)), 0x3F81);
  EXPECT_EQ(float_to_bf16(from_bits(0x3F807FFFu)), 0x3F80);
  EXPECT_EQ(float_to_bf16(from_bits(0x3F817FFFu)), 0x3F81);
  // Negative numbers round symmetrically.
  EXPECT_EQ(float_to_bf16(from_bits(0xBF808000u)), 0xBF80);
  EXPECT_EQ(float_to_bf16(from_bits(0xBF818000u)), 0xBF82);
  // Rounding can carry into the exponent.
  EXPECT_EQ(float_to_bf16(from_bits(0x3FFFC000u)), 0x4000);
}

TEST(Bf16, NanStaysNanInfStaysInf) {
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(qnan))));
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(-qnan))));
  // A signalling NaN whose payload lives only in the low 16 bits must not become Inf.
  const float snan_low = from_bits(0x7F800001u);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(snan_low))));
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(float_to_bf16(inf), 0x7F80);
  EXPECT_EQ(float_to_bf16(-inf), 0xFF80);
  EXPECT_TRUE(std::isinf(bf16_to_float(0x7F80)));
  // The largest float rounds to Inf in bf16 (RNE overflow).
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80);
}

// ---- IEEE half ------------------------------------------------------------------------------------

TEST(Half, KnownEncodings) {
  EXPECT_EQ(float_to_half(1.0f), 0x3C00);
  EXPECT_EQ(float_to_half(-2.0f), 0xC000);
  EXPECT_EQ(float_to_half(0.0f), 0x0000);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7BFF);  // largest finite half
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0x3555), from_bits(0x3EAAA000u));  // 0.333251953125
}

TEST(Half, OverflowToInf) {
  EXPECT_EQ(float_to_half(65520.0f), 0x7C00);   // tie between 65504 and 2^16: rounds to even = Inf
  EXPECT_EQ(float_to_half(65519.0f), 0x7BFF);   // below the tie
  EXPECT_EQ(float_to_half(1e6f), 0x7C00);
  EXPECT_EQ(float_to_half(-1e6f), 0xFC00);
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_TRUE(std::isinf(half_to_float(0x7C00)));
  EXPECT_TRUE(std::isinf(half_to_float(0xFC00)));
  EXPECT_LT(half_to_float(0xFC00), 0.0f);
}

TEST(Half, Subnormals) {
  const float smallest = std::ldexp(1.0f, -24);
  EXPECT_EQ(float_to_half(smallest), 0x0001);
  EXPECT_EQ(half_to_float(0x0001), smallest);
  EXPECT_EQ(float_to_half(-smallest), 0x8001);
  EXPECT_EQ(half_to_float(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14)), 0x0400);      // smallest normal
  // Half of the smallest subnormal is a tie between 0 and 0x0001: rounds to even (0).
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);
  // Anything above that tie rounds up to the smallest subnormal.
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);
  // 1.5 * 2^-24 is a tie between 0x0001 (odd) and 0x0002 (even).
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -24)), 0x0002);
  // 2.5 * 2^-24 ties between 0x0002 (even) and 0x0003.
  EXPECT_EQ(float_to_half(std::ldexp(2.5f, -24)), 0x0002);
  // Far below: zero, keeping the sign.
  EXPECT_EQ(float_to_half(1e-10f), 0x0000);
  EXPECT_EQ(float_to_half(-1e-10f), 0x8000);
  // The largest subnormal plus a bit rounds into the smallest normal.
  EXPECT_EQ(float_to_half(std::ldexp(1023.75f, -24)), 0x0400);
}

TEST(Half, TiesToEvenForNormals) {
  // Half spacing at 1.0 is 2^-10. 1 + 2^-11 ties between 0x3C00 (even) and 0x3C01: down.
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  // 1 + 3 * 2^-11 ties between 0x3C01 (odd) and 0x3C02 (even): up.
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  // Just above the first tie rounds up.
  EXPECT_EQ(float_to_half(from_bits(to_bits(1.0f + std::ldexp(1.0f, -11)) + 1)), 0x3C01);
  // Carry from mantissa into exponent: 2 - 2^-11 ties between 0x3FFF (odd) and 0x4000.
  EXPECT_EQ(float_to_half(2.0f - std::ldexp(1.0f, -11)), 0x4000);
}

TEST(Half, NanStaysNan) {
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(from_bits(0x7F800001u)))));  // low-payload sNaN
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7C01)));
}

TEST(Half, ExhaustiveRoundTripOfEveryNonNanHalf) {
  int checked = 0;
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    const bool nan = (h & 0x7C00u) == 0x7C00u && (h & 0x03FFu) != 0;
    if (nan) continue;
    const std::uint16_t hh = static_cast<std::uint16_t>(h);
    const std::uint16_t back = float_to_half(half_to_float(hh));
    ASSERT_EQ(back, hh) << "half 0x" << std::hex << h << " -> " << half_to_float(hh);
    ++checked;
  }
  EXPECT_EQ(checked, 65536 - 2 * 1023);
}

TEST(Half, ExhaustiveHalfToFloatMatchesFormula) {
  for (std::uint32_t h = 0; h <= 0xffff; ++h) {
    const int e = (h >> 10) & 0x1f;
    const int m = h & 0x3ff;
    if (e == 0x1f) continue;
    const double mag = e == 0 ? std::ldexp(static_cast<double>(m), -24) : std::ldexp(1.0 + m / 1024.0, e - 15);
    const double expect = (h & 0x8000u) ? -mag : mag;
    ASSERT_EQ(static_cast<double>(half_to_float(static_cast<std::uint16_t>(h))), expect) << std::hex << h;
  }
}

// ---- GEMM ----------------------------------------------------------------------------------------

TEST(GemmReference, MatchesNaiveTripleLoop) {
  struct Dims { int m, n, k; };
  for (const auto& d : {Dims{1, 1, 1}, Dims{3, 5, 7}, Dims{7, 3, 5}, Dims{5, 1, 9}, Dims{1, 7, 3}, Dims{13, 11, 9}}) {
    SCOPED_TRACE(std::to_string(d.m) + "x" + std::to_string(d.n) + "x" + std::to_string(d.k));
    const auto a = random_floats(static_cast<std::size_t>(d.m) * d.k, 11);
    const auto b = random_floats(static_cast<std::size_t>(d.k) * d.n, 12);
    std::vector<double> c, s;
    gemm_reference(d.m, d.n, d.k, a, b, c, s);
    ASSERT_EQ(c.size(), static_cast<std::size_t>(d.m) * d.n);
    ASSERT_EQ(s.size(), c.size());
    for (int i = 0; i < d.m; ++i)
      for (int j = 0; j < d.n; ++j) {
        double want = 0, mag = 0;
        for (int p = 0; p < d.k; ++p) {
          const double prod = static_cast<double>(a[p * d.m + i]) * b[j * d.k + p];  // column-major
          want += prod;
          mag += std::fabs(prod);
        }
        EXPECT_NEAR(c[j * d.m + i], want, 1e-12) << i << "," << j;
        EXPECT_NEAR(s[j * d.m + i], mag, 1e-12) << i << "," << j;
      }
  }
}

TEST(GemmReference, ColumnMajorLayoutByHand) {
  // A = [1 2; 3 4] stored column-major {1,3,2,4}; B = [5 6; 7 8] stored {5,7,6,8}.
  // A*B = [19 22; 43 50] -> column-major {19,43,22,50}.
  std::vector<double> c, s;
  gemm_reference(2, 2, 2, {1, 3, 2, 4}, {5, 7, 6, 8}, c, s);
  EXPECT_EQ(c, (std::vector<double>{19, 43, 22, 50}));
  gemm_reference(2, 2, 2, {-1, 3, 2, -4}, {5, 7, 6, 8}, c, s);
  EXPECT_EQ(c, (std::vector<double>{9, -13, 10, -14}));
  EXPECT_EQ(s, (std::vector<double>{19, 43, 22, 50}));
}

// ---- convolution -------------------------------------------------------------------------------

TEST(Conv2dReference, HandComputed) {
  ConvShape sh;
  sh.h = sh.w = 3;
  sh.r = sh.s = 2;
  EXPECT_EQ(sh.p(), 2);
  EXPECT_EQ(sh.q(), 2);
  // x = [1 2 3; 4 5 6; 7 8 9], w = [1 0; 0 -1] -> y[p][q] = x[p][q] - x[p+1][q+1] = -4 everywhere.
  std::vector<double> y, s;
  conv2d_reference(sh, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 0, 0, -1}, y, s);
  EXPECT_EQ(y, (std::vector<double>{-4, -4, -4, -4}));
  EXPECT_EQ(s, (std::vector<double>{6, 8, 12, 14}));
  // w = [1 2; 3 4]: cross-correlation (no flip).
  conv2d_reference(sh, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4}, y, s);
  EXPECT_EQ(y, (std::vector<double>{37, 47, 67, 77}));
}

TEST(Conv2dReference, OutputSize) {
  ConvShape sh;
  sh.h = 7;
  sh.w = 9;
  sh.r = 3;
  sh.s = 3;
  sh.pad_h = 1;
  sh.pad_w = 2;
  sh.stride_h = 2;
  sh.stride_w = 3;
  sh.dil_h = 2;
  sh.dil_w = 1;
  EXPECT_EQ(sh.p(), (7 + 2 - 2 * 2 - 1) / 2 + 1);  // 3
  EXPECT_EQ(sh.q(), (9 + 4 - 1 * 2 - 1) / 3 + 1);  // 4
  EXPECT_EQ(sh.p(), 3);
  EXPECT_EQ(sh.q(), 4);
}

TEST(Conv2dReference, PaddingStrideDilationAgainstDirectFormula) {
  ConvShape sh;
  sh.n = 2;
  sh.c = 3;
  sh.h = 7;
  sh.w = 6;
  sh.k = 2;
  sh.r = 3;
  sh.s = 2;
  sh.pad_h = 2;
  sh.pad_w = 1;
  sh.stride_h = 2;
  sh.stride_w = 1;
  sh.dil_h = 2;
  sh.dil_w = 3;
  const int P = sh.p(), Q = sh.q();
  ASSERT_GT(P, 0);
  ASSERT_GT(Q, 0);
  const auto x = random_floats(static_cast<std::size_t>(sh.n) * sh.c * sh.h * sh.w, 5);
  const auto wt = random_floats(static_cast<std::size_t>(sh.k) * sh.c * sh.r * sh.s, 6);
  std::vector<double> y, s;
  conv2d_reference(sh, x, wt, y, s);
  ASSERT_EQ(y.size(), static_cast<std::size_t>(sh.n) * sh.k * P * Q);
  // Zero-padded input, read with explicit bounds checks.
  auto X = [&](int n, int c, int h, int w) -> double {
    if (h < 0 || h >= sh.h || w < 0 || w >= sh.w) return 0.0;
    return x[((n * sh.c + c) * sh.h + h) * sh.w + w];
  };
  for (int n = 0; n < sh.n; ++n)
    for (int k = 0; k < sh.k; ++k)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < Q; ++q) {
          double want = 0, mag = 0;
          for (int c = 0; c < sh.c; ++c)
            for (int r = 0; r < sh.r; ++r)
              for (int t = 0; t < sh.s; ++t) {
                const double prod = X(n, c, p * sh.stride_h + r * sh.dil_h - sh.pad_h,
                                      q * sh.stride_w + t * sh.dil_w - sh.pad_w) *
                                    wt[((k * sh.c + c) * sh.r + r) * sh.s + t];
                want += prod;
                mag += std::fabs(prod);
              }
          const std::size_t o = ((static_cast<std::size_t>(n) * sh.k + k) * P + p) * Q + q;
          EXPECT_NEAR(y[o], want, 1e-12) << n << "," << k << "," << p << "," << q;
          EXPECT_NEAR(s[o], mag, 1e-12);
        }
}

// ---- verification ------------------------------------------------------------------------------

TEST(VerifyAgainst, ExactMatch) {
  const std::vector<double> ref = {1, -2, 3.5, 0};
  const std::vector<double> mag = {1, 2, 3.5, 0};
  const VerifyResult v = verify_against({1, -2, 3.5f, 0}, ref, mag, 1e-6, 0);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.checked, 4u);
  EXPECT_EQ(v.mismatches, 0u);
  EXPECT_EQ(v.max_abs_err, 0.0);
  EXPECT_NE(v.summary().find("all 4 elements match"), std::string::npos) << v.summary();
}

TEST(VerifyAgainst, WithinToleranceIsOk) {
  const VerifyResult v = verify_against({1.001f}, {1.0}, {1.0}, 0.01, 0);
  EXPECT_TRUE(v.ok());
  EXPECT_GT(v.max_abs_err, 0.0);
  EXPECT_NEAR(v.max_rel_err, 0.001, 1e-6);
}

TEST(VerifyAgainst, PlantedWrongElement) {
  const std::size_t n = 100;
  std::vector<double> ref(n), mag(n, 1.0);
  std::vector<float> got(n);
  for (std::size_t i = 0; i < n; ++i) got[i] = static_cast<float>(ref[i] = 0.25 * static_cast<double>(i));
  got[37] += 1.0f;
  got[80] -= 2.0f;
  const VerifyResult v = verify_against(got, ref, mag, 1e-3, 1e-6);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.checked, n);
  EXPECT_EQ(v.mismatches, 2u);
  EXPECT_EQ(v.first_bad, 37u);
  EXPECT_DOUBLE_EQ(v.max_abs_err, 2.0);
  const std::string sum = v.summary();
  EXPECT_NE(sum.find("2 of 100 elements wrong"), std::string::npos) << sum;
  EXPECT_NE(sum.find("first at index 37"), std::string::npos) << sum;
}

TEST(VerifyAgainst, NanAndInfNeverPass) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  VerifyResult v = verify_against({1, nan, 3}, {1, 2, 3}, {1, 1, 1}, 1e9, 1e9);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.first_bad, 1u);
  EXPECT_EQ(v.mismatches, 1u);
  v = verify_against({inf}, {std::numeric_limits<double>::infinity()}, {1}, 1e9, 1e9);
  EXPECT_FALSE(v.ok());
}

TEST(VerifyAgainst, NanReferenceDoesNotPass) {
  // A NaN in the reference means the comparison tells nothing: it must not count as a match.
  const VerifyResult v = verify_against({1.0f}, {std::nan("")}, {1.0}, 1e-3, 1e-6);
  EXPECT_FALSE(v.ok());
}

TEST(VerifyAgainst, SizeMismatchIsNotOk) {
  VerifyResult v = verify_against({1, 2}, {1, 2, 3}, {1, 1, 1}, 1, 1);
  EXPECT_FALSE(v.ok());
  v = verify_against({1, 2}, {1, 2}, {1}, 1, 1);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.checked, 0u);
}

TEST(VerifyAgainst, EmptyIsNotOk) {
  const VerifyResult v = verify_against({}, {}, {}, 1, 1);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.checked, 0u);
}

// ---- random inputs -------------------------------------------------------------------------------

TEST(RandomFloats, SameSeedSameValues) {
  const auto a = random_floats(1000, 42);
  const auto b = random_floats(1000, 42);
  const auto c = random_floats(1000, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a.size(), 1000u);
  EXPECT_TRUE(random_floats(0, 1).empty());
}

TEST(RandomFloats, RangeIsMinusOneToOneHalfOpen) {
  const auto v = random_floats(200000, 7);
  float lo = 1, hi = -1;
  for (float f : v) {
    ASSERT_GE(f, -1.0f);
    ASSERT_LT(f, 1.0f);
    lo = std::min(lo, f);
    hi = std::max(hi, f);
  }
  // Both halves of the range are used.
  EXPECT_LT(lo, -0.99f);
  EXPECT_GT(hi, 0.99f);
}

}  // namespace
}  // namespace gpuprobe
