// GPUPROBE_HD: a function of a header that both nvcc (device and host code) and a plain C++
// compiler (host code, the CPU emulator of tests/emu) compile.
#pragma once

#if defined(__CUDACC__)
#define GPUPROBE_HD __host__ __device__ __forceinline__
#else
#define GPUPROBE_HD inline
#endif
