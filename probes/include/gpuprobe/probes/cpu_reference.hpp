// CPU references the GPU results of the checks are verified against. Everything here runs without a
// GPU and is unit-tested on its own.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gpuprobe/gpu/conv_shape.hpp"

namespace gpuprobe {

// C = A * B, column-major (cuBLAS convention): A is m x k (lda = m), B is k x n (ldb = k), C is m x n.
// Returns the reference in double and, in `abs_sum`, sum_k |a_ik * b_kj| per element for error bounds.
void gemm_reference(int m, int n, int k, const std::vector<float>& a, const std::vector<float>& b,
                    std::vector<double>& c, std::vector<double>& abs_sum);

// 2-D cross-correlation (what cuDNN and frameworks call convolution), NCHW input, KCRS filter, NKPQ output.
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

}  // namespace gpuprobe
