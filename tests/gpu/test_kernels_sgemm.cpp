// The FP32 GEMM ladder (kernels/src/matmul_simt.cu) against the float64 CPU reference: every kernel,
// odd and skinny sizes, operands misaligned for float4, and the argument checks. Inputs are filled on
// the device and regenerated on the host from the same (seed, index), C starts as NaN, and every
// element of C is checked, as are a few floats of guard around it.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gpu_test_util.hpp"
#include "gpuprobe/kernels/fill.hpp"
#include "gpuprobe/kernels/matmul.hpp"
#include "gpuprobe/kernels/random.hpp"
#include "gpuprobe/probes/cpu_reference.hpp"

namespace {

using gpuprobe::kernels::Elem;
using gpuprobe::kernels::Sgemm;

#define CUDA_OK(expr)                                                        \
  do {                                                                       \
    const cudaError_t e_ = (expr);                                           \
    ASSERT_EQ(e_, cudaSuccess) << #expr << ": " << cudaGetErrorName(e_);     \
  } while (0)

// One device allocation, freed on scope exit.
struct DeviceFloats {
  float* p = nullptr;
  explicit DeviceFloats(std::size_t n) {
    void* v = nullptr;
    if (cudaMalloc(&v, n * sizeof(float)) == cudaSuccess) p = static_cast<float*>(v);
  }
  ~DeviceFloats() { cudaFree(p); }
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
};

struct Stream {
  cudaStream_t s = nullptr;
  Stream() {
    if (cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) != cudaSuccess) s = nullptr;
  }
  ~Stream() {
    if (s) cudaStreamDestroy(s);
  }
};

struct Shape {
  int m, n, k;
};

std::string shape_name(const Shape& s) {
  return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k);
}

constexpr std::uint64_t kSeedA = 0x5A5A0001, kSeedB = 0x5A5A0002;
constexpr std::size_t kGuard = 64;  // poisoned floats after C that no kernel may touch

bool is_poison(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u == 0xFFFFFFFFu;
}

// Runs `kind` on s with A, B and C placed `offset` floats into their allocations (offset 1, 2 or 3
// makes every operand misaligned for float4), and checks every element of C against the float64
// reference with |c - ref| <= 1e-5 * sum|a*b| + 1e-6, and that the floats around C stay poisoned.
void check_sgemm(Sgemm kind, const Shape& s, std::size_t offset) {
  const std::size_t na = static_cast<std::size_t>(s.m) * s.k, nb = static_cast<std::size_t>(s.k) * s.n,
                    nc = static_cast<std::size_t>(s.m) * s.n;
  Stream stream;
  ASSERT_NE(stream.s, nullptr);
  DeviceFloats a(offset + na), b(offset + nb), c(offset + nc + kGuard);
  ASSERT_TRUE(a.p && b.p && c.p) << "cudaMalloc failed";
  float* const dA = a.p + offset;
  float* const dB = b.p + offset;
  float* const dC = c.p + offset;

  CUDA_OK(gpuprobe::kernels::fill_random(dA, na, Elem::f32, kSeedA, stream.s));
  CUDA_OK(gpuprobe::kernels::fill_random(dB, nb, Elem::f32, kSeedB, stream.s));
  CUDA_OK(gpuprobe::kernels::poison(c.p, (offset + nc + kGuard) * sizeof(float), stream.s));
  CUDA_OK(gpuprobe::kernels::sgemm(kind, s.m, s.n, s.k, dA, dB, dC, stream.s));
  std::vector<float> got(offset + nc + kGuard);
  CUDA_OK(cudaMemcpyAsync(got.data(), c.p, got.size() * sizeof(float), cudaMemcpyDeviceToHost, stream.s));
  CUDA_OK(cudaStreamSynchronize(stream.s));

  std::vector<float> ha(na), hb(nb);
  for (std::size_t i = 0; i < na; ++i) ha[i] = gpuprobe::kernels::random_value(Elem::f32, kSeedA, i);
  for (std::size_t i = 0; i < nb; ++i) hb[i] = gpuprobe::kernels::random_value(Elem::f32, kSeedB, i);
  std::vector<double> ref, abs_sum;
  gpuprobe::gemm_reference(s.m, s.n, s.k, ha, hb, ref, abs_sum);

  std::size_t bad = 0, first_bad = 0;
  for (std::size_t i = 0; i < nc; ++i) {
    const double v = got[offset + i];
    const double err = std::fabs(v - ref[i]);
    if (!(err <= 1e-5 * abs_sum[i] + 1e-6)) {  // NaN (an unwritten element) fails too
      if (bad == 0) first_bad = i;
      ++bad;
    }
  }
  EXPECT_EQ(bad, 0u) << to_string(kind) << " " << shape_name(s) << " offset " << offset << ": " << bad << " of "
                     << nc << " elements wrong; first at index " << first_bad << " (row "
                     << first_bad % static_cast<std::size_t>(s.m) << ", column "
                     << first_bad / static_cast<std::size_t>(s.m) << "): got " << got[offset + first_bad]
                     << ", expected " << ref[first_bad];

  std::size_t touched = 0;
  for (std::size_t i = 0; i < offset; ++i) touched += !is_poison(got[i]);
  for (std::size_t i = offset + nc; i < got.size(); ++i) touched += !is_poison(got[i]);
  EXPECT_EQ(touched, 0u) << to_string(kind) << " " << shape_name(s) << " wrote outside C";
}

