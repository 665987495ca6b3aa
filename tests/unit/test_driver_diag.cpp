// Why the driver stack reaches no GPU, on fake roots: the kernel module, its device nodes, the
// container's NVIDIA_DRIVER_CAPABILITIES, a partly mounted driver; and the driver version read from
// a library's file name. (What NVIDIA's real libraries answer here is in tests/cli.)
#include <gtest/gtest.h>

#include "fake_root.hpp"

#include <string>

#include "gpuprobe/probes/context.hpp"
#include "test_util.hpp"

namespace gpuprobe {
namespace {

using gpuprobe::testing::FakeRoot;
using test_util::contains;

constexpr const char* kProcVersion =
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.261.03  Wed Jun  4 18:51:51 UTC 2025\n"
    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";

void load_module(const FakeRoot& root) { root.write("/proc/driver/nvidia/version", kProcVersion); }
void make_nodes(const FakeRoot& root) {
  root.write("/dev/nvidiactl");
  root.write("/dev/nvidia0");
  root.write("/dev/nvidia-uvm");
}
void make_container(const FakeRoot& root) { root.write("/.dockerenv"); }

const std::string kSymptom = "driver library 535.261.03 (CUDA 12.2) loads but sees no GPU";

// ---- the driver version in a library's file name ---------------------------------------------------

TEST(DriverVersionFromLibraryFile, FollowsTheSonameLinkToTheVersionedFile) {
  FakeRoot root;
  root.write("/lib/libcuda.so.535.261.03", "elf");
  root.symlink("libcuda.so.535.261.03", "/lib/libcuda.so.1");
  root.write("/lib/libnvidia-ml.so.570.26", "elf");
  root.symlink("libnvidia-ml.so.570.26", "/lib/libnvidia-ml.so.1");
  EXPECT_EQ(driver_version_from_library_file(root.host("/lib/libcuda.so.1").string()), "535.261.03");
  EXPECT_EQ(driver_version_from_library_file(root.host("/lib/libnvidia-ml.so.1").string()), "570.26");
}

TEST(DriverVersionFromLibraryFile, NamesWithoutADriverVersionGiveNothing) {
  FakeRoot root;
  root.write("/wsl/libcuda.so.1", "elf");           // WSL's: a real file named by its soname
  root.write("/cuda/lib64/stubs/libcuda.so", "elf");  // the toolkit's link stub
  root.write("/lib/libcudart.so.13.0.96", "elf");   // not a driver library
  EXPECT_EQ(driver_version_from_library_file(root.host("/wsl/libcuda.so.1").string()), "");
  EXPECT_EQ(driver_version_from_library_file(root.host("/cuda/lib64/stubs/libcuda.so").string()), "");
  EXPECT_EQ(driver_version_from_library_file(root.host("/lib/libcudart.so.13.0.96").string()), "");
  EXPECT_EQ(driver_version_from_library_file(""), "");
}

TEST(DriverVersionFromLibraryFile, APathThatNoLongerResolvesIsReadAsWritten) {
  EXPECT_EQ(driver_version_from_library_file("/gone/libcuda.so.550.163.01"), "550.163.01");
}

// ---- the kernel side ---------------------------------------------------------------------------------

TEST(KernelDriverView, ReadsModuleNodesAndContainer) {
  FakeRoot root;
  EXPECT_FALSE(read_kernel_driver_view(root.view()).module_loaded);
  load_module(root);
  make_nodes(root);
  make_container(root);
  const KernelDriverView k = read_kernel_driver_view(root.view());
  EXPECT_TRUE(k.module_loaded);
  EXPECT_EQ(k.module_version, "535.261.03");
  EXPECT_TRUE(k.has_control_node());
  EXPECT_TRUE(k.has_gpu_node());
  EXPECT_TRUE(k.in_container);
  EXPECT_TRUE(k.complete());
}

TEST(KernelDriverView, ControlNodesAloneAreNoGpuNode) {
  KernelDriverView k;
  k.module_loaded = true;
  k.device_nodes = {"/dev/nvidia-caps", "/dev/nvidia-uvm", "/dev/nvidiactl"};
  EXPECT_TRUE(k.has_control_node());
  EXPECT_FALSE(k.has_gpu_node());
  EXPECT_FALSE(k.complete());
  k.device_nodes.push_back("/dev/nvidia3");
  EXPECT_TRUE(k.complete());
}

// ---- a driver library that loads but reaches no GPU ----------------------------------------------------

TEST(NoGpuBehindDriver, HostWithoutKernelModuleSaysModprobeDkmsAndSecureBoot) {
  FakeRoot root;
  const Finding f = diagnose_no_gpu_behind_driver(root.view(), kSymptom, "535.261.03", false);
  EXPECT_EQ(f.status, Status::fail);
  EXPECT_EQ(f.reason, "kernel_module_missing");
  EXPECT_EQ(f.message, kSymptom + ": the NVIDIA kernel module is not loaded (no /proc/driver/nvidia)");
  EXPECT_TRUE(contains(f.hint, "sudo modprobe nvidia")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "dkms status")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "matching the user-space libraries (535.261.03)")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "mokutil --sb-state")) << f.hint;
  EXPECT_FALSE(contains(f.hint, "container")) << f.hint;
}

