// Check 1: is there a usable NVIDIA driver here? Tells "started without --gpus all" apart from
// "driver too old" (both are error 35 to the CUDA runtime) and from the link stub, and a driver
// library that loads but reaches no GPU: no kernel module, no device nodes, or hidden GPUs.
#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/nvml_read.hpp"
#include "gpuprobe/probes/container_limits.hpp"
#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/report/render.hpp"

namespace gpuprobe::checks {

namespace {
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

// libcuda.so.1 does not load. NVML loads independently of it: when it is here, the driver is only
// partly mounted (NVIDIA_DRIVER_CAPABILITIES without compute, or hand-mounted libraries).
CheckResult missing_libcuda(ProbeContext& ctx, const DriverState& d) {
  const SystemView& sys = ctx.system();
  const NvmlLib& n = nvml_lib();
  std::string nvml_path, nvml_version;
  if (n.lib.loaded()) {
    nvml_path = n.lib.path();
    char drv[96] = {};
    if (n.usable() && n.nvmlSystemGetDriverVersion && n.nvmlSystemGetDriverVersion(drv, sizeof drv) == kNvmlSuccess)
      ctx.note_driver_version(drv, DriverVersionSource::nvml);
    ctx.note_driver_version(driver_version_from_library_file(nvml_path), DriverVersionSource::nvml_file_name);
    if (ctx.driver_version()) nvml_version = ctx.driver_version()->version;
  }
  const Finding f = diagnose_missing_libcuda(sys, nvml_path, nvml_version);
  CheckResult r = outcome(f.status, f.reason, f.message, f.hint);
  r.measured = d.load_error;  // dlerror names the library
  r.expected = "libcuda.so.1 loadable";
  r.details["device_nodes"] = !nvidia_device_nodes(sys).empty();
  r.details["in_container"] = detect_container(sys).detected;
  if (!nvml_path.empty()) r.details["libnvidia-ml.so.1"] = nvml_path;
  for (const char* var : {"NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES"})
    if (auto v = sys.getenv(var)) r.details[var] = *v;
  return r;
}

// "driver library 535.261.03 (CUDA 12.2)": what loaded, as the user would name it.
std::string driver_library(const DriverState& d) {
  std::string s = d.library_version().empty() ? "the NVIDIA driver library" : "driver library " + d.library_version();
  if (d.cuda_version > 0) s += " (CUDA " + format_cuda_version(d.cuda_version) + ")";
  return s;
}

// cuInit returned 100: no kernel module, no device nodes, or hidden GPUs. NVML, asked only when /proc
// and /dev look incomplete, can prove the kernel side works (a view of /dev that misses nodes the
// driver reaches anyway).
CheckResult no_device(const DriverState& d, const SystemView& sys) {
  const bool kernel_side_works = read_kernel_driver_view(sys).complete() || nvml_lib().usable();
  const Finding f = diagnose_no_gpu_behind_driver(sys, driver_library(d) + " loads but sees no GPU",
                                                  d.library_version(), kernel_side_works);
  return outcome(f.status, f.reason, f.message, f.hint);
}

// " over the host's kernel module 535.261.03": what the compat library stands in for.
std::string over_host(const DriverState& d) {
  return d.kernel_module.empty() ? "" : " over the host's kernel module " + d.kernel_module;
}

}  // namespace

CheckResult driver(ProbeContext& ctx) {
  const DriverState& d = ctx.driver();
  const SystemView& sys = ctx.system();
  const bool container = detect_container(sys).detected;
  const std::vector<CompatLibrary> compat = find_cuda_compat(sys);
  CheckResult r = [&] {
    if (!d.lib_loaded) return missing_libcuda(ctx, d);
    if (d.is_stub) {
      auto s = fail("driver_stub", "loaded the CUDA toolkit's link stub " + d.lib_path + " instead of the driver",
                    "remove the toolkit's lib64/stubs folder from LD_LIBRARY_PATH (and /etc/ld.so.conf.d): the stub "
                    "only exists for linking; then " +
                        std::string(container ? "start the container with --gpus all"
                                              : "install the NVIDIA driver, whose libcuda.so.1 is the real one"));
      s.measured = d.lib_path;
      return s;
    }
    if (d.init_code != 0) {
      const std::string err = d.init_name + " (" + std::to_string(d.init_code) + "): " + d.init_text;
      CheckResult f;
      // Device nodes that exist but do not open fail cuInit whatever it returns (100, 999): asked
      // first. 802, 803 and 804 come from a driver that was reached.
      std::optional<DeviceAccessProbe> access;
      if (d.init_code != 802 && d.init_code != 803 && d.init_code != 804)
        access = probe_device_access(sys, read_kernel_driver_view(sys),
                                     driver_library(d) + " loads but cuInit fails (" + d.init_name + ")");
      if (access && access->access.finding) {
        const Finding& a = *access->access.finding;
        f = outcome(a.status, a.reason, a.message, a.hint);
      } else switch (d.init_code) {
        case 100:  // CUDA_ERROR_NO_DEVICE
          f = no_device(d, sys);
          break;
        case 803:  // CUDA_ERROR_SYSTEM_DRIVER_MISMATCH
          f = fail("driver_mismatch",
                   "driver library " + (d.lib_version.empty() ? d.lib_path : d.lib_version + " (" + d.lib_path + ")") +
                       " does not match the kernel module " +
                       (d.kernel_module.empty() ? std::string("(version unknown)") : d.kernel_module),
                   container ? "the host's driver was upgraded without a reboot, or the image carries its own "
                               "libcuda: reboot the host or remove the image's driver libraries"
                             : "the driver was upgraded without a reboot (the old kernel module still runs), or "
                               "another libcuda.so.1 is first on the loader's path: reboot, or remove the stray "
                               "library (ldconfig -p | grep libcuda)");
          break;
        case 804: {  // CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE
          const CompatLibrary* c = loaded_compat_library(compat, sys, d.lib_path);
          const std::string remove =
              !c                                  ? "remove /usr/local/cuda/compat from LD_LIBRARY_PATH"
              : c->on_path == "LD_LIBRARY_PATH"   ? "remove " + c->dir + " from LD_LIBRARY_PATH"
              : c->on_path.rfind("/etc/", 0) == 0 ? "remove " + c->on_path + " and run ldconfig (in the image)"
                                                  : "take " + c->dir + " off the loader's path (ldconfig -p | grep libcuda)";
          f = fail("compat_unsupported",
                   "the forward-compatibility driver (cuda-compat) " +
                       std::string(container ? "in this image" : "on this machine") + " does not support this GPU" +
                       (c ? ": " + describe_compat_library(*c) + " was loaded" + over_host(d) : ""),
                   remove + " and upgrade the host driver instead (forward compatibility works on data-center GPUs "
                            "only)");
          break;
        }
        case 802: {  // CUDA_ERROR_SYSTEM_NOT_READY
          nlohmann::json survey;
          f = system_not_ready(survey);
          f.details["nvml_fabric"] = survey;
          break;
        }
        case 999:
          f = fail("driver_init", "cuInit failed with an unknown error",
                   "look for Xid errors in the host kernel log (dmesg); a GPU that fails cuInit usually needs a reset");
          break;
        default:
          f = fail("driver_init", "cuInit failed", "check the host: nvidia-smi, dmesg for Xid errors");
      }
      if (access) {
        f.message += access->access.note;
        if (!access->nodes.empty()) f.details["device_nodes_open"] = node_open_results(access->nodes);
      }
      f.measured = err;
      f.expected = "CUDA_SUCCESS";
      return f;
    }
    std::string msg = "libcuda " + d.lib_path;
    if (!d.version().empty()) msg += ", driver " + d.version();
    msg += ", CUDA " + format_cuda_version(d.cuda_version);
    if (const CompatLibrary* c = loaded_compat_library(compat, sys, d.lib_path))
      msg += "; forward compatibility: " + describe_compat_library(*c) + over_host(d);
    return pass(msg, d.version().empty() ? std::to_string(d.cuda_version) : d.version());
  }();
  if (!compat.empty()) {
    nlohmann::json libs = nlohmann::json::array();
    const CompatLibrary* loaded = d.lib_loaded ? loaded_compat_library(compat, sys, d.lib_path) : nullptr;
    for (const auto& c : compat)
      libs.push_back({{"dir", c.dir},
                      {"version", c.version},
                      {"on_path", c.on_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.on_path)},
                      {"loaded", &c == loaded}});
    r.details["cuda_compat"] = libs;
  }
  record_driver_version(r, ctx);
  return r;
}

}  // namespace gpuprobe::checks
