// The emulation tests' stand-in for kernels/src/wgmma_ptx.cuh, found first on their include path
// (tests/emu/CMakeLists.txt): the same wrappers, names and signatures, implemented by cuda_emu
// after the PTX ISA's definitions (cuda_emu.hpp says how, and what that cannot show). Keep the two
// files in step.
#pragma once

#include <cstdint>
#include <type_traits>

#include "cuda_emu.hpp"

// The kernel body is compiled: the emulator provides the instructions (they stop the run with a
// message on a device other than compute capability 9.0, where a GPU could not load the kernel).
#define GPUPROBE_WGMMA_PTX 1

namespace gpuprobe::kernels::wgmma_ptx {

inline void fence_proxy_async() { cuda_emu::fence_proxy_async(); }

// A compiler-only fence on the real GPU (no instruction); nothing to emulate.
template <int N>
void fence_operand(float (&)[N]) {}

inline void wgmma_fence() { cuda_emu::wgmma_fence(); }
inline void wgmma_commit() { cuda_emu::wgmma_commit(); }
template <int N>
void wgmma_wait() {
  static_assert(N >= 0, "wgmma_wait: N >= 0");
  cuda_emu::wgmma_wait(N);
}

template <class T>
void wgmma_m64n256k16(float (&d)[128], std::uint64_t desc_a, std::uint64_t desc_b, bool accumulate) {
  static_assert(std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>,
                "wgmma_m64n256k16: __half or __nv_bfloat16");
  cuda_emu::wgmma_m64n256k16(std::is_same_v<T, __nv_bfloat16> ? cuda_emu::MmaInput::bf16 : cuda_emu::MmaInput::f16, d,
                             desc_a, desc_b, accumulate);
}

}  // namespace gpuprobe::kernels::wgmma_ptx
