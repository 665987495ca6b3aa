// Compatibility knowledge: driver vs runtime, architecture lists vs devices, PCIe link bandwidth.
#include <gtest/gtest.h>

#include "gpuprobe/probes/compat.hpp"

#include "test_util.hpp"

namespace gpuprobe {
namespace {

using test_util::contains;

// ---- driver vs runtime ---------------------------------------------------------------------------

TEST(AssessDriverRuntime, SameVersionPasses) {
  const auto a = assess_driver_runtime(13000, 13000, "580.65.06");
  EXPECT_EQ(a.status, Status::pass);
  EXPECT_EQ(a.reason, "");
  EXPECT_TRUE(contains(a.message, "580.65.06")) << a.message;
  EXPECT_TRUE(contains(a.message, "13.0")) << a.message;
  EXPECT_EQ(a.hint, "");
}

TEST(AssessDriverRuntime, NewerDriverPasses) {
  const auto a = assess_driver_runtime(13000, 12080, "580.65.06");
  EXPECT_EQ(a.status, Status::pass);
}

TEST(AssessDriverRuntime, OlderMajorFails) {
  const auto a = assess_driver_runtime(12040, 13000, "550.54.14");
  EXPECT_EQ(a.status, Status::fail);
  EXPECT_EQ(a.reason, "driver_too_old");
  EXPECT_TRUE(contains(a.message, "550.54.14")) << a.message;
  EXPECT_TRUE(contains(a.hint, "branch 580")) << a.hint;
  EXPECT_TRUE(contains(a.hint, "12.4.1")) << a.hint;
}

TEST(AssessDriverRuntime, RealDriversOfDebianAgainstCuda13) {
  // What NVIDIA's libcuda of each branch answers to cuDriverGetVersion.
  const auto a535 = assess_driver_runtime(12020, 13000, "535.261.03");
  EXPECT_EQ(a535.reason, "driver_too_old");
  EXPECT_EQ(a535.message, "driver 535.261.03 supports CUDA 12.2, too old for this binary's CUDA runtime 13.0 (CUDA "
                          "reports this as error 35, 'driver version is insufficient')");
  EXPECT_TRUE(contains(a535.hint, "branch 580 or newer")) << a535.hint;
  EXPECT_TRUE(contains(a535.hint, "nvidia/cuda:12.2.2-")) << a535.hint;
  const auto a470 = assess_driver_runtime(11040, 13000, "470.256.02");
  EXPECT_EQ(a470.reason, "driver_too_old");
  EXPECT_TRUE(contains(a470.hint, "nvidia/cuda:11.4.3-")) << a470.hint;
  const auto a580 = assess_driver_runtime(13000, 13000, "580.65.06");
  EXPECT_EQ(a580.status, Status::pass);
  EXPECT_EQ(a580.message, "driver 580.65.06 supports CUDA 13.0; this binary uses CUDA runtime 13.0");
}

TEST(AssessDriverRuntime, UnknownMajorHintNamesCudaVersion) {
  const auto a = assess_driver_runtime(13000, 14000, "");
  EXPECT_EQ(a.status, Status::fail);
  EXPECT_EQ(a.reason, "driver_too_old");
  EXPECT_TRUE(contains(a.hint, "14.0")) << a.hint;
  EXPECT_EQ(a.message.rfind("the driver supports CUDA 13.0, too old", 0), 0u) << a.message;
}

TEST(AssessDriverRuntime, OlderMinorWarns) {
  const auto a = assess_driver_runtime(13000, 13010, "580.65.06");
  EXPECT_EQ(a.status, Status::warn);
  EXPECT_EQ(a.reason, "minor_version_compat");
  EXPECT_TRUE(contains(a.message, "13.1")) << a.message;
  EXPECT_FALSE(a.hint.empty());
}

TEST(AssessDriverRuntime, MinorWarnHintNamesGaDriverWhenKnown) {
  const auto a = assess_driver_runtime(12040, 12080, "550.54.14");
  EXPECT_EQ(a.status, Status::warn);
  EXPECT_TRUE(contains(a.hint, "570.26")) << a.hint;
}

TEST(CompatTables, GaDriver) {
  EXPECT_EQ(ga_driver_for_cuda(13000), "580.65.06");
  EXPECT_EQ(ga_driver_for_cuda(12080), "570.26");
  EXPECT_EQ(ga_driver_for_cuda(11000), "450.36.06");
  EXPECT_EQ(ga_driver_for_cuda(12070), "");  // there was no CUDA 12.7
  EXPECT_EQ(ga_driver_for_cuda(0), "");
}

TEST(CompatTables, ImageVersionForDriver) {
  EXPECT_EQ(image_version_for_driver(12050), "12.5.1");
  EXPECT_EQ(image_version_for_driver(11000), "11.0.3");
  EXPECT_EQ(image_version_for_driver(12040), "12.4.1");
  EXPECT_EQ(image_version_for_driver(13000), "13.0.2");
  EXPECT_EQ(image_version_for_driver(13020), "13.0.2");  // newest known line
  EXPECT_EQ(image_version_for_driver(12070), "12.6.3");  // between lines: the older one
  EXPECT_EQ(image_version_for_driver(10020), "");
  EXPECT_EQ(image_version_for_driver(0), "");
}

TEST(CompatTables, MinDriverBranch) {
  EXPECT_EQ(min_driver_branch_for_major(13), 580);
  EXPECT_EQ(min_driver_branch_for_major(12), 525);
  EXPECT_EQ(min_driver_branch_for_major(11), 450);
  EXPECT_FALSE(min_driver_branch_for_major(10).has_value());
}

TEST(CompatTables, MinCcForCudaMajor) {
  EXPECT_EQ(min_cc_for_cuda_major(13), 75);
  EXPECT_EQ(min_cc_for_cuda_major(14), 75);
  EXPECT_EQ(min_cc_for_cuda_major(12), 50);
  EXPECT_EQ(min_cc_for_cuda_major(11), 35);
}

TEST(CompatTables, GpusOfCc) {
  EXPECT_EQ(gpus_of_cc(7, 0), "V100 (p3)");
  EXPECT_EQ(gpus_of_cc(8, 6), "A10G (g5)");
  EXPECT_EQ(gpus_of_cc(1, 0), "");
}

// ---- architectures -------------------------------------------------------------------------------

TEST(ParseArchList, RealAndPlain) {
  const auto l = parse_arch_list("75-real;90");
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].sm, 75);
  EXPECT_EQ((*l)[0].suffix, 0);
  EXPECT_TRUE((*l)[0].sass);
  EXPECT_FALSE((*l)[0].ptx);
  EXPECT_EQ((*l)[1].sm, 90);
  EXPECT_TRUE((*l)[1].sass);
  EXPECT_TRUE((*l)[1].ptx);
}

