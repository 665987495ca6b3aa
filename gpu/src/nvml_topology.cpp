#include "gpuprobe/gpu/nvml_topology.hpp"

namespace gpuprobe {

namespace {

// Makes one query when its entry point is bound (FUNCTION_NOT_FOUND otherwise) and records its code
// under `name`, with the link or capability in brackets when given.
template <class Fn, class Call>
int ask(std::vector<NvmlQuery>& qs, const std::string& name, Fn fn, Call&& call) {
  const int code = fn ? call() : kNvmlErrorFunctionNotFound;
  qs.push_back({name, code});
  return code;
}
std::string indexed(const char* name, unsigned i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

// The state query's codes that end the walk over a GPU's links.
bool ends_links(int code) {
  return code == kNvmlErrorNotSupported || code == kNvmlErrorInvalidArgument || code == kNvmlErrorFunctionNotFound ||
         code == kNvmlErrorGpuIsLost;
}

void read_counters(const NvmlLib& n, nvmlDevice_t dev, NvLinkLinkState& l, std::vector<NvmlQuery>& qs) {
  struct Counter {
    const char* name;
    int id;
    std::optional<unsigned long long> NvLinkLinkState::*field;
  };
  static constexpr Counter kCounters[] = {
      {"nvlink_replay", kNvmlNvLinkErrorDlReplay, &NvLinkLinkState::replay},
      {"nvlink_recovery", kNvmlNvLinkErrorDlRecovery, &NvLinkLinkState::recovery},
      {"nvlink_crc_flit", kNvmlNvLinkErrorDlCrcFlit, &NvLinkLinkState::crc_flit},
      {"nvlink_crc_data", kNvmlNvLinkErrorDlCrcData, &NvLinkLinkState::crc_data},
  };
  for (const auto& c : kCounters) {
    unsigned long long v = 0;
    const int code = ask(qs, indexed(c.name, l.link), n.nvmlDeviceGetNvLinkErrorCounter,
                         [&] { return n.nvmlDeviceGetNvLinkErrorCounter(dev, l.link, c.id, &v); });
    if (code == kNvmlSuccess) l.*c.field = v;
    if (code == kNvmlErrorGpuIsLost) return;
  }
}

}  // namespace

int NvLinkRead::active_count() const {
  int k = 0;
  for (const auto& l : links) k += l.active.value_or(false) ? 1 : 0;
  return k;
}
int NvLinkRead::inactive_count() const {
  int k = 0;
  for (const auto& l : links) k += l.active.has_value() && !*l.active ? 1 : 0;
  return k;
}

NvLinkRead nvml_read_nvlinks(const NvmlLib& n, nvmlDevice_t dev) {
  NvLinkRead r;
  auto& qs = r.queries;
  for (unsigned link = 0; link < kNvmlNvLinkMaxLinks; ++link) {
    int state = 0;
    const int code = ask(qs, indexed("nvlink_state", link), n.nvmlDeviceGetNvLinkState,
                         [&] { return n.nvmlDeviceGetNvLinkState(dev, link, &state); });
    if (link == 0) r.first_code = code;
    if (ends_links(code)) {
      r.end_code = code;
      break;
    }
    NvLinkLinkState l;
    l.link = link;
    if (code == kNvmlSuccess) {
      l.active = state == kNvmlFeatureEnabled;
      unsigned v = 0;
      if (ask(qs, indexed("nvlink_version", link), n.nvmlDeviceGetNvLinkVersion,
              [&] { return n.nvmlDeviceGetNvLinkVersion(dev, link, &v); }) == kNvmlSuccess)
        l.version = v;
      if (*l.active) {
        nvmlPciInfo_t pci{};
        if (ask(qs, indexed("nvlink_remote_pci", link), n.nvmlDeviceGetNvLinkRemotePciInfo_v2,
                [&] { return n.nvmlDeviceGetNvLinkRemotePciInfo_v2(dev, link, &pci); }) == kNvmlSuccess) {
          pci.busId[sizeof pci.busId - 1] = '\0';
          l.remote_bus_id = pci.busId;
        }
        int type = 0;
        if (ask(qs, indexed("nvlink_remote_type", link), n.nvmlDeviceGetNvLinkRemoteDeviceType,
                [&] { return n.nvmlDeviceGetNvLinkRemoteDeviceType(dev, link, &type); }) == kNvmlSuccess)
          l.remote_type = type;
      }
      read_counters(n, dev, l, qs);
    }
    r.links.push_back(l);
    if (!qs.empty() && qs.back().code == kNvmlErrorGpuIsLost) {
      r.end_code = kNvmlErrorGpuIsLost;
      break;
    }
  }
  return r;
}

NvmlPairRead nvml_read_pair(const NvmlLib& n, nvmlDevice_t a, nvmlDevice_t b) {
  NvmlPairRead r;
  int level = 0;
  if (ask(r.queries, "topology_common_ancestor", n.nvmlDeviceGetTopologyCommonAncestor,
          [&] { return n.nvmlDeviceGetTopologyCommonAncestor(a, b, &level); }) == kNvmlSuccess)
    r.topology = level;
  for (int caps = kNvmlP2PCapsRead; caps <= kNvmlP2PCapsAtomics; ++caps) {
    int status = 0;
    const int code = ask(r.queries, std::string("p2p_status_") + nvml_p2p_caps_name(caps), n.nvmlDeviceGetP2PStatus,
                         [&] { return n.nvmlDeviceGetP2PStatus(a, b, caps, &status); });
    if (code == kNvmlSuccess) r.p2p[static_cast<std::size_t>(caps)] = status;
    if (code == kNvmlErrorGpuIsLost) break;
  }
  return r;
}

std::string nvml_topology_name(int level) {
  switch (level) {
    case kNvmlTopologyInternal: return "internal";
    case kNvmlTopologySingle: return "PCIe switch";
    case kNvmlTopologyMultiple: return "PCIe switches";
    case kNvmlTopologyHostbridge: return "host bridge";
    case kNvmlTopologyNode: return "NUMA node";
    case kNvmlTopologySystem: return "across CPU sockets";
    default: return "level " + std::to_string(level);
  }
}

std::string nvml_p2p_status_name(int status) {
  switch (status) {
    case kNvmlP2PStatusOk: return "OK";
    case kNvmlP2PStatusChipsetNotSupported: return "CHIPSET_NOT_SUPPORTED";
    case kNvmlP2PStatusGpuNotSupported: return "GPU_NOT_SUPPORTED";
    case kNvmlP2PStatusIohTopologyNotSupported: return "IOH_TOPOLOGY_NOT_SUPPORTED";
    case kNvmlP2PStatusDisabledByRegkey: return "DISABLED_BY_REGKEY";
    case kNvmlP2PStatusNotSupported: return "NOT_SUPPORTED";
    case kNvmlP2PStatusUnknown: return "UNKNOWN";
    default: return "status " + std::to_string(status);
  }
}

const char* nvml_p2p_caps_name(int index) {
  switch (index) {
    case kNvmlP2PCapsRead: return "read";
    case kNvmlP2PCapsWrite: return "write";
    case kNvmlP2PCapsNvlink: return "nvlink";
    case kNvmlP2PCapsAtomics: return "atomics";
    default: return "unknown";
  }
}

std::optional<int> nvlink_version_major(unsigned v) {
  static constexpr int kMajor[] = {0, 1, 2, 2, 3, 3, 4, 5, 6};
  if (v == 0 || v >= sizeof kMajor / sizeof kMajor[0]) return std::nullopt;
  return kMajor[v];
}

std::string nvlink_version_name(unsigned v) {
  static constexpr const char* kName[] = {"", "1.0", "2.0", "2.2", "3.0", "3.1", "4.0", "5.0", "6.0"};
  if (v == 0 || v >= sizeof kName / sizeof kName[0]) return "unknown (" + std::to_string(v) + ")";
  return kName[v];
}

std::string nvlink_remote_type_name(int type) {
  switch (type) {
    case kNvmlNvLinkDeviceTypeGpu: return "GPU";
    case kNvmlNvLinkDeviceTypeSwitch: return "NVSwitch";
    case kNvmlNvLinkDeviceTypeIbmNpu: return "IBM NPU";
    default: return "unknown";
  }
}

}  // namespace gpuprobe
