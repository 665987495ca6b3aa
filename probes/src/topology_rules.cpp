#include <algorithm>
#include <map>
#include <set>

#include "gpuprobe/probes/topology.hpp"

namespace gpuprobe {

namespace {

const char* const kLinkHint =
    "a link down on a GPU of an NVLink machine is hardware or firmware: reset the GPUs (host: nvidia-smi -r with no "
    "process using them) and read nvidia-smi nvlink -s; links that stay down need service — on a cloud instance stop "
    "and start it (it moves to other hardware) or report it to the provider with nvidia-smi nvlink -s";
const char* const kErrorsHint =
    "the counters count since the driver loaded; replays and CRC errors are retried in hardware, but counts that keep "
    "growing under load mean a marginal link (watch nvidia-smi nvlink -e); on a cloud instance report it to the "
    "provider with that output, on your own hardware reseat or service the GPU baseboard";
const char* const kPcieP2PHint =
    "P2P over PCIe is blocked by PCIe ACS on the bridges between the GPUs or by an IOMMU in translating mode: on bare "
    "metal, disable ACS on those bridges and boot with iommu=pt; in a VM (most cloud PCIe types) the hypervisor "
    "decides and NCCL goes through host memory instead";

std::string join(const std::vector<std::string>& parts, const char* sep = ", ") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string pair_name(const TopologyPair& p) {
  return "GPU " + std::to_string(p.a) + " and GPU " + std::to_string(p.b);
}

// Why NVML says P2P is not possible for a pair: "NVML read: CHIPSET_NOT_SUPPORTED"; "" when NVML
// says OK or was not read.
std::string nvml_p2p_reason(const TopologyPair& p) {
  if (!p.nvml) return "";
  const auto& r = p.nvml->p2p[kNvmlP2PCapsRead];
  if (!r || *r == kNvmlP2PStatusOk) return "";
  return "NVML P2P read: " + nvml_p2p_status_name(*r);
}

bool nvml_says_nvlink(const TopologyPair& p) {
  return p.nvml && p.nvml->p2p[kNvmlP2PCapsNvlink] == kNvmlP2PStatusOk;
}

// "link 5", "links 3, 7": the inactive links of a GPU.
std::string inactive_links(const NvLinkRead& r) {
  std::vector<std::string> ids;
  for (const auto& l : r.links)
    if (l.active.has_value() && !*l.active) ids.push_back(std::to_string(l.link));
  return (ids.size() == 1 ? "link " : "links ") + join(ids);
}

bool reads_no_nvlink(const NvLinkRead& r) {
  return r.links.empty() && (r.first_code == kNvmlErrorNotSupported || r.first_code == kNvmlErrorInvalidArgument);
}

std::string expected_text(const TopologyExpectation& e) {
  std::string s = e.matched + " has " + std::to_string(*e.nvlink_links) + " NVLink";
  if (e.nvlink_version) s += " " + std::to_string(*e.nvlink_version);
  return s + " links per GPU";
}

// The NVLink findings of one GPU.
void judge_links(const TopologyGpu& g, const TopologyExpectation& e, std::vector<Finding>& fs) {
  const NvLinkRead& r = *g.nvlink;
  if (r.links.empty() && !reads_no_nvlink(r)) {
    // FUNCTION_NOT_FOUND (an NVML without the entry point), GPU_IS_LOST, UNKNOWN...
    fs.push_back({e.expects_nvlink() ? Status::warn : Status::pass, "topology_nvlink_unread",
                  g.label + ": NVLink state not readable (" + nvml_return_name(r.first_code) + ")",
                  r.first_code == kNvmlErrorFunctionNotFound
                      ? "this driver's NVML lacks nvmlDeviceGetNvLinkState: update the driver to read the links"
                      : "read nvidia-smi nvlink -s on the host"});
    return;
  }
  const int active = r.active_count();
  if (e.expects_nvlink()) {
    const int want = *e.nvlink_links;
    if (reads_no_nvlink(r) || active == 0) {
      fs.push_back({Status::fail, "topology_nvlink_missing",
                    g.label + ": no active NVLink link" +
                        (reads_no_nvlink(r) ? " (NVML: " + nvml_return_name(r.first_code) + ")" : "") + "; " +
                        expected_text(e),
                    kLinkHint});
    } else if (active < want) {
      fs.push_back({Status::fail, "topology_nvlink_down",
                    g.label + ": " + std::to_string(active) + " of " + std::to_string(want) + " NVLink links active (" +
                        inactive_links(r) + " inactive); " + expected_text(e),
                    kLinkHint});
    } else if (active > want) {
      fs.push_back({Status::pass, "topology_nvlink_down",
                    g.label + ": " + std::to_string(active) + " NVLink links active, more than the " +
                        std::to_string(want) + " expected",
                    ""});
    }
    if (e.nvlink_version) {
      std::set<std::string> other;
      for (const auto& l : r.links)
        if (l.active.value_or(false) && l.version && nvlink_version_major(*l.version) != e.nvlink_version)
          other.insert(nvlink_version_name(*l.version));
      if (!other.empty())
        fs.push_back({Status::pass, "topology_nvlink_version",
                      g.label + ": NVML reports NVLink " + join({other.begin(), other.end()}) + ", expected NVLink " +
                          std::to_string(*e.nvlink_version) + " (information: NVML's version answer is not reliable "
                                                              "on every driver)",
                      ""});
    }
  } else if (!e.known() && active > 0 && r.inactive_count() > 0) {
    // Unknown type: links of one GPU partly up is suspicious, not proof (a bridge may use only some).
    fs.push_back({Status::warn, "topology_nvlink_down",
                  g.label + ": " + std::to_string(active) + " of " + std::to_string(active + r.inactive_count()) +
                      " NVLink links active (" + inactive_links(r) + " inactive) while the others are up",
                  kLinkHint});
  }
  // Error counters since the driver loaded.
  std::vector<std::string> errs;
  for (const auto& l : r.links) {
    const std::pair<const char*, std::optional<unsigned long long>> cs[] = {
        {"replay", l.replay}, {"recovery", l.recovery}, {"CRC flit", l.crc_flit}, {"CRC data", l.crc_data}};
    for (const auto& [name, v] : cs)
      if (v && *v > 0) errs.push_back("link " + std::to_string(l.link) + " " + name + " " + std::to_string(*v));
  }
  if (!errs.empty())
    fs.push_back({Status::warn, "topology_nvlink_errors",
                  g.label + ": NVLink error counters since the driver loaded: " + join(errs), kErrorsHint});
}

// GPUs with NVLink up whose active link counts differ (an unknown type's consistency).
void judge_uneven(const TopologyFacts& f, std::vector<Finding>& fs) {
  std::map<int, std::vector<std::string>> by_count;
  for (const auto& g : f.gpus)
    if (g.nvlink && g.nvlink->active_count() > 0) by_count[g.nvlink->active_count()].push_back(std::to_string(g.index));
  if (by_count.size() < 2) return;
  std::vector<std::string> parts;
  for (const auto& [n, gpus] : by_count)
    parts.push_back(std::to_string(n) + " on GPU" + (gpus.size() == 1 ? " " : "s ") + join(gpus));
  fs.push_back({Status::warn, "topology_nvlink_uneven",
                "GPUs have unequal numbers of active NVLink links: " + join(parts, "; "), kLinkHint});
}

void judge_pairs(const TopologyFacts& f, const TopologyExpectation& e, std::vector<Finding>& fs) {
  std::vector<std::string> denied_nvlink, pcie_denied, not_nvlink, asym, query;
  std::set<std::string> pcie_reasons;
  for (const auto& p : f.pairs) {
    if (!p.cuda_ab || !p.cuda_ba) {
      query.push_back(pair_name(p) + " (" + p.cuda_error + ")");
      continue;
    }
    if (*p.cuda_ab != *p.cuda_ba) asym.push_back(pair_name(p));
    if (!p.cuda_both()) {
      const std::string why = nvml_p2p_reason(p);
      const std::string item = pair_name(p) + (why.empty() ? "" : " (" + why + ")");
      // Denied while the type should have NVLink, or while NVML says the pair has NVLink.
      if (e.expects_nvlink() || nvml_says_nvlink(p)) denied_nvlink.push_back(item);
      else {
        pcie_denied.push_back(pair_name(p));
        if (!why.empty()) pcie_reasons.insert(why);
      }
    } else if (e.expects_nvlink() && p.nvml && p.nvml->p2p[kNvmlP2PCapsNvlink] &&
               *p.nvml->p2p[kNvmlP2PCapsNvlink] != kNvmlP2PStatusOk) {
      not_nvlink.push_back(pair_name(p) + " (NVML P2P nvlink: " + nvml_p2p_status_name(*p.nvml->p2p[kNvmlP2PCapsNvlink]) + ")");
    }
  }
  if (!denied_nvlink.empty())
    fs.push_back({Status::fail, "topology_p2p_denied",
                  "CUDA P2P denied between " + join(denied_nvlink, "; ") +
                      (e.expects_nvlink() ? "; " + expected_text(e) : ": NVML reports NVLink P2P for them"),
                  "P2P between NVLink GPUs is what NCCL and multi-GPU training use: look at the NVLink links (nvidia-smi "
                  "nvlink -s, nvidia-smi topo -p2p r); in a container or VM, all GPUs of the node must be given to it"});
  if (!not_nvlink.empty())
    fs.push_back({Status::fail, "topology_p2p_not_nvlink",
                  "P2P without NVLink between " + join(not_nvlink, "; ") + "; " + expected_text(e), kLinkHint});
  if (!asym.empty())
    fs.push_back({Status::warn, "topology_p2p_asymmetric",
                  "CUDA P2P works one way only between " + join(asym, "; "),
                  "read nvidia-smi topo -p2p r and -p2p w on the host; a driver or platform problem"});
  if (!query.empty())
    fs.push_back({Status::warn, "topology_p2p_query", "cudaDeviceCanAccessPeer failed for " + join(query, "; "),
                  "see the devices check"});
  if (!pcie_denied.empty()) {
    const bool all = pcie_denied.size() == f.pairs.size();
    std::string msg = "no P2P between " + (all ? std::string("any GPU pair") : join(pcie_denied, "; ")) +
                      (pcie_reasons.empty() ? "" : " (" + join({pcie_reasons.begin(), pcie_reasons.end()}, "; ") + ")");
    msg += e.known() ? ": normal on " + e.matched + ", PCIe only (GPU-to-GPU copies go through host memory)"
                     : ": the GPUs are on PCIe (GPU-to-GPU copies go through host memory)";
    fs.push_back({Status::pass, "topology_p2p_pcie", msg, kPcieP2PHint});
  }
}

}  // namespace

TopologyExpectation expected_topology(const Catalog& c, const std::string& instance_type) {
  TopologyExpectation e;
  e.instance_type = instance_type;
  if (instance_type.empty()) return e;
  const InstanceType* t = find_instance(c, instance_type);
  std::string entry;
  if (t) {
    entry = t->name;
  } else if ((t = find_family(c, instance_type)) && t->interconnect.links_family_wide) {
    entry = t->name + ", for every " + t->family + " size";
  } else {
    return e;
  }
  const Interconnect& x = t->interconnect;
  if (!x.nvlink_links) return e;
  e.matched = instance_type;
  e.nvlink_links = x.nvlink_links;
  e.nvlink_version = x.nvlink_version;
  e.nvswitch = x.gpu_link.find("NVSwitch") != std::string::npos;
  e.source = "catalog " + entry + ": " + x.links_source + " (recorded " + x.as_of + ")";
  return e;
}

std::vector<Finding> evaluate_topology(const TopologyFacts& f, const TopologyExpectation& e) {
  std::vector<Finding> fs;
  // An NVSwitch fabric Fabric Manager has not registered: every link and P2P finding follows from it.
  const FabricSummary fabric = summarize_fabric(f.fabric);
  if (fabric.unregistered + fabric.failed > 0) {
    fs.push_back({Status::fail, "topology_fabric_manager",
                  "the NVSwitch fabric is not initialized (" + fabric.text + "), so NVLink P2P is down" +
                      (e.nvswitch ? "; " + e.matched + " joins its GPUs through NVSwitch" : ""),
                  fabric_manager_hint()});
    return fs;
  }
  if (!f.nvml_usable)
    fs.push_back({e.expects_nvlink() ? Status::warn : Status::pass, "topology_nvlink_unread",
                  "NVLink not read: NVML is not usable (" + f.nvml_missing + ")", "see the nvml check"});
  for (const auto& g : f.gpus) {
    if (g.nvlink) judge_links(g, e, fs);
    else if (f.nvml_usable)
      fs.push_back({e.expects_nvlink() ? Status::warn : Status::pass, "topology_nvlink_unread",
                    g.label + ": no NVML handle (" + nvml_return_name(g.handle_code) + "): NVLink not read",
                    "see the nvml check"});
  }
  if (!e.known()) judge_uneven(f, fs);
  judge_pairs(f, e, fs);
  return fs;
}

std::string describe_topology(const TopologyFacts& f) {
  const std::size_t n = f.gpus.size();
  std::string s = n == 1 ? "one GPU: no pairs"
                         : std::to_string(n) + " GPUs, " + std::to_string(f.pairs.size()) +
                               (f.pairs.size() == 1 ? " pair: " : " pairs: ");
  if (n > 1) {
    std::size_t p2p = 0;
    for (const auto& p : f.pairs) p2p += p.cuda_both() ? 1 : 0;
    s += p2p == f.pairs.size() ? "P2P between every pair" : p2p == 0 ? "no P2P" : "P2P between " + std::to_string(p2p) + " of them";
  }
  // NVLink: "NVLink 18 of 18 active on every GPU (NVLink 4.0, to NVSwitch)", "no NVLink", "not read".
  std::set<std::pair<int, int>> counts;  // active, read
  std::set<std::string> versions, remotes;
  bool read = false;
  std::string unread;  // why the links were not read: "FUNCTION_NOT_FOUND"
  for (const auto& g : f.gpus) {
    if (!g.nvlink) continue;
    if (g.nvlink->links.empty() && !reads_no_nvlink(*g.nvlink)) {
      unread = nvml_return_name(g.nvlink->first_code);
      continue;
    }
    read = true;
    counts.insert({g.nvlink->active_count(), static_cast<int>(g.nvlink->links.size())});
    for (const auto& l : g.nvlink->links)
      if (l.active.value_or(false)) {
        if (l.version) versions.insert(nvlink_version_name(*l.version));
        if (l.remote_type) remotes.insert(nvlink_remote_type_name(*l.remote_type));
      }
  }
  s += "; ";
  if (!read) return s + "NVLink not read" + (unread.empty() ? "" : " (" + unread + ")");
  if (counts.size() == 1 && counts.begin()->first == 0) return s + "no active NVLink";
  if (counts.size() == 1) {
    s += "NVLink " + std::to_string(counts.begin()->first) + " of " + std::to_string(counts.begin()->second) +
         " links active" + (n == 1 ? "" : " on every GPU");
  } else {
    s += "NVLink active links differ between GPUs";
  }
  std::vector<std::string> about;
  if (!versions.empty()) about.push_back("NVLink " + join({versions.begin(), versions.end()}, "/"));
  if (!remotes.empty()) about.push_back("to " + join({remotes.begin(), remotes.end()}, "/"));
  if (!about.empty()) s += " (" + join(about) + ")";
  return s;
}

nlohmann::json topology_details(const TopologyFacts& f, const TopologyExpectation& e) {
  using nlohmann::json;
  const auto opt = [](const auto& v) { return v ? json(*v) : json(); };
  json unavailable = json::array();
  const auto note_unavailable = [&](const std::string& where, const std::vector<NvmlQuery>& qs) {
    for (const auto& q : unavailable_queries(qs))
      unavailable.push_back({{"where", where}, {"query", q.name}, {"error", nvml_return_name(q.code)}});
  };
  json expected = {{"instance_type", e.instance_type},
                   {"nvlink_links_per_gpu", opt(e.nvlink_links)},
                   {"nvlink_version", opt(e.nvlink_version)},
                   {"nvswitch", e.nvswitch},
                   {"source", e.known() ? e.source : "unknown: this instance type's links are not in the catalog"}};
  json pairs = json::array();
  for (const auto& p : f.pairs) {
    json j = {{"a", p.a}, {"b", p.b}, {"cuda_ab", opt(p.cuda_ab)}, {"cuda_ba", opt(p.cuda_ba)}};
    if (!p.cuda_error.empty()) j["cuda_error"] = p.cuda_error;
    if (p.nvml) {
      j["nvml_path"] = p.nvml->topology ? json(nvml_topology_name(*p.nvml->topology)) : json();
      for (int caps = kNvmlP2PCapsRead; caps <= kNvmlP2PCapsAtomics; ++caps) {
        const auto& st = p.nvml->p2p[static_cast<std::size_t>(caps)];
        j[std::string("nvml_p2p_") + nvml_p2p_caps_name(caps)] = st ? json(nvml_p2p_status_name(*st)) : json();
      }
      note_unavailable("GPU " + std::to_string(p.a) + " -> GPU " + std::to_string(p.b), p.nvml->queries);
    }
    pairs.push_back(j);
  }
  json gpus = json::array();
  for (const auto& g : f.gpus) {
    json j = {{"index", g.index}, {"pci_bus_id", g.bus_id}, {"nvml_handle", nvml_return_name(g.handle_code)}};
    if (g.nvlink) {
      j["nvlink_first_query"] = nvml_return_name(g.nvlink->first_code);
      j["nvlink_active"] = g.nvlink->active_count();
      json links = json::array();
      for (const auto& l : g.nvlink->links)
        links.push_back({{"link", l.link},
                         {"active", opt(l.active)},
                         {"version", l.version ? json(nvlink_version_name(*l.version)) : json()},
                         {"remote_pci_bus_id", l.remote_bus_id},
                         {"remote_type", l.remote_type ? json(nvlink_remote_type_name(*l.remote_type)) : json()},
                         {"replay_errors", opt(l.replay)},
                         {"recovery_errors", opt(l.recovery)},
                         {"crc_flit_errors", opt(l.crc_flit)},
                         {"crc_data_errors", opt(l.crc_data)}});
      j["nvlinks"] = links;
      // The state query that ended the walk (past the last link, or no NVLink) is not a failure.
      std::vector<NvmlQuery> qs = g.nvlink->queries;
      if (!qs.empty() && qs.back().name.rfind("nvlink_state[", 0) == 0 && qs.back().code == g.nvlink->end_code &&
          (g.nvlink->end_code == kNvmlErrorNotSupported || g.nvlink->end_code == kNvmlErrorInvalidArgument))
        qs.pop_back();
      note_unavailable("GPU " + std::to_string(g.index), qs);
    }
    gpus.push_back(j);
  }
  json fabric = json::array();
  for (const auto& s : f.fabric)
    fabric.push_back({{"nvml_index", s.index},
                      {"fabric_state", opt(s.fabric_state)},
                      {"fabric_status", s.fabric_state ? json(nvml_return_name(s.fabric_status)) : json()},
                      {"fabric_query", s.fabric_code < 0 ? json() : json(nvml_return_name(s.fabric_code))}});
  return {{"expected", expected}, {"p2p", pairs}, {"gpus", gpus}, {"fabric", fabric}, {"unavailable", unavailable}};
}

}  // namespace gpuprobe
