// The container check's rules: facts read from a fake root, every verdict without a GPU.
#include <gtest/gtest.h>

#include <cerrno>

#include "fake_root.hpp"
#include "gpuprobe/probes/container_limits.hpp"

namespace gpuprobe {
namespace {

using testing::FakeRoot;

std::string limits(const std::string& memlock, const std::string& stack) {
  return "Limit                     Soft Limit           Hard Limit           Units     \n"
         "Max stack size            " + stack + "              unlimited            bytes     \n"
         "Max locked memory         " + memlock + "              unlimited            bytes     \n";
}

void docker_default(const FakeRoot& r) {
  r.write("/proc/meminfo", "MemTotal:       65536000 kB\nMemFree:  1 kB\n");
  r.write("/proc/self/mounts", "overlay / overlay rw 0 0\nshm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k 0 0\n");
  r.write("/proc/self/limits", limits("8388608", "8388608"));
  r.symlink("ipc:[4026532201]", "/proc/self/ns/ipc");
}

std::vector<std::string> reasons(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) out.push_back(f.reason);
  return out;
}

TEST(ContainerLimits, ReadsDockerDefaults) {
  FakeRoot r;
  docker_default(r);
  const auto l = read_container_limits(r.view());
  EXPECT_TRUE(l.shm_mounted);
  EXPECT_EQ(l.shm_bytes, 64ull << 20);
  EXPECT_EQ(l.host_ipc, false);
  EXPECT_EQ(l.ipc_namespace, "ipc:[4026532201]");
  EXPECT_TRUE(l.limits_known);
  EXPECT_EQ(l.memlock_bytes, 8388608u);
  EXPECT_EQ(l.stack_bytes, 8388608u);
}

TEST(ContainerLimits, DockerDefaultsWarnShmMemlockStack) {
  FakeRoot r;
  docker_default(r);
  const auto fs = evaluate_container_limits(read_container_limits(r.view()), true);
  EXPECT_EQ(reasons(fs), (std::vector<std::string>{"shm_small", "memlock_low", "stack_low"}));
  for (const auto& f : fs) EXPECT_EQ(f.status, Status::warn);
  EXPECT_NE(fs[0].message.find("/dev/shm is 64 MiB in this container (a private IPC namespace)"), std::string::npos);
  EXPECT_NE(fs[0].message.find("Bus error"), std::string::npos);
  EXPECT_NE(fs[0].hint.find("--ipc=host"), std::string::npos);
  EXPECT_NE(fs[0].hint.find("shm_size"), std::string::npos);
  EXPECT_NE(fs[0].hint.find("medium: Memory"), std::string::npos);
  EXPECT_NE(fs[1].hint.find("--ulimit memlock=-1"), std::string::npos);
  EXPECT_NE(fs[2].hint.find("--ulimit stack=67108864"), std::string::npos);
}

TEST(ContainerLimits, NgcFlagsPass) {
  FakeRoot r;
  r.write("/proc/meminfo", "MemTotal:       65536000 kB\n");
  // --ipc=host: the host's /dev/shm (no size option: half of RAM) in the host's namespace.
  r.write("/proc/self/mounts", "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n");
  r.write("/proc/self/limits", limits("unlimited", "67108864"));
  r.symlink(kHostIpcNamespace, "/proc/self/ns/ipc");
  const auto l = read_container_limits(r.view({{"NVIDIA_DRIVER_CAPABILITIES", "compute,utility"}}));
  EXPECT_EQ(l.shm_bytes, 65536000ull * 1024 / 2);
  EXPECT_EQ(l.host_ipc, true);
  EXPECT_FALSE(l.memlock_bytes);
  EXPECT_TRUE(evaluate_container_limits(l, true).empty());
}

TEST(ContainerLimits, SizeUnitsAndPercent) {
  FakeRoot r;
  r.write("/proc/meminfo", "MemTotal: 1048576 kB\n");
  r.write("/proc/self/mounts", "shm /dev/shm tmpfs rw,size=50% 0 0\n");
  EXPECT_EQ(read_container_limits(r.view()).shm_bytes, 512ull << 20);
  r.write("/proc/self/mounts", "shm /dev/shm tmpfs rw,size=2g 0 0\n");
  EXPECT_EQ(read_container_limits(r.view()).shm_bytes, 2ull << 30);
}

TEST(ContainerLimits, SmallShmOfTheHostIsGrownOnTheHost) {
  ContainerLimits l;
  l.shm_mounted = true;
  l.shm_bytes = 512ull << 20;
  l.host_ipc = true;
  const auto fs = evaluate_container_limits(l, true);
  ASSERT_EQ(reasons(fs), std::vector<std::string>{"shm_small"});
  EXPECT_NE(fs[0].message.find("512 MiB in this container (the host's IPC namespace)"), std::string::npos);
  EXPECT_NE(fs[0].hint.find("grow it on the host"), std::string::npos);
}

TEST(ContainerLimits, UnknownIpcAndNoShm) {
  FakeRoot r;
  r.write("/proc/self/mounts", "overlay / overlay rw 0 0\n");
  const auto l = read_container_limits(r.view());
  EXPECT_FALSE(l.host_ipc);
  EXPECT_FALSE(l.limits_known);
  const auto fs = evaluate_container_limits(l, true);
  ASSERT_EQ(reasons(fs), std::vector<std::string>{"shm_small"});
  EXPECT_NE(fs[0].message.find("no /dev/shm is mounted in this container, under 1 GiB"), std::string::npos) << fs[0].message;
}

TEST(ContainerLimits, OnAHostOnlyShmIsJudged) {
  FakeRoot r;
  docker_default(r);
  const auto fs = evaluate_container_limits(read_container_limits(r.view()), false);
  ASSERT_EQ(reasons(fs), std::vector<std::string>{"shm_small"});
  EXPECT_NE(fs[0].message.find("on this machine"), std::string::npos);
  EXPECT_NE(fs[0].hint.find("remount,size="), std::string::npos);
}

TEST(ContainerLimits, CapabilitiesWithoutUtility) {
  ContainerLimits l;
  l.shm_mounted = true;
  l.capabilities = "compute";
  const auto fs = evaluate_container_limits(l, true);
  ASSERT_EQ(reasons(fs), std::vector<std::string>{"capabilities_no_utility"});
  EXPECT_NE(fs[0].hint.find("NVIDIA_DRIVER_CAPABILITIES=compute,utility"), std::string::npos);
  l.capabilities = "all";
  EXPECT_TRUE(evaluate_container_limits(l, true).empty());
  l.capabilities = " compute , utility ";
  EXPECT_TRUE(evaluate_container_limits(l, true).empty());
  l.capabilities = "";  // unset or empty: the toolkit's default (utility,compute)
  EXPECT_TRUE(evaluate_container_limits(l, true).empty());
}


// ---- device nodes that do not open (the errnos are real in tests/cli/drivers.bats) ----------------

KernelDriverView complete_view(bool in_container) {
  KernelDriverView k;
  k.module_loaded = true;
  k.module_version = "535.261.03";
  k.device_nodes = {"/dev/nvidia0", "/dev/nvidiactl"};
  k.in_container = in_container;
  return k;
}

std::vector<NodeOpen> nodes(int error) { return {{"/dev/nvidia0", 195, 0, error}, {"/dev/nvidiactl", 195, 255, error}}; }

TEST(DeviceAccess, EpermInAContainerIsRevokedAccessWithRecreateAndHostFix) {
  const auto a = evaluate_device_access(nodes(EPERM), complete_view(true), false, "NVML 535.261.03 loads but nvmlInit says Unknown Error");
  ASSERT_TRUE(a.finding);
  EXPECT_EQ(a.finding->status, Status::fail);
  EXPECT_EQ(a.finding->reason, "device_access_revoked");
  EXPECT_NE(a.finding->message.find("nvmlInit says Unknown Error: /dev/nvidia0 and /dev/nvidiactl exist but open() fails with "
                                    "EPERM (Operation not permitted)"),
            std::string::npos)
      << a.finding->message;
  EXPECT_NE(a.finding->message.find("systemctl daemon-reload"), std::string::npos);
  EXPECT_NE(a.finding->message.find("Failed to initialize NVML: Unknown Error"), std::string::npos);
  for (const char* fix : {"docker rm -f", "--force-recreate", "kubectl delete pod", "create-dev-char-symlinks --create-all",
                          "native.cgroupdriver=cgroupfs"})
    EXPECT_NE(a.finding->hint.find(fix), std::string::npos) << fix;
  EXPECT_TRUE(a.note.empty());
}

TEST(DeviceAccess, EpermOnAHostNamesTheProcessCgroup) {
  auto ns = nodes(0);
  ns[1].error = EPERM;
  const auto a = evaluate_device_access(ns, complete_view(false), false, "s");
  ASSERT_TRUE(a.finding);
  EXPECT_EQ(a.finding->reason, "device_access_revoked");
  EXPECT_NE(a.finding->message.find("s: /dev/nvidiactl exists but open() fails with EPERM"), std::string::npos) << a.finding->message;
  EXPECT_NE(a.finding->hint.find("DeviceAllow="), std::string::npos);
}

TEST(DeviceAccess, EaccesIsPermissionsOrNodevNeverTheCgroup) {
  auto a = evaluate_device_access(nodes(EACCES), complete_view(true), true, "s");
  ASSERT_TRUE(a.finding);
  EXPECT_EQ(a.finding->reason, "device_access_denied");
  EXPECT_NE(a.finding->message.find("EACCES (Permission denied): /dev is mounted nodev"), std::string::npos) << a.finding->message;
  a = evaluate_device_access(nodes(EACCES), complete_view(false), false, "s");
  ASSERT_TRUE(a.finding);
  EXPECT_NE(a.finding->message.find("permissions"), std::string::npos);
  EXPECT_NE(a.finding->message.find("would answer EPERM, not this"), std::string::npos);
  EXPECT_NE(a.finding->hint.find("usermod -aG video"), std::string::npos);
}

TEST(DeviceAccess, EnxioWithModuleAndNodesIsUnbackedElseANote) {
  auto a = evaluate_device_access(nodes(ENXIO), complete_view(true), false, "s");
  ASSERT_TRUE(a.finding);
  EXPECT_EQ(a.finding->reason, "device_nodes_unbacked");
  EXPECT_NE(a.finding->message.find("/dev/nvidia0 (c 195:0), /dev/nvidiactl (c 195:255) exist but open() fails with ENXIO"),
            std::string::npos)
      << a.finding->message;
  EXPECT_NE(a.finding->hint.find("--gpus all"), std::string::npos);
  // No kernel module: the node has no driver behind it, which kernel_module_missing explains.
  KernelDriverView no_module = complete_view(false);
  no_module.module_loaded = false;
  a = evaluate_device_access({{"/dev/nvidiactl", 195, 255, ENXIO}}, no_module, false, "s");
  EXPECT_FALSE(a.finding);
  EXPECT_EQ(a.note, "; /dev/nvidiactl (c 195:255) exists but open() fails with ENXIO (No such device or address): no driver "
                    "answers to that device number");
}

TEST(DeviceAccess, NodesThatOpenSayNothing) {
  const auto a = evaluate_device_access(nodes(0), complete_view(true), false, "s");
  EXPECT_FALSE(a.finding);
  EXPECT_TRUE(a.note.empty());
  EXPECT_FALSE(evaluate_device_access({}, complete_view(true), false, "s").finding);
}

TEST(DeviceAccess, OpensOnlyTheDriversNodesAndReportsEach) {
  FakeRoot r;
  for (const char* n : {"/dev/nvidiactl", "/dev/nvidia0", "/dev/nvidia12", "/dev/nvidia-uvm", "/dev/nvidia-modeset",
                        "/dev/nvidia-uvm-tools", "/dev/null-ish"})
    r.write(n, "");
  r.mkdir("/dev/nvidia-caps");
  const auto ns = open_nvidia_device_nodes(r.view());
  std::vector<std::string> paths;
  for (const auto& n : ns) {
    paths.push_back(n.path);
    EXPECT_EQ(n.error, 0) << n.path;  // plain files open
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidia12", "/dev/nvidiactl"}));
  std::vector<NodeOpen> mixed = {{"/dev/nvidia0", 195, 0, 0}, {"/dev/nvidiactl", 195, 255, EPERM}};
  EXPECT_EQ(node_open_results(mixed),
            (std::map<std::string, std::string>{{"/dev/nvidia0", "opened"}, {"/dev/nvidiactl", "EPERM"}}));
  EXPECT_EQ(errno_name(ENXIO), "ENXIO");
  EXPECT_EQ(errno_name(12345), "errno 12345");
}


// ---- NVIDIA_REQUIRE_CUDA --------------------------------------------------------------------------

// The nvidia/cuda:12.8.1 images' value: cuda>=12.8, or one of twelve brands on a driver of the
// branches forward compatibility serves (470, 535, 550, 560, 565).
const std::string kRequire128 = [] {
  std::string v = "cuda>=12.8";
  for (const char* branch : {"470", "535", "550", "560", "565"})
    for (const char* brand : {"unknown", "grid", "tesla", "nvidia", "quadro", "quadrortx", "nvidiartx", "vapps", "vpc",
                              "vcs", "vws", "cloudgaming"})
      v += std::string(" brand=") + brand + ",driver>=" + branch + ",driver<" + std::to_string(std::stoi(branch) + 1);
  return v;
}();

TEST(RequireCuda, ANewEnoughDriverMeetsIt) {
  const auto r = assess_require_cuda(kRequire128, 12080, "570.124.06");
  EXPECT_EQ(r.met, Truth::yes);
  EXPECT_EQ(r.cuda_term, "cuda>=12.8");
  EXPECT_EQ(r.required_cuda, 12080);
  EXPECT_FALSE(evaluate_require_cuda(r, 12080, "570.124.06", false));
  EXPECT_EQ(assess_require_cuda("cuda>=12.8", 13000, "580.65.06").met, Truth::yes);
}

TEST(RequireCuda, AnOlderDriverOutsideEveryBrandRangeIsRefusedInTheToolkitsWords) {
  // 555 (CUDA 12.5): no forward-compatibility branch of the list.
  const auto r = assess_require_cuda(kRequire128, 12050, "555.42.06");
  EXPECT_EQ(r.met, Truth::no);
  const auto f = evaluate_require_cuda(r, 12050, "555.42.06", true);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, Status::warn);
  EXPECT_EQ(f->reason, "require_cuda_unmet");
  EXPECT_NE(f->message.find("not met by driver 555.42.06 (CUDA 12.5)"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("\"requirement error: unsatisfied condition: cuda>=12.8\""), std::string::npos);
  EXPECT_NE(f->message.find("because NVIDIA_DISABLE_REQUIRE is set"), std::string::npos);
  EXPECT_NE(f->hint.find("nvidia/cuda:12.5.1-"), std::string::npos) << f->hint;
  EXPECT_NE(f->hint.find("570.26 or newer"), std::string::npos);
  EXPECT_NE(f->hint.find("Kubernetes"), std::string::npos);
  const auto g = evaluate_require_cuda(r, 12050, "555.42.06", false);
  EXPECT_NE(g->message.find("its runtime did not check"), std::string::npos);
}

TEST(RequireCuda, ABrandAlternativeWhoseDriverRangeHoldsIsNotJudged) {
  // A 535 driver: cuda>=12.8 fails, brand=tesla,driver>=535,driver<536 holds on a Tesla.
  const auto r = assess_require_cuda(kRequire128, 12020, "535.261.03");
  EXPECT_EQ(r.met, Truth::unknown);
  EXPECT_EQ(r.not_evaluated.size(), 12u);
  EXPECT_EQ(r.not_evaluated[2], "brand=tesla");
  const auto f = evaluate_require_cuda(r, 12020, "535.261.03", false);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, Status::pass);
  EXPECT_EQ(f->reason, "require_cuda_brand");
  EXPECT_NE(f->message.find("cuda>=12.8 is not met by driver 535.261.03 (CUDA 12.2)"), std::string::npos) << f->message;
}

TEST(RequireCuda, OperatorsAndAndOr) {
  EXPECT_EQ(assess_require_cuda("cuda>=12.2,driver<536", 12020, "535.261.03").met, Truth::yes);
  EXPECT_EQ(assess_require_cuda("cuda>=12.2,driver<535", 12020, "535.261.03").met, Truth::no);
  EXPECT_EQ(assess_require_cuda("cuda>12.2 driver=535.261.03", 12020, "535.261.03").met, Truth::yes);
  EXPECT_EQ(assess_require_cuda("cuda!=12.2", 12020, "").met, Truth::no);
  EXPECT_EQ(assess_require_cuda("cuda<=11.8", 12020, "").met, Truth::no);
  // Driver terms without a known driver version are not judged.
  const auto r = assess_require_cuda("driver>=535", 12020, "");
  EXPECT_EQ(r.met, Truth::unknown);
  EXPECT_EQ(r.not_evaluated, std::vector<std::string>{"driver>=535"});
  // arch terms are not judged; nonsense is kept as unparsed.
  EXPECT_EQ(assess_require_cuda("cuda>=13.0,arch>=7.5", 12020, "").met, Truth::no);
  const auto bad = assess_require_cuda("whatever", 12020, "");
  EXPECT_EQ(bad.unparsed, std::vector<std::string>{"whatever"});
  EXPECT_EQ(assess_require_cuda("", 12020, "").met, Truth::unknown);
  EXPECT_FALSE(evaluate_require_cuda(assess_require_cuda("", 12020, ""), 12020, "", false));
}


// ---- cuda-compat in the image ------------------------------------------------------------------------

// An nvidia/cuda:12.8 image's layout: the compat package in /usr/local/cuda-12.8/compat, reached
// through the /usr/local/cuda link.
void cuda_compat_image(const FakeRoot& r) {
  r.write("/usr/local/cuda-12.8/compat/libcuda.so.570.124.06");
  r.symlink("libcuda.so.570.124.06", "/usr/local/cuda-12.8/compat/libcuda.so.1");
  r.write("/usr/local/cuda-12.8/compat/libnvidia-ptxjitcompiler.so.570.124.06");
  r.symlink("cuda-12.8", "/usr/local/cuda");
  r.mkdir("/usr/local/cuda-12.8/lib64");
  r.write("/host/libcuda.so.535.261.03");
}

TEST(CudaCompat, FoundOnceThroughTheLinkAndOnLdLibraryPath) {
  FakeRoot r;
  cuda_compat_image(r);
  const SystemView sys = r.view({{"LD_LIBRARY_PATH", "/usr/local/nvidia/lib64:/usr/local/cuda/compat"}});
  const auto c = find_cuda_compat(sys);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].dir, "/usr/local/cuda-12.8/compat");
  EXPECT_EQ(c[0].version, "570.124.06");
  EXPECT_EQ(c[0].on_path, "LD_LIBRARY_PATH");
  // The compat libcuda loaded (through either name), or the host's.
  EXPECT_EQ(loaded_compat_library(c, sys, r.host("/usr/local/cuda/compat/libcuda.so.1").string()), &c[0]);
  EXPECT_EQ(loaded_compat_library(c, sys, r.host("/host/libcuda.so.535.261.03").string()), nullptr);
  EXPECT_EQ(describe_compat_library(c[0]), "libcuda 570.124.06 of the image's cuda-compat (/usr/local/cuda-12.8/compat, "
                                           "on the loader's path through LD_LIBRARY_PATH)");
}

TEST(CudaCompat, OnTheLoadersPathThroughLdSoConfD) {
  FakeRoot r;
  cuda_compat_image(r);
  r.write("/etc/ld.so.conf.d/000_cuda.conf", "# forward compatibility\n/usr/local/cuda-12.8/compat\n");
  r.write("/etc/ld.so.conf.d/nvidia.conf.disabled", "/usr/local/cuda/compat\n");
  const auto c = find_cuda_compat(r.view());
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].on_path, "/etc/ld.so.conf.d/000_cuda.conf");
}

TEST(CudaCompat, PresentButNotOnThePathOrAbsent) {
  FakeRoot r;
  cuda_compat_image(r);
  const auto c = find_cuda_compat(r.view({{"LD_LIBRARY_PATH", "/usr/local/cuda/lib64"}}));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].on_path, "");
  EXPECT_NE(describe_compat_library(c[0]).find("not on the loader's path"), std::string::npos);
  FakeRoot empty;
  empty.mkdir("/usr/local/cuda-12.8/lib64");
  EXPECT_TRUE(find_cuda_compat(empty.view()).empty());
}

}  // namespace
}  // namespace gpuprobe
