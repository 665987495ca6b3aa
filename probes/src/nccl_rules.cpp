#include <algorithm>

#include "gpuprobe/probes/nccl.hpp"

namespace gpuprobe {

namespace {

bool env_set_to_true(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& kv : env) {
    if (kv.rfind(name + "=", 0) != 0) continue;
    const std::string v = kv.substr(name.size() + 1);
    return v != "0" && v != "false" && v != "FALSE";
  }
  return false;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// The connections between ranks that took `t`, as "0[0] -> 1[1] via SHM/direct/direct" (at most 3).
std::string examples(const NcclLog& log, NcclTransport t) {
  std::vector<std::string> out;
  for (const auto& c : log.connections) {
    if (c.transport != t) continue;
    const std::string s = std::to_string(c.from_rank) + "[" + std::to_string(c.from_dev) + "] -> " +
                          std::to_string(c.to_rank) + "[" + std::to_string(c.to_dev) + "] via " + c.via;
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    if (out.size() == 3) break;
  }
  return join(out, ", ");
}

}  // namespace

bool nvlink_type(const std::string& gpu_link) { return gpu_link.rfind("NVLink", 0) == 0; }

std::string nccl_transport_summary(const NcclTransportFacts& f) {
  if (f.ranks <= 1) return "one rank: no transport between GPUs";
  const auto vias = f.log.vias();
  if (vias.empty()) return "transport between the " + std::to_string(f.ranks) + " GPUs not named in NCCL's log";
  return join(vias, ", ") + " between the " + std::to_string(f.ranks) + " GPUs";
}

std::vector<Finding> nccl_transport_findings(const NcclTransportFacts& f) {
  std::vector<Finding> fs;
  if (f.ranks <= 1) {
    fs.push_back({Status::pass, "", "one GPU, one rank: NCCL connects nothing", ""});
    return fs;
  }
  if (f.log.connections.empty()) {
    fs.push_back({Status::pass, "",
                  "NCCL's log named no connection between the GPUs (NCCL_DEBUG_FILE or NCCL_DEBUG_SUBSYS overridden?): "
                  "transport unknown",
                  ""});
    return fs;
  }
  const bool p2p_off = env_set_to_true(f.env, "NCCL_P2P_DISABLE");
  const bool shm_off = env_set_to_true(f.env, "NCCL_SHM_DISABLE");
  const std::string type = f.instance_type.empty() ? "this machine" : f.instance_type;
  for (const NcclTransport t : {NcclTransport::shm, NcclTransport::net}) {
    if (!f.log.uses(t)) continue;
    const std::string what = t == NcclTransport::shm ? "through host shared memory (SHM)" : "through the network stack";
    const std::string msg = "NCCL moves data between the GPUs of this machine " + what + ": " + examples(f.log, t);
    std::string cause, hint;
    if (p2p_off) {
      cause = "NCCL_P2P_DISABLE is set";
      hint = "unset NCCL_P2P_DISABLE" + std::string(t == NcclTransport::net && shm_off ? " and NCCL_SHM_DISABLE" : "") +
             ": NCCL then uses P2P (NVLink or PCIe) between GPUs";
    } else {
      cause = "P2P between the GPUs is unavailable";
      hint = "GPU peer-to-peer access is blocked: PCIe ACS or the IOMMU on the host (nvidia-smi topo -p2p r shows "
             "which pairs), or a container or virtual machine that does not pass the GPUs through together; the "
             "topology check lists the pairs";
    }
    if (nvlink_type(f.gpu_link)) {
      fs.push_back({Status::fail, "nccl_no_p2p",
                    msg + " on " + type + ", whose GPUs are joined by " + f.gpu_link + " (" + cause + ")", hint});
    } else if (p2p_off || (t == NcclTransport::net && shm_off)) {
      fs.push_back({Status::warn, "nccl_transport_disabled", msg + " (" + cause + ")", hint});
    } else {
      fs.push_back({Status::pass, "", msg + " (P2P unavailable between these GPUs)", ""});
    }
  }
  if (fs.empty())
    fs.push_back({Status::pass, "", "NCCL connects the GPUs " + join(f.log.vias(), ", "), ""});
  return fs;
}

}  // namespace gpuprobe
