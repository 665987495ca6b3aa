// The topology check's NVML reading and its verdicts, on fixture NVML answers: a stand-in NVML
// function table answers like a node (p4d's 8 A100s through NVSwitch, p5's H100s, g5.12xlarge's
// PCIe A10Gs, an old driver without the entry points), the reading code reads it as the check
// does, and the rules judge what was read. No NVML, no GPU.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <set>

#include "gpuprobe/gpu/nvml_topology.hpp"
#include "gpuprobe/probes/topology.hpp"
#include "gpuprobe/report/catalog.hpp"

namespace gpuprobe {
namespace {

// The node the stand-in NVML describes.
struct FakeNode {
  int links = 12;         // NVLink links per GPU; 0: NVML says NOT_SUPPORTED (no NVLink)
  unsigned version = 4;   // nvmlNvlinkVersion_t: 4 = NVLink 3.0
  int remote_type = kNvmlNvLinkDeviceTypeSwitch;
  std::set<std::pair<int, unsigned>> down;  // (GPU, link) inactive
  std::map<std::pair<int, unsigned>, unsigned long long> replay;
  int lost_gpu = -1;      // GPU_IS_LOST from its link `lost_at_link` on
  unsigned lost_at_link = 0;
  int p2p = kNvmlP2PStatusOk;         // read, write, atomics
  int p2p_nvlink = kNvmlP2PStatusOk;  // the NVLink capability
  int topology = kNvmlTopologySystem;
  int fabric_code = kNvmlErrorNotSupported;  // the fabric query's answer (A100: NOT_SUPPORTED)
  unsigned char fabric_state = kNvmlFabricStateCompleted;
  int fabric_status = kNvmlSuccess;
};
FakeNode node;

int gpu_of(nvmlDevice_t d) { return static_cast<int>(reinterpret_cast<std::uintptr_t>(d)) - 1; }
nvmlDevice_t dev(int i) { return reinterpret_cast<nvmlDevice_t>(static_cast<std::uintptr_t>(i + 1)); }

int link_answer(nvmlDevice_t d, unsigned link) {
  if (gpu_of(d) == node.lost_gpu && link >= node.lost_at_link) return kNvmlErrorGpuIsLost;
  if (node.links == 0) return kNvmlErrorNotSupported;
  if (link >= static_cast<unsigned>(node.links)) return kNvmlErrorInvalidArgument;
  return kNvmlSuccess;
}

// Only what nvml_lib() requires, as an NVML older than the NVLink and P2P entry points.
NvmlLib old_table() {
  NvmlLib n;
  n.init_result = kNvmlSuccess;
  n.nvmlDeviceGetHandleByIndex_v2 = [](unsigned i, nvmlDevice_t* d) {
    *d = dev(static_cast<int>(i));
    return kNvmlSuccess;
  };
  n.nvmlDeviceGetGpuFabricInfoV = [](nvmlDevice_t, nvmlGpuFabricInfo_v2_t* f) {
    if (node.fabric_code != kNvmlSuccess) return node.fabric_code;
    f->state = node.fabric_state;
    f->status = node.fabric_status;
    return kNvmlSuccess;
  };
  return n;
}

NvmlLib full_table() {
  NvmlLib n = old_table();
  n.nvmlDeviceGetNvLinkState = [](nvmlDevice_t d, unsigned link, int* s) {
    if (const int c = link_answer(d, link)) return c;
    *s = node.down.count({gpu_of(d), link}) ? kNvmlFeatureDisabled : kNvmlFeatureEnabled;
    return kNvmlSuccess;
  };
  n.nvmlDeviceGetNvLinkVersion = [](nvmlDevice_t d, unsigned link, unsigned* v) {
    if (const int c = link_answer(d, link)) return c;
    *v = node.version;
    return kNvmlSuccess;
  };
  n.nvmlDeviceGetNvLinkRemotePciInfo_v2 = [](nvmlDevice_t d, unsigned link, nvmlPciInfo_t* p) {
    if (const int c = link_answer(d, link)) return c;
    std::snprintf(p->busId, sizeof p->busId, "00000000:%02X:00.0", 0xC0 + static_cast<int>(link % 6));
    return kNvmlSuccess;
  };
  n.nvmlDeviceGetNvLinkRemoteDeviceType = [](nvmlDevice_t d, unsigned link, int* t) {
    if (const int c = link_answer(d, link)) return c;
    *t = node.remote_type;
    return kNvmlSuccess;
  };
  n.nvmlDeviceGetNvLinkErrorCounter = [](nvmlDevice_t d, unsigned link, int counter, unsigned long long* v) {
    if (const int c = link_answer(d, link)) return c;
    const auto it = node.replay.find({gpu_of(d), link});
    *v = counter == kNvmlNvLinkErrorDlReplay && it != node.replay.end() ? it->second : 0;
    return kNvmlSuccess;
  };
  n.nvmlDeviceGetTopologyCommonAncestor = [](nvmlDevice_t, nvmlDevice_t, int* level) {
    *level = node.topology;
    return kNvmlSuccess;
  };
  n.nvmlDeviceGetP2PStatus = [](nvmlDevice_t, nvmlDevice_t, int caps, int* status) {
    *status = caps == kNvmlP2PCapsNvlink ? node.p2p_nvlink : node.p2p;
    return kNvmlSuccess;
  };
  return n;
}

// What the check gathers, from the stand-in table: `cuda_p2p` is cudaDeviceCanAccessPeer's answer
// for every pair.
TopologyFacts gather(const NvmlLib& n, int gpus, bool cuda_p2p, const char* model = "NVIDIA A100-SXM4-40GB") {
  TopologyFacts f;
  f.nvml_usable = true;
  for (int i = 0; i < gpus; ++i) {
    TopologyGpu g;
    g.index = i;
    g.label = "GPU " + std::to_string(i) + " (" + model + ")";
    g.nvlink = nvml_read_nvlinks(n, dev(i));
    f.gpus.push_back(g);
  }
  for (int a = 0; a < gpus; ++a)
    for (int b = a + 1; b < gpus; ++b) {
      TopologyPair p;
      p.a = a, p.b = b;
      p.cuda_ab = p.cuda_ba = cuda_p2p;
      p.nvml = nvml_read_pair(n, dev(a), dev(b));
      f.pairs.push_back(p);
    }
  f.fabric = nvml_survey_gpus(n, static_cast<unsigned>(gpus));
  return f;
}

const Finding* find(const std::vector<Finding>& fs, const std::string& reason) {
  for (const auto& f : fs)
    if (f.reason == reason) return &f;
  return nullptr;
}

// The finding with `reason`, which must be there with status `s`.
const Finding& finding(const std::vector<Finding>& fs, const std::string& reason, Status s) {
  static const Finding none{Status::pass, "(none)", "", ""};
  const Finding* f = find(fs, reason);
  EXPECT_NE(f, nullptr) << reason;
  if (!f) return none;
  EXPECT_EQ(f->status, s) << reason;
  return *f;
}

class Topology : public ::testing::Test {
 protected:
  void SetUp() override { node = FakeNode{}; }
  TopologyExpectation type(const std::string& t) { return expected_topology(builtin_catalog(), t); }
};

// ---- reading ----------------------------------------------------------------------------------------

TEST_F(Topology, ReadsEveryLinkUntilNvmlSaysThereIsNoMore) {
  node.down = {{0, 5}};
  node.replay = {{{0, 2}, 7}};
  const NvLinkRead r = nvml_read_nvlinks(full_table(), dev(0));
  EXPECT_EQ(r.first_code, kNvmlSuccess);
  EXPECT_EQ(r.end_code, kNvmlErrorInvalidArgument);  // link 12 of an A100
  ASSERT_EQ(r.links.size(), 12u);
  EXPECT_EQ(r.active_count(), 11);
  EXPECT_EQ(r.inactive_count(), 1);
  EXPECT_EQ(r.links[0].remote_bus_id, "00000000:C0:00.0");
  EXPECT_EQ(r.links[0].remote_type, kNvmlNvLinkDeviceTypeSwitch);
  EXPECT_EQ(r.links[0].version, 4u);
  EXPECT_EQ(r.links[2].replay, 7u);
  EXPECT_EQ(r.links[2].crc_flit, 0u);
  // The inactive link: state, version and counters read, not its remote end.
  EXPECT_EQ(r.links[5].active, false);
  EXPECT_TRUE(r.links[5].remote_bus_id.empty());
  EXPECT_FALSE(r.links[5].remote_type);
  // Every query kept with its code: 11 active × 8 + 1 inactive × 6 + the state query that ended it.
  EXPECT_EQ(r.queries.size(), 11u * 8 + 6 + 1);
  EXPECT_EQ(r.queries.back().name, "nvlink_state[12]");
  EXPECT_EQ(r.queries.back().code, kNvmlErrorInvalidArgument);
}

TEST_F(Topology, AGpuWithoutNvlinkIsOneQuery) {
  node.links = 0;
  const NvLinkRead r = nvml_read_nvlinks(full_table(), dev(0));
  EXPECT_EQ(r.first_code, kNvmlErrorNotSupported);
  EXPECT_TRUE(r.links.empty());
  ASSERT_EQ(r.queries.size(), 1u);
  EXPECT_EQ(r.queries[0].name, "nvlink_state[0]");
}

TEST_F(Topology, AnOldNvmlWithoutTheEntryPointsReadsNothingAndSaysSo) {
  const NvmlLib n = old_table();
  const NvLinkRead r = nvml_read_nvlinks(n, dev(0));
  EXPECT_EQ(r.first_code, kNvmlErrorFunctionNotFound);
  EXPECT_TRUE(r.links.empty());
  const NvmlPairRead p = nvml_read_pair(n, dev(0), dev(1));
  EXPECT_FALSE(p.topology);
  for (const auto& s : p.p2p) EXPECT_FALSE(s);
  ASSERT_EQ(p.queries.size(), 5u);
  for (const auto& q : p.queries) EXPECT_EQ(q.code, kNvmlErrorFunctionNotFound) << q.name;
}

TEST_F(Topology, ALostGpuStopsTheReading) {
  node.lost_gpu = 0;
  node.lost_at_link = 3;
  const NvLinkRead r = nvml_read_nvlinks(full_table(), dev(0));
  EXPECT_EQ(r.end_code, kNvmlErrorGpuIsLost);
  EXPECT_EQ(r.links.size(), 3u);
  EXPECT_EQ(r.queries.back().code, kNvmlErrorGpuIsLost);
}

TEST_F(Topology, PairReadKeepsPathAndEveryP2PCapability) {
  node.p2p = kNvmlP2PStatusChipsetNotSupported;
  node.p2p_nvlink = kNvmlP2PStatusNotSupported;
  node.topology = kNvmlTopologyHostbridge;
  const NvmlPairRead p = nvml_read_pair(full_table(), dev(0), dev(1));
  EXPECT_EQ(p.topology, kNvmlTopologyHostbridge);
  EXPECT_EQ(p.p2p[kNvmlP2PCapsRead], kNvmlP2PStatusChipsetNotSupported);
  EXPECT_EQ(p.p2p[kNvmlP2PCapsNvlink], kNvmlP2PStatusNotSupported);
  EXPECT_EQ(p.queries.size(), 5u);
  EXPECT_EQ(p.queries[1].name, "p2p_status_read");
}

TEST_F(Topology, Names) {
  EXPECT_EQ(nvml_topology_name(kNvmlTopologySystem), "across CPU sockets");
  EXPECT_EQ(nvml_topology_name(kNvmlTopologySingle), "PCIe switch");
  EXPECT_EQ(nvml_p2p_status_name(kNvmlP2PStatusIohTopologyNotSupported), "IOH_TOPOLOGY_NOT_SUPPORTED");
  EXPECT_EQ(nvml_p2p_status_name(42), "status 42");
  EXPECT_EQ(nvlink_version_major(4), 3);   // NVML_NVLINK_VERSION_3_0
  EXPECT_EQ(nvlink_version_major(6), 4);   // NVML_NVLINK_VERSION_4_0
  EXPECT_EQ(nvlink_version_major(0), std::nullopt);
  EXPECT_EQ(nvlink_version_name(5), "3.1");
  EXPECT_EQ(nvlink_version_name(99), "unknown (99)");
  EXPECT_EQ(nvlink_remote_type_name(kNvmlNvLinkDeviceTypeSwitch), "NVSwitch");
}

// ---- what the instance type should have ----------------------------------------------------------

TEST_F(Topology, ExpectationsComeFromTheCatalog) {
  const auto p4d = type("p4d.24xlarge");
  EXPECT_EQ(p4d.nvlink_links, 12);
  EXPECT_EQ(p4d.nvlink_version, 3);
  EXPECT_TRUE(p4d.nvswitch);
  EXPECT_NE(p4d.source.find("recorded 2026-12"), std::string::npos) << p4d.source;
  for (const char* p5 : {"p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge"}) {
    EXPECT_EQ(type(p5).nvlink_links, 18) << p5;
    EXPECT_EQ(type(p5).nvlink_version, 4) << p5;
  }
  // Sizes the catalog does not list, of families with no NVLink at all: PCIe only.
  for (const char* pcie : {"g5.12xlarge", "g5.48xlarge", "g6.12xlarge", "g6e.48xlarge", "g4dn.12xlarge"}) {
    EXPECT_EQ(type(pcie).nvlink_links, 0) << pcie;
    EXPECT_FALSE(type(pcie).nvswitch) << pcie;
  }
  EXPECT_EQ(type("g5.12xlarge").matched, "g5.12xlarge");
  EXPECT_NE(type("g5.12xlarge").source.find("catalog g5.xlarge, for every g5 size: "), std::string::npos);
  // p3.2xlarge's one V100 says nothing of p3.16xlarge's NVLink; unknown types and none stay unknown.
  for (const char* unknown : {"p3.16xlarge", "p3.2xlarge", "m7i.large", "", "p4de.24xlarge"})
    EXPECT_FALSE(type(unknown).known()) << unknown;
}

// ---- verdicts -----------------------------------------------------------------------------------

TEST_F(Topology, P4dHealthyPasses) {
  const TopologyFacts f = gather(full_table(), 8, true);
  const auto fs = evaluate_topology(f, type("p4d.24xlarge"));
  EXPECT_EQ(worst(fs), Status::pass);
  EXPECT_TRUE(fs.empty());
  EXPECT_EQ(describe_topology(f),
            "8 GPUs, 28 pairs: P2P between every pair; NVLink 12 of 12 links active on every GPU (NVLink 3.0, to NVSwitch)");
}

TEST_F(Topology, P4dWithOneLinkDownFails) {
  node.down = {{3, 5}};
  const auto fs = evaluate_topology(gather(full_table(), 8, true), type("p4d.24xlarge"));
  const Finding& d = finding(fs, "topology_nvlink_down", Status::fail);
  EXPECT_EQ(d.message,
            "GPU 3 (NVIDIA A100-SXM4-40GB): 11 of 12 NVLink links active (link 5 inactive); p4d.24xlarge has 12 "
            "NVLink 3 links per GPU");
  EXPECT_NE(d.hint.find("nvidia-smi nvlink -s"), std::string::npos);
}

TEST_F(Topology, P5WithAGpuAt17Of18Fails) {
  node.links = 18;
  node.version = 6;
  node.down = {{6, 17}};
  const auto fs = evaluate_topology(gather(full_table(), 8, true, "NVIDIA H100 80GB HBM3"), type("p5.48xlarge"));
  EXPECT_EQ(worst(fs), Status::fail);
  const Finding* d = find(fs, "topology_nvlink_down");
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d->message.find("GPU 6 (NVIDIA H100 80GB HBM3): 17 of 18 NVLink links active (link 17 inactive)"),
            std::string::npos)
      << d->message;
  EXPECT_EQ(find(fs, "topology_nvlink_version"), nullptr);
}

TEST_F(Topology, FabricManagerNotStartedIsTheReasonAndTheOnlyFinding) {
  node.links = 18;
  node.version = 6;
  node.fabric_code = kNvmlSuccess;
  node.fabric_state = kNvmlFabricStateNotStarted;
  for (int g = 0; g < 8; ++g)
    for (unsigned l = 0; l < 18; ++l) node.down.insert({g, l});
  node.p2p = node.p2p_nvlink = kNvmlP2PStatusNotSupported;
  const auto fs = evaluate_topology(gather(full_table(), 8, false, "NVIDIA H100 80GB HBM3"), type("p5.48xlarge"));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::fail);
  EXPECT_EQ(fs[0].reason, "topology_fabric_manager");
  EXPECT_NE(fs[0].message.find("registration not started on NVML GPUs 0, 1, 2"), std::string::npos) << fs[0].message;
  EXPECT_NE(fs[0].message.find("p5.48xlarge joins its GPUs through NVSwitch"), std::string::npos);
  EXPECT_NE(fs[0].hint.find("nvidia-fabricmanager"), std::string::npos);
  // A registration that completed with an error says the same.
  node.fabric_state = kNvmlFabricStateCompleted;
  node.fabric_status = kNvmlErrorUnknown;
  const auto again = evaluate_topology(gather(full_table(), 8, false), type("p5.48xlarge"));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].reason, "topology_fabric_manager");
}

