#include "gpuprobe/probes/cpu_reference.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <sstream>

namespace gpuprobe {

std::uint16_t float_to_bf16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu)) return static_cast<std::uint16_t>((u >> 16) | 0x40);
  const std::uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>((u + rounding) >> 16);
}

float bf16_to_float(std::uint16_t h) {
  const std::uint32_t u = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

std::uint16_t float_to_half(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  std::uint32_t mant = x & 0x007fffffu;
  const int exp = static_cast<int>((x >> 23) & 0xff);
  if (exp == 0xff) return static_cast<std::uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));  // Inf / NaN
  int e = exp - 127 + 15;
  if (e >= 0x1f) return static_cast<std::uint16_t>(sign | 0x7c00u);  // overflow -> Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the full mantissa into place with round to nearest even.
    if (e < -10) return static_cast<std::uint16_t>(sign);
    mant |= 0x00800000u;
    const int shift = 14 - e;
    std::uint32_t half_mant = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1);
    const std::uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_mant & 1u))) ++half_mant;
    return static_cast<std::uint16_t>(sign | half_mant);
  }
  std::uint32_t half = sign | (static_cast<std::uint32_t>(e) << 10) | (mant >> 13);
  const std::uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;  // may carry into the exponent: correct
  return static_cast<std::uint16_t>(half);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const int exp = (h >> 10) & 0x1f;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0x1f) bits = sign | 0x7f800000u | (mant << 13);
  else if (exp == 0) {
    if (mant == 0) bits = sign;
    else {
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | (static_cast<std::uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else bits = sign | (static_cast<std::uint32_t>(exp - 15 + 127) << 23) | (mant << 13);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

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
  const int P = sh.out_h(), Q = sh.out_w();
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

std::vector<float> random_floats(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
         static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace gpuprobe
