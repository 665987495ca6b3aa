// NCCL and EFA without a GPU: the version code, nccl-tests' buffer counts,
// the reading of NCCL's INFO log (lines as real NCCL runs printed them, from public bug reports),
// the transport verdict, where libnccl.so.2 is found (fake roots), and what the efa check sees on
// fake roots.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "fake_root.hpp"
#include "gpuprobe/gpu/nccl_lib.hpp"
#include "gpuprobe/probes/nccl.hpp"

namespace gpuprobe {
namespace {

using testing::FakeRoot;

TEST(Nccl, VersionCodeBothFormulas) {
  EXPECT_EQ(nccl_version_string(22809), "2.28.9");  // NCCL_VERSION(2,28,9) of nccl.h 2.28.9
  EXPECT_EQ(nccl_version_string(23007), "2.30.7");
  EXPECT_EQ(nccl_version_string(2708), "2.7.8");  // before 2.9: major*1000 + minor*100 + patch
  EXPECT_EQ(nccl_version_string(0), "");
}

TEST(Nccl, CountsAsNcclTests) {
  // all-reduce: both buffers S.
  NcclCounts a = nccl_counts(NcclCollective::all_reduce, 1 << 20, 8, 4);
  EXPECT_EQ(a.send, 262144u);
  EXPECT_EQ(a.recv, 262144u);
  EXPECT_EQ(a.bytes, 1u << 20);
  // all-gather: each rank sends S/n, receives S; per-rank parts rounded down to 16 bytes.
  NcclCounts g = nccl_counts(NcclCollective::all_gather, 1 << 20, 8, 4);
  EXPECT_EQ(g.send, 32768u);
  EXPECT_EQ(g.recv, 262144u);
  EXPECT_EQ(g.param, 32768u);
  NcclCounts g3 = nccl_counts(NcclCollective::all_gather, 1 << 20, 3, 4);
  EXPECT_EQ(g3.param, 87380u);  // (262144 / 3) & ~3
  EXPECT_EQ(g3.bytes, 87380u * 3 * 4);
  // reduce-scatter: each rank sends S, receives S/n.
  NcclCounts r = nccl_counts(NcclCollective::reduce_scatter, 1 << 20, 8, 4);
  EXPECT_EQ(r.send, 262144u);
  EXPECT_EQ(r.recv, 32768u);
  // One rank: the whole buffer.
  EXPECT_EQ(nccl_counts(NcclCollective::all_gather, 1 << 20, 1, 4).recv, 262144u);
}

// Lines of real NCCL runs, as posted in public bug reports (hosts as posted).
// NVIDIA/nccl#1189 (NCCL 2.2x, two nodes of H20: P2P/CUMEM inside a node, NET/IB between nodes).
const char* kCumemAndIb =
    "H20-GPU-06:4015539:4015652 [0] NCCL INFO Channel 07/0 : 0[0] -> 2[0] [receive] via NET/IB/3/GDRDMA\n"
    "H20-GPU-06:4015540:4015653 [1] NCCL INFO Channel 01/0 : 3[1] -> 1[1] [send] via NET/IB/2/GDRDMA\n"
    "H20-GPU-06:4015540:4015653 [1] NCCL INFO Channel 00/0 : 3[1] -> 2[0] via P2P/CUMEM\n"
    "H20-GPU-05:1789225:1789736 [1] NCCL INFO Channel 01/0 : 1[1] -> 0[0] via P2P/CUMEM\n";
// NVIDIA/nccl#1609 (H800, SHM between local GPUs) and nccl-tests#166 (NET/Socket).
const char* kShmAndSocket =
    "tj5-sc-ai-h800r-dev01:533:1765 [2] NCCL INFO Channel 07 : 2[6] -> 3[7] via SHM/direct/direct\n"
    "tj5-sc-ai-h800r-dev01:532:1764 [1] NCCL INFO Connected all rings\n"
    "ubuntu:9621:9692 [7] NCCL INFO Channel 14/0 : 15[7] -> 0[0] [send] via NET/Socket/0\n";
// aws-ofi-nccl#161 (the network NCCL took, its version) and NVIDIA/nccl#229 (older "Ring" lines).
const char* kAwsLibfabric =
    "algo-1:462:462 [0] NCCL INFO NET/OFI Selected Provider is efa\n"
    "algo-1:462:462 [0] NCCL INFO Using network AWS Libfabric\n"
    "NCCL version 2.10.3+cuda11.3\n"
    "ip-192-168-29-243:26465:26533 [0] NCCL INFO Ring 00 : 7 -> 8 [receive] via NET/AWS Libfabric/0\n"
    "ip-192-168-29-243:26465:26533 [0] NCCL INFO Ring 00 : 8[0] -> 9[1] via P2P/IPC\n"
    "8h200-2:14630:14692 [0] process_err_completion:1723 NCCL WARN NET/OFI Operation with NULL context completed with error\n";
// NVIDIA/nccl#429: older NCCL names the device by PCI bus id.
const char* kBusIds = "machine-1:16194:18583 [3] NCCL INFO Channel 00 : 11[3e000] -> 9[1b000] via P2P/direct pointer\n";

TEST(NcclLog, ConnectionsTransportsAndNetwork) {
  NcclLog a = parse_nccl_log(kCumemAndIb);
  ASSERT_EQ(a.connections.size(), 4u);
  EXPECT_EQ(a.connections[0].transport, NcclTransport::net);
  EXPECT_EQ(a.connections[0].via, "NET/IB/3/GDRDMA");
  EXPECT_EQ(a.connections[2].transport, NcclTransport::p2p);
  EXPECT_EQ(a.connections[2].from_rank, 3);
  EXPECT_EQ(a.connections[2].from_dev, 1);
  EXPECT_EQ(a.connections[2].to_rank, 2);
  EXPECT_EQ(a.connections[2].to_dev, 0);
  EXPECT_EQ(a.vias(), (std::vector<std::string>{"NET/IB/3/GDRDMA", "NET/IB/2/GDRDMA", "P2P/CUMEM"}));

  NcclLog b = parse_nccl_log(kShmAndSocket);
  ASSERT_EQ(b.connections.size(), 2u);
  EXPECT_TRUE(b.uses(NcclTransport::shm));
  EXPECT_TRUE(b.uses(NcclTransport::net));
  EXPECT_FALSE(b.uses(NcclTransport::p2p));
  EXPECT_EQ(b.connections[0].via, "SHM/direct/direct");
  EXPECT_EQ(b.connections[1].via, "NET/Socket/0");

  NcclLog c = parse_nccl_log(kAwsLibfabric);
  EXPECT_EQ(c.network, "AWS Libfabric");
  EXPECT_EQ(c.version, "2.10.3+cuda11.3");
  ASSERT_EQ(c.connections.size(), 1u);  // "7 -> 8" without devices is not a connection it can place
  EXPECT_EQ(c.connections[0].via, "P2P/IPC");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("NET/OFI Operation"), std::string::npos);

