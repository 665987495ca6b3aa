// Kernels for the emulator's own tests; see emu_fixture.hpp. CUDA syntax, compiled only by the
// emulation tests (after prepare_source.cmake), never by nvcc: the PTX instructions are called
// through cuda_emu's functions directly, or through the stand-in wrappers (wgmma).
#include "emu_fixture.hpp"

#include <cstring>

#include "tc_ptx.cuh"
#include "wgmma_ptx.cuh"

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

// ---- wgmma --------------------------------------------------------------------------------------

// Where element (row, k) of a K-major tile of 16-bit elements lies, written as CuTe would (the PTX
// ISA's "Canonical Layouts", 9.7.15.5.1.2.1.3, T = 8): the layout ((8,m),(8,c)) : ((s_row, s_group),
// (1, s_chunk)) in elements, then Swizzle<B,4,3> on the byte offset (cute/swizzle.hpp: the B bits
// from bit 7 up are XORed into the B bits from bit 4 up). The tile starts at a 1024-byte boundary.
struct KMajorTile {
  int s_row, s_group, s_chunk;  // element strides: row within 8, 8-row group, 8-element chunk of k
  int swizzle_bits;
  std::uint32_t lbo, sbo;  // the descriptor's byte offsets
  std::uint32_t step;      // bytes from one k16 step's start address to the next

  std::uint32_t offset(int row, int k) const {
    const int index = (row % 8) * s_row + (row / 8) * s_group + k % 8 + (k / 8) * s_chunk;
    const std::uint32_t byte = 2u * static_cast<std::uint32_t>(index);
    const std::uint32_t yyy = ((1u << swizzle_bits) - 1) << 7;
    return byte ^ ((byte & yyy) >> 3);
  }
  std::uint32_t bytes(int rows) const { return static_cast<std::uint32_t>(rows / 8) * sbo; }
};

KMajorTile k_major_tile(WgmmaSwizzle swizzle, int k) {
  switch (swizzle) {
    case WgmmaSwizzle::none:  // ((8,m),(T,2k)):((1T,SBO),(1,LBO)): 8 x 16-byte core matrices, dense along K
      return KMajorTile{8, 8 * k, 64, 0, 128, static_cast<std::uint32_t>(16 * k), 256};
    case WgmmaSwizzle::b32:  // ((8,m),(T,2k)):((2T,SBO),(1,T)), Swizzle<1,4,3>; LBO unused ("assumed 1")
      return KMajorTile{16, 128, 8, 1, 16, 256, 32};
    case WgmmaSwizzle::b64:  // ((4T,SBO),(1,T)), Swizzle<2,4,3>
      return KMajorTile{32, 256, 8, 2, 16, 512, 32};
    case WgmmaSwizzle::b128:  // ((8T,SBO),(1,T)), Swizzle<3,4,3>
      break;
  }
  return KMajorTile{64, 512, 8, 3, 16, 1024, 32};
}

// PTX ISA, "Matrix Descriptor Format": (x & 0x3FFFF) >> 4 of the start address, LBO and SBO at bits
// 0, 16 and 32, the base offset at bit 49, the swizzle mode at bit 62.
std::uint64_t descriptor(std::uint32_t start, const KMajorTile& tile, WgmmaSwizzle swizzle, unsigned base_offset = 0) {
  const auto encode = [](std::uint32_t x) { return std::uint64_t{(x & 0x3FFFFu) >> 4}; };
  return encode(start) | encode(tile.lbo) << 16 | encode(tile.sbo) << 32 | std::uint64_t{base_offset} << 49 |
         static_cast<std::uint64_t>(swizzle) << 62;
}

// Threads first, first + stride, ... write rows [row0, row0 + rows) of m (K wide) into the tile at
// shared address `at`, 16 bytes (8 k of one row) per st.shared.v4.
void place(const std::uint16_t* m, int k, int row0, int rows, const KMajorTile& tile, std::uint32_t at,
           unsigned first, unsigned stride) {
  for (int q = static_cast<int>(first); q < rows * k / 8; q += static_cast<int>(stride)) {
    const int row = row0 + q / (k / 8), k0 = 8 * (q % (k / 8));
    std::uint32_t w[4];
    for (int j = 0; j < 4; ++j)
      w[j] = std::uint32_t{m[row * k + k0 + 2 * j]} | std::uint32_t{m[row * k + k0 + 2 * j + 1]} << 16;
    gpuprobe::kernels::tc_ptx::st_shared_v4(at + tile.offset(row, k0), w[0], w[1], w[2], w[3]);
  }
}

