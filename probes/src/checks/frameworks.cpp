// Check 13: the Python frameworks of this machine (PyTorch, JAX, TensorFlow, CuPy): what their
// files say (build, CUDA, architectures, libraries) against this driver and these GPUs, and what
// each answers live, in a subprocess, when asked for the GPU. Skipped when none is installed.
#include <algorithm>

#include "check_util.hpp"
#include "checks.hpp"
#include "gpuprobe/probes/frameworks.hpp"

namespace gpuprobe::checks {

void start_frameworks(ProbeContext& ctx) { (void)ctx.frameworks(); }

namespace {

FrameworkInfo record(const FrameworkInstall& f, const LiveResult* live) {
  FrameworkInfo r;
  r.name = f.name;
  r.version = f.version;
  r.distribution = f.distribution;
  r.build = to_string(f.build);
  r.cuda = f.cuda;
  r.archs = f.archs;
  r.location = f.site;
  r.python = f.python;
  for (const auto& l : f.libs)
    if (l.path.empty()) r.missing_libraries.push_back(l.soname);
  if (live) {
    r.live = to_string(live->outcome);
    r.live_seconds = live->seconds;
    r.gpu_available = live->gpu_available;
    r.device_count = live->device_count;
    r.devices = live->device_names;
    r.warnings = live->warnings;
    r.matmul_ok = live->matmul_ok;
    r.error = live->import_error.empty() ? live->error : live->import_error;
  }
  return r;
}

}  // namespace

CheckResult frameworks(ProbeContext& ctx) {
  FrameworksRun& run = ctx.frameworks();
  if (run.found.empty())
    return skip("no PyTorch, JAX, TensorFlow or CuPy in this machine's Python environments", "no_frameworks");

  std::vector<const LiveResult*> live(run.found.size(), nullptr);
  std::vector<LiveResult> answers;
  if (run.live) answers = run.live->wait();
  for (std::size_t i = 0; i < answers.size() && i < run.live_index.size(); ++i) live[run.live_index[i]] = &answers[i];

  FrameworkHost host;
  const DriverState& d = ctx.driver();
  host.driver_present = d.lib_loaded && !d.is_stub;
  host.driver_cuda = d.version_known() ? d.cuda_version : 0;
  if (ctx.driver_version()) host.driver_version = ctx.driver_version()->version;
  host.gpus_usable = ctx.gpus_usable();
  for (const auto& g : ctx.gpus()) host.gpu_ccs.emplace_back(g.cc_major, g.cc_minor);

  std::vector<Finding> fs;
  std::string summary;
  nlohmann::json per = nlohmann::json::array();
  std::vector<FrameworkInfo> records;
  for (std::size_t i = 0; i < run.found.size(); ++i) {
    const FrameworkInstall& f = run.found[i];
    const auto found = evaluate_framework(f, host, live[i]);
    nlohmann::json notes = nlohmann::json::array();
    for (const auto& x : found) {
      Finding named = x;
      // Which environment, when the same framework is in several.
      if (x.status != Status::pass && std::count_if(run.found.begin(), run.found.end(),
                                                    [&](const FrameworkInstall& o) { return o.name == f.name; }) > 1)
        named.message += " [" + f.site + "]";
      fs.push_back(named);
      notes.push_back({{"status", to_string(x.status)}, {"reason", x.reason}, {"message", x.message}, {"hint", x.hint}});
    }
    summary += (summary.empty() ? "" : "; ") + describe_framework(f, live[i]);
    per.push_back({{"name", f.name}, {"site", f.site}, {"findings", notes}});
    records.push_back(record(f, live[i]));
  }
  ctx.report().with([&](Report& r) { r.software.frameworks = records; });

  CheckResult r = from_findings(fs, summary);
  r.details["frameworks"] = per;
  r.details["scan_seconds"] = run.scan_seconds;
  r.measured = summary;
  return r;
}

}  // namespace gpuprobe::checks
