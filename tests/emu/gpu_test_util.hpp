// The emulation tests' stand-in for tests/gpu/gpu_test_util.hpp, found first on their include path
// (tests/emu/CMakeLists.txt): the kernels run on the CPU through cuda_emu, so no test skips.
#pragma once

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#define GPUPROBE_REQUIRE_GPU() \
  do {                         \
  } while (0)
