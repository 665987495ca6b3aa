// How `gpuprobe burn`'s loads on a GPU (bench/src/gpu/burn_load.cpp) size their work: pure
// functions of the GPU's numbers, unit-tested without a GPU (tests/unit/test_burn_load.cpp).
#pragma once

#include <cstdint>
#include <string>

namespace gpuprobe::bench {

// Side of the square GEMMs of a GEMM load. Enough output tiles for several waves over every SM
// (a 128 x 256 tile per SM at a time, as cuBLAS's large tensor-core kernels use): 8192 on GPUs of
// 64 SMs or more, 4096 from 16 SMs, 2048 below. Halved while the load's buffers (`bytes_per_n2`
// bytes per n^2: operands, output and the reference copy of the output) would take more than half
// of `free_bytes` (the rest: library workspace, other processes); 0 when not even 1024 fits.
int burn_gemm_size(int sm_count, std::uint64_t free_bytes, std::uint64_t bytes_per_n2);

// How many runs of `seconds_per_run` fill one step of `step_seconds`: rounded to the nearest, at
// least 1, at most kBurnMaxRepeats (a non-positive or non-finite run time gives 1).
inline constexpr int kBurnMaxRepeats = 1024;
int burn_repeats(double step_seconds, double seconds_per_run);

// Elements (32-bit words) of each of the memory load's two buffers: together `fraction` of
// `free_bytes`, less a 256 MiB margin for the driver and libraries, rounded down to a multiple of
// 1 MiB of words; 0 when that leaves less than 64 MiB per buffer. A fraction outside (0, 1] is
// clamped into it.
std::uint64_t burn_memory_words(std::uint64_t free_bytes, double fraction);

// How a GEMM load checks its results, decided in prepare() from two runs on the same operands:
// the first checked by Freivalds against a float64 reference, the second compared with it bit for
// bit. Equal: bitwise (each step's outputs compared with the first on the device). Different but
// the second also passes Freivalds: the library's algorithm is not bitwise reproducible here, so
// every step is checked by Freivalds. The second failing Freivalds: a wrong result (the GPU errs).
enum class BurnCheck { bitwise, freivalds, wrong };
BurnCheck burn_check_mode(bool second_equals_first, bool second_passes_freivalds);

// What BurnStep::error says for a CUDA or library error `what`, given what the lost-context probe
// (gpu/lost_context.hpp) then returned for the GPU (`lost`: its cudaGetErrorName, empty when the
// context still works).
std::string burn_error_text(const std::string& what, const std::string& lost);

}  // namespace gpuprobe::bench
