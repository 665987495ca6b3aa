// What probes/include/gpuprobe/probes/blas_dnn.hpp defines beside the cuBLAS, cuBLASLt and cuDNN
// tables: pure functions of those libraries' headers (structs and enums), tested without loading a
// library and without a GPU.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "gpuprobe/probes/blas_dnn.hpp"

namespace gpuprobe {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// ---- LibObject ---------------------------------------------------------------------------------

struct FakeObj {
  int id;
};
std::vector<int> g_destroyed;
int destroy_fake(FakeObj* o) {
  g_destroyed.push_back(o->id);
  return 0;
}
using FakeOwned = LibObject<FakeObj*, int>;

TEST(LibObject, DestroysWhatItOwnsOnce) {
  g_destroyed.clear();
  FakeObj a{1};
  {
    FakeOwned o(destroy_fake);
    EXPECT_EQ(o.get(), nullptr);
    *o.out() = &a;
    EXPECT_EQ(o.get(), &a);
  }
  EXPECT_EQ(g_destroyed, std::vector<int>{1});
}

TEST(LibObject, EmptyOrUnloadedDestroysNothing) {
  g_destroyed.clear();
  { FakeOwned empty(destroy_fake); }
  FakeObj a{1};
  {
    FakeOwned no_table(nullptr);  // the library never loaded: nothing was created either
    *no_table.out() = &a;
  }
  EXPECT_TRUE(g_destroyed.empty());
}

TEST(LibObject, OutAndResetFreeThePreviousObject) {
  g_destroyed.clear();
  FakeObj a{1}, b{2};
  FakeOwned o(destroy_fake);
  *o.out() = &a;
  *o.out() = &b;  // re-created: the first one is freed, not leaked
  EXPECT_EQ(g_destroyed, std::vector<int>{1});
  o.reset();
  EXPECT_EQ(g_destroyed, (std::vector<int>{1, 2}));
  EXPECT_EQ(o.get(), nullptr);
  o.reset();
  EXPECT_EQ(g_destroyed.size(), 2u);
}

// The situation of the review: a constructor that throws after creating a handle and descriptors
// (a Skip when cuBLASLt/cuDNN offers no algorithm). Members free them, descriptors before handle.
struct Holder {
  FakeOwned handle{destroy_fake};
  FakeOwned desc{destroy_fake};
  FakeObj h{1}, d{2};
  explicit Holder(bool fail) {
    *handle.out() = &h;
    *desc.out() = &d;
    if (fail) throw std::runtime_error("no algorithm");
  }
};

TEST(LibObject, ThrowingConstructorLeaksNothingAndKeepsTheOrder) {
  g_destroyed.clear();
  EXPECT_THROW(Holder(true), std::runtime_error);
  EXPECT_EQ(g_destroyed, (std::vector<int>{2, 1}));
  g_destroyed.clear();
  { Holder ok(false); }
  EXPECT_EQ(g_destroyed, (std::vector<int>{2, 1}));
}

// ---- cuDNN statuses and versions -----------------------------------------------------------------

TEST(CudnnRules, SubLibraryStatusesGetAHint) {
  EXPECT_TRUE(contains(cudnn_status_hint(CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED), "did not load"));
  EXPECT_TRUE(contains(cudnn_status_hint(CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED), "libcudnn_*.so.9"));
  EXPECT_TRUE(contains(cudnn_status_hint(CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH), "different versions"));
  EXPECT_FALSE(cudnn_status_hint(CUDNN_STATUS_NOT_INITIALIZED).empty());  // category 1000
  // What the 9.19 shim returns when libcudnn_cnn (or what it needs) is not found.
  EXPECT_TRUE(contains(cudnn_status_hint(CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE), "did not load"));
  for (int s : {0, 2000, 3000, 3002, 4000, 5000})
    EXPECT_EQ(cudnn_status_hint(static_cast<cudnnStatus_t>(s)), "") << s;
}

TEST(CudnnRules, VersionsOfBothFormulas) {
  EXPECT_EQ(cudnn_version_string(91900), "9.19.0");
  EXPECT_EQ(cudnn_version_string(90100), "9.1.0");
  EXPECT_EQ(cudnn_version_string(8907), "8.9.7");  // cuDNN 8: major*1000 + minor*100 + patch
  EXPECT_EQ(cudnn_version_string(100203), "10.2.3");
  EXPECT_EQ(cudnn_major_problem(91900), "");
  EXPECT_EQ(cudnn_major_problem(90000), "");
  const std::string eight = cudnn_major_problem(8907);
  EXPECT_TRUE(contains(eight, "cuDNN 8.9.7")) << eight;
  EXPECT_TRUE(contains(eight, "built for cuDNN 9")) << eight;
  EXPECT_FALSE(cudnn_major_problem(100000).empty());
}

}  // namespace
}  // namespace gpuprobe
