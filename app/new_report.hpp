// The report every measuring subcommand (check, bench) starts from (host facts, label, build info),
// and how it ends up in files.
#pragma once

#include <functional>
#include <string>

#include "gpuprobe/probes/context.hpp"
#include "gpuprobe/probes/host_info.hpp"
#include "gpuprobe/report/report.hpp"

namespace gpuprobe::cli {

Report new_report(const std::string& command, const HostInfo& host, const std::string& label);

// Writes --json (the report) and --junit (render_junit) where given ("-": stdout; "": not asked).
// Returns "" or the last error; the caller exits kExitInternal on one.
std::string write_report_files(const Report& r, const std::string& json_path, const std::string& junit_path);

// The watchdog's end of a run (RunnerHooks::on_timeout): the hung call cannot be cancelled, so add
// `hung` to the report so far, let `finish` write it and return the exit code, and end the process
// with that code (kExitHung unless writing failed). Gives up on the report after 5 s.
[[noreturn]] void end_after_hang(ReportSink& sink, const CheckResult& hung, const std::function<int(Report&)>& finish);

}  // namespace gpuprobe::cli
