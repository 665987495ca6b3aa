#include "new_report.hpp"

#include "gpuprobe/build_info.hpp"

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

}  // namespace gpuprobe::cli