  NcclLog d = parse_nccl_log(kBusIds);
  ASSERT_EQ(d.connections.size(), 1u);
  EXPECT_EQ(d.connections[0].from_rank, 11);
  EXPECT_EQ(d.connections[0].from_dev, -1);
  EXPECT_EQ(d.connections[0].via, "P2P/direct pointer");

  EXPECT_TRUE(parse_nccl_log("").connections.empty());
}

NcclTransportFacts facts(int ranks, const std::string& link, const char* log, std::vector<std::string> env = {}) {
  NcclTransportFacts f;
  f.ranks = ranks;
  f.instance_type = link.empty() ? "" : "p5.48xlarge";
  f.gpu_link = link;
  f.log = parse_nccl_log(log);
  f.env = std::move(env);
  return f;
}

const char* kShmLocal =
    "h:1:2 [0] NCCL INFO Channel 00 : 0[0] -> 1[1] via SHM/direct/direct\n"
    "h:1:2 [1] NCCL INFO Channel 00 : 1[1] -> 0[0] via SHM/direct/direct\n";
const char* kP2pLocal =
    "h:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/CUMEM/read\n"
    "h:1:2 [1] NCCL INFO Channel 00/0 : 1[1] -> 0[0] via P2P/CUMEM/read\n";

TEST(NcclVerdict, ShmOnAnNvlinkTypeFails) {
  auto fs = nccl_transport_findings(facts(8, "NVLink 4 through NVSwitch", kShmLocal));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::fail);
  EXPECT_EQ(fs[0].reason, "nccl_no_p2p");
  EXPECT_NE(fs[0].message.find("p5.48xlarge"), std::string::npos);
  EXPECT_NE(fs[0].hint.find("ACS"), std::string::npos);
  // The variable that caused it is named, and its removal is the fix.
  fs = nccl_transport_findings(facts(8, "NVLink 4 through NVSwitch", kShmLocal, {"NCCL_P2P_DISABLE=1"}));
  EXPECT_EQ(fs[0].status, Status::fail);
  EXPECT_NE(fs[0].message.find("NCCL_P2P_DISABLE is set"), std::string::npos);
  EXPECT_NE(fs[0].hint.find("unset NCCL_P2P_DISABLE"), std::string::npos);
}

