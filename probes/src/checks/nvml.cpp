// Check 4 (run early: later checks read the PCIe link and clocks it records): NVML loadable, and
// per GPU ECC double-bit errors, row remapping, retired pages, clock throttling, MIG, persistence.
// Every query's return code is kept: the pass message says what was read, `details.unavailable`
// what could not be. When CUDA sees no GPU, NVML is asked why (MIG, NVSwitch fabric, lost GPU).
#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/gpu/nvml_read.hpp"
#include "gpuprobe/probes/container_limits.hpp"
#include "gpuprobe/probes/host_info.hpp"

namespace gpuprobe::checks {

namespace {

nlohmann::json opt_json(const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json survey_json(const std::vector<NvmlGpuSurvey>& survey) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : survey)
    out.push_back({{"nvml_index", s.index},
                   {"name", s.name},
                   {"handle", nvml_return_name(s.handle_code)},
                   {"mig_enabled", opt_json(s.mig_enabled)},
                   {"fabric_state", opt_json(s.fabric_state)},  // NVML_GPU_FABRIC_STATE_*: 1 not started, 3 completed
                   {"fabric_status", s.fabric_state ? nlohmann::json(nvml_return_name(s.fabric_status)) : nlohmann::json()},
                   {"fabric_query", s.fabric_code < 0 ? nlohmann::json() : nlohmann::json(nvml_return_name(s.fabric_code))}});
  return out;
}

}  // namespace

