#include <limits.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <system_error>

#include "gpuprobe/gpu/dynlib.hpp"
#include "gpuprobe/probes/nccl.hpp"

namespace gpuprobe {

namespace {

// The realpath of `abs` under the view's root; "" when it does not exist.
std::string resolved(const SystemView& sys, const std::string& abs) {
  char buf[PATH_MAX];
  return ::realpath(sys.path(abs).c_str(), buf) ? std::string(buf) : std::string();
}

// The last part of where /sys/class/infiniband/<dev>/device/driver points ("efa"), "" when unknown.
std::string rdma_driver(const SystemView& sys, const std::string& dev) {
  std::error_code ec;
  const auto target = std::filesystem::read_symlink(sys.path("/sys/class/infiniband/" + dev + "/device/driver"), ec);
  return ec ? "" : target.filename().string();
}

// AWS's EFA installer puts libfabric (with the efa provider built in) and aws-ofi-nccl here.
const char* const kEfaLibDirs[] = {"/opt/amazon/efa/lib", "/opt/amazon/efa/lib64"};
const char* const kOfiNcclDirs[] = {"/opt/amazon/ofi-nccl/lib",   "/opt/amazon/ofi-nccl/lib64",
                                    "/opt/amazon/ofi-nccl/lib/x86_64-linux-gnu",
                                    "/opt/amazon/ofi-nccl/lib/aarch64-linux-gnu", "/opt/aws-ofi-nccl/lib"};

}  // namespace

EfaView read_efa_view(const SystemView& sys) {
  EfaView v;
  for (const auto& n : sys.list_dir("/dev/infiniband"))
    if (n.rfind("uverbs", 0) == 0) v.uverbs.push_back("/dev/infiniband/" + n);
  for (const auto& dev : sys.list_dir("/sys/class/infiniband")) {
    v.rdma_devices.push_back(dev);
    if (rdma_driver(sys, dev) == "efa" || dev.find("efa") != std::string::npos) v.efa_devices.push_back(dev);
  }
  for (const char* d : kEfaLibDirs)
    if (std::string f = resolved(sys, std::string(d) + "/libfabric.so.1"); !f.empty()) {
      v.libfabric = f;
      v.libfabric_from_efa_installer = true;
      break;
    }
  if (v.libfabric.empty()) v.libfabric = find_library_file("libfabric.so.1", sys);
  if (!v.libfabric.empty()) {
    // A provider built as a plugin: <libdir>/libfabric/libefa-fi.so.
    const std::string dir = v.libfabric.substr(0, v.libfabric.rfind('/'));
    const std::string dso = dir + "/libfabric/libefa-fi.so";
    std::error_code ec;
    if (std::filesystem::exists(dso, ec)) v.efa_provider = dso;
  }
  v.net_plugin_env = sys.getenv("NCCL_NET_PLUGIN").value_or("");
  // NCCL dlopens libnccl-net-<NCCL_NET_PLUGIN>.so (or the value as a file name), else libnccl-net.so;
  // aws-ofi-nccl installs libnccl-net-ofi.so and libnccl-net.so.
  std::vector<std::string> names;
  if (!v.net_plugin_env.empty()) {
    names.push_back("libnccl-net-" + v.net_plugin_env + ".so");
    names.push_back(v.net_plugin_env);
  }
  names.push_back("libnccl-net.so");
  names.push_back("libnccl-net-ofi.so");
  for (const auto& n : names) {
    if (n.find('/') != std::string::npos) {
      if (std::string f = resolved(sys, n); !f.empty()) v.ofi_nccl_plugin = f;
      v.plugin_on_loader_path = !v.ofi_nccl_plugin.empty();
    } else if (std::string f = find_library_file(n, sys); !f.empty()) {
      v.ofi_nccl_plugin = f;
      v.plugin_on_loader_path = true;
    } else {
      for (const char* d : kOfiNcclDirs)
        if (std::string g = resolved(sys, std::string(d) + "/" + n); !g.empty()) {
          v.ofi_nccl_plugin = g;
          break;
        }
    }
    if (!v.ofi_nccl_plugin.empty()) break;
  }
  return v;
}

std::vector<Finding> efa_findings(const EfaFacts& f) {
  std::vector<Finding> fs;
  const EfaView& v = f.view;
  const bool efa_type = f.efa_interfaces && *f.efa_interfaces > 0;
  const std::string type = f.instance_type.empty() ? "this instance" : f.instance_type;
  // Judged only where the type has EFA; elsewhere (type unknown) what is there is said as a pass.
  const Status missing = efa_type ? Status::warn : Status::pass;
  const std::string expect =
      efa_type ? " (" + type + " takes " + std::to_string(*f.efa_interfaces) + " EFA interface" +
                     (*f.efa_interfaces == 1 ? "" : "s") + ")"
               : "";

  if (v.uverbs.empty()) {
    if (v.efa_devices.empty() && !f.in_container) {
      fs.push_back({missing, "efa_not_attached", "no EFA device on this instance" + expect,
                    efa_type ? "launch the instance with EFA network interfaces (InterfaceType=efa), "
                               "and the EFA kernel driver loaded (AWS's EFA installer)"
                             : ""});
    } else {
      fs.push_back({missing, "efa_device_missing",
                    "no /dev/infiniband/uverbs* in this " + std::string(f.in_container ? "container" : "machine") +
                        (v.efa_devices.empty() ? "" : " although the host has EFA devices (" + v.efa_devices.front() + ")") +
                        expect,
                    efa_type ? "pass the EFA devices in: docker run --device /dev/infiniband/uverbs0 (one --device per "
                               "uverbsN), or on Kubernetes the EFA device plugin's resource "
                               "(resources.limits: vpc.amazonaws.com/efa: N)"
                             : ""});
    }
  } else {
    fs.push_back({Status::pass, "", std::to_string(v.uverbs.size()) + " EFA/RDMA device node" +
                                        (v.uverbs.size() == 1 ? "" : "s") + " (" + v.uverbs.front() + ")",
                  ""});
  }

  const bool provider = v.libfabric_from_efa_installer || !v.efa_provider.empty();
  if (v.libfabric.empty()) {
    fs.push_back({missing, "efa_libfabric_missing", "no libfabric (libfabric.so.1): NCCL cannot reach EFA",
                  efa_type ? "install AWS's EFA software in the image: aws-efa-installer (efa_installer.sh -y --skip-kmod "
                             "in a container), which puts libfabric with its efa provider in /opt/amazon/efa"
                           : ""});
  } else if (!provider) {
    fs.push_back({missing, "efa_provider_unknown",
                  "libfabric " + v.libfabric + " is not AWS's build and has no libefa-fi.so beside it: whether it has "
                  "the efa provider is unknown (fi_info -p efa says)",
                  efa_type ? "use the libfabric of AWS's EFA installer (/opt/amazon/efa/lib)" : ""});
  } else {
    fs.push_back({Status::pass, "", "libfabric with the efa provider: " + v.libfabric, ""});
  }

  if (v.ofi_nccl_plugin.empty()) {
    fs.push_back({missing, "efa_plugin_missing",
                  "no aws-ofi-nccl plugin (libnccl-net-ofi.so / libnccl-net.so" +
                      (v.net_plugin_env.empty() ? std::string() : ", NCCL_NET_PLUGIN=" + v.net_plugin_env) +
                      "): NCCL uses TCP sockets between nodes",
                  efa_type ? "install aws-ofi-nccl (AWS's EFA installer 1.29 and later puts it in /opt/amazon/ofi-nccl) "
                             "and put its lib folder on LD_LIBRARY_PATH"
                           : ""});
  } else if (!v.plugin_on_loader_path) {
    const std::string dir = v.ofi_nccl_plugin.substr(0, v.ofi_nccl_plugin.rfind('/'));
    fs.push_back({missing, "efa_plugin_off_loader_path",
                  "the aws-ofi-nccl plugin " + v.ofi_nccl_plugin +
                      " is not on the loader's paths: NCCL (which loads it by name) does not find it",
                  efa_type ? "add " + dir + " to LD_LIBRARY_PATH (or list it in /etc/ld.so.conf.d and run ldconfig)" : ""});
  } else {
    fs.push_back({Status::pass, "", "NCCL net plugin: " + v.ofi_nccl_plugin, ""});
  }

  if (!f.nccl_network.empty()) {
    const bool ofi = f.nccl_network.find("Libfabric") != std::string::npos || f.nccl_network.find("OFI") != std::string::npos;
    if (ofi)
      fs.push_back({Status::pass, "", "NCCL uses the network " + f.nccl_network, ""});
    else
      fs.push_back({missing, "efa_not_used", "NCCL chose the network " + f.nccl_network + ", not EFA (AWS Libfabric)",
                    efa_type ? "NCCL loads the plugin from the loader's paths: put aws-ofi-nccl's lib folder on "
                               "LD_LIBRARY_PATH, leave NCCL_NET unset (or NCCL_NET=\"AWS Libfabric\"), and see "
                               "NCCL_DEBUG=INFO's NET/OFI lines for why it was not taken"
                             : ""});
  }
  return fs;
}

}  // namespace gpuprobe
