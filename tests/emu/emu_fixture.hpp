// Kernels written in CUDA syntax for the emulator's own tests (test_cuda_emu.cpp): emu_fixture.cu
// goes through prepare_source.cmake like the kernels of kernels/src, so its launches and
// `extern __shared__` arrays exercise the rewriting too. Each function launches one kernel and
// returns cudaGetLastError().
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

// What would fault or be undefined on a GPU (each stops the run with a message).
void ldmatrix_in_a_partial_warp();          // a block of 16 threads
void cp_async_from_host_memory();           // src not from cudaMalloc
void store_beyond_dynamic_shared();         // st.shared.v4 past the end
void mma_after_a_lane_returned();

}  // namespace emu_fixture
