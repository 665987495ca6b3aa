// Kernels written in CUDA syntax for the emulator's own tests (test_cuda_emu.cpp): emu_fixture.cu
// goes through prepare_source.cmake like the kernels of kernels/src, so its launches and
// `extern __shared__` arrays exercise the rewriting too. Each function launches one kernel and
// returns cudaGetLastError(). The PTX instructions are called through cuda_emu's functions, or
// through the stand-in wrappers of tests/emu/tc_ptx.cuh and wgmma_ptx.cuh.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace emu_fixture {

// One block per `threads` ints: out[2 * i] = what thread i saw in its slot of fresh dynamic shared
// memory before writing it, out[2 * i + 1] = the block's input reversed through that memory.
cudaError_t reverse_through_dynamic_shared(const int* in, int* out, int blocks, int threads);

// A 1-block launch asking for `bytes` of dynamic shared memory (aligned to 128); thread 0 writes
// the first and the last byte and stores 1 in *ran. opt_in_bytes >= 0: cudaFuncSetAttribute(
// MaxDynamicSharedMemorySize) first, and its result is returned if it fails.
cudaError_t big_shared(std::size_t bytes, int opt_in_bytes, int* ran);

// cp.async by 32 threads, each into its own 16 bytes of two shared slots, from `src` (16 bytes per
// thread, device memory): group 1 copies all 16 bytes into slot 0, group 2 copies src_bytes of
// them into slot 1 (the rest zero-filled). out (8 words per thread, of 4 bytes): the first word of
// slot 0 before any wait, after wait_group 1, and of slot 1 after wait_group 1, after wait_group 0;
// then slot 1's four words after wait_group 0.
cudaError_t cp_async_groups(const std::uint32_t* src, int src_bytes, std::uint32_t* out);

// ldmatrix.x4 by one warp over `matrices` (4 x 8 x 8 16-bit elements, matrix q row r at element
// offset q * 8 * pitch + r * pitch, pitch a multiple of 8), copied into dynamic shared memory.
// out: 4 registers per lane (lane-major).
cudaError_t ldmatrix_x4(const std::uint16_t* matrices, int pitch, std::uint32_t* out);

// mma.m16n8k16 by one warp from per-lane fragments (a: 4 registers per lane, b: 2, d: 4, all
// lane-major; d is read as C and written as D). bf16 or f16 inputs.
cudaError_t mma_m16n8k16(bool bf16, const std::uint32_t* a, const std::uint32_t* b, float* d);

// wgmma.mma_async.m64n256k16 (tests/emu/wgmma_ptx.cuh) in one block of `warpgroups` warpgroups
// (block_threads threads; 0: 128 per warpgroup): warpgroup g computes rows 64g .. 64g + 63 of
// D (64 warpgroups x 256) = A B^T, with A (64 warpgroups x K) and B (256 x K) row-major bit
// patterns of bf16 or f16 and K = 16 k_steps. The block writes A and B into dynamic shared memory
// with st.shared.v4, K-major after the PTX ISA's canonical layout for the swizzle mode (B at a
// 1024-byte aligned offset 0, A after it: 32 KiB, so with 128-byte swizzle and K = 64 warpgroup 1's
// slice starts 8 KiB into A), fences them for the async proxy and waits at a barrier; each
// warpgroup then issues wgmma.fence and one wgmma per k16 step (the descriptors' start address
// advanced by 32 bytes within the swizzle row, or by two core matrices without swizzle), commits
// and waits (or commits and waits for all but one after every step), and writes its accumulators to
// d (row-major) by the PTX ISA's fragment layout.
enum class WgmmaSwizzle { none = 0, b128 = 1, b64 = 2, b32 = 3 };  // the descriptor's encoding
enum class WgmmaMisuse {
  none,
  no_wgmma_fence,                  // no wgmma.fence before the first wgmma
  no_proxy_fence,                  // no fence.proxy.async after st.shared.v4
  read_before_wait,                // d is written from the accumulators before wgmma.wait_group
  overwrite_before_wait,           // each warpgroup overwrites its A slice with a2 before the wait
  write_while_pending,             // an accumulator is written before the wait
  write_after_wait_without_fence,  // ... after the wait, then another wgmma without wgmma.fence
  no_wait,                         // returns with the wgmma committed but never waited for
  b_outside_shared,                // B's descriptor starts at the end of dynamic shared memory
  diverging_descriptor,            // one thread's B descriptor differs
  pattern_not_at_boundary,         // A's start 128 bytes into its swizzle pattern, base offset 0
  base_offset,                     // A's descriptor has base offset 1
};
struct WgmmaCase {
  WgmmaSwizzle swizzle = WgmmaSwizzle::b128;
  bool bf16 = true;
  int k_steps = 1;  // at most 4, 2, 1 with 128-, 64-, 32-byte swizzle (K within one swizzle row)
  int warpgroups = 1;
  bool commit_every_step = false;
  int block_threads = 0;
  WgmmaMisuse misuse = WgmmaMisuse::none;
};
cudaError_t wgmma_m64n256k16(const WgmmaCase& c, const std::uint16_t* a, const std::uint16_t* b,
                             const std::uint16_t* a2, float* d);

// One wgmma.mma_async.m64n256k16 by one warpgroup on the shared memory `image` (bytes, a multiple
// of 16; copied with st.shared.v4 and fenced) with the given descriptors, scale-d 0. d: 64 x 256,
// row-major, by the PTX ISA's fragment layout.
cudaError_t wgmma_on_image(const std::uint8_t* image, std::size_t bytes, bool bf16, std::uint64_t desc_a,
                           std::uint64_t desc_b, float* d);

// What would fault or be undefined on a GPU (each stops the run with a message).
void ldmatrix_in_a_partial_warp();          // a block of 16 threads
void cp_async_from_host_memory();           // src not from cudaMalloc
void store_beyond_dynamic_shared();         // st.shared.v4 past the end
void mma_after_a_lane_returned();

}  // namespace emu_fixture
