// Hand-written 2-D convolution forward (cross-correlation, as cuDNN's CUDNN_CROSS_CORRELATION),
// FP32, NHWC: x is N x H x W x C, the filter is K x R x S x C (cuDNN's NHWC filter layout "KRSC"),
// y is N x P x Q x K. Stride, padding and dilation per axis. Asynchronous on `stream`; returns the
// launch error (cudaErrorInvalidValue for an invalid shape).
#pragma once

#include <cuda_runtime_api.h>

#include "gpuprobe/gpu/conv_shape.hpp"

namespace gpuprobe::kernels {

enum class Conv {
  direct,         // one thread per output element (n, p, q, k): the textbook loop nest
  implicit_gemm,  // GEMM M = N*P*Q, N = K, K = R*S*C, the im2col matrix never materialized
};
inline constexpr Conv kConvKernels[] = {Conv::direct, Conv::implicit_gemm};
const char* to_string(Conv kind);  // "direct", "implicit_gemm"
cudaError_t conv2d(Conv kind, const ConvShape& shape, const float* x, const float* w, float* y, cudaStream_t stream);

}  // namespace gpuprobe::kernels
