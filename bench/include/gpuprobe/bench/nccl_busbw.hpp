// nccl-tests' bus bandwidth (doc/PERFORMANCE.md of NVIDIA/nccl-tests): the algorithm bandwidth
// algbw = S / t (S: nccl-tests' size of the collective, see nccl_counts) times a factor of the
// collective and the number of ranks n, so that the figure compares with the hardware's link rate
// whatever n is: all-reduce 2(n-1)/n, all-gather and reduce-scatter (n-1)/n. One rank moves nothing
// between GPUs: the factor is 0 and only algbw means anything.
#pragma once

#include "gpuprobe/gpu/nccl_lib.hpp"

namespace gpuprobe::bench {

double nccl_busbw_factor(NcclCollective c, int ranks);  // 0 for ranks < 2
// "all_reduce" -> all_reduce...; false for anything else.
bool nccl_collective_from_string(const std::string& s, NcclCollective& out);

}  // namespace gpuprobe::bench
