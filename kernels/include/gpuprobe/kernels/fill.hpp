// Filling device buffers: reproducible random values (random.hpp) and poison. Asynchronous on
// `stream`; returns the launch error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "gpuprobe/kernels/random.hpp"

namespace gpuprobe::kernels {

// dst[i] = random_value(t, seed, i) stored in type t, for i < n elements.
cudaError_t fill_random(void* dst, std::size_t n, Elem t, std::uint64_t seed, cudaStream_t stream);
// Every byte 0xFF: NaN in f32, f16, bf16 and e4m3, so an element a kernel forgot to write never
// passes verification (zeros could).
cudaError_t poison(void* dst, std::size_t bytes, cudaStream_t stream);

}  // namespace gpuprobe::kernels
