// The report every measuring subcommand (check, bench) starts from (host facts, label, build info),
// and how it ends up in files.
#pragma once

#include <string>

#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::cli {

Report new_report(const std::string& command, const HostInfo& host, const std::string& label);

// Writes --json (the report) and --junit (render_junit) where given ("-": stdout; "": not asked).
// Returns "" or the last error; the caller exits kExitInternal on one.
std::string write_report_files(const Report& r, const std::string& json_path, const std::string& junit_path);

}  // namespace gpuprobe::cli