TEST(NoGpuBehindDriver, ContainerWithoutKernelModuleSendsTheUserToTheHost) {
  FakeRoot root;
  make_container(root);
  const Finding f = diagnose_no_gpu_behind_driver(root.view(), kSymptom, "535.261.03", false);
  EXPECT_EQ(f.reason, "kernel_module_missing");
  EXPECT_EQ(f.message, kSymptom + ": the host has no NVIDIA kernel module loaded (no /proc/driver/nvidia in this "
                                  "container)");
  EXPECT_TRUE(contains(f.hint, "nvidia-smi on the host must list the GPU")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "recreate this container with --gpus all")) << f.hint;
  EXPECT_FALSE(contains(f.hint, "dkms")) << f.hint;  // nothing to build inside the container
}

TEST(NoGpuBehindDriver, ContainerWithModuleButNoNodesWasNotGivenTheGpus) {
  FakeRoot root;
  make_container(root);
  load_module(root);
  const Finding f = diagnose_no_gpu_behind_driver(root.view(), kSymptom, "535.261.03", false);
  EXPECT_EQ(f.reason, "device_nodes_missing");
  EXPECT_EQ(f.message, kSymptom + ": the driver's libraries are here but the GPU device nodes were not passed in "
                                  "(no /dev/nvidiactl, no /dev/nvidia<N>)");
  EXPECT_TRUE(contains(f.hint, "--gpus all (NVIDIA Container Toolkit)")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "do not mount driver libraries by hand")) << f.hint;
  EXPECT_FALSE(contains(f.hint, "NVIDIA_VISIBLE_DEVICES")) << f.hint;
}

TEST(NoGpuBehindDriver, ContainerAskedForNoGpuNamesTheVariable) {
  FakeRoot root;
  make_container(root);
  load_module(root);
  root.write("/dev/nvidiactl");
  const Finding f = diagnose_no_gpu_behind_driver(root.view({{"NVIDIA_VISIBLE_DEVICES", "void"}}), kSymptom, "", false);
  EXPECT_EQ(f.reason, "device_nodes_missing");
  EXPECT_TRUE(contains(f.message, "(no /dev/nvidia<N>)")) << f.message;
  EXPECT_TRUE(contains(f.hint, "NVIDIA_VISIBLE_DEVICES=void asks the toolkit for no GPU")) << f.hint;
}

TEST(NoGpuBehindDriver, HostWithModuleButNoNodesCreatesThem) {
  FakeRoot root;
  load_module(root);
  const Finding f = diagnose_no_gpu_behind_driver(root.view(), kSymptom, "535.261.03", false);
  EXPECT_EQ(f.reason, "device_nodes_missing");
  EXPECT_EQ(f.message, kSymptom + ": the NVIDIA kernel module 535.261.03 is loaded but its device nodes do not "
                                  "exist (no /dev/nvidiactl, no /dev/nvidia<N>)");
  EXPECT_TRUE(contains(f.hint, "sudo nvidia-modprobe -u -c=0")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "nvidia-smi once as root")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "udev")) << f.hint;
  EXPECT_FALSE(contains(f.hint, "--gpus")) << f.hint;
}

TEST(NoGpuBehindDriver, ModuleAndNodesPresentMeansTheGpusAreHidden) {
  FakeRoot root;
  make_container(root);
  load_module(root);
  make_nodes(root);
  const Finding f = diagnose_no_gpu_behind_driver(root.view(), kSymptom, "535.261.03", false);
  EXPECT_EQ(f.reason, "no_device");
  EXPECT_EQ(f.message, kSymptom);
  EXPECT_TRUE(contains(f.hint, "--gpus all")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "MIG")) << f.hint;
  const Finding cvd = diagnose_no_gpu_behind_driver(root.view({{"CUDA_VISIBLE_DEVICES", "7"}}), kSymptom, "", false);
  EXPECT_TRUE(contains(cvd.hint, "CUDA_VISIBLE_DEVICES='7' may hide every GPU")) << cvd.hint;
  const Finding none =
      diagnose_no_gpu_behind_driver(root.view({{"NVIDIA_VISIBLE_DEVICES", "none"}}), kSymptom, "", false);
  EXPECT_TRUE(contains(none.hint, "NVIDIA_VISIBLE_DEVICES=none")) << none.hint;
}

