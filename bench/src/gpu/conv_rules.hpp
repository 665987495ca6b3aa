// `gpuprobe bench`'s rules for the cuDNN convolution algorithm it times (the check takes cuDNN's
// first usable answer; the benchmarks must time what their verification and FLOP count describe).
#pragma once

#include <cudnn.h>

#include <cstddef>

#include "gpuprobe/gpu/blas_dnn.hpp"

namespace gpuprobe::bench::gpu {

// For a cuDNN convolution of data type `dt`: direct-product algorithms only (the verification's
// tolerance and the FLOP count assume them), FMA math for FP32 (TF32 would be another dtype), any
// math type for FP16/BF16, at most `max_workspace` bytes.
ConvAlgoRules bench_conv_algo_rules(cudnnDataType_t dt, std::size_t max_workspace);

}  // namespace gpuprobe::bench::gpu
