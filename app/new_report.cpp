#include "new_report.hpp"

#include "gpuprobe/build_info.hpp"
#include "gpuprobe/report/io.hpp"
#include "gpuprobe/report/render.hpp"

namespace gpuprobe::cli {

Report new_report(const std::string& command, const HostInfo& host, const std::string& label) {
  Report r;
  r.command = command;
  r.created_at = now_iso8601_utc();
  r.host = host;
  r.label = default_label(host, label);
  r.software.gpuprobe_version = build::version;
  r.software.gpuprobe_revision = build::git_revision;
  r.software.cuda_architectures = build::cuda_architectures;
  r.software.cuda_toolkit = build::cuda_toolkit_version;
  return r;
}

std::string write_report_files(const Report& r, const std::string& json_path, const std::string& junit_path) {
  std::string err;
  if (!json_path.empty())
    if (std::string e = write_output(json_path, to_json(r).dump(2) + "\n"); !e.empty()) err = e;
  if (!junit_path.empty())
    if (std::string e = write_output(junit_path, render_junit(r)); !e.empty()) err = e;
  return err;
}

}  // namespace gpuprobe::cli
