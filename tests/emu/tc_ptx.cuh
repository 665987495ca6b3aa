// The emulation tests' stand-in for kernels/src/tc_ptx.cuh, found first on their include path
// (tests/emu/CMakeLists.txt): the same wrappers, names and signatures, implemented by cuda_emu
// after the PTX ISA's definitions (cuda_emu.hpp says how, and what that cannot show). Keep the two
// files in step.
#pragma once

#include <cstdint>
#include <type_traits>

#include "cuda_emu.hpp"

#define GPUPROBE_TC_PTX 1  // the kernel body is compiled: the emulator provides the instructions

namespace gpuprobe::kernels::tc_ptx {

inline std::uint32_t shared_address(const void* p) { return cuda_emu::shared_address(p); }

inline void cp_async_16(std::uint32_t dst, const void* src, int src_bytes) {
  cuda_emu::cp_async(dst, src, 16, src_bytes);
}
inline void cp_async_commit() { cuda_emu::cp_async_commit(); }
template <int N>
void cp_async_wait() {
  cuda_emu::cp_async_wait(N);
}

inline void st_shared_v4(std::uint32_t dst, std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  cuda_emu::st_shared_v4(dst, a, b, c, d);
}

inline void ldsm_x4(std::uint32_t (&r)[4], std::uint32_t addr) { cuda_emu::ldmatrix_x4(r, addr); }

template <class T>
void mma_16816(float (&d)[4], const std::uint32_t (&a)[4], const std::uint32_t (&b)[2]) {
  static_assert(std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>, "mma_16816: __half or __nv_bfloat16");
  cuda_emu::mma_m16n8k16(std::is_same_v<T, __nv_bfloat16> ? cuda_emu::MmaInput::bf16 : cuda_emu::MmaInput::f16, d, a,
                         b);
}

}  // namespace gpuprobe::kernels::tc_ptx