TEST(NcclVerdict, P2pPassesAndPcieOnlyShmIsNoted) {
  auto fs = nccl_transport_findings(facts(8, "NVLink 4 through NVSwitch", kP2pLocal));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::pass);
  EXPECT_EQ(nccl_transport_summary(facts(8, "NVLink 4 through NVSwitch", kP2pLocal)),
            "P2P/CUMEM/read between the 8 GPUs");
  // PCIe-only GPUs without P2P use SHM: said, not failed; a warning when a variable forced it.
  fs = nccl_transport_findings(facts(4, "PCIe only", kShmLocal));
  EXPECT_EQ(fs[0].status, Status::pass);
  fs = nccl_transport_findings(facts(4, "PCIe only", kShmLocal, {"NCCL_P2P_DISABLE=1"}));
  EXPECT_EQ(fs[0].status, Status::warn);
  EXPECT_EQ(fs[0].reason, "nccl_transport_disabled");
  fs = nccl_transport_findings(facts(4, "", kShmLocal, {"NCCL_P2P_DISABLE=0"}));  // 0: not disabled
  EXPECT_EQ(fs[0].status, Status::pass);
}

TEST(NcclVerdict, OneRankAndUnknownTransport) {
  auto fs = nccl_transport_findings(facts(1, "none (one GPU)", ""));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].status, Status::pass);
  EXPECT_EQ(nccl_transport_summary(facts(1, "", "")), "one rank: no transport between GPUs");
  fs = nccl_transport_findings(facts(2, "NVLink 4 through NVSwitch", ""));
  EXPECT_EQ(fs[0].status, Status::pass);
  EXPECT_NE(fs[0].message.find("transport unknown"), std::string::npos);
}

TEST(NcclEnv, TransportVariablesReported) {
  FakeRoot root;
  const auto env = nccl_transport_env(
      root.view({{"NCCL_P2P_DISABLE", "1"}, {"NCCL_NET", "Socket"}, {"NCCL_IB_DISABLE", ""}, {"OTHER", "x"}}));
  EXPECT_EQ(env, (std::vector<std::string>{"NCCL_P2P_DISABLE=1", "NCCL_NET=Socket"}));
}

TEST(NcclFind, WheelPreferredForThisCudaMajorAndMissingAdvice) {
  FakeRoot root;
  const std::string site = "/work/venv/lib/python3.12/site-packages";
  root.write("/work/venv/pyvenv.cfg", "home = /usr/bin\n");
  root.write(site + "/nvidia/nccl/lib/libnccl.so.2", "cu13");
  root.mkdir(site + "/nvidia_nccl_cu13-2.28.9.dist-info");
  const std::string user = "/home/u/.local/lib/python3.11/site-packages";
  root.write(user + "/nvidia/nccl/lib/libnccl.so.2", "cu12");
  root.mkdir(user + "/nvidia_nccl_cu12-2.27.7.dist-info");
  // Not on the loader's paths: nowhere without the environments.
  EXPECT_EQ(find_nccl(root.view({}), 13).file, "");
  const auto env = std::map<std::string, std::string>{{"VIRTUAL_ENV", "/work/venv"}, {"HOME", "/home/u"}};
  FoundLibrary f = find_nccl(root.view(env), 13);
  EXPECT_EQ(f.file, root.resolved(site + "/nvidia/nccl/lib/libnccl.so.2"));
  EXPECT_EQ(f.source, LibSource::pip_wheel);
  EXPECT_EQ(wheel_distribution_version(f.file, "nvidia_nccl"), "2.28.9");
  // A CUDA 12 build prefers the -cu12 wheel although the virtualenv comes first.
  EXPECT_EQ(find_nccl(root.view(env), 12).file, root.resolved(user + "/nvidia/nccl/lib/libnccl.so.2"));
  // On the loader's paths (LD_LIBRARY_PATH), that copy first.
  root.write("/opt/nccl/lib/libnccl.so.2", "system");
  auto with_llp = env;
  with_llp["LD_LIBRARY_PATH"] = "/opt/nccl/lib";
  f = find_nccl(root.view(with_llp), 13);
  EXPECT_EQ(f.file, root.resolved("/opt/nccl/lib/libnccl.so.2"));
  EXPECT_EQ(f.source, LibSource::loader);

  const NcclAdvice machine = nccl_missing_advice(false, 13);
  EXPECT_NE(machine.message.find("libnccl.so.2"), std::string::npos);
  EXPECT_NE(machine.hint.find("libnccl2"), std::string::npos);
  EXPECT_NE(machine.hint.find("pip install nvidia-nccl-cu13"), std::string::npos);
  EXPECT_NE(nccl_missing_advice(true, 12).message.find("this image"), std::string::npos);
  EXPECT_NE(nccl_missing_advice(true, 12).hint.find("nvidia-nccl-cu12"), std::string::npos);
}