TEST(ParseArchList, SuffixesAndCommas) {
  const auto l = parse_arch_list("90a-real,100f");
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].sm, 90);
  EXPECT_EQ((*l)[0].suffix, 'a');
  EXPECT_TRUE((*l)[0].sass);
  EXPECT_FALSE((*l)[0].ptx);
  EXPECT_EQ((*l)[1].sm, 100);
  EXPECT_EQ((*l)[1].suffix, 'f');
  EXPECT_TRUE((*l)[1].sass);
  EXPECT_TRUE((*l)[1].ptx);
}

TEST(ParseArchList, RealAndVirtualOfSameArchMerge) {
  const auto l = parse_arch_list(" 80-real ; 80-virtual ");
  ASSERT_TRUE(l.has_value());
  ASSERT_EQ(l->size(), 1u);
  EXPECT_TRUE((*l)[0].sass);
  EXPECT_TRUE((*l)[0].ptx);
}

TEST(ParseArchList, SymbolicOrBadIsNullopt) {
  for (const char* s : {"all", "native", "", "90-foo", "all-major", ";", "sm_90", "75-real;native"}) {
    SCOPED_TRACE(s);
    EXPECT_FALSE(parse_arch_list(s).has_value());
  }
}

std::vector<ArchEntry> archs(const std::string& s) {
  auto l = parse_arch_list(s);
  if (!l) ADD_FAILURE() << "cannot parse " << s;
  return l.value_or(std::vector<ArchEntry>{});
}

