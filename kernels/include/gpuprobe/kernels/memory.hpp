// Memory-bound kernels (STREAM-like) and their verification. float4 loads and stores where the
// pointers are 16-byte aligned, scalar otherwise; grid-stride loops sized to the device. All
// asynchronous on `stream`; each returns the launch error.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace gpuprobe::kernels {

enum class StreamOp {
  copy,   // a[i] = b[i]                     (bytes moved: 8 per element)
  scale,  // a[i] = s * b[i]                 (8)
  triad,  // a[i] = fmaf(s, c[i], b[i])      (12)
};
inline constexpr StreamOp kStreamOps[] = {StreamOp::copy, StreamOp::scale, StreamOp::triad};
const char* to_string(StreamOp op);         // "copy", "scale", "triad"
int bytes_per_element(StreamOp op);         // reads + writes
cudaError_t stream_op(StreamOp op, std::size_t n, float* a, const float* b, const float* c, float s,
                      cudaStream_t stream);

// Read-only reduction: *sum = sum of x[0..n) (16 FP32 accumulators per thread, FP64 beyond).
// reduce_sum zeroes *sum first (on `stream`); reduce_sum_accumulate adds to it, so that a benchmark
// can zero it outside the timed region.
cudaError_t reduce_sum(std::size_t n, const float* x, double* sum, cudaStream_t stream);
cudaError_t reduce_sum_accumulate(std::size_t n, const float* x, double* sum, cudaStream_t stream);
// How far reduce_sum's result may lie from the exact sum of the n elements at x, launched on the
// current device, given their exact sum and sum of squares: FP32 rounding in each accumulator,
// bounded at 8 standard deviations of random rounding errors (partial sums grow like
// sqrt(terms) * rms for zero-mean data and like terms * mean otherwise). Well below one element's
// size for the benchmarks' and tests' data, so a lost or doubled element is caught.
double reduce_sum_tolerance(std::size_t n, const float* x, double sum, double sum_sq);

// Reads x[0..n) with ordinary (evict-normal) loads and writes nothing (*sink only if the data held
// an impossible value): a sweep over a buffer larger than L2 evicts whatever L2 held, writing back
// dirty lines during the sweep rather than during the next timed kernel. A memset flush would leave
// L2 full of dirty lines instead; cache-streaming loads (__ldcs) would evict only each other.
cudaError_t read_sweep(std::size_t n, const float* x, float* sink, cudaStream_t stream);

// Verification of stream_op when b and c were filled by fill_random(f32, seed_b / seed_c): counts
// the elements of a that differ from the expected value bit for bit, into *mismatches (zeroed here).
cudaError_t stream_verify(StreamOp op, std::size_t n, const float* a, std::uint64_t seed_b, std::uint64_t seed_c,
                          float s, unsigned long long* mismatches, cudaStream_t stream);
// Counts elements of x (n 32-bit words) whose bits differ from fill_random(f32, seed)'s.
cudaError_t count_pattern_mismatches(std::size_t n, const float* x, std::uint64_t seed,
                                     unsigned long long* mismatches, cudaStream_t stream);
// Counts the 32-bit words of x[0..n) whose bits differ from ref[0..n)'s, into *mismatches (zeroed
// here): the bitwise comparison of a recomputed result with a kept reference copy (any element type,
// its buffer seen as n words).
cudaError_t count_word_mismatches(std::size_t n, const void* x, const void* ref, unsigned long long* mismatches,
                                  cudaStream_t stream);

}  // namespace gpuprobe::kernels