TEST(NcclLoad, NotALibraryIsAFindingNotACrash) {
  NcclLib n = load_nccl_file("/nonexistent/libnccl.so.2");
  EXPECT_FALSE(n.probe.usable());
  EXPECT_FALSE(n.probe.missing.empty());
}

// NCCL reads NCCL_DEBUG* once: the capture sets them for its lifetime, to a file whose name NCCL's
// %h/%p expansion leaves alone, and puts back what was there.
TEST(NcclDebugCapture, SetsReadsAndRestores) {
  ::setenv("NCCL_DEBUG", "WARN", 1);
  ::unsetenv("NCCL_DEBUG_FILE");
  ::unsetenv("NCCL_DEBUG_SUBSYS");
  std::string dir;
  {
    NcclDebugCapture c;
    ASSERT_FALSE(c.file().empty());
    EXPECT_STREQ(::getenv("NCCL_DEBUG"), "INFO");
    EXPECT_STREQ(::getenv("NCCL_DEBUG_SUBSYS"), "INIT,P2P,SHM,NET");
    EXPECT_EQ(std::string(::getenv("NCCL_DEBUG_FILE")), c.file());
    EXPECT_EQ(c.file().find('%'), std::string::npos);
    EXPECT_EQ(c.text(), "");
    std::ofstream(c.file()) << "h:1:2 [0] NCCL INFO Using network Socket\n";
    EXPECT_EQ(parse_nccl_log(c.text()).network, "Socket");
    dir = c.file().substr(0, c.file().rfind('/'));
  }
  EXPECT_STREQ(::getenv("NCCL_DEBUG"), "WARN");
  EXPECT_EQ(::getenv("NCCL_DEBUG_FILE"), nullptr);
  EXPECT_EQ(::getenv("NCCL_DEBUG_SUBSYS"), nullptr);
  EXPECT_FALSE(std::filesystem::exists(dir));
  ::unsetenv("NCCL_DEBUG");
}

// ---- efa ---------------------------------------------------------------------------------------

// A p5 host as AWS's EFA installer leaves it: device nodes, an efa RDMA device, libfabric and
// aws-ofi-nccl in /opt/amazon, the plugin's folder on LD_LIBRARY_PATH.
// The RDMA device of one EFA interface as sysfs shows it: its PCI device bound to the efa driver.
void efa_rdma_device(const FakeRoot& root) {
  const std::string pci = "/sys/devices/pci0000:00/0000:00:1b.0";
  root.mkdir("/sys/bus/pci/drivers/efa");
  root.mkdir(pci);
  root.symlink("../../../bus/pci/drivers/efa", pci + "/driver");
  root.symlink("../../.." + pci.substr(4), "/sys/class/infiniband/rdmap16s27/device");
}

void efa_host(const FakeRoot& root) {
  for (const char* node : {"uverbs0", "uverbs1", "rdma_cm"}) root.write(std::string("/dev/infiniband/") + node);
  efa_rdma_device(root);
  root.write("/opt/amazon/efa/lib/libfabric.so.1.25.0", "lf");
  root.symlink("libfabric.so.1.25.0", "/opt/amazon/efa/lib/libfabric.so.1");
  root.write("/opt/amazon/ofi-nccl/lib/libnccl-net-ofi.so", "plugin");
  root.symlink("libnccl-net-ofi.so", "/opt/amazon/ofi-nccl/lib/libnccl-net.so");
}

EfaFacts p5(const EfaView& v) {
  EfaFacts f;
  f.view = v;
  f.instance_type = "p5.48xlarge";
  f.efa_interfaces = 32;
  return f;
}

Status worst_of(const std::vector<Finding>& fs) { return worst(fs); }
bool has_reason(const std::vector<Finding>& fs, const std::string& r) {
  for (const auto& f : fs)
    if (f.reason == r) return true;
  return false;
}

