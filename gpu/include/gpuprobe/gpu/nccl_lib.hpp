// NCCL (libnccl.so.2), loaded at run time like cuBLAS and cuDNN: through the loader's paths, else a
// CUDA toolkit folder, else NVIDIA's pip wheels (nvidia-nccl-cu13 / -cu12 unpack it into
// <site-packages>/nvidia/nccl/lib). Its types are declared here with nccl.h's values, so that this
// builds without CUDA headers (gpuprobe_gpu_host). Below the table: the reading of NCCL's
// NCCL_DEBUG=INFO log (which transport it chose between GPUs), pure and unit-tested
// (tests/unit/test_nccl.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gpuprobe/gpu/dynlib.hpp"
#include "gpuprobe/gpu/gpu_libs.hpp"
#include "gpuprobe/gpu/system.hpp"

namespace gpuprobe {

// ---- nccl.h --------------------------------------------------------------------------------------
using ncclComm_t = struct ncclComm*;
using ncclStream_t = void*;  // cudaStream_t: a pointer to an opaque struct
// ncclResult_t
inline constexpr int kNcclSuccess = 0, kNcclUnhandledCudaError = 1, kNcclSystemError = 2,
                     kNcclInternalError = 3, kNcclInvalidArgument = 4, kNcclInvalidUsage = 5,
                     kNcclRemoteError = 6, kNcclInProgress = 7;
// ncclRedOp_t
inline constexpr int kNcclSum = 0;
// ncclDataType_t
inline constexpr int kNcclFloat32 = 7;

// The collectives gpuprobe runs, and the element counts of each rank's buffers for one of nccl-tests'
// sizes: `bytes` is nccl-tests' S (all-reduce: each buffer; all-gather: the gathered output;
// reduce-scatter: the input), per-rank parts rounded down to 16 bytes as nccl-tests does.
enum class NcclCollective { all_reduce, all_gather, reduce_scatter };
const char* to_string(NcclCollective c);  // "all_reduce", "all_gather", "reduce_scatter"
struct NcclCounts {
  std::size_t send = 0, recv = 0;  // elements of each rank's send and receive buffers
  std::size_t param = 0;           // the count passed to NCCL (all-gather: per rank; reduce-scatter: per rank)
  std::size_t bytes = 0;           // S as run: send * elt (all-reduce), recv * elt (all-gather), send * elt (reduce-scatter)
};
NcclCounts nccl_counts(NcclCollective c, std::size_t bytes, int ranks, std::size_t elt_size);
// The CUDA major this build is for (the wheel nvidia-nccl-cu<N> the loader prefers).
int nccl_build_cuda_major();

struct NcclLib {
  LibraryProbe probe;  // probe.version: "2.28.9"
  int version_code = 0;  // ncclGetVersion
  int (*get_version)(int*) = nullptr;
  const char* (*get_error_string)(int) = nullptr;
  const char* (*get_last_error)(ncclComm_t) = nullptr;  // NCCL >= 2.13; may be null
  int (*comm_init_all)(ncclComm_t*, int, const int*) = nullptr;
  int (*comm_destroy)(ncclComm_t) = nullptr;
  int (*comm_count)(ncclComm_t, int*) = nullptr;
  int (*comm_get_async_error)(ncclComm_t, int*) = nullptr;
  int (*all_reduce)(const void*, void*, std::size_t, int, int, ncclComm_t, ncclStream_t) = nullptr;
  int (*all_gather)(const void*, void*, std::size_t, int, ncclComm_t, ncclStream_t) = nullptr;
  int (*reduce_scatter)(const void*, void*, std::size_t, int, int, ncclComm_t, ncclStream_t) = nullptr;
  int (*group_start)() = nullptr;
  int (*group_end)() = nullptr;
  // "unhandled cuda error (...)", plus ncclGetLastError's text when it has one.
  std::string error(int result, ncclComm_t comm = nullptr) const;
};
// Loaded once per process (from the live system); `probe.missing` says why it is unusable.
const NcclLib& nccl_lib();
// The same from one file, by path (the tests read a wheel's copy with it).
NcclLib load_nccl_file(const std::string& path);

// ncclGetVersion's code as a version: NCCL >= 2.9 returns major*10000 + minor*100 + patch (22809 ->
// "2.28.9"), older ones major*1000 + minor*100 + patch (2708 -> "2.7.8"); "" for 0 or less.
std::string nccl_version_string(int code);

// Where libnccl.so.2 is on a machine, without loading it: the loader's paths, a CUDA toolkit folder,
// then the wheels (nvidia_nccl_cu<N> preferred for this build's CUDA major `cuda_major`; 0: any).
// `file` is "" when it is nowhere.
FoundLibrary find_nccl(const SystemView& sys, int cuda_major = 0);

// What a report says when NCCL is missing: the message and the fix (a container image, or a
// machine: NVIDIA's libnccl2 package, or the pip wheel for the CUDA major).
struct NcclAdvice {
  std::string message, hint;
};
NcclAdvice nccl_missing_advice(bool container, int cuda_major);

// ---- NCCL's log ------------------------------------------------------------------------------------
// How NCCL connected two ranks, as its INFO lines name it ("... via P2P/CUMEM/read", "via SHM/direct/direct",
// "[send] via NET/IB/0/GDRDMA", "via NET/AWS Libfabric/0/GDRDMA", "via P2P/direct pointer").
enum class NcclTransport { p2p, shm, net, collnet, unknown };
const char* to_string(NcclTransport t);  // "p2p", "shm", "net", "collnet", "unknown"
struct NcclConnection {
  int from_rank = -1, from_dev = -1, to_rank = -1, to_dev = -1;
  NcclTransport transport = NcclTransport::unknown;
  std::string via;  // as written after "via ": "P2P/CUMEM/read", "NET/Socket/0"
};
struct NcclLog {
  std::string version;  // "NCCL version 2.28.9+cuda13.0" -> "2.28.9+cuda13.0"
  std::string network;  // "Using network Socket" -> "Socket" ("IB", "AWS Libfabric")
  std::vector<NcclConnection> connections;
  std::vector<std::string> warnings;  // the text of NCCL WARN lines
  // Every distinct `via` (first seen first), e.g. {"P2P/CUMEM/read"}.
  std::vector<std::string> vias() const;
  bool uses(NcclTransport t) const;
};
NcclLog parse_nccl_log(const std::string& text);

// The NCCL variables of the environment that change which transport NCCL may use, set and non-empty
// (NCCL_P2P_DISABLE, NCCL_P2P_LEVEL, NCCL_SHM_DISABLE, NCCL_IB_DISABLE, NCCL_NET, NCCL_NET_PLUGIN,
// NCCL_SOCKET_IFNAME, NCCL_CUMEM_ENABLE), as "NAME=value".
std::vector<std::string> nccl_transport_env(const SystemView& sys);

// Sets NCCL_DEBUG=INFO, NCCL_DEBUG_SUBSYS (init, P2P, SHM, NET: the lines of the connections, none per
// collective) and NCCL_DEBUG_FILE to a file in a new temporary folder for the lifetime of the object,
// then puts back what was there. Set before the process's first NCCL call: NCCL reads them once.
class NcclDebugCapture {
 public:
  NcclDebugCapture();
  ~NcclDebugCapture();
  NcclDebugCapture(const NcclDebugCapture&) = delete;
  NcclDebugCapture& operator=(const NcclDebugCapture&) = delete;
  std::string text() const;  // what NCCL wrote so far ("" when nothing, or the folder was not made)
  const std::string& file() const { return file_; }

 private:
  std::string dir_, file_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace gpuprobe
