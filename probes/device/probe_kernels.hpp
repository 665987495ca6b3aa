// Host API of the probes' device code (probe_kernels.cu). No CUDA types here: callers are .cpp.
// Every function selects `device`, runs on its own stream, synchronizes, and returns the CUDA
// error code (0 on success); the caller maps codes to diagnoses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gpuprobe::dev {

// Launches a one-thread kernel that writes a marker and reads it back. Returns the launch or
// synchronization error (e.g. cudaErrorNoKernelImageForDevice). *marker_ok tells whether the
// kernel really ran.
int launch_trivial(int device, bool* marker_ok);

// y[i] = fma(a, x[i], b) and h[i] = mix(i, seed): float FMA and integer ALU results that a CPU
// reproduces bit for bit.
int run_compute_kernel(int device, const std::vector<float>& x, float a, float b, std::uint32_t seed,
                       std::vector<float>& y, std::vector<std::uint32_t>& h);
std::uint32_t mix32(std::uint32_t i, std::uint32_t seed);  // the same function on the host

struct MemtestResult {
  std::size_t bytes_tested = 0;
  std::uint64_t errors = 0;                 // mismatching 32-bit words over all patterns
  std::vector<std::uint64_t> first_bad;     // byte offsets of up to 16 bad words
  std::vector<std::uint64_t> errors_by_pattern;  // one per pattern, in kMemtestPatterns order
  double seconds = 0;
  bool l2_flushed = false;  // a 2 x L2 scratch write separated each fill from its verify
};
inline constexpr const char* kMemtestPatterns[] = {"walking-ones", "walking-zeros", "random", "address"};
// Pattern test over `bytes` of device memory (allocated and freed here). cudaErrorMemoryAllocation
// is returned as is so the caller can retry smaller.
int memtest(int device, std::size_t bytes, std::uint32_t seed, MemtestResult& out);

}  // namespace gpuprobe::dev
