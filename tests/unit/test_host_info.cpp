// Host facts from a fake filesystem root: container and EC2 detection, os-release, cpuinfo, meminfo.
#include <gtest/gtest.h>

#include "fake_root.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gpuprobe/probes/host_info.hpp"

namespace gpuprobe {
namespace {

namespace fs = std::filesystem;

using gpuprobe::testing::FakeRoot;

bool has(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

// ---- containers ----------------------------------------------------------------------------------

TEST(DetectContainer, DockerEnvFile) {
  FakeRoot root;
  root.write("/.dockerenv", "");
  const ContainerInfo c = detect_container(root.view());
  EXPECT_TRUE(c.detected);
  EXPECT_EQ(c.runtime, "docker");
  EXPECT_TRUE(has(c.evidence, "/.dockerenv"));
}

TEST(DetectContainer, PodmanContainerEnv) {
  FakeRoot root;
  root.write("/run/.containerenv", "engine=\"podman-4.9\"\n");
  const ContainerInfo c = detect_container(root.view());
  EXPECT_TRUE(c.detected);
  EXPECT_EQ(c.runtime, "podman");
  EXPECT_TRUE(has(c.evidence, "/run/.containerenv"));
}

TEST(DetectContainer, KubepodsCgroup) {
  FakeRoot root;
  root.write("/proc/1/cgroup",
             "12:memory:/kubepods/burstable/pod1234/abcdef\n"
             "11:cpu,cpuacct:/kubepods/burstable/pod1234/abcdef\n");
  const ContainerInfo c = detect_container(root.view());
  EXPECT_TRUE(c.detected);
  EXPECT_EQ(c.runtime, "kubernetes");
  EXPECT_TRUE(has(c.evidence, "kubepods"));
}

TEST(DetectContainer, DockerCgroupV1) {
  FakeRoot root;
  root.write("/proc/1/cgroup", "12:pids:/docker/0123456789abcdef\n");
  const ContainerInfo c = detect_container(root.view());
  EXPECT_TRUE(c.detected);
  EXPECT_EQ(c.runtime, "docker");
}

TEST(DetectContainer, EnvContainerVariable) {
  FakeRoot root;
  const ContainerInfo c = detect_container(root.view({{"container", "podman"}}));
  EXPECT_TRUE(c.detected);
  EXPECT_EQ(c.runtime, "podman");
  EXPECT_TRUE(has(c.evidence, "container=podman"));
}

TEST(DetectContainer, KubernetesServiceHostEnv) {
  FakeRoot root;
  const ContainerInfo c = detect_container(root.view({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}}));
  EXPECT_TRUE(c.detected);
  EXPECT_EQ(c.runtime, "kubernetes");
}

TEST(DetectContainer, FirstMarkerNamesRuntimeAllAreEvidence) {
  FakeRoot root;
  root.write("/.dockerenv", "");
  root.write("/proc/1/cgroup", "1:name=systemd:/kubepods/pod1/x\n");
  const ContainerInfo c = detect_container(root.view());
  EXPECT_EQ(c.runtime, "docker");
  EXPECT_EQ(c.evidence.size(), 2u);
}

TEST(DetectContainer, NoMarkers) {
  FakeRoot root;
  root.write("/proc/1/cgroup", "0::/\n");  // cgroup v2: tells nothing
  const ContainerInfo c = detect_container(root.view({{"container", ""}, {"HOME", "/root"}}));
  EXPECT_FALSE(c.detected);
  EXPECT_EQ(c.runtime, "");
  EXPECT_TRUE(c.evidence.empty());
}

// ---- EC2 -----------------------------------------------------------------------------------------

TEST(DetectEc2, NitroInstanceType) {
  FakeRoot root;
  root.write("/sys/devices/virtual/dmi/id/sys_vendor", "Amazon EC2\n");
  root.write("/sys/devices/virtual/dmi/id/product_name", "g5.xlarge\n");
  const Ec2Info e = detect_ec2(root.view());
  EXPECT_TRUE(e.detected);
  EXPECT_EQ(e.instance_type, "g5.xlarge");
  EXPECT_EQ(e.sys_vendor, "Amazon EC2");
  EXPECT_EQ(e.product_name, "g5.xlarge");
}

TEST(DetectEc2, XenAmazonBios) {
  FakeRoot root;
  root.write("/sys/devices/virtual/dmi/id/sys_vendor", "Xen\n");
  root.write("/sys/devices/virtual/dmi/id/product_name", "HVM domU\n");
  root.write("/sys/devices/virtual/dmi/id/bios_version", "4.11.amazon\n");
  const Ec2Info e = detect_ec2(root.view());
  EXPECT_TRUE(e.detected);
  EXPECT_EQ(e.instance_type, "");
  EXPECT_EQ(e.sys_vendor, "Xen");
}

TEST(DetectEc2, XenHypervisorUuid) {
  FakeRoot root;
  root.write("/sys/devices/virtual/dmi/id/sys_vendor", "Xen\n");
  root.write("/sys/hypervisor/uuid", "ec2e1916-9099-7caf-fd21-012345abcdef\n");
  const Ec2Info e = detect_ec2(root.view());
  EXPECT_TRUE(e.detected);
  EXPECT_EQ(e.instance_type, "");
}

TEST(DetectEc2, OtherVendor) {
  FakeRoot root;
  root.write("/sys/devices/virtual/dmi/id/sys_vendor", "Dell Inc.\n");
  root.write("/sys/devices/virtual/dmi/id/product_name", "PowerEdge R750xa\n");
  root.write("/sys/devices/virtual/dmi/id/bios_version", "1.2.3\n");
  const Ec2Info e = detect_ec2(root.view());
  EXPECT_FALSE(e.detected);
  EXPECT_EQ(e.instance_type, "");
  EXPECT_EQ(e.sys_vendor, "Dell Inc.");
}

TEST(DetectEc2, NoDmi) {
  FakeRoot root;
  const Ec2Info e = detect_ec2(root.view());
  EXPECT_FALSE(e.detected);
  EXPECT_EQ(e.sys_vendor, "");
}

// ---- collect_host_info -------------------------------------------------------------------------

void write_typical_host(const FakeRoot& root) {
  root.write("/etc/os-release",
             "NAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\n");
  root.write("/proc/sys/kernel/osrelease", "6.8.0-1019-aws\n");
  root.write("/proc/cpuinfo",
             "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7R32\n\n"
             "processor\t: 1\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7R32\n\n"
             "processor\t: 2\nmodel name\t: AMD EPYC 7R32\n\n"
             "processor\t: 3\nmodel name\t: AMD EPYC 7R32\npower management:\n\n");
  root.write("/proc/meminfo", "MemTotal:       16318412 kB\nMemFree:         1234567 kB\n");
  root.write("/etc/hostname", "gpu-node-7\n");
  root.write("/dev/nvidia0", "");
  root.write("/dev/nvidiactl", "");
  root.write("/dev/null", "");
  root.mkdir("/dev/dri");
}

TEST(CollectHostInfo, ReadsFakeRoot) {
  FakeRoot root;
  write_typical_host(root);
  const HostInfo h = collect_host_info(root.view({{"NVIDIA_VISIBLE_DEVICES", "all"},
                                                  {"NVIDIA_DRIVER_CAPABILITIES", "compute,utility"},
                                                  {"CUDA_VERSION", "13.0.1"},
                                                  {"PATH", "/usr/bin"},
                                                  {"NVIDIA_UNRELATED", "x"}}));
  EXPECT_EQ(h.os, "Ubuntu 24.04.1 LTS");
  EXPECT_EQ(h.kernel, "6.8.0-1019-aws");
  EXPECT_EQ(h.cpu_model, "AMD EPYC 7R32");
  EXPECT_EQ(h.cpu_count, 4);
  EXPECT_EQ(h.memory_total_bytes, 16318412ULL * 1024);
  EXPECT_EQ(h.hostname, "gpu-node-7");
  const std::map<std::string, std::string> want_env = {{"NVIDIA_VISIBLE_DEVICES", "all"},
                                                       {"NVIDIA_DRIVER_CAPABILITIES", "compute,utility"},
                                                       {"CUDA_VERSION", "13.0.1"}};
  EXPECT_EQ(h.nvidia_env, want_env);
  EXPECT_EQ(h.device_nodes, (std::vector<std::string>{"/dev/nvidia0", "/dev/nvidiactl"}));
  EXPECT_FALSE(h.container.detected);
  EXPECT_FALSE(h.ec2.detected);
}

TEST(CollectHostInfo, UnquotedAndSingleQuotedPrettyName) {
  FakeRoot a;
  a.write("/etc/os-release", "PRETTY_NAME=Debian\n");
  EXPECT_EQ(collect_host_info(a.view()).os, "Debian");
  FakeRoot b;
  b.write("/etc/os-release", "PRETTY_NAME='Amazon Linux 2023'\n");
  EXPECT_EQ(collect_host_info(b.view()).os, "Amazon Linux 2023");
}

TEST(CollectHostInfo, FallsBackToUsrLibOsRelease) {
  FakeRoot root;
  root.write("/usr/lib/os-release", "PRETTY_NAME=\"Rocky Linux 9.4\"\n");
  EXPECT_EQ(collect_host_info(root.view()).os, "Rocky Linux 9.4");
}

TEST(CollectHostInfo, Arm64CpuModel) {
  FakeRoot root;
  root.write("/proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 243.75\n\nprocessor\t: 1\nBogoMIPS\t: 243.75\n\n"
                              "Model\t\t: Neoverse-V2\n");
  const HostInfo h = collect_host_info(root.view());
  EXPECT_EQ(h.cpu_model, "Neoverse-V2");
  EXPECT_EQ(h.cpu_count, 2);
}

TEST(CollectHostInfo, EmptyRootGivesEmptyFacts) {
  FakeRoot root;
  const HostInfo h = collect_host_info(root.view());
  EXPECT_EQ(h.os, "");
  EXPECT_EQ(h.kernel, "");  // no uname fallback under a fake root
  EXPECT_EQ(h.hostname, "");
  EXPECT_EQ(h.memory_total_bytes, 0u);
  EXPECT_GE(h.cpu_count, 0);
  EXPECT_TRUE(h.device_nodes.empty());
  EXPECT_TRUE(h.nvidia_env.empty());
}

TEST(CollectHostInfo, DetectsContainerAndEc2) {
  FakeRoot root;
  write_typical_host(root);
  root.write("/.dockerenv", "");
  root.write("/sys/devices/virtual/dmi/id/sys_vendor", "Amazon EC2\n");
  root.write("/sys/devices/virtual/dmi/id/product_name", "p5.48xlarge\n");
  const HostInfo h = collect_host_info(root.view());
  EXPECT_TRUE(h.container.detected);
  EXPECT_EQ(h.container.runtime, "docker");
  EXPECT_TRUE(h.ec2.detected);
  EXPECT_EQ(h.ec2.instance_type, "p5.48xlarge");
  ASSERT_TRUE(h.cloud);
  EXPECT_EQ(h.cloud->provider, "aws");
  EXPECT_EQ(h.cloud->instance_type, "p5.48xlarge");
  EXPECT_FALSE(h.cloud->region);
  EXPECT_EQ(default_label(h, ""), "p5.48xlarge");
}

TEST(DetectCloud, AwsWithTheRegionTheEnvironmentNames) {
  FakeRoot root;
  const Ec2Info nitro{true, "g5.xlarge", "Amazon EC2", "g5.xlarge"};
  auto c = detect_cloud(root.view({{"AWS_DEFAULT_REGION", "us-west-2"}}), nitro);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (CloudInfo{"aws", "g5.xlarge", "us-west-2"}));
  c = detect_cloud(root.view({{"AWS_REGION", " eu-west-1\n"}, {"AWS_DEFAULT_REGION", "us-west-2"}}), nitro);
  EXPECT_EQ(c->region, "eu-west-1");
  c = detect_cloud(root.view({{"AWS_REGION", ""}}), Ec2Info{true, "", "Xen", ""});  // EC2 on Xen
  EXPECT_EQ(*c, (CloudInfo{"aws", "", std::nullopt}));
  EXPECT_FALSE(detect_cloud(root.view({{"AWS_REGION", "us-east-1"}}), Ec2Info{}));  // a laptop with AWS settings
}

TEST(CollectHostInfo, GarbageMemTotalDoesNotThrow) {
  FakeRoot root;
  write_typical_host(root);
  root.write("/proc/meminfo", "MemTotal:       lots kB\n");
  HostInfo h;
  ASSERT_NO_THROW(h = collect_host_info(root.view()));
  EXPECT_EQ(h.memory_total_bytes, 0u);
  EXPECT_EQ(h.os, "Ubuntu 24.04.1 LTS");
}

TEST(CollectHostInfo, OverflowingMemTotalDoesNotThrow) {
  FakeRoot root;
  write_typical_host(root);
  root.write("/proc/meminfo", "MemTotal:       999999999999999999999999 kB\n");
  HostInfo h;
  ASSERT_NO_THROW(h = collect_host_info(root.view()));
  EXPECT_EQ(h.kernel, "6.8.0-1019-aws");
}

TEST(DefaultLabel, Precedence) {
  HostInfo h;
  h.hostname = "ip-10-0-0-1";
  h.cloud = CloudInfo{"aws", "g5.xlarge", std::nullopt};
  EXPECT_EQ(default_label(h, "my-label"), "my-label");
  EXPECT_EQ(default_label(h, ""), "g5.xlarge");
  h.cloud->instance_type.clear();
  EXPECT_EQ(default_label(h, ""), "ip-10-0-0-1");
  h.hostname.clear();
  EXPECT_EQ(default_label(h, ""), "");
}

TEST(SystemView, PathAndTrim) {
  SystemView v;
  EXPECT_EQ(v.path("/etc/x"), "/etc/x");
  v.root = "/tmp/r/";
  EXPECT_EQ(v.path("/etc/x"), "/tmp/r/etc/x");
  v.root = "/tmp/r";
  EXPECT_EQ(v.path("/etc/x"), "/tmp/r/etc/x");
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim(" \n "), "");
}

}  // namespace
}  // namespace gpuprobe
