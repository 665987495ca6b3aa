// Check 1: is there a usable NVIDIA driver in this container? Tells "started without --gpus all"
// apart from "driver too old" (both are error 35 to the CUDA runtime) and from the link stub.
#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/probes/nvml_read.hpp"
#include "gpuprobe/report/render.hpp"

namespace gpuprobe::checks {

namespace {
std::string visible_devices_hint(const SystemView& sys) {
  const auto nvd = sys.getenv("NVIDIA_VISIBLE_DEVICES");
  if (nvd && *nvd == "none") return "NVIDIA_VISIBLE_DEVICES=none mounts the driver but no GPU: use --gpus all";
  // With MIG on, CUDA enumerates MIG devices only: none created (or none visible) looks like no GPU.
  const std::string mig =
      "; if nvidia-smi shows MIG mode enabled, CUDA sees only MIG devices: create GPU and compute instances "
      "(nvidia-smi mig -cgi <profile> -C) or disable MIG (the nvml check says which GPUs)";
  if (auto cvd = sys.getenv("CUDA_VISIBLE_DEVICES"))
    return "CUDA_VISIBLE_DEVICES='" + *cvd + "' may hide every GPU: unset it or list valid indices or MIG UUIDs" + mig;
  return "start the container with --gpus all; on the host, nvidia-smi must list the GPU" + mig;
}

// cuInit returned 802: ask NVML (optional, cheap: it answers without CUDA) whether the GPUs sit on
// an NVSwitch fabric that Fabric Manager has not initialized.
CheckResult system_not_ready(nlohmann::json& survey_out) {
  const NvmlLib& n = nvml_lib();
  std::optional<std::vector<NvmlGpuSurvey>> survey;
  unsigned count = 0;
  if (n.usable() && n.nvmlDeviceGetCount_v2(&count) == kNvmlSuccess) survey = nvml_survey_gpus(n, count);
  const Finding f = evaluate_system_not_ready(survey);
  survey_out = nlohmann::json::array();
  if (survey)
    for (const auto& g : *survey)
      survey_out.push_back({{"nvml_index", g.index},
                            {"name", g.name},
                            {"fabric_state", g.fabric_state ? nlohmann::json(*g.fabric_state) : nlohmann::json()},
                            {"fabric_query", g.fabric_code < 0 ? nlohmann::json() : nlohmann::json(nvml_return_name(g.fabric_code))}});
  else
    survey_out = n.usable() ? "NVML sees no GPU" : "NVML not usable: " + (n.missing.empty() ? n.error_string(n.init_result) : n.missing);
  return outcome(f.status, f.reason, f.message, f.hint);
}
}  // namespace

CheckResult driver(ProbeContext& ctx) {
  const DriverState& d = ctx.driver();
  const SystemView& sys = ctx.system();
  if (!d.lib_loaded) {
    const bool container = detect_container(sys).detected;
    const bool dev_nodes = !nvidia_device_nodes(sys).empty();
    CheckResult r;
    if (dev_nodes) {
      r = fail("no_driver", "/dev/nvidia* exists but the driver library libcuda.so.1 does not load",
               "the driver's user-space libraries are not mounted or not on the loader path: use the NVIDIA "
               "Container Toolkit (--gpus all) rather than --device mounts, and keep "
               "NVIDIA_DRIVER_CAPABILITIES=compute,utility");
    } else if (container) {
      r = fail("no_driver",
               "no NVIDIA driver library in this container — start it with `--gpus all` (NVIDIA Container Toolkit on "
               "the host)",
               "docker run --gpus all …; Compose: deploy.resources.reservations.devices with capabilities [gpu]; "
               "Kubernetes: resources.limits nvidia.com/gpu. The CUDA runtime reports this as error 35 \"driver "
               "version is insufficient\": the driver is not old, it is absent");
    } else {
      r = fail("no_driver",
               "no NVIDIA driver on this machine (no libcuda.so.1, no /dev/nvidia*) — if this is a container, start "
               "it with `--gpus all`",
               "install the NVIDIA driver (the CUDA toolkit alone has none; EC2 Deep Learning AMIs ship one). The "
               "CUDA runtime reports this as error 35 \"driver version is insufficient\": the driver is absent");
    }
    r.measured = d.load_error;  // dlerror names the library
    r.expected = "libcuda.so.1 loadable";
    r.details["device_nodes"] = dev_nodes;
    r.details["in_container"] = container;
    if (auto v = sys.getenv("NVIDIA_VISIBLE_DEVICES")) r.details["NVIDIA_VISIBLE_DEVICES"] = *v;
    return r;
  }
  if (d.is_stub) {
    auto r = fail("driver_stub", "loaded the CUDA toolkit's link stub " + d.lib_path + " instead of the driver",
                  "remove the toolkit's lib64/stubs folder from LD_LIBRARY_PATH (and /etc/ld.so.conf.d): the stub "
                  "only exists for linking; then start the container with --gpus all");
    r.measured = d.lib_path;
    return r;
  }
  if (d.init_code != 0) {
    const std::string err = d.init_name + " (" + std::to_string(d.init_code) + "): " + d.init_text;
    CheckResult r;
    switch (d.init_code) {
      case 100:  // CUDA_ERROR_NO_DEVICE
        r = fail("no_device", "the NVIDIA driver loads but sees no GPU", visible_devices_hint(sys));
        break;
      case 803:  // CUDA_ERROR_SYSTEM_DRIVER_MISMATCH
        r = fail("driver_mismatch",
                 "driver library " + d.lib_path + " does not match the kernel module " +
                     (d.kernel_module.empty() ? std::string("(version unknown)") : d.kernel_module),
                 "the host's driver was upgraded without a reboot, or the image carries its own libcuda: reboot the "
                 "host or remove the image's driver libraries");
        break;
      case 804:  // CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE
        r = fail("compat_unsupported",
                 "the forward-compatibility driver (cuda-compat) in this image does not support this GPU",
                 "remove /usr/local/cuda/compat from LD_LIBRARY_PATH and upgrade the host driver instead (forward "
                 "compatibility works on data-center GPUs only)");
        break;
      case 802: {  // CUDA_ERROR_SYSTEM_NOT_READY
        nlohmann::json survey;
        r = system_not_ready(survey);
        r.details["nvml_fabric"] = survey;
        break;
      }
      case 999:
        r = fail("driver_init", "cuInit failed with an unknown error",
                 "look for Xid errors in the host kernel log (dmesg); a GPU that fails cuInit usually needs a reset");
        break;
      default:
        r = fail("driver_init", "cuInit failed", "check the host: nvidia-smi, dmesg for Xid errors");
    }
    r.measured = err;
    r.expected = "CUDA_SUCCESS";
    return r;
  }
  std::string msg = "libcuda " + d.lib_path;
  if (!d.kernel_module.empty()) msg += ", driver " + d.kernel_module;
  msg += ", CUDA " + format_cuda_version(d.cuda_version);
  return pass(msg, d.kernel_module.empty() ? std::to_string(d.cuda_version) : d.kernel_module);
}

}  // namespace gpuprobe::checks