TEST_F(Topology, G5PcieOnlyWithoutP2PPassesWithTheReason) {
  node.links = 0;
  node.p2p = kNvmlP2PStatusChipsetNotSupported;
  node.p2p_nvlink = kNvmlP2PStatusNotSupported;
  node.topology = kNvmlTopologyHostbridge;
  const TopologyFacts f = gather(full_table(), 4, false, "NVIDIA A10G");
  const auto fs = evaluate_topology(f, type("g5.12xlarge"));
  EXPECT_EQ(worst(fs), Status::pass);
  const Finding& p = finding(fs, "topology_p2p_pcie", Status::pass);
  EXPECT_EQ(p.message,
            "no P2P between any GPU pair (NVML P2P read: CHIPSET_NOT_SUPPORTED): normal on g5.12xlarge, PCIe only "
            "(GPU-to-GPU copies go through host memory)");
  EXPECT_NE(p.hint.find("iommu=pt"), std::string::npos);
  EXPECT_EQ(describe_topology(f), "4 GPUs, 6 pairs: no P2P; no active NVLink");
  // With P2P allowed over PCIe, nothing to say.
  EXPECT_TRUE(evaluate_topology(gather(full_table(), 4, true), type("g5.12xlarge")).empty());
}

TEST_F(Topology, AnOldDriverWithoutTheEntryPointsWarnsWhereNvlinkIsExpected) {
  const TopologyFacts f = gather(old_table(), 8, true);
  const auto fs = evaluate_topology(f, type("p5.48xlarge"));
  EXPECT_EQ(worst(fs), Status::warn);
  const Finding* u = find(fs, "topology_nvlink_unread");
  ASSERT_NE(u, nullptr);
  EXPECT_NE(u->message.find("FUNCTION_NOT_FOUND"), std::string::npos);
  EXPECT_NE(u->hint.find("update the driver"), std::string::npos);
  // On a type that is PCIe only (or unknown) it is information.
  EXPECT_EQ(worst(evaluate_topology(f, type("g6.48xlarge"))), Status::pass);
  EXPECT_EQ(worst(evaluate_topology(f, type(""))), Status::pass);
  EXPECT_EQ(describe_topology(f), "8 GPUs, 28 pairs: P2P between every pair; NVLink not read (FUNCTION_NOT_FOUND)");
}

