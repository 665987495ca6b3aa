// ProbeContext's pure parts: what the devices check says about a GPU that enumeration could not
// query or open, and what later checks say about a GPU whose CUDA context was lost. (Enumeration
// and the context probe themselves need a GPU: tests/gpu.)
#include <gtest/gtest.h>

#include "gpuprobe/probes/context.hpp"

namespace gpuprobe {
namespace {

TEST(DiagnoseGpuProblem, ExclusiveProcessOrProhibitedGpuIsBusyWithTheHostCommandsToFixIt) {
  const Finding f = diagnose_gpu_problem({3, "cudaSetDevice", 46, "cudaErrorDevicesUnavailable",
                                          "CUDA-capable device(s) is/are busy or unavailable"});
  EXPECT_EQ(f.status, Status::fail);
  EXPECT_EQ(f.reason, "gpu_busy");
  EXPECT_NE(f.message.find("GPU 3"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("exclusive-process"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("cudaSetDevice"), std::string::npos) << f.message;
  EXPECT_NE(f.hint.find("nvidia-smi -q -d COMPUTE"), std::string::npos) << f.hint;
  EXPECT_NE(f.hint.find("nvidia-smi -i 3 -c DEFAULT"), std::string::npos) << f.hint;
}

TEST(DiagnoseGpuProblem, AnyOtherErrorNamesTheCallAndTheError) {
  const Finding f = diagnose_gpu_problem({0, "cudaGetDeviceProperties", 999, "cudaErrorUnknown", "unknown error"});
  EXPECT_EQ(f.status, Status::fail);
  EXPECT_EQ(f.reason, "device_query");
  EXPECT_EQ(f.message, "GPU 0: cudaGetDeviceProperties failed: cudaErrorUnknown (999): unknown error");
  EXPECT_NE(f.hint.find("Xid"), std::string::npos) << f.hint;
}

TEST(LostContext, LaterChecksSayWhichCheckLostTheGpuAndWhy) {
  const Finding f = lost_context_finding("GPU 1 (NVIDIA H200)", {214, "cudaErrorECCUncorrectable", "memory"});
  EXPECT_EQ(f.status, Status::warn);
  EXPECT_EQ(f.reason, "context_lost");
  EXPECT_EQ(f.message,
            "GPU 1 (NVIDIA H200): not tested: its CUDA context has been lost since the memory check "
            "(cudaErrorECCUncorrectable, 214): every CUDA call on it fails until the process ends");
  EXPECT_NE(f.hint.find("see the memory check"), std::string::npos) << f.hint;
  EXPECT_NE(f.hint.find("Xid"), std::string::npos) << f.hint;
}

TEST(LostContext, NothingIsProbedOrLostWithoutEnumeratedGpus) {
  // This machine has no driver: the probe must not touch CUDA, and no GPU is ever lost.
  ProbeOptions opts;
  Report report;
  SharedReport shared(report);
  ProbeContext ctx(opts, SystemView::live(), shared);
  ctx.note_lost_contexts("kernel");
  EXPECT_EQ(ctx.lost_context(0), nullptr);
}

}  // namespace
}  // namespace gpuprobe
