// Kernels for the emulator's own tests; see emu_fixture.hpp. CUDA syntax, compiled only by the
// emulation tests (after prepare_source.cmake), never by nvcc: the PTX instructions are called
// through cuda_emu's functions directly.
#include "emu_fixture.hpp"

#include <cstring>

namespace emu_fixture {
namespace {

__global__ void reverse_dynamic(const int* in, int* out) {
  extern __shared__ int s[];
  const unsigned t = threadIdx.x, base = blockIdx.x * blockDim.x;
  out[2 * (base + t)] = s[t];  // before anything wrote it: the emulator's poison
  __syncthreads();
  s[t] = in[base + t];
  __syncthreads();
  out[2 * (base + t) + 1] = s[blockDim.x - 1 - t];
}

__global__ void touch_shared(std::size_t bytes, int* ran) {
  extern __shared__ __align__(128) unsigned char raw[];
  __syncthreads();
  if (threadIdx.x == 0) {
    raw[0] = 1;
    raw[bytes - 1] = 2;
    *ran = raw[0] + raw[bytes - 1] - 2;
  }
}

__global__ void cp_async_kernel(const std::uint32_t* src, int src_bytes, std::uint32_t* out) {
  extern __shared__ __align__(16) unsigned char raw[];
  const unsigned t = threadIdx.x;
  const std::uint32_t base = cuda_emu::shared_address(raw);
  const std::uint32_t slot0 = base + 16 * t, slot1 = base + 16 * (32 + t);
  const auto word = [&](std::uint32_t address) {
    std::uint32_t w;
    std::memcpy(&w, raw + (address - base), 4);
    return w;
  };
  std::uint32_t* o = out + 8 * t;
  cuda_emu::cp_async(slot0, src + 4 * t, 16, 16);
  cuda_emu::cp_async_commit();
  cuda_emu::cp_async(slot1, src + 4 * t, 16, src_bytes);
  cuda_emu::cp_async_commit();
  o[0] = word(slot0);
  cuda_emu::cp_async_wait(1);
  o[1] = word(slot0);
  o[2] = word(slot1);
  cuda_emu::cp_async_wait(0);
  o[3] = word(slot1);
  for (int i = 0; i < 4; ++i) o[4 + i] = word(slot1 + 4 * i);
}

__global__ void ldmatrix_kernel(const std::uint16_t* matrices, int pitch, std::uint32_t* out) {
  extern __shared__ __align__(16) std::uint16_t tile[];
  const unsigned lane = threadIdx.x;
  for (int i = static_cast<int>(lane); i < 32 * pitch; i += 32) tile[i] = matrices[i];
  __syncthreads();
  const std::uint32_t row = cuda_emu::shared_address(tile + (lane / 8) * 8 * pitch + (lane % 8) * pitch);
  std::uint32_t r[4];
  cuda_emu::ldmatrix_x4(r, row);
  for (int q = 0; q < 4; ++q) out[4 * lane + q] = r[q];
}

__global__ void mma_kernel(bool bf16, const std::uint32_t* a, const std::uint32_t* b, float* d) {
  const unsigned lane = threadIdx.x;
  const std::uint32_t ra[4] = {a[4 * lane], a[4 * lane + 1], a[4 * lane + 2], a[4 * lane + 3]};
  const std::uint32_t rb[2] = {b[2 * lane], b[2 * lane + 1]};
  float rd[4] = {d[4 * lane], d[4 * lane + 1], d[4 * lane + 2], d[4 * lane + 3]};
  cuda_emu::mma_m16n8k16(bf16 ? cuda_emu::MmaInput::bf16 : cuda_emu::MmaInput::f16, rd, ra, rb);
  for (int i = 0; i < 4; ++i) d[4 * lane + i] = rd[i];
}

__global__ void ldmatrix_partial() {
  extern __shared__ __align__(16) unsigned char raw[];
  std::uint32_t r[4];
  cuda_emu::ldmatrix_x4(r, cuda_emu::shared_address(raw));
}

__global__ void cp_async_host(const std::uint32_t* src) {
  extern __shared__ __align__(16) unsigned char raw[];
  cuda_emu::cp_async(cuda_emu::shared_address(raw), src, 16, 16);
}

__global__ void store_past_end() {
  extern __shared__ __align__(16) unsigned char raw[];
  cuda_emu::st_shared_v4(cuda_emu::shared_address(raw) + 16 * threadIdx.x, 1, 2, 3, 4);
}

__global__ void mma_returned() {
  if (threadIdx.x == 3) return;
  const std::uint32_t a[4] = {}, b[2] = {};
  float d[4] = {};
  cuda_emu::mma_m16n8k16(cuda_emu::MmaInput::bf16, d, a, b);
}

}  // namespace

cudaError_t reverse_through_dynamic_shared(const int* in, int* out, int blocks, int threads) {
  reverse_dynamic<<<blocks, threads, threads * sizeof(int)>>>(in, out);
  return cudaGetLastError();
}

cudaError_t big_shared(std::size_t bytes, int opt_in_bytes, int* ran) {
  if (opt_in_bytes >= 0) {
    const cudaError_t e = cudaFuncSetAttribute(touch_shared, cudaFuncAttributeMaxDynamicSharedMemorySize, opt_in_bytes);
    if (e != cudaSuccess) return e;
  }
  touch_shared<<<1, 64, bytes>>>(bytes, ran);
  return cudaGetLastError();
}

cudaError_t cp_async_groups(const std::uint32_t* src, int src_bytes, std::uint32_t* out) {
  cp_async_kernel<<<1, 32, 2 * 32 * 16>>>(src, src_bytes, out);
  return cudaGetLastError();
}

cudaError_t ldmatrix_x4(const std::uint16_t* matrices, int pitch, std::uint32_t* out) {
  ldmatrix_kernel<<<1, 32, 32 * pitch * sizeof(std::uint16_t)>>>(matrices, pitch, out);
  return cudaGetLastError();
}

cudaError_t mma_m16n8k16(bool bf16, const std::uint32_t* a, const std::uint32_t* b, float* d) {
  mma_kernel<<<1, 32>>>(bf16, a, b, d);
  return cudaGetLastError();
}

void ldmatrix_in_a_partial_warp() { ldmatrix_partial<<<1, 16, 256>>>(); }
void cp_async_from_host_memory() {
  alignas(16) static const std::uint32_t host[4] = {};
  cp_async_host<<<1, 1, 16>>>(host);
}
void store_beyond_dynamic_shared() { store_past_end<<<1, 4, 48>>>(); }
void mma_after_a_lane_returned() { mma_returned<<<1, 32>>>(); }

}  // namespace emu_fixture
