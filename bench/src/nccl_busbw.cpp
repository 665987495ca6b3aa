#include "gpuprobe/bench/nccl_busbw.hpp"

namespace gpuprobe::bench {

double nccl_busbw_factor(NcclCollective c, int ranks) {
  if (ranks < 2) return 0.0;
  const double n = ranks;
  switch (c) {
    case NcclCollective::all_reduce: return 2.0 * (n - 1) / n;
    case NcclCollective::all_gather:
    case NcclCollective::reduce_scatter: return (n - 1) / n;
  }
  return 0.0;
}

bool nccl_collective_from_string(const std::string& s, NcclCollective& out) {
  for (NcclCollective c : {NcclCollective::all_reduce, NcclCollective::all_gather, NcclCollective::reduce_scatter})
    if (s == to_string(c)) {
      out = c;
      return true;
    }
  return false;
}

}  // namespace gpuprobe::bench
