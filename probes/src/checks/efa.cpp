// Check: AWS's Elastic Fabric Adapter, on the instance types that have it (the catalog's
// efa_interfaces): the device nodes in this container, libfabric with its efa provider, the
// aws-ofi-nccl plugin NCCL loads, and the network the nccl check's NCCL chose. Host files only
// (SystemView): rules in probes/src/efa_rules.cpp.
#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/probes/nccl.hpp"
#include "gpuprobe/report/catalog.hpp"

namespace gpuprobe::checks {

CheckResult efa(ProbeContext& ctx) {
  EfaFacts f;
  std::string nccl_network;
  ctx.report().with([&](Report& r) {
    if (r.host.cloud) f.instance_type = r.host.cloud->instance_type;
    for (const auto& c : r.checks)
      if (c.id == "nccl" && c.details.contains("network") && c.details["network"].is_string())
        f.nccl_network = c.details["network"].get<std::string>();
  });
  const InstanceType* type = find_instance(builtin_catalog(), f.instance_type);
  if (type) f.efa_interfaces = type->interconnect.efa_interfaces;
  if (f.efa_interfaces && *f.efa_interfaces == 0) return skip("no EFA on " + f.instance_type, "not_applicable");
  f.view = read_efa_view(ctx.system());
  f.in_container = detect_container(ctx.system()).detected;
  const EfaView& v = f.view;
  const bool efa_type = f.efa_interfaces && *f.efa_interfaces > 0;
  if (!efa_type && v.uverbs.empty() && v.efa_devices.empty() && v.libfabric.empty() && v.ofi_nccl_plugin.empty())
    return skip(std::string("no EFA here") +
                    (f.instance_type.empty() ? "" : " (" + f.instance_type + ": EFA unknown to gpuprobe's catalog)"),
                "not_applicable");
  const std::vector<Finding> fs = efa_findings(f);
  std::string ok = efa_type ? "EFA ready on " + f.instance_type + ": device nodes, libfabric's efa provider, aws-ofi-nccl"
                            : "EFA pieces present (instance type without a catalog entry for EFA)";
  if (!f.nccl_network.empty()) ok += "; NCCL uses " + f.nccl_network;
  CheckResult r = from_findings(fs, ok);
  r.details["uverbs"] = v.uverbs;
  r.details["efa_devices"] = v.efa_devices;
  r.details["rdma_devices"] = v.rdma_devices;
  r.details["libfabric"] = v.libfabric;
  r.details["efa_provider"] = v.libfabric_from_efa_installer ? "built in (AWS's libfabric)" : v.efa_provider;
  r.details["nccl_net_plugin"] = v.ofi_nccl_plugin;
  if (efa_type) r.details["efa_interfaces"] = *f.efa_interfaces;
  if (!f.nccl_network.empty()) r.details["nccl_network"] = f.nccl_network;
  return r;
}

}  // namespace gpuprobe::checks
