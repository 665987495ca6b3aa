// For the GPU tests of burn's load (tests/gpu/test_gpu_burn_load.cpp) only.
#pragma once

#include "gpuprobe/bench/burn_load.hpp"

namespace gpuprobe::bench::gpu {

// Corrupts what a prepared load of make_gpu_burn_load checks against, so that its next step must
// count mismatches: one bit of the GEMM's kept reference output (every GEMM of every later step
// then differs from it in exactly that word) and one bit of the memory load's current buffer (the
// next step's copies carry it to its check, which counts exactly that word and then restores the
// buffer). Returns false, planting nothing in the GEMM, when the GEMM is checked by Freivalds (no
// reference output is kept).
bool plant_burn_error(BurnLoad& load);

}  // namespace gpuprobe::bench::gpu
