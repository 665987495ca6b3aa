#include "gpuprobe/probes/check_table.hpp"

#include <sstream>

#include "check_util.hpp"
#include "checks/checks.hpp"

namespace gpuprobe {

const std::vector<CheckSpec>& check_table() {
  // Time bounds are generous on purpose: they catch hangs, not slowness. The first CUDA call on a
  // machine without persistence mode can take seconds per GPU. compat initializes the CUDA runtime
  // (while cuBLAS/cuDNN may be loading in the background); devices then enumerates the GPUs, a
  // context on each.
  static const std::vector<CheckSpec> table = {
      {"driver", "NVIDIA driver library loads and initializes", 30000, checks::driver},
      {"compat", "driver supports this binary's CUDA runtime", 30000, checks::compat},
      {"devices", "GPUs visible, properties, expectations", 60000, checks::devices},
      {"nvml", "NVML health: ECC, row remapping, throttling", 20000, checks::nvml},
      {"arch", "binary has code for every GPU", 60000, checks::arch},
      {"kernel", "a kernel computes correctly on every GPU", 20000, checks::kernel},
      {"memory", "device memory pattern test", 60000, checks::memory},
      {"transfer", "H2D/D2H/D2D bandwidth and PCIe link", 30000, checks::transfer},
      {"topology", "GPU pairs: P2P access, NVLink, topology", 20000, checks::topology},
      {"cublas", "cuBLAS present and GEMMs correct", 60000, checks::cublas},
      {"cudnn", "cuDNN present and convolution correct", 60000, checks::cudnn},
      // NCCL's first communicator on 8 GPUs takes seconds (topology search, connections).
      {"nccl", "NCCL present, all-reduce over every GPU verified", 120000, checks::nccl},
      {"efa", "EFA devices, libfabric and aws-ofi-nccl on EFA types", 5000, checks::efa},
      {"environment", "variables that distort results", 5000, checks::environment},
      {"container", "container limits that break training", 5000, checks::container},
      // Last: it collects what its subprocesses (started with the run) answered meanwhile.
      {"frameworks", "PyTorch, JAX, TensorFlow, CuPy see the GPU", 60000, checks::frameworks,
       checks::start_frameworks},
  };
  return table;
}

std::vector<RunnableCheck> runnable_checks(ProbeContext& ctx) {
  std::vector<RunnableCheck> out;
  for (const auto& spec : check_table())
    if (spec.start && is_selected(spec.id, ctx.options().only, ctx.options().skip)) spec.start(ctx);
  for (const auto& spec : check_table()) {
    RunnableCheck r;
    r.id = spec.id;
    r.title = spec.title;
    r.time_bound = std::chrono::milliseconds(
        static_cast<long long>(spec.time_bound_ms * ctx.options().timeout_scale));
    r.fn = [&ctx, fn = spec.fn, id = spec.id] {
      // Then, still under this check's bound: did it leave a GPU's context lost? (Also when it threw.)
      struct After {
        ProbeContext& ctx;
        const char* id;
        ~After() {
          try {
            ctx.note_lost_contexts(id);
          } catch (...) {  // out of memory at worst: the next check simply tests that GPU again
          }
        }
      } after{ctx, id};
      return fn(ctx);
    };
    out.push_back(std::move(r));
  }
  return out;
}

namespace checks {
CheckResult from_findings(const std::vector<Finding>& fs, const std::string& ok_message) {
  CheckResult r;
  r.status = worst(fs);
  std::ostringstream msg;
  const Finding* lead = nullptr;
  for (const auto& f : fs) {
    if (f.status == r.status && !lead && r.status != Status::pass) lead = &f;
  }
  if (lead) {
    r.reason = lead->reason;
    r.hint = lead->hint;
    msg << lead->message;
    for (const auto& f : fs)
      if (&f != lead && f.status != Status::pass) msg << "; " << f.message;
  } else {
    msg << ok_message;
  }
  r.message = msg.str();
  nlohmann::json notes = nlohmann::json::array();
  for (const auto& f : fs)
    notes.push_back({{"status", to_string(f.status)}, {"reason", f.reason}, {"message", f.message}, {"hint", f.hint}});
  r.details["findings"] = notes;
  return r;
}
}  // namespace checks

}  // namespace gpuprobe
