// A 2-D convolution problem (cross-correlation, as cuDNN and the frameworks compute it): N images
// of H x W x C, K filters of R x S x C, output N x P x Q x K. The shape only: the memory layout is
// the user's (the hand-written kernels and the benchmarks use NHWC, the cuDNN check NCHW/KCRS).
// Host and device code, and the CPU emulator's build (tests/emu): no CUDA header needed.
#pragma once

#include <cstdint>

#include "gpuprobe/gpu/host_device.hpp"

namespace gpuprobe {

struct ConvShape {
  int n = 1, h = 1, w = 1, c = 1;  // input N x H x W x C
  int k = 1, r = 1, s = 1;         // K filters of R x S x C
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;

  GPUPROBE_HD int p() const { return (h + 2 * pad_h - dil_h * (r - 1) - 1) / stride_h + 1; }  // output height
  GPUPROBE_HD int q() const { return (w + 2 * pad_w - dil_w * (s - 1) - 1) / stride_w + 1; }  // output width
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

}  // namespace gpuprobe