TEST_F(Topology, NvmlNotUsableJudgesCudaAlone) {
  TopologyFacts f = gather(full_table(), 2, true);
  f.nvml_usable = false;
  f.nvml_missing = "nvmlInit: Driver Not Loaded";
  for (auto& g : f.gpus) g.nvlink.reset();
  for (auto& p : f.pairs) p.nvml.reset();
  f.fabric.clear();
  const auto fs = evaluate_topology(f, type("p4d.24xlarge"));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::warn);
  EXPECT_EQ(fs[0].message, "NVLink not read: NVML is not usable (nvmlInit: Driver Not Loaded)");
  EXPECT_EQ(describe_topology(f), "2 GPUs, 1 pair: P2P between every pair; NVLink not read");
}

TEST_F(Topology, UnknownTypeIsJudgedForConsistencyOnly) {
  // NVML says the pair has NVLink P2P but CUDA denies it.
  auto fs = evaluate_topology(gather(full_table(), 2, false), type("m7i.large"));
  const Finding* d = find(fs, "topology_p2p_denied");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->status, Status::fail);
  EXPECT_EQ(d->message, "CUDA P2P denied between GPU 0 and GPU 1: NVML reports NVLink P2P for them");
  // A GPU with some links down while others are up, and GPUs with unequal counts: warnings.
  node.down = {{1, 0}, {1, 1}};
  fs = evaluate_topology(gather(full_table(), 4, true), type(""));
  EXPECT_EQ(worst(fs), Status::warn);
  ASSERT_NE(find(fs, "topology_nvlink_down"), nullptr);
  EXPECT_EQ(find(fs, "topology_nvlink_down")->message,
            "GPU 1 (NVIDIA A100-SXM4-40GB): 10 of 12 NVLink links active (links 0, 1 inactive) while the others are up");
  ASSERT_NE(find(fs, "topology_nvlink_uneven"), nullptr);
  EXPECT_EQ(find(fs, "topology_nvlink_uneven")->message,
            "GPUs have unequal numbers of active NVLink links: 10 on GPU 1; 12 on GPUs 0, 2, 3");
  // PCIe GPUs without P2P on an unknown type: information with NVML's reason.
  node = FakeNode{};
  node.links = 0;
  node.p2p = node.p2p_nvlink = kNvmlP2PStatusIohTopologyNotSupported;
  fs = evaluate_topology(gather(full_table(), 2, false), type(""));
  EXPECT_EQ(worst(fs), Status::pass);
  ASSERT_NE(find(fs, "topology_p2p_pcie"), nullptr);
  EXPECT_EQ(find(fs, "topology_p2p_pcie")->message,
            "no P2P between any GPU pair (NVML P2P read: IOH_TOPOLOGY_NOT_SUPPORTED): the GPUs are on PCIe (GPU-to-GPU "
            "copies go through host memory)");
}

