// Check: NCCL present (libnccl.so.2 loaded at run time: the loader's paths, a CUDA toolkit folder or
// the nvidia-nccl-cu* wheels), its version, and with GPUs an all-reduce over every local GPU (one
// rank each, ncclCommInitAll) verified element by element, with the transport NCCL chose between
// the GPUs read from its NCCL_DEBUG=INFO log and judged against the instance type's interconnect.
#include <cuda_runtime_api.h>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/cuda_call.hpp"
#include "gpuprobe/gpu/nccl_lib.hpp"
#include "gpuprobe/gpu/nccl_ranks.hpp"
#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/probes/nccl.hpp"
#include "gpuprobe/report/catalog.hpp"

namespace gpuprobe::checks {

namespace {

// 4 MiB and 3 floats: every rank's buffers, an odd count so no size is a multiple of anything.
constexpr std::size_t kAllReduceBytes = (std::size_t{1} << 22) + 12;

}  // namespace

CheckResult nccl(ProbeContext& ctx) {
  const bool container = detect_container(ctx.system()).detected;
  const int cuda_major = nccl_build_cuda_major();
  const bool have_gpus = ctx.gpus_usable();
  // NCCL reads NCCL_DEBUG* once, at its first log line: set before anything of it runs, put back after.
  std::optional<NcclDebugCapture> capture;
  if (have_gpus) capture.emplace();
  const NcclLib& n = nccl_lib();
  ctx.report().with([&](Report& r) {
    r.software.libraries["nccl"] = n.probe.lib.loaded() ? n.probe.lib.path() : "missing: " + n.probe.missing;
  });
  if (!n.probe.usable()) {
    // Only training on several GPUs needs NCCL: a warning there, a skip with the fix elsewhere.
    const NcclAdvice a = nccl_missing_advice(container, cuda_major);
    const std::string message = n.probe.lib.loaded() ? "NCCL is found but unusable: " + n.probe.missing : a.message;
    const std::size_t gpus = have_gpus ? ctx.gpus().size() : 0;
    CheckResult r;
    if (gpus >= 2) {
      r = warn("missing_library", message + " (" + std::to_string(gpus) + " GPUs here)", a.hint);
    } else {
      r = skip(message + (have_gpus ? "; one GPU needs no NCCL" : "; no GPU to run an all-reduce on"),
               have_gpus ? "not_needed" : "no_gpu");
      r.hint = a.hint;
    }
    r.measured = n.probe.lib.loaded() ? n.probe.version : n.probe.missing;
    return r;
  }
  const std::string note = library_source_note(n.probe.lib, ctx.system());
  const std::string where = note.empty() ? n.probe.lib.path() : note;
  const auto env = nccl_transport_env(ctx.system());
  std::string env_text;  // "; set here: NCCL_P2P_DISABLE=1, NCCL_NET=Socket"
  for (const auto& kv : env) env_text += (env_text.empty() ? "; set here: " : ", ") + kv;
  auto finish_details = [&](CheckResult& r) {
    r.measured = n.probe.version;
    r.details["version"] = n.probe.version;
    r.details["path"] = n.probe.lib.path();
    record_library_source(r, n.probe.lib.source(), n.probe.lib.found_in());
    r.details["environment"] = env;
  };
  if (!have_gpus) {
    auto r = skip("NCCL " + n.probe.version + " present (" + where + "); no GPU to run an all-reduce on" + env_text,
                  "no_gpu");
    finish_details(r);
    return r;
  }
  if (auto lost = skip_if_every_context_lost(ctx)) return *lost;

  std::vector<Finding> fs;
  std::vector<int> devices;
  for (const auto& g : ctx.gpus())
    if (!untested_lost_gpu(ctx, g, fs)) devices.push_back(g.index);
  NcclTransportFacts facts;
  facts.ranks = static_cast<int>(devices.size());
  facts.instance_type = instance_type_of(ctx);
  if (const InstanceType* t = find_instance(builtin_catalog(), facts.instance_type)) facts.gpu_link = t->interconnect.gpu_link;
  facts.env = env;

  std::string error;
  NcclVerify v;
  try {
    NcclRanks ranks(n, devices);
    ranks.prepare(NcclCollective::all_reduce, kAllReduceBytes);
    ranks.run();
    v = ranks.verify();
  } catch (const NcclError& e) {
    error = e.what();
  } catch (const AllocationFailed& e) {
    error = e.what();
  }
  facts.log = parse_nccl_log(capture->text());
  capture.reset();
  const std::string ranks_text = std::to_string(devices.size()) + " rank" + (devices.size() == 1 ? "" : "s");
  if (!error.empty()) {
    std::string hint = "NCCL_DEBUG=INFO shows NCCL's own account";
    if (!facts.log.warnings.empty()) hint = "NCCL said: " + facts.log.warnings.front();
    fs.push_back({Status::fail, "nccl_error", "all-reduce over " + ranks_text + " failed: " + error, hint});
  } else if (!v.ok()) {
    fs.push_back({Status::fail, "wrong_result",
                  "all-reduce over " + ranks_text + ": " + std::to_string(v.wrong) + " of " + std::to_string(v.checked) +
                      " elements wrong, first " + v.first_wrong,
                  "GPUs or links that corrupt collectives must not be used: check the nvml and memory checks, and "
                  "NVLink's error counters"});
  } else {
    for (auto& f : nccl_transport_findings(facts)) fs.push_back(std::move(f));
  }
  warn_if_off_loader_path(fs, "NCCL " + n.probe.version, "libnccl.so.2", n.probe.lib, ctx.system());
  const std::string ok = "NCCL " + n.probe.version + ": all-reduce over " + ranks_text + " verified (" +
                         std::to_string(v.checked) + " elements); " + nccl_transport_summary(facts) + " (" + where + ")" + env_text;
  CheckResult r = from_findings(fs, ok);
  finish_details(r);
  r.details["ranks"] = devices.size();
  r.details["devices"] = devices;
  r.details["transports"] = facts.log.vias();
  if (!facts.log.network.empty()) r.details["network"] = facts.log.network;
  if (!facts.log.version.empty()) r.details["log_version"] = facts.log.version;
  if (!facts.gpu_link.empty()) r.details["gpu_link"] = facts.gpu_link;
  return r;
}

}  // namespace gpuprobe::checks
