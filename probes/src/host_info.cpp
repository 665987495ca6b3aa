#include "gpuprobe/probes/host_info.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <sstream>
#include <thread>

namespace gpuprobe {
namespace {

std::string os_release_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) != 0) continue;
    std::string v = trim(line.substr(key.size() + 1));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

std::string cpuinfo_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    auto colon = line.find(':');
    if (colon != std::string::npos) return trim(line.substr(colon + 1));
  }
  return "";
}

}  // namespace

std::optional<std::uint64_t> memory_total_bytes(const SystemView& sys) {
  const std::string mem_kb = cpuinfo_value(sys.read_file("/proc/meminfo", 64 * 1024).value_or(""), "MemTotal");
  std::uint64_t kb = 0;
  const auto [end, ec] = std::from_chars(mem_kb.data(), mem_kb.data() + mem_kb.size(), kb);
  if (ec != std::errc() || end == mem_kb.data() || kb > UINT64_MAX / 1024) return std::nullopt;
  return kb * 1024ULL;
}

ContainerInfo detect_container(const SystemView& sys) {
  ContainerInfo c;
  auto add = [&](const std::string& runtime, const std::string& why) {
    c.detected = true;
    if (c.runtime.empty()) c.runtime = runtime;
    c.evidence.push_back(why);
  };
  if (sys.exists("/.dockerenv")) add("docker", "/.dockerenv");
  if (sys.exists("/run/.containerenv")) add("podman", "/run/.containerenv");
  if (auto v = sys.getenv("container"); v && !v->empty()) add(*v, "env container=" + *v);
  if (sys.getenv("KUBERNETES_SERVICE_HOST")) add("kubernetes", "env KUBERNETES_SERVICE_HOST");
  // cgroup v1 names the runtime in the path; cgroup v2 inside a container shows "0::/" and tells nothing.
  if (auto cg = sys.read_file("/proc/1/cgroup", 64 * 1024)) {
    struct Marker { const char* needle; const char* runtime; };
    for (const auto& m : {Marker{"kubepods", "kubernetes"}, Marker{"/docker", "docker"},
                          Marker{"docker-", "docker"}, Marker{"containerd", "containerd"},
                          Marker{"libpod", "podman"}, Marker{"/lxc", "lxc"}}) {
      if (cg->find(m.needle) != std::string::npos) {
        add(m.runtime, std::string("/proc/1/cgroup: ") + m.needle);
        break;
      }
    }
  }
  return c;
}

Ec2Info detect_ec2(const SystemView& sys) {
  Ec2Info e;
  e.sys_vendor = trim(sys.read_file("/sys/devices/virtual/dmi/id/sys_vendor", 256).value_or(""));
  e.product_name = trim(sys.read_file("/sys/devices/virtual/dmi/id/product_name", 256).value_or(""));
  const std::string bios = trim(sys.read_file("/sys/devices/virtual/dmi/id/bios_version", 256).value_or(""));
  const std::string hv_uuid = trim(sys.read_file("/sys/hypervisor/uuid", 256).value_or(""));
  if (e.sys_vendor == "Amazon EC2") {
    // Nitro: product_name is the instance type (e.g. "g5.xlarge"); bare metal says so too.
    e.detected = true;
    e.instance_type = e.product_name;
  } else if (bios.find("amazon") != std::string::npos || hv_uuid.rfind("ec2", 0) == 0) {
    // Xen-based (p2, p3, older g3): EC2, but DMI does not carry the instance type.
    e.detected = true;
  }
  return e;
}

std::optional<CloudInfo> detect_cloud(const SystemView& sys, const Ec2Info& ec2) {
  std::optional<CloudInfo> c = cloud_from_ec2(ec2);
  if (!c) return c;
  for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto v = sys.getenv(var); v && !trim(*v).empty()) {
      c->region = trim(*v);
      break;
    }
  }
  return c;
}

HostInfo collect_host_info(const SystemView& sys) {
  HostInfo h;
  char host[256] = {};
  if (sys.root == "/" && ::gethostname(host, sizeof host - 1) == 0) h.hostname = host;
  else h.hostname = trim(sys.read_file("/etc/hostname", 256).value_or(""));
  h.os = os_release_value(sys.read_file("/etc/os-release", 64 * 1024).value_or(""), "PRETTY_NAME");
  if (h.os.empty()) h.os = os_release_value(sys.read_file("/usr/lib/os-release", 64 * 1024).value_or(""), "PRETTY_NAME");
  h.kernel = trim(sys.read_file("/proc/sys/kernel/osrelease", 256).value_or(""));
  if (h.kernel.empty() && sys.root == "/") {
    utsname u{};
    if (::uname(&u) == 0) h.kernel = u.release;
  }
  const std::string cpuinfo = sys.read_file("/proc/cpuinfo", 4 << 20).value_or("");
  h.cpu_model = cpuinfo_value(cpuinfo, "model name");
  if (h.cpu_model.empty()) h.cpu_model = cpuinfo_value(cpuinfo, "Model");  // arm64
  int processors = 0;
  for (std::size_t pos = 0; (pos = cpuinfo.find("processor", pos)) != std::string::npos; ++pos)
    if (pos == 0 || cpuinfo[pos - 1] == '\n') ++processors;
  h.cpu_count = processors > 0 ? processors : static_cast<int>(std::thread::hardware_concurrency());
  h.memory_total_bytes = memory_total_bytes(sys).value_or(0);
  h.container = detect_container(sys);
  h.ec2 = detect_ec2(sys);
  h.cloud = detect_cloud(sys, h.ec2);
  for (const char* var : kNvidiaEnvVars)
    if (auto v = sys.getenv(var)) h.nvidia_env[var] = *v;
  h.device_nodes = nvidia_device_nodes(sys);
  return h;
}

std::vector<std::string> nvidia_device_nodes(const SystemView& sys) {
  std::vector<std::string> nodes;
  for (const auto& n : sys.list_dir("/dev"))
    if (n.rfind("nvidia", 0) == 0) nodes.push_back("/dev/" + n);
  return nodes;
}

std::string default_label(const HostInfo& h, const std::string& override_label) {
  if (!override_label.empty()) return override_label;
  if (h.cloud && !h.cloud->instance_type.empty()) return h.cloud->instance_type;
  return h.hostname;
}

}  // namespace gpuprobe
