// A 2-D convolution problem in NHWC (host and device code).
#pragma once

#include <cstdint>

#include "gpuprobe/kernels/random.hpp"  // GPUPROBE_HD

namespace gpuprobe::kernels {

struct ConvShape {
  int n = 1, h = 1, w = 1, c = 1;  // input N x H x W x C
  int k = 1, r = 1, s = 1;         // K filters of R x S x C
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;

  GPUPROBE_HD int p() const { return (h + 2 * pad_h - dil_h * (r - 1) - 1) / stride_h + 1; }
  GPUPROBE_HD int q() const { return (w + 2 * pad_w - dil_w * (s - 1) - 1) / stride_w + 1; }
  GPUPROBE_HD bool valid() const {
    return n > 0 && h > 0 && w > 0 && c > 0 && k > 0 && r > 0 && s > 0 && pad_h >= 0 && pad_w >= 0 && stride_h > 0 &&
           stride_w > 0 && dil_h > 0 && dil_w > 0 && h + 2 * pad_h >= dil_h * (r - 1) + 1 &&
           w + 2 * pad_w >= dil_w * (s - 1) + 1;
  }
  std::int64_t x_elems() const { return std::int64_t{n} * h * w * c; }
  std::int64_t w_elems() const { return std::int64_t{k} * r * s * c; }
  std::int64_t y_elems() const { return std::int64_t{n} * p() * q() * k; }
  double flops() const { return 2.0 * static_cast<double>(y_elems()) * r * s * c; }
};

}  // namespace gpuprobe::kernels
