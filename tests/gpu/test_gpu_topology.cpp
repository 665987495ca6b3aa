// The topology check on the real GPUs: never a failure on a healthy machine; on a one-GPU machine
// "one GPU: no pairs", on several every pair looked at; NVML's handle found for every GPU.
#include "gpu_test_util.hpp"
#include "gpuprobe/probes/check_table.hpp"
#include "gpuprobe/probes/context.hpp"

using namespace gpuprobe;

TEST(GpuTopology, PairsAndLinksOfTheRealGpus) {
  GPUPROBE_REQUIRE_GPU();
  SharedReport shared(Report{});
  ProbeContext ctx(ProbeOptions{}, SystemView::live(), shared);
  const CheckSpec* spec = nullptr;
  for (const auto& s : check_table())
    if (std::string(s.id) == "topology") spec = &s;
  ASSERT_NE(spec, nullptr);
  const CheckResult r = spec->fn(ctx);
  int n = 0;
  ASSERT_EQ(cudaGetDeviceCount(&n), cudaSuccess);
  EXPECT_NE(r.status, Status::fail) << r.message << " / " << r.hint;
  EXPECT_NE(r.status, Status::skip) << r.message;
  if (n == 1) {
    EXPECT_EQ(r.message.rfind("one GPU: no pairs", 0), 0u) << r.message;
  } else {
    const int pairs = n * (n - 1) / 2;
    EXPECT_NE(r.message.find(std::to_string(pairs) + (pairs == 1 ? " pair" : " pairs")), std::string::npos) << r.message;
  }
  ASSERT_TRUE(r.details.contains("gpus"));
  ASSERT_EQ(r.details["gpus"].size(), static_cast<std::size_t>(n));
  ASSERT_EQ(r.details["p2p"].size(), static_cast<std::size_t>(n * (n - 1) / 2));
  if (nvml_lib().usable()) {
    for (const auto& g : r.details["gpus"]) {
      EXPECT_EQ(g["nvml_handle"], "SUCCESS") << g.dump();
      EXPECT_TRUE(g.contains("nvlink_first_query")) << g.dump();
    }
  }
}
