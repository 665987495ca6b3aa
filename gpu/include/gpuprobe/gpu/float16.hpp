// IEEE binary16 and bfloat16 on the host: what the GPU's 16-bit inputs and outputs are, as bits.
// Round to nearest even; NaN stays a quiet NaN.
#pragma once

#include <cstdint>

namespace gpuprobe {

std::uint16_t float_to_half(float f);
float half_to_float(std::uint16_t h);
std::uint16_t float_to_bf16(float f);
float bf16_to_float(std::uint16_t h);

}  // namespace gpuprobe
