#include "gpuprobe/bench/freivalds.hpp"

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace gpuprobe::bench {

Precision precision_for(Dtype in, bool output_in_input_type) {
  const double fp32 = std::ldexp(1.0, -24), tensor_acc = std::ldexp(1.0, -22), fp8_acc = std::ldexp(1.0, -14),
               eleven_bits = std::ldexp(1.0, -11), bf16 = std::ldexp(1.0, -8);
  switch (in) {
    case Dtype::fp32: return {0, fp32, fp32};
    case Dtype::tf32: return {eleven_bits, tensor_acc, fp32};
    case Dtype::fp16: return {0, tensor_acc, output_in_input_type ? eleven_bits : fp32};
    case Dtype::bf16: return {0, tensor_acc, output_in_input_type ? bf16 : fp32};
    case Dtype::fp8: return {0, fp8_acc, output_in_input_type ? bf16 : fp32};
  }
  return {0, fp32, fp32};
}

std::string FreivaldsResult::summary() const {
  char buf[160];
  if (non_finite) std::snprintf(buf, sizeof buf, "NaN/Inf in the result");
  else
    std::snprintf(buf, sizeof buf, "%s: worst row %zu at %.3g of tolerance (%d rounds)", ok ? "verified" : "WRONG",
                  worst_row, worst_ratio, rounds);
  return buf;
}

FreivaldsResult freivalds_check(int m, int n, int k, const float* A, const float* B, const float* C, Precision p,
                                std::uint64_t seed, int rounds) {
  FreivaldsResult r;
  r.rounds = rounds;
  const std::size_t M = static_cast<std::size_t>(m), N = static_cast<std::size_t>(n), K = static_cast<std::size_t>(k);
  for (std::size_t i = 0; i < M * N; ++i)
    if (!std::isfinite(C[i])) {
      r.non_finite = true;
      return r;
    }
  // Norms that do not depend on x.
  std::vector<double> a_row(M, 0.0), b_col(N, 0.0);
  for (std::size_t p2 = 0; p2 < K; ++p2)
    for (std::size_t i = 0; i < M; ++i) a_row[i] += static_cast<double>(A[p2 * M + i]) * A[p2 * M + i];
  for (std::size_t j = 0; j < N; ++j) {
    double s = 0;
    for (std::size_t p2 = 0; p2 < K; ++p2) s += static_cast<double>(B[j * K + p2]) * B[j * K + p2];
    b_col[j] = s;
  }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> mag(0.5, 1.0);
  std::bernoulli_distribution sign(0.5);
  std::vector<double> x(N), bx(K), abx(M), cx(M), c2x2(M);
  constexpr double c = 8.0, tiny = 1e-30;
  for (int round = 0; round < rounds; ++round) {
    double bx2 = 0;  // sum_j |B_:,j|^2 x_j^2
    for (std::size_t j = 0; j < N; ++j) {
      x[j] = (sign(rng) ? 1.0 : -1.0) * mag(rng);
      bx2 += b_col[j] * x[j] * x[j];
    }
    std::fill(bx.begin(), bx.end(), 0.0);
    for (std::size_t j = 0; j < N; ++j)
      for (std::size_t p2 = 0; p2 < K; ++p2) bx[p2] += static_cast<double>(B[j * K + p2]) * x[j];
    std::fill(abx.begin(), abx.end(), 0.0);
    for (std::size_t p2 = 0; p2 < K; ++p2)
      for (std::size_t i = 0; i < M; ++i) abx[i] += static_cast<double>(A[p2 * M + i]) * bx[p2];
    std::fill(cx.begin(), cx.end(), 0.0);
    std::fill(c2x2.begin(), c2x2.end(), 0.0);
    for (std::size_t j = 0; j < N; ++j)
      for (std::size_t i = 0; i < M; ++i) {
        const double v = C[j * M + i];
        cx[i] += v * x[j];
        c2x2[i] += v * v * x[j] * x[j];
      }
    for (std::size_t i = 0; i < M; ++i) {
      const double tol = c * ((p.u_acc + p.u_in * std::sqrt(2.0 / static_cast<double>(K))) * std::sqrt(a_row[i]) *
                                  std::sqrt(bx2) +
                              p.u_out * std::sqrt(c2x2[i])) + tiny;
      const double ratio = std::fabs(cx[i] - abx[i]) / tol;
      if (std::isnan(ratio)) {  // non-finite inputs: nothing can be verified
        r.non_finite = true;
        r.ok = false;
        return r;
      }
      if (ratio > r.worst_ratio) {
        r.worst_ratio = ratio;
        r.worst_row = i;
      }
    }
  }
  r.ok = r.worst_ratio <= 1.0;
  return r;
}

}  // namespace gpuprobe::bench