TEST_F(Topology, P2PDeniedOrNotOverNvlinkOnAnNvlinkTypeFails) {
  node.p2p_nvlink = kNvmlP2PStatusNotSupported;
  auto fs = evaluate_topology(gather(full_table(), 2, true), type("p4d.24xlarge"));
  ASSERT_NE(find(fs, "topology_p2p_not_nvlink"), nullptr);
  EXPECT_EQ(find(fs, "topology_p2p_not_nvlink")->status, Status::fail);
  fs = evaluate_topology(gather(full_table(), 2, false), type("p4d.24xlarge"));
  ASSERT_NE(find(fs, "topology_p2p_denied"), nullptr);
  EXPECT_NE(find(fs, "topology_p2p_denied")->message.find("p4d.24xlarge has 12 NVLink 3 links per GPU"), std::string::npos);
  // One way only, and a failed query.
  TopologyFacts f = gather(full_table(), 3, true);
  f.pairs[0].cuda_ba = false;
  f.pairs[1].cuda_ab.reset();
  f.pairs[1].cuda_error = "cudaErrorInvalidDevice";
  fs = evaluate_topology(f, type(""));
  ASSERT_NE(find(fs, "topology_p2p_asymmetric"), nullptr);
  EXPECT_EQ(find(fs, "topology_p2p_query")->message, "cudaDeviceCanAccessPeer failed for GPU 0 and GPU 2 (cudaErrorInvalidDevice)");
}

