// Reproducible random inputs for benchmarks and tests. Element i of a buffer filled with seed s is a
// pure function of (s, i), computed with integer operations only, so the host regenerates exactly
// the values the GPU holds (no copy back, no rounding mismatch): every value is built from its bit
// pattern in the target type. Magnitudes lie in [0.5, 2) with a random sign and random mantissa
// bits, so sums cancel like random-sign data and no value is zero. Included by .cu and .cpp files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "gpuprobe/gpu/host_device.hpp"

namespace gpuprobe::kernels {

enum class Elem : int { f32 = 0, f16 = 1, bf16 = 2, e4m3 = 3 };
GPUPROBE_HD std::size_t elem_size(Elem t) { return t == Elem::f32 ? 4 : t == Elem::e4m3 ? 1 : 2; }

GPUPROBE_HD std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
GPUPROBE_HD std::uint64_t random_bits(std::uint64_t seed, std::uint64_t index) {
  return splitmix64(seed * 0xD1B54A32D192ED03ull + index);
}

// The bit pattern of element `index` in type t (low bits used for 1- and 2-byte types).
GPUPROBE_HD std::uint32_t random_pattern(Elem t, std::uint64_t seed, std::uint64_t index) {
  const std::uint64_t h = random_bits(seed, index);
  const std::uint32_t sign = static_cast<std::uint32_t>(h >> 63);
  const std::uint32_t e = static_cast<std::uint32_t>((h >> 62) & 1u);  // 2^-1 or 2^0
  switch (t) {
    case Elem::f32: return (sign << 31) | ((126u + e) << 23) | static_cast<std::uint32_t>(h & 0x7FFFFFu);
    case Elem::f16: return (sign << 15) | ((14u + e) << 10) | static_cast<std::uint32_t>(h & 0x3FFu);
    case Elem::bf16: return (sign << 15) | ((126u + e) << 7) | static_cast<std::uint32_t>(h & 0x7Fu);
    case Elem::e4m3: default: return (sign << 7) | ((6u + e) << 3) | static_cast<std::uint32_t>(h & 0x7u);
  }
}

// The value of a pattern produced above, exactly (only normal numbers occur).
GPUPROBE_HD float pattern_value(Elem t, std::uint32_t bits) {
  std::uint32_t f;
  switch (t) {
    case Elem::f32: f = bits; break;
    case Elem::bf16: f = bits << 16; break;
    case Elem::f16:
      f = ((bits & 0x8000u) << 16) | ((((bits >> 10) & 0x1Fu) - 15u + 127u) << 23) | ((bits & 0x3FFu) << 13);
      break;
    case Elem::e4m3: default:
      f = ((bits & 0x80u) << 24) | ((((bits >> 3) & 0xFu) - 7u + 127u) << 23) | ((bits & 0x7u) << 20);
      break;
  }
  float v;
  std::memcpy(&v, &f, sizeof v);
  return v;
}
GPUPROBE_HD float random_value(Elem t, std::uint64_t seed, std::uint64_t index) {
  return pattern_value(t, random_pattern(t, seed, index));
}

}  // namespace gpuprobe::kernels
