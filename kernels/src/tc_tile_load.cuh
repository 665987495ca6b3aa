// What the two tensor-core GEMMs (matmul_tensorcore.cu: mma.sync; matmul_wgmma.cu: wgmma) share:
// the global -> shared copy of one K-major operand tile, and the rounding of a result to the
// 16-bit output type. Their shared-memory layouts differ (tc_layout.hpp, wgmma_layout.hpp) and
// come in as a Layout with
//   static int load_row(int tid, int i), load_chunk(int tid, int i)   which 16-byte chunk load i of
//                                                                      thread tid moves
//   static std::uint32_t byte_offset(int row, int chunk)              where that chunk goes
//   static constexpr int kChunkElems                                   8 (16 bytes of 2-byte elements)
//
// Two loaders:
//   fast    (k % 8 == 0, A and B 16-byte aligned): every 16-byte chunk of a row is either fully
//           inside the matrix or fully outside, and is moved by one cp.async; chunks beyond the
//           rows or beyond k use the zero-fill form (src-size 0: nothing is read, 16 zero bytes
//           written).
//   general (anything else): each of the 8 elements of a chunk is loaded on its own,
//           bounds-checked (0 outside), and the chunk is stored with one st.shared.v4.
//
// The instructions come from tc_ptx.cuh, which the including .cu file includes first: under
// tests/emu that is the emulator's stand-in, found through the include path, whereas an #include
// from this file would find kernels/src/tc_ptx.cuh next to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#ifndef GPUPROBE_TC_PTX
#error "include tc_ptx.cuh before tc_tile_load.cuh"
#endif

#if GPUPROBE_TC_PTX
namespace gpuprobe::kernels::tile {

template <class T>
__device__ __forceinline__ T from_float(float x) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) return __float2bfloat16_rn(x);
  else return __float2half_rn(x);
}

// Copies kLoads chunks per thread of one operand tile (K step k0) into the stage tile at `dst` (a
// shared-memory address). `src` points at the tile's first row (row 0, k 0) in global memory, `ld`
// is the row pitch (= k), `rows` how many tile rows exist (may exceed the tile), `k_left` how many
// k-values remain from k0 on. Everything outside is stored as zeros, so the products need no bounds
// checks: zeros add nothing.
template <class Layout, class T, bool kFast, int kLoads>
__device__ __forceinline__ void load_tile(std::uint32_t dst, const T* __restrict__ src, int rows, int ld, int k0,
                                          int k_left, int tid) {
#pragma unroll
  for (int i = 0; i < kLoads; ++i) {
    const int r = Layout::load_row(tid, i);
    const int c = Layout::load_chunk(tid, i);
    const int kc = c * Layout::kChunkElems;  // first k of the chunk, relative to k0
    const std::uint32_t d = dst + Layout::byte_offset(r, c);
    if constexpr (kFast) {
      // k % 8 == 0 and kc % 8 == 0: the chunk is entirely inside (kc < k_left) or entirely outside.
      const bool ok = r < rows && kc < k_left;
      const T* s = ok ? src + static_cast<std::size_t>(r) * ld + k0 + kc : src;
      tc_ptx::cp_async_16(d, s, ok ? 16 : 0);
    } else {
      std::uint32_t w[4] = {0u, 0u, 0u, 0u};
      if (r < rows) {
        const unsigned short* s =
            reinterpret_cast<const unsigned short*>(src) + static_cast<std::size_t>(r) * ld + k0 + kc;
#pragma unroll
        for (int e = 0; e < Layout::kChunkElems; ++e)
          if (kc + e < k_left) w[e >> 1] |= static_cast<std::uint32_t>(s[e]) << (16 * (e & 1));
      }
      tc_ptx::st_shared_v4(d, w[0], w[1], w[2], w[3]);
    }
  }
}

}  // namespace gpuprobe::kernels::tile
#endif  // GPUPROBE_TC_PTX
