// Check 5: does this binary carry code for every GPU? Launches a trivial kernel on each and reads
// the answer against the architectures compiled in.
#include <cuda_runtime_api.h>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/build_info.hpp"
#include "gpuprobe/probes/compat.hpp"
#include "probe_kernels.hpp"

namespace gpuprobe::checks {

CheckResult arch(ProbeContext& ctx) {
  if (!ctx.gpus_usable()) return skip_no_gpu(ctx);
  if (auto lost = skip_if_every_context_lost(ctx)) return *lost;
  const auto archs = parse_arch_list(build::cuda_architectures);
  const int rt_major = ctx.runtime().runtime_version / 1000;
  std::vector<Finding> fs;
  nlohmann::json per_gpu = nlohmann::json::array();
  for (const auto& g : ctx.gpus()) {
    if (untested_lost_gpu(ctx, g, fs)) continue;
    const int cc = g.cc_major * 10 + g.cc_minor;
    const std::string ccs = std::to_string(g.cc_major) + "." + std::to_string(g.cc_minor);
    const std::string rebuild = "rebuild with -DCMAKE_CUDA_ARCHITECTURES=\"" + std::to_string(cc) +
                                "-real\" added (docker build --build-arg CUDA_ARCHITECTURES=...)";
    if (cc < min_cc_for_cuda_major(rt_major)) {
      const std::string who = gpus_of_cc(g.cc_major, g.cc_minor);
      fs.push_back({Status::fail, "cc_unsupported",
                    gpu_label(g) + " has compute capability " + ccs + (who.empty() ? "" : " (" + who + ")") +
                        ", which CUDA " + std::to_string(rt_major) + " no longer supports",
                    rt_major >= 13 ? "use a CUDA 12 image (nvidia/cuda:12.9.1-cudnn-runtime-*) and build gpuprobe with "
                                     "--build-arg CUDA_VERSION=12.9.1 --build-arg CUDA_ARCHITECTURES=" + std::to_string(cc)
                                   : "use an older CUDA image that still supports compute capability " + ccs});
      continue;
    }
    bool marker_ok = false;
    const int code = dev::launch_trivial(g.index, &marker_ok);
    const auto err = static_cast<cudaError_t>(code);
    nlohmann::json row = {{"index", g.index}, {"cc", ccs}, {"launch", cudaGetErrorName(err)}};
    if (code == cudaErrorNoKernelImageForDevice) {
      fs.push_back({Status::fail, "no_kernel_image",
                    gpu_label(g) + ": no kernel image for compute capability " + ccs + " (binary has " +
                        (archs ? describe_archs(*archs) : std::string(build::cuda_architectures)) + ")",
                    rebuild});
    } else if (code == cudaErrorUnsupportedPtxVersion) {
      fs.push_back({Status::fail, "ptx_too_new",
                    gpu_label(g) + ": the driver cannot JIT this binary's PTX (compiled by a newer toolkit)",
                    "upgrade the host driver, or " + rebuild + " so no JIT is needed"});
    } else if (code == cudaErrorDevicesUnavailable) {
      fs.push_back(diagnose_gpu_problem({g.index, "the trivial kernel's launch", code, cudaGetErrorName(err),
                                         cudaGetErrorString(err)}));
      cudaGetLastError();
    } else if (code != cudaSuccess || !marker_ok) {
      fs.push_back({Status::fail, "launch_failed",
                    gpu_label(g) + ": trivial kernel failed: " + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")",
                    "check dmesg on the host for Xid errors"});
      cudaGetLastError();
    } else if (archs) {
      const ArchAssessment a = assess_arch(g.cc_major, g.cc_minor, *archs);
      row["via"] = a.via_sm;
      if (a.support == ArchSupport::ptx_jit)
        fs.push_back({Status::warn, "ptx_jit",
                      gpu_label(g) + ": runs only through PTX JIT from compute_" + std::to_string(a.via_sm) +
                          " (slow first start, JIT cache in ~/.nv/ComputeCache)",
                      rebuild});
      else if (a.support == ArchSupport::none)
        // It ran although the list says nothing fits: the list is wrong, say so rather than guess.
        fs.push_back({Status::warn, "arch_list_mismatch",
                      gpu_label(g) + ": kernel ran although the recorded architectures (" + describe_archs(*archs) +
                          ") do not cover cc " + ccs,
                      "the build's recorded CMAKE_CUDA_ARCHITECTURES is stale: rebuild"});
    } else {
      fs.push_back({Status::pass, "", gpu_label(g) + ": ran; architectures recorded as '" +
                                          std::string(build::cuda_architectures) + "', cannot tell SASS from JIT", ""});
    }
    per_gpu.push_back(row);
  }
  CheckResult r = from_findings(fs, "trivial kernel ran on every GPU from native code (" +
                                        (archs ? describe_archs(*archs) : std::string(build::cuda_architectures)) + ")");
  r.details["gpus"] = per_gpu;
  r.details["compiled"] = build::cuda_architectures;
  r.measured = archs ? describe_archs(*archs) : build::cuda_architectures;
  return r;
}

}  // namespace gpuprobe::checks