TEST_F(Topology, ErrorCountersWarn) {
  node.replay = {{{2, 4}, 31}};
  const auto fs = evaluate_topology(gather(full_table(), 8, true), type("p4d.24xlarge"));
  EXPECT_EQ(worst(fs), Status::warn);
  const Finding* e = find(fs, "topology_nvlink_errors");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->message, "GPU 2 (NVIDIA A100-SXM4-40GB): NVLink error counters since the driver loaded: link 4 replay 31");
  EXPECT_NE(e->hint.find("nvidia-smi nvlink -e"), std::string::npos);
}

TEST_F(Topology, AnotherNvlinkVersionThanExpectedIsInformation) {
  node.links = 18;
  node.version = 7;  // NVML has answered 5.0 for H100s
  const auto fs = evaluate_topology(gather(full_table(), 8, true), type("p5.48xlarge"));
  EXPECT_EQ(worst(fs), Status::pass);
  ASSERT_NE(find(fs, "topology_nvlink_version"), nullptr);
  EXPECT_NE(find(fs, "topology_nvlink_version")->message.find("NVML reports NVLink 5.0, expected NVLink 4"),
            std::string::npos);
}

TEST_F(Topology, MissingNvlinkOnAnNvlinkTypeFails) {
  node.links = 0;
  const auto fs = evaluate_topology(gather(full_table(), 2, true), type("p5.48xlarge"));
  const Finding* m = find(fs, "topology_nvlink_missing");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->status, Status::fail);
  EXPECT_EQ(m->message,
            "GPU 0 (NVIDIA A100-SXM4-40GB): no active NVLink link (NVML: NOT_SUPPORTED); p5.48xlarge has 18 NVLink 4 "
            "links per GPU");
}

