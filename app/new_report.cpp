#include "new_report.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "gpuprobe/build_info.hpp"
#include "gpuprobe/report/io.hpp"
#include "gpuprobe/report/render.hpp"
#include "gpuprobe/report/verdict.hpp"

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

void end_after_hang(ReportSink& sink, const CheckResult& hung, const std::function<int(Report&)>& finish) {
  int rc = kExitHung;
  const bool wrote = sink.try_with_for(std::chrono::seconds(5), [&](Report& rep) {
    rep.checks.push_back(hung);
    rc = finish(rep);
  });
  if (!wrote) std::fprintf(stderr, "gpuprobe: %s hung; the report could not be written\n", hung.id.c_str());
  std::fflush(nullptr);
  std::_Exit(rc);
}

}  // namespace gpuprobe::cli
