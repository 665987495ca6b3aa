#include "gpuprobe/kernels/fill.hpp"

namespace gpuprobe::kernels {
namespace {

template <class Word>
__global__ void fill_kernel(Word* dst, std::size_t n, Elem t, std::uint64_t seed) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] = static_cast<Word>(random_pattern(t, seed, i));
}

int grid_for(std::size_t n, int block) {
  const std::size_t blocks = (n + block - 1) / block;
  return static_cast<int>(blocks < 65536 ? (blocks ? blocks : 1) : 65536);
}

}  // namespace

cudaError_t fill_random(void* dst, std::size_t n, Elem t, std::uint64_t seed, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  constexpr int block = 256;
  switch (elem_size(t)) {
    case 4: fill_kernel<<<grid_for(n, block), block, 0, stream>>>(static_cast<std::uint32_t*>(dst), n, t, seed); break;
    case 2: fill_kernel<<<grid_for(n, block), block, 0, stream>>>(static_cast<std::uint16_t*>(dst), n, t, seed); break;
    default: fill_kernel<<<grid_for(n, block), block, 0, stream>>>(static_cast<std::uint8_t*>(dst), n, t, seed); break;
  }
  return cudaGetLastError();
}

cudaError_t poison(void* dst, std::size_t bytes, cudaStream_t stream) { return cudaMemsetAsync(dst, 0xFF, bytes, stream); }

}  // namespace gpuprobe::kernels