__global__ void wgmma_kernel(WgmmaCase c, const std::uint16_t* a, const std::uint16_t* b, const std::uint16_t* a2,
                             float* d) {
  namespace wg = gpuprobe::kernels::wgmma_ptx;
  extern __shared__ __align__(1024) unsigned char smem[];
  const int k = 16 * c.k_steps, rows_a = 64 * c.warpgroups;
  const KMajorTile tile = k_major_tile(c.swizzle, k);
  const std::uint32_t b_at = gpuprobe::kernels::tc_ptx::shared_address(smem), a_at = b_at + tile.bytes(256);
  const unsigned tid = threadIdx.x, g = tid / 128, t = tid % 128;
  place(b, k, 0, 256, tile, b_at, tid, blockDim.x);
  place(a, k, 0, rows_a, tile, a_at, tid, blockDim.x);
  if (c.misuse != WgmmaMisuse::no_proxy_fence) wg::fence_proxy_async();
  __syncthreads();

  const std::uint32_t a_slice = a_at + tile.bytes(64) * g;
  float acc[128];
  for (float& x : acc) x = -1.0f;  // ignored: the first step does not accumulate
  const auto mma = [&](int step) {
    std::uint32_t a_start = a_slice + tile.step * static_cast<std::uint32_t>(step);
    std::uint32_t b_start = b_at + tile.step * static_cast<std::uint32_t>(step);
    if (c.misuse == WgmmaMisuse::pattern_not_at_boundary) a_start += 128;
    if (c.misuse == WgmmaMisuse::b_outside_shared) b_start = b_at + tile.bytes(256) + tile.bytes(rows_a);
    if (c.misuse == WgmmaMisuse::diverging_descriptor && t == 77) b_start += 16;
    const std::uint64_t desc_a = descriptor(a_start, tile, c.swizzle, c.misuse == WgmmaMisuse::base_offset ? 1 : 0);
    const std::uint64_t desc_b = descriptor(b_start, tile, c.swizzle);
    if (c.bf16)
      wg::wgmma_m64n256k16<__nv_bfloat16>(acc, desc_a, desc_b, step > 0);
    else
      wg::wgmma_m64n256k16<__half>(acc, desc_a, desc_b, step > 0);
  };
  // PTX ISA, fragment layout of D for .m64nNk16: thread t of the warpgroup holds in acc[i] row
  // 16 (t / 32) + (t % 32) / 4 + 8 ((i / 2) % 2), column 8 (i / 4) + 2 (t % 4) + i % 2.
  const auto write_d = [&] {
    for (int i = 0; i < 128; ++i) {
      const unsigned row = 16 * (t / 32) + (t % 32) / 4 + 8 * ((i / 2) % 2), col = 8 * (i / 4) + 2 * (t % 4) + i % 2;
      d[(64 * g + row) * 256 + col] = acc[i];
    }
  };

  if (c.misuse != WgmmaMisuse::no_wgmma_fence) wg::wgmma_fence();
  for (int step = 0; step < c.k_steps; ++step) {
    mma(step);
    if (c.commit_every_step) {
      wg::wgmma_commit();
      wg::wgmma_wait<1>();
    }
  }
  if (!c.commit_every_step) wg::wgmma_commit();
  if (c.misuse == WgmmaMisuse::read_before_wait) write_d();
  if (c.misuse == WgmmaMisuse::write_while_pending) acc[5] = 0.0f;
  if (c.misuse == WgmmaMisuse::overwrite_before_wait) {  // the warpgroup's own slice: its wait orders it
    place(a2, k, 64 * static_cast<int>(g), 64, tile, a_at, t, 128);
    wg::fence_proxy_async();
  }
  if (c.misuse == WgmmaMisuse::no_wait) return;
  wg::wgmma_wait<0>();
  if (c.misuse == WgmmaMisuse::write_after_wait_without_fence) {
    acc[0] = 0.0f;
    mma(1);
    wg::wgmma_commit();
    wg::wgmma_wait<0>();
  }
  if (c.misuse != WgmmaMisuse::read_before_wait) write_d();
}

__global__ void wgmma_image_kernel(const std::uint8_t* image, std::size_t bytes, bool bf16, std::uint64_t desc_a,
                                   std::uint64_t desc_b, float* d) {
  namespace wg = gpuprobe::kernels::wgmma_ptx;
  extern __shared__ __align__(1024) unsigned char smem[];
  const std::uint32_t base = gpuprobe::kernels::tc_ptx::shared_address(smem);
  for (std::size_t i = 16 * threadIdx.x; i < bytes; i += 16 * blockDim.x) {
    std::uint32_t w[4];
    std::memcpy(w, image + i, 16);
    gpuprobe::kernels::tc_ptx::st_shared_v4(base + static_cast<std::uint32_t>(i), w[0], w[1], w[2], w[3]);
  }
  wg::fence_proxy_async();
  __syncthreads();
  float acc[128];
  wg::wgmma_fence();
  if (bf16)
    wg::wgmma_m64n256k16<__nv_bfloat16>(acc, desc_a, desc_b, false);
  else
    wg::wgmma_m64n256k16<__half>(acc, desc_a, desc_b, false);
  wg::wgmma_commit();
  wg::wgmma_wait<0>();
  const unsigned t = threadIdx.x;
  for (int i = 0; i < 128; ++i)
    d[(16 * (t / 32) + (t % 32) / 4 + 8 * ((i / 2) % 2)) * 256 + 8 * (i / 4) + 2 * (t % 4) + i % 2] = acc[i];
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

cudaError_t wgmma_m64n256k16(const WgmmaCase& c, const std::uint16_t* a, const std::uint16_t* b,
                             const std::uint16_t* a2, float* d) {
  const KMajorTile tile = k_major_tile(c.swizzle, 16 * c.k_steps);
  const std::size_t bytes = tile.bytes(256) + tile.bytes(64 * c.warpgroups);
  if (bytes > 48 * 1024) {
    const cudaError_t e =
        cudaFuncSetAttribute(wgmma_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
    if (e != cudaSuccess) return e;
  }
  const int threads = c.block_threads > 0 ? c.block_threads : 128 * c.warpgroups;
  wgmma_kernel<<<1, threads, bytes>>>(c, a, b, a2, d);
  return cudaGetLastError();
}

cudaError_t wgmma_on_image(const std::uint8_t* image, std::size_t bytes, bool bf16, std::uint64_t desc_a,
                           std::uint64_t desc_b, float* d) {
  if (bytes > 48 * 1024) {
    const cudaError_t e =
        cudaFuncSetAttribute(wgmma_image_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes));
    if (e != cudaSuccess) return e;
  }
  wgmma_image_kernel<<<1, 128, bytes>>>(image, bytes, bf16, desc_a, desc_b, d);
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