TEST(NoGpuBehindDriver, HostWithModuleAndNodesDoesNotTalkOfContainers) {
  FakeRoot root;
  load_module(root);
  make_nodes(root);
  const Finding f = diagnose_no_gpu_behind_driver(root.view(), kSymptom, "535.261.03", false);
  EXPECT_EQ(f.reason, "no_device");
  EXPECT_FALSE(contains(f.hint, "container")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "nvidia-smi must list the GPU")) << f.hint;
}

TEST(NoGpuBehindDriver, AWorkingNvmlOutweighsWhatProcAndDevShow) {
  FakeRoot root;  // no module, no nodes in this view
  const Finding f = diagnose_no_gpu_behind_driver(root.view(), kSymptom, "535.261.03", true);
  EXPECT_EQ(f.reason, "no_device");
}

// ---- libcuda.so.1 does not load ------------------------------------------------------------------------

TEST(CapabilitiesIncludeCompute, DefaultAllAndLists) {
  EXPECT_TRUE(capabilities_include_compute(std::nullopt));
  EXPECT_TRUE(capabilities_include_compute(""));  // the toolkit's default: utility,compute
  EXPECT_TRUE(capabilities_include_compute("all"));
  EXPECT_TRUE(capabilities_include_compute("compute,utility"));
  EXPECT_TRUE(capabilities_include_compute(" utility , compute "));
  EXPECT_FALSE(capabilities_include_compute("utility"));
  EXPECT_FALSE(capabilities_include_compute("graphics,video,display"));
  EXPECT_FALSE(capabilities_include_compute("compat32"));
}

TEST(MissingLibcuda, NvmlWithoutComputeCapabilityNamesTheVariable) {
  FakeRoot root;
  make_container(root);
  const Finding f = diagnose_missing_libcuda(root.view({{"NVIDIA_DRIVER_CAPABILITIES", "utility"}}),
                                             "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "535.261.03");
  EXPECT_EQ(f.status, Status::fail);
  EXPECT_EQ(f.reason, "capabilities_no_compute");
  EXPECT_EQ(f.message, "nvidia-smi's library (NVML) is mounted but libcuda.so.1 is not: "
                       "NVIDIA_DRIVER_CAPABILITIES=utility leaves out compute");
  EXPECT_TRUE(contains(f.hint, "-e NVIDIA_DRIVER_CAPABILITIES=compute,utility")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "--gpus 'all,\"capabilities=compute,utility\"'")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "capabilities: [gpu, compute, utility]")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "Kubernetes")) << f.hint;
}

TEST(MissingLibcuda, DeviceNodesWithoutComputeCapabilityNameTheVariableToo) {
  FakeRoot root;
  make_container(root);
  make_nodes(root);
  const Finding f = diagnose_missing_libcuda(root.view({{"NVIDIA_DRIVER_CAPABILITIES", "graphics,video"}}), "", "");
  EXPECT_EQ(f.reason, "capabilities_no_compute");
  EXPECT_EQ(f.message, "/dev/nvidia* exists but libcuda.so.1 is not mounted: NVIDIA_DRIVER_CAPABILITIES=graphics,video "
                       "leaves out compute");
}

TEST(MissingLibcuda, NvmlWithComputeAllowedIsAPartlyMountedDriver) {
  FakeRoot root;
  make_container(root);
  for (const char* caps : {"compute,utility", "all"}) {
    const Finding f = diagnose_missing_libcuda(root.view({{"NVIDIA_DRIVER_CAPABILITIES", caps}}),
                                               "/usr/lib/libnvidia-ml.so.1", "535.261.03");
    EXPECT_EQ(f.reason, "no_driver") << caps;
    EXPECT_EQ(f.message, "the NVIDIA driver's libraries are only partly here: libcuda.so.1 is missing while "
                         "libnvidia-ml.so.1 (/usr/lib/libnvidia-ml.so.1, driver 535.261.03) loads");
    EXPECT_TRUE(contains(f.hint, "--gpus all through the NVIDIA Container Toolkit")) << f.hint;
    EXPECT_TRUE(contains(f.hint, "do not mount driver libraries by hand")) << f.hint;
  }
}

