#include "gpuprobe/probes/cpu_reference.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

namespace gpuprobe {

void gemm_reference(int m, int n, int k, const std::vector<float>& a, const std::vector<float>& b,
                    std::vector<double>& c, std::vector<double>& abs_sum) {
  c.assign(static_cast<std::size_t>(m) * n, 0.0);
  abs_sum.assign(static_cast<std::size_t>(m) * n, 0.0);
  for (int j = 0; j < n; ++j)
    for (int p = 0; p < k; ++p) {
      const double bv = b[static_cast<std::size_t>(j) * k + p];
      const float* acol = &a[static_cast<std::size_t>(p) * m];
      double* ccol = &c[static_cast<std::size_t>(j) * m];
      double* scol = &abs_sum[static_cast<std::size_t>(j) * m];
      for (int i = 0; i < m; ++i) {
        const double prod = static_cast<double>(acol[i]) * bv;
        ccol[i] += prod;
        scol[i] += std::fabs(prod);
      }
    }
}

void conv2d_reference(const ConvShape& sh, const std::vector<float>& x, const std::vector<float>& wt,
                      std::vector<double>& y, std::vector<double>& abs_sum) {
  const int P = sh.p(), Q = sh.q();
  y.assign(static_cast<std::size_t>(sh.n) * sh.k * P * Q, 0.0);
  abs_sum.assign(y.size(), 0.0);
  for (int n = 0; n < sh.n; ++n)
    for (int k = 0; k < sh.k; ++k)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < Q; ++q) {
          double acc = 0, mag = 0;
          for (int c = 0; c < sh.c; ++c)
            for (int r = 0; r < sh.r; ++r) {
              const int hi = p * sh.stride_h - sh.pad_h + r * sh.dil_h;
              if (hi < 0 || hi >= sh.h) continue;
              for (int s = 0; s < sh.s; ++s) {
                const int wi = q * sh.stride_w - sh.pad_w + s * sh.dil_w;
                if (wi < 0 || wi >= sh.w) continue;
                const double prod =
                    static_cast<double>(x[((static_cast<std::size_t>(n) * sh.c + c) * sh.h + hi) * sh.w + wi]) *
                    wt[((static_cast<std::size_t>(k) * sh.c + c) * sh.r + r) * sh.s + s];
                acc += prod;
                mag += std::fabs(prod);
              }
            }
          const std::size_t o = ((static_cast<std::size_t>(n) * sh.k + k) * P + p) * Q + q;
          y[o] = acc;
          abs_sum[o] = mag;
        }
}

VerifyResult verify_against(const std::vector<float>& got, const std::vector<double>& ref,
                            const std::vector<double>& abs_sum, double rel_tol, double abs_tol) {
  VerifyResult v;
  if (got.size() != ref.size() || ref.size() != abs_sum.size()) {
    v.mismatches = 1;
    return v;
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    ++v.checked;
    const double g = got[i];
    const double err = std::fabs(g - ref[i]);
    const bool bad = !std::isfinite(g) || !std::isfinite(ref[i]) || !(err <= rel_tol * abs_sum[i] + abs_tol);
    if (std::isfinite(err)) {
      v.max_abs_err = std::max(v.max_abs_err, err);
      if (abs_sum[i] > 0) v.max_rel_err = std::max(v.max_rel_err, err / abs_sum[i]);
    }
    if (bad) {
      if (v.mismatches == 0) v.first_bad = i;
      ++v.mismatches;
    }
  }
  return v;
}

std::string VerifyResult::summary() const {
  std::ostringstream os;
  if (ok()) os << "all " << checked << " elements match (max rel err " << max_rel_err << ")";
  else
    os << mismatches << " of " << checked << " elements wrong (first at index " << first_bad << ", max abs err "
       << max_abs_err << ")";
  return os.str();
}

}  // namespace gpuprobe
