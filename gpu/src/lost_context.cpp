#include "gpuprobe/gpu/lost_context.hpp"

namespace gpuprobe {

cudaError_t lost_context_error(int device) {
  cudaError_t lost = cudaSuccess;
  if (cudaSetDevice(device) == cudaSuccess && cudaDeviceSynchronize() != cudaSuccess) {
    (void)cudaGetLastError();
    lost = cudaDeviceSynchronize();
  }
  (void)cudaGetLastError();
  return lost;
}

}  // namespace gpuprobe