// Odd sizes: none a multiple of any tile, k = 1, tiny, skinny, and a few whose m and k are multiples
// of 4 so the float4 paths run (with partial tiles and several k steps).
const Shape kShapes[] = {
    {1, 1, 1},     {7, 5, 3},     {127, 129, 65}, {130, 67, 257}, {257, 255, 33}, {64, 64, 64},
    {33, 65, 1},   {1000, 3, 17}, {3, 1000, 17},  {1, 300, 5},    {256, 260, 72}, {132, 68, 36},
};

class SgemmShapes : public ::testing::TestWithParam<std::tuple<Sgemm, Shape>> {};

TEST_P(SgemmShapes, MatchesFloat64Reference) {
  GPUPROBE_REQUIRE_GPU();
  check_sgemm(std::get<0>(GetParam()), std::get<1>(GetParam()), 0);
}

INSTANTIATE_TEST_SUITE_P(Kernels, SgemmShapes,
                         ::testing::Combine(::testing::ValuesIn(gpuprobe::kernels::kSgemmKernels),
                                            ::testing::ValuesIn(kShapes)),
                         [](const ::testing::TestParamInfo<SgemmShapes::ParamType>& info) {
                           return std::string(to_string(std::get<0>(info.param))) + "_" +
                                  shape_name(std::get<1>(info.param));
                         });

// Operands 1 float past a 16-byte boundary (the scalar paths) and 4 floats past (aligned again, but
// not at the start of the allocation), at sizes that would otherwise take the float4 paths.
class SgemmOffsets : public ::testing::TestWithParam<Sgemm> {};

TEST_P(SgemmOffsets, MisalignedOperandsTakeTheScalarPath) {
  GPUPROBE_REQUIRE_GPU();
  for (const Shape s : {Shape{128, 128, 128}, Shape{132, 68, 36}, Shape{64, 200, 20}}) {
    check_sgemm(GetParam(), s, 1);
    check_sgemm(GetParam(), s, 4);
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, SgemmOffsets, ::testing::ValuesIn(gpuprobe::kernels::kSgemmKernels),
                         [](const ::testing::TestParamInfo<Sgemm>& info) {
                           return std::string(to_string(info.param));
                         });

// The argument checks return before any CUDA call, so this runs with or without a GPU.
TEST(Sgemm, RejectsSizesBelowOne) {
  float x = 0;  // never dereferenced: the sizes are rejected first
  for (const Sgemm kind : gpuprobe::kernels::kSgemmKernels) {
    SCOPED_TRACE(to_string(kind));
    EXPECT_EQ(gpuprobe::kernels::sgemm(kind, 0, 4, 4, &x, &x, &x, nullptr), cudaErrorInvalidValue);
    EXPECT_EQ(gpuprobe::kernels::sgemm(kind, -3, 4, 4, &x, &x, &x, nullptr), cudaErrorInvalidValue);
    EXPECT_EQ(gpuprobe::kernels::sgemm(kind, 4, 0, 4, &x, &x, &x, nullptr), cudaErrorInvalidValue);
    EXPECT_EQ(gpuprobe::kernels::sgemm(kind, 4, 4, 0, &x, &x, &x, nullptr), cudaErrorInvalidValue);
    EXPECT_EQ(gpuprobe::kernels::sgemm(kind, 4, 4, 4, nullptr, &x, &x, nullptr), cudaErrorInvalidValue);
  }
}

TEST(Sgemm, Names) {
  EXPECT_STREQ(to_string(Sgemm::naive), "naive");
  EXPECT_STREQ(to_string(Sgemm::smem_tiled), "smem_tiled");
  EXPECT_STREQ(to_string(Sgemm::register_blocked), "register_blocked");
  EXPECT_STREQ(to_string(Sgemm::warp_tiled), "warp_tiled");
}

}  // namespace
