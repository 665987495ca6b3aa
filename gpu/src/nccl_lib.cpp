#include "gpuprobe/gpu/nccl_lib.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <cctype>

namespace gpuprobe {

namespace {

constexpr const char* kSoname = "libnccl.so.2";

// Binds the table's entry points; the version first (it needs no GPU).
NcclLib bind_nccl(DynLib lib) {
  NcclLib n;
  n.probe.lib = std::move(lib);
  if (!n.probe.lib.loaded()) {
    n.probe.missing = n.probe.lib.error();
    return n;
  }
  const DynLib& l = n.probe.lib;
  if (!l.bind(n.get_version, "ncclGetVersion")) {
    n.probe.missing = l.path() + " lacks ncclGetVersion: not an NCCL library";
    return n;
  }
  if (n.get_version(&n.version_code) != kNcclSuccess || n.version_code <= 0) {
    n.probe.missing = l.path() + ": ncclGetVersion did not answer";
    return n;
  }
  n.probe.version = nccl_version_string(n.version_code);
  l.bind(n.get_last_error, "ncclGetLastError");
  l.bind(n.comm_get_async_error, "ncclCommGetAsyncError");
  const bool ok = l.bind(n.get_error_string, "ncclGetErrorString") && l.bind(n.comm_init_all, "ncclCommInitAll") &&
                  l.bind(n.comm_destroy, "ncclCommDestroy") && l.bind(n.comm_count, "ncclCommCount") &&
                  l.bind(n.all_reduce, "ncclAllReduce") && l.bind(n.all_gather, "ncclAllGather") &&
                  l.bind(n.reduce_scatter, "ncclReduceScatter") && l.bind(n.group_start, "ncclGroupStart") &&
                  l.bind(n.group_end, "ncclGroupEnd");
  if (!ok) n.probe.missing = l.path() + " (NCCL " + n.probe.version + ") lacks the collectives gpuprobe uses";
  return n;
}

std::string wheel_distribution(int cuda_major) {
  return cuda_major > 0 ? "nvidia_nccl_cu" + std::to_string(cuda_major) : "";
}

}  // namespace

std::string NcclLib::error(int result, ncclComm_t comm) const {
  std::string s = get_error_string ? std::string(get_error_string(result)) : "NCCL result " + std::to_string(result);
  if (get_last_error) {
    if (const char* last = get_last_error(comm); last && *last) s += ": " + std::string(last);
  }
  return s;
}

const NcclLib& nccl_lib() {
  static const NcclLib lib = bind_nccl(open_library({kSoname}, {}, wheel_distribution(GPUPROBE_CUDA_MAJOR)));
  return lib;
}

NcclLib load_nccl_file(const std::string& path) { return bind_nccl(DynLib::open({path})); }

int nccl_build_cuda_major() { return GPUPROBE_CUDA_MAJOR; }

const char* to_string(NcclCollective c) {
  switch (c) {
    case NcclCollective::all_reduce: return "all_reduce";
    case NcclCollective::all_gather: return "all_gather";
    case NcclCollective::reduce_scatter: return "reduce_scatter";
  }
  return "?";
}

NcclCounts nccl_counts(NcclCollective c, std::size_t bytes, int ranks, std::size_t elt) {
  NcclCounts n;
  const std::size_t count = bytes / elt;
  const std::size_t n_ranks = static_cast<std::size_t>(ranks < 1 ? 1 : ranks);
  if (c == NcclCollective::all_reduce) {
    n.send = n.recv = n.param = count;
    n.bytes = count * elt;
    return n;
  }
  // nccl-tests: base = (count / nranks) & ~(16 / elt - 1), so that each rank's part is 16-byte aligned.
  const std::size_t align = elt < 16 ? 16 / elt : 1;
  const std::size_t base = (count / n_ranks) & ~(align - 1);
  n.param = base;
  if (c == NcclCollective::all_gather) {
    n.send = base;
    n.recv = base * n_ranks;
  } else {
    n.send = base * n_ranks;
    n.recv = base;
  }
  n.bytes = base * n_ranks * elt;
  return n;
}

std::string nccl_version_string(int code) {
  if (code <= 0) return "";
  const int major = code >= 10000 ? code / 10000 : code / 1000;
  const int minor = code >= 10000 ? (code % 10000) / 100 : (code % 1000) / 100;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(code % 100);
}

FoundLibrary find_nccl(const SystemView& sys, int cuda_major) {
  if (std::string f = find_library_file(kSoname, sys); !f.empty()) return {"", f, LibSource::loader};
  return find_library_off_loader_path(kSoname, sys, wheel_distribution(cuda_major));
}

NcclAdvice nccl_missing_advice(bool container, int cuda_major) {
  const std::string cu = std::to_string(cuda_major);
  const std::string pip = "pip install nvidia-nccl-cu" + cu;
  if (container)
    return {"this image has no NCCL (libnccl.so.2)",
            "install NVIDIA's libnccl2 package for CUDA " + cu + " in the image (apt-get install libnccl2 from NVIDIA's "
            "CUDA repository; the nvidia/cuda *-devel-* tags have it), or " + pip + " in its Python environment"};
  return {"this machine has no NCCL (libnccl.so.2)",
          "install NVIDIA's libnccl2 package for CUDA " + cu + " (apt-get install libnccl2 from NVIDIA's CUDA "
          "repository), or " + pip + " in the Python environment that runs the training; if it is installed "
          "elsewhere, add its folder to LD_LIBRARY_PATH"};
}

// ---- NCCL's log ------------------------------------------------------------------------------------

const char* to_string(NcclTransport t) {
  switch (t) {
    case NcclTransport::p2p: return "p2p";
    case NcclTransport::shm: return "shm";
    case NcclTransport::net: return "net";
    case NcclTransport::collnet: return "collnet";
    case NcclTransport::unknown: break;
  }
  return "unknown";
}

namespace {

NcclTransport transport_of(const std::string& via) {
  if (via.rfind("P2P/", 0) == 0) return NcclTransport::p2p;
  if (via.rfind("SHM", 0) == 0) return NcclTransport::shm;
  if (via.rfind("NET/", 0) == 0) return NcclTransport::net;
  if (via.rfind("COLLNET/", 0) == 0) return NcclTransport::collnet;
  return NcclTransport::unknown;
}

// "0[0]" at `s` -> rank 0, device 0; advances `pos`. False when not of that form.
bool read_rank(const std::string& s, std::size_t& pos, int& rank, int& dev) {
  while (pos < s.size() && s[pos] == ' ') ++pos;
  std::size_t end = pos;
  while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
  if (end == pos || end >= s.size() || s[end] != '[') return false;
  rank = std::stoi(s.substr(pos, end - pos));
  const std::size_t close = s.find(']', end);
  if (close == std::string::npos) return false;
  // The device: its index ("0[0]"), or in older NCCL its PCI bus id ("11[3e000]", then -1 here).
  const std::string d = s.substr(end + 1, close - end - 1);
  if (d.empty() || d.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return false;
  dev = d.size() <= 3 && d.find_first_not_of("0123456789") == std::string::npos ? std::stoi(d) : -1;
  pos = close + 1;
  return true;
}

// The connection of a "Channel 00/0 : 0[0] -> 1[1] via P2P/CUMEM/read" (or older "Ring 00 : ...")
// message; nullopt for any other.
std::optional<NcclConnection> parse_connection(const std::string& msg) {
  if (msg.rfind("Channel ", 0) != 0 && msg.rfind("Ring ", 0) != 0) return std::nullopt;
  const auto via = msg.find(" via ");
  const auto colon = msg.find(" : ");
  if (via == std::string::npos || colon == std::string::npos || colon > via) return std::nullopt;
  NcclConnection c;
  std::size_t pos = colon + 3;
  if (!read_rank(msg, pos, c.from_rank, c.from_dev)) return std::nullopt;
  const auto arrow = msg.find("->", pos);
  if (arrow == std::string::npos || arrow > via) return std::nullopt;
  pos = arrow + 2;
  if (!read_rank(msg, pos, c.to_rank, c.to_dev)) return std::nullopt;
  c.via = trim(msg.substr(via + 5));
  c.transport = transport_of(c.via);
  return c;
}

}  // namespace

std::vector<std::string> NcclLog::vias() const {
  std::vector<std::string> out;
  for (const auto& c : connections)
    if (std::find(out.begin(), out.end(), c.via) == out.end()) out.push_back(c.via);
  return out;
}

bool NcclLog::uses(NcclTransport t) const {
  return std::any_of(connections.begin(), connections.end(), [t](const NcclConnection& c) { return c.transport == t; });
}

NcclLog parse_nccl_log(const std::string& text) {
  NcclLog log;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // "host:pid:tid [dev] NCCL INFO <message>"; the version line also comes bare ("NCCL version ...").
    std::string msg;
    if (const auto at = line.find(" NCCL INFO "); at != std::string::npos) {
      msg = trim(line.substr(at + 11));
    } else if (const auto w = line.find(" NCCL WARN "); w != std::string::npos) {
      log.warnings.push_back(trim(line.substr(w + 11)));
      continue;
    } else {
      msg = trim(line);
    }
    if (msg.rfind("NCCL version ", 0) == 0) {
      if (log.version.empty()) log.version = trim(msg.substr(13));
    } else if (msg.rfind("Using network ", 0) == 0) {
      if (log.network.empty()) log.network = trim(msg.substr(14));
    } else if (auto c = parse_connection(msg)) {
      log.connections.push_back(std::move(*c));
    }
  }
  return log;
}

std::vector<std::string> nccl_transport_env(const SystemView& sys) {
  std::vector<std::string> out;
  for (const char* name : {"NCCL_P2P_DISABLE", "NCCL_P2P_LEVEL", "NCCL_SHM_DISABLE", "NCCL_IB_DISABLE", "NCCL_NET",
                           "NCCL_NET_PLUGIN", "NCCL_SOCKET_IFNAME", "NCCL_CUMEM_ENABLE"})
    if (auto v = sys.getenv(name); v && !v->empty()) out.push_back(std::string(name) + "=" + *v);
  return out;
}

// ---- NcclDebugCapture -------------------------------------------------------------------------------

NcclDebugCapture::NcclDebugCapture() {
  // NCCL expands %h and %p in NCCL_DEBUG_FILE: a temporary folder whose name has a '%' is not used.
  const char* tmpdir = ::getenv("TMPDIR");
  std::string base = tmpdir && *tmpdir == '/' ? tmpdir : "/tmp";
  if (base.find('%') != std::string::npos) base = "/tmp";
  std::string tmpl = base + "/gpuprobe-nccl-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return;
  dir_ = tmpl;
  file_ = dir_ + "/nccl-debug.log";
  const std::pair<const char*, std::string> vars[] = {
      {"NCCL_DEBUG", "INFO"}, {"NCCL_DEBUG_SUBSYS", "INIT,P2P,SHM,NET"}, {"NCCL_DEBUG_FILE", file_}};
  for (const auto& [name, value] : vars) {
    const char* old = ::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    ::setenv(name, value.c_str(), 1);
  }
}

NcclDebugCapture::~NcclDebugCapture() {
  for (const auto& [name, old] : saved_) {
    if (old) ::setenv(name.c_str(), old->c_str(), 1);
    else ::unsetenv(name.c_str());
  }
  // NCCL keeps the file open for the rest of the process; removing its name is harmless.
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string NcclDebugCapture::text() const {
  if (file_.empty()) return "";
  std::ifstream in(file_, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace gpuprobe
