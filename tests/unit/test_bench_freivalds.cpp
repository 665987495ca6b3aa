// Freivalds' check passes correct GEMM results of every dtype and catches a planted wrong element.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "gpuprobe/bench/freivalds.hpp"
#include "gpuprobe/gpu/float16.hpp"
#include "gpuprobe/gpu/seed.hpp"

namespace gpuprobe::bench {
namespace {

float round_tf32(float f) {  // keep 10 mantissa bits, round to nearest even
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  u = (u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu;
  std::memcpy(&f, &u, 4);
  return f;
}

float round_to(Dtype d, float v) {
  switch (d) {
    case Dtype::fp16: return half_to_float(float_to_half(v));
    case Dtype::bf16:
    case Dtype::fp8: return bf16_to_float(float_to_bf16(v));
    default: return v;
  }
}

struct Gemm {
  int m, n, k;
  std::vector<float> a, b, c;  // what the verifier sees: the inputs as stored, the GPU-like result
};

// Inputs rounded to the dtype (as they sit in device memory); C accumulated in float in k order,
// with TF32 rounding of the operands for tf32, then rounded to the output type: what a correct
// GPU GEMM returns, up to summation order.
Gemm make(Dtype d, int m, int n, int k, bool out_in_input_type, std::uint64_t seed) {
  Gemm g{m, n, k, random_floats(static_cast<std::size_t>(m) * k, seed), random_floats(static_cast<std::size_t>(k) * n, seed + 1), {}};
  if (d == Dtype::fp16 || d == Dtype::bf16) {
    for (auto& v : g.a) v = round_to(d, v);
    for (auto& v : g.b) v = round_to(d, v);
  }
  g.c.assign(static_cast<std::size_t>(m) * n, 0.0f);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      float acc = 0;
      for (int p = 0; p < k; ++p) {
        float a = g.a[static_cast<std::size_t>(p) * m + i], b = g.b[static_cast<std::size_t>(j) * k + p];
        if (d == Dtype::tf32) a = round_tf32(a), b = round_tf32(b);
        acc = std::fma(a, b, acc);
      }
      g.c[static_cast<std::size_t>(j) * m + i] = out_in_input_type ? round_to(d, acc) : acc;
    }
  return g;
}

double rms(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s / static_cast<double>(v.size()));
}

struct Case {
  Dtype d;
  bool out_in_input_type;
};
const Case kCases[] = {{Dtype::fp32, true}, {Dtype::tf32, true}, {Dtype::fp16, true},
                       {Dtype::fp16, false}, {Dtype::bf16, true}, {Dtype::bf16, false}};

TEST(Freivalds, PassesCorrectResultsOfEveryDtype) {
  for (const auto& cs : kCases)
    for (auto [m, n, k] : {std::tuple{64, 64, 64}, std::tuple{193, 257, 311}, std::tuple{384, 96, 1024}}) {
      const Gemm g = make(cs.d, m, n, k, cs.out_in_input_type, 42 + m);
      const auto r = freivalds_check(m, n, k, g.a.data(), g.b.data(), g.c.data(),
                                     precision_for(cs.d, cs.out_in_input_type), 7);
      EXPECT_TRUE(r.ok) << to_string(cs.d) << " out_in_input=" << cs.out_in_input_type << " " << m << "x" << n << "x"
                        << k << ": " << r.summary();
      EXPECT_EQ(r.rounds, 2);
    }
}

TEST(Freivalds, CatchesOnePlantedWrongElementOfEveryDtype) {
  std::mt19937 rng(1);
  int caught = 0, planted = 0;
  for (const auto& cs : kCases) {
    const int m = 193, n = 257, k = 311;
    const Gemm g = make(cs.d, m, n, k, cs.out_in_input_type, 99);
    const double scale = rms(g.c);
    for (int trial = 0; trial < 20; ++trial) {
      auto c = g.c;
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, c.size() - 1)(rng);
      // A wrong element as a GEMM bug makes one: off by a few times the typical magnitude.
      c[at] += static_cast<float>((trial % 2 ? 3.0 : -3.0) * scale);
      const auto r = freivalds_check(m, n, k, g.a.data(), g.b.data(), c.data(),
                                     precision_for(cs.d, cs.out_in_input_type), 1000 + trial);
      ++planted;
      if (!r.ok) ++caught;
      EXPECT_FALSE(r.ok) << to_string(cs.d) << " trial " << trial << ": " << r.summary();
      if (!r.ok) {
        EXPECT_EQ(r.worst_row, at % m);
      }
    }
  }
  EXPECT_EQ(caught, planted);
}

TEST(Freivalds, RejectsTransposedAndNonFiniteResults) {
  const int n = 96;
  const Gemm g = make(Dtype::fp32, n, n, n, true, 5);
  std::vector<float> t(g.c.size());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) t[static_cast<std::size_t>(j) * n + i] = g.c[static_cast<std::size_t>(i) * n + j];
  EXPECT_FALSE(freivalds_check(n, n, n, g.a.data(), g.b.data(), t.data(), precision_for(Dtype::fp32, true), 3).ok);
  auto c = g.c;
  c[17] = std::nanf("");
  const auto r = freivalds_check(n, n, n, g.a.data(), g.b.data(), c.data(), precision_for(Dtype::fp32, true), 3);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.non_finite);
  EXPECT_NE(r.summary().find("NaN"), std::string::npos);
}

TEST(Freivalds, PrecisionTable) {
  EXPECT_EQ(precision_for(Dtype::fp32, true).u_acc, std::ldexp(1.0, -24));
  EXPECT_EQ(precision_for(Dtype::bf16, true).u_out, std::ldexp(1.0, -8));
  EXPECT_EQ(precision_for(Dtype::bf16, false).u_out, std::ldexp(1.0, -24));
  EXPECT_EQ(precision_for(Dtype::fp16, true).u_out, std::ldexp(1.0, -11));
  EXPECT_EQ(precision_for(Dtype::tf32, true).u_in, std::ldexp(1.0, -11));
  EXPECT_EQ(precision_for(Dtype::fp32, true).u_in, 0.0);
  EXPECT_GT(precision_for(Dtype::fp8, false).u_acc, precision_for(Dtype::bf16, false).u_acc);
}

}  // namespace
}  // namespace gpuprobe::bench