TEST_F(Topology, OneGpuHasNoPairs) {
  const TopologyFacts f = gather(full_table(), 1, true);
  EXPECT_TRUE(f.pairs.empty());
  EXPECT_TRUE(evaluate_topology(f, type("")).empty());
  EXPECT_EQ(describe_topology(f), "one GPU: no pairs; NVLink 12 of 12 links active (NVLink 3.0, to NVSwitch)");
  node.links = 0;
  EXPECT_EQ(describe_topology(gather(full_table(), 1, true)), "one GPU: no pairs; no active NVLink");
}

TEST_F(Topology, DetailsCarryTheMatrixTheLinksAndTheExpectation) {
  node.links = 2;
  node.down = {{1, 1}};
  const TopologyFacts f = gather(full_table(), 2, true);
  const auto j = topology_details(f, type("p4d.24xlarge"));
  EXPECT_EQ(j["expected"]["nvlink_links_per_gpu"], 12);
  EXPECT_EQ(j["expected"]["nvlink_version"], 3);
  EXPECT_EQ(j["expected"]["instance_type"], "p4d.24xlarge");
  EXPECT_EQ(j["expected"]["source"].get<std::string>().rfind("catalog p4d.24xlarge: NVIDIA NVLink generations", 0), 0u);
  ASSERT_EQ(j["p2p"].size(), 1u);
  EXPECT_EQ(j["p2p"][0]["cuda_ab"], true);
  EXPECT_EQ(j["p2p"][0]["nvml_path"], "across CPU sockets");
  EXPECT_EQ(j["p2p"][0]["nvml_p2p_nvlink"], "OK");
  ASSERT_EQ(j["gpus"].size(), 2u);
  EXPECT_EQ(j["gpus"][1]["nvlink_active"], 1);
  EXPECT_EQ(j["gpus"][1]["nvlinks"][1]["active"], false);
  EXPECT_EQ(j["gpus"][0]["nvlinks"][0]["version"], "3.0");
  EXPECT_EQ(j["gpus"][0]["nvlinks"][0]["remote_type"], "NVSwitch");
  EXPECT_EQ(j["gpus"][0]["nvlinks"][0]["replay_errors"], 0);
  EXPECT_EQ(j["fabric"][0]["fabric_query"], "NOT_SUPPORTED");
  // The inactive link's remote end was not asked; the state query that ended the walk is no failure.
  EXPECT_TRUE(j["unavailable"].empty()) << j["unavailable"].dump();
  EXPECT_EQ(type("m7i.large").known(), false);
  EXPECT_EQ(topology_details(f, type("m7i.large"))["expected"]["source"],
            "unknown: this instance type's links are not in the catalog");
}

}  // namespace
}  // namespace gpuprobe
