// CPU references in float64 for what the benchmarks verify by sampling (convolution), and the
// tolerance rule shared with Freivalds' check. Host-only.
#pragma once

#include <cstdint>

#include "gpuprobe/bench/freivalds.hpp"
#include "gpuprobe/gpu/conv_shape.hpp"

namespace gpuprobe::bench {

struct RefValue {
  double value = 0;    // exact-ish sum of products, float64
  double abs_sum = 0;  // sum |x * w|
  double sq_sum = 0;   // sum (x * w)^2, for the random-sign rounding model
};

// y[n, p, q, k] of the NHWC convolution (KRSC filter), cross-correlation, zero padding.
RefValue conv_nhwc_at(const ConvShape& s, const float* x, const float* w, int n, int p, int q, int k);

// Tolerance of one computed dot product of `terms` products with the given precision (same model
// as freivalds.hpp: random-sign rounding errors grow like sqrt(terms)); c = 8 standard deviations.
double dot_tolerance(const RefValue& ref, int terms, Precision p);

}  // namespace gpuprobe::bench
