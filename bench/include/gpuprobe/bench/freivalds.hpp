// Verifying a GEMM result in O(n^2) instead of recomputing it in O(n^3): Freivalds' check.
// For a random vector x, C x must equal A (B x). Computed in float64 on the CPU.
//
// Tolerance. For random-sign data a correct C_ij differs from the exact product by
//   accumulation:    about u_acc * |A_i,:|_2 * |B_:,j|_2 (partial sums grow like sqrt(p); each
//                    addition rounds relative to them; sequential order, the worst usual case)
//   operand rounding inside the unit (TF32): about u_in * sqrt(2/k) * |A_i,:|_2 * |B_:,j|_2
//   output rounding: u_out * |C_ij|
// These errors have random signs, so in (C x)_i they add up as a root sum of squares over j.
// Row i passes when
//   |(C x)_i - (A (B x))_i| <= c * ( (u_acc + u_in sqrt(2/k)) |A_i,:| sqrt(sum_j |B_:,j|^2 x_j^2)
//                                  + u_out sqrt(sum_j C_ij^2 x_j^2) ) + tiny,      c = 8.
// A wrong element C_ij + d moves (C x)_i by d * x_j; |x_j| is drawn from [0.5, 1] with a random
// sign so no column is weighted near zero. Two independent vectors per check. A single wrong
// element is caught when |d| is well above the tolerance: at every size for FP32 accumulation; for
// FP8's short accumulators only at moderate k. Errors of real kernel bugs (whole tiles) are far larger.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "gpuprobe/bench/peaks.hpp"

namespace gpuprobe::bench {

struct Precision {
  double u_in;   // operand rounding inside the math unit (TF32), 0 when the operands are exact
  double u_acc;  // unit roundoff of the accumulation
  double u_out;  // unit roundoff of the stored output
};
// Input dtype -> precision as cuBLAS computes it: FP32 accumulation (tensor cores may keep a few
// bits less: 2^-22 is allowed for FP16/BF16, 2^-14 for FP8, as measured on Hopper by others);
// output in the input type, except FP8, which writes BF16 in our benchmarks.
Precision precision_for(Dtype inputs, bool output_in_input_type);

struct FreivaldsResult {
  bool ok = false;
  int rounds = 0;
  double worst_ratio = 0;  // max over rows and rounds of |residual| / tolerance (ok: <= 1)
  std::size_t worst_row = 0;
  bool non_finite = false;  // a NaN/Inf in C
  std::string summary() const;
};

// A: m x k, B: k x n, C: m x n, all column-major float (inputs already rounded to their dtype).
FreivaldsResult freivalds_check(int m, int n, int k, const float* A, const float* B, const float* C, Precision p,
                                std::uint64_t seed, int rounds = 2);

}  // namespace gpuprobe::bench
