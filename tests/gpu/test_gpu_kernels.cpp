// The probes' device code against the CPU, at sizes that are not multiples of any block size.
#include <cmath>
#include <cstring>

#include "gpu_test_util.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "probe_kernels.hpp"

using namespace gpuprobe;

TEST(GpuKernels, TrivialKernelRunsAndWritesMarker) {
  GPUPROBE_REQUIRE_GPU();
  bool marker = false;
  EXPECT_EQ(dev::launch_trivial(0, &marker), 0);
  EXPECT_TRUE(marker);
}

TEST(GpuKernels, ComputeKernelBitExactAtOddSizes) {
  GPUPROBE_REQUIRE_GPU();
  for (std::size_t n : {1u, 255u, 257u, 100003u}) {
    const auto x = random_floats(n, 1234 + n);
    std::vector<float> y;
    std::vector<std::uint32_t> h;
    ASSERT_EQ(dev::run_compute_kernel(0, x, 1.75f, -0.25f, 99, y, h), 0);
    ASSERT_EQ(y.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      const float want = std::fma(1.75f, x[i], -0.25f);
      ASSERT_EQ(std::memcmp(&want, &y[i], 4), 0) << "n=" << n << " i=" << i;
      ASSERT_EQ(h[i], dev::mix32(static_cast<std::uint32_t>(i), 99)) << "n=" << n << " i=" << i;
    }
  }
}

TEST(GpuKernels, MemtestFindsNoErrorsOnHealthyMemoryAndCountsEveryPattern) {
  GPUPROBE_REQUIRE_GPU();
  dev::MemtestResult r;
  ASSERT_EQ(dev::memtest(0, (64u << 20) + 48, 7, r), 0);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.bytes_tested, (64u << 20) + 48);
  EXPECT_EQ(r.errors_by_pattern.size(), 4u);
  EXPECT_TRUE(r.first_bad.empty());
}

TEST(GpuKernels, MemtestRejectsEmptyBuffer) {
  GPUPROBE_REQUIRE_GPU();
  dev::MemtestResult r;
  EXPECT_NE(dev::memtest(0, 8, 7, r), 0);  // less than one uint4
}
