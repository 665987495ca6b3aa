// ProbeContext's pure parts: what the devices check says about a GPU that enumeration could not
// query or open. (Enumeration itself needs a GPU: tests/gpu.)
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

}  // namespace
}  // namespace gpuprobe
