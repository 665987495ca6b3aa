#include "gpuprobe/bench/reference.hpp"

#include <cmath>

namespace gpuprobe::bench {

RefValue conv_nhwc_at(const ConvShape& s, const float* x, const float* w, int n, int p, int q, int k) {
  RefValue r;
  for (int fr = 0; fr < s.r; ++fr) {
    const int ih = p * s.stride_h - s.pad_h + fr * s.dil_h;
    if (ih < 0 || ih >= s.h) continue;
    for (int fs = 0; fs < s.s; ++fs) {
      const int iw = q * s.stride_w - s.pad_w + fs * s.dil_w;
      if (iw < 0 || iw >= s.w) continue;
      const float* xp = x + ((static_cast<std::int64_t>(n) * s.h + ih) * s.w + iw) * s.c;
      const float* wp = w + ((static_cast<std::int64_t>(k) * s.r + fr) * s.s + fs) * s.c;
      for (int c = 0; c < s.c; ++c) {
        const double t = static_cast<double>(xp[c]) * wp[c];
        r.value += t;
        r.abs_sum += std::fabs(t);
        r.sq_sum += t * t;
      }
    }
  }
  return r;
}

double dot_tolerance(const RefValue& ref, int terms, Precision p) {
  const double acc = (p.u_acc + p.u_in * std::sqrt(2.0 / (terms > 0 ? terms : 1))) * std::sqrt(ref.sq_sum) *
                     std::sqrt(static_cast<double>(terms > 0 ? terms : 1));
  return 8.0 * (acc + p.u_out * std::fabs(ref.value)) + 1e-30;
}

}  // namespace gpuprobe::bench
