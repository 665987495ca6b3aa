// Host facts for the report: OS, kernel, CPU, container, the cloud (EC2 from DMI, never the
// network), NVIDIA container variables and device nodes.
#pragma once

#include "gpuprobe/gpu/system.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe {

HostInfo collect_host_info(const SystemView& sys);
ContainerInfo detect_container(const SystemView& sys);
// MemTotal of /proc/meminfo in bytes; nullopt when unreadable.
std::optional<std::uint64_t> memory_total_bytes(const SystemView& sys);
Ec2Info detect_ec2(const SystemView& sys);
// The cloud from the providers' local evidence (today AWS: `ec2`), with the region the
// environment names (AWS_REGION, else AWS_DEFAULT_REGION). nullopt: no known cloud.
std::optional<CloudInfo> detect_cloud(const SystemView& sys, const Ec2Info& ec2);
std::vector<std::string> nvidia_device_nodes(const SystemView& sys);  // "/dev/nvidia0", "/dev/nvidiactl", …

// The label later comparisons use: --label, else the cloud instance type, else the hostname.
std::string default_label(const HostInfo& h, const std::string& override_label);

// Environment variables that decide what the NVIDIA Container Toolkit gives a container.
inline constexpr const char* kNvidiaEnvVars[] = {"NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
                                                 "NVIDIA_REQUIRE_CUDA", "CUDA_VISIBLE_DEVICES",
                                                 "CUDA_VERSION", "NV_CUDNN_VERSION", "NVIDIA_DISABLE_REQUIRE"};

}  // namespace gpuprobe