TEST(Efa, EverythingThereOnP5) {
  FakeRoot root;
  efa_host(root);
  const EfaView v = read_efa_view(root.view({{"LD_LIBRARY_PATH", "/opt/amazon/ofi-nccl/lib"}}));
  EXPECT_EQ(v.uverbs, (std::vector<std::string>{"/dev/infiniband/uverbs0", "/dev/infiniband/uverbs1"}));
  EXPECT_EQ(v.efa_devices, (std::vector<std::string>{"rdmap16s27"}));
  EXPECT_EQ(v.libfabric, root.resolved("/opt/amazon/efa/lib/libfabric.so.1"));
  EXPECT_TRUE(v.libfabric_from_efa_installer);
  EXPECT_EQ(v.ofi_nccl_plugin, root.resolved("/opt/amazon/ofi-nccl/lib/libnccl-net.so"));
  EXPECT_TRUE(v.plugin_on_loader_path);
  EfaFacts f = p5(v);
  f.nccl_network = "AWS Libfabric";
  EXPECT_EQ(worst_of(efa_findings(f)), Status::pass);
  // NCCL took sockets although the plugin is there: said, with where to look.
  f.nccl_network = "Socket";
  const auto fs = efa_findings(f);
  EXPECT_EQ(worst_of(fs), Status::warn);
  EXPECT_TRUE(has_reason(fs, "efa_not_used"));
}

TEST(Efa, ContainerWithoutDevicesOrSoftware) {
  FakeRoot root;
  // The host's RDMA devices show through /sys, the device nodes were not passed in, no EFA software.
  efa_rdma_device(root);
  EfaFacts f = p5(read_efa_view(root.view({})));
  f.in_container = true;
  const auto fs = efa_findings(f);
  EXPECT_EQ(worst_of(fs), Status::warn);
  ASSERT_TRUE(has_reason(fs, "efa_device_missing"));
  for (const auto& x : fs) {
    if (x.reason == "efa_device_missing") {
      EXPECT_NE(x.hint.find("--device /dev/infiniband/uverbs0"), std::string::npos);
      EXPECT_NE(x.hint.find("vpc.amazonaws.com/efa"), std::string::npos);
      EXPECT_NE(x.message.find("rdmap16s27"), std::string::npos);
    }
    if (x.reason == "efa_libfabric_missing") {
      EXPECT_NE(x.hint.find("aws-efa-installer"), std::string::npos);
    }
  }
  EXPECT_TRUE(has_reason(fs, "efa_libfabric_missing"));
  EXPECT_TRUE(has_reason(fs, "efa_plugin_missing"));
  // The instance itself without EFA interfaces (nothing in /sys either, not a container).
  FakeRoot bare;
  EfaFacts g = p5(read_efa_view(bare.view({})));
  EXPECT_TRUE(has_reason(efa_findings(g), "efa_not_attached"));
}

TEST(Efa, PluginOffTheLoaderPathAndNcclNetPlugin) {
  FakeRoot root;
  efa_host(root);
  // Installed, but its folder on no path: NCCL (dlopen by name) does not find it.
  EfaView v = read_efa_view(root.view({}));
  EXPECT_EQ(v.ofi_nccl_plugin, root.resolved("/opt/amazon/ofi-nccl/lib/libnccl-net.so"));
  EXPECT_FALSE(v.plugin_on_loader_path);
  const auto fs = efa_findings(p5(v));
  EXPECT_TRUE(has_reason(fs, "efa_plugin_off_loader_path"));
  // NCCL_NET_PLUGIN=ofi: libnccl-net-ofi.so.
  v = read_efa_view(root.view({{"NCCL_NET_PLUGIN", "ofi"}, {"LD_LIBRARY_PATH", "/opt/amazon/ofi-nccl/lib"}}));
  EXPECT_EQ(v.ofi_nccl_plugin, root.resolved("/opt/amazon/ofi-nccl/lib/libnccl-net-ofi.so"));
  EXPECT_EQ(v.net_plugin_env, "ofi");
}

TEST(Efa, UnknownTypeOnlySaysWhatIsThere) {
  FakeRoot root;
  root.write("/dev/infiniband/uverbs0");
  EfaFacts f;
  f.view = read_efa_view(root.view({}));
  const auto fs = efa_findings(f);
  EXPECT_EQ(worst_of(fs), Status::pass);  // no expectation to miss
  EXPECT_TRUE(has_reason(fs, "efa_plugin_missing"));
  for (const auto& x : fs) EXPECT_EQ(x.hint, "");
}

}  // namespace
}  // namespace gpuprobe
