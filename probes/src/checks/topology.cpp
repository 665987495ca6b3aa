// The topology check: how the GPUs reach each other. Every pair: cudaDeviceCanAccessPeer both ways and NVML's
// view (the PCIe path, P2P status); every GPU's NVLink links (state, version, remote end, error
// counters); the NVSwitch fabric's registration. topology_rules.cpp judges them against the
// instance type (the catalog's NVLink links per GPU), or, on a type it does not know, only for
// consistency. No GPU memory is used: copies between GPUs are bench's work.
#include <cuda_runtime_api.h>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/nvml_read.hpp"
#include "gpuprobe/gpu/nvml_topology.hpp"
#include "gpuprobe/probes/topology.hpp"
#include "gpuprobe/report/catalog.hpp"

namespace gpuprobe::checks {

namespace {

// cudaDeviceCanAccessPeer: the answer, or nullopt with the error's name in `error`. The error is the
// fact reported, so it is recorded rather than thrown.
std::optional<bool> can_access_peer(int from, int to, std::string& error) {
  int can = 0;
  const cudaError_t e = cudaDeviceCanAccessPeer(&can, from, to);
  if (e != cudaSuccess) {
    error = cudaGetErrorName(e);
    return std::nullopt;
  }
  return can != 0;
}

}  // namespace

CheckResult topology(ProbeContext& ctx) {
  if (!ctx.gpus_usable()) return skip_no_gpu(ctx);
  const std::vector<GpuInfo> gpus = ctx.gpus();
  if (gpus.empty()) return skip_no_gpu(ctx);
  const std::string instance_type = instance_type_of(ctx);
  const TopologyExpectation expected = expected_topology(builtin_catalog(), instance_type);

  TopologyFacts f;
  const NvmlLib& n = nvml_lib();
  f.nvml_usable = n.usable();
  if (!f.nvml_usable) f.nvml_missing = !n.missing.empty() ? n.missing : "nvmlInit: " + n.error_string(n.init_result);
  std::vector<NvmlHandle> handles;
  for (const auto& g : gpus) {
    TopologyGpu t;
    t.index = g.index;
    t.label = gpu_label(g);
    t.bus_id = g.pci_bus_id;
    NvmlHandle h;
    if (f.nvml_usable) {
      h = nvml_handle_for(n, g);
      t.handle_code = h.code;
      if (h) t.nvlink = nvml_read_nvlinks(n, *h);
    }
    handles.push_back(h);
    f.gpus.push_back(std::move(t));
  }
  for (std::size_t i = 0; i < gpus.size(); ++i)
    for (std::size_t j = i + 1; j < gpus.size(); ++j) {
      TopologyPair p;
      p.a = gpus[i].index;
      p.b = gpus[j].index;
      p.cuda_ab = can_access_peer(p.a, p.b, p.cuda_error);
      p.cuda_ba = can_access_peer(p.b, p.a, p.cuda_error);
      if (handles[i] && handles[j]) p.nvml = nvml_read_pair(n, *handles[i], *handles[j]);
      f.pairs.push_back(std::move(p));
    }
  if (f.nvml_usable) {
    unsigned count = 0;
    if (n.nvmlDeviceGetCount_v2(&count) == kNvmlSuccess) f.fabric = nvml_survey_gpus(n, count);
  }

  const std::vector<Finding> fs = evaluate_topology(f, expected);
  const std::string summary = describe_topology(f);
  // One GPU passes with "one GPU: no pairs" rather than skipping: its links were read and judged,
  // and a run of --only topology there must not end in "no check ran".
  CheckResult r = from_findings(fs, summary);
  if (r.status != Status::pass) r.message += " — " + summary;
  r.measured = summary;
  if (expected.expects_nvlink())
    r.expected = std::to_string(*expected.nvlink_links) + " NVLink links per GPU on " + expected.matched;
  else if (expected.known())
    r.expected = "PCIe only on " + expected.matched;
  r.details.update(topology_details(f, expected));
  return r;
}

}  // namespace gpuprobe::checks