TEST(AssessArch, Table) {
  struct Case { int major, minor; const char* list; ArchSupport support; int via; };
  const Case cases[] = {
      {7, 5, "75-real;90", ArchSupport::sass_exact, 75},
      {9, 0, "75-real;90", ArchSupport::sass_exact, 90},
      {8, 6, "80-real", ArchSupport::sass_compatible, 80},
      {8, 6, "75-real;80-real;86-real", ArchSupport::sass_exact, 86},
      {8, 9, "80-real;86-real", ArchSupport::sass_compatible, 86},
      {9, 0, "90a-real", ArchSupport::sass_exact, 90},
      {10, 0, "90a-real", ArchSupport::none, 0},
      {10, 0, "90", ArchSupport::ptx_jit, 90},
      {10, 0, "75-real;90", ArchSupport::ptx_jit, 90},
      {8, 6, "90", ArchSupport::none, 0},
      {9, 0, "80-virtual", ArchSupport::ptx_jit, 80},
      {10, 3, "100f", ArchSupport::sass_compatible, 100},
      {10, 0, "90a", ArchSupport::none, 0},  // arch-specific PTX is not JIT-able elsewhere
      {12, 0, "75;80-real", ArchSupport::ptx_jit, 75},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.major) + "." + std::to_string(c.minor) + " with " + c.list);
    const ArchAssessment a = assess_arch(c.major, c.minor, archs(c.list));
    EXPECT_EQ(a.support, c.support);
    EXPECT_EQ(a.via_sm, c.via);
  }
}

TEST(AssessArch, ArchSpecificSassNotCompatibleWithinMajor) {
  // sm_90a SASS runs on 9.0 only; a hypothetical 9.x device would not use it.
  const ArchAssessment a = assess_arch(9, 5, archs("90a-real"));
  EXPECT_EQ(a.support, ArchSupport::none);
}

TEST(DescribeArchs, Formats) {
  EXPECT_EQ(describe_archs(archs("75-real;90")), "SASS sm_75, sm_90 + PTX compute_90");
  EXPECT_EQ(describe_archs(archs("90a-real,100f")), "SASS sm_90a, sm_100f + PTX compute_100f");
  EXPECT_EQ(describe_archs(archs("80-virtual")), "no SASS + PTX compute_80");
  EXPECT_EQ(describe_archs({}), "no SASS");
}

// ---- PCIe ----------------------------------------------------------------------------------------

TEST(PcieLinkGbps, ByGeneration) {
  EXPECT_NEAR(pcie_link_gbps(4, 16), 31.5, 0.05);
  EXPECT_NEAR(pcie_link_gbps(5, 16), 63.0, 0.05);
  EXPECT_NEAR(pcie_link_gbps(3, 16), 15.75, 0.05);
  EXPECT_NEAR(pcie_link_gbps(1, 16), 4.0, 1e-9);
  EXPECT_NEAR(pcie_link_gbps(2, 16), 8.0, 1e-9);
  EXPECT_NEAR(pcie_link_gbps(4, 8), pcie_link_gbps(4, 16) / 2, 1e-9);
  EXPECT_EQ(pcie_link_gbps(0, 16), 0.0);
  EXPECT_EQ(pcie_link_gbps(7, 16), 0.0);
  EXPECT_EQ(pcie_link_gbps(4, 0), 0.0);
}

}  // namespace
}  // namespace gpuprobe
