// Seeds and random inputs on the host: every run verifies on fresh data, so a fault that only some
// values expose is not hidden by always computing the same numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gpuprobe {

// A seed from the clock and std::random_device: different in every call.
std::uint64_t fresh_seed();
// n values uniform in [-1, 1), a pure function of `seed`.
std::vector<float> random_floats(std::size_t n, std::uint64_t seed);

}  // namespace gpuprobe