TEST(MissingLibcuda, NvmlAloneOnAHostIsAnIncompleteInstallation) {
  FakeRoot root;
  const Finding f = diagnose_missing_libcuda(root.view(), "/usr/lib/libnvidia-ml.so.1", "535.261.03");
  EXPECT_EQ(f.reason, "no_driver");
  EXPECT_EQ(f.message, "the NVIDIA driver's libraries are only partly installed: libcuda.so.1 is missing while "
                       "libnvidia-ml.so.1 (/usr/lib/libnvidia-ml.so.1, driver 535.261.03) loads");
  EXPECT_TRUE(contains(f.hint, "same driver version 535.261.03")) << f.hint;
  EXPECT_TRUE(contains(f.hint, "libcuda1")) << f.hint;
  EXPECT_FALSE(contains(f.hint, "container")) << f.hint;
}

TEST(MissingLibcuda, CapabilitiesDoNotMatterWhenNothingOfTheDriverIsHere) {
  FakeRoot root;
  make_container(root);
  const Finding f = diagnose_missing_libcuda(root.view({{"NVIDIA_DRIVER_CAPABILITIES", "utility"}}), "", "");
  EXPECT_EQ(f.reason, "no_driver");
  EXPECT_TRUE(contains(f.message, "no NVIDIA driver library in this container")) << f.message;
  EXPECT_TRUE(contains(f.hint, "error 35")) << f.hint;
}

TEST(MissingLibcuda, DeviceNodesWithoutLibrariesAreWordedForContainerOrHost) {
  FakeRoot container;
  make_container(container);
  make_nodes(container);
  const Finding c = diagnose_missing_libcuda(container.view(), "", "");
  EXPECT_EQ(c.reason, "no_driver");
  EXPECT_TRUE(contains(c.hint, "--gpus all")) << c.hint;
  FakeRoot host;
  load_module(host);
  make_nodes(host);
  const Finding h = diagnose_missing_libcuda(host.view(), "", "");
  EXPECT_EQ(h.reason, "no_driver");
  EXPECT_EQ(h.message, "/dev/nvidia* exists but the driver library libcuda.so.1 does not load");
  EXPECT_TRUE(contains(h.hint, "match the kernel module 535.261.03")) << h.hint;
  EXPECT_FALSE(contains(h.hint, "--gpus")) << h.hint;
}

TEST(MissingLibcuda, NothingOnAHost) {
  FakeRoot root;
  const Finding f = diagnose_missing_libcuda(root.view(), "", "");
  EXPECT_EQ(f.reason, "no_driver");
  EXPECT_TRUE(contains(f.message, "no NVIDIA driver on this machine")) << f.message;
}

// ---- where the report's driver version came from ------------------------------------------------------

TEST(DriverVersionRecord, ABetterSourceReplacesAWorseOneNeverTheReverse) {
  Report report;
  SharedReport shared(report);
  ProbeContext ctx(ProbeOptions{}, SystemView{}, shared);
  EXPECT_FALSE(ctx.driver_version());
  ctx.note_driver_version("", DriverVersionSource::nvml);  // nothing read: nothing recorded
  EXPECT_FALSE(ctx.driver_version());
  ctx.note_driver_version("535.261.03", DriverVersionSource::nvml_file_name);
  ASSERT_TRUE(ctx.driver_version());
  EXPECT_EQ(ctx.driver_version()->source, DriverVersionSource::nvml_file_name);
  ctx.note_driver_version("535.261.03", DriverVersionSource::libcuda_file_name);
  EXPECT_EQ(ctx.driver_version()->source, DriverVersionSource::libcuda_file_name);
  ctx.note_driver_version("580.65.06", DriverVersionSource::nvml);
  ctx.note_driver_version("535.261.03", DriverVersionSource::kernel_module);  // worse than NVML: kept out
  EXPECT_EQ(ctx.driver_version()->version, "580.65.06");
  EXPECT_EQ(ctx.driver_version()->source, DriverVersionSource::nvml);
  EXPECT_EQ(shared.snapshot().software.driver_version, "580.65.06");
  EXPECT_STREQ(to_string(DriverVersionSource::kernel_module), "kernel_module");
  EXPECT_STREQ(to_string(DriverVersionSource::libcuda_file_name), "libcuda_file_name");
}

}  // namespace
}  // namespace gpuprobe