CheckResult nvml(ProbeContext& ctx) {
  const bool required = ctx.options().require.count("nvml") > 0;
  const NvmlLib& n = nvml_lib();
  const SystemView& sys = ctx.system();
  const bool container = detect_container(sys).detected;
  const std::string here = container ? "in this container" : "on this machine";
  ctx.report().with([&](Report& r) {
    r.software.libraries["libnvidia-ml.so.1"] = n.lib.loaded() ? n.lib.path() : "missing: " + n.missing;
  });
  if (!n.lib.loaded()) {
    if (!ctx.driver().lib_loaded && !required)
      return skip("no NVML (libnvidia-ml.so.1) and no driver " + here, "no_gpu");
    auto r = outcome(required ? Status::fail : Status::warn, "missing_library",
                     "NVML (libnvidia-ml.so.1) is not " + here + ": no health, clock or PCIe readings",
                     container ? "NVIDIA_DRIVER_CAPABILITIES must include 'utility' (nvidia/cuda images set "
                                 "compute,utility); with docker use --gpus all, not a device mount"
                               : "install NVML with the driver (Debian: libnvidia-ml1, Ubuntu: "
                                 "libnvidia-compute-<branch>); it must be the same version as libcuda.so.1");
    r.measured = n.missing;
    return r;
  }
  if (!n.missing.empty() || n.init_result != kNvmlSuccess) {
    // The library's own file name is the driver version left to report without an initialized NVML.
    const std::string file_version = driver_version_from_library_file(n.lib.path());
    ctx.note_driver_version(file_version, DriverVersionSource::nvml_file_name);
    const std::string why = !n.missing.empty() ? n.missing : "nvmlInit: " + n.error_string(n.init_result);
    CheckResult r;
    const std::string symptom = "NVML " + (file_version.empty() ? n.lib.path() : file_version) +
                                " loads but nvmlInit says " + n.error_string(n.init_result);
    // Device nodes that exist but do not open: "Failed to initialize NVML: Unknown Error" of a
    // container whose device access was revoked, in the driver check's words.
    std::optional<DeviceAccessProbe> access;
    if (n.missing.empty()) access = probe_device_access(sys, read_kernel_driver_view(sys), symptom);
    if (access && access->access.finding) {
      const Finding& a = *access->access.finding;
      r = outcome(a.status, a.reason, a.message, a.hint);
    } else if (n.missing.empty() && n.init_result == kNvmlErrorDriverNotLoaded && !ctx.driver().ok()) {
      // No kernel module or no device nodes behind the library: the same words as the driver check.
      const Finding f = diagnose_no_gpu_behind_driver(sys, symptom, file_version, false);
      r = outcome(f.status, f.reason, f.message, f.hint);
    } else {
      r = outcome(ctx.driver().ok() || required ? Status::fail : Status::skip, "nvml_init",
                  "NVML loads but does not initialize: " + why,
                  container ? "the driver libraries in the container may not match the host kernel module; check "
                              "nvidia-smi on the host, and start the container with --gpus all rather than mounting "
                              "driver libraries by hand"
                            : "NVML may not match the kernel module (a driver upgraded without a reboot, or a "
                              "second driver installation): check nvidia-smi; reboot after a driver upgrade");
    }
    if (access) {
      r.message += access->access.note;
      if (!access->nodes.empty()) r.details["device_nodes_open"] = node_open_results(access->nodes);
    }
    r.measured = why;
    r.details["library"] = n.lib.path();
    record_driver_version(r, ctx);
    return r;
  }
  // NVML calls stay outside the report lock: the watchdog needs that lock if one of them hangs.
  char drv[96] = {}, ver[96] = {};
  const bool have_drv = n.nvmlSystemGetDriverVersion && n.nvmlSystemGetDriverVersion(drv, sizeof drv) == kNvmlSuccess;
  const bool have_ver = n.nvmlSystemGetNVMLVersion && n.nvmlSystemGetNVMLVersion(ver, sizeof ver) == kNvmlSuccess;
  if (have_drv) ctx.note_driver_version(drv, DriverVersionSource::nvml);
  ctx.report().with([&](Report& r) {
    if (have_ver) r.software.nvml_version = std::string(ver);
  });
  // Every GPU of the machine, CUDA_VISIBLE_DEVICES or not: reported, never used as "GPUs checked".
  unsigned nvml_count = 0;
  if (n.nvmlDeviceGetCount_v2(&nvml_count) != kNvmlSuccess) nvml_count = 0;

  std::vector<Finding> fs;
  std::vector<GpuInfo> gpus = ctx.gpus_usable() ? ctx.gpus() : std::vector<GpuInfo>{};
  nlohmann::json per_gpu = nlohmann::json::array();
  nlohmann::json unavailable = nlohmann::json::array();
  std::vector<std::pair<std::string, GpuHealth>> examined;
  for (auto& g : gpus) {
    const NvmlHandle dev = nvml_handle_for(n, g);
    if (!dev) {
      fs.push_back(evaluate_nvml_handle_error(gpu_label(g), g.pci_bus_id, dev.code, n.error_string(dev.code)));
      per_gpu.push_back({{"index", g.index}, {"handle", nvml_return_name(dev.code)}});
      continue;
    }
    GpuHealth h;
    nvml_read_device(n, *dev, g, h);
    auto more = evaluate_gpu_health(gpu_label(g), h);
    fs.insert(fs.end(), more.begin(), more.end());
    nlohmann::json missing = nlohmann::json::array();
    for (const auto& q : unavailable_queries(h.queries)) {
      missing.push_back(q.name);
      unavailable.push_back({{"gpu", g.index}, {"query", q.name}, {"error", nvml_return_name(q.code)}});
    }
    per_gpu.push_back({{"index", g.index},
                       {"ecc_enabled", opt_json(h.ecc_enabled)},
                       {"ecc_volatile_uncorrected", opt_json(h.ecc_volatile_uncorrected)},
                       {"remap_pending", opt_json(h.remap_pending)},
                       {"clock_event_reasons", h.clock_event_reasons ? nlohmann::json(describe_clock_event_reasons(*h.clock_event_reasons)) : nlohmann::json()},
                       {"unavailable", missing}});
    examined.emplace_back("GPU " + std::to_string(g.index), std::move(h));
  }
  if (!gpus.empty()) ctx.report().with([&](Report& r) { r.gpus = gpus; });

  CheckResult r;
  if (gpus.empty()) {
    // CUDA cannot use any GPU: NVML may know why (MIG without instances, fabric, a lost GPU).
    const auto survey = nvml_survey_gpus(n, nvml_count);
    r = from_findings(evaluate_cuda_sees_none(survey, nvml_count), "");
    r.details["nvml_gpus"] = survey_json(survey);
  } else {
    r = from_findings(fs, nvml_pass_message(examined));
  }
  r.measured = std::to_string(nvml_count) + " GPU(s) via NVML";
  r.details["nvml_gpu_count"] = nvml_count;
  r.details["gpus_examined"] = examined.size();
  r.details["gpus"] = per_gpu;
  r.details["unavailable"] = unavailable;
  return r;
}

}  // namespace gpuprobe::checks
