#include "conv_rules.hpp"

namespace gpuprobe::bench::gpu {

ConvAlgoRules bench_conv_algo_rules(cudnnDataType_t dt, std::size_t max_workspace) {
  ConvAlgoRules r;
  r.fma_math_only = dt == CUDNN_DATA_FLOAT;
  r.direct_products_only = true;
  r.max_workspace = max_workspace;
  return r;
}

}  // namespace gpuprobe::bench::gpu
