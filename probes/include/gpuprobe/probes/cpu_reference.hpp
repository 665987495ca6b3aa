// CPU references the GPU results are verified against, and the host-side number formats they need.
// Everything here runs without a GPU and is unit-tested on its own.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gpuprobe {

// IEEE binary16 and bfloat16 conversions, round to nearest even (NaN kept quiet).
std::uint16_t float_to_half(float f);
float half_to_float(std::uint16_t h);
std::uint16_t float_to_bf16(float f);
float bf16_to_float(std::uint16_t h);

// C = A * B, column-major (cuBLAS convention): A is m x k (lda = m), B is k x n (ldb = k), C is m x n.
// Returns the reference in double and, in `abs_sum`, sum_k |a_ik * b_kj| per element for error bounds.
void gemm_reference(int m, int n, int k, const std::vector<float>& a, const std::vector<float>& b,
                    std::vector<double>& c, std::vector<double>& abs_sum);

// 2-D cross-correlation (what cuDNN and frameworks call convolution), NCHW input, KCRS filter, NKPQ output.
struct ConvShape {
  int n = 1, c = 1, h = 1, w = 1;  // input
  int k = 1, r = 1, s = 1;         // filters
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  int out_h() const { return (h + 2 * pad_h - dil_h * (r - 1) - 1) / stride_h + 1; }
  int out_w() const { return (w + 2 * pad_w - dil_w * (s - 1) - 1) / stride_w + 1; }
};
void conv2d_reference(const ConvShape& sh, const std::vector<float>& x, const std::vector<float>& wt,
                      std::vector<double>& y, std::vector<double>& abs_sum);

// Compare a result element-wise against a reference: |got - ref| <= rel_tol * abs_sum + abs_tol.
// NaN and Inf never pass.
struct VerifyResult {
  std::size_t checked = 0;
  std::size_t mismatches = 0;
  std::size_t first_bad = 0;  // index of the first mismatch
  double max_abs_err = 0;
  double max_rel_err = 0;  // |got - ref| / abs_sum
  bool ok() const { return checked > 0 && mismatches == 0; }
  std::string summary() const;
};
VerifyResult verify_against(const std::vector<float>& got, const std::vector<double>& ref,
                            const std::vector<double>& abs_sum, double rel_tol, double abs_tol);

// Fresh random inputs: uniform in [-1, 1), seeded from the clock unless a seed is given.
std::vector<float> random_floats(std::size_t n, std::uint64_t seed);
std::uint64_t fresh_seed();

}  // namespace gpuprobe
